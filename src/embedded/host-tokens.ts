/**
 * The significant tokens of a TS/JS host file (white space and comments dropped) with their bracket
 * structure, read from the one JS tokenizer (./tokens). The context, dialect and variant modules read
 * the syntax around an embedded SQL literal through this view only, so it can be swapped for the
 * engine's shared token stream without touching them.
 */
import { tokenize } from './tokens';

/** id: identifier or keyword; punct: punctuator; str: string literal; tpl: a template without holes;
 * tplHead / tplMiddle / tplTail: the pieces of a template with holes; other: numbers, regexes, JSX text. */
export type HostTokenKind = 'id' | 'punct' | 'str' | 'tpl' | 'tplHead' | 'tplMiddle' | 'tplTail' | 'other';

export interface HostTokens {
  text: string;
  kinds: HostTokenKind[];
  starts: number[];
  ends: number[];
  /**
   * For an opening token (`(`, `[`, `{`, a tplHead or tplMiddle ending in `${`) the index of its closing
   * token (`)`, `]`, `}`, the next template piece); for `)`, `]`, `}` and a tplTail the opening one; -1 when unmatched.
   */
  match: number[];
  /** For a tplMiddle: the template piece before it (its match points forward); -1 otherwise. */
  back: number[];
  /** Index of the innermost opening token (bracket or template piece) containing token i, or -1. */
  parent: number[];
}


/** Tokenizes `text` once (JSX mode when `jsx`). Never throws: unbalanced brackets are left unmatched. */
export function hostTokens(text: string, jsx = false): HostTokens {
  const t: HostTokens = { text, kinds: [], starts: [], ends: [], match: [], back: [], parent: [] };
  const stack: number[] = [];
  const push = (kind: HostTokenKind, s: number, e: number) => {
    t.kinds.push(kind);
    t.starts.push(s);
    t.ends.push(e);
    t.match.push(-1);
    t.back.push(-1);
    t.parent.push(stack.length ? stack[stack.length - 1] : -1);
    return t.kinds.length - 1;
  };
  const close = (i: number, opener: (j: number) => boolean) => {
    // Pop to the nearest fitting opener; a stray closer matches nothing.
    for (let k = stack.length - 1; k >= 0; k--) {
      if (opener(stack[k])) {
        t.match[stack[k]] = i;
        if (t.kinds[i] === 'tplMiddle') t.back[i] = stack[k];
        else t.match[i] = stack[k];
        stack.length = k;
        t.parent[i] = k > 0 ? stack[k - 1] : -1;
        return;
      }
    }
  };
  try {
    tokenize(text, jsx, (type, s, e) => {
      switch (type) {
        case 'WhiteSpace': case 'LineTerminatorSequence': case 'MultiLineComment': case 'SingleLineComment': case 'HashbangComment':
          return;
        case 'IdentifierName': case 'PrivateIdentifier':
          push('id', s, e);
          return;
        case 'StringLiteral':
          push('str', s, e);
          return;
        case 'NoSubstitutionTemplate':
          push('tpl', s, e);
          return;
        case 'TemplateHead':
          stack.push(push('tplHead', s, e));
          return;
        case 'TemplateMiddle': {
          const i = push('tplMiddle', s, e);
          close(i, (j) => t.kinds[j] === 'tplHead' || t.kinds[j] === 'tplMiddle');
          stack.push(i);
          return;
        }
        case 'TemplateTail': {
          const i = push('tplTail', s, e);
          close(i, (j) => t.kinds[j] === 'tplHead' || t.kinds[j] === 'tplMiddle');
          return;
        }
        case 'Punctuator': {
          const i = push('punct', s, e);
          if (e - s !== 1) return;
          // Brackets are one character: compared by code, no slice per punctuator.
          const c = text.charCodeAt(s);
          if (c === 40 || c === 91 || c === 123) stack.push(i);
          else if (c === 41 || c === 93 || c === 125) {
            const open = c === 41 ? 40 : c === 93 ? 91 : 123;
            close(i, (j) => t.kinds[j] === 'punct' && t.ends[j] - t.starts[j] === 1 && text.charCodeAt(t.starts[j]) === open);
          }
          return;
        }
        default:
          push('other', s, e);
      }
    });
  } catch {
    // The tokenizer is lenient; keep whatever was read.
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
