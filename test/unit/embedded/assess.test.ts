/**
 * The one call per embedded region the engine makes: execution, dialect, whether PostgreSQL rules
 * run, and the variants to run them on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embeddedFile } from '../../../src/embedded/assess';
import { extractEmbeddedSql } from '../../../src/embedded/extract';

test('assess: expected output and other dialects do not run PostgreSQL rules; executed PostgreSQL gets its variants', () => {
  const host = `import Database from 'better-sqlite3';
import pg from 'pg';
import { expect, it } from 'vitest';
it('compiles', () => {
  expect(qb.getQuery()).toEqual('insert into "a" ("id") values ($1) on conflict do nothing');
});
sqliteDb.exec('INSERT INTO b (id) VALUES (1) ON CONFLICT DO NOTHING');
await pool.query(\`INSERT INTO c (id) VALUES ($1) \${skip ? 'ON CONFLICT DO NOTHING' : ''}\`, [1]);
`;
  const regions = extractEmbeddedSql(host, 'typescript');
  const file = embeddedFile(host, { path: 'src/c.test.ts' });
  const by = (s: string) => file.assess(regions.find((r) => r.text.includes(s))!);
  const a = by('insert into "a"');
  assert.equal(a.execution.kind, 'expected-output');
  assert.equal(a.runPostgresRules, false);
  const b = by('INSERT INTO b');
  assert.equal(b.dialect.dialect, 'sqlite');
  assert.equal(b.runPostgresRules, false);
  const c = by('INSERT INTO c');
  assert.equal(c.runPostgresRules, true);
  assert.equal(c.dialect.dialect, 'unknown', 'pg and better-sqlite3 both imported: no file-level decision');
  assert.deepEqual(c.variants.map((v) => v.text.trim()), ['INSERT INTO c (id) VALUES ($1) ON CONFLICT DO NOTHING', 'INSERT INTO c (id) VALUES ($1)']);
  assert.ok(c.variants.every((v) => v.runPostgresRules));
  // The setting that keeps expected output.
  const report = embeddedFile(host, { path: 'src/c.test.ts', expectedOutput: 'report' });
  assert.equal(report.assess(regions.find((r) => r.text.includes('insert into "a"'))!).runPostgresRules, true);
});

test('assess: a variant decides its own dialect when its branch text does', () => {
  const host = "await db.query(`INSERT INTO t (a) VALUES (?) ${mysql ? 'ON DUPLICATE KEY UPDATE a = a' : 'ON CONFLICT DO NOTHING'}`, [1]);";
  const file = embeddedFile(host);
  const regions = extractEmbeddedSql(host, 'typescript');
  assert.equal(regions.length, 1);
  const r = file.assess(regions[0]);
  assert.equal(r.variants.length, 2);
  const [my, pgv] = r.variants;
  assert.match(my.text, /ON DUPLICATE KEY/);
  assert.equal(my.dialect.dialect, 'mysql');
  assert.equal(my.runPostgresRules, false);
  assert.match(pgv.text, /ON CONFLICT DO NOTHING/);
  assert.equal(pgv.dialect.dialect, 'unknown', '`?` alone decides nothing');
  assert.equal(pgv.runPostgresRules, true);
});
