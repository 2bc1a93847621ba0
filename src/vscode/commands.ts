/** Registers every command of commandTable.ts with its handler. */
import * as vscode from 'vscode';
import { COMMANDS, type CommandName } from './commandTable';
import type { MigrationRequest } from './database/actions';
import type { ScanArgs } from './database/ctx';
import type { Services } from './services';

type Handler = (s: Services, ...args: unknown[]) => unknown;

const HANDLERS: Record<CommandName, Handler> = {
  scanDatabase: (s, args) => {
    s.log.info('scan database: choosing a connection');
    return s.database.scanCommand(args && typeof args === 'object' ? args as ScanArgs : {});
  },
  enableDataCheck: (s) => s.database.uniqueCheck.setEnabled(true),
  disableDataCheck: (s) => s.database.uniqueCheck.setEnabled(false),
  // The data check's quick fix and the panel: the table and key come as the argument.
  generateDedupMigration: (s, req) => (req && typeof req === 'object' ? s.database.generate(req as MigrationRequest) : undefined),
  forgetPassword: (s) => s.database.connections.forgetPassword(),
  lintWorkspace: async (s) => {
    const { lintWorkspace } = await import('./lintWorkspace');
    const r = await lintWorkspace(s.diagnostics, s.schema, s.log);
    const what = `${r.findings} problem${r.findings === 1 ? '' : 's'} in ${r.filesWithFindings} of ${r.files} files`;
    if (r.cancelled) void vscode.window.showInformationMessage(`dupguard: lint cancelled after ${r.files} files (${what}).`);
    else if (r.findings) void vscode.window.showInformationMessage(`dupguard: ${what}.`, 'Show Problems').then((c) => c && vscode.commands.executeCommand('workbench.actions.view.problems'));
    else void vscode.window.showInformationMessage(`dupguard: no problems in ${r.files} files.`);
    return r;
  },
  showOutput: (s) => s.log.show(true),
  showRuleDocumentation: async (s, rule) => {
    if (typeof rule === 'string') await s.docs.show(rule);
  },
  // The walkthrough's first step: an untitled SQL file (linted like any other) with hazards to fix.
  openExample: async () => {
    const ext = vscode.extensions.getExtension('dupguard.dupguard');
    if (!ext) throw new Error('the dupguard extension folder was not found');
    const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(ext.extensionUri, 'media', 'walkthrough', 'example.sql'));
    const doc = await vscode.workspace.openTextDocument({ language: 'sql', content: new TextDecoder().decode(bytes) });
    return vscode.window.showTextDocument(doc);
  },
};

export function registerCommands(s: Services): vscode.Disposable[] {
  return (Object.keys(COMMANDS) as CommandName[]).map((name) =>
    vscode.commands.registerCommand(COMMANDS[name].id, async (...args: unknown[]) => {
      try {
        return await HANDLERS[name](s, ...args);
      } catch (e) {
        // Messages may quote a connection URL: never with its password.
        const { scrub } = await import('../db/connect');
        s.log.error(`${COMMANDS[name].title} failed: ${scrub(e instanceof Error ? e.stack ?? e.message : String(e))}`);
        void vscode.window.showErrorMessage(`dupguard: ${COMMANDS[name].title} failed: ${scrub(e instanceof Error ? e.message : String(e))}`, 'Show Output')
          .then((c) => c && s.log.show());
        return undefined;
      }
    }),
  );
}
