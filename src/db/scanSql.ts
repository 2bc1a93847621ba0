/**
 * The statements of each check (scan.ts runs them, in the shapes docs/scan.md describes and measures):
 * exact counts with the largest groups in one pass where the statistics allow, the near-distinct
 * shapes (index order, key hash, narrowing to another key's groups), and quick mode's estimates.
 * Names come quoted (core/quote.ts); values travel as bind parameters; every function and operator is
 * schema-qualified with pg_catalog.
 */
import { quoteIdent } from '../core/quote';
import type { LiveTableDescription } from './introspect';
import { quickEstimate, quickEstimateTable, type QuickOptions } from './quick';
import type { ScanCheck, ScanSampleGroup } from './report';
import { groupByOf, type PlannedCheck } from './scanPlan';
import type { Q } from './scanRunner';

/** Quick mode's options, as ScanOptions carries them. */
export interface QuickCheckOptions {
  sampleRows?: number;
  quickThreshold?: number;
  quickThresholdRows?: number;
  quickTuning?: Omit<QuickOptions, 'thresholdRows' | 'thresholdShare' | 'sampleRows'>;
}

/** Average heap row size from pg_stats widths, when every column was analyzed. */
export function statsRowBytes(t: LiveTableDescription): number | undefined {
  const widths = t.columns.map((c) => c.avgWidth);
  if (!widths.length || widths.some((w) => w === undefined)) return undefined;
  // 24-byte tuple header + 4-byte line pointer, as PostgreSQL stores every heap row.
  return Math.round(widths.reduce<number>((a, b) => a + (b ?? 0), 0) + 28);
}

/** A count as the server returns it (int8 comes as text). */
export const int = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** A check's result before its figures: what it compares, and why. */
export function base(pc: PlannedCheck, estimated: boolean): ScanCheck {
  const c: ScanCheck = {
    kind: pc.kind, columns: pc.columns, source: pc.source, confidence: pc.confidence, rows: 0, distinct: 0, duplicateGroups: 0,
    excessRows: 0, maxCopies: 0, estimated, sample: [],
  };
  if (pc.referencedBy?.length) c.referencedBy = pc.referencedBy;
  if (pc.rowFilter) c.rowFilter = pc.rowFilter;
  if (pc.reason) c.reason = pc.reason;
  if (pc.constraint) c.constraint = pc.constraint;
  if (pc.ignoredColumns?.length) c.ignoredColumns = pc.ignoredColumns;
  if (pc.comparedAsText?.length) c.comparedAsText = pc.comparedAsText;
  return c;
}

/**
 * Planner settings per query shape, SET LOCAL so they end with the table's transaction.
 * - 'few' groups (statistics say at most MANY_GROUPS): a hash aggregate, which a parallel plan
 *   pre-aggregates in every worker. The planner multiplies the columns' n_distinct, overestimates the
 *   groups of correlated columns (copies share all of them) and sorts instead: 2.5x slower on 3 M rows.
 * - 'many' groups (almost every key distinct): a sort. A hash table of millions of groups misses the
 *   CPU caches at every row (hash aggregation measured 1.4-2x slower than a 16 MB external sort,
 *   whatever work_mem). Workers cannot pre-aggregate distinct keys, but each sorts its share under a
 *   Gather Merge: 1.23 s against 1.59 s in one process on 3 M rows (2 cores, idle), for ~10% more CPU.
 *   A btree index leading with the key's columns lets the planner skip the sort (index-only scan).
 * - 'default': the planner's choice (no statistics, or a plain count).
 */
export async function setPlanner(q: Q, shape: 'few' | 'many' | 'default'): Promise<void> {
  // One statement per message (extended protocol): two SETs.
  await q(`SET LOCAL enable_sort TO ${shape === 'few' ? 'off' : 'DEFAULT'}`);
  await q(`SET LOCAL enable_hashagg TO ${shape === 'many' ? 'off' : 'DEFAULT'}`);
}

/** The duplicate groups of a key (values as the server prints them), for narrowing a later whole-row pass. */
export interface KeyGroups {
  columns: string[];
  exprs: string[];
  groups: (string | null)[][];
  types: string[];
  /** Each type's equality operator, schema-qualified (see typeNames). */
  eqs: string[];
}

/**
 * Between the checks of one table: a near-distinct key check collects its duplicate groups (up to
 * collectUpTo); a whole-row check whose columns include that key then reads only those groups' rows,
 * as rows equal in every column are equal in the key too. On 3 M rows with 30,000 duplicate key groups,
 * a filtered parallel read instead of a second sort of every row.
 */
export interface Narrowing {
  collectUpTo?: number;
  collected?: KeyGroups;
  within?: KeyGroups;
}

/** Most duplicate key groups carried into a whole-row pass as literals (about 2 MB of SQL for two int columns). */
export const NARROW_GROUPS = 50_000;
const NARROW_BYTES = 4 << 20;

/**
 * Names to cast text back to these types: schema-qualified internal names, quoted (pg_catalog.bpchar,
 * pg_catalog."bit"), which carry no length; `character` or `bit` as pg_typeof prints them would mean
 * char(1) and bit(1) and cut the values. A domain is named by its base type: a cast to the domain would
 * evaluate its CHECK constraints, code the scan has no reason to run. With each, the equality GROUP BY used for it (the default
 * btree, else hash, operator class of its base type) as `OPERATOR(schema.=)`, as pg_dump writes
 * operators: a user type's `=` (citext's, in public) resolves without any search_path, and no other
 * schema's `=` can stand in for pg_catalog's.
 */
async function typeNames(q: Q, oids: number[]): Promise<{ name: string; array: boolean; eq: string }[]> {
  const r = await q(`
    SELECT t.oid::int8 AS oid, pg_catalog.format('%I.%I', n.nspname, b.typname) AS name, b.typcategory = 'A' AS array,
           (SELECT pg_catalog.format('OPERATOR(%I.%s)', opn.nspname, o.oprname)
              FROM pg_catalog.pg_opclass oc
              JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod
              JOIN pg_catalog.pg_amop ao ON ao.amopfamily = oc.opcfamily AND ao.amoplefttype = oc.opcintype
                   AND ao.amoprighttype = oc.opcintype AND ao.amopstrategy = CASE am.amname WHEN 'btree' THEN 3 ELSE 1 END
              JOIN pg_catalog.pg_operator o ON o.oid = ao.amopopr
              JOIN pg_catalog.pg_namespace opn ON opn.oid = o.oprnamespace
             WHERE oc.opcdefault AND am.amname IN ('btree', 'hash')
               AND (oc.opcintype = b.oid
                    OR oc.opcintype = CASE WHEN b.typcategory = 'A' THEN 'pg_catalog.anyarray'::pg_catalog.regtype
                                           WHEN b.typtype = 'e' THEN 'pg_catalog.anyenum'::pg_catalog.regtype
                                           WHEN b.typtype = 'r' THEN 'pg_catalog.anyrange'::pg_catalog.regtype END
                    OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast ca WHERE ca.castsource = b.oid AND ca.casttarget = oc.opcintype AND ca.castmethod = 'b'))
             ORDER BY oc.opcintype = b.oid DESC, am.amname = 'btree' DESC
             LIMIT 1) AS eq
      FROM pg_catalog.pg_type t
      JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      JOIN pg_catalog.pg_namespace n ON n.oid = b.typnamespace
     WHERE t.oid = ANY ($1::pg_catalog.oid[])`, [oids.map((o) => String(Math.trunc(o)))]);
  const byOid = new Map(r.rows.map((x) => [int(x.oid), { name: String(x.name), array: !!x.array, eq: String(x.eq ?? 'OPERATOR(pg_catalog.=)') }]));
  return oids.map((o) => byOid.get(o) ?? { name: 'pg_catalog.text', array: false, eq: 'OPERATOR(pg_catalog.=)' });
}

/**
 * Rows that can be in a whole-row duplicate group, given the key's duplicate groups: those whose key is
 * one of them (a hashed semi-join) or has a NULL (a NULL never equals anything; such groups are kept
 * whole). The groups' values are bind parameters $1.. (one text[] per key column), cast to the
 * columns' types on the server.
 */
function candidateFilter(pc: PlannedCheck, k: KeyGroups): { sql: string; values: unknown[] } {
  const pos = k.columns.map((c) => pc.columns.indexOf(c));
  const exprs = pos.map((i) => pc.exprs[i]);
  const full = k.groups.filter((g) => g.every((v) => v !== null));
  const nulls = exprs.map((e) => `(${e}) IS NULL`);
  if (!full.length) return { sql: `(${nulls.join(' OR ')})`, values: [] };
  const arrays = k.types.map((ty, i) => `pg_catalog.unnest(CAST($${i + 1}::pg_catalog.text[] AS ${ty}[]))`);
  const alias = k.types.map((_, i) => `u${i}`);
  const match = exprs.map((e, i) => `(${e}) ${k.eqs[i]} u.${alias[i]}`).join(' AND ');
  return {
    sql: `(EXISTS (SELECT FROM ROWS FROM (${arrays.join(', ')}) AS u(${alias.join(', ')}) WHERE ${match}) OR ${nulls.join(' OR ')})`,
    values: k.types.map((_, i) => full.map((g) => g[i])),
  };
}

/** Above this many groups (a lower bound from statistics), a key is grouped by sorting, not hashing. */
const MANY_GROUPS = 100_000;

/**
 * The int8 hash of a value as the type's default hash operator class computes it (its extended hash
 * support function, pg_amproc 2), so values equal under the type's `=` (1.0 and 1.00, -0 and 0, text
 * equal under a nondeterministic collation) hash alike. By base type; the argument as the function
 * takes it (date and timestamptz as the timestamp they denote, bool as an int).
 */
const HASH_FUNCTIONS: Record<string, (e: string, seed: string) => string> = {
  int2: (e, s) => `pg_catalog.hashint2extended(${e}, ${s})`,
  int4: (e, s) => `pg_catalog.hashint4extended(${e}, ${s})`,
  int8: (e, s) => `pg_catalog.hashint8extended(${e}, ${s})`,
  oid: (e, s) => `pg_catalog.hashoidextended(${e}, ${s})`,
  bool: (e, s) => `pg_catalog.hashint4extended((${e})::int4, ${s})`,
  text: (e, s) => `pg_catalog.hashtextextended(${e}, ${s})`,
  varchar: (e, s) => `pg_catalog.hashtextextended(${e}, ${s})`,
  bpchar: (e, s) => `pg_catalog.hashbpcharextended(${e}, ${s})`,
  numeric: (e, s) => `pg_catalog.hash_numeric_extended(${e}, ${s})`,
  float4: (e, s) => `pg_catalog.hashfloat4extended(${e}, ${s})`,
  float8: (e, s) => `pg_catalog.hashfloat8extended(${e}, ${s})`,
  uuid: (e, s) => `pg_catalog.uuid_hash_extended(${e}, ${s})`,
  date: (e, s) => `pg_catalog.timestamp_hash_extended((${e})::timestamp, ${s})`,
  timestamp: (e, s) => `pg_catalog.timestamp_hash_extended(${e}, ${s})`,
  timestamptz: (e, s) => `pg_catalog.timestamp_hash_extended((${e}) AT TIME ZONE 'UTC', ${s})`,
  time: (e, s) => `pg_catalog.time_hash_extended(${e}, ${s})`,
  timetz: (e, s) => `pg_catalog.timetz_hash_extended(${e}, ${s})`,
  interval: (e, s) => `pg_catalog.interval_hash_extended(${e}, ${s})`,
  inet: (e, s) => `pg_catalog.hashinetextended(${e}, ${s})`,
  jsonb: (e, s) => `pg_catalog.jsonb_hash_extended(${e}, ${s})`,
};

/** Keys narrower than this (bytes per row from pg_stats avg_width) sort as fast as their hash does. */
const HASH_WIDTH = 16;
/** Most candidate hashes carried into the filtered pass as a literal (about 20 bytes of SQL each). */
const HASH_CANDIDATES = 100_000;

/**
 * The two-pass hash shape's knobs (ScanOptions.hashing): `bits` keeps only the low bits of the key
 * hash (distinct keys then share hashes, which the second pass absorbs: the counts stay exact, more
 * rows are read), `candidates` caps the hashes carried into the filtered pass. The defaults are the
 * fast ones; the tests of the collision and cap paths set them.
 */
export interface HashTuning {
  bits?: number;
  candidates?: number;
}

/**
 * One int8 hash of a check's key, for keys that are wide on average (text, several columns): each
 * column's hash seeds the next one's. Equal keys hash alike (NULLs too), so every group with copies
 * has a hash that occurs more than once; different keys may share a hash, which only adds rows to the
 * filtered pass that groups by the key itself: the counts stay exact, collisions or not.
 * Undefined when the key is narrow, has no statistics, or has a type without a hash listed here.
 */
function keyHash(t: LiveTableDescription, pc: PlannedCheck, tuning: HashTuning): string | undefined {
  // An index gives the key's order without a sort: its index-only scan beats both passes.
  if (pc.indexed) return undefined;
  let width = 0;
  let h = '0';
  for (let i = 0; i < pc.columns.length; i++) {
    const c = t.columns.find((x) => x.name === pc.columns[i]);
    if (!c || c.avgWidth === undefined) return undefined;
    width += c.avgWidth;
    // Columns compared as text (no equality of their own) hash as their text.
    const fn = !c.groupable ? HASH_FUNCTIONS.text : c.type.endsWith('[]') ? undefined : HASH_FUNCTIONS[c.baseType];
    if (!fn) return undefined;
    // A NULL hashes to NULL: a nullable column's hash is coalesced (to 0, shared with the values that
    // hash to 0) and chained through hashint8extended, the previous hash written once.
    h = c.notNull ? fn(pc.exprs[i], h) : `pg_catalog.hashint8extended(coalesce(${fn(pc.exprs[i], '0')}, 0), ${h})`;
  }
  if (width <= HASH_WIDTH && tuning.bits === undefined) return undefined;
  return tuning.bits === undefined ? h : `((${h}) & ${(2 ** Math.min(30, Math.max(0, Math.floor(tuning.bits)))) - 1})`;
}

/**
 * The exact counts and the largest groups. The shape depends on the groups statistics predict:
 * - few: one pass, the groups spooled under window totals (cheap when they are few);
 * - many: one pass keeping only the groups with copies (HAVING count(*) > 1) under window totals, with
 *   the row count from a plain count(*) shared by the table's checks (a parallel seq scan, the cost floor);
 *   the groups that have no copy never reach a spool or a second pass; with `narrow.within`, only the
 *   rows of another key's duplicate groups are read (whole-row checks); a wide key first finds the
 *   hashes with copies (keyHash) and then groups only their rows, ids included;
 * - unknown (no statistics): the count pass, and a bounded sample pass only when duplicates exist.
 */
export async function exactCheck(q: Q, t: LiveTableDescription, rel: string, pc: PlannedCheck, sampleSize: number, pg14: boolean,
  countRows: (where?: string) => Promise<number>, narrow: Narrowing = {}, tuning: HashTuning = {}): Promise<ScanCheck> {
  // PostgreSQL 14 brought min/max(tid) and hashed = ANY (array constant) lookups.
  const tidMinMax = pg14;
  const hashArrays = pg14;
  const est = estimatedGroups(t, pc);
  // Only the near-distinct shape takes its row count from count(*), not from the groups it reads.
  const within = narrow.within && est !== undefined && est > MANY_GROUPS ? candidateFilter(pc, narrow.within) : undefined;
  const where = within ? ` WHERE ${within.sql}` : pc.where ? ` WHERE ${pc.where}` : '';
  const check = base(pc, false);
  const keyCols = pc.exprs.map((e, i) => `${e} AS k${i}`).join(', ');
  // Long values (documents, blobs) are cut: the sample names groups, it does not copy them.
  const textCols = pc.exprs.map((_, i) => `pg_catalog.left(k${i}::text, 500) AS t${i}`).join(', ');
  const kList = pc.exprs.map((_, i) => `k${i}`).join(', ');
  // By the expressions, not the k0.. aliases: a GROUP BY name means the table's column first, and a
  // table may well have a column named k0.
  const groupBy = groupByOf(pc);
  // The first and last copy of each group (lowest and highest id, else ctid) come from the same aggregate: no extra pass.
  const ident = identifyingColumn(t);
  // ctids only name copies when the table has no id column: min/max(ctid) over every row costs about a
  // third of a few-groups pass (0.63 s against 0.47 s for the ids alone on 3 M rows).
  const ctid = !ident && t.hasCtid !== false && tidMinMax;
  const idAggs = [
    ident ? `pg_catalog.min(${ident.expr})::text AS id_first, pg_catalog.max(${ident.expr})::text AS id_last` : '',
    ctid ? 'pg_catalog.min(ctid)::text AS ctid_first, pg_catalog.max(ctid)::text AS ctid_last' : '',
  ].filter(Boolean).map((x) => `, ${x}`).join('');
  const idOut = [ident ? ', id_first, id_last' : '', ctid ? ', ctid_first, ctid_last' : ''].join('');
  const toGroups = (rows: Record<string, unknown>[]): ScanSampleGroup[] => rows.filter((row) => int(row.c) > 1).map((row) => {
    const g: ScanSampleGroup = {
      values: pc.exprs.map((_, i) => (row[`t${i}`] === null ? null : String(row[`t${i}`]))),
      count: int(row.c),
    };
    if (ident && row.id_first != null) { g.ids = [String(row.id_first), String(row.id_last)]; g.idColumn = ident.name; }
    if (ctid && row.ctid_first != null) g.ctids = [String(row.ctid_first), String(row.ctid_last)];
    return g;
  });
  let groups: ScanSampleGroup[] = [];
  if (est !== undefined && est > MANY_GROUPS) {
    // Near-distinct keys: counting all groups and then grouping again for the sample cost two sorts of
    // every row; keeping only the groups with copies answers both in one. The ids come from the same
    // pass (min/max of an id: +0.13-0.17 s on 3 M rows, about what reading them back by value costs);
    // min/max(ctid) would cost +0.8 s there, as every tid is carried through the sort by reference, so
    // ctids come from one filtered read (0.1-0.3 s) instead. A wide key's filtered pass carries both.
    const rows = await countRows(pc.where);
    await setPlanner(q, 'many');
    const sample = sampleSize > 0;
    // Wide keys: one sort of an int8 hash per row finds the candidate hashes; a second, filtered pass
    // groups only their rows by the key itself (see keyHash).
    const hash = !within && hashArrays ? keyHash(t, pc, tuning) : undefined;
    let candidates: string | undefined;
    const cap = Math.max(1, Math.floor(tuning.candidates ?? HASH_CANDIDATES));
    if (hash) {
      const p = await q(
        `SELECT pg_catalog.count(*) AS n, pg_catalog.array_agg(h)::text AS hs
           FROM (SELECT ${hash} AS h FROM ${rel}${where} GROUP BY 1 HAVING pg_catalog.count(*) > 1 LIMIT ${cap + 1}) AS s`, within?.values);
      const n = int(p.rows[0]?.n);
      if (n === 0) {
        check.rows = rows;
        check.distinct = rows;
        check.maxCopies = rows > 0 ? 1 : 0;
        check.excessRows = 0;
        check.sample = [];
        return check;
      }
      if (n <= cap) candidates = String(p.rows[0].hs);
    }
    // In the filtered pass, ids and ctids cost nothing worth a separate read. In index order, ids in the
    // pass would turn the index-only scan into an index scan that fetches every heap row in key order
    // (5.3 s against 0.47 s on 3 M shuffled rows): the sample's ids are read by value afterwards.
    const inPass = sample && (candidates ? !!ident || ctid : !!ident && !pc.indexed);
    const idsAfter = sample && !candidates && (ident ? !!pc.indexed : ctid);
    const collect = narrow.collectUpTo ?? 0;
    const valCols = pc.exprs.map((_, i) => `k${i}::text AS v${i}, pg_catalog.pg_typeof(k${i})::oid::int8 AS ty${i}`).join(', ');
    const filter = candidates
      ? ` WHERE ${pc.where ? `(${pc.where}) AND ` : ''}${hash} OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.int8[])` : where;
    const r = await q(
      `SELECT ${textCols}, c${inPass ? idOut : ''}${idsAfter || collect ? `, ${valCols}` : ''}, pg_catalog.sum(c) OVER () AS dup_rows, pg_catalog.count(*) OVER () AS groups, pg_catalog.max(c) OVER () AS max_copies
         FROM (SELECT ${keyCols}, pg_catalog.count(*) AS c${inPass ? idAggs : ''} FROM ${rel}${filter} GROUP BY ${groupBy} HAVING pg_catalog.count(*) > 1) AS g
        ORDER BY c DESC, ${kList} LIMIT ${Math.max(1, sampleSize, collect + 1)}`, candidates ? [candidates] : within?.values);
    const row = r.rows[0];
    const types = row && (idsAfter || collect) ? await typeNames(q, pc.exprs.map((_, i) => int(row[`ty${i}`]))) : [];
    // Bounded in groups and in SQL text (long text keys); array keys would need arrays of arrays.
    if (collect && row && r.rows.length <= collect && !types.some((ty) => ty.array)
      && r.rows.reduce((n, g) => n + pc.exprs.reduce((m, _, i) => m + String(g[`v${i}`] ?? '').length + 3, 0), 0) <= NARROW_BYTES) {
      narrow.collected = { columns: pc.columns, exprs: pc.exprs, groups: r.rows.map((g) => pc.exprs.map((_, i) => g[`v${i}`] as string | null)), types: types.map((ty) => ty.name), eqs: types.map((ty) => ty.eq) };
    }
    r.rows.splice(Math.max(1, sampleSize));
    if (within) check.narrowedTo = `the rows of key (${narrow.within!.columns.join(', ')})'s ${narrow.within!.groups.length.toLocaleString('en-US')} duplicate groups: rows equal in every column share that key`;
    check.rows = rows;
    check.duplicateGroups = int(row?.groups);
    check.distinct = rows - (int(row?.dup_rows) - check.duplicateGroups);
    check.maxCopies = row ? int(row.max_copies) : (rows > 0 ? 1 : 0);
    if (idsAfter && r.rows.length) {
      // Each group by its values as the server printed them, read back as their own type (a NULL by
      // IS NULL, as GROUP BY puts NULLs together).
      // The values are bind parameters, compared with the type's own equality (typeNames).
      const values: unknown[] = [];
      const conds = r.rows.map((g) => `(${pc.exprs.map((e, i) => {
        if (g[`v${i}`] === null) return `(${e}) IS NULL`;
        values.push(String(g[`v${i}`]));
        return `(${e}) ${types[i].eq} CAST($${values.length}::pg_catalog.text AS ${types[i].name})`;
      }).join(' AND ')})`);
      await setPlanner(q, 'default');
      const ids = await q(
        `SELECT CASE ${conds.map((cond, i) => `WHEN ${cond} THEN ${i}`).join(' ')} END AS g${idAggs}
           FROM ${rel} WHERE ${pc.where ? `(${pc.where}) AND ` : ''}(${conds.join(' OR ')}) GROUP BY 1`, values);
      for (const x of ids.rows) Object.assign(r.rows[int(x.g)], x);
    }
    if (sample) groups = toGroups(r.rows);
  } else if (sampleSize > 0 && est !== undefined) {
    // Few groups expected (heavy duplication, seed 002's shape): counts and the largest groups in one pass.
    // The window spools the groups: cheap when they are few; when the bound was wrong and there are
    // millions, it costs about what a second pass would have cost.
    await setPlanner(q, 'few');
    const r = await q(
      `SELECT ${textCols}, c${idOut}, pg_catalog.sum(c) OVER () AS rows, pg_catalog.count(*) OVER () AS distinct_keys,
              pg_catalog.count(*) FILTER (WHERE c > 1) OVER () AS groups, pg_catalog.max(c) OVER () AS max_copies
         FROM (SELECT ${keyCols}, pg_catalog.count(*) AS c${idAggs} FROM ${rel}${where} GROUP BY ${groupBy}) AS g
        ORDER BY c DESC, ${kList} LIMIT ${sampleSize}`);
    const row = r.rows[0];
    check.rows = int(row?.rows);
    check.distinct = int(row?.distinct_keys);
    check.duplicateGroups = int(row?.groups);
    check.maxCopies = int(row?.max_copies);
    groups = toGroups(r.rows);
  } else {
    // The shape measured fastest for counting; the largest groups cost a second pass, only when duplicates exist.
    await setPlanner(q, est === undefined ? 'default' : 'few');
    const r = await q(
      `SELECT coalesce(pg_catalog.sum(c), 0)::int8 AS rows, pg_catalog.count(*)::int8 AS distinct_keys,
              pg_catalog.count(*) FILTER (WHERE c > 1)::int8 AS groups, coalesce(pg_catalog.max(c), 0)::int8 AS max_copies
         FROM (SELECT pg_catalog.count(*) AS c FROM ${rel}${where} GROUP BY ${groupBy}) AS s`);
    const row = r.rows[0];
    check.rows = int(row.rows);
    check.distinct = int(row.distinct_keys);
    check.duplicateGroups = int(row.groups);
    check.maxCopies = int(row.max_copies);
    if (check.duplicateGroups > 0 && sampleSize > 0) {
      const top = await q(
        `SELECT ${textCols}, c${idOut} FROM (SELECT ${keyCols}, pg_catalog.count(*) AS c${idAggs} FROM ${rel}${where} GROUP BY ${groupBy} HAVING pg_catalog.count(*) > 1) AS g
          ORDER BY c DESC, ${kList} LIMIT ${sampleSize}`);
      groups = toGroups(top.rows);
    }
  }
  check.excessRows = check.rows - check.distinct;
  check.sample = groups;
  return check;
}

/**
 * A lower bound on the number of groups from the columns' statistics (the largest single-column
 * n_distinct): copies share all their columns, so heavily duplicated tables have few groups whatever
 * the product of the columns' counts says. Undefined when a column has no statistics.
 */
function estimatedGroups(t: LiveTableDescription, pc: PlannedCheck): number | undefined {
  const rows = t.rowEstimate ?? -1;
  if (rows < 0) return undefined;
  let most = 1;
  for (const name of pc.columns) {
    const c = t.columns.find((x) => x.name === name);
    if (!c || c.nDistinct === undefined || c.nDistinct === 0) return undefined;
    most = Math.max(most, c.nDistinct < 0 ? -c.nDistinct * rows : c.nDistinct);
  }
  return Math.min(most, rows);
}

/** Types whose min()/max() order is the natural one; others are compared through their text. */
const ORDERED_ID_TYPES = new Set(['int2', 'int4', 'int8', 'numeric', 'text', 'varchar', 'bpchar', 'timestamp', 'timestamptz', 'date']);

/** The column that names a row to a person: a one-column primary key, else an identity or serial column. */
function identifyingColumn(t: LiveTableDescription): { name: string; expr: string } | undefined {
  const pk = t.keys.find((k) => k.kind === 'primary' && k.columns.length === 1 && !k.expression);
  const col = (pk && t.columns.find((c) => c.name === pk.columns[0]))
    ?? t.columns.find((c) => c.identity || (c.surrogate && /^nextval/i.test(c.default ?? '')));
  if (!col || !col.groupable) return undefined;
  return { name: col.name, expr: ORDERED_ID_TYPES.has(col.baseType) && !col.type.endsWith('[]') ? quoteIdent(col.name) : `${quoteIdent(col.name)}::text` };
}

/** Quick mode: a page sample with 95% intervals, or the planner's statistics (quick.ts). */
export async function quickCheck(q: Q, t: LiveTableDescription, rel: string, pc: PlannedCheck, opts: QuickCheckOptions): Promise<ScanCheck> {
  const check = base(pc, true);
  await quickEstimate(q, { table: t, rel, groupBy: groupByOf(pc), where: pc.where, columns: pc.columns }, {
    ...opts.quickTuning, sampleRows: opts.sampleRows, thresholdShare: opts.quickThreshold, thresholdRows: opts.quickThresholdRows,
  }, check);
  return check;
}

/** Quick mode for all the checks of one table at once, from shared samples (quick.ts quickEstimateTable). */
export async function quickChecks(q: Q, t: LiveTableDescription, rel: string, planned: PlannedCheck[], opts: QuickCheckOptions): Promise<Map<PlannedCheck, ScanCheck>> {
  const items = planned.map((pc) => ({ pc, check: base(pc, true), target: { table: t, rel, groupBy: groupByOf(pc), where: pc.where, columns: pc.columns } }));
  await quickEstimateTable(q, items, {
    ...opts.quickTuning, sampleRows: opts.sampleRows, thresholdShare: opts.quickThreshold, thresholdRows: opts.quickThresholdRows,
  });
  return new Map(items.map((x) => [x.pc, x.check]));
}
