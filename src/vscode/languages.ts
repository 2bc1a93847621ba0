/** Editor-side language knowledge: which language ids dupguard reads, comment syntax, where an ignore comment goes. No `vscode` import (unit-tested and benchmarked in plain Node). */
import type { AnalyzerConfig, SourceLanguage } from '../core/types';
import { lex, T } from '../core/lexer';
import { extractEmbeddedSql, usesJsx } from '../embedded/extract';
import { recogniseOrmTokens } from '../embedded/orm';
import { sharedCaches } from '../engine/caches';

// The language ids dupguard reads, from the one list in core/languages.ts.
export { LANGUAGE_IDS, languageFromId as sourceLanguage, SCRIPT_LANGUAGE_IDS, SQL_LANGUAGE_IDS } from '../core/languages';

/** How a line comment starts in that language (for ignore comments). */
export function lineComment(language: SourceLanguage): string {
  return language === 'sql' ? '--' : '//';
}

/**
 * Offset where the statement holding `offset` starts: its ignore comment goes on the line above. In
 * TS/JS that is where the embedded SQL starts (a `//` comment there covers the whole literal), so the
 * comment never lands inside a multi-line template; for an ORM call, where its chain starts (the
 * analyzer lets a comment above the call silence it, whichever of its lines the finding is on).
 */
export function statementStart(text: string, offset: number, language: SourceLanguage, config: AnalyzerConfig): number {
  if (language !== 'sql') {
    // the token stream the analysis of this text made (the engine's cache): asked at every light bulb,
    // the file is not tokenized again
    const streams = sharedCaches.streams;
    const ts = streams.of(text, usesJsx(text, language));
    const regions = extractEmbeddedSql(text, language, { tags: config.embedded?.tags, functions: config.embedded?.functions }, ts);
    const r = regions.find((e) => e.hostStart <= offset && offset <= e.toHost(e.text.length));
    if (r) return r.hostStart;
    const call = recogniseOrmTokens(ts, { language, callsOnly: true, hints: streams.hints }).writes.find((w) => w.call.start <= offset && offset < w.call.end)?.call;
    return call ? call.start : offset;
  }
  const t = lex(text, 0, Math.min(text.length, offset));
  let start = -1;
  for (let i = 0; i < t.count; i++) {
    const type = t.types[i];
    if (type === T.Semi) start = -1;
    else if (start < 0 && type !== T.LineComment && type !== T.BlockComment) start = t.starts[i];
  }
  return start < 0 ? offset : start;
}
