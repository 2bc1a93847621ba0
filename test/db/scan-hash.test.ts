/**
 * Near-distinct wide keys (text, several columns) are counted in two passes: one sort of an int8 hash
 * of the key per row finds the hashes that occur more than once, and a filtered pass groups only their
 * rows by the key itself. The figures and the sample must be those of plain SQL whatever the hash does:
 * distinct keys that share a hash (forced here by keeping a few bits of it), NULLs, values equal but
 * printed differently, a non-deterministic collation, statistics that no longer match the table (909
 * copies per key where ANALYZE saw distinct keys), too many candidates for one literal, no copies at all.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DbSession } from '../../src/db/connect';
import type { ScanCheck, ScanReport } from '../../src/db/report';
import { scan, type HashTuning } from '../../src/db/scan';

/** The hash knobs the next scan of a test runs with (reset after each test). */
let hashing: HashTuning = {};
import { freshDb, referenceFigures } from './_db';

let s: DbSession;

before(async () => {
  ({ session: s } = await freshDb(`
    CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
    -- 120,000 e-mail-like keys, 1,200 of them copied once (~1.01x), ten of them four times more.
    CREATE TABLE mails (id bigserial PRIMARY KEY, email text NOT NULL, name text) WITH (autovacuum_enabled = false);
    INSERT INTO mails (email, name) SELECT 'user' || g || '.' || md5(g::text) || '@example.com', 'n' || g FROM generate_series(1, 120000) g;
    INSERT INTO mails (email, name) SELECT 'user' || g || '.' || md5(g::text) || '@example.com', 'c' || g FROM generate_series(1, 1200) g;
    INSERT INTO mails (email, name) SELECT 'user' || g || '.' || md5(g::text) || '@example.com', 'd' || g FROM generate_series(1, 10) g, generate_series(1, 4) c;
    -- A nullable two-column key: copies with a NULL in either column, or in both.
    CREATE TABLE pairs (id serial PRIMARY KEY, a int, b text, note text) WITH (autovacuum_enabled = false);
    INSERT INTO pairs (a, b, note) SELECT g, 'pair-value-' || g, 'n' FROM generate_series(1, 120000) g;
    INSERT INTO pairs (a, b, note) VALUES (NULL, 'pair-value-5', 'x'), (NULL, 'pair-value-5', 'y'), (NULL, 'pair-value-5', 'z'),
      (6, NULL, 'x'), (6, NULL, 'y'), (NULL, NULL, 'x'), (NULL, NULL, 'y'), (NULL, NULL, 'z'), (NULL, NULL, 'w'),
      (7, 'pair-value-7', 'x'), (8, 'pair-value-8', 'x'), (8, 'pair-value-8', 'y');
    -- Under a case-insensitive collation 'Key-..-A' and 'key-..-a' are one value; numerics equal but printed apart.
    CREATE TABLE cased (id serial PRIMARY KEY, k text COLLATE ci NOT NULL, n numeric NOT NULL) WITH (autovacuum_enabled = false);
    INSERT INTO cased (k, n) SELECT 'Key-' || g || '-Value-A', g FROM generate_series(1, 120000) g;
    INSERT INTO cased (k, n) SELECT 'key-' || g || '-value-a', (g || '.00')::numeric FROM generate_series(1, 300) g;
    INSERT INTO cased (k, n) SELECT 'KEY-' || g || '-VALUE-A', (g || '.0')::numeric FROM generate_series(1, 3) g;
    -- Every type the hash is written for, in one near-distinct key; no id column (the sample names copies by ctid).
    CREATE TABLE typed (i2 int2, i4 int4, i8 int8, o oid, bo bool, t text, v varchar(40), c char(12), nu numeric, f4 float4, f8 float8,
                        u uuid, d date, ts timestamp, tz timestamptz, ti time, tt timetz, iv interval, ip inet, j jsonb)
      WITH (autovacuum_enabled = false);
    INSERT INTO typed SELECT g % 30000, g, g * 7, g, g % 2 = 0, 't' || g, 'v' || g, 'c' || g, g / 4.0, g / 8.0, g / 3.0,
        md5(g::text)::uuid, date '2000-01-01' + g, timestamp '2000-01-01' + g * interval '1 minute', timestamptz '2000-01-01 00:00+00' + g * interval '1 second',
        time '00:00' + (g % 86400) * interval '1 second', (time '00:00' + (g % 86400) * interval '1 second')::timetz, g * interval '1 second',
        ('10.' || (g / 65536) || '.' || (g / 256 % 256) || '.' || (g % 256))::inet, jsonb_build_object('g', g)
      FROM generate_series(1, 120000) g;
    -- Copies equal under each type's equality: -0 and 0, 1.50 and 1.5, '{"g": 1}' spelled apart, char padding.
    INSERT INTO typed SELECT i2, i4, i8, o, bo, t, v, rtrim(c) || '  ', nu * 1.00, f4, f8, u, d, ts, tz, ti, tt, iv, ip, ('{ "g" : ' || (j ->> 'g') || ' }')::jsonb
      FROM typed WHERE i4 <= 500;
    INSERT INTO typed (i4, f8) VALUES (0, -0.0), (0, 0.0);
    -- The same keys in random order under a btree index: the index orders them, no hash pass.
    CREATE TABLE ixmails (id bigserial PRIMARY KEY, email text NOT NULL) WITH (autovacuum_enabled = false);
    INSERT INTO ixmails (email) SELECT email FROM mails ORDER BY md5(id::text);
    CREATE INDEX ixmails_email ON ixmails (email);
    -- Clean: no key is copied.
    CREATE TABLE clean (id serial PRIMARY KEY, email text NOT NULL) WITH (autovacuum_enabled = false);
    INSERT INTO clean (email) SELECT 'clean-user-' || g || '@example.com' FROM generate_series(1, 120000) g;
    ANALYZE;
  `, 'dghash'));
  // All visible: the index can be read without the heap.
  await s.client.query('VACUUM ixmails');
});

after(async () => {
  await s?.close();
});

afterEach(() => {
  hashing = {};
});

/** Runs a scan and returns its report with every statement it sent. */
async function scanLogged(opts: Parameters<typeof scan>[1]): Promise<{ report: ScanReport; sql: string[] }> {
  const sql: string[] = [];
  const client = s.client as unknown as { query: (text: unknown, ...rest: unknown[]) => unknown };
  const original = client.query;
  client.query = function (this: unknown, text: unknown, ...rest: unknown[]) {
    sql.push(typeof text === 'string' ? text : (text as { text: string }).text);
    return original.call(this, text, ...rest);
  };
  try {
    return { report: await scan(s, { hashing, ...opts }), sql };
  } finally {
    client.query = original;
  }
}

function checkOf(r: ScanReport, table: string, kind: string): ScanCheck {
  const c = r.tables.find((t) => t.table === table)!.checks.find((x) => x.kind === kind);
  assert.ok(c, `${table}: no ${kind} check`);
  assert.equal(c.error, undefined);
  return c;
}

/** Figures and the five largest groups (count, first and last id or ctid; ties by key) by plain SQL. */
async function reference(table: string, cols: string[], ident: 'id' | 'ctid', where = ''): Promise<unknown[]> {
  const k = cols.join(', ');
  const w = where ? ` WHERE ${where}` : '';
  const top = (await s.client.query(
    `SELECT count(*)::int AS c, min(${ident})::text AS i0, max(${ident})::text AS i1
       FROM ${table}${w} GROUP BY ${k} HAVING count(*) > 1 ORDER BY 1 DESC, ${k} LIMIT 5`)).rows;
  return [...await referenceFigures(s, table, cols, where), top.map((r) => [r.c, [r.i0, r.i1]])];
}

const pick = (c: ScanCheck, ident: 'id' | 'ctid') => [c.rows, c.distinct, c.duplicateGroups, c.excessRows, c.maxCopies,
  c.sample.map((g) => [g.count, ident === 'id' ? g.ids : g.ctids]).sort((x, y) => (y[0] as number) - (x[0] as number) || String(x[1]).localeCompare(String(y[1])))];

const sortedRef = (ref: unknown[]) => [...ref.slice(0, 5), (ref[5] as [number, string[]][]).sort((x, y) => y[0] - x[0] || String(x[1]).localeCompare(String(y[1])))];

const hashed = (sql: string[]) => sql.some((q) => /GROUP BY 1 HAVING pg_catalog\.count\(\*\) > 1 LIMIT/.test(q)) && sql.some((q) => /OPERATOR\(pg_catalog\.=\) ANY \(\$1::pg_catalog\.int8\[\]\)/.test(q));

test('a near-distinct text key (~1.01x): hash pass, then the candidates grouped by the key', async () => {
  const { report, sql } = await scanLogged({ tables: ['public.mails'], naturalKeys: { 'public.mails': ['email'] }, inferKeys: false });
  assert.ok(hashed(sql), 'the two-pass shape was chosen');
  const k = checkOf(report, 'mails', 'key');
  const want = await reference('mails', ['email'], 'id');
  assert.deepEqual(want.slice(0, 5), [121240, 120000, 1200, 1240, 6], 'the table is what the test means');
  assert.deepEqual(pick(k, 'id'), sortedRef(want));
  assert.match(k.sample[0].values[0] ?? '', /^user\d+\.[0-9a-f]{32}@example\.com$/);
  // The key's groups narrow the whole-row pass as before.
  const w = checkOf(report, 'mails', 'exact-row');
  assert.match(w.narrowedTo ?? '', /1,200 duplicate groups/);
  assert.deepEqual(pick(w, 'id'), sortedRef(await reference('mails', ['email', 'name'], 'id')));
});

test('distinct keys sharing a hash (a few bits kept, or none) still give exact figures', async () => {
  const want = sortedRef(await reference('mails', ['email'], 'id'));
  for (const bits of [0, 3, 12]) {
    hashing = { bits };
    const { report, sql } = await scanLogged({ tables: ['public.mails'], naturalKeys: { 'public.mails': ['email'] }, inferKeys: false, exactRows: false });
    assert.ok(hashed(sql), `${bits} bits: the two-pass shape was chosen`);
    assert.deepEqual(pick(checkOf(report, 'mails', 'key'), 'id'), want, `${bits} bits`);
  }
  // A narrow key (two ints) hashes too when the test asks for it: 4 bits, every bucket mixes thousands of keys.
  hashing = { bits: 4 };
  const { report } = await scanLogged({ tables: ['public.pairs'], naturalKeys: { 'public.pairs': ['a', 'b'] }, inferKeys: false, exactRows: false });
  assert.deepEqual(pick(checkOf(report, 'pairs', 'key'), 'id'), sortedRef(await reference('pairs', ['a', 'b'], 'id')));
});

test('nullable key columns: NULLs group together, as GROUP BY has them', async () => {
  const { report, sql } = await scanLogged({ tables: ['public.pairs'], naturalKeys: { 'public.pairs': ['a', 'b'] }, inferKeys: false, sampleSize: 10 });
  assert.ok(hashed(sql));
  const k = checkOf(report, 'pairs', 'key');
  const want = await reference('pairs', ['a', 'b'], 'id');
  // (NULL, NULL) x4, (NULL, 'pair-value-5') x3, (8, ...) x3 and (7, ...) x2 with their original rows, (6, NULL) x2.
  assert.deepEqual(want.slice(0, 5), [120012, 120003, 5, 9, 4]);
  assert.deepEqual(pick(k, 'id').slice(0, 5), want.slice(0, 5));
  const groups = (c: ScanCheck) => c.sample.map((g) => JSON.stringify([g.values, g.count])).sort();
  assert.deepEqual(groups(k), [[['6', null], 2], [['7', 'pair-value-7'], 2], [['8', 'pair-value-8'], 3], [[null, 'pair-value-5'], 3], [[null, null], 4]]
    .map((g) => JSON.stringify(g)).sort());
});

test('a non-deterministic collation and numerics equal but printed apart hash as their equality says', async () => {
  const { report, sql } = await scanLogged({ tables: ['public.cased'], naturalKeys: { 'public.cased': ['k', 'n'] }, inferKeys: false, exactRows: false });
  assert.ok(hashed(sql));
  const k = checkOf(report, 'cased', 'key');
  const want = await reference('cased', ['k', 'n'], 'id');
  assert.deepEqual(want.slice(0, 5), [120303, 120000, 300, 303, 3]);
  assert.deepEqual(pick(k, 'id'), sortedRef(want));
});

test('every hashed type: values equal under their type\'s equality are one group (no id: ctids of the sample)', async () => {
  const cols = ['i2', 'i4', 'i8', 'o', 'bo', 't', 'v', 'c', 'nu', 'f4', 'f8', 'u', 'd', 'ts', 'tz', 'ti', 'tt', 'iv', 'ip', 'j'];
  await s.client.query(`SET TimeZone = 'America/New_York'`);
  try {
    const { report, sql } = await scanLogged({ tables: ['public.typed'], naturalKeys: { 'public.typed': cols }, inferKeys: false, exactRows: false });
    assert.ok(hashed(sql));
    const k = checkOf(report, 'typed', 'key');
    const want = await reference('typed', cols, 'ctid');
    // The 500 copies, and (0, -0) with (0, 0) in an otherwise NULL row.
    assert.deepEqual(want.slice(0, 5), [120502, 120001, 501, 501, 2]);
    assert.deepEqual(pick(k, 'ctid'), sortedRef(want));
    assert.ok(k.sample.every((g) => g.ctids?.length === 2), JSON.stringify(k.sample));
    // -0 and 0 are one float8 value.
    const zero = await scanLogged({ tables: ['public.typed'], naturalKeys: { 'public.typed': ['f8', 't', 'v'] }, inferKeys: false, exactRows: false });
    assert.ok(hashed(zero.sql));
    assert.deepEqual(pick(checkOf(zero.report, 'typed', 'key'), 'ctid'), sortedRef(await reference('typed', ['f8', 't', 'v'], 'ctid')));
  } finally {
    await s.client.query('RESET TimeZone');
  }
});

test('statistics that no longer hold: 909 copies per key where ANALYZE saw distinct keys', async () => {
  await s.client.query(`
    CREATE TABLE stale (id serial PRIMARY KEY, email text NOT NULL) WITH (autovacuum_enabled = false);
    INSERT INTO stale (email) SELECT 'stale-user-' || g || '@example.com' FROM generate_series(1, 120000) g;
    ANALYZE stale;
    DELETE FROM stale;
    INSERT INTO stale (email) SELECT 'stale-user-' || (g % 132) || '@example.com' FROM generate_series(1, 132 * 909) g;`);
  try {
    const { report, sql } = await scanLogged({ tables: ['public.stale'], naturalKeys: { 'public.stale': ['email'] }, inferKeys: false, exactRows: false });
    assert.ok(hashed(sql));
    const want = await reference('stale', ['email'], 'id');
    assert.deepEqual(want.slice(0, 5), [119988, 132, 132, 119856, 909]);
    assert.deepEqual(pick(checkOf(report, 'stale', 'key'), 'id'), sortedRef(want));
  } finally {
    await s.client.query('DROP TABLE stale');
  }
});

test('more candidate hashes than one literal carries: the key is grouped directly, same figures', async () => {
  hashing = { candidates: 100 };
  const { report, sql } = await scanLogged({ tables: ['public.mails'], naturalKeys: { 'public.mails': ['email'] }, inferKeys: false, exactRows: false });
  assert.ok(sql.some((q) => /LIMIT 101\) AS s/.test(q)), 'the hash pass stopped after the cap');
  assert.ok(!sql.some((q) => /OPERATOR\(pg_catalog\.=\) ANY \(\$1::pg_catalog\.int8\[\]\)/.test(q)), 'no filtered pass');
  assert.deepEqual(pick(checkOf(report, 'mails', 'key'), 'id'), sortedRef(await reference('mails', ['email'], 'id')));
});

test('no copies: the hash pass alone answers, and whole rows follow from the clean key', async () => {
  const { report, sql } = await scanLogged({ tables: ['public.clean'], naturalKeys: { 'public.clean': ['email'] }, inferKeys: false });
  assert.ok(sql.some((q) => /GROUP BY 1 HAVING pg_catalog\.count\(\*\) > 1 LIMIT/.test(q)));
  assert.ok(!sql.some((q) => /OPERATOR\(pg_catalog\.=\) ANY \(\$1::pg_catalog\.int8\[\]\)/.test(q)), 'no filtered pass without candidates');
  const k = checkOf(report, 'clean', 'key');
  assert.deepEqual([k.rows, k.distinct, k.duplicateGroups, k.excessRows, k.maxCopies, k.sample], [120000, 120000, 0, 0, 1, []]);
  assert.match(checkOf(report, 'clean', 'exact-row').derivedFrom ?? '', /key \(email\) has no duplicates/);
});

test('a btree index on a near-distinct key: grouped in index order without ids, the sample\'s ids read back by value', async () => {
  const { report, sql } = await scanLogged({ tables: ['public.ixmails'], naturalKeys: { 'public.ixmails': ['email'] }, inferKeys: false, exactRows: false });
  assert.ok(!hashed(sql), 'no hash pass');
  const pass = sql.find((q) => /GROUP BY "?email"? HAVING pg_catalog\.count\(\*\) > 1/.test(q));
  assert.ok(pass && !/pg_catalog\.min\("?id"?\)/.test(pass), 'no ids in the pass over every row');
  assert.ok(sql.some((q) => /CASE WHEN/.test(q) && /pg_catalog\.min\("?id"?\)/.test(q)), 'the ids of the sample read by value');
  const k = checkOf(report, 'ixmails', 'key');
  assert.deepEqual(pick(k, 'id'), sortedRef(await reference('ixmails', ['email'], 'id')));
  assert.ok(k.sample.every((g) => g.ids?.length === 2 && g.idColumn === 'id'));
});
