/** Activation: wires the pieces together; every disposable goes into context.subscriptions. */
import * as vscode from 'vscode';
import { DupguardCodeActions } from './codeActions';
import { registerCommands } from './commands';
import { affectsDupguard } from './config';
import { DiagnosticsController } from './diagnostics';
import { RuleDocs } from './docs';
import { LANGUAGE_IDS } from './languages';
import { ProjectConfig } from './projectConfig';
import { DatabaseContext } from './database/ctx';
import { SchemaIndex } from './schemaIndex';
import type { Services } from './services';
import { startMark } from './startMarks';
import { StatusBar } from './statusBar';

/** What activate() returns: lets the integration tests reach the running instance. */
export interface DupguardApi {
  services: Services;
  activationMs: number;
  /** Time of the first lint of the documents open at activation (set shortly after activation). */
  firstLintMs?: number;
}

export function activate(context: vscode.ExtensionContext): DupguardApi {
  const t0 = performance.now();
  startMark('activate');
  const log = vscode.window.createOutputChannel('dupguard', { log: true });
  const docs = new RuleDocs(context.extensionUri, context.extension.packageJSON);
  const schema = new SchemaIndex(log);
  const project = new ProjectConfig(log);
  const diagnostics = new DiagnosticsController(log, docs, schema, project);
  const database = new DatabaseContext(context, diagnostics, log);
  const services: Services = { log, docs, schema, diagnostics, database };
  const statusBar = new StatusBar(diagnostics);
  context.subscriptions.push(
    log, schema, project, diagnostics,
    statusBar,
    vscode.languages.registerCodeActionsProvider(
      LANGUAGE_IDS.map((language) => ({ language })), new DupguardCodeActions(diagnostics), DupguardCodeActions.metadata,
    ),
    ...registerCommands(services),
    database,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsDupguard(e)) return;
      log.info('settings changed: re-linting open documents');
      schema.scheduleRebuild();
      diagnostics.relintAll();
      statusBar.update();
    }),
  );
  const activationMs = performance.now() - t0;
  const api: DupguardApi = { services, activationMs };
  // The first analysis runs right after activation returns, so activation itself stays wiring only.
  setImmediate(() => {
    const t1 = performance.now();
    startMark('first-lint');
    diagnostics.relintAll();
    api.firstLintMs = performance.now() - t1;
    startMark('first-lint-end');
    log.info(`dupguard ${context.extension.packageJSON.version} activated in ${activationMs.toFixed(1)} ms; first lint of open documents ${api.firstLintMs.toFixed(1)} ms`);
    // Then, each in a timer of its own, in this order: the schema index starts (its listing requests
    // leave the extension host in the next timer), and PostgreSQL's grammar (WASM) loads for the checks
    // that read parse trees, every document being linted again once it is here. (The index loads it
    // too, but only with a folder open.) Nothing of this runs in this task or its microtasks: loading
    // the parser holds the event loop for tens of milliseconds (hundreds on a busy machine), and the
    // first lint's diagnostics leave for the window only in a timer the extension host set when they
    // were published; a timer set now runs after that one.
    setTimeout(() => {
      schema.startNow();
      setTimeout(() => void import('../core/schema/pg').then((pg) => pg.ensureParser()).then(
        () => {
          startMark('parser-ready');
          diagnostics.relintAll();
        },
        (e) => log.warn(`the SQL parser did not load, so the checks that read parse trees are off: ${e instanceof Error ? e.message : String(e)}`),
      ), 0);
    }, 0);
  });
  return api;
}

export function deactivate(): void {}
