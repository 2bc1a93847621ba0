/**
 * Finds SQL inside TS/JS/TSX/JSX source: tagged templates, literals passed to query functions (also
 * through one `const q = '...'` hop), and literals that start like a data-changing statement. Each
 * result carries an exact offset map back to the host file (see EmbeddedSql in ./types).
 */
import type { SourceLanguage } from '../core/types';
import { mapToHost, TextBuilder } from './cook';
import { ID as S_ID_IMPORT, PUNCT as S_PUNCT_IMPORT, STR as S_STR_IMPORT, TokenStream, TPL as S_TPL_IMPORT, TPL_PART as S_TPL_PART_IMPORT } from './orm/stream';
import type { EmbeddedSql } from './types';

// The stream's token kinds as local constants: a cross-module constant read is a getter call per token under CommonJS.
const S_ID: number = S_ID_IMPORT;
const S_PUNCT: number = S_PUNCT_IMPORT;
const S_STR: number = S_STR_IMPORT;
const S_TPL: number = S_TPL_IMPORT;
const S_TPL_PART: number = S_TPL_PART_IMPORT;

/** Template tags whose templates are SQL; member tags match on their last name (`Prisma.sql`, `db.sql`). */
export const DEFAULT_TAGS: readonly string[] = ['sql', 'SQL'];

/**
 * Functions and methods whose first argument is SQL (pg, pg-promise, postgres.js, Prisma, PGlite,
 * Drizzle, pg-copy-streams, node-pg-migrate's `pgm.sql`). A literal counts only when it starts with
 * an SQL word, so `sql('users')` (an identifier helper) is not taken for a statement.
 */
export const DEFAULT_FUNCTIONS: readonly string[] = [
  'query', 'none', 'any', 'one', 'many', 'oneOrNone', 'manyOrNone', 'result', 'multi', 'raw', 'unsafe', 'exec', 'execute',
  '$queryRaw', '$executeRaw', '$queryRawUnsafe', '$executeRawUnsafe', 'from', 'copyFrom', 'sql',
];

export interface ExtractOptions {
  /** Extra template tags (added to DEFAULT_TAGS). */
  tags?: string[];
  /** Extra query functions (added to DEFAULT_FUNCTIONS). */
  functions?: string[];
}

/**
 * Every piece of SQL embedded in `text`, in host order, each once. `language: 'sql'` returns the
 * whole text as one piece. `stream`: the file's token stream when the caller has one (the engine's
 * one tokenization of the file); made here otherwise. Never throws.
 */
export function extractEmbeddedSql(text: string, language: SourceLanguage, options?: ExtractOptions, stream?: TokenStream): EmbeddedSql[] {
  if (language === 'sql') return [wholeText(text)];
  try {
    return new Extractor(text, stream ?? new TokenStream(text, usesJsx(text, language)), options).run();
  } catch {
    // The tokenizer is lenient and the walk bounds-checked; this only guards against the unforeseen.
    return [];
  }
}

/** A tag or fragment where an expression starts (`return <div `, `=> <>`, `(<App/>`): plain JS never has one. */
function hasJsxTag(text: string): boolean {
  const tag = /<(?:[A-Za-z][\w.:-]*[\s/>]|>)/g;
  for (let m = tag.exec(text); m; m = tag.exec(text)) {
    let j = m.index - 1;
    while (j >= 0 && /[\s(]/.test(text[j])) j--;
    if (j < 0 || '=,?:&|[{>'.includes(text[j]) || (text.endsWith('return', j + 1) && !/[\w$]/.test(text[j - 6] ?? ''))) return true;
  }
  return false;
}

/**
 * Whether to tokenize with JSX support: .tsx/.jsx always; .js/.mjs/.cjs when a tag opens where an
 * expression starts (React code often lives in .js files). JSX mode reads plain JS correctly too,
 * only slower (js-tokens). Never for .ts, where `<T>` is a type assertion.
 */
export function usesJsx(text: string, language: SourceLanguage): boolean {
  if (language === 'typescriptreact' || language === 'javascriptreact') return true;
  return language === 'javascript' && hasJsxTag(text);
}

function wholeText(text: string): EmbeddedSql {
  return { text, hostStart: 0, toHost: (o) => Math.max(0, Math.min(text.length, o)), via: 'literal', placeholders: [] };
}

/** Kinds of significant tokens (white space and comments are dropped). */
const ID = 1;
const PUNCT = 2;
/** A string literal. */
const STR = 3;
/** A template: the whole literal (its head when it has interpolations). */
const TPL = 4;
/** The tail of a template with interpolations. */
const TPL_END = 5;
const OTHER = 6;

interface Literal {
  /** Token index of the literal (the template's head) and of its last token (TPL_END for templates). */
  first: number;
  last: number;
  template: boolean;
  /** Body chunks (between delimiters / interpolations) with their host offsets. */
  chunks: Array<{ raw: string; host: number }>;
  /** Host [start, end) of each `${...}` interpolation. */
  holes: Array<[number, number]>;
  /** Host offset of the closing delimiter (or of the end of the text when unclosed). */
  end: number;
  /** Preceded by a `/*sql*\/` comment (the es6-string-html / lit convention that marks a literal's language). */
  marked?: boolean;
}

interface Candidate {
  lits: Literal[];
  via: EmbeddedSql['via'];
  name?: string;
}

const SQL_START_WORDS = /^(?:insert\s+into|delete\s+from|update\s+[^\s;]+(?:\s+(?:as\s+)?\w+)?\s+set|merge\s+into|select|with|copy|create|alter|drop|truncate|begin|start|commit|rollback|end|savepoint|release|set|reset|show|call|do|values|table|explain|analyze|vacuum|lock|grant|revoke|comment|prepare|execute|deallocate|declare|fetch|listen|notify|refresh|reindex|cluster|discard)\b/i;
const IDENT = String.raw`(?:"[^"]*"|[A-Za-z_][\w$]*|\$\{[^}]*\})(?:\s*\.\s*(?:"[^"]*"|[A-Za-z_][\w$]*|\$\{[^}]*\}))*`;
/** Conservative shape of a data-changing statement, so that prose ("Insert into the cart") is not taken for SQL. */
const LOOKS_LIKE_SQL = new RegExp(
  String.raw`^(?:INSERT\s+INTO\s+${IDENT}(?:\s+(?:AS\s+)?[A-Za-z_]\w*)?\s*(?:\(|VALUES\b|SELECT\b|DEFAULT\s+VALUES\b|OVERRIDING\b|WITH\b|TABLE\b|ON\s+CONFLICT\b|\$\{)` +
    String.raw`|COPY\s+${IDENT}\s*(?:\([^)]*\)\s*)?(?:FROM|TO)\s+(?:STDIN|STDOUT|PROGRAM\b|'|\$\{)` +
    String.raw`|MERGE\s+INTO\s+${IDENT}` +
    String.raw`|WITH\s+(?:RECURSIVE\s+)?${IDENT}\s*(?:\([^)]*\)\s*)?AS\s+(?:NOT\s+)?(?:MATERIALIZED\s+)?\()`,
  'i',
);
/** Cheap filter on the raw body (after skipLeading) before cooking. */
const MAY_LOOK_LIKE_SQL = /^(?:insert|copy|merge|with)\b/i;
const DATA_CHANGE = /\b(?:INSERT\s+INTO|MERGE\s+INTO|COPY)\b/i;

/**
 * A walk over the file's one token stream (typed arrays, no object per token: this runs over whole
 * files) that classifies each literal by the tokens around it.
 */
class Extractor {
  /** Extractor kind of each token of the stream (ID, PUNCT, STR, TPL, TPL_END, OTHER). */
  private readonly kinds: Uint8Array;
  /** The literal of STR, TPL and TPL_END tokens. */
  private readonly lits: Array<Literal | undefined>;
  private readonly tags: Set<string>;
  private readonly functions: Set<string>;
  /** Literal bound by `const|let|var name = <literal>`: the one hop `client.query(name)` resolves. */
  private readonly bindings = new Map<string, Literal[]>();
  private readonly found = new Map<Literal, Candidate>();
  private readonly consumed = new Set<Literal>();

  constructor(private readonly text: string, private readonly ts: TokenStream, options?: ExtractOptions) {
    this.tags = new Set([...DEFAULT_TAGS, ...(options?.tags ?? [])]);
    this.functions = new Set([...DEFAULT_FUNCTIONS, ...(options?.functions ?? [])]);
    this.kinds = new Uint8Array(ts.length);
    this.lits = new Array<Literal | undefined>(ts.length).fill(undefined);
  }

  run(): EmbeddedSql[] {
    this.scan();
    const { kinds, lits, ts } = this;
    for (let i = 0; i < kinds.length; i++) {
      const k = kinds[i];
      if (k === STR || k === TPL) {
        const lit = lits[i]!;
        if (!this.consumed.has(lit)) this.literalAt(i, lit);
      } else if (k === PUNCT && i >= 3 && (ts.isP(i, ')') || ts.isP(i, ','))) {
        this.identifierArgumentBefore(i);
      }
    }
    const out: EmbeddedSql[] = [];
    for (const c of this.found.values()) out.push(this.build(c));
    return out.sort((a, b) => a.hostStart - b.hostStart);
  }

  /** The text of token i (identifiers and punctuators; '' for literals and other tokens). */
  private val(i: number): string {
    const k = this.kinds[i];
    return k === ID || k === PUNCT ? this.ts.val(i) : '';
  }

  /** Token i is an identifier. */
  private isId(i: number): boolean {
    return this.kinds[i] === ID;
  }

  /** Token i is the punctuator `v` (compared in place). */
  private isP(i: number, v: string): boolean {
    return this.kinds[i] === PUNCT && this.ts.is(i, v);
  }

  /** Reads the stream's literals, assembling template literals across their interpolations. */
  private scan(): void {
    const open: Literal[] = [];
    const { text, kinds, lits, ts } = this;
    const { starts, ends } = ts;
    const marks = ts.sqlMarked;
    let nextMark = 0;
    const n = ts.length;
    for (let i = 0; i < n; i++) {
      const sk = ts.kinds[i];
      if (sk === S_ID) { kinds[i] = ID; continue; }
      if (sk === S_PUNCT) { kinds[i] = PUNCT; continue; }
      if (sk !== S_STR && sk !== S_TPL && sk !== S_TPL_PART) { kinds[i] = OTHER; continue; }
      // a `/*sql*/` comment marks the token after it
      while (nextMark < marks.length && marks[nextMark] < i) nextMark++;
      const marked = nextMark < marks.length && marks[nextMark] === i;
      const s = starts[i];
      const pos = ends[i];
      if (sk === S_STR || sk === S_TPL) {
        const end = ts.closed(i) ? pos - 1 : pos;
        const lit: Literal = {
          first: i, last: i, template: sk === S_TPL,
          chunks: [{ raw: text.slice(s + 1, end), host: s + 1 }], holes: [], end,
        };
        if (marked) lit.marked = true;
        kinds[i] = sk === S_STR ? STR : TPL;
        lits[i] = lit;
        continue;
      }
      const type = ts.typeName(i);
      if (type === 'TemplateHead') {
        const lit: Literal = {
          first: i, last: -1, template: true, chunks: [{ raw: text.slice(s + 1, pos - 2), host: s + 1 }], holes: [[pos - 2, -1]], end: -1,
        };
        if (marked) lit.marked = true;
        open.push(lit);
        kinds[i] = TPL;
        lits[i] = lit;
        continue;
      }
      const lit = open[open.length - 1];
      kinds[i] = OTHER;
      if (!lit) continue;
      lit.holes[lit.holes.length - 1][1] = s + 1;
      if (type === 'TemplateMiddle') {
        lit.chunks.push({ raw: text.slice(s + 1, pos - 2), host: s + 1 });
        lit.holes.push([pos - 2, -1]);
      } else {
        const end = ts.closed(i) ? pos - 1 : pos;
        lit.chunks.push({ raw: text.slice(s + 1, end), host: s + 1 });
        lit.end = end;
        lit.last = i;
        open.pop();
        kinds[i] = TPL_END;
        lits[i] = lit;
      }
    }
    // Templates left open at the end of the text (broken code): close them there.
    for (const lit of open) {
      const hole = lit.holes[lit.holes.length - 1];
      if (hole[1] < 0) hole[1] = text.length;
      lit.end = text.length;
      lit.last = n;
    }
  }

  /** Classifies the literal (or `+` chain of literals) starting at token i. */
  private literalAt(i: number, lit: Literal): void {
    if (lit.template) {
      // Tagged template: `sql\`...\``, `Prisma.sql\`...\``, `prisma.$executeRaw\`...\``, `sql<Row[]>\`...\``.
      let tagAt = this.skipTypeArguments(i - 1);
      // A tag built by a call: `sql.type(Row)\`...\``, `sql.typeAlias('id')\`...\`` (Slonik).
      if (this.isP(tagAt, ')')) tagAt = this.matchingOpenParen(tagAt) - 1;
      if (this.isId(tagAt)) {
        const name = this.memberChain(tagAt);
        const last = this.val(tagAt);
        const root = name.split('.')[0];
        if (this.tags.has(last) || this.functions.has(last) || this.tags.has(root)) {
          this.add({ lits: [lit], via: 'tag', name });
          return;
        }
      }
    }
    const lits = this.chainFrom(lit);
    for (const l of lits) this.consumed.add(l);
    // `/*sql*/ \`...\``: the code says the literal is SQL, whatever it starts with.
    if (lit.marked && this.startsWithSqlWord(lits)) {
      this.add({ lits, via: 'tag', name: '/*sql*/' });
      return;
    }
    const call = this.callBefore(i);
    if (call !== undefined && this.startsWithSqlWord(lits)) {
      this.add({ lits, via: 'call', name: call });
      return;
    }
    const binding = this.bindingBefore(i);
    if (binding !== undefined) this.bindings.set(binding, lits);
    if (this.looksLikeSql(lits)) this.add({ lits, via: 'literal' });
  }

  /** `fn(name)` / `fn(name, ...)` with `name` bound to a literal: the one-hop constant. Token i is `)` or `,`. */
  private identifierArgumentBefore(i: number): void {
    if (!this.isId(i - 1) || !this.isP(i - 2, '(')) return;
    const lits = this.bindings.get(this.val(i - 1));
    if (!lits) return;
    const call = this.calleeBeforeParen(i - 2);
    if (call === undefined || !this.startsWithSqlWord(lits)) return;
    const existing = this.found.get(lits[0]);
    if (existing && existing.via !== 'literal') return;
    this.add({ lits, via: 'call', name: call });
  }

  private add(c: Candidate): void {
    const existing = this.found.get(c.lits[0]);
    if (existing && existing.via !== 'literal' && c.via === 'literal') return;
    this.found.set(c.lits[0], c);
  }

  /** The dotted name ending at token j (an identifier): `Prisma.sql`, `this.db.query`. */
  private memberChain(j: number): string {
    let name = this.val(j);
    while (j >= 2 && (this.isP(j - 1, '.') || this.isP(j - 1, '?.')) && this.isId(j - 2)) {
      j -= 2;
      name = `${this.val(j)}.${name}`;
    }
    return name;
  }

  /** The query function whose first argument starts at token i: `fn(`, `a.b.fn(`, `fn<T>(`, `fn({ text: `. */
  private callBefore(i: number): string | undefined {
    if (this.isP(i - 1, '(')) return this.calleeBeforeParen(i - 1);
    // client.query({ text: 'INSERT ...', values })
    if (this.isP(i - 1, ':') && this.isId(i - 2) && this.val(i - 2) === 'text' && this.isP(i - 3, '{') && this.isP(i - 4, '(')) {
      return this.calleeBeforeParen(i - 4);
    }
    return undefined;
  }

  /** The function name before the `(` at token j, if it is a configured query function. */
  private calleeBeforeParen(j: number): string | undefined {
    const k = this.skipTypeArguments(j - 1);
    if (!this.isId(k) || !this.functions.has(this.val(k))) return undefined;
    if (this.isId(k - 1) && this.val(k - 1) === 'function') return undefined;
    return this.val(k);
  }

  /**
   * Index of the token before a type argument list ending at token k (`query<Row>(`, `sql<T[]>\``),
   * or k itself when token k is not `>`; -1 when unbalanced. Bounded so that `a < b > (c)` stays cheap.
   */
  private skipTypeArguments(k: number): number {
    if (this.kinds[k] !== PUNCT || !/^>{1,3}$/.test(this.val(k))) return k;
    let depth = 0;
    const stop = Math.max(0, k - 40);
    for (; k >= stop; k--) {
      if (this.kinds[k] !== PUNCT) continue;
      const v = this.val(k);
      if (v === '>') depth++;
      else if (v === '>>') depth += 2;
      else if (v === '>>>') depth += 3;
      else if (v === '<') depth--;
      if (depth === 0) return k - 1;
    }
    return -1;
  }

  /** Index of the `(` matching the `)` at token k, or -1 (bounded: tags are short calls). */
  private matchingOpenParen(k: number): number {
    let depth = 0;
    for (let j = k; j >= Math.max(0, k - 200); j--) {
      if (this.kinds[j] !== PUNCT) continue;
      if (this.val(j) === ')') depth++;
      else if (this.val(j) === '(' && --depth === 0) return j;
    }
    return -1;
  }

  /** `const name = <literal>` / `let name: string = <literal>`: the bound name. */
  private bindingBefore(i: number): string | undefined {
    if (!this.isP(i - 1, '=')) return undefined;
    let k = i - 2;
    if (this.isId(k) && this.isP(k - 1, ':') && this.isId(k - 2)) k -= 2;
    if (!this.isId(k) || !this.isId(k - 1)) return undefined;
    const decl = this.val(k - 1);
    return decl === 'const' || decl === 'let' || decl === 'var' ? this.val(k) : undefined;
  }

  /** The literal and the literals joined to it by `+` (`'INSERT INTO t ' + 'VALUES (1)'`). */
  private chainFrom(lit: Literal): Literal[] {
    const lits = [lit];
    let cur = lit;
    for (;;) {
      const n = cur.last + 2;
      if (!this.isP(cur.last + 1, '+') || (this.kinds[n] !== STR && this.kinds[n] !== TPL)) break;
      const next = this.lits[n]!;
      const after = next.last + 1;
      // `'a' + 'b'.trim()` binds the method to 'b' alone: stop before it.
      if (this.isP(after, '.') || this.isP(after, '?.') || this.isP(after, '[') || this.isP(after, '(')) break;
      cur = next;
      lits.push(cur);
    }
    return lits;
  }

  private startsWithSqlWord(lits: Literal[]): boolean {
    const first = lits[0].chunks[0].raw;
    return SQL_START_WORDS.test(first.slice(skipLeading(first, true, true)));
  }

  private looksLikeSql(lits: Literal[]): boolean {
    const raw = lits[0].chunks[0].raw;
    if (!MAY_LOOK_LIKE_SQL.test(raw.slice(skipLeading(raw, true, false)))) return false;
    const text = this.build({ lits, via: 'literal' }).text;
    const body = text.slice(skipLeading(text, false, false));
    if (!LOOKS_LIKE_SQL.test(body)) return false;
    return !/^WITH\b/i.test(body) || DATA_CHANGE.test(body);
  }

  private build(c: Candidate): EmbeddedSql {
    const b = new TextBuilder();
    for (const lit of c.lits) {
      for (let h = 0; h < lit.chunks.length; h++) {
        b.cook(lit.chunks[h].raw, lit.chunks[h].host, lit.template);
        const hole = lit.holes[h];
        if (hole) b.placeholder(placeholderFor(this.text.slice(hole[0], hole[1])), hole[0]);
      }
    }
    const last = c.lits[c.lits.length - 1];
    const text = b.finish(last.end);
    const map = b.map;
    const result: EmbeddedSql = {
      text,
      // where text[0] stands: after a leading line continuation (it cooks to nothing), not at the literal's start
      hostStart: mapToHost(map, 0),
      toHost: (offset: number) => mapToHost(map, offset),
      via: c.via,
      placeholders: b.placeholders,
    };
    if (c.name !== undefined) result.name = c.name;
    return result;
  }
}

/**
 * Offset of the first code unit after leading white space and SQL comments (line and block), and
 * after `\n`-style escapes when `raw` (a literal's body before cooking) and `(` when `parens`.
 * A loop, not a regex: nested quantifiers over white space backtrack exponentially.
 */
export function skipLeading(s: string, raw: boolean, parens: boolean): number {
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029) {
      i++;
    } else if (raw && c === 92 && /[nrtv]/.test(s[i + 1] ?? '')) {
      i += 2;
    } else if (parens && c === 40) {
      i++;
    } else if (c === 45 && s.charCodeAt(i + 1) === 45) {
      // A line comment ends at a line break, or at an escaped one in a string literal's raw body.
      let j = i + 2;
      while (j < n && s.charCodeAt(j) !== 10 && s.charCodeAt(j) !== 13 && !(raw && s.charCodeAt(j) === 92 && s[j + 1] === 'n')) j++;
      i = j;
    } else if (c === 47 && s.charCodeAt(i + 1) === 42) {
      const end = s.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else {
      break;
    }
  }
  return i;
}

/**
 * The SQL stand-in for one `${expr}`: the original text when the SQL lexer can take it as one opaque
 * `${...}` token (no braces, quotes, backticks, backslashes or line breaks inside), else `${___}` of
 * the same length. Either way exactly as long as the interpolation, so offsets map back one to one.
 */
export function placeholderFor(original: string): string {
  if (/^\$\{[^`'"\\{}\r\n\u2028\u2029]*\}$/.test(original)) return original;
  if (original.length < 3) return '_'.repeat(original.length);
  return `\${${'_'.repeat(original.length - 3)}}`;
}

