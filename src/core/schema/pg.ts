/**
 * The one wrapper around libpg-query (PostgreSQL's own grammar in WASM): loaded once on first use,
 * then a tolerant, offset-exact facade: a file is parsed whole when it can be, else statement by
 * statement, and a statement that does not parse is skipped (psql meta-commands, template
 * placeholders, deliberate errors), never thrown. `parseSql` reports why a text does not parse.
 */
import { statementBounds } from '../facts';
import { isIdentPart, wordEq } from '../lexer';

// Required on first use: requiring libpg-query starts instantiating its WASM module at once.
type PgQuery = { loadModule(): Promise<void>; parseSync(sql: string): any };
let mod: PgQuery | undefined;
let ready = false;
let loading: Promise<void> | undefined;

function pg(): PgQuery {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  mod ??= require('libpg-query') as PgQuery;
  return mod;
}

/** Hears each tree the parser makes (tests: how many are alive at once). */
let treeObserver: ((tree: object) => void) | undefined;

/** Sets (or, with no argument, removes) the observer of the trees the parser makes. */
export function observeParseTrees(observer?: (tree: object) => void): void {
  treeObserver = observer;
}

function parseSync(sql: string): any {
  // A rejected text throws an error whose stack nobody reads (the message and cursor are what is
  // used): not captured, as the analyzer meets hundreds of rejections in a test suite's SQL.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let tree: any;
  try {
    tree = pg().parseSync(sql);
  } finally {
    Error.stackTraceLimit = limit;
  }
  if (treeObserver && tree) treeObserver(tree);
  return tree;
}

/** Loads the WASM parser once; every later call resolves immediately. */
export function ensureParser(): Promise<void> {
  if (ready) return Promise.resolve();
  loading ??= pg()
    .loadModule()
    .then(() => {
      ready = true;
    });
  return loading;
}

/** True once ensureParser() has resolved: the sync functions below work only then. */
export function parserReady(): boolean {
  return ready;
}

/** A parse that PostgreSQL's grammar accepted. */
export interface PgParseOk {
  ok: true;
  /** `stmts` of libpg-query's result, locations in UTF-8 bytes (see `byteToUtf16Mapper`). */
  stmts: any[];
  tree: any;
}
/** Why PostgreSQL's grammar rejects a text. */
export interface PgParseError {
  ok: false;
  message: string;
  /** UTF-16 offset into the parsed text where PostgreSQL reports the error, if known. */
  offset?: number;
}

/**
 * Parses SQL text with PostgreSQL's error message and position when it is rejected (uncached: for
 * tests and messages; the analyzer uses tryParse). Undefined until ensureParser() resolved. Never throws.
 */
export function parseSql(sql: string): PgParseOk | PgParseError | undefined {
  if (!ready) return undefined;
  // The WASM parser's memory grows by ~80 bytes per byte parsed and never shrinks.
  if (sql.length > MAX_PARSE_CHARS) return { ok: false, message: `not parsed: longer than ${MAX_PARSE_CHARS} characters` };
  try {
    const tree = parseSync(sql);
    return { ok: true, stmts: tree?.stmts ?? [], tree };
  } catch (e: any) {
    const pos = e?.sqlDetails?.cursorPosition;
    return {
      ok: false,
      message: String(e?.message ?? e),
      // PostgreSQL reports the error cursor in characters (code points), 0-based here.
      offset: typeof pos === 'number' && pos >= 0 ? codePointToUtf16(sql, pos) : undefined,
    };
  }
}

/** True when PostgreSQL's grammar accepts the text; undefined until the parser is loaded. */
export function pgAccepts(sql: string): boolean | undefined {
  const r = parseSql(sql);
  return r === undefined ? undefined : r.ok;
}

/** Converts a code point index into `text` to a UTF-16 offset. */
export function codePointToUtf16(text: string, cp: number): number {
  let i = 0;
  for (let n = 0; n < cp && i < text.length; n++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}

/** One raw statement node with its range in the original text (UTF-16 offsets). */
export interface ParsedStatement {
  /** The libpg-query node, e.g. `{ CreateStmt: {...} }`. */
  stmt: any;
  /** Start of the statement's first token (leading blanks and comments skipped). */
  start: number;
  /** End of the statement (before its `;`). */
  end: number;
  /** The text the AST's locations index (same length as the original; placeholders neutralized). */
  text: string;
  /** Converts an AST location (byte offset into the parsed piece) to a UTF-16 offset in the file. */
  offset(byteLocation: number): number;
}

// Parse results by statement text. The editor re-analyzes the whole document on every change, and
// almost every statement's text is the same as last time: its tree (locations relative to the text,
// so position-independent) is reused instead of another WASM parse. Rejections are kept too (an
// error costs as much as a parse). Callers must treat the trees as read-only.
const CACHE_MAX_TEXT = 20_000;
// about 40 bytes of heap per cached character: some 20 MB at most, room for a 5,000-line script and more
const CACHE_MAX_CHARS = 500_000;

/**
 * A copy of `s` that holds no reference to a larger string. A slice of a document is a view into
 * it: kept as a cache key it would keep every old version of the document alive.
 */
export function ownCopy(s: string): string {
  // (shorter slices are copies already.) Joining two parts writes a new flat string, which refers to
  // neither part: 6 µs per 100 KB, where a JSON round trip took 187 µs. Joining one part returns it.
  if (s.length < 13) return s;
  const half = s.length >> 1;
  return [s.slice(0, half), s.slice(half)].join('');
}

/**
 * A cache by text, bounded by the characters of its keys (`maxChars`). Two generations: entries go
 * into the young one; when it holds half the bound, it becomes the old one and the old one is
 * dropped; an old entry read again moves back to the young one. So what is used while a document
 * is edited stays, a hit costs one lookup, and keys are stored as own copies (see `ownCopy`).
 */
export class TextCache<V> {
  private young = new Map<string, { key: string; value: V }>();
  private old = new Map<string, { key: string; value: V }>();
  private youngChars = 0;

  constructor(private maxChars: number) {}

  /** The characters of keys held from now on (the entries are dropped when it shrinks). */
  resize(maxChars: number): void {
    if (maxChars < this.maxChars) this.clear();
    this.maxChars = maxChars;
  }

  get(text: string): V | undefined {
    const y = this.young.get(text);
    if (y !== undefined) return y.value;
    const o = this.old.get(text);
    if (o === undefined) return undefined;
    this.old.delete(text);
    this.add(o);
    return o.value;
  }

  set(text: string, value: V): void {
    // a cache sized to nothing keeps nothing (not even a copy of the key)
    if (this.maxChars === 0) return;
    const y = this.young.get(text);
    if (y !== undefined) y.value = value;
    else {
      this.old.delete(text);
      this.add({ key: ownCopy(text), value });
    }
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
    this.youngChars = 0;
  }

  private add(e: { key: string; value: V }): void {
    this.young.set(e.key, e);
    this.youngChars += e.key.length;
    if (this.youngChars > this.maxChars / 2) {
      this.old = this.young;
      this.young = new Map();
      this.youngChars = 0;
    }
  }
}

const parseCache = new TextCache<any | null>(CACHE_MAX_CHARS);

/**
 * Bounds the parse cache to `maxChars` characters of statement text (the editor's budget is
 * CACHE_MAX_CHARS; 0 keeps nothing). A run that reads each file once (`dupguard lint`) gains nothing
 * from one (see `sizeForCliRun`), and the trees it holds for a while are promoted to the old
 * generation and die there: a big file's run then peaks at a heap several times its live data.
 */
export function sizeParseCache(maxChars: number): void {
  parseCache.resize(maxChars);
}

/**
 * The longest text handed to the parser in one call (characters). PostgreSQL's parser in WASM needs
 * about 80 bytes per input byte for the tree and its JSON, and its memory never shrinks: a longer
 * statement is not parsed (the checks that read parse trees skip it; `oversizedStatements` lists them),
 * and a file longer than WHOLE_PARSE_MAX_CHARS is parsed statement by statement.
 */
export const MAX_PARSE_CHARS = 1 << 20;
/** Files up to this length are parsed in one call (fewer calls); longer ones statement by statement. */
export const WHOLE_PARSE_MAX_CHARS = 1 << 16;

/** Parses `sql` or returns undefined when it is not valid PostgreSQL (or longer than MAX_PARSE_CHARS). Parser must be ready. Cached by text; do not mutate the tree. */
export function tryParse(sql: string): any | undefined {
  if (!parserReady() || sql.length > MAX_PARSE_CHARS) return undefined;
  const cacheable = sql.length <= CACHE_MAX_TEXT;
  if (cacheable) {
    const hit = parseCache.get(sql);
    if (hit !== undefined) return hit ?? undefined;
  }
  let tree: any;
  try {
    tree = parseSync(sql);
  } catch {
    tree = undefined;
  }
  if (cacheable) parseCache.set(sql, tree ?? null);
  return tree;
}

/** Maps UTF-8 byte offsets of `text` to UTF-16 offsets; identity for ASCII text. */
export function byteToUtf16Mapper(text: string): (byte: number) => number {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return (b) => Math.min(b, text.length);
  const starts: number[] = []; // byte offset of each UTF-16 index
  let byte = 0;
  for (let i = 0; i < text.length; i++) {
    starts.push(byte);
    const c = text.charCodeAt(i);
    if (c < 0x80) byte += 1;
    else if (c < 0x800) byte += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      // surrogate pair: 4 bytes for two code units; the low half shares the position
      starts.push(byte);
      byte += 4;
      i++;
    } else byte += 3;
  }
  starts.push(byte);
  return (b) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= b) lo = mid;
      else hi = mid - 1;
    }
    // the start of a surrogate pair, not its low half (which shares the byte position)
    if (lo > 0 && starts[lo - 1] === starts[lo]) lo--;
    return lo;
  };
}

/** Skips blanks and comments from `i`; returns the offset of the next token. */
export function skipTrivia(text: string, i: number, end = text.length): number {
  while (i < end) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') i++;
    else if (c === '-' && text[i + 1] === '-') {
      while (i < end && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < end && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') { depth++; i += 2; }
        else if (text[i] === '*' && text[i + 1] === '/') { depth--; i += 2; }
        else i++;
      }
    } else break;
  }
  return i;
}

/**
 * Splits SQL text into statement ranges at top-level semicolons, aware of quotes, dollar quotes,
 * comments, psql meta-command lines (`\set ...`, their own piece) and COPY ... FROM stdin data.
 */
export function splitSql(text: string): Array<[number, number]> {
  const flat = splitSqlFlat(text);
  const out: Array<[number, number]> = [];
  for (let k = 0; k < flat.length; k += 2) out.push([flat[k], flat[k + 1]]);
  return out;
}

/**
 * splitSql's ranges as one flat list, start and end of each in turn: a pair array per statement
 * was 80 bytes of garbage a statement for a caller that walks them once (parseEach: the 121,000
 * statements of the regression folder as one file, twice a run).
 */
function splitSqlFlat(text: string): number[] {
  const out: number[] = [];
  eachSqlStatement(text, (s, e) => { out.push(s, e); });
  return out;
}

/**
 * Hands splitSql's ranges to `visit` in order, start and end of each, and keeps none: a caller that
 * wants a few of them (the oversized ones) makes no list of every statement.
 */
function eachSqlStatement(text: string, visit: (start: number, end: number) => void): void {
  // (character codes, not one-character strings: the optimizing compiler made a large, often
  // re-made function of the string comparisons)
  let start = 0;
  let i = 0;
  const n = text.length;
  const push = (s: number, e: number) => {
    const a = skipTrivia(text, s, e);
    if (a < e) visit(a, e);
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 39 /* ' */) {
      const p = text.charCodeAt(i - 1);
      const escapes = (p === 69 /* E */ || p === 101 /* e */) && !isWordOrDollar(text.charCodeAt(i - 2));
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (escapes && d === 92 /* \ */) { i += 2; continue; }
        if (d === 39) {
          if (text.charCodeAt(i + 1) === 39) { i += 2; continue; }
          break;
        }
        i++;
      }
      i++;
    } else if (c === 34 /* " */) {
      i++;
      while (i < n && !(text.charCodeAt(i) === 34 && text.charCodeAt(i + 1) !== 34)) i += text.charCodeAt(i) === 34 ? 2 : 1;
      i++;
    } else if (c === 36 /* $ */ && !isWordOrDollar(text.charCodeAt(i - 1))) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 64));
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length);
        i = close < 0 ? n : close + m[0].length;
      } else i++;
    } else if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
      while (i < n && text.charCodeAt(i) !== 10 /* \n */) i++;
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      i = skipTrivia(text, i, n);
      if (i === start) i++;
    } else if (c === 92 /* \ */) {
      // psql meta-command (anywhere outside quotes): the query so far ends, the command runs to end of line
      push(start, i);
      let e = text.indexOf('\n', i);
      if (e < 0) e = n;
      visit(i, e);
      i = e;
      start = i;
    } else if (c === 59 /* ; */) {
      push(start, i);
      i++;
      const from = start;
      start = i;
      // (a statement whose first word is not COPY, or that does not say `stdin`, is no COPY FROM
      // stdin: no slice of it, no copy of it without its comments)
      if (!startsWithCopy(text, from, i)) continue;
      const stmtText = text.slice(from, i);
      if (/stdin/i.test(stmtText) && /^\s*copy\b[\s\S]*\bfrom\s+stdin\b/i.test(stmtText.replace(/--[^\n]*/g, ''))) {
        // data follows up to a line `\.`
        const m = /\n\\\.[ \t]*(\r?\n|$)/.exec(text.slice(i));
        if (m) {
          i += m.index + m[0].length;
          start = i;
        }
      }
    } else i++;
  }
  push(start, n);
}

/**
 * Whether text[from, to) starts with the word COPY once its leading white space and `--` comments are
 * skipped: what eachSqlStatement's COPY test requires of a statement first (it strips `--` comments, then
 * asks for `copy` after white space alone).
 */
function startsWithCopy(text: string, from: number, to: number): boolean {
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f || c === 0x3000) i++;
    else if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
      while (i < to && text.charCodeAt(i) !== 10) i++;
    } else break;
  }
  if (i + 4 > to || !wordEq(text, i, i + 4, 'copy')) return false;
  return i + 4 >= to || !isWordOrDollar(text.charCodeAt(i + 4)) || text.charCodeAt(i + 4) === 36;
}

/** True for the code of an ASCII letter, digit, `_` or `$` (what `/[\w$]/` matches; false for NaN, before the text). */
function isWordOrDollar(c: number): boolean {
  return c < 128 && isIdentPart(c);
}

/**
 * True for a schema name written as a template placeholder: psql `:SCHEMA` / `:'schema'`, Go
 * `{{ .Namespace }}` (quoted, it parses as that name), `${schema}`, Python `{schema}`. Its tables
 * are filed under the search path, and a name qualified by one resolves like an unqualified name.
 */
export function isTemplatedSchema(schema: string | undefined): boolean {
  if (schema === undefined || schema.length === 0) return false;
  const c = schema.charCodeAt(0);
  return c === 58 /* : */ || c === 123 /* { */ || (c === 36 /* $ */ && schema.charCodeAt(1) === 123);
}

/**
 * Replaces template placeholders with identifiers of the same length so the statement parses:
 * Go templates `{{ ... }}`, JS interpolations `${...}` and psql variables `:NAME`, `:'NAME'`, `:"NAME"`. Returns the identifiers
 * used (lower-cased as PostgreSQL folds them) so callers can tell a placeholder schema from a real one.
 */
export function neutralizePlaceholders(sql: string): { text: string; names: Set<string> } {
  const names = new Set<string>();
  let text = sql.replace(/\{\{[^\n]*?\}\}|\$\{[^}\n]*\}/g, (m) => {
    const id = ('_tpl' + '_'.repeat(m.length)).slice(0, m.length);
    names.add(id);
    return id;
  });
  text = text.replace(/(^|[^:\w])(:['"]?)([A-Za-z_][A-Za-z0-9_]*)(['"]?)/g, (m, pre: string, open: string, name: string, close: string) => {
    if (open.length === 2 && close !== open[1]) return m;
    const id = ('_' + '_'.repeat(open.length - 1) + name + (close ? '_' : '')).toLowerCase();
    names.add(id);
    return pre + id;
  });
  return { text, names };
}

/** Parses `text` tolerantly: whole file first, else each statement; unparsable ones are skipped. */
export function parseTolerant(text: string, options: { placeholders?: Set<string> } = {}): Iterable<ParsedStatement> {
  if (!parserReady()) return [];
  // A long file: one statement at a time, each tree made when the caller gets to it (so a caller that
  // uses and drops each one holds one tree at a time, not the whole file's).
  if (text.length > WHOLE_PARSE_MAX_CHARS) return parseEach(text, options.placeholders);
  const whole = tryParse(text);
  if (whole) return fromParse(whole, text, 0, text.length);
  // templated migrations (`:SCHEMA.t`, `{{ .Namespace }}.t`) usually parse whole once neutralized
  const neutral = neutralizePlaceholders(text);
  if (neutral.text !== text) {
    const parsed = tryParse(neutral.text);
    if (parsed) {
      for (const n of neutral.names) options.placeholders?.add(n);
      return fromParse(parsed, neutral.text, 0, text.length);
    }
  }
  const out: ParsedStatement[] = [];
  for (const [s, e] of statementRanges(text)) out.push(...parseRange(text, s, e, 0, options.placeholders));
  return out;
}

/**
 * The statements over MAX_PARSE_CHARS of the last text longer than that parseEach split, for
 * oversizedStatements: lint asks for them right after the schema build parsed the file (splitting
 * 20 MB again cost more than a second). One entry, dropped when read.
 */
let lastOversized: { text: string; ranges: Array<[number, number]> } | undefined;

function* parseEach(text: string, placeholders?: Set<string>, keep?: (s: number, e: number) => boolean): Generator<ParsedStatement> {
  // splitSql, not the core lexer: the same statement bounds without a token array for the whole file.
  const ranges = splitSqlFlat(text);
  if (text.length > MAX_PARSE_CHARS) {
    const over: Array<[number, number]> = [];
    for (let k = 0; k < ranges.length; k += 2) if (ranges[k + 1] - ranges[k] > MAX_PARSE_CHARS) over.push([ranges[k], ranges[k + 1]]);
    lastOversized = { text, ranges: over };
  }
  for (let k = 0; k < ranges.length; k += 2) {
    const s = ranges[k];
    const e = ranges[k + 1];
    // (a psql meta-command line is its own piece; parseRange skips it)
    if (keep && !keep(s, e)) continue;
    yield* parseRange(text, s, e, 0, placeholders);
  }
}

/**
 * As parseTolerant, for a caller that reads only some statements (`keep(start, end)` of a statement
 * from its first token, before its `;`): the others are never given to the parser. A short text is
 * parsed in one call with every other statement blanked out (same length, so every offset holds;
 * what is left out can no longer make the whole text fail); else statement by statement as
 * parseTolerant does, the left-out ones skipped. Yields what parseTolerant yields for the kept ones.
 */
export function parseSelected(text: string, keep: (s: number, e: number) => boolean, options: { placeholders?: Set<string> } = {}): Iterable<ParsedStatement> {
  if (!parserReady()) return [];
  if (text.length > WHOLE_PARSE_MAX_CHARS) return parseEach(text, options.placeholders, keep);
  // The statements as splitSql sees them (no token array): the core lexer's bounds differ only for
  // bodies that hold `;` without quotes (BEGIN ATOMIC, CREATE RULE ... (a; b)), which take its way.
  let ranges = (/\b(atomic|rule)\b/i.test(text) ? statementRanges(text) : splitSql(text)).filter(([s, e]) => keep(s, e));
  if (ranges.length === 0) return [];
  const blanked = blankOutside(text, ranges);
  const whole = tryParse(blanked);
  if (whole) return fromParse(whole, blanked, 0, text.length);
  // as parseTolerant from here: the core lexer's statements, parsed one by one
  ranges = statementRanges(text).filter(([s, e]) => keep(s, e));
  const blankedAll = blankOutside(text, ranges);
  const neutral = neutralizePlaceholders(blankedAll);
  if (neutral.text !== blankedAll) {
    const parsed = tryParse(neutral.text);
    if (parsed) {
      for (const n of neutral.names) options.placeholders?.add(n);
      return fromParse(parsed, neutral.text, 0, text.length);
    }
  }
  const out: ParsedStatement[] = [];
  for (const [s, e] of ranges) out.push(...parseRange(text, s, e, 0, options.placeholders));
  return out;
}

/** `text` with every UTF-16 unit outside `ranges` (sorted) a blank, except the `;` that ends a range. */
function blankOutside(text: string, ranges: Array<[number, number]>): string {
  const parts: string[] = [];
  let at = 0;
  for (const [s, e] of ranges) {
    if (s > at) parts.push(' '.repeat(s - at));
    parts.push(text.slice(s, e));
    at = e;
    if (text.charCodeAt(e) === 59 /* ; */) {
      parts.push(';');
      at = e + 1;
    }
  }
  if (at < text.length) parts.push(' '.repeat(text.length - at));
  return parts.join('');
}

/** Top-level statement ranges by the core splitter (psql commands left out); `splitSql` if it fails. */
export function statementRanges(text: string): Array<[number, number]> {
  try {
    // (the core lexer's split without its facts: a fallback parse needs where statements are, nothing else)
    return statementBounds(text)
      .filter((st) => st.kind !== 'psql')
      .map((st): [number, number] => [st.start, st.terminator >= 0 ? st.terminator : st.end]);
  } catch {
    return splitSql(text);
  }
}

/**
 * Parses text[s, e) as one or more statements; `base` is added to every offset (for text that is
 * itself a slice of a file). Tries again with template placeholders neutralized; else nothing.
 */
export function parseRange(text: string, s: number, e: number, base = 0, placeholders?: Set<string>): ParsedStatement[] {
  if (!ready) return [];
  const piece = text.slice(s, e);
  if (piece.startsWith('\\')) return [];
  let parsed = tryParse(piece);
  let pieceText = piece;
  if (!parsed) {
    const neutral = neutralizePlaceholders(piece);
    if (neutral.text !== piece) {
      parsed = tryParse(neutral.text);
      pieceText = neutral.text;
      if (parsed) for (const n of neutral.names) placeholders?.add(n);
    }
  }
  return parsed ? fromParse(parsed, pieceText, base + s, base + e) : [];
}

/**
 * True when parseRange() finds nothing in `piece` (a statement's text): the grammar rejects it as
 * written and with its placeholders neutralized, so it adds nothing to a DDL model. Parser must be ready.
 */
export function rejectedPiece(piece: string): boolean {
  if (piece.startsWith('\\')) return true;
  if (tryParse(piece)) return false;
  const neutral = neutralizePlaceholders(piece);
  return neutral.text === piece || tryParse(neutral.text) === undefined;
}

function fromParse(parsed: any, pieceText: string, base: number, pieceEnd: number): ParsedStatement[] {
  const toUtf16 = byteToUtf16Mapper(pieceText);
  const out: ParsedStatement[] = [];
  for (const raw of parsed?.stmts ?? []) {
    const loc = raw.stmt_location ?? 0;
    const rawStart = base + toUtf16(loc);
    const rawEnd = raw.stmt_len ? base + toUtf16(loc + raw.stmt_len) : pieceEnd;
    out.push({
      stmt: raw.stmt,
      start: base + skipTrivia(pieceText, rawStart - base, rawEnd - base),
      end: rawEnd,
      text: pieceText,
      offset: (b: number) => base + toUtf16(b),
    });
  }
  return out;
}

/**
 * Statements of `text` longer than MAX_PARSE_CHARS (the parser never sees them), as [start, end)
 * ranges: what a report notes as not analyzed. Cheap for a text shorter than the limit.
 */
export function oversizedStatements(text: string, limit = MAX_PARSE_CHARS): Array<[number, number]> {
  if (text.length <= limit) return [];
  const known = lastOversized;
  if (limit === MAX_PARSE_CHARS && known !== undefined && known.text === text) {
    lastOversized = undefined;
    return known.ranges;
  }
  const over: Array<[number, number]> = [];
  eachSqlStatement(text, (s, e) => {
    if (e - s > limit) over.push([s, e]);
  });
  return over;
}
