/**
 * The project's `.dupguard.json` in the editor, as the CLI reads it: each document's nearest one from
 * its folder upward (each folder of a multi-root workspace has its own), with the `dupguard.*`
 * settings layered over it. Re-read when any `.dupguard.json` is created, changed or deleted.
 */
import * as vscode from 'vscode';
import { analyzerPart, ConfigFiles, layered } from '../config/dupguardJson';
import type { AnalyzerConfig } from '../core/types';
import { Config } from './config';

export class ProjectConfig implements vscode.Disposable {
  private readonly files = new ConfigFiles((f) => vscode.workspace.asRelativePath(f));
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after a `.dupguard.json` changed: every document must be analyzed again. */
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  /** Config files whose problems were logged (once each, until they change). */
  private readonly reported = new Set<string>();

  constructor(private readonly log: vscode.LogOutputChannel) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/.dupguard.json');
    const reload = (uri: vscode.Uri) => {
      this.files.invalidate();
      this.reported.clear();
      log.info(`${vscode.workspace.asRelativePath(uri)} changed: re-linting open documents`);
      this.changed.fire();
    };
    this.subscriptions.push(watcher, watcher.onDidCreate(reload), watcher.onDidChange(reload), watcher.onDidDelete(reload));
  }

  /** What the analyzer reads for the document at `uri`: its `.dupguard.json` with the settings layered over it. */
  analyzer(uri: vscode.Uri): AnalyzerConfig {
    const settings = new Config(uri).analyzer();
    if (uri.scheme !== 'file') return settings;
    const found = this.files.forFile(uri.fsPath);
    if (!found.path) return settings;
    if ((found.error || found.warnings.length) && !this.reported.has(found.path)) {
      this.reported.add(found.path);
      if (found.error) this.log.warn(`${found.error}; its settings are ignored until it is fixed`);
      for (const w of found.warnings) this.log.warn(w);
    }
    return layered(analyzerPart(found.config), settings);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
