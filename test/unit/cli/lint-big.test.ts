/**
 * Big inputs: the report stream carries the report alone whatever else prints, and a statement longer
 * than the parser is given at once is skipped with an info finding while the rest of the file is checked.
 */
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureParser, MAX_PARSE_CHARS, parserReady, parseSql, oversizedStatements, parseTolerant, tryParse, WHOLE_PARSE_MAX_CHARS } from '../../../src/core/schema/pg';

const repo = path.resolve(__dirname, '../../..');

/** Runs `dupguard lint` in its own process (as the shipped CLI runs), with `preload` required first. */
function cli(args: string[], cwd: string, preload?: string): { status: number | null; stdout: string; stderr: string } {
  const tsx = pathToFileURL(path.join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
  const pre = preload ? ['--require', preload] : [];
  const r = spawnSync(process.execPath, [...pre, '--import', tsx, path.join(repo, 'src/cli/main.ts'), 'lint', ...args], { cwd, encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function dir(files: Record<string, string>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-big-'));
  fs.writeFileSync(path.join(d, '.dupguard.json'), '{}');
  for (const [rel, text] of Object.entries(files)) fs.writeFileSync(path.join(d, rel), text);
  return d;
}

test('stdout carries the report alone: what else prints there (the WASM parser\'s FATAL message) goes to stderr', () => {
  const d = dir({ 'a.sql': 'CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;\n' });
  // The parser prints through console.log (and emscripten's own stdout writer): both are imitated here.
  const noise = path.join(d, 'noise.js');
  fs.writeFileSync(noise, [
    "const fs = require('fs'); const read = fs.readFileSync; let once = false;",
    "fs.readFileSync = function (p, ...rest) { if (!once && String(p).endsWith('a.sql')) { once = true; console.log('Terminating process due to FATAL error'); process.stdout.write('more noise\\n'); } return read.call(this, p, ...rest); };",
  ].join('\n'));
  const r = cli(['--format', 'json', '.'], d, noise);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { files: { findings: { rule: string }[] }[] };
  assert.deepEqual(report.files[0].findings.map((f) => f.rule), ['on-conflict-without-target']);
  assert.match(r.stderr, /Terminating process due to FATAL error\nmore noise/);
});

test('a statement longer than the parser limit is not parsed: an info finding says so, the rest of the file is checked', () => {
  const rows: string[] = [];
  for (let i = 0, n = 0; n < MAX_PARSE_CHARS + 1000; i++) n += rows[rows.push(`(${i}, 'name number ${i}')`) - 1].length + 2;
  const giant = `INSERT INTO items (id, name) VALUES\n${rows.join(',\n')};\n`;
  assert.ok(giant.length > MAX_PARSE_CHARS);
  const text = `CREATE TABLE items (id int PRIMARY KEY, name text);\n${giant}INSERT INTO items VALUES (1, 'a') ON CONFLICT DO NOTHING;\n`;
  const d = dir({ 'big.sql': text });
  const r = cli(['--format', 'json', '.'], d);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { files: { findings: { rule: string; severity: string; line: number; message: string }[] }[] };
  const found = report.files[0].findings.map((f) => `${f.rule}@${f.line}/${f.severity}`);
  assert.deepEqual(found.sort(), ['on-conflict-without-target@' + (text.split('\n').length - 1) + '/warning', 'statement-too-large@2/info'].sort());
  assert.match(report.files[0].findings.find((f) => f.rule === 'statement-too-large')!.message, /million characters, over the 1\.0 million the SQL parser is given at once/);
  // the schema model still knows the table (its key drives the message of the later finding)
  assert.match(report.files[0].findings.find((f) => f.rule === 'on-conflict-without-target')!.message, /public\.items/);
});

test('the parser wrappers never take more than the limit in one call; a long file is parsed one statement at a time, lazily', async () => {
  await ensureParser();
  await ensureParser(); assert.ok(parserReady());
  const long = `SELECT '${'x'.repeat(MAX_PARSE_CHARS)}';`;
  assert.equal(tryParse(long), undefined);
  const r = parseSql(long);
  assert.equal(r?.ok, false);
  assert.deepEqual(oversizedStatements(`SELECT 1;\n${long}\nSELECT 2;`), [[10, 10 + long.length - 1]]);
  assert.deepEqual(oversizedStatements('SELECT 1;'), []);
  // Above WHOLE_PARSE_MAX_CHARS: statement by statement, each made when asked for.
  const stmts = Array.from({ length: Math.ceil(WHOLE_PARSE_MAX_CHARS / 12) }, (_, i) => `SELECT ${i} AS n;`).join('\n');
  assert.ok(stmts.length > WHOLE_PARSE_MAX_CHARS);
  const it = parseTolerant(`${stmts}\nSELEC broken;\nCREATE TABLE z (a int);`);
  assert.ok(!Array.isArray(it), 'a long text is parsed lazily');
  const all = [...it];
  assert.equal(all.length, Math.ceil(WHOLE_PARSE_MAX_CHARS / 12) + 1);
  assert.ok(all.at(-1)!.stmt.CreateStmt);
  assert.equal(all[3].stmt.SelectStmt.targetList[0].ResTarget.name, 'n');
  // small texts keep the single call
  assert.ok(Array.isArray(parseTolerant('SELECT 1; SELECT 2;')));
});
