/** What the command handlers and providers share. */
import type * as vscode from 'vscode';
import type { DatabaseContext } from './database/ctx';
import type { DiagnosticsController } from './diagnostics';
import type { RuleDocs } from './docs';
import type { SchemaIndex } from './schemaIndex';

export interface Services {
  log: vscode.LogOutputChannel;
  docs: RuleDocs;
  schema: SchemaIndex;
  diagnostics: DiagnosticsController;
  /** The database features (connections, scans, the duplicates panel, the data check). */
  database: DatabaseContext;
}
