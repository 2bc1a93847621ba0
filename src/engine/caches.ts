/**
 * Every cache the engine keeps from one analysis to the next, in one object: statement parse trees,
 * documents' own DDL models, statement rules' reports (docs/caching.md). `analyze()` uses one shared
 * instance unless it is given another: a test that compares a warm analysis with a cold one passes
 * a fresh instance for the cold one.
 */
import { DocumentTables, type DdlObserver } from './documentTables';
import { ReportMemo } from './memo';
import { StatementAsts } from './statementAst';

export class AnalysisCaches {
  readonly asts = new StatementAsts();
  readonly tables: DocumentTables;
  readonly reports = new ReportMemo();

  constructor(options: { observeDdl?: DdlObserver } = {}) {
    this.tables = new DocumentTables(options.observeDdl);
  }
}

/** The caches of every analysis that is given none (the editor's, the CLI's). */
export const sharedCaches = new AnalysisCaches();
