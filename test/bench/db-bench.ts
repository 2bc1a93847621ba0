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
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connect, type DbSession } from '../../src/db/connect';
import { scan } from '../../src/db/scan';
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

async function main(): Promise<void> {
  const server = await startPostgres();
  const s = await connect(server.url, { env: {}, applicationName: 'dupguard-bench' });
  try {
    try {
      const dir = (await s.client.query('SHOW data_directory')).rows[0].data_directory as string;
      postmaster = Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch { /* CPU figures need the server's own files: left out */ }
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
    // The text case in its own database: ICU en-US as its default collation when the server has ICU.
    const icu = s.serverVersionNum >= 150000 && (await s.client.query(`SELECT count(*)::int AS n FROM pg_collation WHERE collname = 'en-US-x-icu'`)).rows[0].n > 0;
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
  } finally {
    await s.close();
    server.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
