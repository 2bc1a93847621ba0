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
