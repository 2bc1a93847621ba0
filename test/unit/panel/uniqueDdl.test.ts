import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TableDescription } from '../../../src/core/catalog';
import { generateMigration } from '../../../src/migrate/generate';
import { findAddedUniqueKeys, violationFromRow, violationQuery } from '../../../src/vscode/database/uniqueDdl';

test('finds UNIQUE constraints, primary keys and unique indexes added to existing tables, with the clause range', async () => {
  const sql = [
    '-- migration',
    'ALTER TABLE public.orders ADD CONSTRAINT orders_ref_key UNIQUE (customer_id, external_ref);',
    'ALTER TABLE "Odd Table" ADD PRIMARY KEY ("Id");',
    'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email ON ONLY app.users (lower(email)) WHERE deleted_at IS NULL;',
    'ALTER TABLE t ADD UNIQUE NULLS NOT DISTINCT (a);',
    '',
  ].join('\n');
  const keys = await findAddedUniqueKeys(sql);
  assert.equal(keys.length, 4);
  const [a, b, c, d] = keys;
  assert.deepEqual([a.kind, a.schema, a.table, a.columns, a.name, a.nullsNotDistinct], ['unique', 'public', 'orders', ['customer_id', 'external_ref'], 'orders_ref_key', false]);
  assert.equal(sql.slice(a.start, a.end), 'CONSTRAINT orders_ref_key UNIQUE (customer_id, external_ref)');
  assert.deepEqual([b.kind, b.table, b.elements, b.plainColumns], ['primary', 'Odd Table', ['"Id"'], true]);
  assert.deepEqual([c.kind, c.schema, c.table, c.elements, c.columns, c.plainColumns, c.predicate], ['unique-index', 'app', 'users', ['(lower(email))'], [], false, 'deleted_at IS NULL']);
  assert.ok(sql.slice(c.start, c.end).startsWith('CREATE UNIQUE INDEX CONCURRENTLY'));
  assert.equal(d.nullsNotDistinct, true);
});

test('leaves out keys that cannot meet existing data: tables created in the file, USING INDEX, plain indexes', async () => {
  const keys = await findAddedUniqueKeys([
    'CREATE TABLE fresh (id int, code text);',
    'ALTER TABLE fresh ADD CONSTRAINT fresh_code UNIQUE (code);',
    'CREATE UNIQUE INDEX ON fresh (code);',
    'ALTER TABLE old ADD CONSTRAINT old_code UNIQUE USING INDEX old_code_idx;',
    'CREATE INDEX old_code_idx2 ON old (code);',
    'ALTER TABLE old ADD CONSTRAINT old_fk FOREIGN KEY (x) REFERENCES y (id);',
  ].join('\n'));
  assert.deepEqual(keys, []);
});

test('never throws: broken SQL, psql meta-commands, empty text, offsets after non-ASCII text', async () => {
  assert.deepEqual(await findAddedUniqueKeys(''), []);
  assert.deepEqual(await findAddedUniqueKeys('ALTER TABLE ADD UNIQUE ((('), []);
  const sql = "\\set ON_ERROR_STOP on\nSELECT 'été ✓';\nALTER TABLE t ADD UNIQUE (a);\n";
  const [k] = await findAddedUniqueKeys(sql);
  assert.equal(sql.slice(k.start, k.end), 'UNIQUE (a)');
});

test('the count query is built from names only: NULL keys left out unless NULLS NOT DISTINCT, every function pg_catalog-qualified', () => {
  const q = violationQuery('s', 'Odd "T"', ['a', 'B'], false);
  assert.match(q, /FROM s\."Odd ""T""" WHERE a IS NOT NULL AND "B" IS NOT NULL GROUP BY a, "B"\) AS s$/);
  assert.match(q, /pg_catalog\.count\(\*\) FILTER \(WHERE c OPERATOR\(pg_catalog\.>\) 1\)/);
  assert.doesNotMatch(q.replace(/pg_catalog\.\w+\(/g, ''), /\b(count|sum|max)\(/);
  assert.match(violationQuery('public', 't', ['a'], true), /FROM public\.t GROUP BY a\)/);
  assert.deepEqual(violationFromRow({ rows: '1000', distinct_keys: '37', groups: '37', max_copies: '28' }),
    { rows: 1000, distinctKeys: 37, duplicateGroups: 37, excessRows: 963, maxCopies: 28 });
});

test('expression and partial keys carry a canonical definition that matches the catalog\'s pg_get_indexdef spelling', async () => {
  const [file] = await findAddedUniqueKeys("CREATE UNIQUE INDEX u ON users (lower(email)) WHERE (deleted_at is null) AND status = 'live';");
  const [catalog] = await findAddedUniqueKeys("CREATE UNIQUE INDEX u2 ON public.users USING btree (lower(email)) WHERE ((deleted_at IS NULL) AND (status = 'live'::text));");
  assert.ok(file.definition && catalog.definition);
  assert.deepEqual(file.definition, catalog.definition);
  const [other] = await findAddedUniqueKeys('CREATE UNIQUE INDEX u3 ON users (lower(email));');
  assert.notDeepEqual(other.definition, file.definition);
});

test('names from the file never add text to printed SQL: function, type and operator names are quoted', async () => {
  // (the name is 63 bytes: PostgreSQL's parser truncates longer identifiers)
  const payload = 'CREATE UNIQUE INDEX i ON users (("lower(email))IS NOT NULL)s;COMMIT;CREATE TABLE pwned();--"(email)));';
  const [k] = await findAddedUniqueKeys(payload);
  assert.ok(k, 'the payload parses as a unique index');
  assert.equal(k.elements[0], '("lower(email))IS NOT NULL)s;COMMIT;CREATE TABLE pwned();--"(email))');
  const [t] = await findAddedUniqueKeys('CREATE UNIQUE INDEX i ON t ((a::"int); drop table x; --"), (b OPERATOR("x; drop".=) 1)) WHERE c = \'it\'\'s \\ here\';');
  assert.equal(t.elements[0], '(a::"int); drop table x; --")');
  assert.equal(t.elements[1], '(b OPERATOR("x; drop".=) 1)');
  assert.equal(t.predicate, "c = E'it''s \\\\ here'");
});

test('a key added after the file rewrites the table (a dedup step) is not judged on today\'s data', async () => {
  const keys = await findAddedUniqueKeys([
    'DELETE FROM public.a WHERE id IN (SELECT 1);',
    'ALTER TABLE a ADD UNIQUE (k);',
    'TRUNCATE b; INSERT INTO b SELECT DISTINCT ON (k) * FROM b_backup;',
    'CREATE UNIQUE INDEX ON b (k);',
    "DO $$ BEGIN DELETE FROM \"c\" WHERE false; END $$;",
    'ALTER TABLE c ADD UNIQUE (k);',
    'ALTER TABLE other.a ADD UNIQUE (k);',
    'ALTER TABLE cc ADD UNIQUE (k);',
  ].join('\n'));
  assert.deepEqual(keys.map((k) => `${k.schema ?? ''}.${k.table}`), ['other.a', '.cc']);
});

test('dupguard\'s own dedup migrations are never flagged: each rewrites the table before adding the key', async () => {
  const table: TableDescription = {
    schema: 'public', name: 'task_requirements', kind: 'r', source: 'catalog',
    columns: [
      { name: 'id', type: 'integer', notNull: true, default: "nextval('task_requirements_id_seq'::regclass)", surrogate: true },
      { name: 'task_pk', type: 'integer', notNull: true },
      { name: 'requirement_id', type: 'integer', notNull: true },
      { name: 'created_at', type: 'timestamp with time zone', notNull: true, default: 'now()' },
    ],
    keys: [{ kind: 'primary', name: 'task_requirements_pkey', columns: ['id'] }],
  };
  for (const strategy of ['delete', 'rebuild'] as const) {
    for (const rowEstimate of [1_000, 50_000_000]) {
      const plan = generateMigration(table, { key: ['task_pk', 'requirement_id'], strategy, rowEstimate });
      assert.match(plan.script, /UNIQUE/);
      assert.deepEqual(await findAddedUniqueKeys(plan.script), [], `${strategy}, ${rowEstimate} rows`);
    }
  }
});
