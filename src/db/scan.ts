/**
 * The duplicate scan: reads the catalog, plans each table's checks (scanPlan.ts), runs them
 * (scanSql.ts) through a cancellable runner (scanRunner.ts), and sums the report (report.ts).
 * Read-only by construction: every table is scanned inside its own
 * `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY` transaction with SET LOCAL timeouts, so the
 * counts and the sample of one table agree, and nothing is ever written. The query shapes and what
 * they were measured against: docs/scan.md.
 */
import type { DbSession } from './connect';
import { explainError } from './connect';
import { quoteQualified as qualified } from '../core/quote';
import { deriveFromKey, type QuickOptions } from './quick';
import { foreignKeysOf, listTables, lockedTables, type LiveTableDescription } from './introspect';
import { summarize, type ScanCheck, type ScanProgress, type ScanReport, type ScanTable } from './report';
import { naturalKeyFor, planTable, selectTables, type PlannedCheck } from './scanPlan';
import { Aborted, createRunner, DeadlineExceeded, isConnectionLost } from './scanRunner';
import type { HashTuning } from './scanSql';
import { base, exactCheck, int, NARROW_GROUPS, quickCheck, quickChecks, setPlanner, statsRowBytes, type KeyGroups, type Narrowing } from './scanSql';

export { parseQualifiedName } from '../core/names';
export type { HashTuning } from './scanSql';

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
  /** The exact scan's two-pass hash shape (src/db/scanSql.ts HashTuning); the defaults are the fast ones. */
  hashing?: HashTuning;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
}

/** The default client deadline for a statement timeout (see ScanOptions.clientTimeoutMs). */
export function defaultClientTimeout(statementTimeoutMs = 0): number {
  return statementTimeoutMs > 0 ? statementTimeoutMs + 30_000 : 3_600_000;
}

/** Scans the session's database for duplicate rows. Never throws for database errors: they land in the report. */
export async function scan(session: DbSession, opts: ScanOptions = {}): Promise<ScanReport> {
  const started = Date.now();
  const mode = opts.mode ?? 'exact';
  const sampleSize = Math.max(0, Math.floor(opts.sampleSize ?? 5));
  const report: ScanReport = {
    version: 1, mode, target: session.target,
    server: { version: session.serverVersion, engine: session.engine },
    startedAt: new Date(started).toISOString(), durationMs: 0, complete: false,
    tables: [], skipped: [], errors: [],
    summary: { tablesScanned: 0, tablesWithDuplicates: 0, checks: 0, duplicateGroups: 0, excessRows: 0, reclaimableBytes: 0 },
  };
  const progress = (p: ScanProgress) => { try { opts.onProgress?.(p); } catch { /* a listener must not break the scan */ } };
  const deadlineMs = Math.max(0, Math.floor(opts.clientTimeoutMs ?? defaultClientTimeout(opts.statementTimeoutMs ?? 0)));
  const runner = createRunner(session, {
    signal: opts.signal, deadlineMs, statementTimeoutMs: opts.statementTimeoutMs, lockTimeoutMs: opts.lockTimeoutMs,
    parallel: opts.parallel, workMemMb: opts.workMemMb,
  });
  const { q, catalog, begin, rollback } = runner;

  const finish = () => {
    report.durationMs = Date.now() - started;
    report.summary = summarize(report.tables);
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
  const selection = selectTables(tables, locked, { tables: opts.tables, schemas: opts.schemas, naturalKeys: opts.naturalKeys }, session.user);
  report.errors.push(...selection.errors);
  report.skipped!.push(...selection.skipped);
  const toScan = selection.toScan;

  for (let i = 0; i < toScan.length; i++) {
    const t = toScan[i];
    const name = `${t.schema}.${t.name}`;
    const tableStart = Date.now();
    const natural = naturalKeyFor(t, opts.naturalKeys);
    const { checks: planned, notes, errors: planErrors, skip } = planTable(t, { naturalKey: natural, foreignKeys: fkMap.get(t.oid) ?? [], inferKeys: opts.inferKeys, exactRows: opts.exactRows, role: session.user });
    const out: ScanTable = { schema: t.schema, table: t.name, kind: t.kind, rows: 0, checks: [] };
    if (planErrors.length) {
      out.errors = [...planErrors];
      for (const message of planErrors) report.errors.push({ table: name, message });
    }
    if (t.totalBytes !== undefined) out.totalBytes = t.totalBytes;
    if (skip) {
      // Not read at all: no count, no sample (the error says why).
      report.tables.push(out);
      progress({ phase: 'table', index: i, total: toScan.length, schema: t.schema, table: t.name, message: `${name}: not scanned` });
      continue;
    }
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
      let shared: Map<PlannedCheck, ScanCheck> | undefined;
      let sharedMs = 0;
      if (mode === 'quick') {
        const est = t.rowEstimate !== undefined && t.rowEstimate >= 0 ? t.rowEstimate : -1;
        out.rows = Math.max(0, Math.round(est));
        out.rowsEstimated = true;
        if (planned.length > 1) {
          // One sample read for all the table's checks; should it fail, each check samples on its own
          // and keeps its own error.
          await q('SAVEPOINT dupguard_shared');
          const sharedStart = Date.now();
          try {
            shared = await quickChecks(q, t, rel, planned, opts);
            sharedMs = Date.now() - sharedStart;
            await q('RELEASE SAVEPOINT dupguard_shared');
          } catch (e) {
            if (e instanceof Aborted || e instanceof DeadlineExceeded || isConnectionLost(e, session)) throw e;
            await q('ROLLBACK TO SAVEPOINT dupguard_shared');
          }
        }
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
              ? shared?.get(pc) ?? await quickCheck(q, t, rel, pc, opts)
              : await exactCheck(q, t, rel, pc, sampleSize, session.serverVersionNum >= 140000, countRows, narrowing(pc), opts.hashing);
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
        // Shared samples: each check carries its share of their time.
        if (shared?.get(pc) === check) check.durationMs += Math.round(sharedMs / planned.length);
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
        report.errors.push({ table: name, message: `scan cancelled during ${name} (${doneChecks} of ${planned.length} checks done there; ${i} of ${toScan.length} tables finished before it)${runner.forcedClose ? '; the server did not answer the cancel request in 2 s, so the connection was closed' : ''}` });
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
