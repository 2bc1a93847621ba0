/**
 * The JS/TS token stream the extractor walks. Plain JS/TS goes through the hand-written scanner (the
 * faster of the two measured in test/bench/embedded.ts); JSX needs js-tokens' JSX mode (JSX text
 * such as `<p>Don't</p>` is not JavaScript).
 */
import jsTokens = require('js-tokens');
import { handTokens } from './scanner';

/** One token as js-tokens yields it; `closed` is false for strings/templates/comments cut off by the end. */
export interface RawToken {
  type: string;
  value: string;
  closed?: boolean;
}

/** Tokens of `text` covering it completely, in order (their values concatenate to `text`). */
export function tokenize(text: string, jsx: boolean): Iterable<RawToken> {
  return jsx ? (jsTokens(text, { jsx: true }) as Iterable<RawToken>) : handTokens(text);
}
