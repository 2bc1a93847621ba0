/**
 * The two policies every schema-aware rule shares (src/rules/certainty.ts, docs/schema-model.md):
 * a "fails at run time" claim and every offered conflict target are judged against the schema as it
 * stands when the statement runs; an error is reported only when it is certain.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits, lint, lintErrors } from '../helpers';
import { LayeredSchemaModel, StaticSchemaModel } from '../../../src/core/schema';
import type { TableDescription } from '../../../src/core/catalog';
import { ddl, loadParsers } from './schemaHelpers';
import { buildSchemaFromDdl } from '../../../src/core/schema/ddl';

before(loadParsers);

// The case: 001 seeds rows with a targetless DO NOTHING; 004 adds the UNIQUE later.
const M001 = `CREATE TABLE roles (id bigserial PRIMARY KEY, name text NOT NULL);
INSERT INTO roles (id, name) VALUES (DEFAULT, 'admin'), (DEFAULT, 'member') ON CONFLICT DO NOTHING;
`;
const M004 = 'ALTER TABLE roles ADD CONSTRAINT roles_name_key UNIQUE (name);\n';
const migrations = () => ddl(M001, 'SELECT 1;', 'SELECT 1;', M004);

test('001/004: a migration is judged against the schema at that migration; the key 004 adds is not offered in 001, and no fix there makes a 42P10', () => {
  const schema = migrations();
  const found = lint(M001, { path: 'migrations/001.sql', schema });
  const f = found.find((x) => x.rule === 'on-conflict-without-target');
  assert.ok(f, JSON.stringify(found));
  assert.match(f.message, /when this statement runs public\.roles has no unique key it can hit yet: unique constraint roles_name_key \(name\) is declared only later \(migrations\/004\.sql:1\)/);
  assert.notEqual(f.severity, 'error');
  // no fix names (name): applied, PostgreSQL would reject it at 001 (42P10)
  assert.ok(f.fixes.every((x) => !x.edits.some((e) => /\(name\)/.test(e.newText))), JSON.stringify(f.fixes));
  // every offered fix that is not a placeholder leaves no 42P10 behind
  for (const fix of f.fixes.filter((x) => !x.snippet)) {
    const fixed = applyEdits(M001, fix);
    assert.deepEqual(lint(fixed, { path: 'migrations/001.sql', schema }).filter((x) => x.rule === 'on-conflict-target-without-unique-index'), []);
  }
  // an explicit ON CONFLICT (name) in 001 fails at run time: the key does not exist yet
  const explicit = M001.replace('ON CONFLICT DO NOTHING', 'ON CONFLICT (name) DO NOTHING');
  const [e] = lintErrors(explicit, 'on-conflict-target-without-unique-index', { path: 'migrations/001.sql', schema });
  assert.match(e.message, /42P10/);
  assert.match(e.message, /declared only later, at migrations\/004\.sql:1/);
  // after 004 (and in application code) the same statement is fine: the final schema has the key
  const insert = explicit.split('\n')[1];
  assert.deepEqual(lint(insert, { path: 'migrations/005.sql', schema: ddl(M001, 'SELECT 1;', 'SELECT 1;', M004, insert) }).filter((x) => x.rule === 'on-conflict-target-without-unique-index'), []);
  assert.deepEqual(lint(insert, { path: 'src/seed.sql', schema }).filter((x) => x.rule === 'on-conflict-target-without-unique-index'), []);
  // and application code gets the final key as its fix
  const [app] = lintErrors(M001.split('\n')[1], 'on-conflict-without-target', { path: 'src/seed.sql', schema });
  assert.match(app.fixes[0].edits[0].newText, /\(name\)/);
});

test('a query file beside no DDL is application SQL, judged against the final schema, even when the schema model read it first (in path order)', () => {
  const upsert = "INSERT INTO roles (name) VALUES ('admin') ON CONFLICT (name) DO NOTHING;\n";
  // what the CLI builds: every .sql file of the package, in path order; etl/ sorts before migrations/
  const files = [
    { path: 'etl/load_roles.sql', text: upsert },
    { path: 'migrations/001.sql', text: M001 },
    { path: 'migrations/004.sql', text: M004 },
    // a data migration beside the DDL ones is a migration: judged at its place
    { path: 'migrations/002.sql', text: upsert },
  ].sort((a, b) => (a.path < b.path ? -1 : 1));
  const schema = buildSchemaFromDdl(files);
  assert.deepEqual(lint(upsert, { path: 'etl/load_roles.sql', schema }).filter((x) => x.rule === 'on-conflict-target-without-unique-index'), []);
  const [e] = lintErrors(upsert, 'on-conflict-target-without-unique-index', { path: 'migrations/002.sql', schema });
  assert.match(e.message, /declared only later, at migrations\/004\.sql:1/);
});

test('VALUES (DEFAULT, ...) for the key column does not supply the key: the finding says "never fires", not "happens to have one unique key"', () => {
  const schema = ddl('CREATE TABLE tags (id bigserial PRIMARY KEY, label text);');
  const [f] = lintErrors("INSERT INTO tags (id, label) VALUES (DEFAULT, 'a'), (DEFAULT, 'b') ON CONFLICT DO NOTHING;", 'on-conflict-without-target', { path: 'src/seed.sql', schema });
  assert.match(f.message, /never fires/);
  assert.doesNotMatch(f.message, /happens to have/);
  // without a column list, by table order
  const [g] = lintErrors("INSERT INTO tags VALUES (DEFAULT, 'a') ON CONFLICT DO NOTHING;", 'on-conflict-without-target', { path: 'src/seed.sql', schema });
  assert.match(g.message, /never fires/);
  // a row with its own id supplies it
  const [h] = lintErrors("INSERT INTO tags (id, label) VALUES (DEFAULT, 'a'), (7, 'b') ON CONFLICT DO NOTHING;", 'on-conflict-without-target', { path: 'src/seed.sql', schema });
  assert.match(h.message, /happens to have one unique key/);
});

const bare = (): TableDescription => ({ schema: 'public', name: 'events', source: 'ddl', columns: [{ name: 'id', type: 'integer', notNull: false }], keys: [] });
const INSERT = 'INSERT INTO events (id) VALUES (1) ON CONFLICT DO NOTHING;';

test('error only when certain: PostgreSQL, executed SQL, the table DDL from the file\'s own project', () => {
  const own = new LayeredSchemaModel([{ model: new StaticSchemaModel([bare()]), provenance: 'project' }]);
  assert.equal(lintErrors(INSERT, 'on-conflict-without-target', { schema: own })[0].severity, 'error');
  const [c] = lintErrors('INSERT INTO events (id, body) VALUES (1, $1) ON CONFLICT (body) DO NOTHING;', 'on-conflict-target-without-unique-index', { schema: own });
  assert.equal(c.severity, 'error');
  assert.equal(lintErrors('COPY events FROM stdin;\n1\n\\.\n', 'copy-without-resume-strategy', { schema: own })[0].severity, 'error');
  // SQL in TS/JS passed to a query call of a file that talks to PostgreSQL (imports its client)
  const [t] = lintErrors(`import { Pool } from 'pg';\nawait pool.query('${INSERT}');`, 'on-conflict-without-target', { schema: own, path: 'db.ts' });
  assert.equal(t.severity, 'error');
});

test('otherwise a warning whose message says what is unknown', () => {
  const fixture = new LayeredSchemaModel([{ model: new StaticSchemaModel([bare()]), provenance: 'fixture' }]);
  const [a] = lintErrors(INSERT, 'on-conflict-without-target', { schema: fixture });
  assert.equal(a.severity, 'warning');
  assert.match(a.message, /Not certain \(so a warning\): dupguard does not know whether the table is as the test fixture/);
  const elsewhere = new LayeredSchemaModel([{ model: new StaticSchemaModel([bare()]), provenance: 'elsewhere' }]);
  const [b] = lintErrors(INSERT, 'on-conflict-without-target', { schema: elsewhere });
  assert.equal(b.severity, 'warning');
  assert.match(b.message, /another package declares/);
  // SQL in TS/JS with no evidence of the database: not known to be PostgreSQL
  const own = new LayeredSchemaModel([{ model: new StaticSchemaModel([bare()]), provenance: 'project' }]);
  const [t] = lintErrors(`await client.query('${INSERT}');`, 'on-conflict-without-target', { schema: own, path: 'db.ts' });
  assert.equal(t.severity, 'warning');
  assert.match(t.message, /whether this code runs on PostgreSQL/);
  const [k] = lintErrors('INSERT INTO events (id, body) VALUES (1, $1) ON CONFLICT (body) DO NOTHING;', 'on-conflict-target-without-unique-index', { schema: fixture });
  assert.equal(k.severity, 'warning');
});

test('a conflict target written with its table is a syntax error, said so, and printed as a column name only', () => {
  const schema = ddl('CREATE TABLE users (id serial PRIMARY KEY, "firstName" text UNIQUE);');
  const sql = 'INSERT INTO users ("firstName") VALUES ($1) ON CONFLICT ("users"."firstName") DO NOTHING;';
  const [f] = lintErrors(sql, 'on-conflict-target-without-unique-index', { schema });
  assert.match(f.message, /syntax error/);
  assert.match(f.message, /Write ON CONFLICT \("firstName"\)/);
  const fixed = applyEdits(sql, f.fixes[0]);
  assert.equal(fixed, sql.replace('("users"."firstName")', '("firstName")'));
  assert.deepEqual(lint(fixed, { schema }).filter((x) => x.severity !== 'info'), []);
});

test('reserved words and mixed case are quoted in every offered target (one quoting function)', () => {
  const [f] = lintErrors('INSERT INTO line_items ("order", "user", "skuCode") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING;', 'on-conflict-without-target', {
    config: { naturalKeys: { line_items: ['order', 'user', 'skuCode'] } },
  });
  assert.equal(f.fixes[0].edits[0].newText, ' ("order", "user", "skuCode")');
  const schema = ddl('CREATE TABLE line_items ("order" int NOT NULL, "user" int NOT NULL, "skuCode" text NOT NULL, PRIMARY KEY ("order", "user"));');
  const [g] = lintErrors('INSERT INTO line_items ("order", "user", "skuCode") VALUES ($1, $2, $3) ON CONFLICT ("skuCode") DO NOTHING;', 'on-conflict-target-without-unique-index', { schema });
  assert.equal(g.fixes[0].edits[0].newText, '("order", "user")');
  assert.match(g.message, /no unique index on exactly \("skuCode"\)/);
});
