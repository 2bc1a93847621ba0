/**
 * `dupguard scan`: finds duplicate rows already in a PostgreSQL database. Argument parsing and
 * output only; the engine is src/db/scan.ts.
 */
import * as os from 'node:os';
import { formatHelp, parseArgs, UsageError } from './args';
import { loadConfig } from '../config/dupguardJson';
import type { CliIO } from './io';
import { indexOutsideQuotes, parseQualifiedName, splitOutsideQuotes } from '../core/names';
import { confidenceOf, counts, type ScanCheck, type ScanReport, type ScanTable } from '../db/report';
import { quoteQualified } from '../core/quote';

const SPEC = {
  url: { type: 'string', valueName: 'postgres-url', description: 'connection URL (default: DATABASE_URL, else PG* variables)' },
  schema: { type: 'string', multiple: true, valueName: 'schema', description: 'only these schemas' },
  table: { type: 'string', multiple: true, short: 't', valueName: 'schema.table', description: 'only these tables' },
  key: { type: 'string', multiple: true, short: 'k', valueName: 'schema.table=a,b', description: 'natural key to check (adds to naturalKeys in .dupguard.json)' },
  exact: { type: 'boolean', description: 'count every row (default)' },
  quick: { type: 'boolean', description: 'estimate from a sample of pages (then, when that is inconclusive, of rows, or of rows whose copies a btree index on the key counts), each figure with its 95% interval' },
  'quick-threshold': { type: 'string', default: '0.1%', valueName: 'n|p%', description: 'quick: a check with no copy in the sample counts as clean only if its interval rules out this many excess rows (or this share of its rows)' },
  format: { type: 'string', choices: ['text', 'json', 'md'], default: 'text', short: 'f', description: 'output format' },
  sample: { type: 'number', default: 5, valueName: 'n', description: 'duplicate groups shown per check' },
  timeout: { type: 'number', default: 0, valueName: 'ms', description: 'statement_timeout per query (0 = none)' },
  'client-timeout': { type: 'number', valueName: 'ms', description: 'give up on a server that sends no answer for this long: cancel the statement, close the connection, exit 2 (default: --timeout + 30 s, or 1 hour without --timeout; 0 = wait forever)' },
  'lock-timeout': { type: 'number', default: 5000, valueName: 'ms', description: 'wait this long behind a lock another session holds (ALTER TABLE...), then report the table and go on (0 = no limit)' },
  infer: { type: 'boolean', default: true, description: 'also check keys inferred from column names (--no-infer to skip)' },
  'exact-rows': { type: 'boolean', default: true, description: 'also check whole-row duplicates ignoring ids (--no-exact-rows to skip)' },
  config: { type: 'string', short: 'c', valueName: 'file', description: 'config file (default: nearest .dupguard.json from the working folder up)' },
  progress: { type: 'boolean', description: 'print a line per table on stderr' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const;

const USAGE = `Usage: dupguard scan [--url <postgres-url>] [options]

Finds duplicate rows already in the database: configured natural keys, unique keys that let
NULL copies through, whole rows equal except their generated ids, and keys inferred from column
names (labelled as inferred). The scan runs in read-only transactions and writes nothing.

Options:
${formatHelp(SPEC)}

Password: from the URL, PGPASSWORD or ~/.pgpass; when the server asks for one and none was given,
it is asked for on the terminal (not echoed), or, without a terminal, the scan exits 2 saying so.

Quick mode (--quick) reads a sample, never a whole table, and gives every figure with its 95%
interval: "≈ 30,000 (12,000–61,000)". When the sample holds no copy it says "none found; could
still hold up to N" and counts the check as clean only when N is below --quick-threshold (default
0.1% of the check's rows); otherwise the estimate cannot exclude duplicates: run an exact scan.

Every finding has a confidence: certain (a configured key; a unique key letting NULL copies
through), likely (whole rows equal but for ids nothing references), look-alike (the same, but other
tables reference those ids: each row may be a thing of its own) or guess (a key inferred from column
names). Only certain and likely findings count, in the exit status and in the totals (docs/scan.md).

Exit status: 0 no duplicates that count (look-alike rows and guesses are reported with '?' and
exit 0); 1 certain or likely duplicates found; 2 an error (connection, permission, lock
timeout, no answer within --client-timeout, a configured key naming no column...) or counts made
partial by row-level security, and no such duplicates found;
3 (--quick) none found, but for some check the estimate cannot exclude duplicates above
--quick-threshold.

What the scan runs against the database, and a least-privilege role for it: docs/security.md.`;

/** True when a check whose findings count (certain or likely: report.ts counts) found duplicates. */
export function reportHasDuplicates(r: ScanReport): boolean {
  return r.tables.some((t) => t.checks.some((c) => c.duplicateGroups > 0 && counts(c)));
}

/** True when a quick estimate of a check that counts saw no copy but cannot exclude duplicates above the threshold. */
export function reportInconclusive(r: ScanReport): boolean {
  return r.tables.some((t) => t.checks.some((c) => c.inconclusive && counts(c)));
}

/**
 * Parses `s.t=a,b` (a --key argument). Columns come back as written: a quoted one keeps its double
 * quotes (`"User"`), so that the scan matches it exactly and folds a bare one as PostgreSQL would.
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

/** Parses --quick-threshold: `0.1%` (a share of each check's rows) or a whole number of rows. */
export function parseQuickThreshold(v: string): { share?: number; rows?: number } {
  const t = v.trim();
  const pct = /^(\d+(?:\.\d+)?|\.\d+)\s*%$/.exec(t);
  if (pct) {
    const p = Number(pct[1]);
    if (p <= 100) return { share: p / 100 };
  } else if (/^\d+$/.test(t)) return { rows: Number(t) };
  throw new UsageError(`--quick-threshold '${v}': expected a share of rows such as 0.1% or a whole number of rows such as 500`);
}

export async function run(argv: string[], rawIo: CliIO): Promise<number> {
  const { scrub } = await import('../db/connect');
  // Nothing this command prints to stderr shows a password, whatever form it was given in (a URL as
  // an unexpected argument, a malformed option value, a server message), nor a raw control character.
  const io: CliIO = { ...rawIo, stderr: (s) => rawIo.stderr(scrub(s).split('\n').map(terminalSafe).join('\n')) };
  let parsed;
  try {
    parsed = parseArgs(argv, SPEC);
  } catch (e) {
    if (e instanceof UsageError) { io.stderr(`dupguard scan: ${e.message}\n\n${USAGE}\n`); return 2; }
    throw e;
  }
  const f = parsed.flags;
  if (f.help) { io.stdout(`${USAGE}\n`); return 0; }
  if (parsed.positionals.length) {
    const arg = parsed.positionals[0];
    const url = /^postgres(ql)?:\/\/|=/i.test(arg);
    io.stderr(`dupguard scan: unexpected argument '${url ? scrub(arg) : arg}'${url ? ': give the database with --url (or DATABASE_URL, which keeps the password out of the process list)' : ' (use --url for the database)'}\n`);
    return 2;
  }
  if (f.exact && f.quick) { io.stderr('dupguard scan: --exact and --quick exclude each other\n'); return 2; }
  if (!(f.sample >= 0) || !Number.isInteger(f.sample)) { io.stderr('dupguard scan: --sample needs a whole number ≥ 0\n'); return 2; }
  if (!(f.timeout >= 0)) { io.stderr('dupguard scan: --timeout needs milliseconds ≥ 0\n'); return 2; }
  if (!(f['lock-timeout'] >= 0)) { io.stderr('dupguard scan: --lock-timeout needs milliseconds ≥ 0\n'); return 2; }
  if (f['client-timeout'] !== undefined && !(f['client-timeout'] >= 0)) { io.stderr('dupguard scan: --client-timeout needs milliseconds ≥ 0\n'); return 2; }
  let threshold: { share?: number; rows?: number };
  try { threshold = parseQuickThreshold(f['quick-threshold']); } catch (e) { io.stderr(`dupguard scan: ${(e as Error).message}\n`); return 2; }

  const { scan } = await import('../db/scan');
  const { connect, DbError } = await import('../db/connect');
  let naturalKeys: Record<string, string[]>;
  try {
    const loaded = loadConfig(io.cwd, f.config);
    for (const w of loaded.warnings) io.stderr(`dupguard scan: ${w}\n`);
    naturalKeys = { ...(loaded.config.naturalKeys ?? {}) };
    for (const spec of f.key) {
      const k = parseKeySpec(spec);
      naturalKeys[k.table] = k.columns;
    }
  } catch (e) {
    // A malformed config (ConfigError names file and place) or --key spec: the message is the help.
    io.stderr(`dupguard scan: ${(e as Error).message}\n`);
    return 2;
  }

  const target = f.url ?? io.env.DATABASE_URL ?? {};
  let session;
  try {
    session = await connect(target, {
      env: io.env, statementTimeoutMs: f.timeout, lockTimeoutMs: f['lock-timeout'],
      // As psql: ask on the terminal, never echoed; without one (CI, pipes) the error says how to give it.
      password: process.stdin.isTTY && process.stderr.isTTY ? () => promptPassword(`Password for ${userOf(target, io.env)}: `) : undefined,
    });
  } catch (e) {
    io.stderr(`dupguard scan: ${e instanceof DbError ? e.message : String((e as Error)?.message ?? e)}\n`);
    return 2;
  }
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  let report: ScanReport;
  try {
    report = await scan(session, {
      mode: f.quick ? 'quick' : 'exact',
      schemas: f.schema.length ? f.schema : undefined,
      tables: f.table.length ? f.table : undefined,
      naturalKeys,
      inferKeys: f.infer,
      exactRows: f['exact-rows'],
      sampleSize: f.sample,
      statementTimeoutMs: f.timeout,
      lockTimeoutMs: f['lock-timeout'],
      clientTimeoutMs: f['client-timeout'],
      quickThreshold: threshold.share,
      quickThresholdRows: threshold.rows,
      signal: ac.signal,
      onProgress: f.progress ? (p) => { if (p.phase === 'table') io.stderr(`[${p.index + 1}/${p.total}] ${p.message}\n`); } : undefined,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    await session.close();
  }
  io.stdout(formatReport(report, f.format as 'text' | 'json' | 'md'));
  for (const e of report.errors) io.stderr(`dupguard scan: ${e.message}\n`);
  const partial = report.tables.filter((t) => t.partial);
  for (const t of partial) io.stderr(`dupguard scan: counts are partial: ${t.partial}\n`);
  if (reportHasDuplicates(report)) return 1;
  // "No duplicates" is only claimed for what was read in full.
  if (report.errors.length || !report.complete || partial.length) return 2;
  return reportInconclusive(report) ? 3 : 0;
}

/** The role a connection target logs in as, for the password prompt (as libpq resolves it). */
function userOf(target: string | { user?: string }, env: NodeJS.ProcessEnv): string {
  let user: string | undefined;
  if (typeof target === 'string') {
    try { user = decodeURIComponent(new URL(target).username) || new URL(target).searchParams.get('user') || undefined; } catch { user = undefined; }
  } else user = target.user;
  if (user) return user;
  if (env.PGUSER) return env.PGUSER;
  try { return os.userInfo().username; } catch { return 'the user'; }
}

/**
 * Reads a line from the terminal without echoing it (raw mode, as psql's prompt). Ctrl-C or Ctrl-D
 * on an empty line gives undefined: the connection then fails with the "no password" message.
 */
export function promptPassword(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string | undefined> {
  return new Promise((resolve) => {
    const wasRaw = input.isRaw;
    // Echo off before the question shows: an answer typed ahead must not appear either.
    input.setRawMode?.(true);
    output.write(question);
    input.resume();
    let value = '';
    const done = (v: string | undefined) => {
      input.removeListener('data', onData);
      input.setRawMode?.(wasRaw);
      input.pause();
      output.write('\n');
      resolve(v);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(value);
        if (ch === '\u0003' || (ch === '\u0004' && !value)) return done(undefined);
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** Renders a report in one of the CLI's formats. */
export function formatReport(r: ScanReport, format: 'text' | 'json' | 'md'): string {
  // JSON escapes C0 controls itself; DEL, C1 and the bidirectional controls too, as \u escapes (same JSON value).
  if (format === 'json') return `${JSON.stringify(r, null, 2).replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
  if (format === 'md') return markdown(r);
  return text(r);
}

const n = (v: number) => v.toLocaleString('en-US');

/** 8.96 GB, 512 kB... */
export function bytes(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '?';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let x = v;
  let u = 0;
  while (x >= 1024 && u < units.length - 1) { x /= 1024; u++; }
  return `${u === 0 ? x : x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2)} ${units[u]}`;
}

function checkTitle(c: ScanCheck): string {
  const cols = c.kind === 'exact-row'
    ? (c.ignoredColumns?.length ? `all columns except ${c.ignoredColumns.map((i) => i.name).join(', ')}` : 'all columns')
    : c.columns.join(', ');
  const label = c.kind === 'exact-row' ? 'whole row' : c.kind === 'unique-nulls' ? `unique ${c.constraint ?? ''} with NULLs`.replace('  ', ' ') : c.source === 'inferred' ? 'inferred key' : 'key';
  return `${label} (${cols})`;
}

function ratio(c: ScanCheck): string {
  return c.distinct > 0 ? `${(c.rows / c.distinct).toFixed(c.rows / c.distinct >= 10 ? 0 : 2)}x` : '-';
}

/**
 * A sample value as a reader can tell it apart: NULL bare, an empty string as '', and a value that
 * could be read as either (the text NULL, quotes, edge spaces, a comma) in single quotes.
 */
export function sampleValue(v: string | null): string {
  if (v === null) return 'NULL';
  const cut = v.length > 40 ? `${v.slice(0, 37)}...` : v;
  return v === '' || /^(null|'.*)$/i.test(v) || /^\s|\s$|,/.test(v) ? `'${cut.replace(/'/g, "''")}'` : cut;
}

/** What a check's class means, in a few words (report.ts ScanConfidence). */
export function confidenceText(c: ScanCheck): string {
  switch (confidenceOf(c)) {
    case 'certain': return c.kind === 'unique-nulls' ? 'certain (copies the unique key lets through because a key column is NULL)' : 'certain (a configured natural key)';
    case 'likely': return 'likely (whole-row copies behind an id nothing references)';
    case 'lookalike': return 'look-alike, not counted';
    default: return 'guess, not counted';
  }
}

/** "603 rows", or "0 rows with a NULL in email (of 1,000)" when the check counts only some of the table's rows. */
function rowsOf(c: ScanCheck, t: ScanTable, approx: string): string {
  const rows = `${approx}${n(c.rows)} ${c.rows === 1 ? 'row' : 'rows'}`;
  // rowFilter starts with "rows ...".
  return c.rowFilter ? `${rows}${c.rowFilter.replace(/^rows?\b/, '')} (of ${t.rowsEstimated ? '~' : ''}${n(t.rows)})` : rows;
}

function sampleLine(c: ScanCheck, g: ScanCheck['sample'][number]): string {
  const vals = g.values.map(sampleValue).join(', ');
  const span = (label: string, v: string[]) => (g.count > 2 ? ` lowest ${label} ${v[0]}, highest ${v[v.length - 1]}` : ` ${label} ${v.join(', ')}`);
  const who = g.ids?.length ? span(g.idColumn ?? 'id', g.ids) : g.ctids?.length ? span('ctid', g.ctids) : '';
  void c;
  return `(${vals}) × ${n(g.count)}${who}`;
}

/**
 * One line for a terminal: control characters (C0 including line breaks, DEL, C1, bidirectional
 * overrides and isolates, line and paragraph separators) written as \xNN / \uNNNN, so a value
 * cannot move the cursor, recolour, retitle or reorder what the terminal shows.
 */
export function terminalSafe(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

function text(r: ScanReport): string {
  const lines: string[] = [];
  const est = r.mode === 'quick' ? ' (quick: estimates)' : '';
  lines.push(`dupguard scan of ${r.target ?? 'database'}${est}`);
  for (const t of r.tables) {
    lines.push('');
    // A table that ended in an error before any check finished has no row count to show.
    const counted = !t.errors?.length || t.checks.some((c) => !c.error);
    lines.push(`${qualifiedName(t)}  ${counted ? `${t.rowsEstimated ? '~' : ''}${n(t.rows)} rows` : 'not scanned'}${t.totalBytes !== undefined ? `, ${bytes(t.totalBytes)}` : ''}${t.kind === 'p' ? ' (partitioned)' : ''}`);
    if (t.partial) lines.push(`  !   counts are partial: ${t.partial}`);
    for (const c of t.checks) {
      if (c.error) { lines.push(`  ! ${checkTitle(c)}: ${c.error}`); continue; }
      const approx = c.estimated ? '~' : '';
      if (c.duplicateGroups === 0) {
        if (c.estimated && c.excessRowsHigh !== undefined) {
          const mark = c.inconclusive ? (counts(c) ? ' ??' : ' ?') : 'ok ';
          lines.push(`  ${mark} ${checkTitle(c)}: ${noneFound(c)}`);
          if (c.estimateNote) lines.push(`      ${c.estimateNote}`);
          continue;
        }
        lines.push(`  ok  ${checkTitle(c)}: no duplicates in ${rowsOf(c, t, approx)}`);
        continue;
      }
      const mark = counts(c) ? 'DUP' : ' ?';
      if (c.estimated && c.excessRowsLow !== undefined) {
        lines.push(`  ${mark} ${checkTitle(c)}: ${estimate(c.excessRows, c.excessRowsLow, c.excessRowsHigh)} excess rows in ${estimate(c.duplicateGroups, c.duplicateGroupsLow, c.duplicateGroupsHigh)} groups; ${estimate(c.distinct, c.distinctLow, c.distinctHigh)} distinct of ${rowsOf(c, t, '~')}, up to ${estimate(c.maxCopies, c.maxCopiesLow, c.maxCopiesHigh)} copies${c.reclaimableBytes ? `, ~${bytes(c.reclaimableBytes)} reclaimable` : ''}`);
        lines.push(`      ${estimateBasis(c)}`);
      } else {
        lines.push(`  ${mark} ${checkTitle(c)}: ${approx}${n(c.excessRows)} excess ${c.excessRows === 1 ? 'row' : 'rows'} in ${approx}${n(c.duplicateGroups)} ${c.duplicateGroups === 1 ? 'group' : 'groups'}; ${approx}${n(c.distinct)} distinct of ${rowsOf(c, t, approx)} (${ratio(c)}), up to ${n(c.maxCopies)} copies${c.reclaimableBytes ? `, ~${bytes(c.reclaimableBytes)} reclaimable` : ''}`);
      }
      lines.push(`      confidence: ${confidenceText(c)}`);
      if (c.reason && c.source !== 'config') lines.push(`      ${c.reason}`);
      if (c.comparedAsText?.length) lines.push(`      compared as text (no equality operator): ${c.comparedAsText.join(', ')}`);
      for (const g of c.sample) lines.push(`      ${sampleLine(c, g)}`);
    }
    if (!t.checks.length && !t.errors?.length) lines.push('  (no check applies)');
    for (const note of t.notes ?? []) if (!t.partial || !note.endsWith(t.partial)) lines.push(`  -   ${note}`);
    for (const e of t.errors ?? []) if (!t.checks.some((c) => c.error === e)) lines.push(`  !   ${e}`);
  }
  for (const s of r.skipped ?? []) lines.push('', `skipped ${s.schema}.${s.table}: ${s.reason}`);
  lines.push('');
  lines.push(summaryLine(r));
  return `${lines.map(terminalSafe).join('\n')}\n`;
}

/** An estimated figure with its 95% interval: `≈ 30,000 (12,000–61,000)`; a bare count when the interval is one value. */
export function estimate(point: number, low?: number, high?: number): string {
  if (low === undefined || high === undefined) return `~${n(point)}`;
  if (low === high) return `≈ ${n(point)}`;
  return `≈ ${n(point)} (${n(low)}–${n(high)})`;
}

/** What an estimate with no copy in its sample says: never "no duplicates", but how many it could still hide. */
export function noneFound(c: ScanCheck): string {
  const high = c.excessRowsHigh ?? 0;
  const basis = c.derivedFrom ? `the key check's sample (rows equal in every column share the key)` : c.sampledRows ? `a sample of ${n(c.sampledRows)} of ~${n(c.rows)} rows` : `the statistics of ~${n(c.rows)} rows`;
  const verdict = c.inconclusive
    ? `at or above the threshold of ${n(c.quickThresholdRows ?? 0)}: the estimate cannot exclude duplicates (run an exact scan)`
    : `below the threshold of ${n(c.quickThresholdRows ?? 0)}`;
  return `none found in ${basis}; could still hold up to ${n(high)} excess ${high === 1 ? 'row' : 'rows'} (95%), ${verdict}`;
}

/** How an estimate was made, in one line. */
function estimateBasis(c: ScanCheck): string {
  const how = c.estimateMethod === 'statistics' ? 'from planner statistics only (the weakest estimate)' : `from a sample of ${n(c.sampledRows ?? 0)} rows`;
  return `estimated ${how}; 95% intervals in parentheses${c.estimateNote && c.estimateMethod !== 'statistics' ? `; ${c.estimateNote}` : ''}`;
}

function qualifiedName(t: Pick<ScanTable, 'schema' | 'table'>): string {
  return quoteQualified(t.schema, t.table);
}

/** One line: tables scanned, tables with duplicates, excess rows, bytes, time. */
export function summaryLine(r: ScanReport): string {
  const s = r.summary;
  const parts = [
    `${s.tablesScanned} table(s) scanned`,
    `${s.tablesWithDuplicates} with duplicates`,
    ...(r.mode === 'quick' && reportInconclusive(r) ? [`${r.tables.filter((t) => t.checks.some((c) => c.inconclusive && counts(c))).length} that the estimate cannot clear`] : []),
    `${r.mode === 'quick' ? '~' : ''}${n(s.excessRows)} excess rows`,
    `~${bytes(s.reclaimableBytes)} reclaimable`,
    ...(s.lowerConfidenceTables ? [`${s.lowerConfidenceTables} more with lower-confidence notes only (look-alike rows, inferred keys: not counted)`] : []),
    `${(r.durationMs / 1000).toFixed(1)} s`,
  ];
  const partial = r.tables.filter((t) => t.partial).length;
  const state = (r.cancelled ? ' (cancelled: partial report)' : !r.complete ? ' (incomplete: see errors)' : '')
    + (partial ? ` (partial counts on ${partial} table(s): row-level security)` : '');
  return `${parts.join(', ')}${state}`;
}

function md(s: string): string {
  return terminalSafe(s).replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`);
}

function markdown(r: ScanReport): string {
  const out: string[] = [];
  out.push(`# dupguard scan${r.mode === 'quick' ? ' (quick estimates)' : ''}`);
  out.push('');
  out.push(`Database: \`${terminalSafe(r.target ?? '?').replace(/`/g, "'")}\` · ${r.startedAt} · ${md(summaryLine(r))}`);
  out.push('');
  out.push('| Table | Check | Source | Rows | Distinct | Duplicate groups | Excess rows | Max copies | Reclaimable | Confidence |');
  out.push('|---|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const t of r.tables) {
    if (!t.checks.length) {
      out.push(`| ${md(qualifiedName(t))} | ${md(t.errors?.[0] ?? t.notes?.[0] ?? 'no check applies')} | | ${n(t.rows)} | | | | | | |`);
      continue;
    }
    for (const c of t.checks) {
      const a = c.estimated ? '~' : '';
      const klass = md(confidenceOf(c) === 'lookalike' ? 'look-alike (not counted)' : confidenceOf(c) === 'guess' ? 'guess (not counted)' : confidenceOf(c));
      const rows = (a: string) => `${a}${n(c.rows)}${c.rowFilter ? ` ${md(c.rowFilter)}` : ''}`;
      if (c.error) { out.push(`| ${md(qualifiedName(t))} | ${md(checkTitle(c))} | ${c.source} | | | | | | ${md(c.error)} | ${klass} |`); continue; }
      if (c.estimated && c.excessRowsLow !== undefined) {
        const groups = c.duplicateGroups === 0 ? (c.inconclusive ? `none found, up to ${n(c.excessRowsHigh ?? 0)} excess possible: **cannot exclude**` : `none found (up to ${n(c.excessRowsHigh ?? 0)} excess possible)`)
          : `**${estimate(c.duplicateGroups, c.duplicateGroupsLow, c.duplicateGroupsHigh)}**`;
        out.push(`| ${md(qualifiedName(t))} | ${md(checkTitle(c))} | ${c.source} | ${rows('~')} | ${estimate(c.distinct, c.distinctLow, c.distinctHigh)} | ${groups} | ${estimate(c.excessRows, c.excessRowsLow, c.excessRowsHigh)} | ${estimate(c.maxCopies, c.maxCopiesLow, c.maxCopiesHigh)} | ${c.reclaimableBytes ? bytes(c.reclaimableBytes) : ''} | ${klass} |`);
        continue;
      }
      out.push(`| ${md(qualifiedName(t))} | ${md(checkTitle(c))} | ${c.source} | ${rows(a)} | ${a}${n(c.distinct)} | ${c.duplicateGroups ? '**' : ''}${a}${n(c.duplicateGroups)}${c.duplicateGroups ? '**' : ''} | ${a}${n(c.excessRows)} | ${n(c.maxCopies)} | ${c.reclaimableBytes ? bytes(c.reclaimableBytes) : ''} | ${klass} |`);
    }
  }
  const withSamples = r.tables.flatMap((t) => t.checks.filter((c) => c.sample.length).map((c) => [t, c] as const));
  if (withSamples.length) {
    out.push('', '## Largest duplicate groups', '');
    for (const [t, c] of withSamples) {
      out.push(`### ${md(qualifiedName(t))}: ${md(checkTitle(c))}`, '', `Confidence: ${md(confidenceText(c))}`, '');
      if (c.reason) out.push(`${md(c.reason)}`, '');
      for (const g of c.sample) out.push(`- ${md(sampleLine(c, g))}`);
      out.push('');
    }
  }
  const problems = [
    ...r.tables.filter((t) => t.partial).map((t) => `counts are partial: ${t.partial}`),
    ...r.errors.map((e) => e.message), ...(r.skipped ?? []).map((s) => `skipped ${s.schema}.${s.table}: ${s.reason}`),
  ];
  if (problems.length) {
    out.push('', '## Notes', '');
    for (const p of problems) out.push(`- ${md(p)}`);
  }
  return `${out.join('\n')}\n`;
}
