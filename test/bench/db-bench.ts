/**
 * `npm run bench:db`: the scan's cost per key against the cheapest full read of the same table
 * (`SELECT count(*)`, parallel), measured in the same run on a private PostgreSQL. Target: ≤ 5x the
 * floor per key.
 *
 *   DUPGUARD_BENCH_ROWS=3000000 npm run bench:db     (default 3,000,000 rows per table)
 *
 * Three tables of that size:
 * - heavy: seed 002's shape (909 copies of each key): few groups, a parallel hash aggregate;
 * - light: the opposite extreme (every key distinct but 1%), integer key: millions of groups, a sort;
 * - emails: a near-distinct text key (random-looking emails, 1% copied) in a database whose default
 *   collation is ICU en-US when the server has ICU (else the cluster's default): text sorts compare
 *   under COLLATE "C" when the collation is deterministic.
 * Each table gets its configured key check and the whole-row check (ids ignored); the engine's times
 * are per check (wall) and the server CPU of both, next to the floor's. The last lines list every
 * check's ratio.
 *
 * Quick mode (issue 19), in the same run, at DUPGUARD_BENCH_QUICK_ROWS (default 3,000,000 and
 * 10,000,000; each size's tables built once): five tables, heavy (909 copies per int-pair key), light
 * (int-pair key, 1% of rows copies), emails (ICU text key, 1% copies), rows45 (every row 45 times
 * behind uuid ids: the whole-row check) and none (no duplicates). Per check: the truth from an exact
 * GROUP BY, the quick estimate with its 95% interval, the point's error, whether the interval holds
 * the truth, and, per table, the server CPU of the quick scan (both checks). Then light, emails and
 * none again with a non-unique btree index on the key (marked +idx): the index probe. "before" is the
 * estimator quick mode had until then (planner statistics, else a 1% page sample with Duj1), run on
 * the same tables. Figures, not timed tests.
 *
 *   DUPGUARD_BENCH_PART=quick npm run bench:db      (only the quick part; exact = only the first)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connect, type DbSession } from '../../src/db/connect';
import type { ScanCheck } from '../../src/db/report';
import { scan } from '../../src/db/scan';
import { quoteIdent, quoteQualified } from '../../src/core/quote';
import { startPostgres } from '../support/postgres';

const ROWS = Number(process.env.DUPGUARD_BENCH_ROWS ?? 3_000_000);
const RUNS = 3;

/** The postmaster of the private server, whose process tree does nothing but this bench's queries. */
let postmaster = 0;

/**
 * CPU time of the whole private server, ms: the postmaster with its reaped children (parallel workers
 * that ended) and its live children (the bench's backend). Unlike wall time, it does not grow when
 * other processes share the machine, so its ratios hold under load. Linux only (0 elsewhere).
 */
function serverCpuMs(): number {
  if (!postmaster) return 0;
  // Fields after "pid (comm) ": state ppid ... utime(11) stime(12) cutime(13) cstime(14), in clock ticks (100/s).
  const fields = (pid: string) => { const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); return st.slice(st.lastIndexOf(')') + 2).split(' '); };
  try {
    const p = fields(String(postmaster));
    let ticks = Number(p[11]) + Number(p[12]) + Number(p[13]) + Number(p[14]);
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try { const c = fields(d); if (Number(c[1]) === postmaster) ticks += Number(c[11]) + Number(c[12]); } catch { /* ended meanwhile */ }
    }
    return ticks * 10;
  } catch {
    return 0;
  }
}

/** Best wall time and best server CPU time of RUNS runs. */
async function best(s: DbSession, sql: string): Promise<{ wall: number; cpu: number }> {
  let wall = Infinity;
  let cpu = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const c0 = serverCpuMs();
    const t = process.hrtime.bigint();
    await s.client.query(sql);
    wall = Math.min(wall, Number(process.hrtime.bigint() - t) / 1e6);
    cpu = Math.min(cpu, serverCpuMs() - c0);
  }
  return { wall, cpu };
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (ms: number, floor: number) => `${(ms / floor).toFixed(2)}x`;

/** Benchmarks one table: floor, the planner's plain count pass, the engine's checks, quick mode, count(DISTINCT). */
async function benchTable(s: DbSession, tb: { name: string; key: string[]; label: string }, ratios: string[]): Promise<void> {
  const rel = `bench.${tb.name}`;
  const k = tb.key.join(', ');
  // to_jsonb: datlocprovider and daticulocale exist from PostgreSQL 15 on.
  const db = (await s.client.query(`SELECT to_jsonb(d) AS j FROM pg_database d WHERE d.datname = current_database()`)).rows[0].j;
  console.log(`${rel} (${tb.label}; database collation ${db.datlocprovider === 'i' ? `ICU ${db.daticulocale}` : `libc ${db.datcollate}`})`);
  const floorRun = await best(s, `SELECT count(*) FROM ${rel}`);
  const floor = floorRun.wall;
  console.log(`  floor   SELECT count(*)                           ${fmt(floor)}   (server CPU ${fmt(floorRun.cpu)})`);
  const shape = (await best(s, `SELECT sum(c), count(*), count(*) FILTER (WHERE c > 1), max(c) FROM (SELECT count(*) AS c FROM ${rel} GROUP BY ${k}) s`)).wall;
  console.log(`  plain   GROUP BY (${k}) count pass, planner defaults   ${fmt(shape)}  ${ratio(shape, floor)}`);
  // The engine end to end: read-only transaction, catalog, count pass, and the sample queries when duplicates exist.
  // The key check runs first and pays the table's count(*) when its shape needs one; the whole-row check reuses it.
  let engineKey = Infinity;
  let engineRow = Infinity;
  let quick = Infinity;
  let counts = '';
  let rowNote = '';
  let engineCpu = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const c0 = serverCpuMs();
    const r = await scan(s, { tables: [rel], naturalKeys: { [rel]: tb.key }, inferKeys: false });
    engineCpu = Math.min(engineCpu, serverCpuMs() - c0);
    const kc = r.tables[0].checks.find((c) => c.source === 'config')!;
    const wc = r.tables[0].checks.find((c) => c.kind === 'exact-row')!;
    engineKey = Math.min(engineKey, kc.durationMs!);
    engineRow = Math.min(engineRow, wc.durationMs!);
    counts = `${kc.distinct.toLocaleString('en-US')} distinct, ${kc.excessRows.toLocaleString('en-US')} excess rows`;
    rowNote = wc.narrowedTo ? '; read only the key\'s duplicate groups' : wc.derivedFrom ? '; derived, no scan' : '';
    const q = await scan(s, { mode: 'quick', tables: [rel], naturalKeys: { [rel]: tb.key }, inferKeys: false });
    quick = Math.min(quick, q.durationMs);
  }
  console.log(`  engine  key check incl. sample of groups         ${fmt(engineKey)}  ${ratio(engineKey, floor)}   (${counts})`);
  console.log(`  engine  whole-row check (ids ignored)            ${fmt(engineRow)}  ${ratio(engineRow, floor)}${rowNote ? `   (${rowNote.slice(2)})` : ''}`);
  const cpuRatio = floorRun.cpu > 0 && engineCpu > 0 ? `${(engineCpu / floorRun.cpu).toFixed(2)}x` : 'n/a';
  if (floorRun.cpu > 0) console.log(`  engine  key + whole-row checks, server CPU       ${fmt(engineCpu)}  ${cpuRatio} the floor's CPU (holds under load)`);
  console.log(`  quick   whole table, statistics + TABLESAMPLE    ${fmt(quick)}  ${ratio(quick, floor)}`);
  const distinct = (await best(s, `SELECT count(*) - count(DISTINCT (${k})) FROM ${rel}`)).wall;
  console.log(`  compare count(DISTINCT (${k}))       ${fmt(distinct)}  ${ratio(distinct, floor)}\n`);
  ratios.push(`${tb.name.padEnd(7)} key (${k})${' '.repeat(Math.max(1, 30 - k.length))}${ratio(engineKey, floor)}`);
  ratios.push(`${tb.name.padEnd(7)} whole row${' '.repeat(27)}${ratio(engineRow, floor)}${rowNote}`);
  ratios.push(`${tb.name.padEnd(7)} both checks, server CPU${' '.repeat(13)}${cpuRatio} the floor's CPU`);
}

// ---------------------------------------------------------------------------------------------
// Quick mode against the truth

const QUICK_ROWS = (process.env.DUPGUARD_BENCH_QUICK_ROWS ?? '3000000,10000000').split(',').map(Number).filter((x) => x > 0);
const PART = process.env.DUPGUARD_BENCH_PART ?? 'all';

interface QuickTable { session: DbSession; schema: string; name: string; key?: string[]; label: string; indexed?: boolean }

/** The tables of issue 19 at `rows` rows, in schema `schema` (emails in the ICU database's). */
async function buildQuickTables(s: DbSession, st: DbSession, schema: string, rows: number): Promise<QuickTable[]> {
  const heavyKeys = Math.max(1, Math.round(rows / 909));
  const near = Math.round(rows * 0.99);
  const distinct45 = Math.max(1, Math.round(rows / 45));
  const sc = quoteIdent(schema);
  await s.client.query(`
    CREATE SCHEMA ${sc};
    CREATE TABLE ${sc}.heavy (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, task_pk integer NOT NULL, requirement_id integer NOT NULL,
                              section text, checked boolean, created_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO ${sc}.heavy (id, task_pk, requirement_id, section, checked)
      SELECT g, (g % ${heavyKeys}) / 4, g % ${heavyKeys}, 'Section ' || (g % ${heavyKeys} % 5), g % ${heavyKeys} % 3 = 0 FROM generate_series(1, ${rows}) g;
    CREATE TABLE ${sc}.light (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, guest_id integer NOT NULL, reservation_pk integer NOT NULL,
                              email text, created_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO ${sc}.light (id, guest_id, reservation_pk, email)
      SELECT g, g % ${near}, (g % ${near}) / 3, 'g' || (g % ${near}) || '@example.com' FROM generate_series(1, ${rows}) g;
    CREATE TABLE ${sc}.rows45 (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), employee_id integer NOT NULL, day date NOT NULL,
                               hours numeric(5,2) NOT NULL, note text);
    INSERT INTO ${sc}.rows45 (employee_id, day, hours, note)
      SELECT (g % ${distinct45}) / 7, DATE '2024-01-01' + (g % ${distinct45} % 7), 1 + (g % ${distinct45} % 8), 'shift ' || (g % ${distinct45})
        FROM generate_series(0, ${distinct45 * 45 - 1}) g;
    CREATE TABLE ${sc}.none (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, account_id integer NOT NULL, external_ref integer NOT NULL,
                             label text, created_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO ${sc}.none (id, account_id, external_ref, label)
      SELECT g, g / 3, g, 'label ' || g FROM generate_series(1, ${rows}) g;`);
  for (const t of ['heavy', 'light', 'rows45', 'none']) await s.client.query(`VACUUM ANALYZE ${sc}.${t}`);
  await st.client.query(`
    CREATE SCHEMA ${sc};
    CREATE TABLE ${sc}.emails (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text NOT NULL, name text,
                               created_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO ${sc}.emails (id, email, name)
      SELECT g, substr(md5((g % ${near})::text), 1, 12) || '@example.com', 'Guest ' || (g % ${near}) FROM generate_series(1, ${rows}) g;`);
  await st.client.query(`VACUUM ANALYZE ${sc}.emails`);
  return [
    { session: s, schema, name: 'heavy', key: ['task_pk', 'requirement_id'], label: `int-pair key, 909 copies per key` },
    { session: s, schema, name: 'light', key: ['guest_id', 'reservation_pk'], label: 'int-pair key, 1% duplicated' },
    { session: st, schema, name: 'emails', key: ['email'], label: 'e-mail key (ICU text), 1% duplicated' },
    { session: s, schema, name: 'rows45', label: 'rows repeated 45x behind uuid ids' },
    { session: s, schema, name: 'none', key: ['account_id', 'external_ref'], label: 'no duplicates' },
  ];
}

interface Figures { rows: number; distinct: number; groups: number; excess: number; max: number }

/** The truth: one exact GROUP BY over the check's columns. */
async function truthOf(s: DbSession, rel: string, columns: string[]): Promise<Figures> {
  const cols = columns.map(quoteIdent).join(', ');
  const r = (await s.client.query(
    `SELECT coalesce(sum(c), 0)::int8 AS rows, count(*)::int8 AS d, count(*) FILTER (WHERE c > 1)::int8 AS g, coalesce(max(c), 0)::int8 AS m
       FROM (SELECT count(*) AS c FROM ${rel} GROUP BY ${cols}) x`)).rows[0];
  return { rows: Number(r.rows), distinct: Number(r.d), groups: Number(r.g), excess: Number(r.rows) - Number(r.d), max: Number(r.m) };
}

/**
 * Quick mode as it was before issue 19, for the "before" column: planner statistics when they could
 * answer (one column's n_distinct; for several, extended statistics or the product of the columns'
 * when it proves fewer keys than rows), else a TABLESAMPLE SYSTEM of ~30,000 rows with Duj1.
 */
async function legacyQuick(s: DbSession, schema: string, name: string, columns: string[]): Promise<Figures & { method: string }> {
  const rel = quoteQualified(schema, name);
  const rows = Number((await s.client.query(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = $1::regclass`, [rel])).rows[0].n);
  const st = await s.client.query(`SELECT attname, n_distinct::float8 AS nd FROM pg_stats WHERE schemaname = $1 AND tablename = $2`, [schema, name]);
  const nd = columns.map((c) => st.rows.find((r) => r.attname === c)?.nd as number | undefined);
  if (rows > 0 && nd.every((x) => x !== undefined && x !== null && x !== 0)) {
    const abs = nd.map((x) => (x! < 0 ? -x! * rows : x!));
    let distinct: number | undefined;
    if (abs.length === 1) distinct = abs[0];
    else {
      const product = abs.reduce((a, b) => a * Math.max(1, b), 1);
      if (product < rows * 0.99) distinct = product;
    }
    if (distinct !== undefined) {
      distinct = Math.max(1, Math.min(rows, Math.round(distinct)));
      const excess = Math.max(0, Math.round(rows) - distinct);
      return { method: 'statistics', rows: Math.round(rows), distinct, excess, groups: excess > 0 ? Math.min(distinct, excess) : 0, max: excess > 0 ? Math.max(2, Math.round(rows / distinct)) : 1 };
    }
  }
  const pct = Math.min(100, Math.max(0.01, (30_000 / rows) * 100));
  const r = (await s.client.query(
    `SELECT coalesce(sum(c), 0)::int8 AS n, count(*)::int8 AS d, count(*) FILTER (WHERE c = 1)::int8 AS f1,
            count(*) FILTER (WHERE c > 1)::int8 AS groups, coalesce(max(c), 0)::int8 AS max_copies
       FROM (SELECT count(*) AS c FROM ${rel} TABLESAMPLE SYSTEM (${pct.toFixed(4)}) GROUP BY ${columns.map(quoteIdent).join(', ')}) s`)).rows[0];
  const n = Number(r.n);
  const d = Number(r.d);
  const N = Math.max(n, Math.round(rows));
  // Duj1 (Haas & Stokes), as ANALYZE: D = n d / (n - f1 + f1 n / N).
  const f1 = Number(r.f1);
  const denom = n - f1 + (f1 * n) / N;
  const D = n === 0 ? 0 : Math.min(N, Math.max(d, Math.round(denom > 0 ? (n * d) / denom : d)));
  const excess = Math.max(0, N - D);
  return {
    method: 'tablesample', rows: N, distinct: D, excess,
    groups: excess > 0 ? Math.max(1, Math.round(D * (d > 0 ? Number(r.groups) / d : 0))) : 0,
    max: excess > 0 ? Math.min(N, Math.max(2, Math.round(Number(r.max_copies) / (pct / 100)))) : 1,
  };
}

const c0 = (v: number) => Math.round(v).toLocaleString('en-US');
const err = (est: number, truth: number) => (truth === 0 ? (est === 0 ? '0' : `+${c0(est)}`) : `${est >= truth ? '+' : ''}${(((est - truth) / truth) * 100).toFixed(1)}%`);

/** One size: before and after for each table and check, with the server CPU of the quick scans. */
async function benchQuick(tables: QuickTable[], rows: number, summary: string[]): Promise<void> {
  console.log(`\nquick mode at ${c0(rows)} rows per table (truth: exact GROUP BY; intervals 95%)`);
  for (const tb of tables) {
    const rel = `${tb.schema}.${tb.name}`;
    const c = serverCpuMs();
    const t = Date.now();
    const r = await scan(tb.session, { mode: 'quick', tables: [rel], naturalKeys: tb.key ? { [rel]: tb.key } : {}, inferKeys: false });
    const wall = Date.now() - t;
    const cpu = serverCpuMs() - c;
    const checks = r.tables[0]?.checks ?? [];
    console.log(`  ${rel} (${tb.label}): quick scan ${fmt(wall)} wall, server CPU ${fmt(cpu)} for ${checks.length} check(s)${r.errors.length ? `; errors: ${r.errors.map((e) => e.message).join('; ')}` : ''}`);
    for (const ch of checks) {
      if (ch.error) { console.log(`    ${ch.kind} (${ch.columns.join(', ')}): ${ch.error}`); continue; }
      const truth = await truthOf(tb.session, quoteQualified(tb.schema, tb.name), ch.columns);
      const before = await legacyQuick(tb.session, tb.schema, tb.name, ch.columns);
      const label = ch.kind === 'exact-row' ? 'whole row' : `key (${ch.columns.join(', ')})`;
      const inside = (v: number, lo?: number, hi?: number) => (lo === undefined || hi === undefined ? '' : v >= lo && v <= hi ? ' ✓' : ' ✗ OUTSIDE');
      const show = (p: number, lo?: number, hi?: number) => (lo === undefined ? c0(p) : `${c0(p)} (${c0(lo)}–${c0(hi!)})`);
      console.log(`    ${label}: truth ${c0(truth.groups)} groups, ${c0(truth.excess)} excess, max ${c0(truth.max)}`);
      console.log(`      before (${before.method}): ${c0(before.groups)} groups, ${c0(before.excess)} excess, max ${c0(before.max)}${before.excess === 0 ? ': "no duplicates"' : ''}; excess ${err(before.excess, truth.excess)}, groups ${err(before.groups, truth.groups)}`);
      const none = ch.duplicateGroups === 0 ? (ch.inconclusive ? ` — none found, up to ${c0(ch.excessRowsHigh ?? 0)} possible: cannot exclude (exit 3)` : ` — none found, up to ${c0(ch.excessRowsHigh ?? 0)} possible: below the threshold (exit 0)`) : '';
      console.log(`      after  (${ch.estimateMethod ?? 'count'}, ${c0(ch.sampledRows ?? 0)} rows sampled): groups ${show(ch.duplicateGroups, ch.duplicateGroupsLow, ch.duplicateGroupsHigh)}${inside(truth.groups, ch.duplicateGroupsLow, ch.duplicateGroupsHigh)}, excess ${show(ch.excessRows, ch.excessRowsLow, ch.excessRowsHigh)}${inside(truth.excess, ch.excessRowsLow, ch.excessRowsHigh)}, max ${show(ch.maxCopies, ch.maxCopiesLow, ch.maxCopiesHigh)}${inside(truth.max, ch.maxCopiesLow, ch.maxCopiesHigh)}, distinct ${show(ch.distinct, ch.distinctLow, ch.distinctHigh)}${inside(truth.distinct, ch.distinctLow, ch.distinctHigh)}${none}`);
      console.log(`      excess ${err(ch.excessRows, truth.excess)}, groups ${err(ch.duplicateGroups, truth.groups)}; ${ch.durationMs} ms${ch.probeIndex ? `; copies counted through index ${ch.probeIndex}` : ''}`);
      summary.push(`${c0(rows).padStart(10)} ${(tb.name + (tb.indexed ? '+idx' : '')).padEnd(11)} ${label.padEnd(34)} truth ${c0(truth.excess).padStart(10)} | before ${c0(before.excess).padStart(10)} (${err(before.excess, truth.excess)}) | after ${show(ch.excessRows, ch.excessRowsLow, ch.excessRowsHigh)} (${err(ch.excessRows, truth.excess)})${inside(truth.excess, ch.excessRowsLow, ch.excessRowsHigh)}${ch.duplicateGroups === 0 ? (ch.inconclusive ? ' none seen, cannot exclude (exit 3)' : ' none, cleared (exit 0)') : ' found (exit 1)'} | table CPU ${fmt(cpu)}`);
    }
  }
}

async function quickPart(server: { url: string }, s: DbSession, icu: boolean): Promise<void> {
  const u = new URL(server.url);
  u.pathname = '/bench_text';
  const exists = (await s.client.query(`SELECT count(*)::int AS n FROM pg_database WHERE datname = 'bench_text'`)).rows[0].n > 0;
  if (!exists) {
    await s.client.query(icu
      ? `CREATE DATABASE bench_text TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`
      : 'CREATE DATABASE bench_text');
  }
  const st = await connect(u.toString(), { env: {}, applicationName: 'dupguard-bench' });
  const summary: string[] = [];
  try {
    for (const rows of QUICK_ROWS) {
      const t = Date.now();
      const tables = await buildQuickTables(s, st, `quick_${rows}`, rows);
      console.log(`\nsetup of the ${c0(rows)}-row tables: ${fmt(Date.now() - t)}`);
      await benchQuick(tables, rows, summary);
      // The same tables with a plain (non-unique) btree index on the key: the index probe.
      const keyed = tables.filter((x) => x.key && x.name !== 'heavy');
      const ti = Date.now();
      for (const x of keyed) await x.session.client.query(`CREATE INDEX ON ${quoteQualified(x.schema, x.name)} (${x.key!.map(quoteIdent).join(', ')}); ANALYZE ${quoteQualified(x.schema, x.name)}`);
      console.log(`\nindexes on ${keyed.map((x) => x.name).join(', ')}: ${fmt(Date.now() - ti)}`);
      await benchQuick(keyed.map((x) => ({ ...x, label: `${x.label}, non-unique index on the key`, indexed: true })), rows, summary);
    }
  } finally {
    await st.close();
  }
  console.log('\nquick mode, excess rows per check: truth | before (error) | after ≈ point (95% interval) (error) | server CPU of the table\'s quick scan');
  for (const line of summary) console.log(`  ${line}`);
  console.log('targets: every interval holds the truth (✓); excess within 10% where rows/distinct ≥ 1.1; never "none" while 1% are copies; < 1 s server CPU per table at 10 M rows');
}

async function main(): Promise<void> {
  const server = await startPostgres();
  const s = await connect(server.url, { env: {}, applicationName: 'dupguard-bench' });
  try {
    try {
      const dir = (await s.client.query('SHOW data_directory')).rows[0].data_directory as string;
      postmaster = Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch { /* CPU figures need the server's own files: left out */ }
    // The text case in its own database: ICU en-US as its default collation when the server has ICU.
    const icu = s.serverVersionNum >= 150000 && (await s.client.query(`SELECT count(*)::int AS n FROM pg_collation WHERE collname = 'en-US-x-icu'`)).rows[0].n > 0;
    if (PART !== 'quick') await exactPart(server, s, icu);
    if (PART !== 'exact') await quickPart(server, s, icu);
  } finally {
    await s.close();
    server.stop();
  }
}

/** The exact scan against the count(*) floor, at ROWS rows. */
async function exactPart(server: { url: string }, s: DbSession, icu: boolean): Promise<void> {
  {
    const heavyKeys = Math.max(1, Math.round(ROWS / 909));
    const near = Math.round(ROWS * 0.99);
    console.log(`dupguard db bench: PostgreSQL ${s.serverVersion.split(' ')[1]}, ${ROWS.toLocaleString('en-US')} rows per table, best of ${RUNS}`);
    const t = Date.now();
    await s.client.query(`
      CREATE SCHEMA bench;
      CREATE TABLE bench.heavy (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, task_pk integer NOT NULL, requirement_id integer NOT NULL,
                                section text, checked boolean, created_at timestamptz NOT NULL DEFAULT now());
      INSERT INTO bench.heavy (id, task_pk, requirement_id, section, checked)
        SELECT g, (g % ${heavyKeys}) / 4, g % ${heavyKeys}, 'Section ' || (g % ${heavyKeys} % 5), g % ${heavyKeys} % 3 = 0
          FROM generate_series(1, ${ROWS}) g;
      CREATE TABLE bench.light (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, guest_id integer NOT NULL, reservation_pk integer NOT NULL,
                                email text, created_at timestamptz NOT NULL DEFAULT now());
      INSERT INTO bench.light (id, guest_id, reservation_pk, email)
        SELECT g, g % ${near}, (g % ${near}) / 3, 'g' || (g % ${near}) || '@example.com'
          FROM generate_series(1, ${ROWS}) g;`);
    await s.client.query('VACUUM ANALYZE bench.heavy');
    await s.client.query('VACUUM ANALYZE bench.light');
    await s.client.query(icu
      ? `CREATE DATABASE bench_text TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`
      : 'CREATE DATABASE bench_text');
    const u = new URL(server.url);
    u.pathname = '/bench_text';
    const st = await connect(u.toString(), { env: {}, applicationName: 'dupguard-bench' });
    try {
      await st.client.query(`
        CREATE SCHEMA bench;
        CREATE TABLE bench.emails (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text NOT NULL, name text,
                                   created_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO bench.emails (id, email, name)
          SELECT g, substr(md5((g % ${near})::text), 1, 12) || '@example.com', 'Guest ' || (g % ${near})
            FROM generate_series(1, ${ROWS}) g;`);
      await st.client.query('VACUUM ANALYZE bench.emails');
      console.log(`setup: ${fmt(Date.now() - t)} (generate_series, VACUUM ANALYZE)\n`);

      const ratios: string[] = [];
      await benchTable(s, { name: 'heavy', key: ['task_pk', 'requirement_id'], label: `seed 002 shape: ${heavyKeys.toLocaleString('en-US')} keys x 909 copies` }, ratios);
      await benchTable(s, { name: 'light', key: ['guest_id', 'reservation_pk'], label: '~1.01x: almost every key distinct' }, ratios);
      await benchTable(st, { name: 'emails', key: ['email'], label: '~1.01x text key' }, ratios);
      console.log('target: <= 5x the count(*) floor per key (wall, best of each):');
      for (const line of ratios) console.log(`  ${line}`);
    } finally {
      await st.close();
    }
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
