/**
 * Quick mode: estimates of a check's figures with 95% intervals, reading a sample of the table's pages
 * (TABLESAMPLE SYSTEM), never the whole table. The math is in estimate.ts; this file is the SQL.
 *
 * - One sample, sized to about `sampleRows` rows, summarized by the server into a few rows: how many
 *   keys it saw once, twice, ... and, for keys seen more than once, whether all their copies sat on
 *   one page (min(ctid) and max(ctid) on the same block; rows of one key on one page are kept or
 *   dropped together by a page sample, see estimate.ts).
 * - When it is inconclusive (no copy seen but the interval cannot rule out `thresholdRows` excess rows,
 *   or a wide interval), a second sample with the same seed and a higher rate: SYSTEM keeps a page
 *   when its hashed block number falls under the rate, so the second sample contains the first. It is
 *   a row sample (BERNOULLI, which reads every page) only for tables of up to `bernoulliUpToPages`
 *   pages; a larger table gets a second page sample of at most `maxSamplePages` pages shared out among
 *   the checks it serves (the server's work is the pages read and each check's grouping of their
 *   rows: under 1 s of server time at 10 M rows), and, from the first sample's cost, `budgetMs` of
 *   query time. A page sample that sees no copy cannot bound batch-loaded copies tightly: its
 *   interval says so, and the check stays inconclusive rather than clean.
 * - Tables above `statisticsAboveRows` rows, or where TABLESAMPLE fails (engines without it), get the
 *   planner's statistics only: multi-column statistics (CREATE STATISTICS ... (ndistinct)) when they
 *   cover the key, else the columns' own counts; flagged as the weakest estimate.
 *
 * Values travel as bind parameters; names come quoted from scan.ts (core/quote.ts); every function
 * and operator is schema-qualified with pg_catalog.
 */
import type * as pg from 'pg';
import type { LiveTableDescription } from './introspect';
import type { ScanCheck } from './report';
import { quoteIdent } from '../core/quote';
import { estimateFromProbe, estimateFromSample, estimateFromStatistics, probeRates, rateToExclude, type DuplicateEstimate, type SampleSummary } from './estimate';

export type QuickQuery = (sql: string, params?: unknown[]) => Promise<pg.QueryResult>;

/** The check to estimate, as scan.ts planned it. */
export interface QuickTarget {
  table: LiveTableDescription;
  /** The table's quoted, schema-qualified name. */
  rel: string;
  /** GROUP BY list of the key (quoted expressions). */
  groupBy: string;
  /** Rows the check considers (SQL predicate), when not all. */
  where?: string;
  columns: string[];
}

export interface QuickOptions {
  /** Rows the first sample aims at (default 30,000). */
  sampleRows?: number;
  /** Excess rows an estimate with no copy seen must rule out to call the check clean: rows (wins) or share of rows (default 0.001). */
  thresholdRows?: number;
  thresholdShare?: number;
  /** Rows the samples of one check may read in all (default 300,000: about 0.3 s of one core). */
  maxSampleRows?: number;
  /** Query time (wall) the samples of one check may take, ms (default 5,000): a slow or busy server gets a smaller second page sample. */
  budgetMs?: number;
  /** Tables up to this many rows get a row-level (BERNOULLI) second sample, which reads every page (default 30 million). */
  bernoulliUpToRows?: number;
  /**
   * ... and only up to this many pages (default 40,000, 312 MB): reading every page costs about 13 µs of
   * server time a page (10 M rows of 80 bytes, 93,000 pages: 1.2 s for a plain count(*)), so a larger
   * table gets a second page sample instead, inside the time budget.
   */
  bernoulliUpToPages?: number;
  /**
   * Pages a second page sample may read, divided among the checks it serves (default 3,000, 23 MB:
   * about 0.5 s of server time with one check's grouping of their rows, at 10 M rows of 80 bytes).
   */
  maxSamplePages?: number;
  /** Above this many rows (planner estimate), statistics only (default 10 billion). */
  statisticsAboveRows?: number;
  /** Seed of the sample (default random): the same seed and rate read the same pages. */
  seed?: number;
  /**
   * Index probe (default on): a check left open by the first sample, whose key leads a btree index,
   * gets its sampled rows' copies counted through the index instead of a second sample.
   */
  indexProbe?: boolean;
  /** Rows an index probe counts (default 30,000: about 0.3 s of index lookups). */
  probeRows?: number;
  /** Pages an index probe's sample may read (default 8,000, 64 MB; about 4,700 clear 0.1% of a table of 107 rows a page). */
  maxProbePages?: number;
  /** A group's rows are counted up to this many (default 100): a larger group only adds its lower bound. */
  probeCap?: number;
}

/** Defaults, stated once: the CLI's help and the editor setting describe the same. */
/** 42601/0A000/42883/42703: TABLESAMPLE, ctid or an operator the engine lacks (else a real error). */
function cannotSample(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === '42601' || code === '0A000' || code === '42883' || code === '42703';
}

/** Least time left in the budget for an index probe to start (ms). */
const PROBE_MIN_MS = 100;

export const QUICK_DEFAULTS = { sampleRows: 30_000, maxSampleRows: 300_000, thresholdShare: 0.001, budgetMs: 5_000, bernoulliUpToRows: 30_000_000, bernoulliUpToPages: 40_000, maxSamplePages: 3_000, statisticsAboveRows: 1e10, probeRows: 30_000, maxProbePages: 8_000, probeCap: 100 } as const;

const int = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** Page number of a tid, in SQL: tid has no accessor before PostgreSQL 17, its text form "(block,offset)" reads as a point. */
const block = (tid: string) => `(CAST(CAST(${tid} AS pg_catalog.text) AS pg_catalog.point))[0]`;

/**
 * A page sample's summary in one statement: per key its rows in the sample and, from min/max(ctid),
 * whether they share one page and which pair of pages they link; then per (rows, same page) the
 * number of keys and of distinct page pairs, with the total of those pairs (the empty grouping set).
 * A few result rows whatever the sample's size.
 */
function systemSql(t: QuickTarget, tids: boolean, tidColumn = 'ctid', sampled = false): string {
  const where = t.where ? ` WHERE ${t.where}` : '';
  const from = sampled ? t.rel : `${t.rel} TABLESAMPLE pg_catalog.system ($1) REPEATABLE ($2)`;
  if (!tids) {
    return `SELECT s.c, NULL::pg_catalog.bool AS one_page, pg_catalog.count(*) AS keys, 0::pg_catalog.int8 AS links, 0 AS total
              FROM (SELECT pg_catalog.count(*) AS c FROM ${from}${where} GROUP BY ${t.groupBy}) AS s
             GROUP BY 1`;
  }
  const dup = 'g.c OPERATOR(pg_catalog.>) 1';
  const same = `${block('g.lo')} OPERATOR(pg_catalog.=) ${block('g.hi')}`;
  const pair = `CAST(${block('g.lo')} AS pg_catalog.numeric) OPERATOR(pg_catalog.*) 4294967296 OPERATOR(pg_catalog.+) CAST(${block('g.hi')} AS pg_catalog.numeric)`;
  // The keys' rows are spooled once and aggregated twice, each in a hash table: per (rows, same page),
  // and the distinct page pairs of the keys with copies on several pages (few). A GROUPING SETS with
  // count(DISTINCT) sorted every key of the sample (0.3 M keys: a third of the statement's time).
  return `WITH dupguard_keys AS MATERIALIZED (
            SELECT g.c, CASE WHEN ${dup} THEN ${same} END AS one_page, CASE WHEN ${dup} AND NOT (${same}) THEN ${pair} END AS pp
              FROM (SELECT pg_catalog.count(*) AS c, pg_catalog.min(${tidColumn}) AS lo, pg_catalog.max(${tidColumn}) AS hi
                      FROM ${from}${where} GROUP BY ${t.groupBy}) AS g)
          SELECT s.c, s.one_page, pg_catalog.count(*) AS keys, 0::pg_catalog.int8 AS links, 0 AS total FROM dupguard_keys AS s GROUP BY 1, 2
          UNION ALL
          SELECT NULL, NULL, 0, pg_catalog.count(DISTINCT s.pp), 1 FROM dupguard_keys AS s WHERE s.pp IS NOT NULL`;
}

/** A row sample's profile: each row kept independently, so keys are seen independently of where their copies sit. */
function bernoulliSql(t: QuickTarget, sampled = false): string {
  const where = t.where ? ` WHERE ${t.where}` : '';
  const from = sampled ? t.rel : `${t.rel} TABLESAMPLE pg_catalog.bernoulli ($1) REPEATABLE ($2)`;
  return `SELECT s.c, NULL::pg_catalog.bool AS one_page, pg_catalog.count(*) AS keys, 0::pg_catalog.int8 AS links, 0 AS total
            FROM (SELECT pg_catalog.count(*) AS c FROM ${from}${where} GROUP BY ${t.groupBy}) AS s
           GROUP BY 1`;
}

/** An index a probe looks copies up through: its name and the check's columns it leads with. */
interface ProbeIndex { name: string; lead: string[] }

/**
 * A btree index that finds a sampled row's copies: valid, not partial, on a table holding its own rows
 * (no inheritance children or partitions: their pages would mix in one sample), leading with some of
 * the check's columns, each NOT NULL (the check groups NULLs together; an index lookup by equality never
 * finds them), under its own collation and its type's default operator class, whose equality operator
 * is pg_catalog's: the equality the check groups by. Leading with every column of the check, the
 * lookup is an index-only scan; leading with fewer (a key index under a whole-row check), only when
 * one of them is near-distinct (the planner's n_distinct: at least half the rows), each lookup then
 * reads a row or two and compares the other columns as GROUP BY does (IS NOT DISTINCT FROM).
 */
/**
 * SQL: the btree operator class `oc` takes column `a`'s type (its own, or one it casts to without a
 * function) and its equality (strategy 3) is an operator of pg_catalog.
 */
const CATALOG_EQUALITY = `(oc.opcintype OPERATOR(pg_catalog.=) a.atttypid OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast c
      WHERE c.castsource OPERATOR(pg_catalog.=) a.atttypid AND c.casttarget OPERATOR(pg_catalog.=) oc.opcintype AND c.castmethod OPERATOR(pg_catalog.=) 'b'))
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_amop o JOIN pg_catalog.pg_operator op ON op.oid OPERATOR(pg_catalog.=) o.amopopr
      WHERE o.amopfamily OPERATOR(pg_catalog.=) oc.opcfamily AND o.amopstrategy OPERATOR(pg_catalog.=) 3
        AND o.amoplefttype OPERATOR(pg_catalog.=) oc.opcintype AND o.amoprighttype OPERATOR(pg_catalog.=) oc.opcintype
        AND op.oprnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace)`;

async function probeIndex(q: QuickQuery, t: QuickTarget, rows: number): Promise<ProbeIndex | undefined> {
  if (t.where || !t.columns.length) return undefined;
  const cols = t.columns.map((n) => t.table.columns.find((c) => c.name === n));
  if (cols.some((c) => !c)) return undefined;
  await q('SAVEPOINT dupguard_probe_index');
  try {
    // Columns compared outside the index (IS NOT DISTINCT FROM, the "=" of pg_catalog) must mean by it
    // what GROUP BY means: their type's default btree equality is pg_catalog's (or, types without one,
    // the check compares their text, as here).
    const foreign = (await q(
      `SELECT a.attname::pg_catalog.text AS name FROM pg_catalog.pg_attribute a
        WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.name[])
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_opclass oc
                JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) oc.opcmethod AND am.amname OPERATOR(pg_catalog.=) 'btree'
               WHERE oc.opcdefault AND ${CATALOG_EQUALITY})`,
      [t.table.oid, t.columns])).rows.map((x) => x.name as string);
    if (foreign.some((n) => cols.find((c) => c!.name === n)?.groupable !== false)) {
      await q('RELEASE SAVEPOINT dupguard_probe_index');
      return undefined;
    }
    const r = await q(
      `SELECT ic.relname::pg_catalog.text AS name,
              ARRAY(SELECT CASE WHEN a.attname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.name[]) AND a.attnotnull AND NOT a.attisdropped
                                 AND i.indcollation[k] OPERATOR(pg_catalog.=) a.attcollation AND oc.opcdefault AND ${CATALOG_EQUALITY}
                            THEN a.attname::pg_catalog.text END
                       FROM pg_catalog.generate_series(0, i.indnkeyatts OPERATOR(pg_catalog.-) 1) k
                       LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) i.indkey[k]
                       LEFT JOIN pg_catalog.pg_opclass oc ON oc.oid OPERATOR(pg_catalog.=) i.indclass[k]
                      ORDER BY k) AS cols
         FROM pg_catalog.pg_index i
         JOIN pg_catalog.pg_class ic ON ic.oid OPERATOR(pg_catalog.=) i.indexrelid
         JOIN pg_catalog.pg_class tc ON tc.oid OPERATOR(pg_catalog.=) i.indrelid
         JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) ic.relam
        WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND am.amname OPERATOR(pg_catalog.=) 'btree'
          AND i.indisvalid AND i.indisready AND i.indislive AND i.indpred IS NULL
          AND tc.relkind OPERATOR(pg_catalog.=) ANY ('{r,m}'::pg_catalog."char"[]) AND NOT tc.relhassubclass
        ORDER BY i.indisunique DESC, i.indnatts, ic.relname`,
      [t.table.oid, t.columns]);
    await q('RELEASE SAVEPOINT dupguard_probe_index');
    const want = new Set(t.columns);
    const found = r.rows.map((x) => {
      const lead: string[] = [];
      for (const c of (x.cols as (string | null)[]) ?? []) { if (c === null || !want.has(c) || lead.includes(c)) break; lead.push(c); }
      return { name: x.name as string, lead };
    }).filter((x) => x.lead.length > 0);
    const full = found.find((x) => x.lead.length === want.size && cols.every((c) => c!.groupable));
    if (full) return full;
    // Fewer columns: one of them near-distinct, so that a lookup reads a row or two.
    const distinct = (name: string) => { const c = t.table.columns.find((x) => x.name === name); const nd = c?.nDistinct; return nd === undefined ? 0 : nd < 0 ? -nd * rows : nd; };
    return found.filter((x) => x.lead.some((c) => distinct(c) >= 0.5 * rows)).sort((a, b) => b.lead.length - a.lead.length)[0];
  } catch {
    await q('ROLLBACK TO SAVEPOINT dupguard_probe_index');
    return undefined;
  }
}

/**
 * The index probe's statement for checks served by one index (the same leading columns): a page sample
 * ($1 percent, seed $2), rows of its pages kept with probability $3 (random(), seeded by the caller),
 * and for each kept row one lookup of the index's leading columns reading up to $4 rows, in which each
 * check counts the rows equal to the sampled one in its other columns (compared as GROUP BY does:
 * IS NOT DISTINCT FROM, text for types without equality). A lookup that reads only the leading columns
 * is an index-only scan. Summarized per page, then into one row of sums per check, suffixed by its
 * index in `list` (estimate.ts estimateFromProbe).
 */
function probeSql(list: QuickTarget[], lead: string[]): string {
  const t0 = list[0];
  const other = (c: string) => {
    const col = t0.table.columns.find((x) => x.name === c);
    const e = (side: string) => (col?.groupable === false ? `CAST(${side}.${quoteIdent(c)} AS pg_catalog.text)` : `${side}.${quoteIdent(c)}`);
    return `${e('t')} IS NOT DISTINCT FROM ${e('s')}`;
  };
  const leadEq = lead.map((c) => `t.${quoteIdent(c)} OPERATOR(pg_catalog.=) s.${quoteIdent(c)}`).join(' AND ');
  const needed = [...new Set([...lead, ...list.flatMap((t) => t.columns)])];
  const read = needed.map((c) => `t.${quoteIdent(c)}`).join(', ');
  const counts = list.map((t, i) => {
    const rest = t.columns.filter((c) => !lead.includes(c)).map(other);
    return `pg_catalog.count(*)${rest.length ? ` FILTER (WHERE ${rest.join(' AND ')})` : ''} AS m${i}`;
  });
  const op = (o: string) => `OPERATOR(pg_catalog.${o})`;
  // A row's own count is at least 1 (itself), unless the lookup stopped at the cap before reaching it.
  const m = (i: number) => `GREATEST(m${i}, 1)::pg_catalog.float8`;
  const perPage = list.map((_, i) => `
                   pg_catalog.sum((${m(i)} ${op('-')} 1) ${op('/')} ${m(i)}) AS y${i},
                   pg_catalog.sum(((${m(i)} ${op('-')} 1) ${op('/')} ${m(i)}) ${op('^')} 2) AS ysq${i},
                   pg_catalog.sum(CASE WHEN m${i} ${op('>')} 1 THEN 1 ${op('/')} ${m(i)} ELSE 0 END) AS g${i},
                   pg_catalog.sum(CASE WHEN m${i} ${op('>')} 1 THEN (1 ${op('/')} ${m(i)}) ${op('^')} 2 ELSE 0 END) AS gsq${i},
                   pg_catalog.count(*) FILTER (WHERE m${i} ${op('>')} 1) AS dup${i},
                   pg_catalog.sum(CASE WHEN lead ${op('>=')} $4 THEN 1 ${op('/')} ${m(i)} ELSE 0 END) AS slack${i},
                   pg_catalog.max(m${i}) AS mx${i}`).join(',');
  const totals = list.map((_, i) => `
                 pg_catalog.sum(y${i}) AS y${i}, pg_catalog.sum(y${i} ${op('*')} y${i}) AS y2${i}, pg_catalog.sum(ysq${i}) AS ysq${i},
                 pg_catalog.sum(g${i}) AS g${i}, pg_catalog.sum(g${i} ${op('*')} g${i}) AS g2${i}, pg_catalog.sum(gsq${i}) AS gsq${i},
                 pg_catalog.sum(dup${i}) AS dup${i}, pg_catalog.count(*) FILTER (WHERE dup${i} ${op('>')} 0) AS dup_pages${i},
                 pg_catalog.sum(slack${i}) AS slack${i}, pg_catalog.max(mx${i}) AS mx${i}`).join(',');
  // The rows first (materialized): a volatile filter next to the lookup would run after it, on every row of the pages.
  return `WITH dupguard_rows AS MATERIALIZED (
            SELECT ${needed.map((c) => `s.${quoteIdent(c)}`).join(', ')}, ${block('s.ctid')} AS pg
              FROM ${t0.rel} AS s TABLESAMPLE pg_catalog.system ($1) REPEATABLE ($2)
             WHERE pg_catalog.random() ${op('<')} $3),
          dupguard_probe AS MATERIALIZED (
            SELECT c.*, s.pg
              FROM dupguard_rows AS s
             CROSS JOIN LATERAL (SELECT pg_catalog.count(*) AS lead, ${counts.join(', ')}
                                   FROM (SELECT ${read} FROM ${t0.rel} AS t WHERE ${leadEq} LIMIT $4) AS t) AS c),
          dupguard_pages AS (
            SELECT pg_catalog.count(*)::pg_catalog.float8 AS n,${perPage}
              FROM dupguard_probe GROUP BY pg)
          SELECT pg_catalog.sum(n) AS rows, pg_catalog.sum(n ${op('*')} n) AS rows2,${totals}
            FROM dupguard_pages`;
}

type SummaryRow = { c: unknown; one_page: unknown; keys: unknown; links: unknown; total: unknown };

/** The estimator's input from the summary rows; page-level sums approximated from the rows per page. */
function summarize(all: SummaryRow[], rate: number, design: 'system' | 'bernoulli', rowsPerPage: number): SampleSummary {
  const profile = new Map<number, number>();
  const s: SampleSummary = { rate, rows: 0, rowsSq: 0, clumpsSq: 0, profile: [], within: 0, withinSq: 0, withinKeys: 0, maxRows: 0, maxRowsSq: 0, dupKeys: 0 };
  let crossKeys = 0;
  let links = 0;
  for (const r of all) {
    if (int(r.total) !== 0) { links = int(r.links); continue; }
    const c = int(r.c);
    const keys = int(r.keys);
    const onePage = r.one_page === true;
    s.rows += c * keys;
    if (c > 1) s.dupKeys += keys;
    if (c > 1 && onePage) {
      profile.set(1, (profile.get(1) ?? 0) + keys);
      s.within += (c - 1) * keys;
      s.withinSq += (c - 1) ** 2 * keys;
      s.withinKeys += keys;
    } else {
      profile.set(c, (profile.get(c) ?? 0) + keys);
      if (c > 1) crossKeys += keys;
    }
    if (c > s.maxRows || (c === s.maxRows && onePage)) { s.maxRows = c; s.maxRowsSq = onePage ? c * c : c; }
  }
  s.profile = [...profile].map(([k, keys]) => ({ k, keys })).sort((a, b) => a.k - b.k);
  if (design === 'bernoulli') {
    // Every row its own unit.
    s.rowsSq = s.rows;
    s.clumpsSq = s.rows;
    return s;
  }
  s.rowsPerPage = Math.max(1, Math.round(rowsPerPage));
  // Σ over pages of rows²: each sampled page holds about rowsPerPage rows.
  s.rowsSq = s.rows * Math.max(1, rowsPerPage);
  s.clumpsSq = (s.rows - s.within) * Math.max(1, rowsPerPage);
  // Keys per linked page pair; with none seen, nothing shows how batched the copies would be: a
  // page's worth, the worst case.
  s.design = crossKeys > 0 ? Math.max(1, crossKeys / Math.max(1, links)) : Math.max(1, rowsPerPage);
  return s;
}

/** Whether an estimate leaves the question open: no copy seen but not ruled out, or an interval wider than the point. */
function inconclusive(e: DuplicateEstimate, thresholdRows: number): boolean {
  if (e.excess.low <= 0 && e.excess.point <= 0) return e.excess.high >= thresholdRows;
  return e.excess.high - e.excess.low > 0.2 * Math.max(1, e.excess.point);
}

/** Fills `check` (made by scan.ts's base(), estimated) with quick figures and their intervals. */
export async function quickEstimate(q: QuickQuery, t: QuickTarget, opts: QuickOptions, check: ScanCheck): Promise<void> {
  await quickEstimateTable(q, [{ target: t, check }], opts);
}

/**
 * Quick figures for several checks of one table from shared samples: one page sample read once for
 * all of them (each check groups the same sampled rows by its own key), then, for the checks it
 * leaves inconclusive, one second sample at the largest rate any of them needs. A check alone reads
 * the table directly; several read the sample once into a materialized CTE. At 10 M rows a row
 * sample reads every page: shared, a table's checks pay for that pass once.
 */
export async function quickEstimateTable(q: QuickQuery, items: { target: QuickTarget; check: ScanCheck }[], opts: QuickOptions): Promise<void> {
  if (!items.length) return;
  const began = Date.now();
  const table = items[0].target.table;
  const cat = (await q(
    `SELECT c.relpages::pg_catalog.int8 AS pages, pg_catalog.current_setting('server_version_num')::pg_catalog.int4 AS v
       FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) $1`, [table.oid])).rows[0] ?? {};
  const known = table.rowEstimate !== undefined && table.rowEstimate >= 0 ? table.rowEstimate : -1;
  const pages = Math.max(int(cat.pages), Math.ceil((table.totalBytes ?? 0) / 8192));
  // The heap's own pages (what a sample reads), when the catalog knows them; the total size counts indexes too.
  const heapPages = int(cat.pages) > 0 ? int(cat.pages) : pages;
  // Never analyzed: guess the rows from the size (about 100 bytes a row) rather than read them all.
  const guess = known > 0 ? known : (table.totalBytes ?? 0) / 100;
  const shareThreshold = opts.thresholdShare ?? QUICK_DEFAULTS.thresholdShare;
  const thresholdRows = Math.max(1, opts.thresholdRows ?? Math.ceil(shareThreshold * Math.max(0, guess)));
  const sampled: { target: QuickTarget; check: ScanCheck }[] = [];
  for (const it of items) {
    it.check.quickThresholdRows = thresholdRows;
    if (guess > (opts.statisticsAboveRows ?? QUICK_DEFAULTS.statisticsAboveRows) && !it.target.where) {
      const e = await fromStatistics(q, it.target, guess);
      if (e) { fill(it.check, e, 'statistics', 0, thresholdRows, 'planner statistics only (table too large to sample within the time budget): the weakest estimate'); continue; }
    }
    sampled.push(it);
  }
  if (!sampled.length) return;

  const target = opts.sampleRows ?? QUICK_DEFAULTS.sampleRows;
  const rate1 = guess > 0 ? Math.min(1, target / guess) : 1;
  const tids = table.hasCtid !== false && int(cat.v) >= 140000;
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const rowsPerPage = pages > 0 && guess > 0 ? guess / pages : 100;
  /** One statement for these checks: each check's summary rows, tagged with its index in `list`. */
  const run = async (design: 'system' | 'bernoulli', rate: number, list: QuickTarget[]) => {
    const started = Date.now();
    await q('SAVEPOINT dupguard_quick');
    try {
      const r = await q(sampleSql(list, design, tids), [Math.min(100, rate * 100), seed]);
      await q('RELEASE SAVEPOINT dupguard_quick');
      const rows = r.rows as (SummaryRow & { chk?: unknown })[];
      return {
        summaries: list.map((_, i) => summarize(rows.filter((x) => int(x.chk) === i), Math.min(1, rate), design, rowsPerPage)),
        ms: Date.now() - started,
      };
    } catch (e) {
      await q('ROLLBACK TO SAVEPOINT dupguard_quick');
      if (cannotSample(e)) return undefined;
      throw e;
    }
  };
  // Hash tables of a sample's keys: a few hundred thousand groups fit in 64 MB without spilling.
  await q(`SELECT pg_catalog.set_config('work_mem', '65536kB', true) WHERE pg_catalog.pg_size_bytes(pg_catalog.current_setting('work_mem')) OPERATOR(pg_catalog.<) $1`, [65536 * 1024]);
  const first = await run('system', rate1, sampled.map((x) => x.target));
  if (!first) {
    for (const it of sampled) {
      const e = await fromStatistics(q, it.target, guess);
      if (!e) throw new Error('neither a sample nor planner statistics are available for this table: run an exact scan');
      fill(it.check, e, 'statistics', 0, thresholdRows, 'planner statistics only (this server cannot sample the table): the weakest estimate');
    }
    return;
  }
  const budget = opts.budgetMs ?? QUICK_DEFAULTS.budgetMs;
  const maxRows = opts.maxSampleRows ?? QUICK_DEFAULTS.maxSampleRows;
  // Rows the estimator may take as the table's: only the catalog's count of a whole table, and only
  // when the sample agrees with it (stale statistics would scale every figure wrongly).
  const rowsFor = (t: QuickTarget, s: SampleSummary) => {
    if (t.where || known <= 0 || s.rate >= 1) return undefined;
    const ht = s.rows / s.rate;
    const se = Math.sqrt((1 - s.rate) * s.rowsSq) / s.rate;
    return Math.abs(ht - known) <= 4 * se + 0.02 * known ? known : undefined;
  };
  const state = sampled.map((it, i) => {
    const summary = first.summaries[i];
    return { ...it, summary, est: estimateFromSample(summary, { rows: rowsFor(it.target, summary) }), design: 'system' as 'system' | 'bernoulli' };
  });
  const opened = rate1 < 1 ? state.filter((x) => inconclusive(x.est, thresholdRows)) : [];
  // Copies too rare for the first sample to settle, on a key an index leads: each sampled row's
  // copies counted through the index (estimateFromProbe), in place of a second sample. Heavy
  // duplication (a fifth of the rows or more) stays with the samples, whose profile measures it well
  // and whose cost does not grow with the groups' sizes.
  const probed = new Map<(typeof state)[number], { est: DuplicateEstimate; rows: number; index: string }>();
  if (opened.length && tids && opts.indexProbe !== false && heapPages > 0 && guess > 0) {
    // Checks served by the same index and leading columns share one statement: one lookup per sampled row.
    const groups = new Map<string, { index: ProbeIndex; items: (typeof state)[number][] }>();
    for (const x of opened) {
      if (x.est.excess.point > 0.2 * Math.max(1, x.est.rows.point)) continue;
      const index = await probeIndex(q, x.target, guess);
      if (!index) continue;
      const k = `${index.name}\u0000${index.lead.join('\u0000')}`;
      const g = groups.get(k) ?? { index, items: [] };
      g.items.push(x);
      groups.set(k, g);
    }
    const perPage = Math.max(1, Math.ceil((1.1 * guess) / heapPages));
    const rates = probeRates(thresholdRows, guess, perPage, opts.probeRows ?? QUICK_DEFAULTS.probeRows);
    const pageRate = Math.min(rates.q, (opts.maxProbePages ?? QUICK_DEFAULTS.maxProbePages) / heapPages);
    // A page rate held below the one that would clear the table by the page budget: more rows of each page instead.
    const rowRate = pageRate < rates.q ? Math.min(1, (opts.probeRows ?? QUICK_DEFAULTS.probeRows) / Math.max(1, pageRate * guess)) : rates.s;
    const cap = opts.probeCap ?? QUICK_DEFAULTS.probeCap;
    for (const { index, items } of groups.values()) {
      // A probe takes what is left of the time budget, no more: with too little left, its checks stay
      // with the samples (inconclusive rather than late).
      const left = Math.floor(budget - (Date.now() - began));
      if (left < PROBE_MIN_MS) break;
      await q('SAVEPOINT dupguard_probe');
      try {
        // Its statement is cancelled by the server at the budget's end (or earlier, by a statement_timeout
        // already set); the setting is undone with the savepoint below.
        await q(`SELECT pg_catalog.set_config('statement_timeout', $1, true) FROM pg_catalog.pg_settings
                  WHERE name OPERATOR(pg_catalog.=) 'statement_timeout'
                    AND (setting::pg_catalog.int8 OPERATOR(pg_catalog.=) 0 OR setting::pg_catalog.int8 OPERATOR(pg_catalog.>) $2::pg_catalog.int8)`, [`${left}ms`, left]);
        // The rows of the sampled pages are kept by random(), seeded: the same seed keeps the same rows.
        await q('SELECT pg_catalog.setseed($1)', [(seed % 2 ** 31) / 2 ** 31]);
        const r = (await q(probeSql(items.map((x) => x.target), index.lead), [Math.min(100, pageRate * 100), seed, rowRate, cap])).rows[0] ?? {};
        // Rolled back, not released: the probe wrote nothing, and its statement_timeout goes with it.
        await q('ROLLBACK TO SAVEPOINT dupguard_probe');
        await q('RELEASE SAVEPOINT dupguard_probe');
        const f = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
        items.forEach((x, i) => {
          const summary = {
            q: Math.min(1, pageRate), s: rowRate, rowsPerPage: perPage,
            rows: f(r.rows), rowsPage2: f(r.rows2), y: f(r[`y${i}`]), yPage2: f(r[`y2${i}`]), ySq: f(r[`ysq${i}`]),
            g: f(r[`g${i}`]), gPage2: f(r[`g2${i}`]), gSq: f(r[`gsq${i}`]),
            dupRows: f(r[`dup${i}`]), dupPages: f(r[`dup_pages${i}`]), cappedSlack: f(r[`slack${i}`]), maxM: f(r[`mx${i}`]),
          };
          const pi = Math.max(1e-12, summary.q * summary.s);
          const rowsKnown = known > 0 && Math.abs(summary.rows / pi - known) <= 0.1 * known + (4 * Math.sqrt(summary.rows)) / pi ? known : undefined;
          probed.set(x, { est: estimateFromProbe(summary, { rows: rowsKnown }), rows: summary.rows, index: index.name });
        });
      } catch (e) {
        await q('ROLLBACK TO SAVEPOINT dupguard_probe');
        await q('RELEASE SAVEPOINT dupguard_probe');
        const { code, message } = e as { code?: string; message?: string };
        // The budget's end (statement timeout, not a user's cancel): its checks stay with the samples.
        if (code === '57014' && /statement timeout/.test(message ?? '')) continue;
        if (!cannotSample(e)) throw e;
      }
    }
  }
  const open = opened.filter((x) => !probed.has(x));
  if (open.length) {
    // A row sample reads every page but keeps rows one by one: copies moved in batches no longer
    // show up by the page-full, and a sample with no copy rules out what a page sample cannot. Up to
    // bernoulliUpToRows rows (its cost grows with the table); beyond, a larger page sample. One
    // sample for every open check, at the largest rate one of them needs.
    const rows = guess > 0 ? guess : open[0].summary.rows / rate1;
    const byRows = Math.min(1, maxRows / Math.max(1, rows));
    const byTime = first.ms > 0 ? rate1 * ((budget - first.ms) / first.ms) : 1;
    if (rows <= (opts.bernoulliUpToRows ?? QUICK_DEFAULTS.bernoulliUpToRows) && heapPages <= (opts.bernoulliUpToPages ?? QUICK_DEFAULTS.bernoulliUpToPages)) {
      // No copy seen: the rate that rules out thresholdRows (with a margin) is enough; else all the budget.
      const exclude = Math.max(...open.map((x) => (x.est.excess.point <= 0 ? Math.min(1, 1.15 * rateToExclude(thresholdRows)) : 1)));
      const second = await run('bernoulli', Math.min(byRows, exclude), open.map((x) => x.target));
      if (second) open.forEach((x, i) => { x.summary = second.summaries[i]; x.design = 'bernoulli'; });
    } else {
      // Pages, not rows: a page sample's cost is the pages it reads (each from disk or the OS cache).
      // Each open check groups every sampled row (the statement's main cost): the pages are shared out among them.
      const byPages = heapPages > 0 ? Math.min(1, (opts.maxSamplePages ?? QUICK_DEFAULTS.maxSamplePages) / open.length / heapPages) : byRows;
      const rate2 = Math.min(byPages, byTime);
      const second = rate2 > rate1 * 1.25 ? await run('system', rate2, open.map((x) => x.target)) : undefined;
      if (second) open.forEach((x, i) => { x.summary = second.summaries[i]; });
    }
    for (const x of open) x.est = estimateFromSample(x.summary, { rows: rowsFor(x.target, x.summary) });
  }
  for (const x of state) {
    const { check, summary, est, design } = x;
    const pr = probed.get(x);
    if (pr) {
      fill(check, pr.est, 'tablesample', pr.rows, thresholdRows,
        `each sampled row's copies counted through index ${pr.index}; max copies is the largest group seen (a lower bound)`);
      check.probeIndex = pr.index;
      continue;
    }
    if (summary.rate >= 1) {
      // Every page read: counts, not estimates.
      check.estimated = false;
      check.rows = summary.rows;
      check.distinct = est.distinct.point;
      check.duplicateGroups = est.groups.point;
      check.excessRows = est.excess.point;
      check.maxCopies = est.maxCopies.point;
      delete check.quickThresholdRows;
      continue;
    }
    fill(check, est, 'tablesample', summary.rows, thresholdRows, design === 'system' && est.excess.point <= 0
      ? 'a page sample only (the table is too large for a row sample): copies loaded in batches can hide from it' : undefined);
  }
}

/**
 * The statement of one sample for these checks of one table: a check alone reads the table's sample
 * directly (systemSql, bernoulliSql); several read it once into a materialized CTE and each groups
 * it by its own key, its summary rows tagged `chk` (its index).
 */
function sampleSql(list: QuickTarget[], design: 'system' | 'bernoulli', tids: boolean): string {
  if (list.length === 1) return design === 'system' ? systemSql(list[0], tids) : bernoulliSql(list[0]);
  const t0 = list[0];
  const tid = design === 'system' && tids;
  // Only the columns the checks group by, when they are plain columns and no check filters rows (a
  // filter may name any column): the spool of a wide table's sample is then a fraction of its rows.
  const names = [...new Set(list.flatMap((t) => t.columns))];
  const plain = list.every((t) => !t.where) && names.every((n) => t0.table.columns.some((c) => c.name === n));
  const cols = plain ? names.map(quoteIdent).join(', ') : '*';
  const cte = `WITH dupguard_sample AS MATERIALIZED (SELECT ${cols}${tid ? ', ctid AS dupguard_tid' : ''} FROM ${t0.rel} TABLESAMPLE pg_catalog.${design} ($1) REPEATABLE ($2))`;
  const branches = list.map((t, i) => {
    const one = design === 'system' ? systemSql({ ...t, rel: 'dupguard_sample' }, tid, 'dupguard_tid', true) : bernoulliSql({ ...t, rel: 'dupguard_sample' }, true);
    return `SELECT ${i} AS chk, x.* FROM (${one}) AS x`;
  });
  return `${cte}\n${branches.join('\nUNION ALL\n')}`;
}

/** Writes an estimate into the check: rounded points, intervals, and whether no copy seen still leaves duplicates possible. */
function fill(check: ScanCheck, e: DuplicateEstimate, method: 'statistics' | 'tablesample', sampled: number, thresholdRows: number, note?: string): void {
  const r = Math.round;
  check.estimated = true;
  check.estimateMethod = method;
  check.rows = r(e.rows.point);
  check.excessRows = r(e.excess.point);
  check.excessRowsLow = Math.floor(e.excess.low);
  check.excessRowsHigh = Math.ceil(e.excess.high);
  check.duplicateGroups = check.excessRows > 0 ? Math.max(1, r(e.groups.point)) : 0;
  check.duplicateGroupsLow = Math.floor(e.groups.low);
  check.duplicateGroupsHigh = Math.max(check.duplicateGroups, Math.ceil(e.groups.high));
  check.distinct = r(e.distinct.point);
  check.distinctLow = Math.floor(e.distinct.low);
  check.distinctHigh = Math.ceil(e.distinct.high);
  check.maxCopies = check.excessRows > 0 ? Math.max(2, r(e.maxCopies.point)) : check.rows > 0 ? 1 : 0;
  check.maxCopiesLow = Math.max(check.rows > 0 ? 1 : 0, Math.floor(e.maxCopies.low));
  check.maxCopiesHigh = Math.max(check.maxCopies, Math.ceil(e.maxCopies.high));
  check.sampledRows = sampled;
  check.quickThresholdRows = thresholdRows;
  if (check.duplicateGroups === 0 && check.excessRowsHigh >= thresholdRows) check.inconclusive = true;
  if (note) check.estimateNote = note;
}

/** The planner's statistics for the key: each column's n_distinct and, when one covers exactly the key, an extended statistics object's. */
async function fromStatistics(q: QuickQuery, t: QuickTarget, rows: number): Promise<DuplicateEstimate | undefined> {
  if (rows <= 0) return undefined;
  const cols = t.columns.map((n) => t.table.columns.find((c) => c.name === n));
  if (cols.some((c) => !c || c.nDistinct === undefined || c.nDistinct === 0)) return undefined;
  const nd = cols.map((c) => (c!.nDistinct! < 0 ? -c!.nDistinct! * rows : c!.nDistinct!));
  const extended = cols.length > 1 ? await extendedNDistinct(q, t.table, t.columns) ?? await plannerNDistinct(q, t) : undefined;
  const target = int((await q(`SELECT pg_catalog.current_setting('default_statistics_target') AS s`)).rows[0]?.s) || 100;
  return estimateFromStatistics({ rows, columns: nd, extended, analyzed: 300 * target });
}

/**
 * The planner's count of the key's groups, when an extended statistics object with ndistinct covers
 * the key but pg_stats_ext does not show it: that view shows a table's extended statistics to its
 * owner only (pg_statistic_ext_data to superusers), while the planner estimates a GROUP BY from them
 * for any role that may read the table. EXPLAIN plans without running; its aggregate's row count is
 * estimate_num_groups, which takes the (ndistinct) statistics of the key's columns.
 */
async function plannerNDistinct(q: QuickQuery, t: QuickTarget): Promise<number | undefined> {
  if (t.where) return undefined;
  await q('SAVEPOINT dupguard_stats');
  try {
    const covered = (await q(
      `SELECT 1 FROM pg_catalog.pg_statistic_ext e
        WHERE e.stxrelid OPERATOR(pg_catalog.=) $1 AND 'd' OPERATOR(pg_catalog.=) ANY (e.stxkind)
          AND (SELECT pg_catalog.array_agg(a.attnum) FROM pg_catalog.pg_attribute a
                WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.name[]))
              OPERATOR(pg_catalog.<@) CAST(e.stxkeys AS pg_catalog.int2[])
        LIMIT 1`, [t.table.oid, t.columns])).rows.length > 0;
    let groups: number | undefined;
    if (covered) {
      const plan = (await q(`EXPLAIN (FORMAT JSON) SELECT 1 FROM ${t.rel} GROUP BY ${t.groupBy}`)).rows[0];
      const json = plan?.['QUERY PLAN'];
      const top = (typeof json === 'string' ? JSON.parse(json) : json)?.[0]?.Plan;
      const rows = Number(top?.['Plan Rows']);
      if (Number.isFinite(rows) && rows > 0) groups = rows;
    }
    await q('RELEASE SAVEPOINT dupguard_stats');
    return groups;
  } catch {
    await q('ROLLBACK TO SAVEPOINT dupguard_stats');
    return undefined;
  }
}

/** n_distinct of an extended statistics object (CREATE STATISTICS ... (ndistinct)) over exactly these columns. */
async function extendedNDistinct(q: QuickQuery, t: LiveTableDescription, columns: string[]): Promise<number | undefined> {
  await q('SAVEPOINT dupguard_stats');
  try {
    const r = await q(
      `SELECT e.n_distinct::pg_catalog.text AS nd,
              (SELECT pg_catalog.array_agg(a.attnum::pg_catalog.int4 ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
                WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.name[])) AS nums
         FROM pg_catalog.pg_stats_ext e
        WHERE e.schemaname OPERATOR(pg_catalog.=) $3 AND e.tablename OPERATOR(pg_catalog.=) $4 AND e.n_distinct IS NOT NULL`,
      [t.oid, columns, t.schema, t.name]);
    await q('RELEASE SAVEPOINT dupguard_stats');
    for (const row of r.rows) {
      const want = [...(row.nums as number[] ?? [])].sort((a, b) => a - b).join(',');
      const parsed = JSON.parse(row.nd) as Record<string, number>;
      for (const [k, v] of Object.entries(parsed)) {
        const nums = k.split(',').map((s) => Number(s.trim())).sort((a, b) => a - b).join(',');
        if (nums === want) return v;
      }
    }
  } catch {
    // pg_stats_ext is PostgreSQL 12+; without it the columns' own counts answer.
    await q('ROLLBACK TO SAVEPOINT dupguard_stats');
  }
  return undefined;
}

/**
 * A whole-row check after a key check whose estimate cleared it: rows equal in every column are equal
 * in the key, so the key's bound on excess rows bounds them too, with no sample of their own.
 */
export function deriveFromKey(check: ScanCheck, key: ScanCheck): ScanCheck {
  check.estimated = true;
  if (key.estimateMethod) check.estimateMethod = key.estimateMethod;
  check.rows = key.rows;
  check.distinct = key.rows;
  check.maxCopies = key.rows > 0 ? 1 : 0;
  check.excessRowsLow = 0;
  check.excessRowsHigh = key.excessRowsHigh ?? 0;
  check.duplicateGroupsLow = 0;
  check.duplicateGroupsHigh = key.duplicateGroupsHigh ?? check.excessRowsHigh;
  check.distinctLow = Math.max(0, key.rows - check.excessRowsHigh);
  check.distinctHigh = key.rows;
  check.maxCopiesLow = check.maxCopies;
  check.maxCopiesHigh = key.maxCopiesHigh ?? check.maxCopies;
  check.sampledRows = 0;
  if (key.quickThresholdRows !== undefined) check.quickThresholdRows = key.quickThresholdRows;
  check.derivedFrom = `no sample: the estimate for key (${key.columns.join(', ')}) rules out more than ${check.excessRowsHigh.toLocaleString('en-US')} excess rows, and rows equal in every column share that key`;
  return check;
}
