/**
 * The SQL texts an embedded region can really send, one per branch combination, each with an exact
 * offset map into the host file. Interpolations that choose between pieces of SQL are expanded:
 * nested tagged fragments (``${sql`on conflict do nothing`}``), conditionals
 * (`${ignore ? 'ON CONFLICT DO NOTHING' : ''}`, `${cond && sql`...`}`, slonik's
 * `conditionalSql(cond, () => sql`...`)`), one-hop constants (`const conflict = x ? "..." : ""`), arrays
 * joined into SQL (`${[a, b].join(', ')}` of literals), and `+` chains with non-literal operands. Text
 * taken from a branch literal maps into that literal, so a finding lands on the branch that causes it.
 */
import { mapToHost, TextBuilder } from './cook';
import { placeholderFor, skipLeading } from './extract';
import { identifierIndex, isId, isLiteral, isPunct, literalEnd, literalStart, memberChainAt, tokenAt, tokText, type HostTokens } from './host-tokens';
import type { EmbeddedSql } from './types';

/** One interpolation that was expanded in a variant, and what was chosen there. */
export interface VariantChoice {
  /** Host range of the `${...}` (or of the `+` operand) that was expanded. */
  hole: [number, number];
  /** Host range of the chosen branch (the literal it comes from); undefined for the empty branch or an unchanged hole. */
  branch?: [number, number];
  /** Plain words: "then-branch", "else-branch", "empty (condition false)", "value of conflict". */
  label: string;
}

/** An expanded region: the EmbeddedSql shape, plus the choices made. */
export interface SqlVariant extends EmbeddedSql {
  choices: VariantChoice[];
}

export interface ExpandOptions {
  /** At most this many variants per region (default 8). Every branch still appears in at least one variant when the cap allows. */
  max?: number;
  /** Template tags whose templates are SQL fragments (default: sql, SQL and any `x.sql`). */
  tags?: readonly string[];
}

/** A run of variant text with its own map to host offsets. */
interface Piece {
  text: string;
  toHost(offset: number): number;
  /** Placeholders inside this piece (piece offsets). */
  placeholders: Array<[number, number]>;
}

/** One alternative of a hole: its pieces (nested choices already flattened into separate alternatives). */
interface Alt {
  pieces: Piece[];
  choices: VariantChoice[];
}

const DEFAULT_MAX = 8;
/** Bound on nested expansion (hole inside a branch inside a hole...) and on one-hop constant lookups. */
const MAX_DEPTH = 3;

/**
 * The variants of `region` (found in the host whose tokens are `t`). Returns `[region as a variant]`
 * (no choices) when nothing is expandable. Never throws.
 */
export function expandVariants(t: HostTokens, region: EmbeddedSql, options?: ExpandOptions): SqlVariant[] {
  const max = Math.max(1, options?.max ?? DEFAULT_MAX);
  const same: SqlVariant = { ...region, choices: [] };
  try {
    const x = new Expander(t, options?.tags);
    const alts = x.region(region, max);
    if (!alts || alts.length === 0 || (alts.length === 1 && alts[0].choices.length === 0)) return [same];
    return alts.slice(0, max).map((a) => assemble(a, region));
  } catch {
    return [same];
  }
}

function assemble(a: Alt, region: EmbeddedSql): SqlVariant {
  const starts: number[] = [];
  let text = '';
  const placeholders: Array<[number, number]> = [];
  for (const p of a.pieces) {
    starts.push(text.length);
    for (const [s, e] of p.placeholders) placeholders.push([text.length + s, text.length + e]);
    text += p.text;
  }
  const pieces = a.pieces;
  const toHost = (offset: number): number => {
    if (pieces.length === 0) return region.hostStart;
    if (!(offset > 0)) return pieces[0].toHost(0);
    if (offset >= text.length) {
      const last = pieces.length - 1;
      return pieces[last].toHost(pieces[last].text.length);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      // An empty piece shares its start with the next one: the later piece owns the offset.
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return pieces[lo].toHost(offset - starts[lo]);
  };
  const v: SqlVariant = { text, hostStart: toHost(0), toHost, via: region.via, placeholders, choices: a.choices };
  if (region.name !== undefined) v.name = region.name;
  return v;
}

/** Piece for region.text[from, to), mapped through the region's own map. */
function regionPiece(region: EmbeddedSql, from: number, to: number): Piece {
  const placeholders: Array<[number, number]> = [];
  for (const [s, e] of region.placeholders) if (s >= from && e <= to) placeholders.push([s - from, e - from]);
  return { text: region.text.slice(from, to), toHost: (o) => region.toHost(from + o), placeholders };
}

/** Cartesian product of per-hole alternatives, diagonal first (so every alternative shows up early), capped. */
function product(lists: Alt[][], max: number): Alt[] {
  let acc: Alt[] = [{ pieces: [], choices: [] }];
  for (const list of lists) {
    const out: Alt[] = [];
    const seen = new Set<string>();
    const n = Math.max(acc.length, list.length);
    const push = (i: number, j: number) => {
      const k = `${i},${j}`;
      if (seen.has(k) || out.length >= max) return;
      seen.add(k);
      out.push({ pieces: [...acc[i].pieces, ...list[j].pieces], choices: [...acc[i].choices, ...list[j].choices] });
    };
    for (let d = 0; d < n; d++) push(Math.min(d, acc.length - 1), Math.min(d, list.length - 1));
    for (let i = 0; i < acc.length; i++) for (let j = 0; j < list.length; j++) push(i, j);
    acc = out;
  }
  return acc;
}

const TEXT_ALT = (pieces: Piece[]): Alt[] => [{ pieces, choices: [] }];
/** The branch that adds no text (condition false). */
const emptyAlt = (label: string): Alt => ({ pieces: [], choices: [{ hole: [-1, -1], label }] });

class Expander {
  private readonly tags: Set<string>;

  constructor(private readonly t: HostTokens, tags?: readonly string[]) {
    this.tags = new Set(tags ?? ['sql', 'SQL']);
  }

  /** Alternatives of a whole region: its text with each expandable placeholder replaced, plus a `+` tail. */
  region(region: EmbeddedSql, max: number): Alt[] | undefined {
    const t = this.t;
    // The first line of `[ 'INSERT ...', 'VALUES ...', 'ON CONFLICT ...' ].join(' ')`: the whole joined text.
    const firstTok = tokenAt(t, region.hostStart);
    if (firstTok >= 0 && isLiteral(t, firstTok)) {
      const open = literalStart(t, firstTok) - 1;
      const close = t.match[open];
      if (isPunct(t, open, '[') && close > open && isPunct(t, close + 1, '.') && isId(t, close + 2, 'join') && isPunct(t, close + 3, '(') && t.match[close + 3] > close + 3) {
        return this.joined(open, close, this.args(close + 3, t.match[close + 3]), 0, max);
      }
    }
    const lists: Alt[][] = [];
    let pos = 0;
    let expanded = false;
    for (const [s, e] of region.placeholders) {
      const hs = region.toHost(s);
      const alts = this.hole(hs, 0, max);
      if (!alts) continue;
      lists.push(TEXT_ALT([regionPiece(region, pos, s)]));
      lists.push(alts);
      pos = e;
      expanded = true;
    }
    lists.push(TEXT_ALT([regionPiece(region, pos, region.text.length)]));
    // `'INSERT INTO ' + table + ' VALUES (...) ON CONFLICT DO NOTHING'`: the extractor stops at the first non-literal operand.
    const endTok = tokenAt(t, region.toHost(region.text.length));
    if (endTok >= 0 && isLiteral(t, endTok)) {
      const tail = this.plusTail(literalEnd(t, literalStart(t, endTok)), 0, max);
      if (tail) {
        lists.push(...tail);
        expanded = true;
      }
    }
    return expanded ? product(lists, max) : undefined;
  }

  /** The alternatives for the `${...}` whose `${` is at host offset hs, or undefined when opaque. */
  private hole(hs: number, depth: number, max: number): Alt[] | undefined {
    const t = this.t;
    const open = tokenAt(t, hs);
    if (open < 0 || (t.kinds[open] !== 'tplHead' && t.kinds[open] !== 'tplMiddle')) return undefined;
    const close = t.match[open];
    if (close <= open) return undefined;
    const holeRange: [number, number] = [hs, t.starts[close] + 1];
    const alts = this.expr(open + 1, close - 1, depth, max);
    if (!alts) return undefined;
    // A hole with one plain alternative and no choice inside (`${sql`...`}`) still counts: its text is now known.
    for (const a of alts) {
      if (a.choices.length === 0) a.choices.push({ hole: holeRange, branch: [t.starts[open + 1], t.ends[close - 1]], label: 'inlined fragment' });
      for (const c of a.choices) if (c.hole[0] < 0) c.hole = holeRange;
    }
    return alts;
  }

  /**
   * Alternatives of the expression in tokens [a, b]: a literal, a ternary, `cond && x`, a conditional
   * helper call, an arrow's body, a one-hop constant, a joined array of literals; undefined when opaque.
   */
  private expr(a: number, b: number, depth: number, max: number): Alt[] | undefined {
    const t = this.t;
    if (a > b || depth > MAX_DEPTH) return undefined;
    // (expr)
    if (isPunct(t, a, '(') && t.match[a] === b) return this.expr(a + 1, b - 1, depth, max);
    const top = this.topLevel(a, b);
    // cond ? x : y
    if (top.question >= 0 && top.colon > top.question) {
      const yes = this.expr(top.question + 1, top.colon - 1, depth + 1, max) ?? this.opaque(top.question + 1, top.colon - 1);
      const no = this.expr(top.colon + 1, b, depth + 1, max) ?? this.opaque(top.colon + 1, b);
      const label = (alts: Alt[], which: string, from: number, to: number) =>
        alts.map((x) => ({ pieces: x.pieces, choices: [{ hole: [-1, -1] as [number, number], branch: [t.starts[from], t.ends[to]] as [number, number], label: which }, ...x.choices] }));
      return [...label(yes, 'then-branch', top.question + 1, top.colon - 1), ...label(no, 'else-branch', top.colon + 1, b)].slice(0, max);
    }
    // cond && x
    if (top.and >= 0) {
      const yes = this.expr(top.and + 1, b, depth + 1, max);
      if (!yes) return undefined;
      return [
        ...yes.map((x) => ({ pieces: x.pieces, choices: [{ hole: [-1, -1] as [number, number], branch: [t.starts[top.and + 1], t.ends[b]] as [number, number], label: 'condition true' }, ...x.choices] })),
        emptyAlt('empty (condition false)'),
      ].slice(0, max);
    }
    // (args) => body, x => body
    if (top.arrow >= 0) {
      if (isPunct(t, top.arrow + 1, '{')) return this.blockReturns(top.arrow + 1, depth, max);
      return this.expr(top.arrow + 1, b, depth + 1, max);
    }
    // A literal, tagged with an SQL tag or not.
    const lit = this.literalExpr(a, b);
    if (lit !== undefined) return lit;
    // [...].join(sep)
    if (isPunct(t, b, ')') && t.match[b] > a && isId(t, t.match[b] - 1, 'join') && isPunct(t, t.match[b] - 2, '.') && isPunct(t, t.match[b] - 3, ']') && t.match[t.match[b] - 3] === a) {
      const openParen = t.match[b];
      return this.joined(a, openParen - 3, this.args(openParen, b), depth, max);
    }
    // conditionalSql(cond, fn) / when(cond, sql`...`): the fragment or nothing.
    if (isPunct(t, b, ')') && t.match[b] > a && isId(t, t.match[b] - 1)) {
      const openParen = t.match[b];
      const callee = memberChainAt(t, openParen - 1);
      const last = tokText(t, openParen - 1);
      const args = this.args(openParen, b);
      if (callee.first === a && /^(?:conditional\w*|when|sqlIf|maybe\w*|optional\w*|iif)$/i.test(last) && args.length >= 2) {
        const [s, e] = args[args.length - 1];
        const yes = this.expr(s, e, depth + 1, max);
        if (!yes) return undefined;
        return [
          ...yes.map((x) => ({ pieces: x.pieces, choices: [{ hole: [-1, -1] as [number, number], branch: [t.starts[s], t.ends[e]] as [number, number], label: `${last}: condition true` }, ...x.choices] })),
          emptyAlt(`${last}: condition false`),
        ].slice(0, max);
      }
    }
    // A one-hop constant: `${conflict}` with `const conflict = ...` in the file.
    if (a === b && isId(t, a)) {
      const init = this.bindingInit(tokText(t, a), a);
      if (init) {
        const alts = this.expr(init[0], init[1], depth + 1, max);
        if (alts) {
          return alts.map((x) => ({ pieces: x.pieces, choices: x.choices.length ? x.choices : [{ hole: [-1, -1], branch: [t.starts[init[0]], t.ends[init[1]]], label: `value of ${tokText(t, a)}` }] }));
        }
      }
    }
    return undefined;
  }

  /** Top-level operators of tokens [a, b]: the first `?` with its `:`, the last `&&`, an arrow. */
  private topLevel(a: number, b: number): { question: number; colon: number; and: number; arrow: number } {
    const t = this.t;
    let question = -1;
    let colon = -1;
    let and = -1;
    let arrow = -1;
    let nested = 0;
    let other = false;
    for (let k = a; k <= b; k++) {
      const m = t.match[k];
      if (m > k) {
        k = m;
        continue;
      }
      if (t.kinds[k] !== 'punct') continue;
      const v = tokText(t, k);
      if (v === '=>' && arrow < 0 && question < 0) arrow = k;
      if (arrow >= 0) break;
      if (v === '?') {
        if (question < 0) question = k;
        else nested++;
      } else if (v === ':' && question >= 0) {
        if (nested === 0 && colon < 0) colon = k;
        else nested--;
      } else if (v === '&&' && question < 0) and = k;
      else if ((v === '||' || v === '??' || v === '+' || v === ',') && question < 0) other = true;
    }
    if (other) and = -1;
    return { question, colon, and, arrow };
  }

  /** The argument token ranges of the call whose parens are [open, close]. */
  args(open: number, close: number): Array<[number, number]> {
    const t = this.t;
    const out: Array<[number, number]> = [];
    let s = open + 1;
    for (let k = open + 1; k < close; k++) {
      const m = t.match[k];
      if (m > k) {
        k = m;
        continue;
      }
      if (isPunct(t, k, ',')) {
        if (k > s) out.push([s, k - 1]);
        s = k + 1;
      }
    }
    if (close > s) out.push([s, close - 1]);
    return out;
  }

  /** `return <expr>` statements at the top level of the block `{` at token open. */
  private blockReturns(open: number, depth: number, max: number): Alt[] | undefined {
    const t = this.t;
    const close = t.match[open];
    if (close < 0) return undefined;
    const out: Alt[] = [];
    for (let k = open + 1; k < close; k++) {
      if (t.match[k] > k && !isId(t, k - 1, 'return')) {
        k = t.match[k];
        continue;
      }
      if (!isId(t, k, 'return')) continue;
      let e = k + 1;
      while (e < close && !isPunct(t, e, ';') && !isPunct(t, e, '}')) e = t.match[e] > e ? t.match[e] + 1 : e + 1;
      const alts = this.expr(k + 1, e - 1, depth + 1, max);
      if (!alts) return undefined;
      out.push(...alts);
      k = e;
    }
    return out.length ? out.slice(0, max) : undefined;
  }

  /** A string or template literal in tokens [a, b], possibly tagged with an SQL tag (`sql`, `Prisma.sql`, `sql.fragment`). */
  private literalExpr(a: number, b: number): Alt[] | undefined {
    const t = this.t;
    const end = b;
    const start = literalStart(t, end);
    if (!isLiteral(t, end) || literalEnd(t, start) !== end) return undefined;
    if (start !== a) {
      // Tagged: the tag must be the tokens a..start-1, an SQL tag.
      if (t.kinds[start] === 'str' || !isId(t, start - 1)) return undefined;
      const chain = memberChainAt(t, start - 1);
      if (chain.first !== a) return undefined;
      const parts = chain.name.split('.');
      if (!this.tags.has(parts[parts.length - 1]) && !this.tags.has(parts[0]) && !/^(?:fragment|raw|unsafe)$/.test(parts[parts.length - 1])) return undefined;
    }
    return [{ pieces: this.literalPieces(start, end, 0), choices: [] }];
  }

  /** The cooked pieces of the literal tokens [start, end]; its own holes are expanded to their first alternative or kept as placeholders. */
  literalPieces(start: number, end: number, depth: number): Piece[] {
    const t = this.t;
    const pieces: Piece[] = [];
    const template = t.kinds[start] !== 'str';
    const chunk = (s: number, e: number) => {
      if (e <= s) return;
      const b = new TextBuilder();
      b.cook(t.text.slice(s, e), s, template);
      const text = b.finish(e);
      const map = b.map;
      pieces.push({ text, toHost: (o) => (o >= text.length ? e : mapToHost(map, o)), placeholders: [] });
    };
    if (t.kinds[start] === 'str' || t.kinds[start] === 'tpl') {
      const closed = t.text[t.ends[start] - 1] === t.text[t.starts[start]] && t.ends[start] - t.starts[start] >= 2;
      chunk(t.starts[start] + 1, closed ? t.ends[start] - 1 : t.ends[start]);
      return pieces;
    }
    let k = start;
    while (k >= 0) {
      const bodyStart = t.starts[k] + 1;
      const isEnd = t.kinds[k] === 'tplTail';
      const bodyEnd = isEnd ? (t.text[t.ends[k] - 1] === '`' ? t.ends[k] - 1 : t.ends[k]) : t.ends[k] - 2;
      chunk(bodyStart, bodyEnd);
      if (isEnd) break;
      const close = t.match[k];
      if (close <= k) break;
      const holeStart = t.ends[k] - 2;
      const holeEnd = t.starts[close] + 1;
      // Nested fragments inside a branch: take their first alternative (bounded), else a placeholder.
      const inner = depth < MAX_DEPTH ? this.expr(k + 1, close - 1, depth + 1, 1) : undefined;
      if (inner && inner.length) pieces.push(...inner[0].pieces);
      else {
        const ph = placeholderFor(t.text.slice(holeStart, holeEnd));
        pieces.push({ text: ph, toHost: (o) => holeStart + Math.min(o, ph.length), placeholders: [[0, ph.length]] });
      }
      k = close;
    }
    return pieces;
  }

  /** `[lit, lit, ...].join(sep)` with literal elements and a literal (or no) separator: one alternative. */
  joined(open: number, close: number, args: Array<[number, number]>, depth: number, max: number): Alt[] | undefined {
    const t = this.t;
    let sep: Piece[] = [{ text: ',', toHost: () => t.starts[close], placeholders: [] }];
    if (args.length === 1) {
      const s = this.literalExpr(args[0][0], args[0][1]);
      if (!s) return undefined;
      sep = s[0].pieces;
    } else if (args.length > 1) return undefined;
    const elems = this.args(open, close);
    if (elems.length === 0 || elems.length > 200) return undefined;
    const pieces: Piece[] = [];
    for (let i = 0; i < elems.length; i++) {
      const alts = this.literalExpr(elems[i][0], elems[i][1]) ?? (depth < MAX_DEPTH ? this.expr(elems[i][0], elems[i][1], depth + 1, 1) : undefined);
      if (i > 0) pieces.push(...sep);
      if (alts && alts.length) pieces.push(...alts[0].pieces);
      else pieces.push(...this.opaque(elems[i][0], elems[i][1])[0].pieces);
    }
    const alt: Alt = { pieces, choices: [{ hole: [-1, -1], branch: [t.starts[open], t.ends[close]], label: 'joined array' }] };
    return [alt].slice(0, max);
  }

  /** An opaque expression as a placeholder over its host text (`${___}` padded to its length). */
  opaque(a: number, b: number): Alt[] {
    const t = this.t;
    const s = t.starts[a];
    const e = a <= b ? t.ends[b] : s;
    const text = placeholderFor(t.text.slice(s, e));
    return [{ pieces: [{ text, toHost: (o) => s + Math.min(o, e - s), placeholders: [[0, text.length]] }], choices: [] }];
  }

  /** Token range of the initializer of the one `const|let|var name = ...` in the file (before `use`), or undefined. */
  private bindingInit(name: string, use: number): [number, number] | undefined {
    const t = this.t;
    let found: [number, number] | undefined;
    for (const k of identifierIndex(t).get(name) ?? []) {
      if (k >= use) break;
      if (k < 1 || !isPunct(t, k + 1, '=') || !(isId(t, k - 1, 'const') || isId(t, k - 1, 'let') || isId(t, k - 1, 'var'))) continue;
      if (found) return undefined; // shadowed or reassigned: not one value
      const s = k + 2;
      let e = s;
      const limit = Math.min(t.kinds.length, s + 400);
      while (e < limit) {
        if (isPunct(t, e, ';') || isPunct(t, e, ',') || isPunct(t, e, ')') || isPunct(t, e, '}') || isPunct(t, e, ']')) break;
        if (e > s && isId(t, e) && /^(?:const|let|var|return|if|for|while|await|export|function|class)$/.test(tokText(t, e)) && !isPunct(t, e - 1, '.')) break;
        e = t.match[e] > e ? t.match[e] + 1 : e + 1;
      }
      found = [s, e - 1];
    }
    return found;
  }

  /** Operands after the literal ending at token k joined by `+`: literals as text, anything else as a placeholder. */
  private plusTail(k: number, depth: number, max: number): Alt[][] | undefined {
    const t = this.t;
    const lists: Alt[][] = [];
    let sawLiteral = false;
    let sawChoice = false;
    let cur = k;
    for (let n = 0; n < 64 && isPunct(t, cur + 1, '+') && !isPunct(t, cur + 2, '+'); n++) {
      const s = cur + 2;
      const e = this.operandEnd(s);
      if (e < s) break;
      const lit = this.literalExpr(s, e);
      if (lit) {
        lists.push(lit);
        sawLiteral = true;
      } else {
        const alts = depth < MAX_DEPTH ? this.expr(s, e, depth + 1, max) : undefined;
        const range: [number, number] = [t.starts[s], t.ends[e]];
        for (const x of alts ?? []) for (const c of x.choices) if (c.hole[0] < 0) c.hole = range;
        if (alts) sawChoice = true;
        lists.push(alts ?? this.opaque(s, e));
      }
      cur = e;
    }
    if (!sawLiteral && !sawChoice) return undefined;
    const range: [number, number] = [t.starts[k + 2], t.ends[cur]];
    for (const x of lists[0]) x.choices = [{ hole: range, branch: range, label: '`+` operands' }, ...x.choices];
    return lists;
  }

  /** Last token of the operand starting at token s: a literal, name, call, member access, index or bracketed group. */
  private operandEnd(s: number): number {
    const t = this.t;
    let e: number;
    if (isLiteral(t, s)) e = literalEnd(t, s);
    else if (isId(t, s)) e = s;
    else if ((isPunct(t, s, '(') || isPunct(t, s, '[')) && t.match[s] > s) e = t.match[s];
    else return s - 1;
    for (let n = 0; n < 64; n++) {
      const nx = e + 1;
      if ((isPunct(t, nx, '.') || isPunct(t, nx, '?.')) && isId(t, nx + 1)) e = nx + 1;
      else if ((isPunct(t, nx, '(') || isPunct(t, nx, '[')) && t.match[nx] > nx) e = t.match[nx];
      else if (isLiteral(t, nx) && (t.kinds[nx] === 'tpl' || t.kinds[nx] === 'tplHead') && isId(t, e)) e = literalEnd(t, nx);
      else break;
    }
    return e;
  }
}

/** Start words of SQL a standalone fragment may begin with (after comments and white space). */
const FRAGMENT_START = /^(?:insert|update|delete|merge|copy|create|alter|drop|truncate|with|select|upsert|replace|on\s+conflict)\b/i;

/** A fragment that appends to an INSERT bound in: `? on conflict do nothing` (knex), `$1 ON CONFLICT ...`, `${insert} on conflict ...`. */
const BOUND_INSERT = /^(\s*)(\?|\$\d+|\$\{[^}]*\})(?=\s+on\s+conflict\b)/i;

/**
 * The fragment read as the INSERT it completes: `INSERT INTO ${?}` stands in for the bound statement
 * (`${?}` names it in messages), mapped onto the placeholder, so that rules about ON CONFLICT read it
 * and their findings and fixes land in the fragment's own text.
 */
function boundInsert(v: SqlVariant, name: string): EmbeddedSql {
  const m = BOUND_INSERT.exec(v.text)!;
  const at = m[1].length;
  const bound = m[2];
  const stand = bound.startsWith('${') ? bound : `\${${bound}}`;
  const prefix = 'INSERT INTO ';
  const added = prefix.length + stand.length - bound.length;
  const text = v.text.slice(0, at) + prefix + stand + v.text.slice(at + bound.length);
  const toHost = (o: number): number => {
    if (o <= at) return v.toHost(o);
    if (o < at + prefix.length) return v.toHost(at);
    if (o < at + prefix.length + stand.length) return stand === bound ? v.toHost(o - prefix.length) : v.toHost(at);
    return v.toHost(o - added);
  };
  const placeholders: Array<[number, number]> = [[at + prefix.length, at + prefix.length + stand.length]];
  for (const [s, e] of v.placeholders) if (s >= at + bound.length) placeholders.push([s + added, e + added]);
  return { text, hostStart: toHost(0), toHost, via: 'call', name, placeholders };
}

/**
 * SQL the extractor does not find on its own: query config objects passed to a call (`client.query({
 * text })`, `client.command({ query })`, `{ sql }`), `[...].join(' ')` arrays of SQL lines passed to a
 * call, and `raw('? on conflict do nothing', ...)`-style placeholder fragments. Regions whose first
 * literal is already in `existing` are skipped. Each result is a region in the EmbeddedSql shape
 * (via 'call', name = the callee) ready for expandVariants.
 */
export function findMoreSql(t: HostTokens, existing: readonly EmbeddedSql[]): EmbeddedSql[] {
  const known = new Set(existing.map((r) => tokenAt(t, r.hostStart)).filter((i) => i >= 0).map((i) => literalStart(t, i)));
  const out: EmbeddedSql[] = [];
  const expander = new Expander(t);
  const emit = (first: number, last: number, name: string, joinArgs?: { open: number; close: number; args: Array<[number, number]> }) => {
    if (known.has(first)) return;
    known.add(first);
    let alts: Alt[] | undefined;
    if (joinArgs) alts = expander.joined(joinArgs.open, joinArgs.close, joinArgs.args, 0, 1);
    // The literal as written (its interpolations as placeholders): expandVariants makes the variants.
    else alts = [{ pieces: expander.literalPieces(first, last, MAX_DEPTH), choices: [] }];
    if (!alts || !alts.length) return;
    const text = alts[0].pieces.map((p) => p.text).join('');
    const led = BOUND_INSERT.test(text);
    if (!led && !FRAGMENT_START.test(text.slice(skipLeading(text, false, true)))) return;
    const v = assemble(alts[0], { text: '', hostStart: t.starts[first], toHost: () => t.starts[first], via: 'call', placeholders: [] });
    out.push(led ? boundInsert(v, name) : { text: v.text, hostStart: v.hostStart, toHost: v.toHost, via: 'call', name, placeholders: v.placeholders });
  };
  try {
    for (let i = 0; i < t.kinds.length; i++) {
      if (!isLiteral(t, i) || t.kinds[i] === 'tplMiddle' || t.kinds[i] === 'tplTail') continue;
      const last = literalEnd(t, i);
      // { text|query|sql: <literal> } directly inside a call's arguments.
      if (isPunct(t, i - 1, ':') && isId(t, i - 2) && /^(?:text|query|sql)$/.test(tokText(t, i - 2)) && (isPunct(t, i - 3, '{') || isPunct(t, i - 3, ','))) {
        const obj = t.parent[i];
        if (obj >= 0 && isPunct(t, obj, '{') && isPunct(t, obj - 1, '(') && isId(t, obj - 2)) {
          emit(i, last, tokText(t, obj - 2));
          continue;
        }
      }
      // raw('? on conflict do nothing', [...]) and other placeholder-led fragments.
      if (isPunct(t, i - 1, '(') && isId(t, i - 2) && /^(?:raw|unsafe|query|execute)$/.test(tokText(t, i - 2)) && /^['"`]\s*(?:\?|\$\d|\$\{)/.test(tokText(t, i))) {
        emit(i, last, tokText(t, i - 2));
        continue;
      }
      // fn([ 'INSERT ...', 'VALUES ...', 'ON CONFLICT DO NOTHING' ].join(' ')), or `const q = [...].join('\n')`.
      if (isPunct(t, i - 1, '[')) {
        const open = i - 1;
        const close = t.match[open];
        if (close > open && isPunct(t, close + 1, '.') && isId(t, close + 2, 'join') && isPunct(t, close + 3, '(')) {
          const pOpen = close + 3;
          const pClose = t.match[pOpen];
          if (pClose < 0) continue;
          const args = expander.args(pOpen, pClose);
          const before = open - 1;
          const callee = isPunct(t, before, '(') && isId(t, before - 1) ? tokText(t, before - 1) : isPunct(t, before, '=') && isId(t, before - 1) ? tokText(t, before - 1) : 'join';
          emit(i, last, callee, { open, close, args });
        }
      }
    }
  } catch {
    // Whatever was found so far stands.
  }
  return out;
}
