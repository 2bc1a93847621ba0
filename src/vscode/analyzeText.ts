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
}

/** Findings with the per-rule settings (off / severity) applied, by the engine. Never throws. */
export function analyzeText(input: AnalyzeTextInput): Finding[] {
  try {
    return analyze(input).findings;
  } catch {
    // The analyzer promises never to throw; if it ever does, the editor stays quiet rather than broken.
    return [];
  }
}

