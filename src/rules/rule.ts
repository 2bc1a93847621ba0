/**
 * The Rule API. A rule looks at the statements (with their facts) of one SQL document and reports
 * findings with offsets into that document's text; analyze() maps them to the host file, applies
 * severity overrides and suppressions. Rules are pure and never see the editor or a database.
 */
import type { AnalyzerConfig, SourceLanguage } from '../core/analyze';
import type { SqlDocument, Statement, StatementKind } from '../core/facts';
import type { EmbeddedSql } from '../embedded/types';
import type { SchemaModel } from '../core/schema';
import type { Fix, RelatedInfo, Severity } from '../core/types';

/** Where each rule's documentation page lives (docs/rules/<id>.md). */
export const DOCS_BASE = 'https://github.com/dupguard/dupguard/blob/main/docs/rules/';

/** The docs URL of a rule id. */
export function docsUrl(id: string): string {
  return `${DOCS_BASE}${id}.md`;
}

/** What a rule reports; offsets are into `ctx.doc.text`. */
export interface RuleReport {
  start: number;
  end: number;
  message: string;
  /** Defaults to the rule's severity (after config overrides). */
  severity?: Severity;
  fixes?: Fix[];
  related?: RelatedInfo[];
}

export interface RuleContext {
  /** The SQL document: text, tokens, top-level statements, and `all` (nested bodies included). */
  doc: SqlDocument;
  /** The host file's path when known (messages, related locations). */
  path?: string;
  /** Language of the host file ('sql' for .sql files; SQL embedded in TS/JS reports the host's). */
  language: string & SourceLanguage;
  /** True when `doc` is SQL found inside a TS/JS file (one region of it). */
  embedded: boolean;
  /**
   * Every SQL document of the host file in host order (one for a .sql file; one per embedded query
   * in TS/JS), and the index of `doc` among them: for rules whose evidence may sit in another query
   * of the same file (a staging table created by one `client.query`, merged by another).
   */
  file?: { docs: SqlDocument[]; index: number };
  /** What is known about tables, when a schema model is available. */
  schema?: SchemaModel;
  config: AnalyzerConfig;
  /** Whether statementReports() replays and remembers reports across analyses (AnalyzeInput.reuse; default true). */
  reuse?: boolean;
  /** Reports one finding. */
  report(r: RuleReport): void;
}

/** One SQL region of a TS/JS host file with its parsed document (offsets into `sql.text`). */
export interface HostRegion {
  sql: EmbeddedSql;
  doc: SqlDocument;
}

/** What a host-level rule sees in a TS/JS file: the whole host text and every SQL region in it. */
export interface HostContext {
  /** The TS/JS text; reports use offsets into it (no mapping). */
  text: string;
  path?: string;
  language: SourceLanguage;
  /** SQL regions in host order. */
  regions: HostRegion[];
  schema?: SchemaModel;
  config: AnalyzerConfig;
  /** Reports one finding; offsets are host offsets. */
  report(r: RuleReport): void;
}

/** A lint rule. Implement `statement` (called per statement, nested ones included) and/or `document`. */
export interface Rule {
  /** Kebab-case id named after the hazard, equal to the file name. */
  id: string;
  /** Default severity; config may override it or turn the rule off. */
  severity: Severity;
  /** One line: what the rule finds. */
  description: string;
  /** Documentation page URL (use `docsUrl(id)`). */
  docs: string;
  /**
   * The statement kinds `statement` looks at (after classification: a `WITH ... INSERT` is 'insert').
   * When set, the hook is called for statements of these kinds only; most statements of a script are
   * SELECTs and DDL no rule reads, so this saves a call per statement and rule. Unset: every statement.
   */
  kinds?: readonly StatementKind[];
  /** Called once per statement of `ctx.doc.all` (top level and inside function bodies), in order. */
  statement?(stmt: Statement, ctx: RuleContext): void;
  /** Called once per document, after the statements. */
  document?(ctx: RuleContext): void;
  /** TS/JS files only: called once with the host text and all its SQL regions (code structure rules). */
  host?(ctx: HostContext): void;
}
