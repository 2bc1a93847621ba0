/**
 * What the panel's buttons and the data-dependent quick fix do with a table and key: generate the
 * dedup migration into an untitled SQL document, dry-run it (rolled back), describe the table.
 */
import * as vscode from 'vscode';
import type { LiveTableDescription } from '../../db/introspect';
import type { KeepPolicy, MigrationPlan } from '../../migrate/types';
import type { ChosenConnection, Connections } from './connections';
import type { DryRunView } from './messages';

/** The table and key a migration is for, with what the scan measured. */
export interface MigrationRequest {
  schema: string;
  table: string;
  key: string[];
  /** Rows divided by distinct keys, when measured (drives the delete / rebuild choice). */
  duplicateRatio?: number;
  rows?: number;
  /** Skips the keep-policy question (tests, callers that already asked). */
  keep?: KeepPolicy;
  /** Editor column for the generated script (default the first). */
  column?: vscode.ViewColumn;
}

/** Asks which copy of each group survives. */
export async function askKeepPolicy(): Promise<KeepPolicy | undefined> {
  const pick = await vscode.window.showQuickPick([
    { label: 'Keep the oldest row of each group', description: 'by a created-at column, else the lowest id, else physical order', keep: 'oldest' as const },
    { label: 'Keep the newest row of each group', description: 'the latest copy wins', keep: 'newest' as const },
  ], { title: 'dupguard: which copy of each duplicate group stays?', ignoreFocusOut: true });
  return pick?.keep;
}

async function describe(connections: Connections, conn: ChosenConnection, schema: string, table: string): Promise<{ table: LiveTableDescription; hasCtid: boolean }> {
  const session = await connections.open(conn, { interactive: true, statementTimeoutMs: 30_000 });
  try {
    const { describeTable } = await import('../../db/introspect');
    await session.client.query('BEGIN READ ONLY');
    try {
      return { table: await describeTable(session.client, schema, table), hasCtid: session.hasCtid };
    } finally {
      await session.client.query('ROLLBACK').catch(() => {});
    }
  } finally {
    await session.close();
  }
}

async function plan(connections: Connections, conn: ChosenConnection, req: MigrationRequest, keep: KeepPolicy): Promise<{ table: LiveTableDescription; plan: MigrationPlan; hasCtid: boolean }> {
  const { table, hasCtid } = await describe(connections, conn, req.schema, req.table);
  const { generateMigration } = await import('../../migrate/generate');
  const p = generateMigration(table, {
    key: req.key, keep, flavour: hasCtid ? 'postgres' : 'yugabyte',
    rowEstimate: req.rows ?? table.rowEstimate, duplicateRatio: req.duplicateRatio,
  });
  return { table, plan: p, hasCtid };
}

/** Generates the dedup migration and opens it in an untitled SQL editor. Undefined when cancelled. */
export async function openMigration(connections: Connections, conn: ChosenConnection, req: MigrationRequest, log: vscode.LogOutputChannel): Promise<vscode.TextDocument | undefined> {
  const keep = req.keep ?? await askKeepPolicy();
  if (!keep) return undefined;
  const { plan: p } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `dupguard: generating the dedup migration for ${req.schema}.${req.table}` },
    () => plan(connections, conn, req, keep),
  );
  const doc = await vscode.workspace.openTextDocument({ language: 'sql', content: p.script });
  await vscode.window.showTextDocument(doc, { viewColumn: req.column ?? vscode.ViewColumn.One, preview: false });
  log.info(`dedup migration for ${p.table.qualified} key (${req.key.join(', ')}): ${p.strategy} (${p.strategyReason}); backup ${p.backup.qualified}`);
  // The walkthrough's last step completes on this, whichever way the migration was asked for (panel button or quick fix).
  void vscode.commands.executeCommand('setContext', 'dupguard.migrationGenerated', true);
  if (p.warnings.length) void vscode.window.showWarningMessage(`dupguard: ${p.warnings.join(' ')}`);
  return doc;
}

/** Runs the migration inside a transaction that is rolled back, after the user agreed. */
export async function dryRun(connections: Connections, conn: ChosenConnection, req: MigrationRequest, log: vscode.LogOutputChannel): Promise<DryRunView | undefined> {
  // The choice of the surviving copy is the confirmation: a quick pick, not a modal, so it can be answered by keyboard.
  const pick = await vscode.window.showQuickPick([
    { label: 'Dry run keeping the oldest row of each group', keep: 'oldest' as const },
    { label: 'Dry run keeping the newest row of each group', keep: 'newest' as const },
  ].filter((i) => !req.keep || i.keep === req.keep), {
    title: `dupguard: dry run the dedup of ${req.schema}.${req.table}?`,
    placeHolder: 'Runs the migration for real in one transaction that is rolled back: nothing is kept, but writers to the table wait while it runs. Needs a role that may write to it.',
    ignoreFocusOut: true,
  });
  if (!pick) return undefined;
  const keep = pick.keep;
  const { table } = await describe(connections, conn, req.schema, req.table);
  const session = await connections.open(conn, { interactive: true });
  try {
    const { dryRunMigration } = await import('../../db/dryrun');
    // Cancel stops the statement on the server too: the dry run holds ACCESS EXCLUSIVE on the table until it ends.
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `dupguard: dry run of the dedup of ${req.schema}.${req.table} (rolled back)`, cancellable: true },
      (_progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return dryRunMigration(session.client, table, { key: req.key, keep, flavour: session.hasCtid ? 'postgres' : 'yugabyte', duplicateRatio: req.duplicateRatio, rowEstimate: req.rows },
          { signal: abort.signal, cancel: () => session.cancel() });
      },
    );
    if (r.cancelled) {
      log.info(`dry run ${r.table}: cancelled; the statement was cancelled on the server and everything rolled back`);
      return undefined;
    }
    const n = (v: number | undefined) => (v === undefined ? '?' : v.toLocaleString('en-US'));
    const lines = [
      `strategy: ${r.strategy}`,
      `rows before: ${n(r.rowsBefore)}, distinct keys: ${n(r.distinctKeys)}, duplicate groups: ${n(r.duplicateGroups)}`,
      `rows after: ${n(r.rowsAfter)} (${n(r.rowsDeleted)} copies removed)`,
      ...(r.referencesMoved ? [`references moved to the kept rows: ${n(r.referencesMoved)}`] : []),
      `unique constraint builds: ${r.constraintBuilds ? 'yes' : 'no'}`,
      `took ${(r.durationMs / 1000).toFixed(1)} s; no row or table was kept (rolled back)`,
      `held ACCESS EXCLUSIVE on the table for ${(r.lock.heldMs / 1000).toFixed(1)} s: its readers and writers waited${r.sessionsBlocked ? ` (${r.sessionsBlocked} waiting at the end)` : ''}`,
      ...(r.sequencesAdvanced.length ? [`sequences advanced (not undone by a rollback): ${r.sequencesAdvanced.map((x) => x.sequence).join(', ')}`] : []),
    ];
    log.info(`dry run ${r.table}: ${lines.join('; ')}${r.error ? `; error: ${r.error}` : ''}`);
    return { ok: r.dedupOk && r.constraintBuilds, lines, error: r.error };
  } finally {
    await session.close();
  }
}
