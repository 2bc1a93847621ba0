/**
 * The one analysis path the extension uses (diagnostics, code actions, fix-all, Lint Workspace), kept
 * free of `vscode` so the editor benchmark runs exactly this code.
 */
import type { AnalyzerConfig, SourceLanguage } from '../core/types';
import { analyze } from '../engine/analyze';
import type { SchemaModel } from '../core/schema';
import type { Finding } from '../core/types';
import type { CatalogFacts } from '../rules/rule';

export interface AnalyzeTextInput {
  text: string;
  language: SourceLanguage;
  path?: string;
  schema?: SchemaModel;
  config: AnalyzerConfig;
  /** The live database's facts about this text (the data check), when it was checked. */
  catalog?: CatalogFacts;
  /** The workspace schema is still being built: what the checks decide from it is not final yet. */
  schemaPending?: boolean;
}

/** Findings with the per-rule settings (off / severity) applied, by the engine. Never throws. */
export function analyzeText(input: AnalyzeTextInput): Finding[] {
  return analyzeFinal(input).findings;
}

/**
 * What the editor may show now: the findings that are final for this text (before the PostgreSQL
 * parser and the workspace schema are in, those whose checks needed neither, and the lexer-certain
 * ones), and whether the analysis was complete (else it runs again when they arrive). With the
 * parser loaded and no schema pending, every finding, as analyzeText. Never throws.
 */
export function analyzeFinal(input: AnalyzeTextInput): { findings: Finding[]; complete: boolean } {
  try {
    const r = analyze(input);
    if (!r.unconfirmed) return { findings: r.findings, complete: true };
    const wait = new Set(r.unconfirmed);
    return { findings: r.findings.filter((f) => !wait.has(f)), complete: false };
  } catch {
    // The analyzer promises never to throw; if it ever does, the editor stays quiet rather than broken.
    return { findings: [], complete: true };
  }
}

