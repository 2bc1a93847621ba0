/**
 * The duplicate scan engine. Read-only by construction: every table is scanned inside its own
 * `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY` transaction with SET LOCAL timeouts, so the
 * counts and the sample of one table agree, and nothing is ever written.
 *
 * Exact mode runs one aggregate pass per check, in the shape measured fastest on 24 M rows:
 *   SELECT sum(c), count(*), count(*) FILTER (WHERE c > 1), max(c) FROM (SELECT count(*) c FROM t GROUP BY k) s
 * (count(DISTINCT (k1, k2)) was 12x slower, md5(row) hashing 25x), with the sample of largest groups
 * in the same pass whenever statistics allow (see exactCheck and setPlanner for the shape per key).
 * Text under a deterministic collation is grouped under COLLATE "C" (same groups, byte comparisons;
 * keyExprs); a whole-row check after a near-distinct key with copies reads only the rows of that key's
 * duplicate groups (Narrowing).
 * Near-distinct keys (statistics: more than MANY_GROUPS groups) take one of three shapes:
 * - led by a btree index: GROUP BY in index order (an index-only scan, no sort), ids of the sample
 *   read back by value: 0.47-0.55 s on 3 M shuffled rows, where ids in the pass (an index scan
 *   fetching every heap row) took 5.1-5.4 s;
 * - wider than HASH_WIDTH bytes a row: two passes (keyHash), a sort of an int8 hash of the key that keeps
 *   the hashes occurring more than once, then a filtered parallel pass grouping only their rows by the
 *   key: 3 M near-distinct ICU emails 0.76 + 0.24 s against 1.2-1.5 s sorted by the text itself;
 * - else one sort of the key (two int4 columns in physical order: 0.58 s, their hash 0.70 s).
 * A row count from a plain count(*) (0.07 s, the cost floor) comes with each. The bench's 5x floor is out of
 * reach for them on 2 cores: any exact grouping funnels every row through one process after a sort,
 * and a Gather Merge of 3 M sorted int8 alone takes 0.46-0.51 s (7x the count). Measured alternatives
 * (3 M rows, 2 cores, PostgreSQL 15): hash aggregation of the int8 hash 0.82 s (4 MB, spilling) to 1.2 s
 * (1 GB); a Parallel Hash semi-join on the key with id <> id 0.62-0.73 s; count(DISTINCT int8 hash) in
 * one process 0.53 s for the count alone; a UNION ALL of hash halves 0.71 s (the planner keeps a
 * Gather Merge per branch, each scanning every row); GROUPING SETS to fold the count into the hash pass
 * +0.26 s (a count(*) costs 0.07); min/max of the key in the hash pass to stay exact in one pass
 * 1.25 s; work_mem 64 MB -6% on the hash pass, parallel_leader_participation off -11% (2 cores only).
 * Quick mode (quick.ts) reads a TABLESAMPLE SYSTEM sample and gives each figure a 95% interval.
 */
import type * as pg from 'pg';
import type { DbSession } from './connect';
import { explainError } from './connect';
import { quoteIdent, quoteQualified as qualified } from '../core/quote';
import { deriveFromKey, quickEstimate, type QuickOptions } from './quick';
import { foreignKeysOf, listTables, lockedTables, type LiveColumnDescription, type LiveTableDescription } from './introspect';
import type {
  ScanCheck, ScanCheckKind, ScanCheckSource, ScanIssue, ScanProgress, ScanReport, ScanSampleGroup, ScanTable,
} from './report';

export interface ScanOptions {
  mode?: 'exact' | 'quick';
  /** Schemas to scan (default: the session's profile schemas, else every non-system schema). */
  schemas?: string[];
  /** Only these tables: `schema.table` or `table` (quoted parts allowed: `"My Schema"."T"`). */
  tables?: string[];
  /** Natural keys by `schema.table` (or `table` for any schema), as `naturalKeys` in .dupguard.json. */
  naturalKeys?: Record<string, string[]>;
  /** Check candidate keys inferred from column names and foreign keys (default true). */
  inferKeys?: boolean;
  /** Check whole-row duplicates ignoring surrogate columns (default true). */
  exactRows?: boolean;
  /** Groups per check in the sample (default 5; 0 = none). */
  sampleSize?: number;
  /** statement_timeout for each scan statement, ms (default 0 = none). */
  statementTimeoutMs?: number;
  /** lock_timeout, ms (default 5000): a scan never waits long behind DDL. */
  lockTimeoutMs?: number;
  /** Quick mode: target rows read by TABLESAMPLE (default 30000). */
  sampleRows?: number;
  /**
   * Quick mode: excess rows a check with no copy seen must rule out to count as clean, as a share of
   * its rows (default 0.001) or in rows (quickThresholdRows wins); see ScanCheck.inconclusive.
   */
  quickThreshold?: number;
  quickThresholdRows?: number;
  /** Quick mode: the sampling budget and limits (quick.ts QUICK_DEFAULTS), for tests and benchmarks. */
  quickTuning?: Omit<QuickOptions, 'thresholdRows' | 'thresholdShare' | 'sampleRows'>;
  /** Let aggregates use parallel workers as readily as a plain count(*) does (default true). */
  parallel?: boolean;
  /**
   * work_mem for the scan's sorts and hash tables, MB (default 16, at most 256). Only ever raises the
   * server's setting, per transaction (SET LOCAL). 16 MB already sorts millions of distinct keys about as
   * fast as an in-memory sort does; more buys little and a shared server may run many sessions.
   */
  workMemMb?: number;
  /**
   * Client-side deadline, ms: the longest dupguard waits for the server's answer to any one statement
   * before it cancels the statement, closes the connection and ends the scan (a server or network that
   * stops answering must not hang the scan). Default: statementTimeoutMs + 30 s when that is set, else
   * one hour; 0 = wait forever.
   */
  clientTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
}

/** The default client deadline for a statement timeout (see ScanOptions.clientTimeoutMs). */
export function defaultClientTimeout(statementTimeoutMs = 0): number {
  return statementTimeoutMs > 0 ? statementTimeoutMs + 30_000 : 3_600_000;
}

/** A check before it runs. */
interface PlannedCheck {
  kind: ScanCheckKind;
  source: ScanCheckSource;
  columns: string[];
  /** SQL for each compared element (quoted column, cast to text when needed, or an index expression). */
  exprs: string[];
  /** GROUP BY order as indexes into exprs, when an index gives another order than the columns'. */
  groupOrder?: number[];
  /** A btree index leads with exactly these columns: its order groups them without a sort. */
  indexed?: boolean;
  /** Rows considered: partial predicate and/or "some key column IS NULL". */
  where?: string;
  reason?: string;
  constraint?: string;
  ignoredColumns?: { name: string; reason: string }[];
  comparedAsText?: string[];
}

class Aborted extends Error {
  constructor() { super('scan cancelled'); }
}

class ConnectionLost extends Error {
  constructor(message: string, readonly code?: string) { super(message); }
}

/** The server did not answer within the client deadline; the connection was closed. */
class DeadlineExceeded extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no answer from the server in ${seconds(ms)} (the client timeout; --client-timeout changes it): dupguard asked the server to cancel the statement and closed the connection`);
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

const CONNECTION_LOST_CODES = new Set(['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE', '08006', '08003', '08000']);

function isConnectionLost(e: unknown, session: DbSession): boolean {
  const err = e as { code?: string; message?: string };
  if (err?.code && CONNECTION_LOST_CODES.has(err.code)) return true;
  if (/Connection terminated|terminating connection|Client has encountered a connection error|not queryable/i.test(String(err?.message ?? ''))) return true;
  return session.ended;
}

/** Splits `a.b`, `"a.b"."c"`, `t` into [schema | undefined, name], honouring double quotes. */
export function parseQualifiedName(text: string): [string | undefined, string] {
  const parts = splitOutsideQuotes(text.trim(), '.').map(unquoteIdent);
  if (parts.length === 1) return [undefined, parts[0]];
  if (parts.length === 2) return [parts[0], parts[1]];
  throw new Error(`'${text}' is not a table name: expected table or schema.table (quote names containing dots)`);
}

/**
 * Parses `s.t=a,b` (a --key argument). Columns come back as written: a quoted one keeps its double
 * quotes (`"User"`), so that the scan matches it exactly and folds a bare one as PostgreSQL would
 * (see resolveColumn).
 */
export function parseKeySpec(spec: string): { table: string; columns: string[] } {
  const eq = indexOutsideQuotes(spec, '=');
  if (eq < 0) throw new Error(`--key '${spec}': expected schema.table=col1,col2`);
  const table = spec.slice(0, eq).trim();
  const columns = splitOutsideQuotes(spec.slice(eq + 1), ',').map((c) => c.trim()).filter((c) => c.length && c !== '""');
  if (!table || !columns.length) throw new Error(`--key '${spec}': expected schema.table=col1,col2`);
  parseQualifiedName(table);
  return { table, columns };
}

function indexOutsideQuotes(s: string, ch: string): number {
  let q = false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') q = !q;
    else if (!q && s[i] === ch) return i;
  }
  return -1;
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let q = false;
  let cur = '';
  for (const c of s) {
    if (c === '"') q = !q;
    if (c === sep && !q) { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * A configured key column in a table, as `migrate --key` finds it: a double-quoted name exactly;
 * a bare one as written, else as PostgreSQL folds it (lower case): `User` finds `user`.
 */
function resolveColumn(names: Set<string>, written: string): string | undefined {
  const t = written.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    const exact = unquoteIdent(t);
    return names.has(exact) ? exact : undefined;
  }
  if (names.has(t)) return t;
  return names.has(t.toLowerCase()) ? t.toLowerCase() : undefined;
}

function unquoteIdent(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/""/g, '"');
  return t;
}

/** Finds the table a user named, case-exact first, then case-insensitively when that is unambiguous. */
function matchTable(all: LiveTableDescription[], spec: string): LiveTableDescription[] {
  const [schema, name] = parseQualifiedName(spec);
  const exact = all.filter((t) => t.name === name && (schema === undefined || t.schema === schema));
  if (exact.length) return exact;
  const lower = all.filter((t) => t.name.toLowerCase() === name.toLowerCase() && (schema === undefined || t.schema.toLowerCase() === schema.toLowerCase()));
  return lower.length === 1 ? lower : [];
}

function naturalKeyFor(t: LiveTableDescription, keys: Record<string, string[]> | undefined): string[] | undefined {
  if (!keys) return undefined;
  for (const [spec, cols] of Object.entries(keys)) {
    let match = false;
    try { match = matchTable([t], spec).length === 1; } catch { match = false; }
    if (match) return cols;
  }
  return undefined;
}

const SINGLE_KEY_NAME = /^(external_?id|ext_id|slug|email|e_?mail|username|user_name|login|sku|guid|natural_key|(?:[a-z0-9]+_)?external_id)$/i;
const ID_LIKE = /(_id|_pk|_uuid|_key|_code|[a-z0-9](Id|Pk))$/;

/** Whether an enforced unique key guarantees these columns hold no duplicates (so checking them is pointless). */
function enforcedBy(t: LiveTableDescription, cols: string[]): string | undefined {
  for (const k of t.keys) {
    if (k.kind === 'exclude' || k.predicate || k.expression) continue;
    if (!k.columns.every((c) => cols.includes(c))) continue;
    const nullable = k.columns.some((c) => !t.columns.find((x) => x.name === c)?.notNull);
    if (nullable && !k.nullsNotDistinct) continue;
    return k.name ?? k.kind;
  }
  return undefined;
}

/** A column as compared: its text when its type has no equality GROUP BY can use; under COLLATE "C" when `bytes` and that groups the same. */
function colExpr(c: LiveColumnDescription, bytes = false): string {
  if (!c.groupable) return `${quoteIdent(c.name)}::text`;
  return bytes && c.byteEqual ? `${quoteIdent(c.name)} COLLATE "C"` : quoteIdent(c.name);
}

/**
 * The grouping of a set of columns. A btree index leading with exactly these columns gives their
 * order without a sort (index-only scan): GROUP BY then follows the index's column order, under the
 * columns' own collations as the index has them. Otherwise text under a deterministic collation is
 * grouped under COLLATE "C": equal values are byte-equal either way, so the groups are the same, and a
 * sort compares bytes (with abbreviated keys) instead of calling strcoll per comparison: 1.7x faster on
 * 3 M near-distinct emails under ICU en-US, 1.3x under libc C.UTF-8 (PostgreSQL 15).
 */
function keyExprs(t: LiveTableDescription, cols: LiveColumnDescription[]): { exprs: string[]; groupOrder?: number[]; indexed?: boolean } {
  const names = cols.map((c) => c.name);
  const index = t.btreeColumns?.find((lead) => lead.length >= names.length && lead.slice(0, names.length).every((n) => names.includes(n))
    && names.every((n) => lead.slice(0, names.length).includes(n)));
  if (index) {
    const order = index.slice(0, names.length).map((n) => names.indexOf(n));
    return { exprs: cols.map((c) => colExpr(c)), groupOrder: order.every((x, i) => x === i) ? undefined : order, indexed: true };
  }
  return { exprs: cols.map((c) => colExpr(c, true)) };
}

/** GROUP BY list of a check: its expressions, in an index's column order when one was found. */
function groupByOf(pc: PlannedCheck): string {
  return (pc.groupOrder ?? pc.exprs.map((_, i) => i)).map((i) => pc.exprs[i]).join(', ');
}

/** Decides which checks a table gets. */
function planChecks(t: LiveTableDescription, written: string[] | undefined, fks: { name: string; columns: string[]; references: string }[], opts: ScanOptions, role: string): { checks: PlannedCheck[]; notes: string[]; errors: string[] } {
  const checks: PlannedCheck[] = [];
  const notes: string[] = [];
  const byName = new Map(t.columns.map((c) => [c.name, c]));
  const seen = new Set<string>();
  const sig = (cols: string[]) => [...cols].sort().join('\u0000');

  const errors: string[] = [];
  const resolved = written?.map((c) => resolveColumn(new Set(byName.keys()), c));
  const natural = resolved?.every((c) => c !== undefined) ? resolved as string[] : undefined;
  if (written?.length && !natural) {
    const missing = written.filter((_, i) => resolved![i] === undefined);
    // A typo in a configured key must not pass as "no duplicates": the key is not checked, and that is an error.
    errors.push(`configured key (${written.join(', ')}) for ${t.schema}.${t.name}: no column ${missing.join(', ')} (columns: ${t.columns.map((c) => c.name).join(', ')}); key not checked`);
  }
  if (natural?.length) {
    const cols = natural.map((c) => byName.get(c)!);
    checks.push({
      kind: 'key', source: 'config', columns: natural, ...keyExprs(t, cols),
      reason: 'natural key from configuration',
      comparedAsText: cols.filter((c) => !c.groupable).map((c) => c.name),
    });
    seen.add(sig(natural));
  }

  // Unique keys whose columns may be NULL: NULL never equals NULL, so copies with a NULL slip past them.
  for (const k of t.keys) {
    if (k.kind === 'primary' || k.kind === 'exclude' || k.nullsNotDistinct) continue;
    const foreign = k.name ? t.foreignCode?.[k.name] : undefined;
    if (foreign?.length) {
      // Evaluating the index's expressions would run another role's code with the scanning role's privileges.
      notes.push(`${k.name}: not checked: its expressions call ${foreign.join(', ')}; dupguard does not run code another role wrote with the privileges of ${role} (scan as that role to check it)`);
      continue;
    }
    const elems = k.columns.map((name, i) => {
      const col = byName.get(name);
      // Expression elements come as SQL text from pg_get_indexdef.
      return col ? { sql: colExpr(col), nullable: !col.notNull } : { sql: `(${k.columns[i]})`, nullable: true };
    });
    if (!elems.some((e) => e.nullable)) continue;
    const nullTest = elems.filter((e) => e.nullable).map((e) => `${e.sql} IS NULL`).join(' OR ');
    checks.push({
      kind: 'unique-nulls', source: 'unique-index', columns: k.columns, exprs: elems.map((e) => e.sql),
      where: k.predicate ? `(${k.predicate}) AND (${nullTest})` : nullTest,
      constraint: k.name,
      reason: `${k.kind === 'unique' ? 'unique constraint' : 'unique index'} ${k.name ?? ''} allows repeated rows when a key column is NULL (no NULLS NOT DISTINCT)`.replace('  ', ' '),
    });
  }

  if (opts.exactRows !== false && t.columns.length) {
    const ignored: { name: string; reason: string }[] = [];
    const compared: LiveColumnDescription[] = [];
    for (const c of t.columns) {
      if (c.surrogate) ignored.push({ name: c.name, reason: c.surrogateReason ?? 'made by the database on insert' });
      else if (c.generated) ignored.push({ name: c.name, reason: 'generated from other columns' });
      else compared.push(c);
    }
    const guard = compared.length ? enforcedBy(t, compared.map((c) => c.name)) : undefined;
    if (!compared.length) {
      notes.push('every column is made by the database on insert: no whole-row comparison possible');
    } else if (guard) {
      notes.push(`whole-row duplicates are impossible: ${guard} is unique over compared columns`);
    } else {
      checks.push({
        kind: 'exact-row', source: 'all-columns', columns: compared.map((c) => c.name), ...keyExprs(t, compared),
        reason: ignored.length ? `rows equal in every column except ${ignored.map((i) => i.name).join(', ')}` : 'rows equal in every column',
        ignoredColumns: ignored.length ? ignored : undefined,
        comparedAsText: compared.filter((c) => !c.groupable).map((c) => c.name),
      });
    }
  }

  if (opts.inferKeys !== false) {
    const pk = t.keys.find((k) => k.kind === 'primary');
    const candidates: { cols: string[]; reason: string }[] = [];
    for (const c of t.columns) {
      if (!c.surrogate && SINGLE_KEY_NAME.test(c.name) && !pk?.columns.includes(c.name)) {
        candidates.push({ cols: [c.name], reason: `inferred from the column name ${c.name}` });
      }
    }
    const fkCols = new Set(fks.filter((f) => f.columns.length === 1).map((f) => f.columns[0]));
    const idLike = t.columns.filter((c) => !c.surrogate && !pk?.columns.includes(c.name) && c.groupable && (ID_LIKE.test(c.name) || fkCols.has(c.name)));
    if (idLike.length >= 2 && idLike.length <= 4) {
      const names = idLike.map((c) => c.name);
      const viaFk = names.filter((n) => fkCols.has(n));
      candidates.push({
        cols: names,
        reason: `inferred from column names ${names.join(', ')}${viaFk.length ? ` (foreign key${viaFk.length > 1 ? 's' : ''}: ${viaFk.join(', ')})` : ''}`,
      });
    }
    for (const cand of candidates.slice(0, 3)) {
      if (seen.has(sig(cand.cols))) continue;
      if (enforcedBy(t, cand.cols)) continue;
      // A superset of the configured key can only repeat what that key's check already shows.
      if (natural?.length && natural.every((c) => cand.cols.includes(c))) continue;
      seen.add(sig(cand.cols));
      const cols = cand.cols.map((n) => byName.get(n)!);
      const nullable = cols.filter((c) => !c.notNull);
      checks.push({
        kind: 'key', source: 'inferred', columns: cand.cols, ...keyExprs(t, cols),
        // As a UNIQUE constraint would: rows with a NULL in the candidate key are not duplicates of each other.
        where: nullable.length ? nullable.map((c) => `${quoteIdent(c.name)} IS NOT NULL`).join(' AND ') : undefined,
        reason: `${cand.reason}; not declared unique: verify before acting`,
      });
    }
  }
  // Reading a column whose type casts to or from text through another role's function (the sample's
  // values, ids read back by value) would run that code with the scanning role's privileges.
  const kept = checks.filter((pc) => {
    const foreign = pc.columns.flatMap((n) => byName.get(n)?.foreignCode?.map((f) => `${n}: ${f}`) ?? []);
    // A configured key left out is an error: the scan cannot say it has no duplicates.
    if (foreign.length) (pc.source === 'config' ? errors : notes).push(`${pc.kind} check (${pc.columns.join(', ')}) not run: reading it calls ${foreign.join('; ')}; dupguard does not run code another role wrote with the privileges of ${role} (scan as that role to check it)`);
    return !foreign.length;
  });
  return { checks: kept, notes, errors };
}

/** Average heap row size from pg_stats widths, when every column was analyzed. */
function statsRowBytes(t: LiveTableDescription): number | undefined {
  const widths = t.columns.map((c) => c.avgWidth);
  if (!widths.length || widths.some((w) => w === undefined)) return undefined;
  // 24-byte tuple header + 4-byte line pointer, as PostgreSQL stores every heap row.
  return Math.round(widths.reduce<number>((a, b) => a + (b ?? 0), 0) + 28);
}

const int = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** Scans the session's database for duplicate rows. Never throws for database errors: they land in the report. */
export async function scan(session: DbSession, opts: ScanOptions = {}): Promise<ScanReport> {
  const started = Date.now();
  const mode = opts.mode ?? 'exact';
  const sampleSize = Math.max(0, Math.floor(opts.sampleSize ?? 5));
  const client = session.client;
  const signal = opts.signal;
  const report: ScanReport = {
    version: 1, mode, target: session.target,
    server: { version: session.serverVersion, engine: session.engine },
    startedAt: new Date(started).toISOString(), durationMs: 0, complete: false,
    tables: [], skipped: [], errors: [],
    summary: { tablesScanned: 0, tablesWithDuplicates: 0, checks: 0, duplicateGroups: 0, excessRows: 0, reclaimableBytes: 0 },
  };
  const progress = (p: ScanProgress) => { try { opts.onProgress?.(p); } catch { /* a listener must not break the scan */ } };
  let forcedClose = false;

  const deadlineMs = Math.max(0, Math.floor(opts.clientTimeoutMs ?? defaultClientTimeout(opts.statementTimeoutMs ?? 0)));
  /**
   * Waits for a statement's answer at most deadlineMs; past it, sends a cancel request, gives the
   * server 2 s to answer it, closes the connection (pg destroys the socket of a running query) and
   * rejects with DeadlineExceeded, whatever the statement does afterwards.
   */
  const timed = <T>(p: Promise<T>): Promise<T> => {
    if (!deadlineMs) return p;
    return new Promise<T>((resolve, reject) => {
      let expired = false;
      const timer = setTimeout(() => {
        expired = true;
        void (async () => {
          void session.cancel();
          await Promise.race([p.then(() => undefined, () => undefined), new Promise((r) => setTimeout(r, 2000))]);
          await session.close();
          reject(new DeadlineExceeded(deadlineMs));
        })();
      }, deadlineMs);
      p.then((r) => { if (!expired) { clearTimeout(timer); resolve(r); } },
        (e) => { if (!expired) { clearTimeout(timer); reject(e); } });
    });
  };
  /**
   * Runs one statement, its values as bind parameters, always through the extended protocol (one
   * statement per message: nothing can append a second one). On abort sends a cancel request and
   * gives up waiting after 2 s.
   */
  const q = async (sql: string, values?: unknown[]): Promise<pg.QueryResult> => {
    if (signal?.aborted) throw new Aborted();
    if (session.ended) throw new ConnectionLost(session.lostError?.message ?? 'the connection is closed');
    const p = timed(client.query({ text: sql, values, queryMode: 'extended' } as pg.QueryConfig));
    if (!signal) return p;
    return new Promise<pg.QueryResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        void session.cancel();
        // Cancel requests are not honoured everywhere (PGlite); never leave the caller waiting.
        timer = setTimeout(() => {
          forcedClose = true;
          void session.close();
          reject(new Aborted());
        }, 2000);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (r) => (signal.aborted ? reject(new Aborted()) : resolve(r)),
        (e) => reject(signal.aborted ? new Aborted() : e),
      ).finally(() => {
        signal.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      });
    });
  };
  /** The client as the catalog readers (introspect.ts) get it: the same extended protocol and deadline. */
  const catalog = Object.create(client) as pg.Client;
  catalog.query = ((config: string | pg.QueryConfig, values?: unknown[]) => {
    if (session.ended) return Promise.reject(new ConnectionLost(session.lostError?.message ?? 'the connection is closed'));
    const c = typeof config === 'string' ? { text: config, values } : config;
    return timed(client.query({ ...c, queryMode: 'extended' } as pg.QueryConfig));
  }) as pg.Client['query'];

  const begin = async () => {
    await q('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const settings: [string, string][] = [
      // The session's pinned settings (connect's SESSION_SETTINGS), again for this transaction.
      ['standard_conforming_strings', 'on'],
      ['search_path', 'pg_catalog, pg_temp'],
      ['statement_timeout', String(Math.max(0, Math.floor(opts.statementTimeoutMs ?? 0)))],
      ['lock_timeout', String(Math.max(0, Math.floor(opts.lockTimeoutMs ?? 5000)))],
      ['application_name', 'dupguard'],
      // Floats printed exactly (the default since PostgreSQL 12): sample values are read back to find their ids.
      ['extra_float_digits', '3'],
    ];
    if (opts.parallel !== false) {
      // The planner overestimates groups for correlated columns (copies share all of them) and then
      // refuses a parallel aggregate; the count(*) floor runs parallel, so let the scan do the same.
      settings.push(['parallel_setup_cost', '0'], ['parallel_tuple_cost', '0']);
    }
    // SET LOCAL, all in one statement, every value a parameter.
    await q(`SELECT ${settings.map((_, i) => `pg_catalog.set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`, settings.flat());
    // Compiling the aggregate costs 0.1-0.2 s per statement and gains nothing on these one-pass scans.
    await q(`SELECT pg_catalog.set_config('jit', 'off', true) FROM pg_catalog.pg_settings WHERE name OPERATOR(pg_catalog.=) 'jit'`);
    const workMem = Math.round(Math.min(256, Math.max(1, opts.workMemMb ?? 16)) * 1024);
    await q(`SELECT pg_catalog.set_config('work_mem', $1, true)
              WHERE pg_catalog.pg_size_bytes(pg_catalog.current_setting('work_mem')) OPERATOR(pg_catalog.<) $2::pg_catalog.int8`, [`${workMem}kB`, workMem * 1024]);
  };
  const rollback = async () => {
    if (session.ended) return;
    try { await client.query('ROLLBACK'); } catch { /* connection gone: nothing to undo, the scan wrote nothing */ }
  };

  const finish = () => {
    report.durationMs = Date.now() - started;
    for (const t of report.tables) {
      let dup = false;
      for (const c of t.checks) {
        report.summary.checks++;
        if (c.duplicateGroups > 0) {
          dup = true;
          report.summary.duplicateGroups += c.duplicateGroups;
        }
      }
      // Excess rows overlap between checks of one table: count the largest per table.
      const best = t.checks.filter((c) => c.source !== 'inferred').reduce((m, c) => Math.max(m, c.excessRows), 0);
      report.summary.excessRows += best;
      const bestBytes = t.checks.filter((c) => c.source !== 'inferred').reduce((m, c) => Math.max(m, c.reclaimableBytes ?? 0), 0);
      report.summary.reclaimableBytes += bestBytes;
      if (dup) report.summary.tablesWithDuplicates++;
    }
    report.summary.tablesScanned = report.tables.filter((t) => (t.checks.length ? t.checks.some((c) => !c.error) : !t.errors?.length)).length;
    progress({ phase: 'done', index: report.tables.length, total: report.tables.length, message: report.complete ? 'scan finished' : 'scan stopped' });
    if (report.skipped && !report.skipped.length) delete report.skipped;
    return report;
  };

  // Catalog.
  const schemas = opts.schemas ?? session.schemas;
  const readCatalog = async (excludeOids?: number[]) => {
    await begin();
    // Partitions are scanned through their parent, unless one is named explicitly.
    const list = await listTables(catalog, { schemas, includePartitions: !!opts.tables?.length, excludeOids });
    const fks = await foreignKeysOf(catalog, list.map((t) => t.oid));
    await q('COMMIT');
    return { list, fks };
  };
  let tables: LiveTableDescription[];
  let fkMap: Map<number, { name: string; columns: string[]; references: string }[]>;
  let locked: Awaited<ReturnType<typeof lockedTables>> = [];
  progress({ phase: 'catalog', index: 0, total: 0, message: 'reading the catalog' });
  try {
    let read: Awaited<ReturnType<typeof readCatalog>>;
    // A table held by DDL (or LOCK TABLE) blocks reading its catalog entry (sizes, defaults, index
    // expressions), each read waiting out lock_timeout: find such tables first (pg_locks, lock-free),
    // leave them out, say so, scan the rest.
    const findLocked = () => lockedTables(catalog, { schemas: schemas?.length ? schemas : undefined });
    try { locked = await findLocked(); } catch (e) { if (e instanceof DeadlineExceeded || session.ended) throw e; locked = []; }
    try {
      read = await readCatalog(locked.length ? locked.map((l) => l.oid) : undefined);
    } catch (e) {
      await rollback();
      if ((e as { code?: string })?.code !== '55P03') throw e;
      // Locked since: look again.
      try { locked = await findLocked(); } catch { throw e; }
      if (!locked.length) throw e;
      read = await readCatalog(locked.map((l) => l.oid));
    }
    tables = read.list;
    fkMap = read.fks;
  } catch (e) {
    await rollback();
    if (e instanceof Aborted) { report.cancelled = true; report.errors.push({ message: 'scan cancelled while reading the catalog: no table scanned' }); return finish(); }
    if (e instanceof DeadlineExceeded) { report.errors.push({ code: e.code, message: `cannot read the catalog: ${e.message}` }); return finish(); }
    const err = explainError(e, session.target);
    report.errors.push({ code: err.code, message: `cannot read the catalog: ${err.message}` });
    return finish();
  }
  // matchTable reads only schema and name.
  const names = (list: { schema: string; name: string }[], spec: string) => {
    try { return matchTable(list as LiveTableDescription[], spec).length > 0; } catch { return false; }
  };
  const lockedMatches = (spec: string) => names(locked, spec);
  for (const l of locked) {
    if (opts.tables?.length ? !opts.tables.some((spec) => names([l], spec)) : l.partition) continue;
    const name = `${l.schema}.${l.name}`;
    report.errors.push({
      table: name, code: '55P03',
      message: `${name}: lock timeout reached: another session (pid ${l.pid}) ${l.granted ? 'holds' : 'is waiting for'} an ACCESS EXCLUSIVE lock on ${l.via ? `its partition ${l.via}` : 'it'} (ALTER TABLE, TRUNCATE, VACUUM FULL, LOCK TABLE...); not scanned`,
    });
  }

  let selected = tables;
  if (opts.tables?.length) {
    const picked = new Set<LiveTableDescription>();
    for (const spec of opts.tables) {
      let m: LiveTableDescription[];
      try { m = matchTable(tables, spec); } catch (e) { report.errors.push({ message: (e as Error).message }); continue; }
      if (!m.length && !lockedMatches(spec)) report.errors.push({ table: spec, message: `table ${spec} not found${opts.schemas?.length ? ` in schema(s) ${opts.schemas.join(', ')}` : ''} (or not visible to ${session.user})` });
      for (const t of m) picked.add(t);
    }
    selected = tables.filter((t) => picked.has(t));
    tables = tables.filter((t) => !t.partitionOf || picked.has(t));
  }
  for (const [spec] of Object.entries(opts.naturalKeys ?? {})) {
    let m: LiveTableDescription[] = [];
    try { m = matchTable(tables, spec); } catch { /* reported below */ }
    if (!m.length) report.errors.push({ table: spec, message: `configured key for ${spec}: no such table` });
  }
  const toScan: LiveTableDescription[] = [];
  for (const t of selected) {
    if (t.kind === 'v') report.skipped!.push({ schema: t.schema, table: t.name, reason: 'view: its rows live in the tables it reads' });
    else if (t.kind === 'm') report.skipped!.push({ schema: t.schema, table: t.name, reason: 'materialized view: derived data, rebuilt by REFRESH' });
    else if (t.kind === 'f') report.skipped!.push({ schema: t.schema, table: t.name, reason: 'foreign table: scanning would read the remote server' });
    else toScan.push(t);
  }

  for (let i = 0; i < toScan.length; i++) {
    const t = toScan[i];
    const name = `${t.schema}.${t.name}`;
    const tableStart = Date.now();
    const natural = naturalKeyFor(t, opts.naturalKeys);
    const { checks: planned, notes, errors: planErrors } = planChecks(t, natural, fkMap.get(t.oid) ?? [], opts, session.user);
    const out: ScanTable = { schema: t.schema, table: t.name, kind: t.kind, rows: 0, checks: [] };
    if (planErrors.length) {
      out.errors = [...planErrors];
      for (const message of planErrors) report.errors.push({ table: name, message });
    }
    if (t.totalBytes !== undefined) out.totalBytes = t.totalBytes;
    if (t.rowSecurity?.active) {
      // The policies filter every query of this role: the counts cover the visible rows only.
      out.partial = `row-level security applies to ${session.user} on ${name}${t.rowSecurity.forced ? ' (FORCE ROW LEVEL SECURITY: even its owner is filtered)' : ''}: the counts cover only the rows its policies let ${session.user} see; scan as a role with BYPASSRLS (or a superuser) for complete counts`;
    }
    report.tables.push(out);
    progress({ phase: 'table', index: i, total: toScan.length, schema: t.schema, table: t.name, message: `${name}: ${planned.length} check(s)` });
    const rel = qualified(t.schema, t.name);
    let rowsKnown = false;
    let lockTimedOut = false;
    let doneChecks = 0;
    let measuredRowBytes: number | undefined;
    let allRows: number | undefined;
    const cleanKeys: { columns: string[]; rows: number; estimate?: ScanCheck }[] = [];
    const dirtyKeys: KeyGroups[] = [];
    const pending: Narrowing[] = [];
    /** What a check collects for, or takes from, the table's other checks (see Narrowing). */
    const narrowing = (pc: PlannedCheck): Narrowing => {
      // Whole-row checks still to come (inferred keys run after them: nothing to collect for).
      const wholeRows = planned.slice(planned.indexOf(pc) + 1).filter((p) => p.kind === 'exact-row' && !p.where);
      if (pc.kind === 'key' && !pc.where && wholeRows.some((w) => pc.columns.every((c) => w.columns.includes(c)))) {
        const n: Narrowing = { collectUpTo: NARROW_GROUPS };
        pending.push(n);
        return n;
      }
      if (pc.kind === 'exact-row' && !pc.where) {
        for (const n of pending.splice(0)) if (n.collected) dirtyKeys.push(n.collected);
        // The key with the fewest duplicate groups leaves the fewest rows to read.
        const best = dirtyKeys.filter((k) => k.columns.every((c) => pc.columns.includes(c))).sort((a, b) => a.groups.length - b.groups.length)[0];
        return best ? { within: best } : {};
      }
      return {};
    };
    /** Rows of the table (or of a check's WHERE), read once per table in the table's snapshot. */
    const countRows = async (where?: string): Promise<number> => {
      if (!where && allRows !== undefined) return allRows;
      await setPlanner(q, 'default');
      const n = int((await q(`SELECT pg_catalog.count(*) AS n FROM ${rel}${where ? ` WHERE ${where}` : ''}`)).rows[0].n);
      if (!where) allRows = n;
      return n;
    };
    try {
      await begin();
      if (mode === 'quick') {
        const est = t.rowEstimate !== undefined && t.rowEstimate >= 0 ? t.rowEstimate : -1;
        out.rows = Math.max(0, Math.round(est));
        out.rowsEstimated = true;
      }
      for (const pc of planned) {
        progress({ phase: 'check', index: i, total: toScan.length, schema: t.schema, table: t.name, message: `${name}: ${pc.kind} (${pc.columns.join(', ')})` });
        const checkStart = Date.now();
        await q('SAVEPOINT dupguard_check');
        let check: ScanCheck;
        try {
          // Rows equal in every column are equal in the key's columns too: a key with no copies rules
          // whole-row copies out, and the whole-row pass (the widest sort) is not needed.
          const clean = pc.kind === 'exact-row' && !pc.where
            ? cleanKeys.find((k) => k.columns.every((c) => pc.columns.includes(c))) : undefined;
          if (clean?.estimate) {
            check = deriveFromKey(base(pc, true), clean.estimate);
          } else if (clean) {
            check = base(pc, false);
            check.rows = clean.rows;
            check.distinct = clean.rows;
            check.maxCopies = clean.rows > 0 ? 1 : 0;
            check.derivedFrom = `no scan: key (${clean.columns.join(', ')}) has no duplicates, so whole rows cannot repeat`;
          } else {
            check = mode === 'quick'
              ? await quickCheck(q, t, rel, pc, opts)
              : await exactCheck(q, t, rel, pc, sampleSize, session.serverVersionNum >= 140000, countRows, narrowing(pc));
          }
          await q('RELEASE SAVEPOINT dupguard_check');
        } catch (e) {
          if (e instanceof Aborted || e instanceof DeadlineExceeded || isConnectionLost(e, session)) throw e;
          const err = explainError(e, name);
          await q('ROLLBACK TO SAVEPOINT dupguard_check');
          check = base(pc, true);
          check.error = `${pc.kind} check (${pc.columns.join(', ')}) failed: ${err.message}`;
          (out.errors ??= []).push(check.error);
          // Permission denied, or a lock another session holds: every further check would fail the same
          // way (each after waiting out lock_timeout again), so the table ends here.
          if (err.code === '55P03') lockTimedOut = true;
          if (err.code === '42501' || err.code === '55P03') { out.checks.push(check); break; }
        }
        check.durationMs = Date.now() - checkStart;
        if (!check.error && pc.kind === 'key' && !pc.where && check.duplicateGroups === 0 && !check.inconclusive) {
          cleanKeys.push({ columns: pc.columns, rows: check.rows, estimate: check.estimated ? check : undefined });
        }
        if (!check.error && !pc.where && (mode === 'exact' || !(t.rowEstimate !== undefined && t.rowEstimate >= 0))) { out.rows = check.rows; rowsKnown = true; }
        out.checks.push(check);
        doneChecks++;
      }
      if (mode === 'exact' && !rowsKnown && !out.checks.some((c) => c.error)) {
        out.rows = await countRows();
      }
      if (!statsRowBytes(t) && out.checks.some((c) => c.excessRows > 0 && !c.error)) {
        // No statistics: measure the width on a bounded slice rather than dividing file size (pages, indexes) by rows.
        const w = await q(`SELECT pg_catalog.avg(pg_catalog.pg_column_size(dupguard_x.*))::float8 AS w FROM (SELECT * FROM ${rel} LIMIT 1000) AS dupguard_x`);
        if (w.rows[0]?.w !== null && w.rows[0]?.w !== undefined) measuredRowBytes = Math.round(Number(w.rows[0].w) + 28);
      }
      await q('COMMIT');
    } catch (e) {
      await rollback();
      if (e instanceof Aborted) {
        report.cancelled = true;
        report.errors.push({ table: name, message: `scan cancelled during ${name} (${doneChecks} of ${planned.length} checks done there; ${i} of ${toScan.length} tables finished before it)${forcedClose ? '; the server did not answer the cancel request in 2 s, so the connection was closed' : ''}` });
        out.durationMs = Date.now() - tableStart;
        return finish();
      }
      if (e instanceof DeadlineExceeded || isConnectionLost(e, session)) {
        const err = e instanceof DeadlineExceeded ? e : explainError(e, name);
        const what = e instanceof DeadlineExceeded ? `scan stopped during ${name}` : `connection lost while scanning ${name}`;
        const message = `${what} (${doneChecks} of ${planned.length} checks done there; ${i} of ${toScan.length} tables finished before it): ${err.message}`;
        report.errors.push({ table: name, code: err.code, message });
        // The table's figures are whatever finished before: say so on the table too, never "no check applies".
        (out.errors ??= []).push(message);
        if (notes.length) out.notes = notes;
        out.durationMs = Date.now() - tableStart;
        return finish();
      }
      const err = explainError(e, name);
      const msg = err.code === '42501'
        ? `permission denied on ${name}: not scanned (grant SELECT on it to ${session.user})`
        : `${name}: ${err.message}`;
      (out.errors ??= []).push(msg);
      report.errors.push({ table: name, code: err.code, message: msg });
    }
    // In the notes too, where every reader of the report (the editor's panel) already looks.
    if (out.partial) notes.unshift(`counts are partial: ${out.partial}`);
    if (notes.length) out.notes = notes;
    if (out.errors && !out.errors.length) delete out.errors;
    const avg = statsRowBytes(t) ?? measuredRowBytes ?? (t.totalBytes && out.rows > 0 ? Math.round(t.totalBytes / out.rows) : undefined);
    if (avg !== undefined) {
      out.avgRowBytes = avg;
      for (const c of out.checks) if (!c.error) c.reclaimableBytes = Math.round(c.excessRows * avg);
    }
    // A permission error on the first check ends the table; say it once, not per check.
    if (out.checks.some((c) => c.error && /permission denied/.test(c.error))) {
      const msg = `permission denied on ${name}: not scanned (grant SELECT on it to ${session.user})`;
      out.errors = [msg, ...(out.errors ?? []).filter((m) => !/permission denied/.test(m))];
      report.errors.push({ table: name, code: '42501', message: msg });
    }
    if (lockTimedOut) {
      // Locked after the catalog was read (DDL started meanwhile): a table-level fact, reported like the others.
      report.errors.push({ table: name, code: '55P03', message: `${name}: lock timeout reached waiting for a lock another session holds on it (ALTER TABLE, TRUNCATE, VACUUM FULL, LOCK TABLE...); not scanned` });
    }
    out.durationMs = Date.now() - tableStart;
  }
  report.complete = true;
  return finish();
}

function base(pc: PlannedCheck, estimated: boolean): ScanCheck {
  const c: ScanCheck = {
    kind: pc.kind, columns: pc.columns, source: pc.source, rows: 0, distinct: 0, duplicateGroups: 0,
    excessRows: 0, maxCopies: 0, estimated, sample: [],
  };
  if (pc.reason) c.reason = pc.reason;
  if (pc.constraint) c.constraint = pc.constraint;
  if (pc.ignoredColumns?.length) c.ignoredColumns = pc.ignoredColumns;
  if (pc.comparedAsText?.length) c.comparedAsText = pc.comparedAsText;
  return c;
}

/** Runs one statement; values are bind parameters $1.. */
type Q = (sql: string, values?: unknown[]) => Promise<pg.QueryResult>;

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
async function setPlanner(q: Q, shape: 'few' | 'many' | 'default'): Promise<void> {
  // One statement per message (extended protocol): two SETs.
  await q(`SET LOCAL enable_sort TO ${shape === 'few' ? 'off' : 'DEFAULT'}`);
  await q(`SET LOCAL enable_hashagg TO ${shape === 'many' ? 'off' : 'DEFAULT'}`);
}

/** The duplicate groups of a key (values as the server prints them), for narrowing a later whole-row pass. */
interface KeyGroups {
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
interface Narrowing {
  collectUpTo?: number;
  collected?: KeyGroups;
  within?: KeyGroups;
}

/** Most duplicate key groups carried into a whole-row pass as literals (about 2 MB of SQL for two int columns). */
const NARROW_GROUPS = 50_000;
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

/** For tests: keep only the low bits of the key hash (distinct keys collide); carry fewer candidates. */
export const scanTesting: { hashBits?: number; hashCandidates?: number } = {};

/**
 * One int8 hash of a check's key, for keys that are wide on average (text, several columns): each
 * column's hash seeds the next one's. Equal keys hash alike (NULLs too), so every group with copies
 * has a hash that occurs more than once; different keys may share a hash, which only adds rows to the
 * filtered pass that groups by the key itself: the counts stay exact, collisions or not.
 * Undefined when the key is narrow, has no statistics, or has a type without a hash listed here.
 */
function keyHash(t: LiveTableDescription, pc: PlannedCheck): string | undefined {
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
  if (width <= HASH_WIDTH && scanTesting.hashBits === undefined) return undefined;
  return scanTesting.hashBits === undefined ? h : `((${h}) & ${(2 ** Math.min(30, Math.max(0, scanTesting.hashBits))) - 1})`;
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
async function exactCheck(q: Q, t: LiveTableDescription, rel: string, pc: PlannedCheck, sampleSize: number, pg14: boolean,
  countRows: (where?: string) => Promise<number>, narrow: Narrowing = {}): Promise<ScanCheck> {
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
    const hash = !within && hashArrays ? keyHash(t, pc) : undefined;
    let candidates: string | undefined;
    const cap = scanTesting.hashCandidates ?? HASH_CANDIDATES;
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
async function quickCheck(q: Q, t: LiveTableDescription, rel: string, pc: PlannedCheck, opts: ScanOptions): Promise<ScanCheck> {
  const check = base(pc, true);
  await quickEstimate(q, { table: t, rel, groupBy: groupByOf(pc), where: pc.where, columns: pc.columns }, {
    ...opts.quickTuning, sampleRows: opts.sampleRows, thresholdShare: opts.quickThreshold, thresholdRows: opts.quickThresholdRows,
  }, check);
  return check;
}
