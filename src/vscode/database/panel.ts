/**
 * Host side of the duplicates panel: one webview instance (createOrShow), resources only from
 * dist/media and media, a CSP allowing nothing but our nonce'd script and stylesheet, and the typed
 * message union of messages.ts switched on `command`.
 */
import * as vscode from 'vscode';
import type { ScanReport } from '../../db/report';
import type { ChosenConnection, Connections } from './connections';
import { dryRun, openMigration, type MigrationRequest } from './actions';
import { duplicateQuery } from './figures';
import type { CheckRef, FromWebview, RenderedSummary, ToWebview } from './messages';

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
}

export class DuplicatesPanel implements vscode.Disposable {
  static readonly viewType = 'dupguard.duplicates';
  private static current: DuplicatesPanel | undefined;

  private report: ScanReport | undefined;
  private connection: ChosenConnection | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private lastRendered: RenderedSummary | undefined;
  private readonly renderedWaiters: ((s: RenderedSummary) => void)[] = [];
  private readonly clickWaiters: ((found: boolean) => void)[] = [];
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

  /** Shows a finished scan. */
  show(report: ScanReport, connection: ChosenConnection): void {
    this.report = report;
    this.connection = connection;
    this.panel.title = `Duplicates: ${connection.label}`;
    const where = report.target ?? connection.identity;
    this.post({ command: 'report', report, connection: connection.label === where ? where : `${connection.label} (${where})` });
  }

  /** Tells the webview the scan could not run; the previous report stays on screen. */
  scanFailed(message: string): void {
    this.post({ command: 'scanFailed', message });
  }

  /** Tells the webview a scan is running. */
  scanning(connection: ChosenConnection): void {
    this.post({ command: 'scanning', connection: connection.label });
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
        if (this.report && this.connection && !this.queue.some((q) => q.command === 'report')) this.show(this.report, this.connection);
        this.flush();
        return;
      case 'rendered':
        this.lastRendered = m.summary;
        for (const w of this.renderedWaiters.splice(0)) w(m.summary);
        return;
      case 'testClicked':
        for (const w of this.clickWaiters.splice(0)) w(m.found);
        return;
      case 'rescan':
        if (this.connection) await this.run('Rescan', () => this.host.rescan(this.connection!, m.mode));
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
      // Beside the panel, never over it.
      column: this.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One,
    };
  }

  /** Test hook: what the webview last drew, waiting for a fresh report when asked. */
  async rendered(fresh = false, timeoutMs = 20_000): Promise<RenderedSummary> {
    if (!fresh && this.lastRendered) return this.lastRendered;
    const p = new Promise<RenderedSummary>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the duplicates panel did not report what it drew')), timeoutMs);
      this.renderedWaiters.push((s) => { clearTimeout(t); resolve(s); });
    });
    this.post({ command: 'testReport' });
    return p;
  }

  /** Test hook: clicks an element of the webview as a user would; false when nothing matched. */
  click(selector: string, timeoutMs = 20_000): Promise<boolean> {
    const p = new Promise<boolean>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the duplicates panel did not answer the click on ${selector}`)), timeoutMs);
      this.clickWaiters.push((found) => { clearTimeout(t); resolve(found); });
    });
    this.post({ command: 'testClick', selector });
    return p;
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
