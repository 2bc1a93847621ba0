/**
 * The duplicate scan's report: plain data (no `pg`), shared by the scan engine, the CLI and the
 * editor's webview. `version` changes only when an existing field changes meaning.
 */

/** What a check compares: a key (configured or inferred), a unique key over nullable columns, or whole rows. */
export type ScanCheckKind = 'key' | 'exact-row' | 'unique-nulls';

/** Where the columns of a check came from. */
export type ScanCheckSource = 'config' | 'inferred' | 'unique-index' | 'all-columns';

/** One group of rows sharing the checked columns. */
export interface ScanSampleGroup {
  /** Values of the check's columns, as PostgreSQL prints them (text, cut at 500 characters), aligned with `columns`. */
  values: (string | null)[];
  /** How many rows share these values. */
  count: number;
  /** Physical row ids (ctid) of the first and last copy, when the table has no id column for `ids`; absent on engines without ctid (YugabyteDB) or before PostgreSQL 14. */
  ctids?: string[];
  /** Lowest and highest value of the primary key (or identity/serial column) among the copies, as text. */
  ids?: string[];
  /** The column `ids` holds (e.g. `id`), when the table has one. */
  idColumn?: string;
}

/** The result of one duplicate check over one table. */
export interface ScanCheck {
  kind: ScanCheckKind;
  /** Columns compared (unquoted, case-exact). For exact-row: every column not ignored. */
  columns: string[];
  source: ScanCheckSource;
  /**
   * How far its duplicates can be trusted (see ScanConfidence): only `certain` and `likely` count in the
   * exit status and the totals; `lookalike` and `guess` are notes, never a primary migration action
   * (migrationAction). Absent in reports written before it existed: confidenceOf derives it.
   */
  confidence?: ScanConfidence;
  /**
   * Look-alike rows (`confidence` lookalike): the foreign keys that reference the table, as
   * `schema.table.constraint`. Merging such rows would re-point those references.
   */
  referencedBy?: string[];
  /** Why the check was chosen, in plain words (e.g. "inferred from column names task_pk, requirement_id"). */
  reason?: string;
  /** The constraint or index behind a unique-nulls check. */
  constraint?: string;
  /** Rows counted (for partial unique indexes: rows matching the predicate with no NULL excluded). */
  rows: number;
  /**
   * Set when the check counts only some of the table's rows, in plain words (e.g. "rows with a NULL in
   * email", "rows with no NULL in a, b"): `rows` is then the count of those rows, not the table's.
   */
  rowFilter?: string;
  /** Distinct values of the checked columns. */
  distinct: number;
  /** Values that occur more than once. */
  duplicateGroups: number;
  /** Rows beyond the first of each group: what a dedup would delete. */
  excessRows: number;
  /** Most copies of one value. */
  maxCopies: number;
  /** True when the figures are estimates (quick mode, statistics or TABLESAMPLE), not counts. */
  estimated: boolean;
  /** How the estimate was made, when estimated: a TABLESAMPLE of pages, or the planner's statistics alone (the weakest). */
  estimateMethod?: 'statistics' | 'tablesample';
  /**
   * Estimated checks: the 95% interval of each figure (the point is the field without suffix). With
   * `estimateMethod` tablesample the interval holds whatever the table's layout of copies, for copies
   * spread over pages as for copies side by side; with statistics it is only the sampling error
   * ANALYZE's own sample allows.
   */
  excessRowsLow?: number;
  excessRowsHigh?: number;
  duplicateGroupsLow?: number;
  duplicateGroupsHigh?: number;
  distinctLow?: number;
  distinctHigh?: number;
  maxCopiesLow?: number;
  maxCopiesHigh?: number;
  /** Estimated checks: rows the sample read (0 from statistics alone). */
  sampledRows?: number;
  /** Estimated checks: excess rows a check with no copy seen must rule out (the upper end of its interval below this) to count as clean. */
  quickThresholdRows?: number;
  /**
   * Estimated checks: no copy seen, but the interval's upper end (`excessRowsHigh`) reaches
   * `quickThresholdRows`: the estimate cannot exclude duplicates (an exact scan can).
   */
  inconclusive?: boolean;
  /** Estimated checks: what limits the estimate, in plain words. */
  estimateNote?: string;
  /** Estimated checks: the btree index through which each sampled row's copies were counted (quick mode's index probe). */
  probeIndex?: string;
  /** Estimated bytes a dedup would free: excess rows × average row width. */
  reclaimableBytes?: number;
  /** Up to N groups with the most copies (exact mode, only when duplicates exist). */
  sample: ScanSampleGroup[];
  /** Columns left out of an exact-row comparison, and why (surrogate id, now() default, ...). */
  ignoredColumns?: { name: string; reason: string }[];
  /** Columns compared through their text form because their type has no equality (json, point, xml...). */
  comparedAsText?: string[];
  /** Set when the figures follow from another check of the same table, with no scan of their own. */
  derivedFrom?: string;
  /** Set when the check read only some rows, and why the others cannot hold duplicates (exact all the same). */
  narrowedTo?: string;
  /** Time the check's queries took (quick mode, several checks: including its share of the table's shared samples). */
  durationMs?: number;
  /** Set when the check could not finish; the counts are then absent or partial. */
  error?: string;
}

/** One table's results. */
export interface ScanTable {
  schema: string;
  table: string;
  /** r table, p partitioned table (scanned once through the parent), m materialized view, f foreign table. */
  kind?: string;
  /** Rows in the table (counted in exact mode; estimated in quick mode: see `rowsEstimated`). */
  rows: number;
  rowsEstimated?: boolean;
  totalBytes?: number;
  /** Average row width in bytes used for reclaimable estimates. */
  avgRowBytes?: number;
  checks: ScanCheck[];
  /** Problems on this table (permission denied, timeout...): the other tables are still scanned. */
  errors?: string[];
  /** Why checks were left out (e.g. a unique key already rules out whole-row duplicates). */
  notes?: string[];
  /**
   * Set when the counts cover only part of the table's rows, and why: row-level security policies
   * apply to the scanning role (FORCE ROW LEVEL SECURITY, or a role without BYPASSRLS), so every query
   * sees only the rows they let through. "No duplicates" then means none among those rows.
   */
  partial?: string;
  durationMs?: number;
}

/** A problem that ended or limited the scan as a whole. */
export interface ScanIssue {
  /** `schema.table` the scan was on, if any. */
  table?: string;
  /** PostgreSQL SQLSTATE or node error code, when known. */
  code?: string;
  message: string;
}

/**
 * Totals over every table of the report: per table, its strongest check that counts (tableTotals),
 * never a sum over the checks of one table (their rows overlap). Look-alike rows and inferred keys are
 * left out, counted only in `lowerConfidenceTables`.
 */
export interface ScanSummary {
  tablesScanned: number;
  /** Tables with a certain or likely finding. */
  tablesWithDuplicates: number;
  /** Checks run, of every class. */
  checks: number;
  /** Sum over tables of their strongest finding's figures. */
  duplicateGroups: number;
  excessRows: number;
  reclaimableBytes: number;
  /** Tables whose only duplicates are lower-confidence (look-alike rows, inferred keys): in no other total. */
  lowerConfidenceTables?: number;
}

/** The scan JSON contract (`dupguard scan --format json`). */
export interface ScanReport {
  version: 1;
  mode: 'exact' | 'quick';
  /** Where the scan ran, without any password: `postgres://user@host:port/db`. */
  target?: string;
  server?: { version: string; engine: 'postgresql' | 'yugabytedb' | 'pglite' };
  startedAt: string;
  durationMs: number;
  /** False when the scan stopped before every table was done (cancelled, connection lost...). */
  complete: boolean;
  cancelled?: boolean;
  tables: ScanTable[];
  /** Views and other relations listed but not scanned, with why. */
  skipped?: { schema: string; table: string; reason: string }[];
  errors: ScanIssue[];
  summary: ScanSummary;
}

/** Progress events, one per table and per check, for a progress bar. */
export interface ScanProgress {
  phase: 'catalog' | 'table' | 'check' | 'done';
  /** 0-based index of the current table and the number of tables to scan. */
  index: number;
  total: number;
  schema?: string;
  table?: string;
  /** Human-readable line, e.g. "public.task_requirements: key (task_pk, requirement_id)". */
  message: string;
}

/** True when the check found rows sharing its columns. */
export function hasDuplicates(check: Pick<ScanCheck, 'duplicateGroups'>): boolean {
  return check.duplicateGroups > 0;
}

/**
 * How far a check's duplicates can be trusted, from what declares the columns unique:
 * - `certain`: a declared or configured key (rows sharing it contradict the model), or NULL holes in a
 *   unique key (copies a UNIQUE constraint lets through only because a key column is NULL);
 * - `likely`: rows equal in every column but ids the database made, where nothing references those ids;
 * - `lookalike`: the same, but other rows reference the ids (foreign keys point at the table): each row
 *   is its own thing to those references (pagila's inventory holds several physical copies of a film);
 * - `guess`: a key inferred from column names; nothing declares it unique.
 * Only `certain` and `likely` findings count: exit status, headline figures, totals (see tableTotals).
 */
export type ScanConfidence = 'certain' | 'likely' | 'lookalike' | 'guess';

/** A check's confidence; reports written before `confidence` existed get it from kind and source. */
export function confidenceOf(c: Pick<ScanCheck, 'confidence' | 'source'>): ScanConfidence {
  return c.confidence ?? (c.source === 'inferred' ? 'guess' : c.source === 'all-columns' ? 'likely' : 'certain');
}

/** True when the check's findings count (certain or likely, and it finished). */
export function counts(c: Pick<ScanCheck, 'confidence' | 'source' | 'error'>): boolean {
  const k = confidenceOf(c);
  return !c.error && (k === 'certain' || k === 'likely');
}

/**
 * What a "Generate migration" action for this check should be: `primary` for findings that count;
 * `confirm` (never the primary action; ask first, saying how many rows it deletes) for guesses and
 * look-alike rows, whose "copies" may be separate things.
 */
export function migrationAction(c: Pick<ScanCheck, 'confidence' | 'source' | 'error'>): 'primary' | 'confirm' {
  return counts(c) ? 'primary' : 'confirm';
}

/** One table's totals, the same in every format and in the editor's panel. */
export interface TableTotals {
  /**
   * Index in `checks` of the table's strongest finding: among finished checks that count and found
   * duplicates, the most certain (certain > likely), then the one with the most excess rows; -1 when none.
   */
  check: number;
  /** The strongest finding's figures (0 when none). */
  duplicateGroups: number;
  excessRows: number;
  reclaimableBytes: number;
  /**
   * Index of the strongest lower-confidence finding (look-alike rows before guesses, then most excess
   * rows) when the table has one with duplicates, else -1. Shown as a note, never counted.
   */
  note: number;
}

const RANK: Record<ScanConfidence, number> = { certain: 3, likely: 2, lookalike: 1, guess: 0 };

/** The table's totals (see TableTotals): its strongest check, never a sum over checks (their rows overlap). */
export function tableTotals(t: Pick<ScanTable, 'checks'>): TableTotals {
  const best = (pick: (c: ScanCheck) => boolean): number => {
    let b = -1;
    t.checks.forEach((c, i) => {
      if (c.error || !(c.duplicateGroups > 0) || !pick(c)) return;
      const o = b >= 0 ? t.checks[b] : undefined;
      const rank = RANK[confidenceOf(c)];
      if (!o || rank > RANK[confidenceOf(o)] || (rank === RANK[confidenceOf(o)] && c.excessRows > o.excessRows)) b = i;
    });
    return b;
  };
  const check = best(counts);
  const c = check >= 0 ? t.checks[check] : undefined;
  return {
    check,
    duplicateGroups: c?.duplicateGroups ?? 0,
    excessRows: c?.excessRows ?? 0,
    reclaimableBytes: c?.reclaimableBytes ?? 0,
    note: best((x) => !counts(x)),
  };
}

/** The report's totals from its tables (see ScanSummary and tableTotals). */
export function summarize(tables: ScanTable[]): ScanSummary {
  const s: ScanSummary = { tablesScanned: 0, tablesWithDuplicates: 0, checks: 0, duplicateGroups: 0, excessRows: 0, reclaimableBytes: 0, lowerConfidenceTables: 0 };
  for (const t of tables) {
    s.checks += t.checks.length;
    const tot = tableTotals(t);
    if (tot.check >= 0) {
      s.tablesWithDuplicates++;
      s.duplicateGroups += tot.duplicateGroups;
      s.excessRows += tot.excessRows;
      s.reclaimableBytes += tot.reclaimableBytes;
    } else if (tot.note >= 0) s.lowerConfidenceTables!++;
  }
  s.tablesScanned = tables.filter((t) => (t.checks.length ? t.checks.some((c) => !c.error) : !t.errors?.length)).length;
  return s;
}
