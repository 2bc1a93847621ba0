/**
 * Which DDL a file sees (src/config/schemaScope.ts, docs/schema-model.md): its own package's
 * migrations, then its own fixtures, then other packages' migrations; never another package's
 * fixtures; a `schema` list of globs in `.dupguard.json` names the files exactly. The CLI and the
 * editor share the function; here the CLI runs it end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from '../../src/cli/lint';
import type { CliIO } from '../../src/cli/io';
import { isFixturePath, ScopedSchemas, type ScopeFile } from '../../src/config/schemaScope';
import { isResolved, relativeInside } from '../../src/config/paths';
import { parseConfig } from '../../src/config/dupguardJson';
import { ensureParser } from '../../src/core/schema/ddl';
import { provenanceOf } from '../../src/core/schema';

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-scope-'));
  fs.writeFileSync(path.join(dir, '.dupguard.json'), files['.dupguard.json'] ?? '{}');
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

async function lintJson(cwd: string, args: string[] = []): Promise<{ files: { path: string; findings: { rule: string; severity: string; message: string }[] }[] }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, cwd, env: {} };
  const code = await run(['--format', 'json', ...args], io);
  assert.ok(code === 0 || code === 1, `exit ${code}: ${stderr}`);
  return JSON.parse(stdout);
}

const INSERT = "INSERT INTO users (email) VALUES ('a@example.com') ON CONFLICT DO NOTHING;\n";

/** Two packages: `api` keys users by email in its migrations; `legacy` has a fixture users with no key. */
const MONOREPO = {
  'package.json': '{"private":true}',
  'packages/api/package.json': '{"name":"api"}',
  'packages/api/migrations/001_users.sql': 'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);\n',
  'packages/api/src/signup.sql': INSERT,
  'packages/legacy/package.json': '{"name":"legacy"}',
  'packages/legacy/test/fixtures/schema.sql': 'CREATE TABLE users (id int, email text);\n',
  'packages/legacy/test/seed.sql': INSERT,
};

test("a package's file never sees another package's fixture: CREATE TABLE users in legacy's fixtures decides nothing in api", async () => {
  await ensureParser();
  const dir = tree(MONOREPO);
  const report = await lintJson(dir);
  const api = report.files.find((f) => f.path === 'packages/api/src/signup.sql')!;
  const f = api.findings.find((x) => x.rule === 'on-conflict-without-target');
  assert.ok(f, JSON.stringify(api));
  // api's own migration: users has one unique key the INSERT supplies (email); not "never fires"
  assert.match(f.message, /happens to have one unique key \(unique constraint users_email_key \(email\)\)/);
  assert.notEqual(f.severity, 'error');
  // legacy's own fixture is what its seed runs against: no unique key there
  const legacy = report.files.find((x) => x.path === 'packages/legacy/test/seed.sql')!;
  const g = legacy.findings.find((x) => x.rule === 'on-conflict-without-target');
  assert.ok(g, JSON.stringify(legacy));
  assert.match(g.message, /never fires/);
});

test('the shared builder: own migrations, then own fixtures, then other packages\' migrations (elsewhere), never their fixtures', async () => {
  await ensureParser();
  const dir = tree({
    ...MONOREPO,
    'packages/api/test/fixtures/extra.sql': 'CREATE TABLE users (id int, email text, note text);\nCREATE TABLE audit (id int PRIMARY KEY);\n',
    'packages/legacy/test/fixtures/only_legacy.sql': 'CREATE TABLE legacy_only (id int);\n',
    'packages/billing/package.json': '{}',
    'packages/billing/migrations/001.sql': 'CREATE TABLE invoices (id int PRIMARY KEY, n int UNIQUE);\n',
  });
  const files: ScopeFile[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.sql')) files.push({ abs: p, path: path.relative(dir, p), text: fs.readFileSync(p, 'utf8') });
    }
  };
  walk(dir);
  const scoped = new ScopedSchemas(files, { fallbackRoot: () => dir });
  const api = scoped.forFile(path.join(dir, 'packages/api/src/anything.ts'))!;
  const users = api.lookup('users')!;
  assert.deepEqual(users.columns.map((c) => c.name), ['id', 'email'], 'migrations before fixtures');
  assert.equal(provenanceOf(api, users), 'project');
  assert.equal(provenanceOf(api, api.lookup('audit')!), 'fixture');
  assert.equal(provenanceOf(api, api.lookup('invoices')!), 'elsewhere');
  assert.equal(api.lookup('legacy_only'), undefined, "another package's fixture is never read");
  const legacy = scoped.forFile(path.join(dir, 'packages/legacy/src/x.ts'))!;
  assert.deepEqual(legacy.lookup('users')!.columns.map((c) => c.name), ['id', 'email']);
  assert.equal(provenanceOf(legacy, legacy.lookup('users')!), 'fixture');
  assert.equal(legacy.lookup('audit'), undefined);
  // one model per scope, reused
  assert.equal(scoped.forFile(path.join(dir, 'packages/api/src/other.sql')), api);
});

test('a `schema` setting in .dupguard.json names the DDL exactly, also files outside the linted paths', async () => {
  await ensureParser();
  const dir = tree({
    '.dupguard.json': JSON.stringify({ schema: ['db/schema/**/*.sql'] }),
    'db/schema/users.sql': 'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);\n',
    'app/test/fixtures/users.sql': 'CREATE TABLE users (id int, email text);\n',
    'app/queries/signup.sql': INSERT,
  });
  const report = await lintJson(dir, ['app/queries']);
  const f = report.files[0].findings.find((x) => x.rule === 'on-conflict-without-target');
  assert.ok(f);
  assert.match(f.message, /happens to have one unique key/);
  assert.throws(() => parseConfig('{"schema": "db/*.sql"}', 'x.json'), /"schema" must be an array/);
});

test('fixture paths', () => {
  for (const p of ['test/fixtures/a.sql', 'src/__tests__/db.sql', 'examples/schema.sql', 'db/users.test.sql', 'e2e/setup.sql']) assert.ok(isFixturePath(p), p);
  for (const p of ['migrations/001_init.sql', 'db/schema.sql', 'supabase/migrations/2024_x.sql', 'src/latest.sql']) assert.ok(!isFixturePath(p), p);
});

test('relativeInside is path.relative and isResolved tells path.resolve\'s fixed points, also for paths that are not normalized or not inside the root', () => {
  const segments = ['a', 'b', '.', '..', '...', '.x', 'x.', '', 'c.sql'];
  const roots = ['/', '/a', '/a/b', '/a/b/', '/a/./b', '/a//b', 'a/b', '/a/b/..'].map((r) => r.split('/').join(path.sep));
  let count = 0;
  const walk = (prefix: string, depth: number) => {
    if (depth === 0) return;
    for (const s of segments) {
      const p = `${prefix}${path.sep}${s}`;
      for (const r of roots) {
        assert.equal(relativeInside(r, p), path.relative(r, p), JSON.stringify([r, p]));
        if (path.sep === '/') assert.equal(isResolved(p), path.resolve(p) === p, p);
        count++;
      }
      walk(p, depth - 1);
    }
  };
  walk('', 4);
  assert.ok(count > 50_000);
});
