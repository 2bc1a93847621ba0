/**
 * Grouping keys the fast way must not change the groups: text under a deterministic collation is
 * grouped under COLLATE "C" (same groups, byte comparisons), text under a non-deterministic collation
 * keeps it ('A' and 'a' one group under a case-insensitive ICU collation), a btree index on the key
 * keeps the column's collation and gives the GROUP BY order; and the near-distinct shape of a table
 * without an id column finds the first and last ctid of each sample group by reading its values back
 * (NULLs, floats, numerics equal but printed differently, timestamps, quotes).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DbSession } from '../../src/db/connect';
import { listTables } from '../../src/db/introspect';
import type { ScanCheck, ScanReport } from '../../src/db/report';
import { scan } from '../../src/db/scan';
import { freshDb } from './_db';

let s: DbSession;

before(async () => {
  ({ session: s } = await freshDb(`
    CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
    CREATE TABLE words (id serial PRIMARY KEY, w text COLLATE ci, v varchar(20) COLLATE "en-US-x-icu", c char(4), n text[]);
    INSERT INTO words (w, v, c, n) VALUES ('Apple', 'b', 'x', '{a}'), ('apple', 'B', 'x  ', '{a}'), ('APPLE', 'b', 'y', '{A}'),
      ('pear', 'ä', 'y', '{A}'), ('Pear', 'a', 'y', NULL), ('fig', 'ä', NULL, NULL);
    CREATE TABLE indexed (id serial PRIMARY KEY, a int NOT NULL, b text COLLATE "en-US-x-icu" NOT NULL);
    CREATE INDEX indexed_b_a ON indexed (b, a);
    INSERT INTO indexed (a, b) SELECT g % 50, 'k' || (g % 7) FROM generate_series(1, 400) g;
    -- Near-distinct (120,000 keys after ANALYZE), no id column: the sample's ctids come from a second read.
    CREATE TABLE noid (f float8, n numeric, t timestamptz, s text, ch char(4) DEFAULT 'abcd', bits bit(3) DEFAULT B'101');
    INSERT INTO noid SELECT g / 3.0, g, timestamptz '2024-01-01 00:00:00.123456+00' + g * interval '1 second', 'it''s ' || g
      FROM generate_series(1, 120000) g;
    INSERT INTO noid VALUES (1 / 3.0, 1.00, timestamptz '2024-01-01 00:00:01.123456+00', 'it''s 1'),
      (2 / 3.0, 2, timestamptz '2024-01-01 00:00:02.123456+00', 'it''s 2'), (2 / 3.0, 2.000, timestamptz '2024-01-01 00:00:02.123456+00', 'it''s 2'),
      (NULL, 7, NULL, 'seven'), (NULL, 7.0, NULL, 'seven');
    -- Near-distinct key (a, b) with copies: whole-row copies only among them, some with a NULL in the key.
    CREATE TABLE narrow (id serial PRIMARY KEY, a int, b text COLLATE "en-US-x-icu", note text, ch char(4) DEFAULT 'abcd', tags int[] DEFAULT '{1,2}');
    INSERT INTO narrow (a, b, note) SELECT g, 'b' || g, 'n' FROM generate_series(1, 120000) g;
    INSERT INTO narrow (a, b, note) SELECT g, 'b' || g, CASE WHEN g % 2 = 0 THEN 'n' ELSE 'other' END FROM generate_series(1, 40) g;
    INSERT INTO narrow (a, b, note) VALUES (NULL, 'x', 'n'), (NULL, 'x', 'n'), (NULL, 'x', 'n'), (7, NULL, 'n'), (7, NULL, 'n'), (7, NULL, 'm'),
      (8, 'B8', 'n'), (8, 'b8 ', 'n'), (9, 'it''s "q" \\', 'n'), (9, 'it''s "q" \\', 'n');
    ANALYZE;
  `, 'dgcoll'));
});

after(async () => {
  await s?.close();
});

function check(r: ScanReport, table: string, kind: string, columns: string[]): ScanCheck {
  const c = r.tables.find((t) => t.table === table)!.checks.find((x) => x.kind === kind && x.columns.join() === columns.join());
  assert.ok(c, `${table}: no ${kind} check on ${columns.join(', ')}`);
  assert.equal(c.error, undefined);
  return c;
}

/** Figures and sample by plain SQL under the columns' own collations. */
async function reference(table: string, cols: string[], ident: 'id' | 'ctid'): Promise<unknown[]> {
  const k = cols.join(', ');
  const c = (await s.client.query(
    `SELECT coalesce(sum(c), 0)::int8 AS rows, count(*)::int8 AS d, count(*) FILTER (WHERE c > 1)::int8 AS g, coalesce(max(c), 0)::int8 AS m
       FROM (SELECT count(*) AS c FROM ${table} GROUP BY ${k}) x`)).rows[0];
  const top = (await s.client.query(
    `SELECT count(*)::int AS c, min(${ident})::text AS i0, max(${ident})::text AS i1
       FROM ${table} GROUP BY ${k} HAVING count(*) > 1 ORDER BY 1 DESC, 2`)).rows;
  return [Number(c.rows), Number(c.d), Number(c.g), Number(c.m), top.map((r) => [r.c, [r.i0, r.i1]]).sort()];
}

const pick = (c: ScanCheck, ident: 'id' | 'ctid') => [c.rows, c.distinct, c.duplicateGroups, c.maxCopies,
  c.sample.map((g) => [g.count, ident === 'id' ? g.ids : g.ctids]).sort()];

test('introspection: which text columns compare by bytes, and the btree indexes\' leading columns', async () => {
  const tables = await listTables(s.client, { schemas: ['public'] });
  const words = tables.find((t) => t.name === 'words')!;
  const byteEqual = Object.fromEntries(words.columns.map((c) => [c.name, !!c.byteEqual]));
  assert.deepEqual(byteEqual, { id: false, w: false, v: true, c: true, n: false });
  assert.deepEqual(tables.find((t) => t.name === 'indexed')!.btreeColumns, [['id'], ['b', 'a']]);
});

test('a non-deterministic collation keeps its equality; deterministic ones (ICU, char, arrays) give the same groups as plain SQL', async () => {
  const keys = { 'public.words': ['w'] };
  const r = await scan(s, { tables: ['public.words'], naturalKeys: keys, inferKeys: false, sampleSize: 10 });
  const w = check(r, 'words', 'key', ['w']);
  // 'Apple', 'apple', 'APPLE' are one value under ci; 'pear', 'Pear' another.
  assert.deepEqual([w.rows, w.distinct, w.duplicateGroups, w.excessRows, w.maxCopies], [6, 3, 2, 3, 3]);
  assert.deepEqual(pick(w, 'id'), await reference('words', ['w'], 'id'));
  for (const cols of [['v'], ['c'], ['v', 'c'], ['n']]) {
    const r2 = await scan(s, { tables: ['public.words'], naturalKeys: { 'public.words': cols }, inferKeys: false, exactRows: false, sampleSize: 10 });
    assert.deepEqual(pick(check(r2, 'words', 'key', cols), 'id'), await reference('words', cols, 'id'), cols.join());
  }
  const v = check(await scan(s, { tables: ['public.words'], naturalKeys: { 'public.words': ['v'] }, inferKeys: false }), 'words', 'key', ['v']);
  // 'b' and 'B' differ under en-US (deterministic), as in plain SQL; 'ä' twice is one group.
  assert.deepEqual([v.distinct, v.duplicateGroups], [4, 2]);
});

test('a btree index on the key (in another column order) gives the same figures', async () => {
  const r = await scan(s, { tables: ['public.indexed'], naturalKeys: { 'public.indexed': ['a', 'b'] }, inferKeys: false, sampleSize: 50 });
  const k = check(r, 'indexed', 'key', ['a', 'b']);
  assert.deepEqual(pick(k, 'id'), await reference('indexed', ['a', 'b'], 'id'));
  assert.deepEqual([k.distinct, k.duplicateGroups], [350, 50]);
  // The sample's values stay in the key's column order, whatever the index's.
  assert.match(k.sample[0].values[1] ?? '', /^k\d$/);
});

test('near-distinct key of a table without an id: ctids of each sample group read back by value (NULLs, floats, numerics, timestamps)', async () => {
  // char(4) and bit(3) read back without a length (char and bit alone would mean one character, one bit).
  const cols = ['f', 'n', 't', 's', 'ch', 'bits'];
  const r = await scan(s, { tables: ['public.noid'], naturalKeys: { 'public.noid': cols }, inferKeys: false, exactRows: false });
  const k = check(r, 'noid', 'key', cols);
  assert.deepEqual([k.rows, k.distinct, k.duplicateGroups, k.maxCopies], [120005, 120001, 3, 3]);
  assert.deepEqual(pick(k, 'ctid'), await reference('noid', cols, 'ctid'));
  assert.ok(k.sample.every((g) => g.ctids?.length === 2 && g.ids === undefined), JSON.stringify(k.sample));
  assert.ok(k.sample.some((g) => g.values[0] === null), 'a group with NULLs is in the sample');
});

test('whole rows of a near-distinct table read only within the key\'s duplicate groups, NULL keys included: the same figures as a full pass', async () => {
  const r = await scan(s, { tables: ['public.narrow'], naturalKeys: { 'public.narrow': ['a', 'b', 'ch'] }, inferKeys: false, sampleSize: 100 });
  const key = check(r, 'narrow', 'key', ['a', 'b', 'ch']);
  assert.deepEqual(pick(key, 'id'), await reference('narrow', ['a', 'b', 'ch'], 'id'));
  const w = check(r, 'narrow', 'exact-row', ['a', 'b', 'note', 'ch', 'tags']);
  const want = await reference('narrow', ['a', 'b', 'note', 'ch', 'tags'], 'id');
  // 20 keys copied with the same note, (NULL, 'x') three times, (7, NULL) twice alike, the quoted value twice.
  assert.deepEqual(want.slice(0, 4), [120050, 120026, 23, 3]);
  assert.deepEqual(pick(w, 'id'), want);
  assert.match(w.narrowedTo ?? '', /^the rows of key \(a, b, ch\)'s 43 duplicate groups/);
  // Without the key, the same whole-row figures from a full pass.
  const full = check(await scan(s, { tables: ['public.narrow'], inferKeys: false, sampleSize: 100 }), 'narrow', 'exact-row', ['a', 'b', 'note', 'ch', 'tags']);
  assert.equal(full.narrowedTo, undefined);
  assert.deepEqual(pick(full, 'id'), want);
  // A key with an array column is not carried over (its values would need arrays of arrays): a full pass.
  const arrays = await scan(s, { tables: ['public.narrow'], naturalKeys: { 'public.narrow': ['a', 'tags'] }, inferKeys: false, sampleSize: 100 });
  const wa = check(arrays, 'narrow', 'exact-row', ['a', 'b', 'note', 'ch', 'tags']);
  assert.equal(wa.narrowedTo, undefined);
  assert.deepEqual(pick(wa, 'id'), want);
});
