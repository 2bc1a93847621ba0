/**
 * `dupguard lint --fix` / `--fix-dry-run` on real files with the real analyzer and schema model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { defaultDeps, run, type LintDeps } from '../../../src/cli/lint';
import type { CliIO } from '../../../src/cli/io';
import { applyFixes, lineBreakOf, preferredFixes } from '../../../src/core/fixes';
import type { Finding } from '../../../src/core/types';
import { ensureParser, observeParseTrees } from '../../../src/core/schema/pg';

async function lint(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, cwd, env: {} };
  const code = await main(['lint', ...args], io);
  return { code, stdout, stderr };
}

function tmp(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-fix-'));
  fs.writeFileSync(path.join(dir, '.dupguard.json'), '{}');
  for (const [rel, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, rel), text);
  return dir;
}

const DDL = 'CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);\n';
const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), 'utf8');

test('--fix writes the preferred fixes into .sql and .ts files and reports what is left', async () => {
  const dir = tmp({
    'a.sql': `${DDL}INSERT INTO customers (email) VALUES ('a@x') ON CONFLICT DO NOTHING;\nCREATE TABLE visits (customer_id bigint, day date);\n`,
    'b.ts': 'await db.query("INSERT INTO customers (email) VALUES ($1) ON CONFLICT DO NOTHING", [e]);\n',
  });
  const r = await lint(['--fix', '--format', 'json', '.'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(read(dir, 'a.sql'), `${DDL}INSERT INTO customers (email) VALUES ('a@x') ON CONFLICT (email) DO NOTHING;\nCREATE TABLE visits (customer_id bigint, day date);\n`);
  assert.equal(read(dir, 'b.ts'), 'await db.query("INSERT INTO customers (email) VALUES ($1) ON CONFLICT (email) DO NOTHING", [e]);\n');
  assert.match(r.stderr, /fixed 2 problems in 2 files: a\.sql, b\.ts/);
  // The table with no key needs a column name typed in: not fixed, still reported.
  const report = JSON.parse(r.stdout);
  const left = report.files.flatMap((f: { findings: Array<{ rule: string }> }) => f.findings.map((x) => x.rule));
  assert.deepEqual(left, ['table-without-unique-key']);
  // A second run has nothing to fix.
  const again = await lint(['--fix', '.'], dir);
  assert.doesNotMatch(again.stderr, /fixed/);
});

test('--fix-dry-run writes nothing and says what would change', async () => {
  const text = `${DDL}INSERT INTO customers (email) VALUES ('a@x') ON CONFLICT DO NOTHING;\n`;
  const dir = tmp({ 'a.sql': text });
  const r = await lint(['--fix-dry-run', '.'], dir);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /would fix 1 problem in 1 file: a\.sql/);
  assert.equal(read(dir, 'a.sql'), text);
});

test('--fix keeps a byte order mark and CRLF line breaks', async () => {
  const crlf = `\ufeff${DDL.replace('\n', '\r\n')}INSERT INTO customers (email) VALUES ('a@x') ON CONFLICT DO NOTHING;\r\n`;
  const dir = tmp({ 'a.sql': crlf });
  const r = await lint(['--fix', '.'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(read(dir, 'a.sql'), crlf.replace('ON CONFLICT DO', 'ON CONFLICT (email) DO'));
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('dupguard-')), [], 'no temporary file left');
});

test('--fix: a file that cannot be written ends the run with exit 2, names it and the files fixed before it, and is left as it was', async () => {
  const z = "INSERT INTO customers (email) VALUES ('z') ON CONFLICT DO NOTHING;\n";
  const dir = tmp({ 'a.sql': `${DDL}INSERT INTO customers (email) VALUES ('a@x') ON CONFLICT DO NOTHING;\n`, 'z.sql': z });
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, cwd: dir, env: {} };
  const deps: LintDeps = {
    ...defaultDeps,
    writeFile(file, text) {
      if (file.endsWith('z.sql')) throw Object.assign(new Error('read-only'), { code: 'EACCES' });
      fs.writeFileSync(file, text);
    },
  };
  const code = await run(['--fix', '.'], io, deps);
  assert.equal(code, 2);
  assert.equal(stdout, '');
  assert.match(stderr, /z\.sql: cannot write the fixed file \(EACCES\); it is left as it was; fixed before it: a\.sql/);
  assert.match(read(dir, 'a.sql'), /ON CONFLICT \(email\) DO NOTHING/);
  assert.equal(read(dir, 'z.sql'), z);
});

test('preferredFixes: one fix per finding, snippets left out, overlapping edits wait; applyFixes applies from the end', () => {
  const f = (start: number, end: number, newText: string, extra: object = {}): Finding => ({
    rule: 'r', severity: 'warning', message: 'm', start, end, fixes: [
      { title: 'other', edits: [{ start, end, newText: 'X' }] },
      { title: 'pref', edits: [{ start, end, newText }], preferred: true, ...extra },
    ],
  });
  const chosen = preferredFixes([f(0, 1, 'A'), f(2, 2, 'B'), f(2, 2, 'C'), f(3, 5, 'D'), f(4, 6, 'E'), f(7, 7, '${1:x}', { snippet: true })]);
  assert.deepEqual(chosen.map((c) => c.edits[0].newText), ['A', 'B', 'D']);
  assert.equal(applyFixes('0123456789', chosen), 'A1B2D56789');
  assert.equal(preferredFixes([f(7, 7, '${1:x}', { snippet: true })], { snippets: true }).length, 1);
  assert.equal(applyFixes('a\r\nb', [{ title: 't', edits: [{ start: 1, end: 1, newText: '\nx' }] }], '\r\n'), 'a\r\nx\r\nb');
  assert.equal(lineBreakOf('a\r\nb\r\nc\n'), '\r\n');
  assert.equal(lineBreakOf('a\nb'), '\n');
});

const FIXABLE = `${DDL}INSERT INTO customers (email) VALUES ('a@x') ON CONFLICT DO NOTHING;\n`;

test('--fix refuses a file that is not valid UTF-8 (Latin-1 bytes once became U+FFFD), says so, and still lints it', async () => {
  const dir = tmp({});
  // "café" in Latin-1: 0xE9 is not UTF-8.
  const bytes = Buffer.concat([Buffer.from('-- caf'), Buffer.from([0xe9]), Buffer.from(`\r\n${FIXABLE.replace(/\n/g, '\r\n')}`)]);
  fs.writeFileSync(path.join(dir, 'latin1.sql'), bytes);
  fs.writeFileSync(path.join(dir, 'ok.sql'), `\ufeff${FIXABLE}`);
  const r = await lint(['--fix', '--format', 'json', '.'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'latin1.sql')), bytes, 'the file was rewritten');
  assert.match(r.stderr, /latin1\.sql: not fixed: not valid UTF-8 \(byte 6\)/);
  // the UTF-8 file beside it is fixed, its BOM kept
  assert.equal(read(dir, 'ok.sql'), `\ufeff${FIXABLE.replace('ON CONFLICT DO', 'ON CONFLICT (email) DO')}`);
  const report = JSON.parse(r.stdout) as { files: { path: string; findings: { rule: string }[] }[] };
  assert.deepEqual(report.files.find((f) => f.path === 'latin1.sql')?.findings.map((f) => f.rule), ['on-conflict-without-target']);
});

test('--fix through a symbolic link writes the link\'s target and leaves the link a link', async () => {
  const dir = tmp({});
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-fix-target-'));
  const target = path.join(outside, 'real.sql');
  fs.writeFileSync(target, FIXABLE);
  fs.chmodSync(target, 0o640);
  fs.symlinkSync(target, path.join(dir, 'link.sql'));
  const r = await lint(['--fix', '.'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.lstatSync(path.join(dir, 'link.sql')).isSymbolicLink(), 'the link was replaced by a file');
  assert.equal(fs.readlinkSync(path.join(dir, 'link.sql')), target);
  assert.match(fs.readFileSync(target, 'utf8'), /ON CONFLICT \(email\) DO NOTHING/);
  assert.equal(fs.statSync(target).mode & 0o777, 0o640);
  assert.deepEqual(fs.readdirSync(outside), ['real.sql'], 'no temporary file left');
});

test('--fix: a link planted where the temporary file used to go (a predictable name) receives nothing', async () => {
  const dir = tmp({ 'a.sql': FIXABLE });
  const victim = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-fix-victim-')), 'victim.txt');
  fs.writeFileSync(victim, 'untouched\n');
  // the old name: `.a.sql.dupguard-<pid>.tmp` beside the file
  const planted = path.join(dir, `.a.sql.dupguard-${process.pid}.tmp`);
  fs.symlinkSync(victim, planted);
  const r = await lint(['--fix', '.'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readFileSync(victim, 'utf8'), 'untouched\n');
  assert.ok(fs.lstatSync(planted).isSymbolicLink());
  assert.match(read(dir, 'a.sql'), /ON CONFLICT \(email\) DO NOTHING/);
  assert.ok(fs.lstatSync(path.join(dir, 'a.sql')).isFile());
});

test('--fix-dry-run parses again only what its fixes changed: a pass over the fixed file finds the other statements\' trees', async () => {
  await ensureParser();
  // many statements the rules read, and one fix
  const tables = Array.from({ length: 40 }, (_, i) => `CREATE TABLE t${i} (id bigint PRIMARY KEY, v text UNIQUE);\nINSERT INTO t${i} (id, v) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v;\n`).join('');
  const dir = tmp({ 'a.sql': `${DDL}${tables}INSERT INTO customers (email) VALUES ('a@x') ON CONFLICT DO NOTHING;\n` });
  const count = async (args: string[]) => {
    let trees = 0;
    observeParseTrees(() => { trees++; });
    try {
      const r = await lint([...args, '--format', 'json', 'a.sql'], dir);
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
    } finally {
      observeParseTrees();
    }
    return trees;
  };
  const once = await count([]);
  const fixing = await count(['--fix-dry-run']);
  assert.match((await lint(['--fix-dry-run', 'a.sql'], dir)).stderr, /would fix 1 problem/);
  console.log(`# ${once} parse trees for a lint, ${fixing} for --fix-dry-run (its passes and the report)`);
  // a pass that read every statement again would parse them again: about twice a lint's
  assert.ok(fixing < once * 1.5, `${fixing} trees for --fix-dry-run against ${once} for a lint: its passes parse unchanged statements again`);
});
