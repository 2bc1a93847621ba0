/**
 * The one JS/TS token stream: the extractor walks it to find SQL, and host rules (the ones that read
 * the code around the SQL: function bodies, braces, calls) read its significant tokens from here,
 * never from a tokenizer of their own (one that did not know regex literals read `/[}]/` as a brace).
 */
import type { SourceLanguage } from '../core/types';
import { usesJsx } from './extract';
import { tokenize } from './tokens';

/** A significant token of TS/JS code: its js-tokens type name and its [start, end) in the text. */
export interface JsToken {
  type: string;
  start: number;
  end: number;
}

const TRIVIA = new Set(['WhiteSpace', 'LineTerminatorSequence', 'MultiLineComment', 'SingleLineComment', 'HashbangComment']);

/** The tokens of `text` (a file of `language`) in order, white space, line breaks and comments left out. */
export function significantTokens(text: string, language: SourceLanguage): JsToken[] {
  const out: JsToken[] = [];
  tokenize(text, usesJsx(text, language), (type, start, end) => {
    if (!TRIVIA.has(type)) out.push({ type, start, end });
  });
  return out;
}
