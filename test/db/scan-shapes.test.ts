/**
 * The scan picks its query shape per key from statistics (few groups: hash + window over all groups;
 * near-distinct keys: sort keeping only groups with copies, rows from count(*); no statistics: count
 * pass + sample pass). Every shape must give the same figures and the same sample as plain SQL.
 * The tables are just big enough (120,000 keys) for the near-distinct shape to be chosen after ANALYZE;
 * autovacuum is off on them so that the first scan surely runs without statistics.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DbSession } from '../../src/db/connect';
import type { ScanCheck, ScanReport } from '../../src/db/report';
import { scan } from '../../src/db/scan';
import { freshDb, referenceFigures } from './_db';

let s: DbSession;

before(async () => {
  ({ session: s } = await freshDb(`
    CREATE TABLE public.near (id bigserial PRIMARY KEY, a int NOT NULL, b text, note text, email text, UNIQUE (a, email))
      WITH (autovacuum_enabled = false);
    INSERT INTO public.near (a, b, note) SELECT g, 'x' || (g % 1000), 'n' || g FROM generate_series(1, 120000) g;
    -- 1,000 keys with a second copy, five of them with five copies in all; one copy differs in note.
    INSERT INTO public.near (a, b, note) SELECT g, 'x' || (g % 1000), 'n' || g FROM generate_series(1, 1000) g;
    INSERT INTO public.near (a, b, note) SELECT g, 'x' || (g % 1000), 'n' || g FROM generate_series(1, 5) g, generate_series(1, 3) c;
    UPDATE public.near SET note = 'changed' WHERE id = 120001;
    CREATE TABLE public.named (k0 int, k1 text, c int, t0 text);
    INSERT INTO public.named VALUES (1, 'a', 7, 'p'), (2, 'a', 7, 'p'), (3, 'b', 8, 'p'), (4, 'b', 9, 'q');
    CREATE TABLE public.clean (id bigserial PRIMARY KEY, a int NOT NULL, b text) WITH (autovacuum_enabled = false);
    INSERT INTO public.clean (a, b) SELECT g, 'y' || g FROM generate_series(1, 110000) g;
  `, 'dgshape'));
});

after(async () => {
  await s?.close();
});

const KEYS = { 'public.near': ['a', 'b'], 'public.clean': ['a', 'b'] };

/** The figures and sample of one check, by plain SQL with the planner's defaults. */
async function reference(table: string, cols: string[], where = ''): Promise<unknown[]> {
  const k = cols.join(', ');
  const w = where ? ` WHERE ${where}` : '';
  const top = (await s.client.query(
    `SELECT ${cols.map((x) => `${x}::text AS ${x}`).join(', ')}, count(*)::int AS c, min(id)::text AS i0, max(id)::text AS i1
       FROM ${table}${w} GROUP BY ${k} HAVING count(*) > 1 ORDER BY c DESC, ${k} LIMIT 5`)).rows;
  return [...await referenceFigures(s, table, cols, where),
    // Every table here has an id column: the sample names copies by id, not by ctid.
    top.map((r) => [cols.map((x) => r[x]), r.c, [r.i0, r.i1], undefined])];
}

const pick = (c: ScanCheck) => [c.rows, c.distinct, c.duplicateGroups, c.excessRows, c.maxCopies, c.sample.map((g) => [g.values, g.count, g.ids, g.ctids])];

function checkOf(r: ScanReport, table: string, kind: string): ScanCheck {
  const c = r.tables.find((t) => t.table === table)!.checks.find((x) => x.kind === kind);
  assert.ok(c, `${table}: no ${kind} check`);
  assert.equal(c.error, undefined);
  return c;
}

async function expectations(): Promise<[string, string, unknown[]][]> {
  return [
    ['near', 'key', await reference('public.near', ['a', 'b'])],
    ['near', 'exact-row', await reference('public.near', ['a', 'b', 'note', 'email'])],
    ['near', 'unique-nulls', await reference('public.near', ['a', 'email'], 'email IS NULL')],
    ['clean', 'key', await reference('public.clean', ['a', 'b'])],
    ['clean', 'exact-row', await reference('public.clean', ['a', 'b'])],
  ];
}

test('near-distinct keys: the same figures and sample without statistics and with them', async () => {
  const want = await expectations();
  assert.deepEqual((want[0][2] as unknown[]).slice(0, 5), [121015, 120000, 1000, 1015, 5], 'the table is what the test means');
  const cold = await scan(s, { tables: ['public.near', 'public.clean'], naturalKeys: KEYS, inferKeys: false });
  await s.client.query('ANALYZE public.near; ANALYZE public.clean');
  const warm = await scan(s, { tables: ['public.near', 'public.clean'], naturalKeys: KEYS, inferKeys: false });
  for (const [table, kind, expected] of want) {
    assert.deepEqual(pick(checkOf(cold, table, kind)), expected, `${table} ${kind} without statistics`);
    assert.deepEqual(pick(checkOf(warm, table, kind)), expected, `${table} ${kind} with statistics`);
  }
  assert.equal(warm.tables.find((t) => t.table === 'near')!.rows, 121015);
  assert.equal(checkOf(warm, 'clean', 'key').maxCopies, 1);
  // A key without copies rules whole-row copies out; a key with copies does not.
  assert.match(checkOf(warm, 'clean', 'exact-row').derivedFrom ?? '', /key \(a, b\) has no duplicates/);
  assert.equal(checkOf(warm, 'near', 'exact-row').derivedFrom, undefined);
});

test('a whole-row check follows from any clean key among its columns, in quick mode too once the key is cleared', async () => {
  const partial = await scan(s, { tables: ['public.clean'], naturalKeys: { 'public.clean': ['b'] }, inferKeys: false, exactRows: true });
  assert.equal(checkOf(partial, 'clean', 'key').duplicateGroups, 0);
  // One column of the row is enough: rows equal in (a, b) would be equal in b.
  assert.match(checkOf(partial, 'clean', 'exact-row').derivedFrom ?? '', /key \(b\)/);
  assert.deepEqual(pick(checkOf(partial, 'clean', 'exact-row')), await reference('public.clean', ['a', 'b']));
  const quick = await scan(s, { mode: 'quick', tables: ['public.clean'], naturalKeys: KEYS, inferKeys: false });
  assert.match(checkOf(quick, 'clean', 'exact-row').derivedFrom ?? '', /key \(/);
});

test('near-distinct keys without a sample: counts only', async () => {
  await s.client.query('ANALYZE public.near');
  const r = await scan(s, { tables: ['public.near'], naturalKeys: KEYS, inferKeys: false, sampleSize: 0 });
  const c = checkOf(r, 'near', 'key');
  assert.deepEqual([c.rows, c.distinct, c.duplicateGroups, c.excessRows, c.maxCopies, c.sample], [121015, 120000, 1000, 1015, 5, []]);
});

test('a small work_mem still gives exact figures (sorts and hashes spill to disk)', async () => {
  await s.client.query('ANALYZE public.near');
  const want = await expectations();
  // workMemMb only raises the server's setting: start from 64 kB so that 1 MB is what the scan gets.
  await s.client.query(`SET work_mem = '64kB'`);
  try {
    const r = await scan(s, { tables: ['public.near', 'public.clean'], naturalKeys: KEYS, inferKeys: false, workMemMb: 1 });
    for (const [table, kind, expected] of want) assert.deepEqual(pick(checkOf(r, table, kind)), expected, `${table} ${kind}`);
  } finally {
    await s.client.query('RESET work_mem');
  }
});

test('planner settings end with the scan: the session keeps its own', async () => {
  const settings = `SELECT current_setting('work_mem') AS w, current_setting('enable_hashagg') AS h,
                           current_setting('enable_sort') AS so, current_setting('max_parallel_workers_per_gather') AS p`;
  const beforeScan = (await s.client.query(settings)).rows[0];
  const r = await scan(s, { tables: ['public.near', 'public.clean'], naturalKeys: KEYS, inferKeys: false, workMemMb: 64 });
  assert.equal(r.complete, true);
  assert.deepEqual((await s.client.query(settings)).rows[0], beforeScan);
});

test('columns named like the scan\'s own aliases (k0, k1, c, t0) are grouped as the key says', async () => {
  for (const analyzed of [false, true]) {
    if (analyzed) await s.client.query('ANALYZE public.named');
    const r = await scan(s, { tables: ['public.named'], naturalKeys: { 'public.named': ['k1', 't0'] }, inferKeys: false });
    const k = checkOf(r, 'named', 'key');
    assert.deepEqual([k.rows, k.distinct, k.duplicateGroups, k.maxCopies, k.sample.map((g) => [g.values, g.count])],
      [4, 3, 1, 2, [[['a', 'p'], 2]]], analyzed ? 'with statistics' : 'without statistics');
    const w = checkOf(r, 'named', 'exact-row');
    assert.deepEqual([w.distinct, w.duplicateGroups], [4, 0]);
  }
});
