/**
 * The significant tokens of a TS/JS host file (white space and comments dropped) with their bracket
 * structure, read from the one JS tokenizer (./tokens). The context, dialect and variant modules read
 * the syntax around an embedded SQL literal through this view only, so it can be swapped for the
 * engine's shared token stream without touching them.
 */
import { ID as S_ID_IMPORT, PUNCT as S_PUNCT_IMPORT, STR as S_STR_IMPORT, TokenStream, TPL as S_TPL_IMPORT, TPL_PART as S_TPL_PART_IMPORT } from './orm/stream';

// The stream's token kinds as local constants: a cross-module constant read is a getter call per token under CommonJS.
const S_ID: number = S_ID_IMPORT;
const S_PUNCT: number = S_PUNCT_IMPORT;
const S_STR: number = S_STR_IMPORT;
const S_TPL: number = S_TPL_IMPORT;
const S_TPL_PART: number = S_TPL_PART_IMPORT;

/** id: identifier or keyword; punct: punctuator; str: string literal; tpl: a template without holes;
 * tplHead / tplMiddle / tplTail: the pieces of a template with holes; other: numbers, regexes, JSX text. */
export type HostTokenKind = 'id' | 'punct' | 'str' | 'tpl' | 'tplHead' | 'tplMiddle' | 'tplTail' | 'other';

export interface HostTokens {
  text: string;
  kinds: HostTokenKind[];
  starts: ArrayLike<number>;
  ends: ArrayLike<number>;
  /**
   * For an opening token (`(`, `[`, `{`, a tplHead or tplMiddle ending in `${`) the index of its closing
   * token (`)`, `]`, `}`, the next template piece); for `)`, `]`, `}` and a tplTail the opening one; -1 when unmatched.
   */
  match: Int32Array;
  /** For a tplMiddle: the template piece before it (its match points forward); -1 otherwise. */
  back: Int32Array;
  /** Index of the innermost opening token (bracket or template piece) containing token i, or -1. */
  parent: Int32Array;
  /** The token stream this is the host view of. */
  stream: TokenStream;
}


/** Tokenizes `text` once (JSX mode when `jsx`). Never throws: unbalanced brackets are left unmatched. */
export function hostTokens(text: string, jsx = false): HostTokens {
  return hostTokensOf(new TokenStream(text, jsx));
}

/**
 * The host view of a file's token stream (the engine's one tokenization of the file): the same
 * tokens, with template pieces told apart and bracket structure across them. Reads no text but the
 * one-character brackets.
 */
export function hostTokensOf(ts: TokenStream): HostTokens {
  const n = ts.length;
  const text = ts.text;
  const kinds = new Array<HostTokenKind>(n);
  const match = new Int32Array(n).fill(-1);
  const back = new Int32Array(n).fill(-1);
  const parent = new Int32Array(n);
  const t: HostTokens = { text, kinds, starts: ts.starts, ends: ts.ends, match, back, parent, stream: ts };
  const { starts, ends } = ts;
  const stack: number[] = [];
  const isPiece = (j: number) => kinds[j] === 'tplHead' || kinds[j] === 'tplMiddle';
  // Pop to the nearest fitting opener; a stray closer matches nothing.
  const close = (i: number, piece: boolean, open: number) => {
    for (let k = stack.length - 1; k >= 0; k--) {
      const j = stack[k];
      if (piece ? isPiece(j) : kinds[j] === 'punct' && ends[j] - starts[j] === 1 && text.charCodeAt(starts[j]) === open) {
        match[j] = i;
        if (kinds[i] === 'tplMiddle') back[i] = j;
        else match[i] = j;
        stack.length = k;
        parent[i] = k > 0 ? stack[k - 1] : -1;
        return;
      }
    }
  };
  for (let i = 0; i < n; i++) {
    parent[i] = stack.length ? stack[stack.length - 1] : -1;
    switch (ts.kinds[i]) {
      case S_ID:
        kinds[i] = 'id';
        break;
      case S_STR:
        kinds[i] = 'str';
        break;
      case S_TPL:
        kinds[i] = 'tpl';
        break;
      case S_TPL_PART: {
        const type = ts.typeName(i);
        if (type === 'TemplateHead') {
          kinds[i] = 'tplHead';
          stack.push(i);
        } else if (type === 'TemplateMiddle') {
          kinds[i] = 'tplMiddle';
          close(i, true, 0);
          stack.push(i);
        } else {
          kinds[i] = 'tplTail';
          close(i, true, 0);
        }
        break;
      }
      case S_PUNCT: {
        kinds[i] = 'punct';
        if (ends[i] - starts[i] !== 1) break;
        // Brackets are one character: compared by code, no slice per punctuator.
        const c = text.charCodeAt(starts[i]);
        if (c === 40 || c === 91 || c === 123) stack.push(i);
        else if (c === 41 || c === 93 || c === 125) close(i, false, c === 41 ? 40 : c === 93 ? 91 : 123);
        break;
      }
      default:
        kinds[i] = 'other';
    }
  }
  return t;
}

/** Text of token i ('' outside the stream). */
export function tokText(t: HostTokens, i: number): string {
  return i >= 0 && i < t.kinds.length ? t.text.slice(t.starts[i], t.ends[i]) : '';
}

/** Token i is the punctuator `v`. */
export function isPunct(t: HostTokens, i: number, v: string): boolean {
  return i >= 0 && t.kinds[i] === 'punct' && t.ends[i] - t.starts[i] === v.length && t.text.startsWith(v, t.starts[i]);
}

/** Token i is an identifier (optionally the given one). */
export function isId(t: HostTokens, i: number, v?: string): boolean {
  // Compared in place: this runs over every token of a file when a name's uses are looked up.
  return i >= 0 && t.kinds[i] === 'id' && (v === undefined || (t.ends[i] - t.starts[i] === v.length && t.text.startsWith(v, t.starts[i])));
}

/** Index of the token containing host offset `offset` (start <= offset < end), or -1. */
export function tokenAt(t: HostTokens, offset: number): number {
  let lo = 0;
  let hi = t.starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t.starts[mid] > offset) hi = mid - 1;
    else if (t.ends[mid] <= offset) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** The first token of the template literal whose piece is token i (its head), or i for other tokens. */
export function literalStart(t: HostTokens, i: number): number {
  let k = i;
  for (;;) {
    const prev = t.kinds[k] === 'tplMiddle' ? t.back[k] : t.kinds[k] === 'tplTail' ? t.match[k] : -1;
    if (prev < 0 || prev >= k) return k;
    k = prev;
  }
}

/** The last token of the literal starting at token i (the tail of a template with holes). */
export function literalEnd(t: HostTokens, i: number): number {
  let k = i;
  while ((t.kinds[k] === 'tplHead' || t.kinds[k] === 'tplMiddle') && t.match[k] > k) k = t.match[k];
  return k;
}

/** Token i is a string or template literal piece. */
export function isLiteral(t: HostTokens, i: number): boolean {
  const k = t.kinds[i];
  return k === 'str' || k === 'tpl' || k === 'tplHead' || k === 'tplMiddle' || k === 'tplTail';
}

/** The dotted name ending at identifier token j (`this.db.query`), and the index of its first token. */
export function memberChainAt(t: HostTokens, j: number): { name: string; first: number } {
  let name = tokText(t, j);
  let first = j;
  for (;;) {
    if (first >= 2 && (isPunct(t, first - 1, '.') || isPunct(t, first - 1, '?.')) && isId(t, first - 2)) {
      first -= 2;
      name = `${tokText(t, first)}.${name}`;
    } else if (first >= 2 && (isPunct(t, first - 1, '.') || isPunct(t, first - 1, '?.')) && isPunct(t, first - 2, ')') && t.match[first - 2] >= 0) {
      // `expect(x).toBe`: the call's callee stands for the whole call.
      const open = t.match[first - 2];
      if (!isId(t, open - 1)) break;
      first = open - 1;
      name = `${tokText(t, first)}().${name}`;
    } else break;
  }
  return { name, first };
}

const identifierIndexes = new WeakMap<HostTokens, Map<string, number[]>>();

/**
 * Token indexes of every identifier of the stream, by name, in order: built once per stream on first
 * use, so that looking up a name's declaration or uses does not walk the whole file each time.
 */
export function identifierIndex(t: HostTokens): ReadonlyMap<string, readonly number[]> {
  let index = identifierIndexes.get(t);
  if (!index) {
    index = new Map();
    for (let i = 0; i < t.kinds.length; i++) {
      if (t.kinds[i] !== 'id') continue;
      const name = t.text.slice(t.starts[i], t.ends[i]);
      const list = index.get(name);
      if (list) list.push(i);
      else index.set(name, [i]);
    }
    identifierIndexes.set(t, index);
  }
  return index;
}
