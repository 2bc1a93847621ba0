/** The status bar item: dupguard's state for the active file, click to open the Problems panel. */
import * as vscode from 'vscode';
import { Config } from './config';
import { DIAGNOSTIC_SOURCE } from './convert';
import type { DiagnosticsController } from './diagnostics';
import { sourceLanguage } from './languages';

export class StatusBar implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem('dupguard.status', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly diagnostics: DiagnosticsController) {
    this.item.name = 'dupguard';
    this.item.command = 'workbench.actions.view.problems';
    this.subscriptions = [
      this.item,
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      diagnostics.onDidUpdate((uri) => { if (uri.toString() === vscode.window.activeTextEditor?.document.uri.toString()) this.update(); }),
    ];
    this.update();
  }

  update(): void {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !sourceLanguage(doc.languageId)) { this.item.hide(); return; }
    if (!new Config(doc).enable) {
      this.item.text = '$(circle-slash) dupguard';
      this.item.tooltip = 'dupguard is disabled (setting `dupguard.enable`)';
      this.item.show();
      return;
    }
    const ours = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === DIAGNOSTIC_SOURCE);
    const errors = ours.filter((d) => d.severity === vscode.DiagnosticSeverity.Error).length;
    if (!ours.length) {
      this.item.text = '$(check) dupguard';
      this.item.tooltip = 'dupguard: no duplicate-row hazards in this file';
    } else {
      // Says what it counts: a bare number beside VS Code's own problem counter reads as a second one.
      this.item.text = `${errors ? '$(error)' : '$(warning)'} dupguard: ${ours.length} problem${ours.length === 1 ? '' : 's'}`;
      this.item.tooltip = `dupguard: ${ours.length} duplicate-row hazard${ours.length === 1 ? '' : 's'} in this file (${errors} error${errors === 1 ? '' : 's'}). Click for the Problems panel.`;
    }
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
