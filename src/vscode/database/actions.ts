/**
 * What the panel's buttons and the data-dependent quick fix do with a table and key: generate the
 * dedup migration and its rollback into files of the workspace's migrations folder, dry-run it
 * (rolled back), describe the table.
 */
import * as vscode from 'vscode';
import type { LiveTableDescription } from '../../db/introspect';
import type { KeepPolicy, MigrationOptions, MigrationPlan, ReferenceMove } from '../../migrate/types';
import { Config } from '../config';
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
  /**
   * The key is a guess (inferred from column names): the user is asked first, with the rows the
   * dedup would delete and their share of the table.
   */
  guessed?: { deletes: number; rows: number; estimated: boolean; lookalike?: boolean };
  /** The UNIQUE the user's own migration declares (quick fix): its name is kept and that migration adds it. */
  constraintName?: string;
  /** Where that migration declares it, e.g. `migrations/002_x.sql:2`; its folder is where the files go by default. */
  declaredIn?: { uri: string; line: number };
  /** NULLs slip past a unique key: dedup, then make the key NULLS NOT DISTINCT (PostgreSQL 15+). */
  nullsNotDistinct?: boolean;
  /** The unique key with the NULL hole: the NULLS NOT DISTINCT key replaces it under its name (or the generator says why it cannot). */
  nullHoleOf?: string;
}

/** `1,234`. */
function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * A question with the safe answer first: a quick pick, not a modal, so it is answered by keyboard
 * (as the dry run's confirmation is); Escape or the first item says no.
 */
async function ask(title: string, detail: string, yes: string): Promise<boolean> {
  const pick = await vscode.window.showQuickPick([
    { label: 'Cancel', detail: 'nothing is generated', yes: false },
    { label: yes, detail, yes: true },
  ], { title, placeHolder: detail, ignoreFocusOut: true });
  return pick?.yes === true;
}

/** Asks before a migration on a guessed key; true to go on. */
async function confirmGuessed(req: MigrationRequest): Promise<boolean> {
  if (!req.guessed) return true;
  const g = req.guessed;
  const share = g.rows > 0 ? (g.deletes / g.rows) * 100 : 0;
  const approx = g.estimated ? '≈ ' : '';
  return ask(
    g.lookalike
      ? `dupguard: the rows of ${req.schema}.${req.table} that look alike are each referenced by other tables: they may be separate things, not copies`
      : `dupguard: the key (${req.key.join(', ')}) of ${req.schema}.${req.table} is a guess from column names, not a declared key`,
    'Rows that share these columns may be separate things that look alike, not copies.',
    `Generate anyway: deletes ${approx}${count(g.deletes)} of ${approx}${count(g.rows)} rows (${share >= 10 ? share.toFixed(0) : share.toFixed(1)}% of the table)`);
}

/** The folder the migration files go to, or undefined when there is no workspace folder to write in. */
export function migrationsFolder(req: MigrationRequest): vscode.Uri | undefined {
  const from = req.declaredIn ? vscode.Uri.parse(req.declaredIn.uri) : undefined;
  const ws = (from && vscode.workspace.getWorkspaceFolder(from)) ?? vscode.workspace.workspaceFolders?.[0];
  const setting = new Config(ws?.uri).migrationsFolder;
  if (ws && setting) return vscode.Uri.joinPath(ws.uri, setting);
  if (from && from.scheme !== 'untitled') return vscode.Uri.joinPath(from, '..');
  return ws ? vscode.Uri.joinPath(ws.uri, 'migrations') : undefined;
}

/** Asks whether references may be re-pointed; true to merge them. */
async function confirmMerge(req: MigrationRequest, moves: ReferenceMove[]): Promise<boolean> {
  const rows = moves.reduce((n, m) => n + m.rows, 0);
  const parents = moves.reduce((n, m) => n + m.distinctParents, 0);
  const detail = moves.map((m) => `${count(m.rows)} row${m.rows === 1 ? '' : 's'} of ${m.child} (${m.foreignKey})`).join('; ');
  return ask(
    `dupguard: keeping one row per key of ${req.schema}.${req.table} re-points ${count(rows)} child row${rows === 1 ? '' : 's'} from ${count(parents)} removed cop${parents === 1 ? 'y' : 'ies'} to the kept rows: ${detail}`,
    'If the rows pointed at are separate things that look alike, merging them loses that difference.',
    `Merge the references: re-point ${count(rows)} child row${rows === 1 ? '' : 's'} and generate`);
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

/** The generator's options for a request, with the catalog facts behind its choices (references it would re-point included). */
async function options(connections: Connections, conn: ChosenConnection, req: MigrationRequest, keep: KeepPolicy, now: Date): Promise<{ table: LiveTableDescription; options: MigrationOptions }> {
  const session = await connections.open(conn, { interactive: true, statementTimeoutMs: 120_000 });
  try {
    const { describeTable } = await import('../../db/introspect');
    const { migrationFacts } = await import('../../db/dryrun');
    await session.client.query('BEGIN READ ONLY');
    try {
      const table = await describeTable(session.client, req.schema, req.table);
      const opts: MigrationOptions = {
        key: req.key, keep, flavour: session.hasCtid ? 'postgres' : 'yugabyte',
        rowEstimate: req.rows ?? table.rowEstimate, duplicateRatio: req.duplicateRatio, now,
        ...(req.nullsNotDistinct ? { nullKeys: 'not-distinct' as const } : {}),
        ...(req.nullHoleOf ? { nullHoleOf: req.nullHoleOf } : {}),
        ...(session.engine === 'postgresql' ? { serverVersionNum: session.serverVersionNum } : {}),
        ...(req.constraintName ? { constraintName: req.constraintName, addConstraint: false } : {}),
        ...(req.declaredIn ? { declaredIn: `${vscode.workspace.asRelativePath(vscode.Uri.parse(req.declaredIn.uri))}:${req.declaredIn.line}` } : {}),
      };
      if (session.hasCtid) {
        const facts = await migrationFacts(session.client, table, opts);
        Object.assign(opts, {
          partitionKey: facts.partitionKey, unindexedForeignKeys: facts.unindexedForeignKeys, takenNames: facts.takenNames,
          foreignKeyOperators: facts.foreignKeyOperators, referenceMoves: facts.referenceMoves, keyUniques: facts.keyUniques,
        });
      }
      return { table, options: opts };
    } finally {
      await session.client.query('ROLLBACK').catch(() => {});
    }
  } finally {
    await session.close();
  }
}

/**
 * Generates the plan; when keeping one row per key would re-point references, asks (naming the
 * child rows) and generates again with the references merged. Undefined when the user declined.
 */
async function plan(connections: Connections, conn: ChosenConnection, req: MigrationRequest, keep: KeepPolicy, now: Date): Promise<{ table: LiveTableDescription; plan: MigrationPlan } | undefined> {
  const { table, options: opts } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `dupguard: generating the dedup migration for ${req.schema}.${req.table}` },
    () => options(connections, conn, req, keep, now),
  );
  const { generateMigration } = await import('../../migrate/generate');
  const { ReferencesWouldMove } = await import('../../migrate/types');
  try {
    return { table, plan: generateMigration(table, opts) };
  } catch (e) {
    if (!(e instanceof ReferencesWouldMove)) throw e;
    if (!(await confirmMerge(req, e.moves))) return undefined;
    return { table, plan: generateMigration(table, { ...opts, mergeReferences: true }) };
  }
}

/**
 * Generates the dedup migration and writes it, with its rollback as a second file, into the
 * migrations folder (see migrationsFolder; an untitled document when no folder is open), then opens
 * it. Undefined when the user declined or cancelled.
 */
export async function openMigration(connections: Connections, conn: ChosenConnection, req: MigrationRequest, log: vscode.LogOutputChannel): Promise<vscode.TextDocument | undefined> {
  if (!(await confirmGuessed(req))) return undefined;
  const keep = req.keep ?? await askKeepPolicy();
  if (!keep) return undefined;
  const now = new Date();
  const made = await plan(connections, conn, req, keep, now);
  if (!made) return undefined;
  const p = made.plan;
  const folder = migrationsFolder(req);
  let doc: vscode.TextDocument;
  if (folder) {
    const { migrationFileNames } = await import('../../migrate/names');
    const names = migrationFileNames({ schema: req.schema, name: req.table }, now);
    const file = vscode.Uri.joinPath(folder, names.migration);
    const rollback = vscode.Uri.joinPath(folder, names.rollback);
    await vscode.workspace.fs.createDirectory(folder);
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(p.script));
    await vscode.workspace.fs.writeFile(rollback, new TextEncoder().encode(p.rollback));
    log.info(`dedup migration written to ${vscode.workspace.asRelativePath(file)}, its rollback to ${vscode.workspace.asRelativePath(rollback)}`);
    doc = await vscode.workspace.openTextDocument(file);
    void vscode.window.showInformationMessage(`dupguard: wrote ${vscode.workspace.asRelativePath(file)} and its rollback ${names.rollback}.`);
  } else {
    doc = await vscode.workspace.openTextDocument({ language: 'sql', content: p.script });
  }
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
        return dryRunMigration(session.client, table, { key: req.key, keep, flavour: session.hasCtid ? 'postgres' : 'yugabyte', duplicateRatio: req.duplicateRatio, rowEstimate: req.rows, ...(req.nullHoleOf ? { nullHoleOf: req.nullHoleOf } : {}) },
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
      ...(r.mergeRequired && r.referenceMoves?.length ? [`refused: keeping one row per key would re-point ${r.referenceMoves.map((m) => `${n(m.rows)} row(s) of ${m.child} from ${n(m.distinctParents)} cop${m.distinctParents === 1 ? 'y' : 'ies'}`).join('; ')} (Generate migration asks before merging them)`] : []),
      `unique constraint builds: ${r.constraintBuilds ? 'yes' : 'no'}`,
      ...(r.replaces ? [`replaces ${r.replaces.key} by UNIQUE NULLS NOT DISTINCT under the same name${r.replaces.foreignKeys.length ? `; drops and re-creates the foreign keys ${r.replaces.foreignKeys.join(', ')}` : ''}`] : []),
      `took ${(r.durationMs / 1000).toFixed(1)} s; no row or table was kept (rolled back)`,
      `held ACCESS EXCLUSIVE on the table for ${(r.lock.heldMs / 1000).toFixed(1)} s: its readers and writers waited${r.sessionsBlocked ? ` (${r.sessionsBlocked} waiting at the end)` : ''}`,
      ...(r.sequencesAdvanced.length ? [`sequences advanced (not undone by a rollback): ${r.sequencesAdvanced.map((x) => x.sequence).join(', ')}`] : []),
    ];
    log.info(`dry run ${r.table}: ${lines.join('; ')}${r.error ? `; error: ${r.error}` : ''}`);
    return { ok: r.dedupOk && r.constraintBuilds && !r.mergeRequired, lines, error: r.error };
  } finally {
    await session.close();
  }
}
