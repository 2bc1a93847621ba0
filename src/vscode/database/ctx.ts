/**
 * The database side of the editor around one context object, created once in `activate` and handed
 * to the command handlers (as rust-analyzer's ctx.ts): connections, "Scan DB for duplicates" (progress
 * per table, cancel → AbortSignal, results in the duplicates panel), the data-dependent UNIQUE check.
 * `pg` and the scan engine load on first use.
 */
import * as vscode from 'vscode';
import type { ScanReport } from '../../db/report';
import { Config } from '../config';
import type { DiagnosticsController } from '../diagnostics';
import { Connections, type ChosenConnection, type ConnectionArgs } from './connections';
import { UniqueCheck } from './uniqueCheck';
import { openMigration, type MigrationRequest } from './actions';
import { DuplicatesPanel } from './panel';

/** Options of the "Scan DB for duplicates" command (besides the connection). */
export interface ScanArgs extends ConnectionArgs {
  /** Only these tables (`schema.table`). */
  tables?: string[];
  mode?: 'exact' | 'quick';
}

/** What the database features need from the extension's context. */
export interface DatabaseHost {
  extensionUri: vscode.Uri;
  secrets: vscode.SecretStorage;
  globalState: vscode.Memento;
}

/** The database features of one activation. */
export class DatabaseContext implements vscode.Disposable {
  readonly connections: Connections;
  readonly uniqueCheck: UniqueCheck;
  private readonly disposables: vscode.Disposable[] = [];
  /** The scan running now: one at a time (the panel shows one database's results). */
  private running: ChosenConnection | undefined;

  constructor(private readonly host: DatabaseHost, diagnostics: DiagnosticsController, readonly log: vscode.LogOutputChannel) {
    this.connections = new Connections(host.secrets, log);
    this.uniqueCheck = new UniqueCheck(this.connections, diagnostics, log, host.globalState);
    this.disposables.push(this.connections, this.uniqueCheck);
  }

  /** "Scan DB for duplicates": choose a connection, scan with progress and cancel, show the panel. */
  async scanCommand(args: ScanArgs = {}): Promise<ScanReport | undefined> {
    if (this.busy()) return undefined;
    const conn = await this.connections.choose(args);
    if (!conn) return undefined;
    return this.scan(conn, args);
  }

  /** True (and says so) while a scan runs. */
  private busy(): boolean {
    if (!this.running) return false;
    void vscode.window.showInformationMessage(`dupguard: a scan of ${this.running.label} is running; cancel it or wait for it before starting another.`);
    return true;
  }

  private async scan(conn: ChosenConnection, args: ScanArgs = {}): Promise<ScanReport | undefined> {
    if (this.busy()) return undefined;
    this.running = conn;
    try {
      return await this.scanOnce(conn, args);
    } finally {
      this.running = undefined;
      DuplicatesPanel.instance?.idle();
    }
  }

  private async scanOnce(conn: ChosenConnection, args: ScanArgs): Promise<ScanReport | undefined> {
    const { scan } = await import('../../db/scan');
    const panelWasOpen = !!DuplicatesPanel.instance;
    DuplicatesPanel.instance?.scanning(conn);
    let report: ScanReport | undefined;
    try {
      report = await vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification,
        title: `dupguard: scanning ${conn.label} for duplicates`,
        cancellable: true,
      }, async (progress, token) => {
        progress.report({ message: 'connecting…' });
        const session = await this.connections.open(conn, { interactive: true });
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        let tablesSeen = -1;
        try {
          return await scan(session, {
            mode: args.mode ?? new Config().scanMode,
            quickThreshold: new Config().quickThreshold,
            tables: args.tables,
            naturalKeys: new Config().naturalKeys,
            signal: abort.signal,
            onProgress: (p) => {
              if (p.phase === 'table' || p.phase === 'check') {
                // One step per table: the bar moves as tables finish, the message names the check.
                const step = p.phase === 'table' && p.index > tablesSeen && p.total > 0 ? 100 / p.total : 0;
                if (p.phase === 'table') tablesSeen = p.index;
                progress.report({ message: `table ${p.index + 1} of ${p.total}: ${p.message}`, increment: step });
              } else {
                progress.report({ message: p.message });
              }
            },
          });
        } finally {
          sub.dispose();
          await session.close();
        }
      });
    } catch (e) {
      if (e instanceof vscode.CancellationError) {
        // Escape at the password prompt: the user changed their mind, nothing failed.
        this.log.info(`scan of ${conn.label}: no password given, nothing scanned`);
        return undefined;
      }
      const { scrub } = await import('../../db/connect');
      const msg = scrub(e instanceof Error ? e.message : String(e));
      this.log.error(`scan of ${conn.label} failed: ${msg}`);
      void vscode.window.showErrorMessage(`dupguard: cannot scan ${conn.label}: ${msg}`, 'Try Again', 'Show Output').then((c) => {
        if (c === 'Try Again') void this.scan(conn, args);
        else if (c === 'Show Output') this.log.show();
      });
      if (panelWasOpen) DuplicatesPanel.instance?.scanFailed(`Cannot scan ${conn.label}: ${msg}`, conn);
      return undefined;
    }
    this.log.info(`scan of ${report.target}: ${report.summary.tablesScanned} tables, ${report.summary.tablesWithDuplicates} with duplicates, ` +
      `${report.summary.excessRows} excess rows in ${report.durationMs} ms${report.complete ? '' : ' (incomplete)'}`);
    for (const err of report.errors) this.log.warn(`scan: ${err.message}`);
    if (report.cancelled) {
      // A cancelled rescan leaves the previous complete results of that database on screen, marked as such.
      const kept = DuplicatesPanel.instance?.keepPrevious(conn, report);
      if (!kept) this.showReport(report, conn);
      void vscode.window.showInformationMessage(kept
        ? `dupguard: scan of ${conn.label} cancelled; the panel keeps the previous complete results.`
        : `dupguard: scan of ${conn.label} cancelled; the panel shows the ${report.tables.length} table${report.tables.length === 1 ? '' : 's'} finished before.`);
      return report;
    }
    this.showReport(report, conn);
    if (!report.complete && report.errors.length) {
      void vscode.window.showErrorMessage(`dupguard: the scan stopped: ${report.errors[report.errors.length - 1].message}. The panel shows what was done so far.`);
    } else if (report.errors.length) {
      void vscode.window.showWarningMessage(`dupguard: ${report.errors.length} problem${report.errors.length === 1 ? '' : 's'} during the scan (listed in the panel): ${report.errors[0].message}`);
    }
    return report;
  }

  private showReport(report: ScanReport, conn: ChosenConnection): void {
    const panel = DuplicatesPanel.createOrShow(this.host.extensionUri, {
      connections: this.connections,
      log: this.log,
      rescan: async (c, mode) => { await this.scan(c, { mode }); },
      scanning: () => this.running !== undefined,
    });
    panel.show(report, conn);
  }

  /** The quick fix "Generate dedup migration first", with the window's active connection. */
  async generate(req: MigrationRequest): Promise<vscode.TextDocument | undefined> {
    const conn = this.connections.active;
    if (!conn) {
      void vscode.window.showWarningMessage('dupguard: connect to the database first (Dupguard: Scan DB for duplicates).');
      return undefined;
    }
    try {
      return await openMigration(this.connections, conn, req, this.log);
    } catch (e) {
      if (e instanceof vscode.CancellationError) return undefined;
      const { scrub } = await import('../../db/connect');
      const msg = scrub(e instanceof Error ? e.message : String(e));
      this.log.error(`generate dedup migration for ${req.schema}.${req.table} failed: ${msg}`);
      void vscode.window.showErrorMessage(`dupguard: cannot generate the dedup migration for ${req.schema}.${req.table}: ${msg}`);
      return undefined;
    }
  }

  dispose(): void {
    DuplicatesPanel.instance?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
