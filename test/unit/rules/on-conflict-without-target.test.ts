import * as assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { TableDescription } from '../../../src/core/catalog';
import { parseDocument } from '../../../src/core/facts';
import { ensureParser, pgAccepts } from '../../../src/core/schema/pg';
import { StaticSchemaModel } from '../../../src/core/schema';
import { applyEdits, applyFix, lint, lintErrors, lintOk } from '../helpers';

/** No finding of this rule (other rules may have their say on the same SQL). */
const ok = (sql: string, options: Parameters<typeof lintOk>[1] = {}) => lintOk(sql, { ...options, rule: RULE });
const RULE = 'on-conflict-without-target';

before(async () => { await ensureParser(); });

/** Every statement of the fixed SQL is accepted by PostgreSQL's grammar. */
function assertParses(sql: string): void {
  for (const s of parseDocument(sql).all) {
    if (s.kind === 'psql') continue;
    assert.equal(pgAccepts(s.text()), true, `PostgreSQL's parser accepts: ${s.text()}`);
  }
}

// Seed 002: the ETL's child-table upsert (etl_base.py), with psycopg2's `VALUES %s` filled in.
const SEED_002 = `
    INSERT INTO breezeway.task_requirements (task_pk, requirement_id, name)
    VALUES (1, 10, 'a'), (1, 11, 'b')
    ON CONFLICT DO NOTHING
`;

test('seed 002: ON CONFLICT DO NOTHING without a target is reported on the clause', () => {
  const [f] = lintErrors(SEED_002, RULE);
  assert.equal(SEED_002.slice(f.start, f.end), 'ON CONFLICT DO NOTHING');
  assert.equal(f.severity, 'warning');
  assert.match(f.message, /never fires and every run inserts these rows again/);
  assert.match(f.message, /breezeway\.task_requirements/);
  assert.ok(f.fixes[0].snippet && f.fixes[0].preferred);
});

test("seed 002's query exactly as the ETL wrote it, with its format placeholders", () => {
  const sql = `
    INSERT INTO {schema}.{table_name} ({columns_str})
    VALUES %s
    ON CONFLICT DO NOTHING
`;
  const [f] = lintErrors(sql, RULE);
  assert.equal(sql.slice(f.start, f.end), 'ON CONFLICT DO NOTHING');
  assert.match(f.message, /\{schema\}\.\{table_name\}/);
});

test('the snippet fix inserts a conflict target; the result parses and is no longer reported', () => {
  const fixed = applyFix(SEED_002, RULE);
  assert.match(fixed, /ON CONFLICT \(key_column\) DO NOTHING/);
  ok(fixed);
  assertParses(fixed);
});

test('targeted forms are fine', () => {
  ok('INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a, b) DO NOTHING;');
  ok('INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT ON CONSTRAINT t_a_b_key DO NOTHING;');
  ok('INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a) WHERE b IS NULL DO NOTHING;');
  ok('INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a) DO UPDATE SET b = excluded.b;');
  ok('INSERT INTO t (a, b) VALUES (1, 2);');
});

test('the words inside comments, strings, identifiers and dollar strings are not clauses', () => {
  ok(`-- INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;
/* INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING; */
SELECT 'INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING';
SELECT "on conflict do nothing" FROM t;
SELECT $q$INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING$q$;`);
});

test('inside function bodies and DO blocks, reported at the file position', () => {
  const sql = `CREATE FUNCTION add_tasks(specs text[]) RETURNS void LANGUAGE plpgsql AS $$
begin
  insert into tasks (identifier)
  select distinct s from unnest(specs) s
  on conflict do nothing;
end;
$$;
DO $do$ BEGIN IF true THEN INSERT INTO q VALUES (1) ON CONFLICT DO NOTHING; END IF; END $do$;`;
  const found = lintErrors(sql, RULE, { count: 2 });
  assert.deepEqual(found.map((f) => sql.slice(f.start, f.end)), ['on conflict do nothing', 'ON CONFLICT DO NOTHING']);
  assert.equal(found[0].start, sql.indexOf('on conflict'));
  const fixed = applyEdits(sql, found[0].fixes[0]);
  assert.match(fixed, /on conflict \(key_column\) do nothing/);
  lintErrors(fixed, RULE);
});

test('data-modifying CTEs and WITH ... INSERT', () => {
  const sql = 'WITH x AS (INSERT INTO a (id) VALUES (1) ON CONFLICT DO NOTHING RETURNING id) INSERT INTO b SELECT id FROM x ON CONFLICT DO NOTHING;';
  const found = lintErrors(sql, RULE, { count: 2 });
  assert.deepEqual(found.map((f) => f.start), [sql.indexOf('ON CONFLICT'), sql.lastIndexOf('ON CONFLICT')]);
});

const col = (name: string, extra: Partial<TableDescription['columns'][0]> = {}) => ({ name, type: 'integer', notNull: false, ...extra });

test('schema known, no unique key: error, "never fires"', () => {
  const schema = new StaticSchemaModel([{
    schema: 'breezeway', name: 'task_requirements', source: 'ddl', keys: [],
    columns: [col('task_pk'), col('requirement_id'), col('name')],
  }]);
  const [f] = lintErrors(SEED_002, RULE, { schema });
  assert.equal(f.severity, 'error');
  assert.match(f.message, /never fires: breezeway\.task_requirements has no primary key or unique constraint/);
});

test('schema known, only a serial primary key the INSERT leaves to the database: error', () => {
  const schema = new StaticSchemaModel([{
    schema: 'breezeway', name: 'task_requirements', source: 'ddl',
    keys: [{ kind: 'primary', name: 'task_requirements_pkey', columns: ['id'] }],
    columns: [col('id', { surrogate: true, default: "nextval('s'::regclass)" }), col('task_pk'), col('requirement_id'), col('name')],
  }]);
  const [f] = lintErrors(SEED_002, RULE, { schema });
  assert.equal(f.severity, 'error');
  assert.match(f.message, /the only unique key of breezeway.task_requirements is primary key task_requirements_pkey \(id\)/);
  assert.doesNotMatch(f.message, /'s /, "no possessive after a qualified name");
  // No usable key: the fix is the snippet.
  assert.equal(f.fixes.length, 1);
  assert.equal(f.fixes[0].snippet, true);
});

test('natural key from config first, then the primary key, then other unique keys; one fix each', () => {
  const schema = new StaticSchemaModel([{
    schema: 'public', name: 'photos', source: 'ddl',
    keys: [
      { kind: 'unique', name: 'photos_url_key', columns: ['url'] },
      { kind: 'primary', name: 'photos_pkey', columns: ['id'] },
      { kind: 'unique-index', name: 'photos_prop_photo', columns: ['property_pk', 'photo_id'] },
    ],
    columns: [col('id'), col('url'), col('property_pk'), col('photo_id')],
  }]);
  const sql = 'INSERT INTO photos (id, url, property_pk, photo_id) VALUES (1, $1, 2, 3) ON CONFLICT DO NOTHING;';
  const [f] = lintErrors(sql, RULE, { schema, config: { naturalKeys: { 'public.photos': ['property_pk', 'photo_id'] } } });
  assert.equal(f.severity, 'warning');
  assert.match(f.message, /any of the 3 unique keys of public\.photos/);
  assert.deepEqual(f.fixes.map((x) => x.edits[0].newText), [' (property_pk, photo_id)', ' (id)', ' (url)']);
  assert.deepEqual(f.fixes.map((x) => !!x.preferred), [true, false, false]);
  assert.match(f.fixes[0].title, /natural key/);
  for (const fix of f.fixes) {
    const fixed = applyEdits(sql, fix);
    ok(fixed, { schema });
    assertParses(fixed);
  }
});

test('one key: a warning that names it; partial and expression keys produce valid targets', () => {
  const schema = new StaticSchemaModel([{
    schema: 'public', name: 'users', source: 'ddl',
    keys: [{ kind: 'unique-index', name: 'users_email', columns: ['lower(email)'], expression: true, predicate: 'deleted_at IS NULL' }],
    columns: [col('email'), col('deleted_at')],
  }]);
  const sql = "INSERT INTO users (email) VALUES ('a') ON CONFLICT DO NOTHING";
  const [f] = lintErrors(sql, RULE, { schema });
  assert.match(f.message, /happens to have one unique key/);
  const fixed = applyEdits(sql, f.fixes[0]);
  assert.equal(fixed, "INSERT INTO users (email) VALUES ('a') ON CONFLICT (lower(email)) WHERE deleted_at IS NULL DO NOTHING");
  assertParses(fixed);
});

test('a configured natural key without a unique index says it needs one', () => {
  const [f] = lintErrors(SEED_002, RULE, { config: { naturalKeys: { 'breezeway.task_requirements': ['task_pk', 'requirement_id'] } } });
  assert.equal(f.fixes.length, 1);
  assert.match(f.fixes[0].title, /\(task_pk, requirement_id\).*needs a unique index/);
  assert.equal(f.fixes[0].snippet, undefined);
  assertParses(applyEdits(SEED_002, f.fixes[0]));
});

test('severity override and off from config', () => {
  const [f] = lintErrors(SEED_002, RULE, { config: { rules: { [RULE]: 'error' } } });
  assert.equal(f.severity, 'error');
  assert.equal(lint(SEED_002, { config: { rules: { [RULE]: 'off' } } }).length, 0);
});

test('SQL embedded in TypeScript: range and fix map back to the host file', () => {
  const ts = 'const table = "t";\nawait db.query(`INSERT INTO ${table} (a) VALUES ($1) ON CONFLICT DO NOTHING`, [1]);\n';
  const [f] = lintErrors(ts, RULE, { path: 'etl.ts' });
  assert.equal(ts.slice(f.start, f.end), 'ON CONFLICT DO NOTHING');
  const fixed = applyEdits(ts, f.fixes[0]);
  assert.match(fixed, /ON CONFLICT \(key_column\) DO NOTHING`/);
  ok(fixed, { path: 'etl.ts' });
});

test('related information points at the table and at each key that could fire', () => {
  const loc = (line: number) => ({ path: 'migrations/001.sql', start: 0, end: 1, line, column: 1, endLine: line, endColumn: 2 });
  const schema = new StaticSchemaModel([{
    schema: 'public', name: 't', source: 'ddl', origin: loc(1),
    keys: [{ kind: 'primary', name: 't_pkey', columns: ['id'], origin: loc(2) }, { kind: 'unique', name: 't_email_key', columns: ['email'], origin: loc(3) }],
    columns: [col('id'), col('email')],
  }]);
  const [f] = lintErrors('INSERT INTO t (id, email) VALUES (1, $1) ON CONFLICT DO NOTHING', RULE, { schema });
  assert.deepEqual(f.related!.map((r) => [r.message, r.location.line]), [
    ['public.t is created here', 1], ['primary key t_pkey (id) is declared here', 2], ['unique constraint t_email_key (email) is declared here', 3],
  ]);
});

test('tables created under a templated schema in other files are known to INSERTs that spell the same template', async () => {
  await ensureParser();
  const { buildSchemaFromDdl } = await import('../../../src/core/schema/ddl');
  // graphile-worker's psql variables, supabase-auth's Go templates (quoted and bare)
  const schema = buildSchemaFromDdl([
    { path: 'migrations/001.sql', text: 'CREATE TABLE :GRAPHILE_WORKER_SCHEMA.tasks (id serial PRIMARY KEY, identifier text NOT NULL UNIQUE);\n' },
    { path: 'migrations/002.sql', text: 'CREATE TABLE "{{ .Namespace }}".users (id uuid PRIMARY KEY, email text UNIQUE);\n' },
    { path: 'migrations/003.sql', text: 'CREATE TABLE {{ index .Options "Namespace" }}.audit (id bigint, note text);\n' },
  ]);
  const cases: Array<[string, string, RegExp]> = [
    ['INSERT INTO :GRAPHILE_WORKER_SCHEMA.tasks (identifier) VALUES ($1) ON CONFLICT DO NOTHING', ':GRAPHILE_WORKER_SCHEMA.tasks', /only works because :GRAPHILE_WORKER_SCHEMA\.tasks happens to have one unique key .*\(identifier\)/],
    ['INSERT INTO "{{ .Namespace }}".users (email) VALUES ($1) ON CONFLICT DO NOTHING', '"{{ .Namespace }}".users', /only works because "\{\{ \.Namespace \}\}"\.users happens to have one unique key .*\(email\)/],
    ['INSERT INTO {{ index .Options "Namespace" }}.audit (note) VALUES ($1) ON CONFLICT DO NOTHING', '{{ index .Options "Namespace" }}.audit', /never fires: \{\{ index \.Options "Namespace" \}\}\.audit has no primary key/],
  ];
  for (const [sql, label, message] of cases) {
    const [f] = lintErrors(sql, RULE, { schema, path: 'queries/q.sql' });
    assert.match(f.message, message);
    assert.equal(f.related?.[0]?.message, `${label} is created here`);
  }
  // the key the table has is offered as the target
  const [t] = lintErrors(cases[0][0], RULE, { schema, path: 'queries/q.sql' });
  assert.match(applyEdits(cases[0][0], t.fixes[0]), /ON CONFLICT \(identifier\) DO NOTHING$/);
});
