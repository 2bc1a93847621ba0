/**
 * The significant tokens of a TS/JS file (no white space, no comments) with matching brackets, read
 * from the one JS tokenizer of src/embedded (./tokens: the hand-written scanner, js-tokens for JSX).
 * The ORM recognisers and schema readers walk this; nothing here slices text it is not asked for.
 */
import type { JsToken } from '../jsTokens';
import { tokenize } from '../tokens';

export const ID = 1;
export const PUNCT = 2;
export const STR = 3;
/** A whole template without interpolations. */
export const TPL = 4;
/** A template piece (head, middle or tail) of a template with interpolations. */
export const TPL_PART = 5;
export const NUM = 6;
export const REGEX = 7;
export const OTHER = 8;

/** js-tokens type names by code, and codes by name: a token keeps its type in one byte. */
const TYPE_NAMES: string[] = [];
const TYPE_CODES = new Map<string, number>();
function typeCode(type: string): number {
  let c = TYPE_CODES.get(type);
  if (c === undefined) {
    c = TYPE_NAMES.length;
    TYPE_NAMES.push(type);
    TYPE_CODES.set(type, c);
  }
  return c;
}

/** A short block comment that marks the next literal as SQL: `/*sql*\/`, `/* SQL *\/`, `/*pgsql*\/`. */
const SQL_MARK = /^\/\*\s*(?:sql|SQL|pgsql|postgres(?:ql)?)\s*\*\/$/;

/**
 * Significant tokens of a host text, with their [start, end) offsets and bracket partners: the one
 * tokenization of a TS/JS file that the SQL extractor, the lint plan's host view and the ORM layer
 * all read (the engine makes it once per text: src/engine/caches.ts).
 */
export class TokenStream {
  /** Token kinds (ID, PUNCT, ...), starts and ends; typed arrays sized to the token count. */
  kinds: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  /** Index of the matching bracket for ( [ { and ) ] } (and -1 when unbalanced); 0 for other tokens. */
  match: Int32Array = new Int32Array(0);
  /** Index of the innermost bracket enclosing each token (-1 at top level); a bracket's own is the one around it. */
  parent: Int32Array = new Int32Array(0);
  /** js-tokens type of each token, as a code (see jsTokens()). */
  private readonly types: Uint8Array;
  private objects: JsToken[] | undefined;
  /** Indexes of string and template tokens cut off by the end of the text (unclosed), when there are any. */
  private unclosed: Set<number> | undefined;
  /** Indexes of the tokens right after a `/*sql*\/` comment, in order. */
  readonly sqlMarked: number[] = [];
  /** Tokenized in JSX mode (js-tokens), not by the hand-written scanner. */
  readonly jsx: boolean;
  /** Number of tokens. */
  readonly length: number;
  private readonly count: number;

  /**
   * Tokenizes `text`, or reads `source`: the file's significant tokens already made by the engine's
   * one pass (src/embedded/jsTokens), so that a file is tokenized once whoever reads it.
   */
  constructor(readonly text: string, source: boolean | readonly JsToken[] = false) {
    this.jsx = source === true;
    let cap = Math.max(16, typeof source === 'boolean' ? text.length >> 3 : source.length);
    let kinds = new Uint8Array(cap);
    let types = new Uint8Array(cap);
    let starts = new Int32Array(cap);
    let ends = new Int32Array(cap);
    let n = 0;
    let lastType = '';
    let lastCode = 0;
    const each = (type: string, s: number, e: number, closed = true) => {
      let k: number;
      switch (type) {
        case 'MultiLineComment':
          if (e - s <= 20 && SQL_MARK.test(text.slice(s, e))) this.sqlMarked.push(n);
          return;
        case 'WhiteSpace': case 'LineTerminatorSequence': case 'SingleLineComment': case 'HashbangComment':
          return;
        case 'IdentifierName': case 'PrivateIdentifier': k = ID; break;
        case 'Punctuator': k = PUNCT; break;
        case 'StringLiteral': k = STR; break;
        case 'NoSubstitutionTemplate': k = TPL; break;
        case 'TemplateHead': case 'TemplateMiddle': case 'TemplateTail': k = TPL_PART; break;
        case 'NumericLiteral': k = NUM; break;
        case 'RegularExpressionLiteral': k = REGEX; break;
        default: k = OTHER;
      }
      if (n === cap) {
        cap *= 2;
        const k2 = new Uint8Array(cap); k2.set(kinds); kinds = k2;
        const t2 = new Uint8Array(cap); t2.set(types); types = t2;
        const s2 = new Int32Array(cap); s2.set(starts); starts = s2;
        const e2 = new Int32Array(cap); e2.set(ends); ends = e2;
      }
      kinds[n] = k;
      if (type !== lastType) { lastType = type; lastCode = typeCode(type); }
      types[n] = lastCode;
      starts[n] = s;
      ends[n] = e;
      if (!closed) (this.unclosed ??= new Set()).add(n);
      n++;
    };
    if (typeof source === 'boolean') tokenize(text, source, each);
    else for (const t of source) each(t.type, t.start, t.end);
    this.count = n;
    this.length = n;
    this.kinds = kinds.subarray(0, n);
    this.types = types.subarray(0, n);
    this.starts = starts.subarray(0, n);
    this.ends = ends.subarray(0, n);
    this.pairBrackets();
  }

  /** The js-tokens type name of token i (`TemplateHead`, `StringLiteral`, ...). */
  typeName(i: number): string {
    return TYPE_NAMES[this.types[i]];
  }

  /** Token i (a string, template or regex) ends where it should: not cut off by the end of the text. */
  closed(i: number): boolean {
    return !this.unclosed?.has(i);
  }

  private pairBrackets(): void {
    const n = this.count;
    const match = new Int32Array(n);
    const parent = new Int32Array(n);
    const stack: number[] = [];
    const { kinds, starts, text } = this;
    for (let i = 0; i < n; i++) {
      parent[i] = stack.length ? stack[stack.length - 1] : -1;
      if (kinds[i] !== PUNCT) continue;
      const c = text.charCodeAt(starts[i]);
      if (c === 40 || c === 91 || c === 123) {
        if (this.ends[i] - starts[i] !== 1) continue; // `(`, `[`, `{` only
        stack.push(i);
        match[i] = -1;
      } else if (c === 41 || c === 93 || c === 125) {
        const want = c === 41 ? 40 : c === 93 ? 91 : 123;
        // pop to the nearest opener of the same kind (broken code: unmatched openers stay -1)
        let j = stack.length - 1;
        while (j >= 0 && text.charCodeAt(starts[stack[j]]) !== want) j--;
        if (j < 0) { match[i] = -1; continue; }
        const open = stack[j];
        stack.length = j;
        match[open] = i;
        match[i] = open;
        parent[i] = parent[open];
      }
    }
    this.match = match;
    this.parent = parent;
  }

  /**
   * The same tokens as src/embedded/jsTokens' significantTokens gives them (type name, start, end),
   * made on first call: host rules that walk token objects read them from the file's one tokenization.
   */
  jsTokens(): readonly JsToken[] {
    if (this.objects) return this.objects;
    const out: JsToken[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = { type: TYPE_NAMES[this.types[i]], start: this.starts[i], end: this.ends[i] };
    return (this.objects = out);
  }

  /** Text of token i (identifiers and punctuators; literals as written, quotes included). */
  val(i: number): string {
    if (i < 0 || i >= this.count) return '';
    const s = this.starts[i];
    const e = this.ends[i];
    return e - s === 1 ? this.text[s] : this.text.slice(s, e);
  }

  /** Token i's text equals `v`, compared in place. */
  is(i: number, v: string): boolean {
    const s = this.starts[i];
    return i >= 0 && i < this.count && this.ends[i] - s === v.length && this.text.startsWith(v, s);
  }

  isId(i: number, name?: string): boolean {
    return this.kinds[i] === ID && (name === undefined || this.is(i, name));
  }

  isP(i: number, v: string): boolean {
    return this.kinds[i] === PUNCT && this.is(i, v);
  }

  /** A string literal or a template without interpolations. */
  isStr(i: number): boolean {
    return this.kinds[i] === STR || this.kinds[i] === TPL;
  }

  /** The value of a string literal / plain template (simple escapes resolved), or undefined. */
  str(i: number): string | undefined {
    if (!this.isStr(i)) return undefined;
    const raw = this.text.slice(this.starts[i] + 1, this.ends[i] - 1);
    return raw.includes('\\') ? raw.replace(/\\(.)/g, '$1') : raw;
  }

  /** Index of the token starting at or after `offset` (binary search). */
  at(offset: number): number {
    let lo = 0, hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] < offset) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** Partner of the bracket at i, or -1. */
  partner(i: number): number {
    const m = this.match[i];
    return m === undefined ? -1 : m;
  }

  /**
   * The top-level elements of the bracketed list opened at token `open` (`(`, `[` or `{`): each as
   * [first, last] token indexes (inclusive), split at commas outside nested brackets.
   */
  elements(open: number): Array<[number, number]> {
    const close = this.partner(open);
    const out: Array<[number, number]> = [];
    if (close <= open) return out;
    let first = open + 1;
    for (let i = open + 1; i < close; i++) {
      if (this.kinds[i] === PUNCT) {
        const m = this.match[i];
        if (m > i) { i = m; continue; }
        if (this.ends[i] - this.starts[i] === 1 && this.text.charCodeAt(this.starts[i]) === 44) {
          if (i > first) out.push([first, i - 1]);
          first = i + 1;
        }
      }
    }
    if (close > first) out.push([first, close - 1]);
    return out;
  }
}
