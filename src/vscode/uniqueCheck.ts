/**
 * The data-dependent check `unique-constraint-violated-by-data`: a SQL migration that adds a UNIQUE
 * constraint, PRIMARY KEY or unique index gets an error with the real number of duplicate groups and
 * excess rows in the connected database, and a quick fix that generates the dedup migration to run
 * first. Runs on open and save (debounced, cancellable), never while typing, only once a connection
 * succeeded in this window; counts in a READ ONLY transaction with the scan engine's query shape.
 */
import * as vscode from 'vscode';
import type { DbSession } from '../db/connect';
import type { ChosenConnection, Connections } from './connections';
import { SQL_LANGUAGE_IDS } from './languages';
import type { MigrationRequest } from './panel/actions';
import { findAddedUniqueKeys, violationFromRow, violationQuery, type AddedUniqueKey, type Violation } from './uniqueDdl';

export const RULE_ID = 'unique-constraint-violated-by-data';
const DOCS = `https://github.com/dupguard/dupguard/blob/main/docs/rules/${RULE_ID}.md`;
const DEBOUNCE_MS = 400;
const STATEMENT_TIMEOUT_MS = 60_000;
/** Command the quick fix runs (registered in panel/database.ts). */
const GENERATE_COMMAND = 'dupguard.generateDedupMigration';

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

export class UniqueCheck implements vscode.Disposable, vscode.CodeActionProvider {
  readonly collection = vscode.languages.createDiagnosticCollection('dupguard-data');
  private readonly findings = new Map<string, Finding[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, AbortController>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly done = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document was checked (with or without findings). */
  readonly onDidCheck = this.done.event;

  constructor(private readonly connections: Connections, private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      this.collection,
      this.done,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d)),
      vscode.workspace.onDidSaveTextDocument((d) => this.schedule(d)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
      connections.onDidChangeActive(() => this.checkAll()),
      vscode.languages.registerCodeActionsProvider(SQL_LANGUAGE_IDS.map((language) => ({ language })), this, {
        providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
      }),
    );
  }

  /** Checks every open SQL document again (after a connection). */
  checkAll(): void {
    for (const d of vscode.workspace.textDocuments) this.schedule(d);
  }

  private accepts(doc: vscode.TextDocument): boolean {
    return (SQL_LANGUAGE_IDS as readonly string[]).includes(doc.languageId) && (doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled' || doc.uri.scheme === 'vscode-remote');
  }

  /** Runs the check on `doc` soon; a newer request cancels the older one. */
  schedule(doc: vscode.TextDocument): void {
    if (!this.accepts(doc) || !this.connections.active) return;
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

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.running.get(key)?.abort();
    this.findings.delete(key);
    this.collection.delete(uri);
  }

  private async check(doc: vscode.TextDocument, signal: AbortSignal): Promise<void> {
    const conn = this.connections.active;
    if (!conn || doc.isClosed) return;
    const version = doc.version;
    const keys = await findAddedUniqueKeys(doc.getText());
    if (signal.aborted) return;
    if (!keys.length) {
      this.publish(doc, []);
      return;
    }
    let session: DbSession | undefined;
    const onAbort = () => { void session?.cancel(); void session?.close(); };
    signal.addEventListener('abort', onAbort, { once: true });
    const diagnostics: vscode.Diagnostic[] = [];
    const findings: Finding[] = [];
    try {
      session = await this.connections.open(conn, { interactive: false });
      if (signal.aborted) return;
      const c = session.client;
      await c.query('BEGIN READ ONLY');
      await c.query(`SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
      await c.query('SET LOCAL lock_timeout = 2000');
      await c.query(`SET LOCAL application_name = 'dupguard'`);
      for (const k of keys) {
        if (signal.aborted) return;
        const r = await this.measure(session, k, conn);
        if (!r || r.violation.duplicateGroups === 0) continue;
        const range = new vscode.Range(doc.positionAt(k.start), doc.positionAt(k.end));
        const d = new vscode.Diagnostic(range, violationMessage(k, r.qualified, r.violation, conn.label), vscode.DiagnosticSeverity.Error);
        d.source = 'dupguard';
        d.code = { value: RULE_ID, target: vscode.Uri.parse(DOCS) };
        diagnostics.push(d);
        findings.push({
          range,
          request: k.plainColumns ? {
            schema: r.schema, table: r.table, key: k.columns, rows: r.violation.rows,
            duplicateRatio: r.violation.distinctKeys ? r.violation.rows / r.violation.distinctKeys : undefined,
          } : undefined,
        });
      }
      await c.query('ROLLBACK').catch(() => {});
    } catch (e) {
      if (signal.aborted) return;
      // Advisory: a database problem is logged, the file keeps no stale data diagnostic.
      this.log.warn(`${RULE_ID}: cannot check ${vscode.workspace.asRelativePath(doc.uri)} against ${conn.label}: ${e instanceof Error ? e.message : e}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await session?.close();
    }
    if (signal.aborted || doc.isClosed) return;
    if (doc.version !== version) { this.schedule(doc); return; }
    this.findings.set(doc.uri.toString(), findings);
    this.publish(doc, diagnostics);
  }

  /** Counts one key's violations; undefined when the table or a column does not exist yet (created by the migration). */
  private async measure(session: DbSession, k: AddedUniqueKey, conn: ChosenConnection): Promise<{ schema: string; table: string; qualified: string; violation: Violation } | undefined> {
    const c = session.client;
    await c.query('SAVEPOINT dupguard_unique');
    try {
      const rel = await c.query<{ schema: string; name: string; q: string }>(
        `SELECT n.nspname AS schema, cl.relname AS name, cl.oid::regclass::text AS q
           FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
          WHERE cl.oid = to_regclass($1)`, [`${k.schema ? `"${k.schema.replace(/"/g, '""')}".` : ''}"${k.table.replace(/"/g, '""')}"`]);
      if (!rel.rows.length) return undefined;
      const { schema, name } = rel.rows[0];
      const qualified = `${schema}.${name}`;
      const t0 = Date.now();
      const r = await c.query(violationQuery({ ...k, schema, table: name }));
      const violation = violationFromRow(r.rows[0]);
      this.log.info(`${RULE_ID}: ${qualified} (${k.elements.join(', ')}) on ${conn.label}: ${violation.duplicateGroups} duplicate groups, ${violation.excessRows} excess rows (${Date.now() - t0} ms)`);
      await c.query('RELEASE SAVEPOINT dupguard_unique');
      return { schema, table: name, qualified, violation };
    } catch (e) {
      const code = (e as { code?: string }).code;
      // Undefined column / table / function: the migration creates them before this statement.
      if (code === '42703' || code === '42P01' || code === '42883' || code === '3F000') {
        await c.query('ROLLBACK TO SAVEPOINT dupguard_unique');
        return undefined;
      }
      throw e;
    }
  }

  private publish(doc: vscode.TextDocument, diagnostics: vscode.Diagnostic[]): void {
    if (diagnostics.length) this.collection.set(doc.uri, diagnostics);
    else this.collection.delete(doc.uri);
    this.done.fire(doc.uri);
  }

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => d.source === 'dupguard' && typeof d.code === 'object' && d.code?.value === RULE_ID);
    if (!ours.length) return [];
    const findings = this.findings.get(doc.uri.toString()) ?? [];
    const actions: vscode.CodeAction[] = [];
    for (const d of ours) {
      const f = findings.find((x) => x.range.isEqual(d.range));
      if (!f?.request) continue;
      const a = new vscode.CodeAction('Generate dedup migration first', vscode.CodeActionKind.QuickFix);
      a.command = { command: GENERATE_COMMAND, title: 'Generate dedup migration first', arguments: [f.request] };
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
