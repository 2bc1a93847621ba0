/**
 * Statements and the facts rules reason on: what a statement writes to (INSERT target, ON CONFLICT
 * arbiter, COPY target and source, TRUNCATE/DELETE targets, CREATE TABLE, MERGE), transaction
 * boundaries, and the statements inside dollar-quoted function and DO bodies (positions stay file
 * offsets). Built from the lexer's tokens only; rules that need certainty ask the engine for a
 * statement's parse (RuleContext.ast).
 */
import {
  CREATE_MODIFIERS, CREATE_OF_INTEREST, isIdentPart, LEX_FORMAT, LEX_SKIM, lex as lexImport, lookupWord as lookupWordImport, T, Tokens,
  wordEq as wordEqImport, wordTable,
} from './lexer';
import { quoteIdent, quoteQualified } from './quote';

// Imported functions and token kinds as local constants: a cross-module enum read costs a property load per token under tsx.
const lex = lexImport;
const wordEq = wordEqImport;
const lookupWord = lookupWordImport;
const T_BLOCKCOMMENT: number = T.BlockComment;
const T_COMMA: number = T.Comma;
const T_COPYDATA: number = T.CopyData;
const T_DOLLAR: number = T.Dollar;
const T_DOT: number = T.Dot;
const T_LPAREN: number = T.LParen;
const T_LINECOMMENT: number = T.LineComment;
const T_OPERATOR: number = T.Operator;
const T_PSQLMETA: number = T.PsqlMeta;
const T_PSQLVAR: number = T.PsqlVar;
const T_QIDENT: number = T.QIdent;
const T_RPAREN: number = T.RParen;
const T_SEMI: number = T.Semi;
const T_STRING: number = T.String;
const T_TEMPLATE: number = T.Template;
const T_WORD: number = T.Word;
const T_SKIPPED: number = T.Skipped;

/** A half-open offset range [start, end) in the analyzed text. */
export interface Span {
  start: number;
  end: number;
}

/** A table name as PostgreSQL resolves it: unquoted parts folded to lower case, quotes removed. */
export interface TableRef extends Span {
  /** Schema when qualified (a catalog prefix, if any, is dropped). */
  schema?: string;
  name: string;
  /** The name exactly as written, e.g. `Breezeway."Task_Photos"`. */
  raw: string;
}

/** A column name (normalized) with its offsets. */
export interface ColumnRef extends Span {
  name: string;
}

export type ConflictTarget =
  | { kind: 'none' }
  /** `(a, b) [WHERE ...]`: `columns` are normalized names, or an element's SQL text when it is an expression. */
  | { kind: 'columns'; columns: string[]; span: Span; expression: boolean; where?: Span }
  /** `ON CONSTRAINT name`. */
  | { kind: 'constraint'; name: string; span: Span };

/** An INSERT's ON CONFLICT clause. */
export interface OnConflictFacts extends Span {
  /** From `ON` to the end of `DO NOTHING` / `DO UPDATE` (what an editor underlines). */
  head: Span;
  /** Offset just after `CONFLICT`: where a conflict target is inserted. */
  afterConflict: number;
  target: ConflictTarget;
  action: 'nothing' | 'update' | 'unknown';
  /** The `DO NOTHING` / `DO UPDATE` words. */
  actionSpan?: Span;
  /** `DO UPDATE SET ...` predicate, if any. */
  updateWhere?: Span;
}

export interface InsertFacts extends Span {
  table: TableRef;
  alias?: string;
  columns?: ColumnRef[];
  /** How rows are produced. */
  source: 'values' | 'select' | 'default-values' | 'unknown';
  /** Span of the VALUES list / query producing the rows. */
  sourceSpan?: Span;
  /**
   * `VALUES (..), (..)` rows (source 'values'), each with its cells' spans, in order; a cell that is
   * a placeholder (`$1`, `%s`, `${x}`) is a span like any other.
   */
  rows?: Array<{ span: Span; cells: Span[] }>;
  /** Tables the row-producing query reads (FROM / JOIN / USING), in order. */
  reads: TableRef[];
  onConflict?: OnConflictFacts;
  returning: boolean;
  /** True when the INSERT is a data-modifying CTE or the main statement after WITH. */
  inWith: boolean;
}

export interface CopyFacts {
  /** Target (FROM) or source (TO) table; absent for `COPY (query) TO`. */
  table?: TableRef;
  columns?: ColumnRef[];
  query?: Span;
  direction: 'from' | 'to' | 'unknown';
  /** `stdin`/`stdout`, a file name, a PROGRAM, or psql's `pstdin`/`pstdout`. */
  endpoint: 'stdin' | 'stdout' | 'file' | 'program' | 'unknown';
  /** The file name / program / variable text as written. */
  endpointText?: string;
  /** psql `\copy` (client side) rather than the server COPY. */
  meta: boolean;
  /** The inline data block (rows up to `\.`), when the script carries one. */
  data?: Span;
  /** End of the statement's first line (what an editor underlines). */
  firstLineEnd: number;
}

export interface CreateTableFacts {
  table: TableRef;
  temp: boolean;
  unlogged: boolean;
  ifNotExists: boolean;
  onCommit?: 'drop' | 'delete-rows' | 'preserve-rows';
  /** `(LIKE other ...)` source, if any. */
  like?: TableRef;
  /** `CREATE TABLE ... AS query` / `SELECT ... INTO`. */
  asQuery: boolean;
  partitionOf?: TableRef;
}

export interface MergeFacts {
  table: TableRef;
  /** `USING <source>` up to `ON`: a table or a parenthesized query. */
  using?: Span;
  usingTable?: TableRef;
  /** The join condition after `ON`, up to the first WHEN. */
  on?: Span;
  insertsWhenNotMatched: boolean;
}

export interface FunctionBody {
  /** Body text range (inside the quotes). */
  span: Span;
  language: string;
  /** The body's tokens (file offsets), when it was lexed (SQL and plpgsql bodies). */
  tokens?: Tokens;
  /** Statements found inside, with file offsets. */
  statements: Statement[];
}

export type StatementKind =
  | 'insert' | 'copy' | 'truncate' | 'delete' | 'update' | 'merge' | 'select' | 'with'
  | 'create-table' | 'create-function' | 'create-index' | 'alter-table' | 'do'
  | 'begin' | 'commit' | 'rollback' | 'savepoint' | 'psql' | 'other';

/** One SQL statement (top level, or inside a function body) with its facts. */
export interface Statement extends Span {
  kind: StatementKind;
  /** First word, lower case ('' for psql commands and odd starts). */
  keyword: string;
  /** Offset of the terminating `;`, or -1. */
  terminator: number;
  /**
   * The token stream holding this statement: tokens[first, last). A statement the lexer skimmed
   * (LEX_SKIM) is lexed in full on the first read of these.
   */
  readonly tokens: Tokens;
  readonly first: number;
  readonly last: number;
  /** The whole analyzed text (what offsets point into), without lexing anything. */
  readonly source: string;
  /**
   * Whether the statement spells `word` (lower case) as a word, in any case: a cheap test before
   * asking for facts. May say yes for a word inside a string or comment; never says no wrongly.
   */
  mentions(word: string): boolean;
  /** 0 at top level, 1 inside a function/DO body, and so on. */
  depth: number;
  /** Position in its document's `all`. */
  readonly index: number;
  parent?: Statement;
  /**
   * Transaction id: statements sharing it run in one transaction (explicit BEGIN...COMMIT, or the
   * whole enclosing function). Autocommit statements get their own id.
   */
  txn: number;
  /** True between an explicit BEGIN/START TRANSACTION and its COMMIT/ROLLBACK (top level). */
  inExplicitTxn: boolean;
  /** INSERTs of this statement: the main one and data-modifying CTEs (read-only; often a shared empty list). */
  readonly inserts: InsertFacts[];
  /**
   * The INSERTs of `inserts` that have an ON CONFLICT clause (read-only). A statement that does not
   * spell CONFLICT has none, and its INSERT facts are not extracted to say so.
   */
  readonly upserts: InsertFacts[];
  copy?: CopyFacts;
  truncate?: TableRef[];
  readonly delete?: TableRef;
  readonly update?: TableRef;
  readonly createTable?: CreateTableFacts;
  readonly merge?: MergeFacts;
  /** CREATE [OR REPLACE] [MATERIALIZED] VIEW name. */
  createView?: TableRef;
  /** CREATE [UNIQUE] INDEX ... ON table (columns). */
  createIndex?: { unique: boolean; name?: string; table: TableRef; columns: string[]; where?: Span };
  body?: FunctionBody;
  /** The statement's text. */
  text(): string;
}

/** A parsed SQL document. */
export interface SqlDocument {
  text: string;
  tokens: Tokens;
  /** Top-level statements in order. */
  statements: Statement[];
  /** Every statement, nested ones included, ordered by start offset. */
  all: Statement[];
  /** The file is pg_dump output (a restore script). */
  pgDump: boolean;
  /** The statements of `all` of one kind, in order (computed for every kind on the first call). */
  ofKind(kind: StatementKind): Statement[];
  /** The statements of `all` whose kind is one of `kinds`, in order (kept per `kinds` array). */
  ofKinds(kinds: readonly StatementKind[]): Statement[];
  /**
   * Ranges of SQL that sits inside a '...' string literal of the file (an old-style function body, a
   * plpgsql `EXECUTE '...'` / `EXECUTE format('...')`): text written there must double its quotes.
   */
  quoted: Span[];
  /** Comments mentioning `dupguard-ignore`, function bodies included (0: no suppression to look for). */
  directives: number;
}

const NO_STATEMENTS: Statement[] = Object.freeze([]) as unknown as Statement[];
/** ofKinds() keys, per kinds array (rules declare theirs once, as a constant). */
const kindsKeys = new WeakMap<readonly StatementKind[], string>();

class DocumentImpl implements SqlDocument {
  statements: Statement[] = [];
  all: Statement[] = [];
  quoted: Span[] = [];
  directives = 0;
  private byKind: Map<StatementKind, Statement[]> | undefined;
  /** For each kind, the indices in `all` of its statements (ascending): filled by parseDocument. */
  readonly indexByKind = new Map<StatementKind, number[]>();
  constructor(readonly text: string, readonly tokens: Tokens, readonly pgDump: boolean) {}
  ofKind(kind: StatementKind): Statement[] {
    let m = this.byKind;
    if (m === undefined) this.byKind = m = new Map();
    let out = m.get(kind);
    if (out === undefined) {
      out = [];
      const all = this.all;
      for (const i of this.indexByKind.get(kind) ?? []) out.push(all[i]);
      m.set(kind, out);
    }
    return out;
  }
  /** Keyed by the kinds as a set (rules asking for the same kinds share one list). */
  private kindLists: Map<string, Statement[]> | undefined;
  ofKinds(kinds: readonly StatementKind[]): Statement[] {
    if (kinds.length === 1) return this.ofKind(kinds[0]);
    let key = kindsKeys.get(kinds);
    if (key === undefined) kindsKeys.set(kinds, (key = [...new Set(kinds)].sort().join(',')));
    let out = this.kindLists?.get(key);
    if (out === undefined) {
      // The per-kind index lists merged in document order: the work is the statements listed, not all of them.
      const lists: number[][] = [];
      for (const k of kinds) {
        const l = this.indexByKind.get(k);
        if (l !== undefined && !lists.includes(l)) lists.push(l);
      }
      const all = this.all;
      out = [];
      if (lists.length === 1) for (const i of lists[0]) out.push(all[i]);
      else if (lists.length > 1) {
        const at = new Array<number>(lists.length).fill(0);
        for (;;) {
          let best = -1;
          for (let j = 0; j < lists.length; j++) {
            if (at[j] < lists[j].length && (best < 0 || lists[j][at[j]] < lists[best][at[best]])) best = j;
          }
          if (best < 0) break;
          out.push(all[lists[best][at[best]++]]);
        }
      }
      (this.kindLists ??= new Map()).set(key, out);
    }
    return out;
  }
}

/** Plpgsql words after which a new SQL statement may start within a `;`-separated segment. */
const PLPGSQL_BOUNDARY = wordTable(['then', 'else', 'loop', 'begin', 'declare', 'exception', 'atomic', 'query']);
const BODY_DML = wordTable(['insert', 'copy', 'merge', 'truncate', 'delete', 'update', 'with', 'select', 'create', 'do']);
const KIND_BY_WORD: Record<string, StatementKind> = {
  insert: 'insert', copy: 'copy', truncate: 'truncate', delete: 'delete', update: 'update', merge: 'merge',
  select: 'select', values: 'select', table: 'select', with: 'with', do: 'do', begin: 'begin', start: 'begin', commit: 'commit', end: 'commit',
  rollback: 'rollback', abort: 'rollback', savepoint: 'savepoint', release: 'savepoint', alter: 'other', create: 'other',
  explain: 'other', prepare: 'other',
};

const MAX_BODY_DEPTH = 4;

/** KIND_BY_WORD keys by first letter, so the usual statement needs no lower-cased copy of its first word. */
const KEYWORDS_BY_LETTER: string[][] = [];
for (const w of Object.keys(KIND_BY_WORD)) (KEYWORDS_BY_LETTER[w.charCodeAt(0)] ??= []).push(w);

/** Statement keywords by first letter: KIND_BY_WORD's and other frequent ones (Statement.keyword returns these constants). */
const FIRST_WORDS_BY_LETTER: string[][] = KEYWORDS_BY_LETTER.map((l) => [...l]);
for (const w of ['drop', 'set', 'reset', 'grant', 'revoke', 'analyze', 'fetch', 'execute', 'vacuum', 'comment', 'declare', 'close',
  'lock', 'discard', 'notify', 'listen', 'refresh', 'reindex', 'cluster', 'show', 'call', 'move', 'deallocate', 'security', 'checkpoint']) {
  (FIRST_WORDS_BY_LETTER[w.charCodeAt(0)] ??= []).push(w);
}

/** The lower-case constant text[start, end) spells (any case) when it is a frequent first word; else undefined. */
function firstWord(text: string, start: number, end: number): string | undefined {
  const list = FIRST_WORDS_BY_LETTER[text.charCodeAt(start) | 0x20];
  if (list === undefined) return undefined;
  for (const w of list) if (wordEq(text, start, end, w)) return w;
  return undefined;
}

/** KIND_BY_WORD's kinds in the order of KEYWORDS_BY_LETTER's lists (no keyed property load per statement). */
const KINDS_BY_LETTER: StatementKind[][] = KEYWORDS_BY_LETTER.map((l) => l.map((w) => KIND_BY_WORD[w]));
/** What knownKeyword() found: the kind of the word it returned. */
let knownKind: StatementKind = 'other';

/** The KIND_BY_WORD key text[start, end) spells (any case), without allocating, its kind in `knownKind`; else undefined. */
function knownKeyword(text: string, start: number, end: number): string | undefined {
  const letter = text.charCodeAt(start) | 0x20;
  const list = KEYWORDS_BY_LETTER[letter];
  if (list === undefined) return undefined;
  const len = end - start;
  for (let i = 0; i < list.length; i++) {
    const w = list[i];
    if (w.length === len && wordEq(text, start, end, w)) {
      knownKind = KINDS_BY_LETTER[letter][i];
      return w;
    }
  }
  return undefined;
}

/** Normalizes one identifier token the PostgreSQL way. */
export function normIdent(text: string, start: number, end: number, type: number): string {
  if (type === T_QIDENT) {
    const q = text.charCodeAt(start) === 34 ? 1 : 3; // "x" or U&"x"
    const closed = end - start > q && text.charCodeAt(end - 1) === 34;
    return text.slice(start + q, closed ? end - 1 : end).replace(/""/g, '"');
  }
  if (type === T_WORD) return text.slice(start, end).toLowerCase();
  return text.slice(start, end);
}

/**
 * Token visits made while extracting facts, for tests that check the work stays linear in the
 * input (counting, not timing).
 */
export const work = { steps: 0 };

/** Scratch arrays for cursors, one set per nesting level (a body's statements are classified while the enclosing one's cursor lives). */
interface CurScratch { idx: Int32Array; depth: Int32Array; match: Int32Array; open: Int32Array }
const curScratch: CurScratch[] = [];
/** Nesting level of classify(): cursors of one level share its scratch arrays (one cursor lives per level). */
let curLevel = 0;

function scratchFor(n: number): CurScratch {
  let s = curScratch[curLevel];
  if (s === undefined || s.idx.length < n) {
    const cap = Math.max(n, 256, s === undefined ? 0 : s.idx.length * 2);
    s = { idx: new Int32Array(cap), depth: new Int32Array(cap), match: new Int32Array(cap), open: new Int32Array(cap) };
    curScratch[curLevel] = s;
  }
  return s;
}

/**
 * Cursor over a statement's non-comment tokens. Its arrays are views of per-level scratch memory
 * (statements are classified one at a time), so building one allocates no per-token storage.
 */
class Cur {
  readonly idx: Int32Array;
  readonly depthAt: Int32Array;
  /** For each `(`, the index of its `)` (or n); filled in one pass so close() is O(1). */
  private readonly match: Int32Array;
  private readonly count: number;
  constructor(readonly t: Tokens, first: number, last: number) {
    const s = scratchFor(last - first);
    const idx = s.idx, depthAt = s.depth, match = s.match, open = s.open;
    const types = t.types;
    let d = 0;
    let k = 0;
    let top = 0;
    for (let i = first; i < last; i++) {
      const ty = types[i];
      if (ty === T_LINECOMMENT || ty === T_BLOCKCOMMENT) continue;
      if (ty === T_RPAREN && d > 0) {
        d--;
        match[open[--top]] = k;
      }
      idx[k] = i;
      depthAt[k] = d;
      match[k] = -1;
      if (ty === T_LPAREN) { d++; open[top++] = k; }
      k++;
    }
    while (top > 0) match[open[--top]] = k;
    this.count = k;
    // idx and match are only read below index k (every reader checks or clamps against count);
    // depthAt is read by the fact parsers, sometimes past the end, so it gets an exact-length view.
    this.idx = idx;
    this.depthAt = depthAt.subarray(0, k);
    this.match = match;
    work.steps += k;
  }
  get n(): number { return this.count; }
  type(k: number): number { return k < this.count && k >= 0 ? this.t.types[this.idx[k]] : -1; }
  start(k: number): number { return this.t.starts[this.idx[Math.min(k, this.count - 1)]]; }
  end(k: number): number { return this.t.ends[this.idx[Math.min(k, this.count - 1)]]; }
  is(k: number, w: string): boolean {
    if (k < 0 || k >= this.count) return false;
    const i = this.idx[k];
    const t = this.t;
    return t.types[i] === T_WORD && wordEq(t.text, t.starts[i], t.ends[i], w);
  }
  word(k: number): string {
    return this.type(k) === T_WORD ? this.t.text.slice(this.start(k), this.end(k)).toLowerCase() : '';
  }
  /** Index of the matching `)` for the `(` at k (or n). */
  close(k: number): number {
    if (this.type(k) === T_LPAREN) return this.match[k];
    const d = this.depthAt[k];
    for (let j = k + 1; j < this.count; j++) if (this.type(j) === T_RPAREN && this.depthAt[j] === d) return j;
    return this.count;
  }
  /** First k' >= k at depth d whose word is `w`, else -1. */
  find(k: number, d: number, w: string): number {
    for (let j = k; j < this.count; j++) {
      work.steps++;
      if (this.depthAt[j] < d) return -1;
      if (this.depthAt[j] === d && this.is(j, w)) return j;
      // Nothing inside parentheses is at depth d: jump over them.
      if (this.depthAt[j] >= d && this.type(j) === T_LPAREN) j = this.close(j);
    }
    return -1;
  }
  /** Parses a possibly qualified name at k. */
  name(k: number): { ref: TableRef; next: number } | undefined {
    if (!isNamePart(this.type(k))) return undefined;
    const parts: string[] = [];
    let j = k;
    for (;;) {
      parts.push(normIdent(this.t.text, this.start(j), this.end(j), this.type(j)));
      if (this.type(j + 1) === T_DOT && isNamePart(this.type(j + 2))) j += 2;
      else break;
    }
    const start = this.start(k), end = this.end(j);
    const ref: TableRef = { name: parts[parts.length - 1], start, end, raw: this.t.text.slice(start, end) };
    if (parts.length > 1) ref.schema = parts[parts.length - 2];
    return { ref, next: j + 1 };
  }
  /** Comma-separated simple names inside the parens opening at k. */
  columns(k: number): { cols: ColumnRef[]; close: number } {
    const close = this.close(k);
    const cols: ColumnRef[] = [];
    for (let j = k + 1; j < close; j++) {
      if (this.depthAt[j] !== this.depthAt[k] + 1) continue;
      const ty = this.type(j);
      if ((ty === T_WORD || ty === T_QIDENT) && (j === k + 1 || this.type(j - 1) === T_COMMA)) {
        cols.push({ name: normIdent(this.t.text, this.start(j), this.end(j), ty), start: this.start(j), end: this.end(j) });
      }
    }
    return { cols, close };
  }
}

/** Token kinds a (qualified) name is made of. */
function isNamePart(ty: number): boolean {
  return ty === T_WORD || ty === T_QIDENT || ty === T_PSQLVAR || ty === T_TEMPLATE;
}

const TABLE_READ_WORDS = ['from', 'join', 'using'];
const STOP_ALIAS = new Set(['from', 'join', 'using', 'where', 'group', 'order', 'limit', 'on', 'union', 'left', 'right', 'inner', 'full', 'cross', 'natural', 'returning', 'having', 'window', 'except', 'intersect', 'select']);

/** Tables read between cursor positions [a, b) at any depth (FROM / JOIN items). */
function readsIn(c: Cur, a: number, b: number): TableRef[] {
  const out: TableRef[] = [];
  // Bounded per INSERT so nested, unclosed pathological input stays linear; real queries are far shorter.
  b = Math.min(b, a + 20000);
  for (let j = a; j < b; j++) {
    work.steps++;
    if (c.type(j) !== T_WORD) continue;
    let isFrom = false;
    for (const w of TABLE_READ_WORDS) if (c.is(j, w)) { isFrom = true; break; }
    if (!isFrom) continue;
    // FROM a, b JOIN c: take the first name, then names after commas at the same depth.
    let k = j + 1;
    const d = c.depthAt[j];
    for (;;) {
      if (c.is(k, 'only') || c.is(k, 'lateral')) k++;
      const nm = c.name(k);
      if (!nm || c.type(k) !== T_WORD && c.type(k) !== T_QIDENT) break;
      out.push(nm.ref);
      k = nm.next;
      // skip alias
      while (k < b && c.depthAt[k] === d && c.type(k) !== T_COMMA && !(c.type(k) === T_WORD && STOP_ALIAS.has(c.word(k)))) {
        work.steps++;
        if (c.type(k) === T_LPAREN) k = c.close(k) + 1; else k++;
      }
      if (c.type(k) === T_COMMA && c.depthAt[k] === d) { k++; continue; }
      break;
    }
    // Everything up to k was looked at: go on from there (keeps this linear).
    if (k - 1 > j) j = k - 1;
  }
  return out;
}

/** Rows of a VALUES list between cursor positions [a, b). */
function valuesRows(c: Cur, a: number, b: number): Array<{ span: Span; cells: Span[] }> {
  const rows: Array<{ span: Span; cells: Span[] }> = [];
  let k = a;
  while (k < b && c.type(k) === T_LPAREN) {
    const close = Math.min(c.close(k), b);
    const cells: Span[] = [];
    let cellStart = k + 1;
    for (let m = k + 1; m <= close; m++) {
      work.steps++;
      if (m === close || (c.type(m) === T_COMMA && c.depthAt[m] === c.depthAt[k] + 1)) {
        if (m > cellStart) cells.push({ start: c.start(cellStart), end: c.end(m - 1) });
        cellStart = m + 1;
      } else if (c.type(m) === T_LPAREN) m = c.close(m) - 1;
    }
    rows.push({ span: { start: c.start(k), end: c.end(Math.min(close, c.n - 1)) }, cells });
    k = close + 1;
    if (c.type(k) !== T_COMMA) break;
    k++;
  }
  return rows;
}

function parseOnConflict(c: Cur, on: number, stop: number): OnConflictFacts {
  const text = c.t.text;
  void text;
  const d = c.depthAt[on];
  let k = on + 2;
  const afterConflict = c.end(on + 1);
  let target: ConflictTarget = { kind: 'none' };
  if (c.type(k) === T_LPAREN) {
    const close = c.close(k);
    const cols: string[] = [];
    let expression = false;
    let elemStart = k + 1;
    for (let j = k + 1; j <= close; j++) {
      if (j === close || (c.type(j) === T_COMMA && c.depthAt[j] === d + 1)) {
        if (j > elemStart) {
          const ty = c.type(elemStart);
          const simple = (ty === T_WORD || ty === T_QIDENT) && (j === elemStart + 1 || c.is(elemStart + 1, 'collate') || c.type(elemStart + 1) === T_WORD);
          if (simple) cols.push(normIdent(c.t.text, c.start(elemStart), c.end(elemStart), ty));
          else { expression = true; cols.push(c.t.text.slice(c.start(elemStart), c.end(j - 1))); }
        }
        elemStart = j + 1;
      }
    }
    const span = { start: c.start(k), end: c.end(Math.min(close, c.n - 1)) };
    k = close + 1;
    let where: Span | undefined;
    if (c.is(k, 'where')) {
      const doK = c.find(k, d, 'do');
      const endK = doK < 0 ? stop : doK;
      where = { start: c.start(k), end: c.end(endK - 1) };
      k = endK;
    }
    target = { kind: 'columns', columns: cols, span, expression, where };
  } else if (c.is(k, 'on') && c.is(k + 1, 'constraint')) {
    const nm = c.name(k + 2);
    target = { kind: 'constraint', name: nm ? nm.ref.name : '', span: { start: c.start(k), end: nm ? nm.ref.end : c.end(k + 1) } };
    k = nm ? nm.next : k + 2;
  }
  let action: OnConflictFacts['action'] = 'unknown';
  let actionSpan: Span | undefined;
  let updateWhere: Span | undefined;
  let headEnd = c.end(Math.min(k - 1, stop - 1));
  if (c.is(k, 'do')) {
    if (c.is(k + 1, 'nothing')) action = 'nothing';
    else if (c.is(k + 1, 'update')) action = 'update';
    if (action !== 'unknown') {
      actionSpan = { start: c.start(k), end: c.end(k + 1) };
      headEnd = actionSpan.end;
    }
    if (action === 'update') {
      const w = c.find(k + 2, d, 'where');
      if (w >= 0 && w < stop) {
        const ret = c.find(w, d, 'returning');
        const endK = ret >= 0 && ret < stop ? ret : stop;
        updateWhere = { start: c.start(w), end: c.end(endK - 1) };
      }
    }
  }
  const ret = c.find(k, d, 'returning');
  const endK = ret >= 0 && ret < stop ? ret : stop;
  return {
    start: c.start(on), end: c.end(endK - 1), head: { start: c.start(on), end: headEnd }, afterConflict,
    target, action, actionSpan, updateWhere,
  };
}

/** Parses `INSERT INTO ...` starting at cursor k; `stop` bounds it (statement end or CTE close). */
/**
 * plpgsql dynamic SQL `'INSERT INTO ' || quote_ident(t) || ' ...'` read from the first literal to the
 * last (dynamicSql): the computed name is the `' || expr || '` run, which lexes as one string. Its
 * expression names the table in messages; no schema table matches it.
 */
function computedName(c: Cur, k: number): { ref: TableRef; next: number } | undefined {
  if (c.type(k) !== T_STRING) return undefined;
  const raw = c.t.text.slice(c.start(k), c.end(k));
  const m = /^'\s*\|\|([^']*?)\|\|\s*'$/.exec(raw);
  if (!m || !m[1].trim()) return undefined;
  const expr = m[1].trim();
  // `' || s || '.events`: the expression is the schema, the name follows.
  if (c.type(k + 1) === T_DOT && isNamePart(c.type(k + 2))) {
    const name = normIdent(c.t.text, c.start(k + 2), c.end(k + 2), c.type(k + 2));
    return { ref: { schema: expr, name, start: c.start(k), end: c.end(k + 2), raw: `${expr}.${c.t.text.slice(c.start(k + 2), c.end(k + 2))}` }, next: k + 3 };
  }
  return { ref: { name: expr, start: c.start(k), end: c.end(k), raw: expr }, next: k + 1 };
}

function parseInsert(c: Cur, k: number, stop: number, inWith: boolean): InsertFacts | undefined {
  const d = c.depthAt[k];
  let j = k + 1;
  if (!c.is(j, 'into')) return undefined;
  const nm = c.name(j + 1) ?? computedName(c, j + 1);
  if (!nm) return undefined;
  j = nm.next;
  let alias: string | undefined;
  if (c.is(j, 'as')) { alias = c.word(j + 1) || undefined; j += 2; }
  let columns: ColumnRef[] | undefined;
  if (c.type(j) === T_LPAREN) {
    // `(a, b)` is a column list unless it opens a query: `INSERT INTO t (SELECT ...)`.
    if (!c.is(j + 1, 'select') && !c.is(j + 1, 'with') && !c.is(j + 1, 'values')) {
      const r = c.columns(j);
      columns = r.cols;
      j = r.close + 1;
    }
  }
  if (c.is(j, 'overriding')) j += 3;
  let source: InsertFacts['source'] = 'unknown';
  if (c.is(j, 'values')) source = 'values';
  else if (c.is(j, 'default') && c.is(j + 1, 'values')) source = 'default-values';
  else if (c.is(j, 'select') || c.is(j, 'with') || c.is(j, 'table') || c.type(j) === T_LPAREN) source = 'select';
  // ON CONFLICT at this INSERT's depth.
  let on = -1;
  for (let m = j; m < stop; m++) {
    work.steps++;
    if (c.depthAt[m] < d) { stop = m; break; }
    if (c.depthAt[m] === d && c.is(m, 'on') && c.is(m + 1, 'conflict')) { on = m; break; }
    if (c.type(m) === T_LPAREN) m = c.close(m);
  }
  let retK = -1;
  for (let m = j; m < stop; m++) {
    work.steps++;
    if (c.depthAt[m] < d) { stop = m; break; }
    if (c.depthAt[m] === d && c.is(m, 'returning')) { retK = m; break; }
    if (c.type(m) === T_LPAREN) m = c.close(m);
  }
  const srcEnd = on >= 0 ? on : retK >= 0 ? retK : stop;
  const facts: InsertFacts = {
    start: c.start(k), end: c.end(stop - 1), table: nm.ref, alias, columns, source,
    sourceSpan: srcEnd > j ? { start: c.start(j), end: c.end(srcEnd - 1) } : undefined,
    reads: source === 'select' ? readsIn(c, j, srcEnd) : [],
    returning: retK >= 0, inWith,
  };
  if (source === 'values') facts.rows = valuesRows(c, j + 1, srcEnd);
  if (on >= 0) facts.onConflict = parseOnConflict(c, on, stop);
  return facts;
}

function parseCopy(c: Cur, k: number, meta: boolean): CopyFacts {
  const text = c.t.text;
  const s = c.start(k);
  const nl = text.indexOf('\n', s);
  const stmtEnd = c.end(c.n - 1);
  const facts: CopyFacts = { direction: 'unknown', endpoint: 'unknown', meta, firstLineEnd: nl < 0 || nl > stmtEnd ? stmtEnd : nl };
  let j = k + 1;
  if (c.is(j, 'binary')) j++;
  if (c.type(j) === T_LPAREN) {
    const close = c.close(j);
    facts.query = { start: c.start(j), end: c.end(Math.min(close, c.n - 1)) };
    j = close + 1;
  } else {
    const nm = c.name(j);
    if (nm) { facts.table = nm.ref; j = nm.next; }
    if (c.type(j) === T_LPAREN) { const r = c.columns(j); facts.columns = r.cols; j = r.close + 1; }
  }
  if (c.is(j, 'from')) facts.direction = 'from';
  else if (c.is(j, 'to')) facts.direction = 'to';
  else return facts;
  j++;
  const w = c.word(j);
  if (w === 'stdin' || w === 'pstdin') facts.endpoint = 'stdin';
  else if (w === 'stdout' || w === 'pstdout') facts.endpoint = 'stdout';
  else if (w === 'program') { facts.endpoint = 'program'; j++; }
  else facts.endpoint = 'file';
  if (j < c.n) facts.endpointText = text.slice(c.start(j), c.end(j));
  return facts;
}

function parseCreate(c: Cur, stmt: StatementImpl): void {
  let j = 1;
  if (c.is(j, 'or') && c.is(j + 1, 'replace')) j += 2;
  let temp = false, unlogged = false;
  for (;;) {
    if (c.is(j, 'temp') || c.is(j, 'temporary')) { temp = true; j++; }
    else if (c.is(j, 'local') || c.is(j, 'global')) j++;
    else if (c.is(j, 'unlogged')) { unlogged = true; j++; }
    else break;
  }
  if (c.is(j, 'table')) {
    j++;
    let ifNotExists = false;
    if (c.is(j, 'if') && c.is(j + 1, 'not') && c.is(j + 2, 'exists')) { ifNotExists = true; j += 3; }
    const nm = c.name(j);
    if (!nm) return;
    const facts: CreateTableFacts = { table: nm.ref, temp, unlogged, ifNotExists, asQuery: false };
    j = nm.next;
    if (c.is(j, 'partition') && c.is(j + 1, 'of')) facts.partitionOf = c.name(j + 2)?.ref;
    if (c.type(j) === T_LPAREN && c.is(j + 1, 'like')) facts.like = c.name(j + 2)?.ref;
    const as = c.find(j, 0, 'as');
    if (as >= 0 && (c.is(as + 1, 'select') || c.is(as + 1, 'with') || c.is(as + 1, 'values') || c.is(as + 1, 'table') || c.is(as + 1, 'execute') || c.type(as + 1) === T_LPAREN)) facts.asQuery = true;
    const oc = c.find(j, 0, 'commit');
    if (oc > 0 && c.is(oc - 1, 'on')) {
      facts.onCommit = c.is(oc + 1, 'drop') ? 'drop' : c.is(oc + 1, 'delete') ? 'delete-rows' : 'preserve-rows';
    }
    stmt.kind = 'create-table';
    stmt.facts().ct = facts;
    return;
  }
  if (c.is(j, 'recursive')) j++;
  if (c.is(j, 'materialized')) j++;
  if (c.is(j, 'view')) {
    j++;
    if (c.is(j, 'if') && c.is(j + 1, 'not') && c.is(j + 2, 'exists')) j += 3;
    const nm = c.name(j);
    if (nm) stmt.createView = nm.ref;
    return;
  }
  if (c.is(j, 'foreign') && c.is(j + 1, 'table')) {
    const nm = c.name(j + 2);
    if (nm) stmt.createView = nm.ref;
    return;
  }
  if (c.is(j, 'unique') || c.is(j, 'index')) {
    const unique = c.is(j, 'unique');
    if (unique) j++;
    if (!c.is(j, 'index')) return;
    j++;
    if (c.is(j, 'concurrently')) j++;
    if (c.is(j, 'if') && c.is(j + 1, 'not') && c.is(j + 2, 'exists')) j += 3;
    let name: string | undefined;
    if (!c.is(j, 'on')) { name = c.name(j)?.ref.name; j = c.name(j)?.next ?? j + 1; }
    if (!c.is(j, 'on')) return;
    j++;
    if (c.is(j, 'only')) j++;
    const nm = c.name(j);
    if (!nm) return;
    j = nm.next;
    if (c.is(j, 'using')) j += 2;
    const columns: string[] = [];
    let where: Span | undefined;
    if (c.type(j) === T_LPAREN) {
      const close = c.close(j);
      let elemStart = j + 1;
      for (let m = j + 1; m <= close; m++) {
        if (m === close || (c.type(m) === T_COMMA && c.depthAt[m] === c.depthAt[j] + 1)) {
          if (m > elemStart) {
            const ty = c.type(elemStart);
            // `col [COLLATE x] [opclass] [ASC|DESC] [NULLS ...]` is a column; anything else an expression.
            const simple = (ty === T_WORD || ty === T_QIDENT) && (m === elemStart + 1 || c.type(elemStart + 1) === T_WORD);
            columns.push(simple ? normIdent(c.t.text, c.start(elemStart), c.end(elemStart), ty) : c.t.text.slice(c.start(elemStart), c.end(m - 1)));
          }
          elemStart = m + 1;
        }
      }
      const w = c.find(close + 1, 0, 'where');
      if (w >= 0) where = { start: c.start(w), end: c.end(c.n - 1) };
    }
    stmt.kind = 'create-index';
    stmt.createIndex = { unique, name, table: nm.ref, columns, where };
    return;
  }
  if (c.is(j, 'rule')) {
    // CREATE RULE ... DO [ALSO | INSTEAD] INSERT ...: the INSERT runs with every triggering statement.
    const d = c.find(j, 0, 'do');
    let k = d + 1;
    if (c.is(k, 'also') || c.is(k, 'instead')) k++;
    if (d > 0 && c.is(k, 'insert')) {
      const ins = parseInsert(c, k, c.n, false);
      if (ins) addInsert(stmt, ins);
    } else if (d > 0 && c.type(k) === T_LPAREN) {
      // DO (action; action; ...): each INSERT after `(` or `;` inside the parentheses.
      const close = c.close(k);
      for (let m = k + 1; m < close; m++) {
        if (c.depthAt[m] !== 1 || !c.is(m, 'insert')) continue;
        const prev = c.type(m - 1);
        if (prev !== T_LPAREN && prev !== T_SEMI) continue;
        let stop = m + 1;
        while (stop < close && !(c.type(stop) === T_SEMI && c.depthAt[stop] === 1)) stop++;
        const ins = parseInsert(c, m, stop, false);
        if (ins) addInsert(stmt, ins);
        m = stop;
      }
    }
    return;
  }
  // FUNCTION / PROCEDURE bodies.
  if (c.is(j, 'function') || c.is(j, 'procedure')) stmt.kind = 'create-function';
}

/** Body span and language of a CREATE FUNCTION / DO statement, when its body is dollar-quoted. */
function findBody(c: Cur, isDo: boolean): { span: Span; language: string; quoted: boolean } | undefined {
  let body: Span | undefined;
  let quoted = false;
  let language = isDo ? 'plpgsql' : '';
  for (let j = 1; j < c.n; j++) {
    if (c.depthAt[j] !== 0) continue;
    const ty = c.type(j);
    if (ty === T_DOLLAR && !body && (isDo || c.is(j - 1, 'as') || c.type(j - 1) === T_DOLLAR)) {
      const s = c.start(j), e = c.end(j);
      const text = c.t.text;
      const tagEnd = text.indexOf('$', s + 1) + 1;
      const tagLen = tagEnd - s;
      const closed = e - s >= 2 * tagLen && text.slice(e - tagLen, e) === text.slice(s, tagEnd);
      body = { start: tagEnd, end: closed ? e - tagLen : e };
    } else if (ty === T_STRING && !body && (isDo || c.is(j - 1, 'as')) && c.t.text.charCodeAt(c.start(j)) === 39) {
      // Old-style '...' body: lexed in place, so offsets stay exact (a doubled '' inside reads as an
      // empty string, which leaves the statement structure intact).
      const s = c.start(j), e = c.end(j);
      const closed = e - s >= 2 && c.t.text.charCodeAt(e - 1) === 39;
      body = { start: s + 1, end: closed ? e - 1 : e };
      quoted = true;
    } else if (c.is(j, 'language')) {
      const ty2 = c.type(j + 1);
      if (ty2 === T_WORD || ty2 === T_QIDENT || ty2 === T_STRING) {
        language = normIdent(c.t.text, c.start(j + 1), c.end(j + 1), ty2 === T_STRING ? T_WORD : ty2).replace(/^'|'$/g, '');
      }
    }
  }
  if (!body && !isDo) {
    // SQL-standard body: BEGIN ATOMIC stmt; stmt; END
    for (let j = 1; j < c.n - 1; j++) {
      if (c.depthAt[j] === 0 && c.is(j, 'begin') && c.is(j + 1, 'atomic')) {
        let e = c.n - 1;
        while (e > j + 1 && !c.is(e, 'end')) e--;
        if (e > j + 1) { body = { start: c.end(j + 1), end: c.start(e) }; language = 'sql'; }
        break;
      }
    }
  }
  return body ? { span: body, language, quoted } : undefined;
}

interface Ctx {
  txnSeq: number;
  /** Extract every fact during the parse, and skim nothing (ParseOptions.eager). */
  eager: boolean;
  /** SQL read from inside string literals (old-style bodies, EXECUTE strings): SqlDocument.quoted. */
  quoted: Span[];
}

const NO_INSERTS: InsertFacts[] = Object.freeze([]) as unknown as InsertFacts[];

function addInsert(stmt: StatementImpl, ins: InsertFacts): void {
  const f = stmt.facts();
  if (f.ins === NO_INSERTS) f.ins = [ins];
  else f.ins.push(ins);
}

/** What a statement has beyond its place and kind: one object per statement that has any (a small statement object costs less to collect). */
class StatementFacts {
  // Shared empty list until the first INSERT is found.
  ins: InsertFacts[] = NO_INSERTS;
  del: TableRef | undefined = undefined;
  upd: TableRef | undefined = undefined;
  mrg: MergeFacts | undefined = undefined;
  ct: CreateTableFacts | undefined = undefined;
  copy: CopyFacts | undefined = undefined;
  truncate: TableRef[] | undefined = undefined;
  createView: TableRef | undefined = undefined;
  createIndex: Statement['createIndex'] = undefined;
  body: FunctionBody | undefined = undefined;
}

/** The first words whose statements' facts wait for a rule to ask (StatementImpl.settle), by code (0: none). */
const PENDING_WORDS = [undefined, 'insert', 'update', 'delete', 'merge', 'explain', 'prepare', 'create'] as const;
type PendingWord = NonNullable<(typeof PENDING_WORDS)[number]>;
// StatementImpl.bits: two flags, the pending word's code (3 bits), then the depth
const B_SKIMMED = 1;
const B_EXPLICIT = 2;
const PENDING_SHIFT = 2;
const PENDING_MASK = 7 << PENDING_SHIFT;
const DEPTH_SHIFT = 5;

/**
 * Statement objects share their methods through a prototype (no closures per statement).
 *
 * Two things are computed on first use, so that a rule pays only for what it reads:
 * - the facts of INSERT, UPDATE, DELETE, MERGE, EXPLAIN and PREPARE statements (`inserts`,
 *   `update`, `delete`, `merge`): most rules look at a few of them, many statements are never asked;
 * - the tokens of a statement the lexer skimmed (ALTER, EXPLAIN, SELECT...: its first word and
 *   `T.Skipped` runs): `tokens`, `first` and `last` lex its text in full when read.
 * Facts live in a StatementFacts object made for the statements that have any.
 *
 * A long file has a statement object per statement (121,000 for the regression folder as one file),
 * so its fields are few: whether it is skimmed, in an explicit transaction, which facts are pending
 * and its depth are one number (`bits`), read and written through accessors.
 */
class StatementImpl implements Statement {
  kind: StatementKind = 'other';
  private kw: string | undefined;
  /** First word, lower case; computed on first use. */
  get keyword(): string {
    if (this.kw === undefined) {
      const t = this.tk;
      if (this.f0 < this.l0 && t.types[this.f0] === T_WORD) {
        const s = t.starts[this.f0], e = t.ends[this.f0];
        // The usual first words are constants already: no lower-cased copy per statement.
        this.kw = firstWord(t.text, s, e) ?? t.text.slice(s, e).toLowerCase();
      } else this.kw = '';
    }
    return this.kw;
  }
  set keyword(v: string) {
    this.kw = v;
  }
  txn = 0;
  /** The facts found, or undefined while there are none (most statements: SELECT, SET, DROP...). */
  fx: StatementFacts | undefined = undefined;
  index = -1;
  /** `skimmed` (B_SKIMMED), `inExplicitTxn` (B_EXPLICIT), `pending` (its code in PENDING_WORDS) and `depth`. */
  private bits: number;
  constructor(
    public start: number, public end: number, public terminator: number,
    /** The token stream the statement was split from, and its range there (skimmed or not). */
    public tk: Tokens, public f0: number, public l0: number,
    skimmed: boolean, depth: number, public parent: Statement | undefined,
  ) {
    this.bits = (skimmed ? B_SKIMMED : 0) | (depth << DEPTH_SHIFT);
  }
  /** Whether tk[f0, l0) holds `T.Skipped` runs (the lexer skimmed the statement). */
  get skimmed(): boolean {
    return (this.bits & B_SKIMMED) !== 0;
  }
  set skimmed(v: boolean) {
    this.bits = v ? this.bits | B_SKIMMED : this.bits & ~B_SKIMMED;
  }
  get inExplicitTxn(): boolean {
    return (this.bits & B_EXPLICIT) !== 0;
  }
  set inExplicitTxn(v: boolean) {
    this.bits = v ? this.bits | B_EXPLICIT : this.bits & ~B_EXPLICIT;
  }
  /** Set once, by the splitter (the constructor). */
  get depth(): number {
    return this.bits >>> DEPTH_SHIFT;
  }
  /** Facts not extracted yet: the first word that says which (see `settle`), or undefined. */
  get pending(): PendingWord | undefined {
    return PENDING_WORDS[(this.bits & PENDING_MASK) >>> PENDING_SHIFT];
  }
  set pending(w: PendingWord | undefined) {
    const code = w === undefined ? 0 : PENDING_WORDS.indexOf(w);
    this.bits = (this.bits & ~PENDING_MASK) | (code << PENDING_SHIFT);
  }
  /** The statement's facts object, made on the first fact found. */
  facts(): StatementFacts {
    let f = this.fx;
    if (f === undefined) this.fx = f = new StatementFacts();
    return f;
  }
  get copy(): CopyFacts | undefined { return this.fx?.copy; }
  set copy(v: CopyFacts | undefined) { this.facts().copy = v; }
  get truncate(): TableRef[] | undefined { return this.fx?.truncate; }
  set truncate(v: TableRef[] | undefined) { this.facts().truncate = v; }
  get createView(): TableRef | undefined { return this.fx?.createView; }
  set createView(v: TableRef | undefined) { this.facts().createView = v; }
  get createIndex(): Statement['createIndex'] { return this.fx?.createIndex; }
  set createIndex(v: Statement['createIndex']) { this.facts().createIndex = v; }
  get body(): FunctionBody | undefined { return this.fx?.body; }
  set body(v: FunctionBody | undefined) { this.facts().body = v; }
  get tokens(): Tokens {
    if (this.skimmed) this.lexInFull();
    return this.tk;
  }
  get first(): number {
    if (this.skimmed) this.lexInFull();
    return this.f0;
  }
  get last(): number {
    if (this.skimmed) this.lexInFull();
    return this.l0;
  }
  // Each fact settles only the statements that can have it: reading `delete` of every statement
  // (to find the tables a script empties) extracts nothing from its INSERTs.
  get inserts(): InsertFacts[] {
    const p = this.pending;
    if (p === 'insert' || p === 'explain' || p === 'prepare') this.settle();
    const f = this.fx;
    return f === undefined ? NO_INSERTS : f.ins;
  }
  get upserts(): InsertFacts[] {
    // Only kinds insert, with and other hold an INSERT; of kind 'other', only EXPLAIN, PREPARE and
    // CREATE RULE, whose INSERT facts are cheap to ask. The others must spell the word.
    const kind = this.kind;
    if (kind !== 'insert' && kind !== 'with' && kind !== 'other') return NO_INSERTS;
    if (kind === 'other' && this.inserts.length === 0) return NO_INSERTS;
    if (!this.mentions('conflict')) return NO_INSERTS;
    const ins = this.inserts;
    for (let i = 0; i < ins.length; i++) if (!ins[i].onConflict) return ins.filter((x) => x.onConflict);
    return ins;
  }
  get update(): TableRef | undefined {
    if (this.pending === 'update') this.settle();
    return this.fx?.upd;
  }
  get delete(): TableRef | undefined {
    if (this.pending === 'delete') this.settle();
    return this.fx?.del;
  }
  get merge(): MergeFacts | undefined {
    if (this.pending === 'merge') this.settle();
    return this.fx?.mrg;
  }
  get createTable(): CreateTableFacts | undefined {
    if (this.pending === 'create') this.settle();
    return this.fx?.ct;
  }
  get source(): string {
    return this.tk.text;
  }
  /** The last word mentions() was asked, and its answer (several rules ask the same of a statement). */
  private mw: string | undefined = undefined;
  private mr = false;
  mentions(word: string): boolean {
    if (word === this.mw) return this.mr;
    this.mw = word;
    return (this.mr = this.findWord(word));
  }
  private findWord(word: string): boolean {
    const t = this.tk;
    if (this.skimmed) return textMentions(t.text, this.start, this.end, word);
    const types = t.types, starts = t.starts, ends = t.ends, text = t.text;
    const n = word.length;
    for (let i = this.f0; i < this.l0; i++) {
      const ty = types[i];
      if (ty === T_WORD) {
        if (ends[i] - starts[i] === n && wordEq(text, starts[i], ends[i], word)) return true;
      } else if (ty === T_SKIPPED && textMentions(text, starts[i], ends[i], word)) return true;
    }
    return false;
  }
  /** Replaces the skimmed tokens by a full lexing of the statement's text (same offsets). */
  private lexInFull(): void {
    this.skimmed = false;
    const t = lex(this.tk.text, this.start, this.end, this.tk.flags & LEX_FORMAT);
    this.tk = t;
    this.f0 = 0;
    this.l0 = t.count;
  }
  /** Extracts the deferred facts (once; the getters call it, and an eager parse right away). */
  settle(): void {
    const kw = this.pending as string;
    this.pending = undefined;
    // EXPLAIN / PREPARE hold an INSERT only if they spell the word: no lexing or cursor otherwise.
    if ((kw === 'explain' || kw === 'prepare') && !this.mentions('insert')) return;
    const t = this.tokens;
    // A cursor of its own scratch level: facts may be asked while another statement's cursor lives.
    curLevel++;
    try {
      extractDml(this, new Cur(t, this.f0, this.l0), kw);
    } finally {
      curLevel--;
    }
  }
  text(): string {
    return this.tk.text.slice(this.start, this.end);
  }
}

/**
 * Whether text[start, end) spells `word` (lower case) as a word of its own, in any ASCII case: a
 * test on the raw text (strings and comments included) for statements that were not tokenized.
 */
function textMentions(text: string, start: number, end: number, word: string): boolean {
  const n = word.length;
  // A native case-insensitive search in a view of the range (a slice is not a copy); a JS loop over
  // every char of the skimmed statements cost more.
  let re = wordSearches.get(word);
  if (re === undefined) wordSearches.set(word, (re = new RegExp(word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi')));
  const piece = text.slice(start, end);
  re.lastIndex = 0;
  for (let m = re.exec(piece); m !== null; m = re.exec(piece)) {
    const p = start + m.index;
    const before = p > start ? text.charCodeAt(p - 1) : 32;
    const after = p + n < end ? text.charCodeAt(p + n) : 32;
    if (!isIdentPart(before) && !isIdentPart(after)) return true;
    re.lastIndex = m.index + 1;
  }
  return false;
}
/** Per word, its global case-insensitive search (the word taken literally). */
const wordSearches = new Map<string, RegExp>();

function makeStatement(tokens: Tokens, first: number, last: number, terminator: number, depth: number, parent: Statement | undefined): StatementImpl {
  let a = first, b = last - 1;
  const types = tokens.types;
  while (a <= b && (types[a] === T_LINECOMMENT || types[a] === T_BLOCKCOMMENT)) a++;
  while (b >= a && (types[b] === T_LINECOMMENT || types[b] === T_BLOCKCOMMENT)) b--;
  // A skimmed statement is its first word, then a skipped run (comments may come between).
  let k = a + 1;
  while (k < b && (types[k] === T_LINECOMMENT || types[k] === T_BLOCKCOMMENT)) k++;
  const skimmed = k <= b && types[k] === T_SKIPPED;
  return new StatementImpl(tokens.starts[a], tokens.ends[b], terminator, tokens, a, b + 1, skimmed, depth, parent);
}

/** Fills in kind and facts from the tokens (cheap for statements no rule looks into). */
function classify(stmt: StatementImpl, ctx: Ctx, file: SqlDocument | undefined): void {
  const t = stmt.tk;
  const f = stmt.f0;
  const ty = t.types[f];
  if (ty === T_PSQLMETA) {
    stmt.kind = 'psql';
    if (wordEq(t.text, t.starts[f] + 1, t.starts[f] + 5, 'copy')) {
      // \copy: lex the rest of the line as a COPY statement.
      const sub = lex(t.text, t.starts[f] + 1, t.ends[f]);
      const c = new Cur(sub, 0, sub.count);
      stmt.copy = parseCopy(c, 0, true);
      stmt.copy.firstLineEnd = t.ends[f];
      stmt.kind = 'copy';
    }
    return;
  }
  if (ty !== T_WORD) return;
  const kw = knownKeyword(t.text, t.starts[f], t.ends[f]);
  if (kw === undefined) return;
  const kind = knownKind;
  stmt.kind = kind;
  // ALTER keeps no facts (the schema model parses DDL itself): no cursor for it either. ALTER TABLE
  // is a kind of its own, so that rules asking for 'other' statements (EXPLAIN, PREPARE, CREATE RULE) skip it.
  if (kw === 'alter') {
    if (nextWordIs(stmt, 'table')) stmt.kind = 'alter-table';
    return;
  }
  if (kind === 'select' || kind === 'savepoint') return;
  if (kind === 'begin' || kind === 'commit' || kind === 'rollback') {
    if (stmt.depth > 0) { stmt.kind = 'other'; return; }
    // `START` only counts as `START TRANSACTION`; `ROLLBACK TO [SAVEPOINT]` does not end anything.
    const has = f + 1 < stmt.l0;
    const nextIs = (w: string) => has && wordEq(t.text, t.starts[f + 1], t.ends[f + 1], w);
    if (kw === 'start' && !nextIs('transaction')) stmt.kind = 'other';
    if (kind === 'rollback' && nextIs('to')) stmt.kind = 'savepoint';
    if (kind === 'commit' && nextIs('prepared')) stmt.kind = 'other';
    return;
  }
  // DML facts wait until a rule asks for them (StatementImpl.settle).
  if (kind === 'insert' || kind === 'update' || kind === 'delete' || kind === 'merge' || kw === 'explain' || kw === 'prepare') {
    // (the kinds insert, update, delete and merge are those words' alone: KIND_BY_WORD)
    stmt.pending = kw as PendingWord;
    if (ctx.eager) stmt.settle();
    return;
  }
  if (kw === 'create') {
    const what = createOfInterest(t, f + 1, stmt.l0);
    if (what === undefined) return;
    // CREATE TABLE: the kind now (from its first words), the facts when a rule asks.
    if (what === 'table' && namedTable(t, f + 1, stmt.l0)) {
      stmt.kind = 'create-table';
      stmt.pending = kw;
      if (ctx.eager) stmt.settle();
      return;
    }
  }
  const c = new Cur(t, f, stmt.l0);
  switch (kw) {
    case 'with': {
      // Data-modifying CTEs `x AS (INSERT ...)` and the main INSERT after the last CTE.
      for (let j = 1; j < c.n; j++) {
        if (!c.is(j, 'insert')) continue;
        const prev = c.type(j - 1);
        if (prev === T_LPAREN) {
          const ins = parseInsert(c, j, c.close(j - 1), true);
          if (ins) addInsert(stmt, ins);
        } else if (prev === T_RPAREN && c.depthAt[j] === 0) {
          const ins = parseInsert(c, j, c.n, true);
          if (ins) { addInsert(stmt, ins); stmt.kind = 'insert'; }
        }
      }
      break;
    }
    case 'copy':
      stmt.copy = parseCopy(c, 0, false);
      break;
    case 'truncate': {
      const tables: TableRef[] = [];
      let j = 1;
      if (c.is(j, 'table')) j++;
      for (;;) {
        if (c.is(j, 'only')) j++;
        const nm = c.name(j);
        if (!nm || c.is(j, 'restart') || c.is(j, 'continue') || c.is(j, 'cascade') || c.is(j, 'restrict')) break;
        tables.push(nm.ref);
        j = nm.next;
        if (c.type(j) === T_OPERATOR) j++; // `t *`
        if (c.type(j) !== T_COMMA) break;
        j++;
      }
      stmt.truncate = tables;
      break;
    }
    case 'create':
      parseCreate(c, stmt);
      break;
    case 'do':
      break;
    default:
      break;
  }
  if ((stmt.kind === 'create-function' || stmt.kind === 'do') && stmt.depth < MAX_BODY_DEPTH) {
    const b = findBody(c, stmt.kind === 'do');
    if (b) {
      const lang = b.language.toLowerCase();
      const body: FunctionBody = { span: b.span, language: lang || 'sql', statements: [] };
      stmt.body = body;
      if (b.quoted) ctx.quoted.push(b.span);
      if (lang === 'plpgsql' || lang === 'sql' || lang === '') {
        const sub = lex(t.text, b.span.start, b.span.end, ctx.eager ? 0 : LEX_SKIM);
        body.tokens = sub;
        if (file) file.directives += sub.directives;
        // The body's statements get cursors of their own (the next scratch level).
        curLevel++;
        try {
          body.statements = lang === 'plpgsql'
            ? splitPlpgsql(sub, stmt, ctx, file)
            : splitTokens(sub, stmt.depth + 1, stmt, ctx, file);
        } finally {
          curLevel--;
        }
      }
    }
  }
}

/** Whether the word after the statement's first is `w` (read from the text when the lexer skimmed it). */
function nextWordIs(stmt: StatementImpl, w: string): boolean {
  const t = stmt.tk;
  const types = t.types;
  let k = stmt.f0 + 1;
  while (k < stmt.l0 && (types[k] === T_LINECOMMENT || types[k] === T_BLOCKCOMMENT)) k++;
  if (k >= stmt.l0) return false;
  const s = t.starts[k];
  if (types[k] === T_WORD) return wordEq(t.text, s, t.ends[k], w);
  if (types[k] !== T_SKIPPED) return false;
  const e = s + w.length;
  return e <= t.ends[k] && wordEq(t.text, s, e, w) && (e === t.ends[k] || !isIdentPart(t.text.charCodeAt(e)));
}

/** The facts of an INSERT, UPDATE, DELETE, MERGE, EXPLAIN or PREPARE statement (`kw`, its first word), from its cursor. */
function extractDml(stmt: StatementImpl, c: Cur, kw: string): void {
  switch (kw) {
    case 'insert': {
      const ins = parseInsert(c, 0, c.n, false);
      if (ins) addInsert(stmt, ins);
      break;
    }
    case 'explain':
    case 'prepare': {
      // EXPLAIN ANALYZE runs the INSERT; a prepared INSERT runs on EXECUTE.
      const k = c.find(1, 0, 'insert');
      if (k > 0 && !c.is(k - 1, 'on')) {
        const ins = parseInsert(c, k, c.n, false);
        if (ins) addInsert(stmt, ins);
      }
      break;
    }
    case 'delete': {
      let j = 1;
      if (c.is(j, 'from')) j++;
      if (c.is(j, 'only')) j++;
      const nm = c.name(j);
      if (nm) stmt.facts().del = nm.ref;
      break;
    }
    case 'update': {
      let j = 1;
      if (c.is(j, 'only')) j++;
      const nm = c.name(j);
      if (nm) stmt.facts().upd = nm.ref;
      break;
    }
    case 'merge': {
      let j = 1;
      if (c.is(j, 'into')) j++;
      if (c.is(j, 'only')) j++;
      const nm = c.name(j);
      if (!nm) break;
      const m: MergeFacts = { table: nm.ref, insertsWhenNotMatched: false };
      const u = c.find(nm.next, 0, 'using');
      if (u >= 0) {
        const on = c.find(u + 1, 0, 'on');
        const usingEnd = on >= 0 ? on : c.n;
        m.using = { start: c.start(u + 1), end: c.end(usingEnd - 1) };
        if (c.type(u + 1) !== T_LPAREN) m.usingTable = c.name(u + 1)?.ref;
        if (on >= 0) {
          const when = c.find(on + 1, 0, 'when');
          m.on = { start: c.start(on + 1), end: c.end((when >= 0 ? when : c.n) - 1) };
        }
      }
      for (let j2 = nm.next; j2 < c.n; j2++) {
        // WHEN NOT MATCHED [BY TARGET] [AND cond] THEN INSERT
        if (c.is(j2, 'then') && c.is(j2 + 1, 'insert') && c.depthAt[j2] === 0) m.insertsWhenNotMatched = true;
      }
      stmt.facts().mrg = m;
      break;
    }
    case 'create':
      parseCreate(c, stmt);
      break;
    default:
      break;
  }
}

/**
 * Splits a token stream into statements at `;` and psql commands; classifies each. Walks the
 * lexer's statement-ending tokens (`t.bounds`), not every token: only the first tokens of each
 * statement are read, and the words of CREATE FUNCTION/PROCEDURE statements (BEGIN ATOMIC bodies).
 */
function splitTokens(t: Tokens, depth: number, parent: Statement | undefined, ctx: Ctx, file: SqlDocument | undefined, boundsOnly = false): Statement[] {
  const out: Statement[] = [];
  const st: SplitState = { t, depth, parent, ctx, file, out, explicit: 0, boundsOnly };
  const finish = finishStatement;
  const n = t.count;
  const types = t.types;
  const bounds = t.bounds;
  const nb = t.boundCount;
  // `CREATE FUNCTION ... BEGIN ATOMIC ... END`: semicolons inside belong to the body (as psql
  // counts them: BEGIN/CASE ... END nesting after BEGIN ATOMIC).
  let atomic = 0;
  let routine = false;
  // `CREATE RULE ... DO (INSERT ...; INSERT ...)`: as psql does, a `;` inside the parentheses does not end it.
  let rule = false;
  let parens = 0;
  let first = -1;
  // Tokens [from, i) are the ones after the last boundary.
  let from = 0;
  for (let b = 0; b <= nb; b++) {
    const i = b < nb ? bounds[b] : n;
    if (first < 0) {
      let f = from;
      while (f < i && (types[f] === T_LINECOMMENT || types[f] === T_BLOCKCOMMENT)) f++;
      if (f < i) {
        first = f;
        const what = createWhat(t, f, i);
        routine = what === 'function' || what === 'procedure';
        rule = what === 'rule';
        atomic = 0;
        parens = 0;
      }
    }
    if (routine) atomic = atomicLevel(t, from, i, atomic);
    else if (rule) parens = parenLevel(t, from, i, parens);
    from = i + 1;
    if (b === nb) break;
    const ty = types[i];
    if (ty === T_SEMI) {
      if (atomic > 0 || parens > 0) continue;
      finish(st, first, i, t.starts[i]);
      first = -1;
      routine = rule = false;
    } else if (ty === T_PSQLMETA) {
      finish(st, first, i, -1);
      finish(st, i, i + 1, -1);
      first = -1;
      routine = rule = false;
      parens = atomic = 0;
    } else {
      // T_COPYDATA: rows of the COPY just before: attach, never lex as SQL.
      finish(st, first, i, -1);
      first = -1;
      routine = rule = false;
      parens = atomic = 0;
      const prev = out[out.length - 1];
      if (prev?.copy) prev.copy.data = { start: t.starts[i], end: t.ends[i] };
    }
  }
  finish(st, first, n, -1);
  return out;
}

/**
 * For tokens [f, end) starting `CREATE [OR REPLACE] FUNCTION | PROCEDURE | RULE`, that word (the
 * statements whose `;` may not end them: BEGIN ATOMIC bodies, parenthesized rule actions); else ''.
 */
function createWhat(t: Tokens, f: number, end: number): 'function' | 'procedure' | 'rule' | '' {
  if (t.types[f] !== T_WORD || !wordEq(t.text, t.starts[f], t.ends[f], 'create')) return '';
  for (let i = f + 1; i < end; i++) {
    const ty = t.types[i];
    if (ty === T_LINECOMMENT || ty === T_BLOCKCOMMENT) continue;
    if (ty !== T_WORD) return '';
    const s = t.starts[i], e = t.ends[i];
    if (wordEq(t.text, s, e, 'or') || wordEq(t.text, s, e, 'replace')) continue;
    if (wordEq(t.text, s, e, 'function')) return 'function';
    if (wordEq(t.text, s, e, 'procedure')) return 'procedure';
    if (wordEq(t.text, s, e, 'rule')) return 'rule';
    return '';
  }
  return '';
}

/** The parenthesis depth after tokens [from, to), starting from `level` (never below 0). */
function parenLevel(t: Tokens, from: number, to: number, level: number): number {
  const types = t.types;
  for (let i = from; i < to; i++) {
    if (types[i] === T_LPAREN) level++;
    else if (types[i] === T_RPAREN && level > 0) level--;
  }
  return level;
}

/** The BEGIN ATOMIC nesting level after tokens [from, to), starting from `level`. */
function atomicLevel(t: Tokens, from: number, to: number, level: number): number {
  const types = t.types;
  for (let i = from; i < to; i++) {
    if (types[i] !== T_WORD) continue;
    const len = t.ends[i] - t.starts[i];
    if (len === 6 && wordEq(t.text, t.starts[i], t.ends[i], 'atomic') && prevWordIs(t, i, 'begin')) level++;
    else if (level > 0 && len === 4 && wordEq(t.text, t.starts[i], t.ends[i], 'case')) level++;
    else if (level > 0 && len === 3 && wordEq(t.text, t.starts[i], t.ends[i], 'end')) level--;
  }
  return level;
}

/** What splitTokens() carries from one statement to the next. */
interface SplitState {
  t: Tokens;
  depth: number;
  parent: Statement | undefined;
  ctx: Ctx;
  file: SqlDocument | undefined;
  out: Statement[];
  /** Current explicit transaction id, 0 when none. */
  explicit: number;
  /** Statements with their bounds only (`statementBounds`): no facts, no transactions; psql commands still told apart. */
  boundsOnly: boolean;
}

/** Ends the statement of tokens [first, last) (nothing when first < 0): classifies it and assigns its transaction. */
function finishStatement(st: SplitState, first: number, last: number, terminator: number): void {
  if (first < 0) return;
  const s = makeStatement(st.t, first, last, terminator, st.depth, st.parent);
  if (s.f0 >= s.l0) return;
  if (st.boundsOnly) {
    if (st.t.types[s.f0] === T_PSQLMETA) classify(s, st.ctx, st.file);
    st.out.push(s);
    return;
  }
  classify(s, st.ctx, st.file);
  const parent = st.parent;
  if (parent) { s.txn = parent.txn; s.inExplicitTxn = parent.inExplicitTxn; }
  else if (s.kind === 'begin') { st.explicit = ++st.ctx.txnSeq; s.txn = st.explicit; s.inExplicitTxn = true; }
  else if (st.explicit) {
    s.txn = st.explicit; s.inExplicitTxn = true;
    if (s.kind === 'commit' || s.kind === 'rollback') st.explicit = 0;
  } else s.txn = ++st.ctx.txnSeq;
  if (s.body) inheritTxn(s);
  st.out.push(s);
}

/**
 * Plpgsql bodies: `;`-separated segments where a SQL statement may follow control words
 * (`IF ... THEN INSERT ...`, `BEGIN`, `LOOP`, `EXCEPTION WHEN ... THEN`, `<<label>>`).
 */
function splitPlpgsql(t: Tokens, parent: Statement, ctx: Ctx, file: SqlDocument | undefined): Statement[] {
  const out: Statement[] = [];
  const n = t.count;
  let segStart = 0;
  const depth = parent.depth + 1;
  for (let i = 0; i <= n; i++) {
    if (i < n && t.types[i] !== T_SEMI) continue;
    // Segment [segStart, i): find where a DML statement starts.
    let prevSig = -1;
    let pd = 0;
    for (let j = segStart; j < i; j++) {
      const ty = t.types[j];
      if (ty === T_LINECOMMENT || ty === T_BLOCKCOMMENT) continue;
      if (ty === T_LPAREN) pd++;
      else if (ty === T_RPAREN && pd > 0) pd--;
      else if (ty === T_WORD && pd === 0 && (j === segStart || prevSig < 0 || isBoundary(t, prevSig))) {
        const w = lookupWord(t.text, t.starts[j], t.ends[j], BODY_DML);
        if (w !== undefined && !(w === 'select' || w === 'create' || w === 'do')) {
          const s = makeStatement(t, j, i, i < n ? t.starts[i] : -1, depth, parent);
          classify(s, ctx, file);
          s.txn = parent.txn;
          s.inExplicitTxn = parent.inExplicitTxn;
          out.push(s);
          break;
        }
        if (w === undefined && wordEq(t.text, t.starts[j], t.ends[j], 'execute')) {
          dynamicSql(t, j + 1, i, parent, ctx, file, out);
          break;
        }
        if (w === 'create' || w === 'do') {
          // Nested DDL inside a body (e.g. EXECUTE-less CREATE FUNCTION in a DO block is rare) — classify for facts.
          const s = makeStatement(t, j, i, i < n ? t.starts[i] : -1, depth, parent);
          classify(s, ctx, file);
          s.txn = parent.txn;
          out.push(s);
          if (s.body) {
            // The nested statement absorbed the rest of its own dollar quote; skip ahead.
          }
          break;
        }
      }
      prevSig = j;
    }
    segStart = i + 1;
  }
  return out;
}

/**
 * plpgsql `EXECUTE '<sql>'`, `EXECUTE $q$<sql>$q$` or `EXECUTE format(<either>, ...)`: the SQL in the
 * literal is lexed in place (positions stay file offsets; a doubled '' reads as an empty string, which
 * keeps the structure) and its statements join the body's. A concatenation `'INSERT INTO ' || t || '
 * SELECT ...'` of plain literals is lexed from the first literal to the last: each `' || expr || '`
 * between them then reads as one string, standing for the computed part.
 */
function dynamicSql(t: Tokens, k: number, end: number, parent: Statement, ctx: Ctx, file: SqlDocument | undefined, out: Statement[]): void {
  const sig = (i: number) => { while (i < end && (t.types[i] === T_LINECOMMENT || t.types[i] === T_BLOCKCOMMENT)) i++; return i; };
  let i = sig(k);
  let format = false;
  if (i < end && t.types[i] === T_WORD && wordEq(t.text, t.starts[i], t.ends[i], 'format')) {
    i = sig(i + 1);
    if (i >= end || t.types[i] !== T_LPAREN) return;
    i = sig(i + 1);
    format = true;
  }
  if (i >= end) return;
  const s = t.starts[i], e = t.ends[i];
  const isConcat = (j: number) => j < end && t.types[j] === T_OPERATOR && t.text.startsWith('||', t.starts[j]);
  let span: Span;
  const quoted: Span[] = [];
  if (t.types[i] === T_DOLLAR) {
    const tagEnd = t.text.indexOf('$', s + 1) + 1;
    if (tagEnd <= s || tagEnd > e) return;
    const tag = t.text.slice(s, tagEnd);
    const closed = e - s >= 2 * tag.length && t.text.startsWith(tag, e - tag.length);
    span = { start: tagEnd, end: closed ? e - tag.length : e };
    if (isConcat(sig(i + 1))) return;
  } else if (t.types[i] === T_STRING && t.text.charCodeAt(s) === 39) {
    // Plain '...' only: in E'...' a backslash escape moves what the server reads away from the text.
    const body = (j: number): Span => {
      const a = t.starts[j], b = t.ends[j];
      return { start: a + 1, end: b - a >= 2 && t.text.charCodeAt(b - 1) === 39 ? b - 1 : b };
    };
    span = body(i);
    quoted.push(span);
    // `'a' || expr || 'b'`: follow the chain while every literal is plain and no other string sits between.
    let j = sig(i + 1);
    while (isConcat(j)) {
      let depth = 0;
      let next = -1;
      for (let m = sig(j + 1); m < end; m = sig(m + 1)) {
        const ty = t.types[m];
        if (ty === T_LPAREN) depth++;
        else if (ty === T_RPAREN) depth--;
        else if (ty === T_STRING || ty === T_DOLLAR) {
          if (depth === 0 && ty === T_STRING && t.text.charCodeAt(t.starts[m]) === 39 && isConcat(m - 1 >= 0 ? prevSig(t, m) : -1)) next = m;
          break;
        } else if (depth === 0 && isConcat(m) && m > j + 1) continue;
        if (depth < 0) break;
      }
      if (next < 0) break;
      const b = body(next);
      quoted.push(b);
      span = { start: span.start, end: b.end };
      j = sig(next + 1);
    }
  } else {
    return;
  }
  if (span.end <= span.start) return;
  ctx.quoted.push(...quoted);
  const sub = lex(t.text, span.start, span.end, (format ? LEX_FORMAT : 0) | (ctx.eager ? 0 : LEX_SKIM));
  if (file) file.directives += sub.directives;
  curLevel++;
  try {
    for (const st of splitTokens(sub, parent.depth + 1, parent, ctx, file)) {
      st.txn = parent.txn;
      st.inExplicitTxn = parent.inExplicitTxn;
      out.push(st);
    }
  } finally {
    curLevel--;
  }
}

/** The significant token before token m (comments skipped), or -1. */
function prevSig(t: Tokens, m: number): number {
  let p = m - 1;
  while (p >= 0 && (t.types[p] === T_LINECOMMENT || t.types[p] === T_BLOCKCOMMENT)) p--;
  return p;
}

// The lexer skims the CREATE statements whose word is not one of these (LEX_SKIM): one list for both.
const CREATE_WORDS = wordTable([...CREATE_MODIFIERS, ...CREATE_OF_INTEREST]);

/**
 * The word that makes a CREATE statement one facts are kept for (table, index, function...), after
 * OR REPLACE / TEMP / UNLOGGED...; undefined for the others (CREATE TYPE, EXTENSION, POLICY...).
 */
function createOfInterest(t: Tokens, from: number, last: number): string | undefined {
  for (let i = from; i < last; i++) {
    const ty = t.types[i];
    if (ty === T_LINECOMMENT || ty === T_BLOCKCOMMENT) continue;
    if (ty !== T_WORD || t.ends[i] - t.starts[i] > 12) return undefined;
    const w = lookupWord(t.text, t.starts[i], t.ends[i], CREATE_WORDS);
    if (w === undefined) return undefined;
    if (w !== 'or' && w !== 'replace' && w !== 'temp' && w !== 'temporary' && w !== 'local' && w !== 'global' && w !== 'unlogged') return w;
  }
  return undefined;
}

/**
 * Whether tokens [from, last) after CREATE read as parseCreate() reads a CREATE TABLE: `[OR REPLACE]
 * {TEMP | TEMPORARY | LOCAL | GLOBAL | UNLOGGED}... TABLE [IF NOT EXISTS] name` (comments aside,
 * as the cursor skips them). Then the kind is known without a cursor.
 */
function namedTable(t: Tokens, from: number, last: number): boolean {
  const types = t.types;
  const sig = (i: number) => { while (i < last && (types[i] === T_LINECOMMENT || types[i] === T_BLOCKCOMMENT)) i++; return i; };
  const isWord = (i: number, w: string) => i < last && types[i] === T_WORD && wordEq(t.text, t.starts[i], t.ends[i], w);
  let i = sig(from);
  if (isWord(i, 'or')) {
    const r = sig(i + 1);
    if (isWord(r, 'replace')) i = sig(r + 1);
  }
  while (isWord(i, 'temp') || isWord(i, 'temporary') || isWord(i, 'local') || isWord(i, 'global') || isWord(i, 'unlogged')) i = sig(i + 1);
  if (!isWord(i, 'table')) return false;
  i = sig(i + 1);
  if (isWord(i, 'if')) {
    const n = sig(i + 1);
    const e = sig(n + 1);
    if (isWord(n, 'not') && isWord(e, 'exists')) i = sig(e + 1);
  }
  return i < last && isNamePart(types[i]);
}

function prevWordIs(t: Tokens, i: number, w: string): boolean {
  for (let j = i - 1; j >= 0; j--) {
    const ty = t.types[j];
    if (ty === T_LINECOMMENT || ty === T_BLOCKCOMMENT) continue;
    return ty === T_WORD && wordEq(t.text, t.starts[j], t.ends[j], w);
  }
  return false;
}

/** Body statements run in their function's transaction. */
function inheritTxn(s: Statement): void {
  for (const c of s.body?.statements ?? []) {
    c.txn = s.txn;
    c.inExplicitTxn = s.inExplicitTxn;
    inheritTxn(c);
  }
}

function isBoundary(t: Tokens, k: number): boolean {
  const ty = t.types[k];
  if (ty === T_OPERATOR) {
    // `<<label>>`
    return t.text.charCodeAt(t.ends[k] - 1) === 62 && t.text.charCodeAt(t.ends[k] - 2) === 62;
  }
  if (ty !== T_WORD) return false;
  const len = t.ends[k] - t.starts[k];
  if (len < 4 || len > 9) return false; // shortest 'else', longest 'exception'
  return lookupWord(t.text, t.starts[k], t.ends[k], PLPGSQL_BOUNDARY) !== undefined;
}

/**
 * Statement boundaries only (no facts): [firstToken, lastToken) pairs, flattened. The cheap split
 * used by benchmarks and by callers that only need ranges; parseDocument() splits the same way.
 */
export function splitStatements(t: Tokens): Int32Array {
  // At most two pairs per boundary (a psql command closes the statement before it and is one itself), plus the tail.
  const out = new Int32Array(2 * 2 * t.boundCount + 2);
  let n = 0;
  const types = t.types;
  let from = 0;
  for (let b = 0; b <= t.boundCount; b++) {
    const i = b < t.boundCount ? t.bounds[b] : t.count;
    let f = from;
    while (f < i && (types[f] === T_LINECOMMENT || types[f] === T_BLOCKCOMMENT)) f++;
    if (f < i) { out[n++] = f; out[n++] = i; }
    if (b < t.boundCount && types[i] === T_PSQLMETA) { out[n++] = i; out[n++] = i + 1; }
    from = i + 1;
  }
  return out.slice(0, n);
}

export interface ParseOptions {
  /**
   * Lex every statement in full and extract every fact during the parse, instead of when first read:
   * the reference the lazy path is tested against; the facts are the same.
   */
  eager?: boolean;
}

/**
 * The top-level statements of `text` as parseDocument() splits them, with their bounds (start, end,
 * terminator) and nothing else: no facts read, kind 'psql' for psql commands and 'other' for the
 * rest (a `\copy` command is 'copy'). For callers that need only where statements are. Never throws.
 */
export function statementBounds(text: string): Statement[] {
  const tokens = lex(text, 0, text.length, LEX_SKIM);
  return splitTokens(tokens, 0, undefined, { txnSeq: 0, quoted: [], eager: false }, undefined, true);
}

/** Lexes, splits and extracts facts from a SQL document. Never throws on any input. */
export function parseDocument(text: string, options?: ParseOptions): SqlDocument {
  const eager = options?.eager === true;
  const skim = eager ? 0 : LEX_SKIM;
  const tokens = lex(text, 0, text.length, skim);
  const doc = new DocumentImpl(text, tokens, isPgDump(text));
  doc.directives = tokens.directives;
  const ctx: Ctx = { txnSeq: 0, quoted: doc.quoted, eager };
  doc.statements = splitTokens(tokens, 0, undefined, ctx, doc);
  const all: Statement[] = [];
  collectAll(doc.statements as StatementImpl[], all, doc.indexByKind, { kind: undefined, list: [] });
  doc.all = all;
  return doc;
}

/** The kind list collectAll() appended to last (runs of one kind are common: a dump's INSERTs, a test's SELECTs). */
interface LastKind { kind: StatementKind | undefined; list: number[] }

/** Appends `list` and, after each statement, its body's statements (depth first); indexes them by kind. */
function collectAll(list: StatementImpl[], all: Statement[], byKind: Map<StatementKind, number[]>, last: LastKind): void {
  for (const s of list) {
    s.index = all.length;
    const k = s.kind;
    if (k !== last.kind) {
      let l = byKind.get(k);
      if (l === undefined) byKind.set(k, (l = []));
      last.kind = k;
      last.list = l;
    }
    last.list.push(all.length);
    all.push(s);
    if (s.body) collectAll(s.body.statements as StatementImpl[], all, byKind, last);
  }
}

/** pg_dump output announces itself in its first lines. */
function isPgDump(text: string): boolean {
  // Only the head is searched (a slice is a view, not a copy): indexOf on the whole text read all of
  // a file that is no dump, and lastIndexOf from 400 read the head char by char.
  const head = text.slice(0, 400);
  if (head.indexOf('PostgreSQL database') < 0) return false;
  return /^--\s*PostgreSQL database (dump|cluster dump)\s*$/m.test(head);
}

/** The qualified display name of a table ref. */
export function displayName(t: { schema?: string; name: string }): string {
  return t.schema ? quoteQualified(t.schema, t.name) : quoteIdent(t.name);
}

/** Whether two refs name the same table (an unqualified ref matches any schema). */
export function sameTable(a: { schema?: string; name: string }, b: { schema?: string; name: string }): boolean {
  if (a.name !== b.name) return false;
  return a.schema === undefined || b.schema === undefined || a.schema === b.schema;
}
