/**
 * The Rule API. A rule is a pure function of what it is given: a statement (with its facts) or a
 * document, and a context, in; reports with offsets into that document's text, out. The engine
 * (src/engine) maps them to the host file, applies severity overrides and suppressions, and keeps
 * whatever is reused between analyses, from what the rule declares it reads (`reads`). A rule holds
 * no cache and never sees the editor or a database.
 */
import type { SqlDocument, Statement, StatementKind } from '../core/facts';
import type { DdlSchemaModel } from '../core/schema/ddl';
import type { Suppression } from '../core/suppress';
import type { JsToken } from '../embedded/jsTokens';
import type { OrmHostFacts } from '../embedded/orm/host';
import type { TokenStream } from '../embedded/orm/stream';
import type { EmbeddedSql } from '../embedded/types';
import type { SchemaModel } from '../core/schema';
import type { AnalyzerConfig, Fix, RelatedInfo, Severity, SourceLanguage } from '../core/types';
import type { StmtAst } from './ast';

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
  /**
   * Whether this finding exists was decided from tokens and lexer facts alone, though the check read
   * parse trees or the schema for its wording, fixes, related locations or a higher severity: the
   * editor shows it before the parser and the workspace schema are in (at most as a warning then).
   */
  lexerCertain?: true;
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
  file?: {
    docs: SqlDocument[];
    index: number;
    /** The host region `doc` was found in (TS/JS only): how it was found, and what is known of its execution and dialect. */
    sql?: EmbeddedSql;
    /** The whole TS/JS host text (TS/JS only), for evidence in code that is not SQL dupguard found. */
    host?: string;
    /** What the host code proves about the region (TS/JS only; absent fields: not known). */
    evidence?: { executed?: true; dialect?: string };
  };
  /** What is known about tables, when a schema model is available. */
  schema?: SchemaModel;
  config: AnalyzerConfig;
  /** PostgreSQL's parse of a statement (undefined while the parser is not loaded, or when the grammar rejects it). */
  ast(stmt: Statement): StmtAst | undefined;
  /** The tables this document itself declares (its CREATE / ALTER / DROP statements), or undefined. */
  documentTables(): DdlSchemaModel | undefined;
  /** What the live database says about this document, when the editor is connected; undefined elsewhere (rules with `reads: ['catalog']`). */
  catalog?: CatalogFacts;
  /** Reports one finding. */
  report(r: RuleReport): void;
}

/** Facts from the live database about one document, counted by the editor's data check (read-only). */
export interface CatalogFacts {
  /** UNIQUE keys the document adds that today's rows violate: where (offsets into the text), and what the data says. */
  uniqueViolations?: readonly { start: number; end: number; message: string }[];
}

/** One SQL region of a TS/JS host file with its parsed document (offsets into `sql.text`). */
export interface HostRegion {
  sql: EmbeddedSql;
  doc: SqlDocument;
  /**
   * When the region has conditional fragments (`${cond ? 'ON CONFLICT ...' : '...'}`), the document of
   * each branch combination the executed-SQL plan reads (src/embedded/plan.ts); `doc` is the region as found.
   */
  variants?: SqlDocument[];
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
  /** PostgreSQL's parse of a statement of one of the regions. */
  ast(stmt: Statement): StmtAst | undefined;
  /** The host text's significant JS/TS tokens (the stream the SQL was found with): what a rule reads the code's structure from. */
  tokens(): readonly JsToken[];
  /** The same tokens as typed arrays with bracket partners (src/embedded/orm/stream): the file's one tokenization. */
  stream(): TokenStream;
  /**
   * The ORM and query-builder calls of the file (inserts, upserts, row checks) with the dialect each
   * runs on, and the ORM schema of its project; undefined when the file holds none.
   */
  orm(): OrmHostFacts | undefined;
  /** Reports one finding; offsets are host offsets. */
  report(r: RuleReport): void;
}

/** What the unused-suppression rule sees once a file's findings are filtered: every suppression and what it silenced. */
export interface SuppressionContext {
  /** The host text (offsets are host offsets). */
  text: string;
  suppressions: readonly Suppression[];
  config: AnalyzerConfig;
  /** Every rule id of the registry. */
  knownRules: readonly string[];
  /** Rules whose findings need facts this analysis did not have (the live database): their suppressions cannot be judged unused. */
  unjudged?: readonly string[];
  report(r: RuleReport): void;
}

/**
 * What a rule's findings depend on besides the statement it is given (text, facts, depth, whether it
 * sits in an explicit transaction, a COPY's inline data) and the configuration. The engine replays a
 * statement rule's reports for a statement it saw before only when none of these changed; a rule that
 * reads other statements of its file is run every time.
 *
 * - `document-ddl`: tables declared in the document itself (`ctx.documentTables()`, `resolveTable`);
 * - `workspace-schema`: `ctx.schema` (the workspace's DDL and natural keys);
 * - `other-statements`: any other statement of the file, or where one stands (related locations into the document);
 * - `catalog`: the live database (rules that need a connection; the editor fills it).
 */
export type RuleInput = 'document-ddl' | 'workspace-schema' | 'other-statements' | 'catalog';

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
  /**
   * A word every statement the rule can report on spells (lower case), such as `unique` for a rule
   * about UNIQUE keys: the engine leaves out the others before anything is parsed for them. Like
   * `kinds`, a statement of the text itself, not a cache.
   */
  mentions?: string;
  /** What the rule reads besides its statement and the configuration (see RuleInput). */
  reads: readonly RuleInput[];
  /**
   * The hazard is not PostgreSQL's own (a table name built from the clock collides in any database):
   * the rule's `host` hook also sees executed SQL known to be another dialect's. Default: PostgreSQL
   * (and SQL of no known dialect) only.
   */
  anyDialect?: boolean;
  /** Called once per statement of `ctx.doc.all` (top level and inside function bodies), in order. */
  statement?(stmt: Statement, ctx: RuleContext): void;
  /** Called once per document, after the statements. */
  document?(ctx: RuleContext): void;
  /** TS/JS files only: called once with the host text and all its SQL regions (code structure rules). */
  host?(ctx: HostContext): void;
  /** Called once per file after every other rule, with the file's dupguard-ignore comments (unused-suppression). */
  suppressions?(ctx: SuppressionContext): void;
}
