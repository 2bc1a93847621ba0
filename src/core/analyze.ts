/**
 * The analyzer's entry point: text in, findings out. Pure: no editor, no database, no I/O.
 * (Contract first; the engine behind it lives in src/core, src/embedded and src/rules.)
 */
import type { SchemaModel } from './schema';
import type { Finding, Severity } from './types';

export type SourceLanguage = 'sql' | 'typescript' | 'javascript' | 'typescriptreact' | 'javascriptreact';

export interface AnalyzerConfig {
  /** Rule id → severity override, or 'off'. */
  rules?: Record<string, Severity | 'off'>;
  /** `schema.table` (or `table`) → natural key columns. */
  naturalKeys?: Record<string, string[]>;
  /** Where SQL hides in TS/JS. */
  embedded?: { tags?: string[]; functions?: string[] };
}

export interface AnalyzeInput {
  text: string;
  /** Used for messages and to pick the language when `language` is absent. */
  path?: string;
  language?: SourceLanguage;
  schema?: SchemaModel;
  config?: AnalyzerConfig;
}

export interface AnalyzeResult {
  findings: Finding[];
}

/** The language a file name implies, or undefined for files dupguard does not read. */
export function languageFromPath(path: string): SourceLanguage | undefined {
  const m = /\.([a-z]+)$/i.exec(path);
  switch (m?.[1].toLowerCase()) {
    case 'sql': case 'psql': case 'pgsql': return 'sql';
    case 'ts': case 'mts': case 'cts': return 'typescript';
    case 'tsx': return 'typescriptreact';
    case 'js': case 'mjs': case 'cjs': return 'javascript';
    case 'jsx': return 'javascriptreact';
    default: return undefined;
  }
}

/** Analyzes one document. Never throws on any input text. */
export function analyze(input: AnalyzeInput): AnalyzeResult {
  void input;
  return { findings: [] };
}
