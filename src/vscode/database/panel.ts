/**
 * Host side of the duplicates panel: one webview instance (createOrShow), resources only from
 * dist/media and media, a CSP allowing nothing but our nonce'd script and stylesheet, and the typed
 * message union of messages.ts switched on `command`.
 */
import * as vscode from 'vscode';
import { confidenceOf, type ScanReport } from '../../db/report';
import type { ChosenConnection, Connections } from './connections';
import { dryRun, openMigration, type MigrationRequest } from './actions';
import { duplicateQuery, isGuess } from './figures';
import type { CheckRef, FromWebview, ToWebview } from './messages';

/** Why a scan shows no table, in words a user can act on. */
export function emptyReason(report: ScanReport, conn: ChosenConnection): string | undefined {
  if (report.tables.length) return undefined;
  const schemas = conn.target.schemas?.length ? conn.target.schemas.join(', ') : 'every schema but the system ones';
  const user = conn.target.user ?? /^postgres(?:ql)?:\/\/([^@/:]+)@/.exec(report.target ?? conn.identity)?.[1];
  const skipped = report.skipped?.length ? ` ${report.skipped.length} relation${report.skipped.length === 1 ? ' was' : 's were'} left out (listed below).` : '';
  return `No table to scan: none in the chosen schemas (${schemas})${user ? ` that ${user} can see` : ''}.${skipped}`;
}

function nonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars.charAt(Math.floor(Math.random() * chars.length));
  return s;
}

/** What the panel needs from the rest of the extension. */
export interface PanelHost {
  connections: Connections;
  log: vscode.LogOutputChannel;
  /** Scans again with the same connection, counting every row (exact) or estimating (quick). */
  rescan(conn: ChosenConnection, mode: 'exact' | 'quick'): Promise<void>;
  /** Whether a scan runs now (one at a time: Rescan waits for it). */
  scanning(): boolean;
}

export class DuplicatesPanel implements vscode.Disposable {
  static readonly viewType = 'dupguard.duplicates';
  private static current: DuplicatesPanel | undefined;

  private report: ScanReport | undefined;
  private connection: ChosenConnection | undefined;
  private note: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** False while the webview (re)loads: it is rebuilt each time the panel is shown again. */
  private ready = false;
  private readonly queue: ToWebview[] = [];

  /** The open panel, if any. */
  static get instance(): DuplicatesPanel | undefined {
    return DuplicatesPanel.current;
  }

  /** Reveals the panel, creating it the first time. */
  static createOrShow(extensionUri: vscode.Uri, host: PanelHost): DuplicatesPanel {
    if (DuplicatesPanel.current) {
      DuplicatesPanel.current.panel.reveal(undefined, true);
      return DuplicatesPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(DuplicatesPanel.viewType, 'Duplicates', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'media'), vscode.Uri.joinPath(extensionUri, 'media')],
    });
    DuplicatesPanel.current = new DuplicatesPanel(panel, extensionUri, host);
    return DuplicatesPanel.current;
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly extensionUri: vscode.Uri, private readonly host: PanelHost) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'duplicates.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: FromWebview) => { void this.receive(m); }),
      // Hidden webviews are destroyed (no retainContextWhenHidden): hold messages until the new one says ready.
      panel.onDidChangeViewState((e) => { if (!e.webviewPanel.visible) this.ready = false; }),
    );
  }

  /** Shows a finished scan. `note` marks results kept from before (a cancelled rescan). */
  show(report: ScanReport, connection: ChosenConnection, note?: string): void {
    this.report = report;
    this.connection = connection;
    this.note = note;
    this.panel.title = `Duplicates: ${connection.label}`;
    const where = report.target ?? connection.identity;
    this.post({
      command: 'report', report, identity: connection.identity, note, empty: emptyReason(report, connection),
      connection: connection.label === where ? where : `${connection.label} (${where})`,
    });
  }

  /**
   * After a cancelled rescan: keeps the previous complete results of the same database on screen,
   * marked as such. False when there are none (the partial results are shown instead).
   */
  keepPrevious(connection: ChosenConnection, cancelled: ScanReport): boolean {
    if (!this.report?.complete || this.connection?.identity !== connection.identity) return false;
    const when = new Date(this.report.startedAt).toLocaleTimeString('en-GB');
    this.show(this.report, connection, `The rescan was cancelled (after ${cancelled.tables.length} table${cancelled.tables.length === 1 ? '' : 's'}): these are the previous complete results, from the scan started at ${when}.`);
    return true;
  }

  /**
   * Tells the webview the scan could not run. The previous results stay only when they are of the
   * same database; another database's would sit under an error that is not theirs.
   */
  scanFailed(message: string, connection: ChosenConnection): void {
    const clear = this.connection?.identity !== connection.identity;
    if (clear) { this.report = undefined; this.connection = undefined; }
    this.post({ command: 'scanFailed', message, clear });
  }

  /** Tells the webview a scan is running (its rescan buttons wait); another database's results go. */
  scanning(connection: ChosenConnection): void {
    if (this.connection && this.connection.identity !== connection.identity) { this.report = undefined; this.connection = undefined; }
    this.post({ command: 'scanning', connection: connection.label, identity: connection.identity });
  }

  /** No scan runs any more (finished, failed or cancelled at the password prompt). */
  idle(): void {
    this.post({ command: 'idle' });
  }

  /** The panel's editor column (undefined while hidden in no group). */
  get viewColumn(): vscode.ViewColumn | undefined {
    return this.panel.viewColumn;
  }

  private post(m: ToWebview): void {
    // Only the latest report matters; other messages keep their order.
    if (m.command === 'report') for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].command === 'report') this.queue.splice(i, 1);
    this.queue.push(m);
    if (this.ready) this.flush();
  }

  private flush(): void {
    for (const m of this.queue.splice(0)) void this.panel.webview.postMessage(m);
  }

  private async receive(m: FromWebview): Promise<void> {
    switch (m.command) {
      case 'ready':
        // A new or reloaded webview (it is not kept alive while hidden): its state has the UI choices, the host the data.
        this.ready = true;
        if (this.report && this.connection && !this.queue.some((q) => q.command === 'report')) this.show(this.report, this.connection, this.note);
        if (this.host.scanning()) this.post({ command: 'scanning', connection: this.connection?.label ?? '', identity: this.connection?.identity ?? '' });
        this.flush();
        return;
      case 'rescan':
        // One scan at a time: the buttons are disabled while one runs; a click that raced that is dropped.
        if (this.connection && !this.host.scanning()) await this.run('Rescan', () => this.host.rescan(this.connection!, m.mode));
        return;
      case 'copyQuery': {
        const found = this.check(m.ref);
        if (!found) return;
        const id = found.check.sample.find((g) => g.idColumn)?.idColumn;
        await vscode.env.clipboard.writeText(duplicateQuery(found.table, found.check, id));
        void vscode.window.setStatusBarMessage(`dupguard: query for ${found.table.schema}.${found.table.table} copied to the clipboard`, 4000);
        return;
      }
      case 'generateMigration': {
        const req = this.request(m.ref);
        if (!req || !this.connection) return;
        await this.run('Generate migration', async () => {
          this.post({ command: 'busy', ref: m.ref, what: 'generating…' });
          try {
            await openMigration(this.host.connections, this.connection!, req, this.host.log);
          } finally {
            this.post({ command: 'actionDone', ref: m.ref });
          }
        });
        return;
      }
      case 'dryRun': {
        const req = this.request(m.ref);
        if (!req || !this.connection) return;
        await this.run('Dry run', async () => {
          this.post({ command: 'busy', ref: m.ref, what: 'dry run…' });
          try {
            const result = await dryRun(this.host.connections, this.connection!, req, this.host.log);
            if (result) this.post({ command: 'dryRunResult', ref: m.ref, result });
          } finally {
            this.post({ command: 'actionDone', ref: m.ref });
          }
        });
        return;
      }
      default: {
        const never: never = m;
        this.host.log.warn(`duplicates panel: unknown message ${JSON.stringify(never)}`);
      }
    }
  }

  private async run(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (e instanceof vscode.CancellationError) return;
      const { scrub } = await import('../../db/connect');
      const msg = scrub(e instanceof Error ? e.message : String(e));
      this.host.log.error(`${what} failed: ${msg}`);
      void vscode.window.showErrorMessage(`dupguard: ${what} failed: ${msg}`);
    }
  }

  private check(ref: CheckRef) {
    const table = this.report?.tables.find((t) => t.schema === ref.schema && t.table === ref.table);
    const check = table?.checks[ref.check];
    return table && check ? { table, check } : undefined;
  }

  private request(ref: CheckRef): MigrationRequest | undefined {
    const found = this.check(ref);
    if (!found) return undefined;
    const { table, check } = found;
    return {
      schema: table.schema, table: table.table, key: check.columns,
      rows: table.rows, duplicateRatio: check.distinct > 0 ? check.rows / check.distinct : undefined,
      guessed: isGuess(check) ? { deletes: check.excessRows, rows: table.rows, estimated: check.estimated || !!table.rowsEstimated, lookalike: confidenceOf(check) === 'lookalike' } : undefined,
      nullsNotDistinct: check.kind === 'unique-nulls' || undefined,
      nullHoleOf: check.kind === 'unique-nulls' ? check.constraint : undefined,
      // Beside the panel, never over it.
      column: this.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One,
    };
  }

  private html(): string {
    const w = this.panel.webview;
    const script = w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'media', 'panel.js'));
    const style = w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'panel.css'));
    const n = nonce();
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${w.cspSource}; img-src ${w.cspSource} data:; font-src ${w.cspSource}; script-src 'nonce-${n}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${style}" rel="stylesheet">
<title>Duplicates</title>
</head>
<body>
<main id="app"><p class="muted">Waiting for a scan…</p></main>
<script nonce="${n}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    if (DuplicatesPanel.current === this) DuplicatesPanel.current = undefined;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
