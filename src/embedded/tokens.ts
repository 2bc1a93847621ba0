/**
 * The JS/TS token stream the extractor walks. js-tokens (regex-driven, lenient, never throws) handles
 * regex literals, nested templates and JSX; see test/bench for the comparison that chose it.
 */
import jsTokens = require('js-tokens');

/** One token as js-tokens yields it; `closed` is false for strings/templates/comments cut off by the end. */
export interface RawToken {
  type: string;
  value: string;
  closed?: boolean;
}

/** Tokens of `text` covering it completely, in order (their values concatenate to `text`). */
export function tokenize(text: string, jsx: boolean): Iterable<RawToken> {
  return jsTokens(text, { jsx }) as Iterable<RawToken>;
}
