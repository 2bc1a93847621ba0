/**
 * The data-dependent check `unique-constraint-violated-by-data`: a SQL migration that adds a UNIQUE
 * constraint, PRIMARY KEY or unique index gets an error with the real number of duplicate groups and
 * excess rows in the connected database, and a quick fix that generates the dedup migration to run
 * first. Runs on open and save (debounced, cancellable), never while typing, and only when all hold:
 * the workspace is trusted, a connection succeeded in this window, and the user turned the check on
 * for that connection (a choice kept in VS Code's global state, off by default). Nothing from the file
 * is ever executed: see uniqueDdl.ts `checkAddedKeys`.
 */
import * as vscode from 'vscode';
import type { DbSession } from '../../db/connect';
import { ruleOf } from '../convert';
import type { DiagnosticsController } from '../diagnostics';
import type { ChosenConnection, Connections } from './connections';
import { COMMANDS } from '../commandTable';
import { SQL_LANGUAGE_IDS } from '../languages';
import type { MigrationRequest } from './actions';
import { checkAddedKeys, findAddedUniqueKeys, type AddedUniqueKey, type KeyOutcome, type Violation } from './uniqueDdl';

export const RULE_ID = 'unique-constraint-violated-by-data';
const DEBOUNCE_MS = 400;
const STATEMENT_TIMEOUT_MS = 60_000;
/** Global-state key: identities (`postgres://user@host:port/db`) the user enabled the check for. */
const ENABLED_KEY = 'dupguard.dataCheck.enabledConnections';

/** Why a document was or was not checked, the last time it was considered. */
export interface CheckState {
  outcome: 'untrusted' | 'not-enabled' | 'checked' | 'failed';
  connection?: string;
  keys?: { status: KeyOutcome['status']; table?: string; note?: string; duplicateGroups?: number }[];
  /** Increases with every outcome recorded (tests wait for a new one). */
  seq: number;
}

interface Finding {
  range: vscode.Range;
  request?: MigrationRequest;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** The diagnostic's message: what the statement will do against today's data. */
export function violationMessage(k: AddedUniqueKey, qualified: string, v: Violation, where: string): string {
  const what = k.kind === 'primary' ? 'PRIMARY KEY' : k.kind === 'unique' ? 'UNIQUE constraint' : 'unique index';
  const key = k.elements.join(', ');
  return `This ${what} on ${qualified} (${key}) will fail on the data in ${where}: ${plural(v.duplicateGroups, 'key value')} ` +
    `${v.duplicateGroups === 1 ? 'is' : 'are'} held by more than one row (${plural(v.excessRows, 'excess row')}, up to ${v.maxCopies} copies of one value). ` +
    'The migration stops with 23505 and adds nothing: remove the copies first.';
}

/**
 * The editor's side of the rule `unique-constraint-violated-by-data` (src/rules): counts the copies
 * in the live database and hands them to the diagnostics as the document's catalog facts, so the
 * findings take the same path as every rule's (severity, ignore comments, Ignore and Show
 * documentation actions). Adds the one action that needs the database: generate the dedup first.
 */
export class UniqueCheck implements vscode.Disposable, vscode.CodeActionProvider {
  private readonly findings = new Map<string, Finding[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, AbortController>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly done = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document was checked (with or without findings). */
  readonly onDidCheck = this.done.event;

  private readonly states = new Map<string, CheckState>();
  private seq = 0;
  /** Connections whose "turn the check on?" question was shown in this window. */
  private readonly offered = new Set<string>();

  constructor(private readonly connections: Connections, private readonly diagnostics: DiagnosticsController, private readonly log: vscode.LogOutputChannel, private readonly store: vscode.Memento) {
    this.disposables.push(
      this.done,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d)),
      vscode.workspace.onDidSaveTextDocument((d) => this.schedule(d)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
      // Trust granted later: the open migrations are checked then, not before.
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.checkAll()),
      connections.onDidChangeActive(() => this.checkAll()),
      vscode.languages.registerCodeActionsProvider(SQL_LANGUAGE_IDS.map((language) => ({ language })), this, {
        providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
      }),
    );
  }

  /** Why `uri` was or was not checked the last time it was considered (the extension's API exposes it). */
  state(uri: vscode.Uri | string): CheckState | undefined {
    return this.states.get(uri.toString());
  }

  /** Whether the user turned the check on for `conn`. */
  enabledFor(conn: ChosenConnection): boolean {
    return (this.store.get<string[]>(ENABLED_KEY) ?? []).includes(conn.identity);
  }

  /** Turns the check on or off for the active connection (the commands). */
  async setEnabled(on: boolean): Promise<boolean> {
    const conn = this.connections.active;
    if (!conn) {
      void vscode.window.showWarningMessage('dupguard: connect to a database first (Dupguard: Scan DB for duplicates), then turn the migration check on for it.');
      return false;
    }
    const list = (this.store.get<string[]>(ENABLED_KEY) ?? []).filter((i) => i !== conn.identity);
    if (on) list.push(conn.identity);
    await this.store.update(ENABLED_KEY, list);
    this.log.info(`${RULE_ID}: ${on ? 'on' : 'off'} for ${conn.label} (${conn.identity})`);
    if (on && !vscode.workspace.isTrusted) {
      void vscode.window.showInformationMessage(`dupguard: migrations will be checked against ${conn.label} once this workspace is trusted.`);
    } else if (on) {
      void vscode.window.showInformationMessage(`dupguard: migrations that add a UNIQUE key or primary key are now checked against ${conn.label} when opened or saved (read-only counts; "Dupguard: Stop Checking Migrations Against the Database" turns it off).`);
    }
    if (!on) for (const d of vscode.workspace.textDocuments) this.forget(d.uri, true);
    this.checkAll();
    return true;
  }

  /** Checks every open SQL document again (after a connection). */
  checkAll(): void {
    for (const d of vscode.workspace.textDocuments) this.schedule(d);
  }

  private accepts(doc: vscode.TextDocument): boolean {
    return (SQL_LANGUAGE_IDS as readonly string[]).includes(doc.languageId) && (doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled' || doc.uri.scheme === 'vscode-remote');
  }

  private record(doc: vscode.TextDocument, state: Omit<CheckState, 'seq'>): void {
    this.states.set(doc.uri.toString(), { ...state, seq: ++this.seq });
  }

  /** Runs the check on `doc` soon; a newer request cancels the older one. */
  schedule(doc: vscode.TextDocument): void {
    const conn = this.connections.active;
    if (!this.accepts(doc) || !conn) return;
    if (!vscode.workspace.isTrusted) {
      // Restricted mode: nothing from the workspace reaches the database.
      this.forget(doc.uri, true);
      this.record(doc, { outcome: 'untrusted', connection: conn.label });
      this.done.fire(doc.uri);
      return;
    }
    if (!this.enabledFor(conn)) {
      this.forget(doc.uri, true);
      this.record(doc, { outcome: 'not-enabled', connection: conn.label });
      this.done.fire(doc.uri);
      void this.offer(doc, conn);
      return;
    }
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.running.get(key)?.abort();
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      const ac = new AbortController();
      this.running.set(key, ac);
      void this.check(doc, ac.signal).finally(() => { if (this.running.get(key) === ac) this.running.delete(key); });
    }, DEBOUNCE_MS));
  }

  /** Once per connection and window, when a migration adds a key: asks whether to turn the check on. */
  private async offer(doc: vscode.TextDocument, conn: ChosenConnection): Promise<void> {
    if (this.offered.has(conn.identity)) return;
    const keys = await findAddedUniqueKeys(doc.getText());
    if (!keys.length || this.offered.has(conn.identity) || this.connections.active !== conn) return;
    this.offered.add(conn.identity);
    const pick = await vscode.window.showInformationMessage(
      `dupguard can check migrations that add a UNIQUE key against the data in ${conn.label}: it runs read-only counting queries on the tables they name when a .sql file is opened or saved. Turn it on for this connection?`,
      'Turn On', 'Not Now');
    if (pick === 'Turn On' && this.connections.active === conn) await this.setEnabled(true);
  }

  private forget(uri: vscode.Uri, keepState = false): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.running.get(key)?.abort();
    this.findings.delete(key);
    if (!keepState) this.states.delete(key);
    this.diagnostics.setCatalog(uri);
  }

  private async check(doc: vscode.TextDocument, signal: AbortSignal): Promise<void> {
    const conn = this.connections.active;
    // (re-checked here: trust or the choice may have changed during the debounce)
    if (!conn || doc.isClosed || !vscode.workspace.isTrusted || !this.enabledFor(conn)) return;
    const version = doc.version;
    const keys = await findAddedUniqueKeys(doc.getText());
    if (signal.aborted) return;
    if (!keys.length) {
      this.record(doc, { outcome: 'checked', connection: conn.label, keys: [] });
      this.publish(doc, []);
      return;
    }
    let session: DbSession | undefined;
    const onAbort = () => { void session?.cancel(); void session?.close(); };
    signal.addEventListener('abort', onAbort, { once: true });
    const violations: { start: number; end: number; message: string }[] = [];
    const findings: Finding[] = [];
    let outcomes: KeyOutcome[] | undefined;
    try {
      session = await this.connections.open(conn, { interactive: false });
      if (signal.aborted) return;
      outcomes = await checkAddedKeys(session.client, keys, { statementTimeoutMs: STATEMENT_TIMEOUT_MS, lockTimeoutMs: 2_000, signal, searchPath: session.defaultSearchPath });
    } catch (e) {
      if (signal.aborted) return;
      // Advisory: a database problem is logged, the file keeps no stale data diagnostic.
      const { scrub } = await import('../../db/connect');
      this.log.warn(`${RULE_ID}: cannot check ${vscode.workspace.asRelativePath(doc.uri)} against ${scrub(conn.label)}: ${scrub(e instanceof Error ? e.message : String(e))}`);
      this.record(doc, { outcome: 'failed', connection: conn.label });
    } finally {
      signal.removeEventListener('abort', onAbort);
      await session?.close();
    }
    if (signal.aborted || doc.isClosed) return;
    if (doc.version !== version) { this.schedule(doc); return; }
    for (const o of outcomes ?? []) {
      const k = o.key;
      const where = `${vscode.workspace.asRelativePath(doc.uri)}:${doc.positionAt(k.start).line + 1}`;
      const qualified = o.schema !== undefined ? `${o.schema}.${o.table}` : k.table;
      if (o.status === 'skipped' || o.status === 'holds') this.log.info(`${RULE_ID}: ${where} ${qualified} (${k.elements.join(', ')}): not counted: ${o.note}`);
      if (o.status !== 'counted' || !o.violation) continue;
      const v = o.violation;
      this.log.info(`${RULE_ID}: ${qualified} (${k.elements.join(', ')}) on ${conn.label}: ${v.duplicateGroups} duplicate groups, ${v.excessRows} excess rows (${o.ms} ms)`);
      if (v.duplicateGroups === 0) continue;
      const range = new vscode.Range(doc.positionAt(k.start), doc.positionAt(k.end));
      violations.push({ start: k.start, end: k.end, message: violationMessage(k, qualified, v, conn.label) });
      findings.push({
        range,
        request: k.plainColumns ? {
          schema: o.schema!, table: o.table!, key: k.columns, rows: v.rows,
          duplicateRatio: v.distinctKeys ? v.rows / v.distinctKeys : undefined,
          // The user's migration adds the key: the dedup keeps its name and leaves adding it to that migration.
          constraintName: k.name, declaredIn: { uri: doc.uri.toString(), line: doc.positionAt(k.start).line + 1 },
        } : undefined,
      });
    }
    if (outcomes) {
      this.record(doc, {
        outcome: 'checked', connection: conn.label,
        keys: outcomes.map((o) => ({ status: o.status, table: o.table, note: o.note, duplicateGroups: o.violation?.duplicateGroups })),
      });
    }
    this.findings.set(doc.uri.toString(), findings);
    this.publish(doc, violations);
  }

  private publish(doc: vscode.TextDocument, violations: { start: number; end: number; message: string }[]): void {
    this.diagnostics.setCatalog(doc.uri, { version: doc.version, facts: { uniqueViolations: violations } });
    this.done.fire(doc.uri);
  }

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => ruleOf(d) === RULE_ID);
    if (!ours.length) return [];
    const findings = this.findings.get(doc.uri.toString()) ?? [];
    const actions: vscode.CodeAction[] = [];
    for (const d of ours) {
      const f = findings.find((x) => x.range.isEqual(d.range));
      if (!f?.request) continue;
      const a = new vscode.CodeAction('Generate dedup migration first', vscode.CodeActionKind.QuickFix);
      a.command = { command: COMMANDS.generateDedupMigration.id, title: 'Generate dedup migration first', arguments: [f.request] };
      a.diagnostics = [d];
      a.isPreferred = true;
      actions.push(a);
    }
    return actions;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const r of this.running.values()) r.abort();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
