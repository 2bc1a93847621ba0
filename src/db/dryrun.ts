/**
 * Dry run of a dedup migration: the generated SQL runs for real inside one transaction that is
 * always rolled back, so the report (rows before/after, copies removed, whether the UNIQUE
 * constraint builds) comes from the database itself while nothing changes. Also measures a table's
 * duplicate ratio for the generator's strategy choice.
 */
import type * as pg from 'pg';
import type { TableDescription } from '../core/catalog';
import { generateMigration } from '../migrate/generate';
import { quoteIdent, quoteQualified } from '../core/quote';
import type { MigrationOptions, MigrationPlan } from '../migrate/types';

/** What a dry run found. */
export interface DryRunReport {
  table: string;
  strategy: MigrationPlan['strategy'];
  /** Rows, distinct keys and duplicate groups before the dedup (undefined when the script failed before counting). */
  rowsBefore?: number;
  distinctKeys?: number;
  duplicateGroups?: number;
  /** Rows after the dedup and copies removed (undefined when the dedup failed). */
  rowsAfter?: number;
  rowsDeleted?: number;
  /** References of other tables that would move to the kept row. */
  referencesMoved: number;
  /** True when the dedup (with its own validation) succeeded. */
  dedupOk: boolean;
  /** True when the UNIQUE constraint was added successfully after the dedup. */
  constraintBuilds: boolean;
  /** The first error, with the step it came from. */
  error?: string;
  /** NOTICE messages from the script (dupguard's own summaries). */
  notices: string[];
  durationMs: number;
}

/**
 * Runs the migration for `table` in a transaction that is rolled back. The connection must be able
 * to write (nothing is committed). Never throws for SQL errors: they are reported.
 */
export async function dryRunMigration(client: pg.ClientBase, table: TableDescription, options: MigrationOptions): Promise<DryRunReport> {
  const plan = generateMigration(table, { ...options, mode: 'dry-run', indexBuild: 'in-transaction' });
  const started = Date.now();
  const notices: string[] = [];
  const onNotice = (n: { message?: string }) => { if (n.message) notices.push(n.message); };
  client.on('notice', onNotice);
  const report: DryRunReport = {
    table: `${table.schema}.${table.name}`, strategy: plan.strategy, referencesMoved: 0,
    dedupOk: false, constraintBuilds: false, notices, durationMs: 0,
  };
  try {
    await client.query('BEGIN');
    try {
      await client.query(plan.script);
      report.dedupOk = true;
    } catch (e) {
      report.error = `dedup: ${messageOf(e)}`;
    }
    if (report.dedupOk) {
      const before = await client.query<{ total_rows: string; distinct_keys: string; duplicate_groups: string }>('SELECT * FROM dupguard_before');
      const b = before.rows[0];
      report.rowsBefore = Number(b.total_rows);
      report.distinctKeys = Number(b.distinct_keys);
      report.duplicateGroups = Number(b.duplicate_groups);
      const after = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table.kind === 'p' ? '' : 'ONLY '}${quoteQualified(table.schema, table.name)}`);
      report.rowsAfter = Number(after.rows[0].n);
      report.rowsDeleted = report.rowsBefore - report.rowsAfter;
      for (const rb of plan.referenceBackups) {
        const r = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${rb.qualified}`);
        report.referencesMoved += Number(r.rows[0].n);
      }
      await client.query('SAVEPOINT dupguard_constraint');
      try {
        await client.query(plan.constraintSql);
        report.constraintBuilds = true;
      } catch (e) {
        report.error = `constraint: ${messageOf(e)}`;
      }
    }
  } finally {
    // Whatever happened, nothing stays.
    await client.query('ROLLBACK').catch(() => {});
    client.removeListener('notice', onNotice);
  }
  report.durationMs = Date.now() - started;
  return report;
}

/** Rows, distinct keys and duplicate groups of a table for a key (exact; one read-only GROUP BY pass). */
export interface DuplicateMeasure {
  rows: number;
  distinctKeys: number;
  duplicateGroups: number;
  /** rows / distinctKeys (1 when empty). */
  ratio: number;
}

/**
 * Counts a key's duplicates in a read-only transaction, giving up after `timeoutMs` (undefined then).
 * NULLs count as equal, as the default NULLS NOT DISTINCT constraint does.
 */
export async function measureDuplicates(client: pg.ClientBase, table: TableDescription, key: string[], timeoutMs = 120_000): Promise<DuplicateMeasure | undefined> {
  const src = `${table.kind === 'p' ? '' : 'ONLY '}${quoteQualified(table.schema, table.name)}`;
  await client.query('BEGIN READ ONLY');
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    const r = await client.query<{ rows: string; keys: string; dups: string }>(
      `SELECT coalesce(sum(n), 0) AS rows, count(*) AS keys, count(*) FILTER (WHERE n > 1) AS dups
         FROM (SELECT count(*) AS n FROM ${src} GROUP BY ${key.map(quoteIdent).join(', ')}) g`);
    const rows = Number(r.rows[0].rows);
    const keys = Number(r.rows[0].keys);
    return { rows, distinctKeys: keys, duplicateGroups: Number(r.rows[0].dups), ratio: keys ? rows / keys : 1 };
  } catch (e) {
    if ((e as { code?: string }).code === '57014') return undefined; // statement_timeout
    throw e;
  } finally {
    await client.query('ROLLBACK').catch(() => {});
  }
}

/** Backup tables the generated migrations left for `schema.table`, newest first (by the time in their comment). */
export async function findBackups(client: pg.ClientBase, schema: string, table: string): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND obj_description(c.oid, 'pg_class') LIKE $2
      ORDER BY obj_description(c.oid, 'pg_class') DESC, c.relname DESC`,
    [schema, `dupguard backup of ${likeEscape(`${schema}.${table}`)} taken %`]);
  return r.rows.map((x) => x.name);
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function messageOf(e: unknown): string {
  const err = e as { message?: string; detail?: string; hint?: string };
  return [err.message ?? String(e), err.detail, err.hint].filter(Boolean).join(' ');
}
