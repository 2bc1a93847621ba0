/**
 * Figures the duplicates panel shows per table, and the SQL behind "Copy query". Pure: the webview
 * script and the host both import it (no `vscode`, no `pg`).
 */
import { confidenceOf, counts, migrationAction, tableTotals, type ScanCheck, type ScanConfidence, type ScanTable } from '../../db/report';
import { commentSafe, quoteIdent } from '../../core/quote';

/** One line of the results table. */
export interface TableFigures {
  schema: string;
  table: string;
  rows: number;
  /** The check the line's figures come from (index into `checks`), or -1 when none finished. */
  headline: number;
  duplicateGroups: number;
  excessRows: number;
  /** Excess rows as a share of all rows, 0..100. */
  percentExcess: number;
  reclaimableBytes: number;
  estimated: boolean;
  /** Quick mode: the 95% intervals of the headline check's groups and excess rows. */
  groupsLow?: number;
  groupsHigh?: number;
  excessLow?: number;
  excessHigh?: number;
  /** Quick mode: some check of the table saw no copy but cannot exclude duplicates above the threshold. */
  inconclusive: boolean;
  /** True when the headline check's copies do not count (a key guessed from names, look-alike rows): shown, never in the totals. */
  inferred: boolean;
  /** The headline check's confidence class. */
  confidence?: ScanConfidence;
  errors: string[];
}

/**
 * The table's headline check: the scan's own per-table totals (db/report.ts tableTotals, the same
 * numbers every output format shows): its strongest finding that counts; else its strongest
 * lower-confidence one (a guessed key, look-alike rows), shown but not counted; else the first
 * finished check.
 */
export function headlineCheck(t: ScanTable): number {
  const tot = tableTotals(t);
  if (tot.check >= 0) return tot.check;
  if (tot.note >= 0) return tot.note;
  const counting = t.checks.findIndex((c) => !c.error && counts(c));
  return counting >= 0 ? counting : t.checks.findIndex((c) => !c.error);
}

export function tableFigures(t: ScanTable): TableFigures {
  const h = headlineCheck(t);
  const c: ScanCheck | undefined = h >= 0 ? t.checks[h] : undefined;
  const rows = t.rows;
  const excess = c?.excessRows ?? 0;
  return {
    schema: t.schema, table: t.table, rows, headline: h,
    duplicateGroups: c?.duplicateGroups ?? 0,
    excessRows: excess,
    percentExcess: rows > 0 ? (excess / rows) * 100 : 0,
    reclaimableBytes: c?.reclaimableBytes ?? 0,
    estimated: !!(c?.estimated || t.rowsEstimated),
    groupsLow: c?.duplicateGroupsLow,
    groupsHigh: c?.duplicateGroupsHigh,
    excessLow: c?.excessRowsLow,
    excessHigh: c?.excessRowsHigh,
    inconclusive: t.checks.some((x) => x.inconclusive && !x.error),
    inferred: !!c && !counts(c),
    confidence: c ? confidenceOf(c) : undefined,
    errors: t.errors ?? [],
  };
}

/**
 * Whether a check's copies are a guess (a key inferred from column names, look-alike rows other
 * tables reference separately): no primary button, and a question before a migration.
 */
export function isGuess(c: ScanCheck): boolean {
  return migrationAction(c) === 'confirm';
}

/** An estimated figure with its 95% interval, `≈ 30,000 (12,000–61,000)`; a plain count when there is no interval. */
export function formatEstimate(point: number, low?: number, high?: number): string {
  if (low === undefined || high === undefined) return formatCount(point);
  if (low === high) return `≈ ${formatCount(point)}`;
  return `≈ ${formatCount(point)} (${formatCount(low)}–${formatCount(high)})`;
}

/** A quick estimate's figures in a sentence: never "no duplicates" for a sample that saw none. */
export function describeEstimate(c: ScanCheck): string {
  if (c.duplicateGroups === 0 && c.excessRowsHigh !== undefined) {
    const basis = c.derivedFrom ? `the key check's sample (rows equal in every column share the key)` : c.sampledRows ? `a sample of ${formatCount(c.sampledRows)} of ≈ ${formatCount(c.rows)} rows` : `the statistics of ≈ ${formatCount(c.rows)} rows`;
    return `None found in ${basis}; could still hold up to ${formatCount(c.excessRowsHigh)} excess rows (95%), ` + (c.inconclusive
      ? `at or above the threshold of ${formatCount(c.quickThresholdRows ?? 0)}: the estimate cannot exclude duplicates (run an Exact scan).`
      : `below the threshold of ${formatCount(c.quickThresholdRows ?? 0)}.`);
  }
  return `${formatEstimate(c.duplicateGroups, c.duplicateGroupsLow, c.duplicateGroupsHigh)} duplicate groups, ${formatEstimate(c.excessRows, c.excessRowsLow, c.excessRowsHigh)} excess rows, ` +
    `up to ${formatEstimate(c.maxCopies, c.maxCopiesLow, c.maxCopiesHigh)} copies · ${formatEstimate(c.distinct, c.distinctLow, c.distinctHigh)} distinct of ≈ ${formatCount(c.rows)} rows ` +
    `(estimated ${c.estimateMethod === 'statistics' ? 'from planner statistics only, the weakest estimate' : `from a sample of ${formatCount(c.sampledRows ?? 0)} rows`}; 95% intervals)`;
}

/** 1 234 567 → "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Bytes in binary units, as pg_size_pretty does. */
export function formatBytes(n: number): string {
  if (!n) return '0 B';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

export function formatPercent(p: number): string {
  if (p === 0) return '0%';
  if (p < 0.1) return '<0.1%';
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}

const ident = quoteIdent;

/**
 * The read-only query that lists a check's duplicate groups, largest first, with the ids of the
 * copies: what "Copy query" puts on the clipboard.
 */
export function duplicateQuery(t: Pick<ScanTable, 'schema' | 'table'>, c: ScanCheck, idColumn?: string): string {
  const rel = `${ident(t.schema)}.${ident(t.table)}`;
  const asText = new Set(c.comparedAsText ?? []);
  const cols = c.columns.map((n) => (asText.has(n) ? `${ident(n)}::text` : ident(n)));
  const where: string[] = [];
  if (c.kind === 'unique-nulls') where.push(`(${cols.map((x) => `${x} IS NULL`).join(' OR ')})`);
  if (c.kind === 'key' && c.source === 'inferred') for (const x of cols) where.push(`${x} IS NOT NULL`);
  // Names in the comment are quoted and escaped: a line break in a name must not end the comment.
  const label = c.kind === 'exact-row'
    ? `rows equal in every column${c.ignoredColumns?.length ? ` except ${c.ignoredColumns.map((i) => ident(i.name)).join(', ')}` : ''}`
    : `key (${c.columns.map(ident).join(', ')})`;
  const ids = idColumn ? `,\n       (array_agg(${ident(idColumn)} ORDER BY ${ident(idColumn)}))[1:10] AS ${ident(`${idColumn}s`)}` : '';
  return [
    commentSafe(`-- dupguard: duplicate groups of ${rel}, ${label}; largest first. Read-only.`),
    `SELECT ${cols.join(', ')},`,
    `       count(*) AS copies${ids}`,
    `  FROM ${rel}`,
    ...(where.length ? [` WHERE ${where.join('\n   AND ')}`] : []),
    ` GROUP BY ${cols.join(', ')}`,
    `HAVING count(*) > 1`,
    ` ORDER BY copies DESC`,
    ` LIMIT 100;`,
    '',
  ].join('\n');
}
