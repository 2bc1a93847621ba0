import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { findAddedUniqueKeys, violationFromRow, violationQuery } from '../../../src/vscode/uniqueDdl';

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

test('the count query leaves NULL keys out unless NULLS NOT DISTINCT, and keeps a partial predicate', async () => {
  const [plain, nnd, partial] = await findAddedUniqueKeys([
    'ALTER TABLE s.t ADD UNIQUE (a, "B");',
    'ALTER TABLE t ADD UNIQUE NULLS NOT DISTINCT (a);',
    'CREATE UNIQUE INDEX ON t (a) WHERE live;',
  ].join('\n'));
  const q = violationQuery(plain);
  assert.match(q, /FROM s\.t WHERE a IS NOT NULL AND "B" IS NOT NULL GROUP BY a, "B"\) AS s$/);
  assert.match(q, /count\(\*\) FILTER \(WHERE c > 1\)/);
  assert.match(violationQuery(nnd), /FROM t GROUP BY a\)/);
  assert.match(violationQuery(partial), /FROM t WHERE \(live\) AND a IS NOT NULL GROUP BY a\)/);
  assert.deepEqual(violationFromRow({ rows: '1000', distinct_keys: '37', groups: '37', max_copies: '28' }),
    { rows: 1000, distinctKeys: 37, duplicateGroups: 37, excessRows: 963, maxCopies: 28 });
});
