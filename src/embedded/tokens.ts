/**
 * The JS/TS token stream the extractor walks. Plain JS/TS goes through the hand-written scanner (the
 * faster of the two measured in test/bench/embedded.ts, and it agrees with js-tokens on every literal
 * of the 9088 JS/TS files in node_modules); JSX needs js-tokens' JSX mode (JSX text such as
 * `<p>Don't</p>` is not JavaScript).
 */
import { scanJs, type TokenSink } from './scanner';

type JsTokens = (text: string, options: { jsx: boolean }) => Iterable<RawToken>;
let jsTokens: JsTokens | undefined;

/** One token as js-tokens yields it; `closed` is false for strings/templates/comments cut off by the end. */
export interface RawToken {
  type: string;
  value: string;
  closed?: boolean;
}

/** Calls `emit` for every token of `text` in order (they cover the text completely). */
export function tokenize(text: string, jsx: boolean, emit: TokenSink): void {
  if (!jsx) {
    scanJs(text, emit);
    return;
  }
  // required on first use: its regular expressions (Unicode property classes) cost every start of the CLI
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  jsTokens ??= require('js-tokens') as JsTokens;
  let pos = 0;
  for (const t of jsTokens(text, { jsx: true })) {
    const start = pos;
    pos += t.value.length;
    emit(t.type, start, pos, t.closed !== false);
  }
}
