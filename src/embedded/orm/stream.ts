/**
 * The significant tokens of a TS/JS file (no white space, no comments) with matching brackets, read
 * from the one JS tokenizer of src/embedded (./tokens: the hand-written scanner, js-tokens for JSX).
 * The ORM recognisers and schema readers walk this; nothing here slices text it is not asked for.
 */
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

/** Significant tokens of a host text, with their [start, end) offsets and bracket partners. */
export class TokenStream {
  readonly kinds: number[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  /** Index of the matching bracket for ( [ { and ) ] } (and -1 when unbalanced); 0 for other tokens. */
  match: Int32Array = new Int32Array(0);
  private readonly vals: Array<string | undefined> = [];

  constructor(readonly text: string, jsx = false) {
    const kinds = this.kinds;
    tokenize(text, jsx, (type, s, e) => {
      let k: number;
      switch (type) {
        case 'WhiteSpace': case 'LineTerminatorSequence': case 'MultiLineComment': case 'SingleLineComment': case 'HashbangComment':
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
      kinds.push(k);
      this.starts.push(s);
      this.ends.push(e);
      this.vals.push(k === PUNCT ? (e - s === 1 ? text[s] : text.slice(s, e)) : undefined);
    });
    this.pairBrackets();
  }

  get length(): number {
    return this.kinds.length;
  }

  private pairBrackets(): void {
    const n = this.kinds.length;
    const match = new Int32Array(n);
    const stack: number[] = [];
    for (let i = 0; i < n; i++) {
      if (this.kinds[i] !== PUNCT) continue;
      const v = this.vals[i]!;
      if (v === '(' || v === '[' || v === '{') {
        stack.push(i);
        match[i] = -1;
      } else if (v === ')' || v === ']' || v === '}') {
        const want = v === ')' ? '(' : v === ']' ? '[' : '{';
        // pop to the nearest opener of the same kind (broken code: unmatched openers stay -1)
        let j = stack.length - 1;
        while (j >= 0 && this.vals[stack[j]] !== want) j--;
        if (j < 0) { match[i] = -1; continue; }
        const open = stack[j];
        stack.length = j;
        match[open] = i;
        match[i] = open;
      }
    }
    this.match = match;
  }

  /** Text of token i (identifiers and punctuators; literals as written, quotes included). */
  val(i: number): string {
    if (i < 0 || i >= this.kinds.length) return '';
    let v = this.vals[i];
    if (v === undefined) {
      v = this.text.slice(this.starts[i], this.ends[i]);
      this.vals[i] = v;
    }
    return v;
  }

  isId(i: number, name?: string): boolean {
    return this.kinds[i] === ID && (name === undefined || this.val(i) === name);
  }

  isP(i: number, v: string): boolean {
    return this.kinds[i] === PUNCT && this.vals[i] === v;
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
    let lo = 0, hi = this.kinds.length;
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
        const v = this.vals[i]!;
        if ((v === '(' || v === '[' || v === '{') && this.match[i] > i) { i = this.match[i]; continue; }
        if (v === ',') {
          if (i > first) out.push([first, i - 1]);
          first = i + 1;
        }
      }
    }
    if (close > first) out.push([first, close - 1]);
    return out;
  }
}
