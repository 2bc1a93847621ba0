/**
 * Shared contract of the analyzer. Everything below the edges (CLI, editor) speaks offsets into the
 * analyzed host text (UTF-16 code units, as JavaScript strings index); edges convert once.
 */

export type Severity = 'error' | 'warning' | 'info';

/** A replacement of text[start, end) by newText, offsets into the analyzed host text. */
export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

/** A quick fix: plain text edits, no editor types. */
export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The one fix an editor marks as preferred / applies on fix-all. */
  preferred?: boolean;
  /** newText contains VS Code snippet placeholders (`${1:key}`); edges that cannot do snippets strip them. */
  snippet?: boolean;
}

/** A place in some file (possibly another one than the analyzed text); lines and columns are 1-based. */
export interface Location {
  path: string;
  start: number;
  end: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** "the other half of the story": e.g. the CREATE TABLE that has no unique key. */
export interface RelatedInfo {
  message: string;
  location: Location;
}

export interface Finding {
  /** Rule id, e.g. `on-conflict-without-target`. */
  rule: string;
  severity: Severity;
  message: string;
  /** Range of the offending clause in the analyzed host text. */
  start: number;
  end: number;
  fixes: Fix[];
  related?: RelatedInfo[];
}

/** The language of an analyzed file: SQL, or a TS/JS host with SQL embedded in it. */
export type SourceLanguage = 'sql' | 'typescript' | 'javascript' | 'typescriptreact' | 'javascriptreact';

/** What the analyzer reads from `.dupguard.json` and the editor settings. */
export interface AnalyzerConfig {
  /** Rule id → severity override, or 'off'. */
  rules?: Record<string, Severity | 'off'>;
  /** `schema.table` (or `table`) → natural key columns. */
  naturalKeys?: Record<string, string[]>;
  /**
   * Where SQL hides in TS/JS. `expectedOutput: true` also lints SQL that is never executed: the
   * expected values of tests (`expect(...).toBe(...)`, `assert.equal`, `t.is`, `expected:` keys,
   * `expectSql(...)`), SQL handed to a parser or formatter, and test titles (default false: no findings there).
   */
  embedded?: { tags?: string[]; functions?: string[]; expectedOutput?: boolean };
}
