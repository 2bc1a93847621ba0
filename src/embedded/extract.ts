/**
 * Finds SQL inside TS/JS/TSX/JSX source: tagged templates, literals passed to query functions (also
 * through one `const q = '...'` hop), and literals that start like a data-changing statement. Each
 * result carries an exact offset map back to the host file (see EmbeddedSql in ./types).
 */
import type { SourceLanguage } from '../core/analyze';
import { mapToHost, TextBuilder } from './cook';
import { tokenize } from './tokens';
import type { EmbeddedSql } from './types';

/** Template tags whose templates are SQL; member tags match on their last name (`Prisma.sql`, `db.sql`). */
export const DEFAULT_TAGS: readonly string[] = ['sql', 'SQL'];

/** Functions and methods whose first argument is SQL (pg, pg-promise, postgres.js, Prisma, PGlite, Drizzle, pg-copy-streams). */
export const DEFAULT_FUNCTIONS: readonly string[] = [
  'query', 'none', 'any', 'one', 'many', 'oneOrNone', 'manyOrNone', 'result', 'multi', 'raw', 'unsafe', 'exec', 'execute',
  '$queryRaw', '$executeRaw', '$queryRawUnsafe', '$executeRawUnsafe', 'from', 'copyFrom',
];

export interface ExtractOptions {
  /** Extra template tags (added to DEFAULT_TAGS). */
  tags?: string[];
  /** Extra query functions (added to DEFAULT_FUNCTIONS). */
  functions?: string[];
}

/**
 * Every piece of SQL embedded in `text`, in host order, each once. `language: 'sql'` returns the
 * whole text as one piece. Never throws.
 */
export function extractEmbeddedSql(text: string, language: SourceLanguage, options?: ExtractOptions): EmbeddedSql[] {
  if (language === 'sql') return [wholeText(text)];
  try {
    return new Extractor(text, usesJsx(text, language), options).run();
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

type Kind = 'id' | 'punct' | 'str' | 'tpl' | 'tplEnd' | 'other';

/** A significant token (no white space, no comments). */
interface Sig {
  k: Kind;
  v: string;
  /** Host offset of the token's first code unit. */
  s: number;
  /** For 'tpl' (a whole template, opened here) and 'str': the literal. For 'tplEnd': the template it closes. */
  lit?: Literal;
}

interface Literal {
  /** Index in sigs of the literal (the template's head) and of its last token (tplEnd for templates). */
  first: number;
  last: number;
  template: boolean;
  /** Body chunks (between delimiters / interpolations) with their host offsets. */
  chunks: Array<{ raw: string; host: number }>;
  /** Host [start, end) of each `${...}` interpolation. */
  holes: Array<[number, number]>;
  /** Host offset of the closing delimiter (or of the end of the text when unclosed). */
  end: number;
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

class Extractor {
  private readonly sigs: Sig[] = [];
  private readonly tags: Set<string>;
  private readonly functions: Set<string>;
  /** Literal bound by `const|let|var name = <literal>`: the one hop `client.query(name)` resolves. */
  private readonly bindings = new Map<string, Literal[]>();
  private readonly found = new Map<Literal, Candidate>();
  private readonly consumed = new Set<Literal>();

  constructor(private readonly text: string, private readonly jsx: boolean, options?: ExtractOptions) {
    this.tags = new Set([...DEFAULT_TAGS, ...(options?.tags ?? [])]);
    this.functions = new Set([...DEFAULT_FUNCTIONS, ...(options?.functions ?? [])]);
  }

  run(): EmbeddedSql[] {
    this.scan();
    const sigs = this.sigs;
    for (let i = 0; i < sigs.length; i++) {
      const t = sigs[i];
      if ((t.k === 'str' || t.k === 'tpl') && t.lit && !this.consumed.has(t.lit)) this.literalAt(i, t.lit);
      else if ((t.k === 'punct' && (t.v === ')' || t.v === ',')) && i >= 3) this.identifierArgumentBefore(i);
    }
    const out: EmbeddedSql[] = [];
    for (const c of this.found.values()) out.push(this.build(c));
    return out.sort((a, b) => a.hostStart - b.hostStart);
  }

  /** Tokenizes once, keeping significant tokens and assembling template literals across their interpolations. */
  private scan(): void {
    const sigs = this.sigs;
    const open: Literal[] = [];
    const text = this.text;
    tokenize(text, this.jsx, (type, s, pos, closed) => {
      switch (type) {
        case 'WhiteSpace': case 'LineTerminatorSequence': case 'MultiLineComment': case 'SingleLineComment': case 'HashbangComment':
          break;
        case 'IdentifierName':
          sigs.push({ k: 'id', v: text.slice(s, pos), s, lit: undefined });
          break;
        case 'Punctuator':
          sigs.push({ k: 'punct', v: text.slice(s, pos), s, lit: undefined });
          break;
        case 'StringLiteral': case 'NoSubstitutionTemplate': {
          const end = closed ? pos - 1 : pos;
          const lit: Literal = {
            first: sigs.length, last: sigs.length, template: type !== 'StringLiteral',
            chunks: [{ raw: text.slice(s + 1, end), host: s + 1 }], holes: [], end,
          };
          sigs.push({ k: type === 'StringLiteral' ? 'str' : 'tpl', v: '', s, lit });
          break;
        }
        case 'TemplateHead': {
          const lit: Literal = {
            first: sigs.length, last: -1, template: true, chunks: [{ raw: text.slice(s + 1, pos - 2), host: s + 1 }], holes: [[pos - 2, -1]], end: -1,
          };
          open.push(lit);
          sigs.push({ k: 'tpl', v: '', s, lit });
          break;
        }
        case 'TemplateMiddle': case 'TemplateTail': {
          const lit = open[open.length - 1];
          if (!lit) {
            sigs.push({ k: 'other', v: '', s, lit: undefined });
            break;
          }
          lit.holes[lit.holes.length - 1][1] = s + 1;
          if (type === 'TemplateMiddle') {
            lit.chunks.push({ raw: text.slice(s + 1, pos - 2), host: s + 1 });
            lit.holes.push([pos - 2, -1]);
          } else {
            const end = closed ? pos - 1 : pos;
            lit.chunks.push({ raw: text.slice(s + 1, end), host: s + 1 });
            lit.end = end;
            lit.last = sigs.length;
            open.pop();
            sigs.push({ k: 'tplEnd', v: '', s, lit });
          }
          break;
        }
        default:
          sigs.push({ k: 'other', v: '', s, lit: undefined });
      }
    });
    // Templates left open at the end of the text (broken code): close them there.
    for (const lit of open) {
      const hole = lit.holes[lit.holes.length - 1];
      if (hole[1] < 0) hole[1] = this.text.length;
      lit.end = this.text.length;
      lit.last = sigs.length;
      sigs.push({ k: 'tplEnd', v: '', s: this.text.length, lit });
    }
  }

  /** Classifies the literal (or `+` chain of literals) starting at sigs[i]. */
  private literalAt(i: number, lit: Literal): void {
    const sigs = this.sigs;
    // Tagged template: `sql\`...\``, `Prisma.sql\`...\``, `prisma.$executeRaw\`...\``, `sql<Row[]>\`...\``.
    let tagAt = lit.template ? this.skipTypeArguments(i - 1) : -1;
    // A tag built by a call: `sql.type(Row)\`...\``, `sql.typeAlias('id')\`...\`` (Slonik).
    if (lit.template && sigs[tagAt]?.k === 'punct' && sigs[tagAt].v === ')') tagAt = this.matchingOpenParen(tagAt) - 1;
    const prev = sigs[tagAt];
    if (lit.template && prev?.k === 'id') {
      const name = this.memberChain(tagAt);
      const last = prev.v;
      const root = name.split('.')[0];
      if (this.tags.has(last) || this.functions.has(last) || this.tags.has(root)) {
        this.add({ lits: [lit], via: 'tag', name });
        return;
      }
    }
    const lits = this.chainFrom(lit);
    for (const l of lits) this.consumed.add(l);
    const call = this.callBefore(i);
    if (call !== undefined) {
      if (this.startsWithSqlWord(lits)) {
        this.add({ lits, via: 'call', name: call });
        return;
      }
    }
    const binding = this.bindingBefore(i);
    if (binding !== undefined) this.bindings.set(binding, lits);
    if (this.looksLikeSql(lits)) this.add({ lits, via: 'literal' });
  }

  /** `fn(name)` / `fn(name, ...)` with `name` bound to a literal: the one-hop constant. sigs[i] is `)` or `,`. */
  private identifierArgumentBefore(i: number): void {
    const sigs = this.sigs;
    const arg = sigs[i - 1];
    if (arg.k !== 'id' || sigs[i - 2].k !== 'punct' || sigs[i - 2].v !== '(') return;
    const lits = this.bindings.get(arg.v);
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

  /** The dotted name ending at sigs[j] (an identifier): `Prisma.sql`, `this.db.query`. */
  private memberChain(j: number): string {
    const sigs = this.sigs;
    let name = sigs[j].v;
    while (j >= 2 && sigs[j - 1].k === 'punct' && (sigs[j - 1].v === '.' || sigs[j - 1].v === '?.') && sigs[j - 2].k === 'id') {
      j -= 2;
      name = `${sigs[j].v}.${name}`;
    }
    return name;
  }

  /** The query function whose first argument starts at sigs[i]: `fn(`, `a.b.fn(`, `fn<T>(`, `fn({ text: `. */
  private callBefore(i: number): string | undefined {
    const sigs = this.sigs;
    const p = sigs[i - 1];
    if (p?.k === 'punct' && p.v === '(') return this.calleeBeforeParen(i - 1);
    // client.query({ text: 'INSERT ...', values })
    if (p?.k === 'punct' && p.v === ':' && sigs[i - 2]?.v === 'text' && sigs[i - 3]?.v === '{' && sigs[i - 4]?.v === '(') {
      return this.calleeBeforeParen(i - 4);
    }
    return undefined;
  }

  /** The function name before the `(` at sigs[j], if it is a configured query function. */
  private calleeBeforeParen(j: number): string | undefined {
    const sigs = this.sigs;
    const k = this.skipTypeArguments(j - 1);
    const id = sigs[k];
    if (id?.k !== 'id' || !this.functions.has(id.v)) return undefined;
    const before = sigs[k - 1];
    if (before?.k === 'id' && before.v === 'function') return undefined;
    return id.v;
  }

  /**
   * Index of the token before a type argument list ending at sigs[k] (`query<Row>(`, `sql<T[]>\``),
   * or k itself when sigs[k] is not `>`; -1 when unbalanced. Bounded so that `a < b > (c)` stays cheap.
   */
  private skipTypeArguments(k: number): number {
    const sigs = this.sigs;
    if (sigs[k]?.k !== 'punct' || !/^>{1,3}$/.test(sigs[k].v)) return k;
    let depth = 0;
    const stop = Math.max(0, k - 40);
    for (; k >= stop; k--) {
      if (sigs[k].k !== 'punct') continue;
      const v = sigs[k].v;
      if (v === '>') depth++;
      else if (v === '>>') depth += 2;
      else if (v === '>>>') depth += 3;
      else if (v === '<') depth--;
      if (depth === 0) return k - 1;
    }
    return -1;
  }

  /** Index of the `(` matching the `)` at sigs[k], or -1 (bounded: tags are short calls). */
  private matchingOpenParen(k: number): number {
    const sigs = this.sigs;
    let depth = 0;
    for (let j = k; j >= Math.max(0, k - 200); j--) {
      if (sigs[j].k !== 'punct') continue;
      if (sigs[j].v === ')') depth++;
      else if (sigs[j].v === '(' && --depth === 0) return j;
    }
    return -1;
  }

  /** `const name = <literal>` / `let name: string = <literal>`: the bound name. */
  private bindingBefore(i: number): string | undefined {
    const sigs = this.sigs;
    if (sigs[i - 1]?.v !== '=' || sigs[i - 1].k !== 'punct') return undefined;
    let k = i - 2;
    if (sigs[k]?.k === 'id' && sigs[k - 1]?.v === ':' && sigs[k - 2]?.k === 'id') k -= 2;
    const name = sigs[k];
    if (name?.k !== 'id') return undefined;
    const decl = sigs[k - 1];
    if (decl?.k === 'id' && (decl.v === 'const' || decl.v === 'let' || decl.v === 'var')) return name.v;
    return undefined;
  }

  /** The literal and the literals joined to it by `+` (`'INSERT INTO t ' + 'VALUES (1)'`). */
  private chainFrom(lit: Literal): Literal[] {
    const sigs = this.sigs;
    const lits = [lit];
    let cur = lit;
    for (;;) {
      const plus = sigs[cur.last + 1];
      const next = sigs[cur.last + 2];
      if (plus?.k !== 'punct' || plus.v !== '+' || !next?.lit || (next.k !== 'str' && next.k !== 'tpl')) break;
      const after = sigs[next.lit.last + 1];
      // `'a' + 'b'.trim()` binds the method to 'b' alone: stop before it.
      if (after?.k === 'punct' && (after.v === '.' || after.v === '?.' || after.v === '[' || after.v === '(')) break;
      if (after?.k === 'tpl') break;
      cur = next.lit;
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
      hostStart: c.lits[0].chunks[0].host,
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

