/**
 * Member-call chains over the token stream: `await tx.db.insertInto('t').values(v).onConflict(...)`
 * read as a root (`tx`) and links (`.db`, `.insertInto(...)`, ...), each with its token indexes, so
 * recognisers ask "which links, with which arguments" instead of matching text.
 */
import { ID as ID_IMPORT, PUNCT as PUNCT_IMPORT, type TokenStream } from './stream';

// Token kinds as local constants: a cross-module constant read is a getter call per token under CommonJS.
const ID: number = ID_IMPORT;
const PUNCT: number = PUNCT_IMPORT;

/** One `.name`, `.name(...)`, `[...]` or `(...)` step of a chain. */
export interface Link {
  /** Property or method name; '' for an index `[...]` or a direct call `(...)`. */
  name: string;
  /** Token of the name (or of `[` / `(` for nameless links). */
  tok: number;
  /** The `(` of its call, or -1 for a property. */
  open: number;
  /** The matching `)`, or -1. */
  close: number;
}

export interface Chain {
  /** First token of the chain (the root). */
  first: number;
  /** Last token of the chain. */
  last: number;
  /** Root identifier (`db`, `this`, `prisma`), or '' when the root is a parenthesized expression or a literal. */
  root: string;
  links: Link[];
}

/** Skips a type-argument list `<...>` starting at token i (a `<`); returns the index after it, or i when it is not one. */
function skipTypeArgs(ts: TokenStream, i: number): number {
  if (!ts.isP(i, '<')) return i;
  let depth = 0;
  for (let j = i; j < Math.min(ts.length, i + 60); j++) {
    if (ts.kinds[j] !== PUNCT) continue;
    const v = ts.val(j);
    if (v === '<') depth++;
    else if (v === '>') depth--;
    else if (v === '>>') depth -= 2;
    else if (v === '>>>') depth -= 3;
    else if (v === ';' || v === '{' || v === '}' || v === '=' || v === '&&' || v === '||') return i;
    if (depth <= 0) return ts.isP(j + 1, '(') ? j + 1 : i;
  }
  return i;
}

/** The first token of the chain that the identifier at `tok` (preceded by `.` or `?.`) belongs to. */
export function chainStart(ts: TokenStream, tok: number): number {
  let k = tok;
  for (let guard = 0; guard < 200; guard++) {
    const prev = k - 1;
    if (!(ts.isP(prev, '.') || ts.isP(prev, '?.'))) return k;
    let q = prev - 1;
    while (ts.isP(q, '!')) q--;
    if (ts.isP(q, ')') || ts.isP(q, ']')) {
      const o = ts.partner(q);
      if (o < 0) return k;
      let r = o - 1;
      // `fn<T>(`: back over the type arguments
      if (ts.isP(r, '>') || ts.isP(r, '>>')) {
        let depth = 0;
        let j = r;
        for (; j > Math.max(0, r - 60); j--) {
          const v = ts.val(j);
          if (v === '>') depth++; else if (v === '>>') depth += 2; else if (v === '<') depth--;
          if (depth === 0) break;
        }
        if (depth === 0 && ts.kinds[j - 1] === ID) r = j - 1;
      }
      if (ts.kinds[r] === ID && !isKeyword(ts.val(r))) { k = r; continue; }
      // a call or index on a call/index result: `db()(x)` is rare; `a[b].c` and `f()().x`
      if (ts.isP(r, ')') || ts.isP(r, ']')) return chainStartFromClose(ts, r, o);
      return o;
    }
    if (ts.kinds[q] === ID) { k = q; continue; }
    return q >= 0 ? q : k;
  }
  return k;
}

function chainStartFromClose(ts: TokenStream, close: number, fallback: number): number {
  const o = ts.partner(close);
  if (o < 0) return fallback;
  const r = o - 1;
  if (ts.kinds[r] === ID && !isKeyword(ts.val(r))) return chainStart(ts, r);
  return o;
}

const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'return', 'await', 'typeof', 'new', 'function', 'yield', 'in', 'of', 'with', 'else', 'do', 'case', 'void', 'delete', 'throw']);

export function isKeyword(s: string): boolean {
  return KEYWORDS.has(s);
}

/** Parses the chain starting at token `first`. */
export function parseChain(ts: TokenStream, first: number): Chain {
  const links: Link[] = [];
  let i = first;
  let root = '';
  if (ts.kinds[i] === ID) {
    root = ts.val(i);
    i++;
    const t = skipTypeArgs(ts, i);
    if (ts.isP(t, '(')) {
      const close = ts.partner(t);
      links.push({ name: '', tok: t, open: t, close });
      i = close > 0 ? close + 1 : t + 1;
    }
  } else if (ts.isP(i, '(') || ts.isP(i, '[')) {
    const close = ts.partner(i);
    i = close > 0 ? close + 1 : i + 1;
  } else {
    i++;
  }
  let last = i - 1;
  for (let guard = 0; guard < 500 && i < ts.length; guard++) {
    if (ts.isP(i, '!')) { i++; continue; }
    if (ts.isP(i, '.') || ts.isP(i, '?.')) {
      const nameTok = i + 1;
      if (ts.kinds[nameTok] !== ID) break;
      const name = ts.val(nameTok);
      i = nameTok + 1;
      const t = skipTypeArgs(ts, i);
      if (ts.isP(t, '(')) {
        const close = ts.partner(t);
        links.push({ name, tok: nameTok, open: t, close });
        last = close > 0 ? close : t;
        i = last + 1;
      } else {
        links.push({ name, tok: nameTok, open: -1, close: -1 });
        last = nameTok;
      }
      continue;
    }
    if (ts.isP(i, '[') && i === last + 1) {
      const close = ts.partner(i);
      if (close < 0) break;
      links.push({ name: '', tok: i, open: -1, close });
      last = close;
      i = close + 1;
      continue;
    }
    if (ts.isP(i, '(') && i === last + 1 && links.length > 0) {
      const close = ts.partner(i);
      if (close < 0) break;
      links.push({ name: '', tok: i, open: i, close });
      last = close;
      i = close + 1;
      continue;
    }
    break;
  }
  return { first, last: Math.max(first, last), root, links };
}

/** Index of the first link named `name` (at or after `from`), or -1. */
export function linkIndex(chain: Chain, name: string, from = 0): number {
  for (let i = from; i < chain.links.length; i++) if (chain.links[i].name === name) return i;
  return -1;
}

/** The argument elements of a call link: [first, last] token ranges. */
export function args(ts: TokenStream, link: Link): Array<[number, number]> {
  return link.open >= 0 ? ts.elements(link.open) : [];
}
