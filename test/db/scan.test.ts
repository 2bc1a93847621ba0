import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type DbSession } from '../../src/db/connect';
import type { ScanCheck, ScanReport, ScanTable } from '../../src/db/report';
import { parseQualifiedName, scan } from '../../src/db/scan';
import { parseKeySpec } from '../../src/cli/scan';
import { freshDb } from './_db';

let s: DbSession;
let url: string;
let exact: ScanReport;
const role = `dg_limited_${process.pid}`;

// Each ratio table: `distinct` keys, each repeated `copies` times, plus `extra` keys repeated once more.
const RATIOS: { name: string; distinct: number; copies: number; extra: number }[] = [
  { name: 'r_1_01', distinct: 1000, copies: 1, extra: 10 },
  { name: 'r_27', distinct: 40, copies: 27, extra: 0 },
  { name: 'r_632', distinct: 10, copies: 632, extra: 0 },
  { name: 'r_909', distinct: 20, copies: 909, extra: 0 },
  { name: 'r_clean', distinct: 500, copies: 1, extra: 0 },
];

before(async () => {
  const ratioSql = RATIOS.map((r) => `
    CREATE TABLE ratios.${r.name} (id bigserial PRIMARY KEY, task_pk integer NOT NULL, requirement_id integer NOT NULL, note text,
                                   created_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO ratios.${r.name} (task_pk, requirement_id, note)
      SELECT k % 7, k, 'n' || k FROM generate_series(1, ${r.copies}) c, generate_series(1, ${r.distinct}) k;
    INSERT INTO ratios.${r.name} (task_pk, requirement_id, note) SELECT k % 7, k, 'n' || k FROM generate_series(1, ${r.extra}) k;`).join('\n');
  ({ url, session: s } = await freshDb(`
    CREATE SCHEMA ratios;
    ${ratioSql}
    CREATE TABLE public.guests (id serial PRIMARY KEY, reservation_pk int NOT NULL, email text, UNIQUE (reservation_pk, email));
    INSERT INTO guests (reservation_pk, email) VALUES (1, 'a@x'), (1, NULL), (1, NULL), (1, NULL), (2, NULL), (2, NULL), (3, NULL), (3, 'b@x');
    CREATE TABLE public.guests_nnd (id serial PRIMARY KEY, reservation_pk int NOT NULL, email text, UNIQUE NULLS NOT DISTINCT (reservation_pk, email));
    INSERT INTO guests_nnd (reservation_pk, email) VALUES (1, NULL), (2, NULL);
    CREATE TABLE public.time_entries (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), entry_ref int NOT NULL, hours numeric, payload json,
                                      date_entered timestamptz NOT NULL DEFAULT clock_timestamp());
    INSERT INTO time_entries (entry_ref, hours, payload) SELECT k, k / 2.0, json_build_object('k', k) FROM generate_series(1, 44) c, generate_series(1, 100) k;
    CREATE SCHEMA "My Schema";
    CREATE TABLE "My Schema"."select" ("Group" int, "a b" text, "ü" text, "x""y" int, "ORDER" text);
    INSERT INTO "My Schema"."select" VALUES (1, 'p q', 'é', 1, 'o'), (1, 'p q', 'é', 2, 'o'), (1, 'p q', 'é', 3, 'o'), (2, 'r', 'é', 4, 'o');
    CREATE TABLE public.events (id bigserial, k int NOT NULL, v text, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
    CREATE TABLE public.events_low PARTITION OF public.events FOR VALUES FROM (0) TO (50);
    CREATE TABLE public.events_high PARTITION OF public.events FOR VALUES FROM (50) TO (100);
    INSERT INTO public.events (k, v) SELECT g % 100, 'v' || (g % 100) FROM generate_series(1, 300) g;
    CREATE VIEW public.guest_view AS SELECT * FROM public.guests;
    CREATE TABLE public.secret (id serial PRIMARY KEY, a int, b int);
    INSERT INTO public.secret (a, b) VALUES (1, 1), (1, 1);
    CREATE ROLE ${role} LOGIN;
    GRANT USAGE ON SCHEMA ratios TO ${role};
    GRANT SELECT ON ratios.r_27, public.guests TO ${role};
  `));
  exact = await scan(s, {
    naturalKeys: {
      ...Object.fromEntries(RATIOS.map((r) => [`ratios.${r.name}`, ['task_pk', 'requirement_id']])),
      '"My Schema"."select"': ['Group', 'a b', 'ü'],
    },
    inferKeys: false,
  });
});

after(async () => { await s.close(); });

const table = (r: ScanReport, schema: string, name: string): ScanTable => {
  const t = r.tables.find((x) => x.schema === schema && x.table === name);
  assert.ok(t, `${schema}.${name} in the report: ${r.tables.map((x) => `${x.schema}.${x.table}`).join(', ')}`);
  return t;
};
const check = (t: ScanTable, kind: ScanCheck['kind'], source?: ScanCheck['source']): ScanCheck => {
  const c = t.checks.find((x) => x.kind === kind && (!source || x.source === source));
  assert.ok(c, `${kind} check on ${t.table}: ${JSON.stringify(t.checks.map((x) => [x.kind, x.source]))}`);
  return c;
};

test('the scan completes without errors and only on tables', () => {
  assert.equal(exact.version, 1);
  assert.equal(exact.complete, true);
  assert.deepEqual(exact.errors, [], JSON.stringify(exact.errors));
});

for (const r of RATIOS) {
  test(`exact counts at ratio ${((r.distinct * r.copies + r.extra) / r.distinct).toFixed(2)}x (${r.name})`, () => {
    const t = table(exact, 'ratios', r.name);
    const rows = r.distinct * r.copies + r.extra;
    assert.equal(t.rows, rows);
    const c = check(t, 'key', 'config');
    assert.deepEqual(c.columns, ['task_pk', 'requirement_id']);
    assert.equal(c.estimated, false);
    assert.equal(c.rows, rows);
    assert.equal(c.distinct, r.distinct);
    const groups = r.copies > 1 ? r.distinct : r.extra;
    assert.equal(c.duplicateGroups, groups);
    assert.equal(c.excessRows, rows - r.distinct);
    assert.equal(c.maxCopies, r.copies + (r.extra ? 1 : 0));
    assert.equal(c.sample.length, Math.min(5, groups));
    if (groups) {
      const g = c.sample[0];
      assert.equal(g.count, c.maxCopies);
      assert.equal(g.values.length, 2);
      assert.equal(g.ids?.length, 2, 'first and last copy');
      assert.ok(Number(g.ids![0]) < Number(g.ids![1]));
      assert.equal(g.idColumn, 'id');
      assert.equal(g.ctids, undefined, 'copies named by id, not ctid');
      assert.ok((c.reclaimableBytes ?? 0) > 0);
    } else {
      assert.equal(c.reclaimableBytes ?? 0, 0);
    }
    // The copies differ only in id and created_at: the whole-row check agrees with the key.
    const w = check(t, 'exact-row');
    assert.equal(w.excessRows, rows - r.distinct);
    assert.deepEqual(w.ignoredColumns?.map((i) => i.name), ['id', 'created_at']);
  });
}

test('NULL duplicates under a UNIQUE over a nullable column (unique-nulls)', () => {
  const t = table(exact, 'public', 'guests');
  const c = check(t, 'unique-nulls');
  assert.equal(c.source, 'unique-index');
  assert.equal(c.constraint, 'guests_reservation_pk_email_key');
  assert.deepEqual(c.columns, ['reservation_pk', 'email']);
  assert.equal(c.rows, 6, 'rows with a NULL key column');
  assert.equal(c.distinct, 3);
  assert.equal(c.duplicateGroups, 2);
  assert.equal(c.excessRows, 3);
  assert.equal(c.maxCopies, 3);
  assert.deepEqual(c.sample.map((g) => [g.values, g.count]), [[['1', null], 3], [['2', null], 2]]);
  assert.equal(t.rows, 8);
});

test('NULLS NOT DISTINCT keys get no unique-nulls check', () => {
  const t = table(exact, 'public', 'guests_nnd');
  assert.ok(!t.checks.some((c) => c.kind === 'unique-nulls'));
});

test('exact-row ignores surrogate uuid ids and clock_timestamp() defaults, compares json as text (seed 001)', () => {
  const t = table(exact, 'public', 'time_entries');
  const c = check(t, 'exact-row', 'all-columns');
  assert.deepEqual(c.columns, ['entry_ref', 'hours', 'payload']);
  assert.deepEqual(c.ignoredColumns?.map((i) => i.name), ['id', 'date_entered']);
  assert.deepEqual(c.comparedAsText, ['payload']);
  assert.equal(c.rows, 4400);
  assert.equal(c.distinct, 100);
  assert.equal(c.duplicateGroups, 100);
  assert.equal(c.excessRows, 4300);
  assert.equal(c.maxCopies, 44);
  assert.equal(c.sample[0].ids?.length, 2);
  assert.equal(new Set(c.sample[0].ids).size, 2, 'the copies have distinct ids');
});

test('odd identifiers: schema with a space, reserved table name, quotes, upper case, unicode', () => {
  const t = table(exact, 'My Schema', 'select');
  const k = check(t, 'key', 'config');
  assert.deepEqual(k.columns, ['Group', 'a b', 'ü']);
  assert.equal(k.distinct, 2);
  assert.equal(k.excessRows, 2);
  assert.deepEqual(k.sample[0].values, ['1', 'p q', 'é']);
  assert.deepEqual(k.sample[0].ctids, ['(0,1)', '(0,3)']);
  const w = check(t, 'exact-row');
  assert.deepEqual(w.columns, ['Group', 'a b', 'ü', 'x"y', 'ORDER']);
  assert.equal(w.duplicateGroups, 0);
});

test('a partitioned table is scanned once through its parent', () => {
  assert.ok(!exact.tables.some((t) => t.table.startsWith('events_')), 'partitions are not scanned on their own');
  const t = table(exact, 'public', 'events');
  assert.equal(t.kind, 'p');
  assert.equal(t.rows, 300);
  const c = check(t, 'exact-row');
  assert.equal(c.distinct, 100);
  assert.equal(c.excessRows, 200);
});

test('a partition named explicitly is scanned on its own', async () => {
  const r = await scan(s, { tables: ['public.events_low'], inferKeys: false });
  assert.deepEqual(r.tables.map((t) => t.table), ['events_low']);
  assert.equal(r.tables[0].rows, 150);
  assert.equal(r.tables[0].checks.find((c) => c.kind === 'exact-row')!.distinct, 50);
});

test('views are listed as skipped, never scanned', () => {
  assert.ok(!exact.tables.some((t) => t.table === 'guest_view'));
  assert.deepEqual(exact.skipped?.find((x) => x.table === 'guest_view'), { schema: 'public', table: 'guest_view', reason: 'view: its rows live in the tables it reads' });
});

test('summary totals', () => {
  assert.equal(exact.summary.tablesScanned, exact.tables.length);
  assert.ok(exact.summary.tablesWithDuplicates >= 8);
  assert.ok(exact.summary.excessRows > 10 * 631 + 20 * 908);
});

test('a role without SELECT on a table: that table reports permission denied, the others are scanned', async () => {
  const u = new URL(url);
  u.username = role;
  const limited = await connect(u.toString(), { env: {} });
  try {
    const r = await scan(limited, { schemas: ['ratios', 'public'], tables: ['ratios.r_27', 'ratios.r_909', 'public.guests'], naturalKeys: { 'ratios.r_27': ['task_pk', 'requirement_id'] } });
    assert.equal(r.complete, true);
    const denied = table(r, 'ratios', 'r_909');
    assert.match(denied.errors?.[0] ?? '', new RegExp(`permission denied on ratios\\.r_909: not scanned \\(grant SELECT on it to ${role}\\)`));
    assert.ok(r.errors.some((e) => e.table === 'ratios.r_909' && e.code === '42501'));
    assert.equal(check(table(r, 'ratios', 'r_27'), 'key', 'config').excessRows, 40 * 26);
    assert.equal(check(table(r, 'public', 'guests'), 'unique-nulls').excessRows, 3);
  } finally {
    await limited.close();
  }
});

test('--table picks tables; unknown names are reported, case-insensitive match when unambiguous', async () => {
  const r = await scan(s, { tables: ['RATIOS.R_27', 'nope.t'], inferKeys: false });
  assert.deepEqual(r.tables.map((t) => t.table), ['r_27']);
  assert.ok(r.errors.some((e) => /table nope\.t not found/.test(e.message)));
});

test('inferred keys are labelled and skip rows with NULLs', async () => {
  await s.client.query(`CREATE TABLE public.photos (id serial PRIMARY KEY, property_pk int, photo_id int, slug text);
    INSERT INTO photos (property_pk, photo_id, slug) VALUES (1, 10, NULL), (1, 10, NULL), (1, 11, 'a'), (2, NULL, 'a'), (2, NULL, 'b')`);
  const r = await scan(s, { tables: ['public.photos'] });
  const t = table(r, 'public', 'photos');
  const combo = t.checks.find((c) => c.source === 'inferred' && c.columns.join() === 'property_pk,photo_id')!;
  assert.equal(combo.kind, 'key');
  assert.match(combo.reason!, /inferred from column names property_pk, photo_id; not declared unique/);
  assert.equal(combo.rows, 3, 'rows with a NULL in the candidate key are left out');
  assert.equal(combo.excessRows, 1);
  const slug = t.checks.find((c) => c.source === 'inferred' && c.columns.join() === 'slug')!;
  assert.equal(slug.excessRows, 1);
});

test('quick mode marks every figure as estimated and finds the heavy duplication from statistics', async () => {
  await s.client.query('ANALYZE');
  // Small tables fit in the sample budget and are counted: statistics only is for very large ones.
  const r = await scan(s, { mode: 'quick', tables: ['ratios.r_909', 'ratios.r_clean'], naturalKeys: { 'ratios.r_909': ['requirement_id'], 'ratios.r_clean': ['requirement_id'] }, inferKeys: false,
    quickTuning: { statisticsAboveRows: 1 } });
  const heavy = check(table(r, 'ratios', 'r_909'), 'key', 'config');
  assert.equal(heavy.estimated, true);
  assert.equal(heavy.estimateMethod, 'statistics');
  assert.equal(heavy.distinct, 20);
  assert.equal(heavy.excessRows, 20 * 908);
  const clean = check(table(r, 'ratios', 'r_clean'), 'key', 'config');
  assert.equal(clean.duplicateGroups, 0);
  assert.equal(r.mode, 'quick');
  assert.ok(table(r, 'ratios', 'r_909').rowsEstimated);
});

test('quick mode samples with TABLESAMPLE when statistics cannot answer', async () => {
  // json has no n_distinct statistics: the whole-row estimate must come from a sample.
  const r = await scan(s, { mode: 'quick', tables: ['public.time_entries'], sampleRows: 2000, inferKeys: false, quickTuning: { maxSampleRows: 2000 } });
  const w = check(table(r, 'public', 'time_entries'), 'exact-row');
  assert.equal(w.estimateMethod, 'tablesample');
  assert.equal(w.estimated, true);
  assert.ok(w.excessRows > 0.8 * 4300 && w.excessRows <= 4400, `estimate ${w.excessRows}`);
  assert.ok(w.distinct >= 100 && w.distinct < 600, `estimate ${w.distinct}`);
  assert.ok(w.excessRowsLow! <= w.excessRows && w.excessRows <= w.excessRowsHigh!, 'the point lies in its interval');
});

test('key specs and qualified names honour quotes', () => {
  // Columns as written: a quoted one keeps its quotes (matched exactly), a bare one is folded by the scan.
  assert.deepEqual(parseKeySpec('"My Schema"."select"="a b",ü'), { table: '"My Schema"."select"', columns: ['"a b"', 'ü'] });
  assert.deepEqual(parseKeySpec('public.Select=User, "Order"'), { table: 'public.Select', columns: ['User', '"Order"'] });
  assert.deepEqual(parseKeySpec('public.t=a,b'), { table: 'public.t', columns: ['a', 'b'] });
  assert.throws(() => parseKeySpec('public.t'), /expected schema.table=col1,col2/);
  assert.deepEqual(parseQualifiedName('"a.b"."c""d"'), ['a.b', 'c"d']);
  assert.deepEqual(parseQualifiedName('t'), [undefined, 't']);
  assert.throws(() => parseQualifiedName('a.b.c'), /not a table name/);
});

test('after ANALYZE the one-pass shape (counts and largest groups together) gives the same figures', async () => {
  await s.client.query('ANALYZE');
  const keys = Object.fromEntries(RATIOS.map((r) => [`ratios.${r.name}`, ['task_pk', 'requirement_id']]));
  const again = await scan(s, { schemas: ['ratios'], naturalKeys: keys, inferKeys: false });
  for (const r of RATIOS) {
    const before = check(table(exact, 'ratios', r.name), 'key', 'config');
    const now = check(table(again, 'ratios', r.name), 'key', 'config');
    const pick = (c: ScanCheck) => [c.rows, c.distinct, c.duplicateGroups, c.excessRows, c.maxCopies, c.sample.map((g) => [g.values, g.count, g.ids, g.ctids])];
    assert.deepEqual(pick(now), pick(before), r.name);
  }
});
