/**
 * Helpers shared by the schema-aware rules: the libpg-query AST of one statement (offsets into the
 * analyzed text, template placeholders neutralized), the tables a document itself declares, the
 * version/timestamp columns an upsert should compare, and the caches that carry this work from one
 * analysis of an edited document to the next (docs/caching.md).
 */
import type { AnalyzerConfig } from '../core/analyze';
import type { TableDescription, UniqueKey } from '../core/catalog';
import type { Fix } from '../core/types';
import type { SqlDocument, Statement, TableRef } from '../core/facts';
import { DdlSchemaModel } from '../core/schema/ddl';
import { normalizeSql } from '../core/schema/deparse';
import { quoteIdent } from '../core/quote';
import { isTemplatedSchema, ownCopy, parseRange, parserReady, rejectedPiece, TextCache, tryParse } from '../core/schema/pg';
import { lookupTable } from './keys';
import type { RuleContext, RuleReport } from './rule';

/** A statement's AST node with a byte-location → analyzed-text offset converter. */
export interface StmtAst {
  /** The node's kind, e.g. `InsertStmt`, and its body. */
  kind: string;
  node: any;
  at(byteLoc: number): number;
}

// Caching across analyses (the editor re-analyzes the whole document after every change, and almost
// every statement is the same text as last time). See docs/caching.md for the whole design.
//
// 1. Per analysis: WeakMaps keyed by the Statement / SqlDocument objects, which live as long as one
//    analysis (several rules ask for the same AST or document schema).
// 2. Across analyses, by text: a statement's AST with its byte → UTF-16 map relative to the
//    statement (`astByText`), the document's own DDL model (`ddlCache`), and each rule's reports
//    for a statement (`statementReports`). Offsets are moved where the text moved.

const astCache = new WeakMap<Statement, StmtAst | null>();

/** A statement's parse, position-independent: offsets relative to the statement's first character. */
interface AstCore {
  kind: string;
  node: any;
  /** Byte location in the statement → UTF-16 offset from the statement's start. */
  map(byteLoc: number): number;
}

const AST_CACHE_MAX_TEXT = 20_000;
// statement texts held (the trees themselves are mostly shared with the parser's own cache in pg.ts)
const AST_CACHE_MAX_CHARS = 500_000;
const astByText = new TextCache<AstCore | null>(AST_CACHE_MAX_CHARS);

function astCore(piece: string): AstCore | null {
  const hit = astByText.get(piece);
  if (hit !== undefined) return hit;
  let out: AstCore | null = null;
  try {
    const [p] = parseRange(piece, 0, piece.length);
    if (p?.stmt) {
      const kind = Object.keys(p.stmt)[0];
      out = { kind, node: p.stmt[kind], map: p.offset };
    }
  } catch {
    out = null;
  }
  if (piece.length <= AST_CACHE_MAX_TEXT) astByText.set(piece, out);
  return out;
}

/** An AST whose locations are offsets into the analyzed text: the cached core, placed at the statement. */
class PlacedAst implements StmtAst {
  readonly kind: string;
  readonly node: any;
  constructor(private readonly core: AstCore, private readonly base: number) {
    this.kind = core.kind;
    this.node = core.node;
  }
  at = (byteLoc: number): number => this.base + this.core.map(byteLoc);
}

/**
 * Whether `stmt` may hold an INSERT ... ON CONFLICT: what the upsert rules ask before reading its
 * INSERT facts, which are extracted on that first read. Only kinds insert, with and other hold an
 * INSERT; of kind 'other', only EXPLAIN, PREPARE and CREATE RULE, whose INSERT facts are cheap to ask.
 * The others must spell the word.
 */
export function mayHaveOnConflict(stmt: Statement): boolean {
  const kind = stmt.kind;
  if (kind !== 'insert' && kind !== 'with' && kind !== 'other') return false;
  if (kind === 'other' && stmt.inserts.length === 0) return false;
  return stmt.mentions('conflict');
}

/** libpg-query's parse of `stmt` (undefined when the parser is not loaded or rejects it). Cached. */
export function statementAst(stmt: Statement): StmtAst | undefined {
  // no parser, no AST: return before touching the WeakMap (an entry per statement is GC work)
  if (!parserReady()) return undefined;
  const hit = astCache.get(stmt);
  if (hit !== undefined) return hit ?? undefined;
  const text = stmt.source;
  const end = stmt.terminator >= 0 ? stmt.terminator : stmt.end;
  const core = astCore(text.slice(stmt.start, end));
  const out = core ? new PlacedAst(core, stmt.start) : null;
  astCache.set(stmt, out);
  return out ?? undefined;
}

const localCache = new WeakMap<SqlDocument, DdlSchemaModel | null>();
/** The cache entry behind each document's model: the same object while the model's content is (see statementReports). */
const localEntry = new WeakMap<SqlDocument, object>();
const NO_MODEL = {};

/**
 * A number for an object, the same while it lives, never reused. Memos compare these instead of
 * holding the objects: an old workspace schema or document model stays collectable.
 */
const ids = new WeakMap<object, number>();
let lastId = 0;
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = ++lastId));
  return id;
}

/**
 * One document's own DDL model, kept for the next analysis of that document. The model depends only
 * on the host path and the texts of the statements that shape tables, in order, except for the
 * locations it records (`origin`: offsets, lines, columns), which move when text above a statement
 * changes: those are moved to the statements' new places (`relocated`) instead of parsing again.
 */
interface DdlEntry {
  path: string;
  /**
   * The key: the shaping statements' texts in document order, as one own copy (`joined`) with the
   * offset of each in it (`offs`, one more than there are statements).
   */
  joined: string;
  offs: number[];
  /** lengthSignature() of the statements: entries whose lengths differ are passed over without reading text. */
  sig: number;
  /** Where each of them started, and its 0-based line and column, when `model` was made. */
  starts: number[];
  lines: number[];
  cols: number[];
  model: DdlSchemaModel | null;
}

// Most recently used last. An entry holds its model and its statements' texts: a few open
// documents, each with its embedded queries, fit.
const DDL_CACHE_MAX = 32;
const ddlCache: DdlEntry[] = [];
/** Per host path, the texts of the functions left out of its DDL model's key in its last analysis. */
const inertFunctions = new Map<string, string[]>();

/** How often the document DDL cache was used: built anew, reused as is, reused with its locations moved (for tests). */
export const ruleCacheStats = { ddlBuilt: 0, ddlReused: 0, ddlMoved: 0 };

/** Forgets every cross-analysis cache of this module (tests compare a cached analysis with a fresh one). */
export function clearRuleCaches(): void {
  ddlCache.length = 0;
  inertFunctions.clear();
  astByText.clear();
  memos.clear();
}

// ---------------------------------------------------------------------------------------------
// Per-statement reports, reused across analyses.

/** What a memoized check depends on besides the statement's text, depth and `ctx.embedded`. */
export interface MemoOptions {
  /** The check resolves tables in the document's own DDL (`resolveTable`). */
  documentDdl: boolean;
  /** The check reads text past the statement up to here (a COPY's inline data). */
  end?: number;
  /** Any other fact of the statement's place the check reads (e.g. inside an explicit transaction), as a number. */
  variant?: number;
}

/** One statement's reports by one rule, and what they were computed from. */
interface Memo {
  depth: number;
  variant: number;
  embedded: boolean;
  /** The workspace schema object's and the DDL cache entry's ids (see idOf): a memo pins neither. */
  schema: number;
  naturalKeys: string;
  local: number;
  /** Where the statement started: the reports' offsets are into the text of that analysis. */
  base: number;
  reports: RuleReport[];
}

const MEMO_MAX_CHARS = 500_000;
/** Rule id → statement text (with its `;`) → memo. */
const memos = new Map<string, TextCache<Memo>>();
const naturalKeysText = new WeakMap<AnalyzerConfig, string>();
/** Each statement's text with its `;`, shared by the rules of one analysis. */
const stmtKeys = new WeakMap<Statement, string>();

/** The configured natural keys as text: the editor makes a new config object for every analysis. */
function naturalKeysOf(config: AnalyzerConfig): string {
  let t = naturalKeysText.get(config);
  if (t === undefined) naturalKeysText.set(config, (t = JSON.stringify(config.naturalKeys ?? {})));
  return t;
}

/** `r` with every offset (range and fix edits) moved by `d`. Related locations point at DDL elsewhere and stay. */
function shifted(r: RuleReport, d: number): RuleReport {
  const out: RuleReport = { ...r, start: r.start + d, end: r.end + d };
  if (r.fixes) out.fixes = r.fixes.map((f) => ({ ...f, edits: f.edits.map((e) => ({ start: e.start + d, end: e.end + d, newText: e.newText })) }));
  return out;
}

/**
 * Runs `check` for `stmt` (it reports through the context it is given), or replays its reports from
 * an earlier analysis when that saw the same statement text (`;` included) at the same depth, with
 * the same workspace schema object, natural keys and (`documentDdl`) document DDL model content: the editor
 * re-analyzes the whole document on every change, and nearly every statement is as it was.
 *
 * Only for checks whose reports depend on nothing else: offsets inside the statement (moved with
 * it), tables resolved through `resolveTable` / `lookupTable`, `ctx.embedded`. Not for related
 * locations into the document itself (they move with the DDL, not with the statement), nor for
 * anything read from other statements. Reports are shared between analyses: never mutate them.
 */
export function statementReports(id: string, stmt: Statement, ctx: RuleContext, options: MemoOptions, check: (ctx: RuleContext) => void): void {
  if (ctx.reuse === false) {
    check(ctx);
    return;
  }
  const text = stmt.source;
  const own = stmt.terminator >= stmt.end ? stmt.terminator + 1 : stmt.end;
  const end = Math.max(options.end ?? 0, own);
  let key: string | undefined;
  if (end === own) {
    // one key string per statement for every rule: a string computes its hash once, on first lookup
    key = stmtKeys.get(stmt);
    if (key === undefined) stmtKeys.set(stmt, (key = text.slice(stmt.start, end)));
  } else key = text.slice(stmt.start, end);
  const variant = options.variant ?? 0;
  let rule = memos.get(id);
  if (!rule) memos.set(id, (rule = new TextCache<Memo>(MEMO_MAX_CHARS)));
  const schema = ctx.schema ? idOf(ctx.schema) : 0;
  const naturalKeys = naturalKeysOf(ctx.config);
  // a check that resolves tables in the document's own DDL depends on that model's content
  const local = options.documentDdl && parserReady() ? (documentSchema(ctx.doc, ctx.path), idOf(localEntry.get(ctx.doc) ?? NO_MODEL)) : 0;
  const m = rule.get(key);
  if (m && m.depth === stmt.depth && m.variant === variant && m.embedded === ctx.embedded && m.schema === schema && m.naturalKeys === naturalKeys && m.local === local) {
    // moved copies are made for this analysis only: kept, each would outlive a young-generation
    // collection and become old-generation garbage at the next move (major collections)
    if (m.base === stmt.start) for (const r of m.reports) ctx.report(r);
    else for (const r of m.reports) ctx.report(shifted(r, stmt.start - m.base));
    return;
  }
  const reports: RuleReport[] = [];
  check({ ...ctx, report: (r) => reports.push(r) });
  for (const r of reports) ctx.report(r);
  if (key.length > MEMO_MAX_CHARS / 10) return;
  rule.set(key, { depth: stmt.depth, variant, embedded: ctx.embedded, schema, naturalKeys, local, base: stmt.start, reports: reports.map(owned) });
}

/** `r` with its texts copied: a message or fix made from slices of the document would keep that version alive. */
function owned(r: RuleReport): RuleReport {
  const out: RuleReport = { ...r, message: ownCopy(r.message) };
  if (r.fixes) out.fixes = r.fixes.map((f) => ({ ...f, title: ownCopy(f.title), edits: f.edits.map((e) => ({ start: e.start, end: e.end, newText: ownCopy(e.newText) })) }));
  return out;
}

/** True when a parse holds CREATE FUNCTION / PROCEDURE statements only (nothing the DDL model applies). */
function onlyFunctions(tree: any): boolean {
  const stmts: any[] | undefined = tree?.stmts;
  if (!stmts?.length) return false;
  for (const raw of stmts) if (!raw?.stmt?.CreateFunctionStmt) return false;
  return true;
}

/** True when text[start, end) contains `set_config` in any case (no slice, no regex). */
function mentionsSetConfig(text: string, start: number, end: number): boolean {
  const w = 'set_config';
  outer: for (let i = start; i + w.length <= end; i++) {
    for (let j = 0; j < w.length; j++) {
      let c = text.charCodeAt(i + j);
      if (c >= 65 && c <= 90) c |= 0x20;
      if (c !== w.charCodeAt(j)) continue outer;
    }
    return true;
  }
  return false;
}

/** 0-based line and column of each of the ascending offsets `starts` (lines break at \n, as locationAt counts). */
function linesAndCols(text: string, starts: number[], lines: number[], cols: number[]): void {
  let line = 0;
  let lineStart = 0;
  let from = 0;
  for (let i = 0; i < starts.length; i++) {
    const at = starts[i];
    for (let nl = text.indexOf('\n', from); nl >= 0 && nl < at; nl = text.indexOf('\n', nl + 1)) {
      line++;
      lineStart = nl + 1;
    }
    from = at;
    lines.push(line);
    cols.push(at - lineStart);
  }
}

/**
 * The cached (or a new) entry for these statements, and the model to use now: the entry's own, or a
 * copy with its locations moved to where the statements stand now. The copy is not kept (kept, it
 * would become old-generation garbage at the next move); the entry keeps the positions its model has.
 */
function ddlModel(text: string, path: string, starts: number[], ends: number[]): { entry: DdlEntry; model: DdlSchemaModel | null } {
  let sig = lengthSignature(starts, ends);
  let entry = cachedDdl(text, path, starts, ends, sig);
  if (!entry) {
    // A statement the grammar rejects adds nothing to the model (parseRange finds nothing in it):
    // without those, the key may be cached already (typing in a CREATE TABLE leaves it invalid at
    // most keystrokes). Only on a miss (a hit needs no parse lookups), and only for the statements
    // that differ from this path's latest entry, all of whose statements parse.
    const [lo, hi] = differingFromLatest(text, path, starts, ends);
    const keptStarts: number[] = [];
    const keptEnds: number[] = [];
    for (let i = 0; i < starts.length; i++) {
      if (i >= lo && i < hi && rejectedPiece(text.slice(starts[i], ends[i]))) continue;
      keptStarts.push(starts[i]);
      keptEnds.push(ends[i]);
    }
    if (keptStarts.length < starts.length) {
      starts = keptStarts;
      ends = keptEnds;
      sig = lengthSignature(starts, ends);
      entry = cachedDdl(text, path, starts, ends, sig);
    }
  }
  const n = starts.length;
  const lines: number[] = [];
  const cols: number[] = [];
  linesAndCols(text, starts, lines, cols);
  if (entry) {
    let moved = false;
    for (let i = 0; i < n && !moved; i++) moved = entry.starts[i] !== starts[i] || entry.lines[i] !== lines[i] || entry.cols[i] !== cols[i];
    if (moved) ruleCacheStats.ddlMoved++;
    else ruleCacheStats.ddlReused++;
    if (moved && entry.model) {
      const old = entry;
      const model = entry.model.relocated((l) => {
        // the statement holding the location: the last one starting at or before it
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (old.starts[mid] <= l.start) lo = mid;
          else hi = mid - 1;
        }
        const dOff = starts[lo] - old.starts[lo];
        const dLine = lines[lo] - old.lines[lo];
        const dCol = cols[lo] - old.cols[lo];
        // only a position on the statement's first line has its column moved with the statement
        const firstLine = old.lines[lo] + 1;
        return {
          path: l.path, start: l.start + dOff, end: l.end + dOff,
          line: l.line + dLine, column: l.line === firstLine ? l.column + dCol : l.column,
          endLine: l.endLine + dLine, endColumn: l.endLine === firstLine ? l.endColumn + dCol : l.endColumn,
        };
      });
      return { entry, model };
    }
    return { entry, model: entry.model };
  }
  ruleCacheStats.ddlBuilt++;
  let model: DdlSchemaModel | null = new DdlSchemaModel();
  try {
    const ranges: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) ranges.push([starts[i], ends[i]]);
    model.applyFile({ path, text }, ranges);
  } catch {
    model = null;
  }
  // one own copy of all the texts: one copy call instead of one per statement
  const pieces: string[] = [];
  const offs: number[] = [0];
  for (let i = 0; i < n; i++) {
    pieces.push(text.slice(starts[i], ends[i]));
    offs.push(offs[i] + ends[i] - starts[i]);
  }
  const made: DdlEntry = { path, joined: ownCopy(pieces.join('')), offs, sig, starts, lines, cols, model };
  ddlCache.push(made);
  if (ddlCache.length > DDL_CACHE_MAX) ddlCache.shift();
  return { entry: made, model };
}

/** The cached entry whose key is the texts text[starts[i], ends[i]) (made most recently used), or undefined. */
function cachedDdl(text: string, path: string, starts: number[], ends: number[], sig: number): DdlEntry | undefined {
  const n = starts.length;
  for (let k = ddlCache.length - 1; k >= 0; k--) {
    const e = ddlCache[k];
    // (an edit almost always changes some statement's length: most entries end here, text unread)
    if (e.sig !== sig || e.path !== path || e.offs.length !== n + 1) continue;
    let same = true;
    for (let i = 0; i < n && same; i++) same = entryText(e, i, text, starts[i], ends[i]);
    if (same) {
      ddlCache.splice(k, 1);
      ddlCache.push(e);
      return e;
    }
  }
  return undefined;
}

/**
 * The statements [lo, hi) that are not the same text as in `path`'s most recent entry: the rest is
 * its common prefix and suffix. With no entry for the path, all of them.
 */
function differingFromLatest(text: string, path: string, starts: number[], ends: number[]): [number, number] {
  let last: DdlEntry | undefined;
  for (let k = ddlCache.length - 1; k >= 0 && !last; k--) if (ddlCache[k].path === path) last = ddlCache[k];
  let lo = 0;
  let hi = starts.length;
  if (!last) return [lo, hi];
  const m = last.offs.length - 1;
  while (lo < hi && lo < m && entryText(last, lo, text, starts[lo], ends[lo])) lo++;
  // the entry's suffix must not reach back into the part its prefix matched
  for (let j = m - 1; hi > lo && j >= lo && entryText(last, j, text, starts[hi - 1], ends[hi - 1]); j--) hi--;
  return [lo, hi];
}

/** Whether the entry's j-th statement text is text[start, end). */
function entryText(e: DdlEntry, j: number, text: string, start: number, end: number): boolean {
  const a = e.offs[j], b = e.offs[j + 1];
  return end - start === b - a && text.startsWith(e.joined.slice(a, b), start);
}

/** A number from the lengths of text[starts[i], ends[i]), in order (equal for equal lists of texts). */
function lengthSignature(starts: number[], ends: number[]): number {
  let h = starts.length;
  for (let i = 0; i < starts.length; i++) h = (Math.imul(h, 0x01000193) ^ (ends[i] - starts[i])) | 0;
  return h;
}

/** The tables the document itself declares (CREATE TABLE in this very file), or undefined. */
export function documentSchema(doc: SqlDocument, path?: string): DdlSchemaModel | undefined {
  const hit = localCache.get(doc);
  if (hit !== undefined) return hit ?? undefined;
  // without the parser there is no model: skip the scan below
  if (!parserReady()) {
    localCache.set(doc, null);
    return undefined;
  }
  // only the statements that shape tables are parsed (DML is most of a script, and irrelevant here)
  const text = doc.text;
  const file = path ?? '(this file)';
  const starts: number[] = [];
  const ends: number[] = [];
  let shaping = false;
  // functions found inert in the last analysis of this path, in order: an equal text needs no parse lookup
  const before = inertFunctions.get(file);
  const inert: string[] = [];
  let j = 0;
  for (const s of doc.statements) {
    const kw = s.keyword;
    if (kw !== 'create' && kw !== 'alter' && kw !== 'drop' && kw !== 'set' && kw !== 'do' && !(kw === 'select' && mentionsSetConfig(text, s.start, s.end))) continue;
    const end = s.terminator >= 0 ? s.terminator : s.end;
    // A function the grammar accepts as written changes no table: left out of the model's key, so
    // typing in a function body does not make the model again. (One that needs its placeholders
    // neutralized stays: the names it adds decide how later statements resolve their schema.)
    if (s.kind === 'create-function') {
      const len = end - s.start;
      let known: string | undefined;
      // the next one, or the one after (a function deleted in between)
      for (let k = j; before && k < before.length && k <= j + 1 && !known; k++) {
        if (before[k].length === len && text.startsWith(before[k], s.start)) {
          known = before[k];
          j = k + 1;
        }
      }
      if (known === undefined) {
        const piece = text.slice(s.start, end);
        // A function the grammar rejects, as written and with placeholders neutralized, adds nothing
        // to the model either (parseRange finds nothing in it): typing in a function's header, where
        // most keystrokes leave it invalid, does not make the model again.
        const tree = tryParse(piece);
        if (tree ? onlyFunctions(tree) : rejectedPiece(piece)) known = ownCopy(piece);
      }
      if (known !== undefined) {
        inert.push(known);
        continue;
      }
    }
    if (s.createTable || s.createIndex || kw === 'alter' || kw === 'do') shaping = true;
    starts.push(s.start);
    ends.push(end);
  }
  // (most documents, and every query embedded in TS, declare no function: no map work for them)
  if (inert.length || before !== undefined) {
    inertFunctions.delete(file);
    inertFunctions.set(file, inert);
    if (inertFunctions.size > DDL_CACHE_MAX) inertFunctions.delete(inertFunctions.keys().next().value!);
  }
  const made = shaping ? ddlModel(text, file, starts, ends) : undefined;
  const entry = made?.entry;
  const out = made?.model ?? null;
  localCache.set(doc, out);
  localEntry.set(doc, entry && out ? entry : NO_MODEL);
  return out ?? undefined;
}

/**
 * The table `ref` names. `here` (for statements that use a table): this document's own DDL first,
 * since it is the state the statement runs against, then the workspace schema. `final` (for DDL
 * rules that judge the end result): the workspace schema first. A table the document re-creates,
 * drops or re-keys is ambiguous in its own document: unknown.
 */
export function resolveTable(ctx: RuleContext, ref: { name: string; schema?: string } | TableRef, mode: 'here' | 'final' = 'here'): TableDescription | undefined {
  // a templated schema (`:SCHEMA.jobs`, `{{ .Namespace }}.users`, `${schema}.t`) resolves like an unqualified name
  if (isTemplatedSchema(ref.schema)) ref = { name: ref.name };
  if (mode === 'final') {
    const w = lookupTable(ctx.schema, ref as TableRef);
    if (w) return w;
  }
  let local: DdlSchemaModel | undefined;
  try {
    local = documentSchema(ctx.doc, ctx.path);
  } catch {
    local = undefined;
  }
  const t = local?.lookup(ref.name, ref.schema);
  if (t) return local!.isChurned(t) ? undefined : t;
  return mode === 'here' ? lookupTable(ctx.schema, ref as TableRef) : undefined;
}

/** Column names that carry an event's version or time: what an upsert must compare before it overwrites. */
const VERSION_NAMES = new Set([
  'version', 'row_version', 'record_version', 'revision', 'rev', 'lsn', 'source_lsn', 'commit_lsn', 'ts_ms', 'source_ts_ms',
  'event_ts', 'event_time', 'event_timestamp', 'occurred_at', 'updated_at', 'modified_at', 'last_modified', 'last_modified_at',
  'last_updated', 'last_updated_at', 'changed_at', 'source_updated_at', 'sequence_number', 'seq_no', 'event_version', 'etag_version',
]);

/** True when a column name says it orders versions of a row (updated_at, version, ts_ms, lsn...). */
export function isVersionColumn(name: string): boolean {
  const n = name.toLowerCase();
  return VERSION_NAMES.has(n) || /(^|_)(version|lsn|ts_ms)$/.test(n);
}

/** The version-like columns of a known table, in table order. */
export function versionColumns(table: TableDescription | undefined): string[] {
  return (table?.columns ?? []).map((c) => c.name).filter(isVersionColumn);
}

/** True when key columns equal `cols` as sets (expressions compared in canonical form). */
export function sameKeyColumns(key: UniqueKey | string[], cols: string[]): boolean {
  const k = Array.isArray(key) ? key : key.columns;
  // different lengths may still be equal sets (a column named twice): only the plain case is decided here
  if (k.length === cols.length && plainNames(k) && plainNames(cols)) {
    // plain lower-case names are their own canonical form: no normalized copies to make
    for (let i = 0; i < k.length; i++) if (!cols.includes(k[i])) return false;
    for (let i = 0; i < cols.length; i++) if (!k.includes(cols[i])) return false;
    return true;
  }
  const a = k.map(normalizeSql);
  const b = cols.map(normalizeSql);
  return a.length === b.length && a.every((c) => b.includes(c)) && b.every((c) => a.includes(c));
}

/** True when every name is made of a-z, 0-9 and _ only (normalizeSql leaves it as it is). */
function plainNames(names: string[]): boolean {
  for (let i = 0; i < names.length; i++) {
    const n = names[i];
    for (let j = 0; j < n.length; j++) {
      const c = n.charCodeAt(j);
      if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95)) return false;
    }
  }
  return true;
}

/** Quotes an identifier when PostgreSQL needs it. */
export const ident = quoteIdent;

/** The string value of a libpg-query `String` node. */
export function sval(n: any): string {
  return n?.String?.sval ?? n?.sval ?? '';
}

/** Every node of `kind` under `node` (depth first). */
export function findNodes(node: any, kind: string, out: any[] = []): any[] {
  if (!node || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    for (const x of node) findNodes(x, kind, out);
    return out;
  }
  for (const [k, v] of Object.entries(node)) {
    if (k === kind) out.push(v);
    findNodes(v, kind, out);
  }
  return out;
}

/** Offset just after the token that starts at `offset` in the document (or `offset` when none does). */
export function tokenEnd(doc: SqlDocument, offset: number): number {
  const t = doc.tokens;
  let lo = 0;
  let hi = t.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t.starts[mid] < offset) lo = mid + 1;
    else if (t.starts[mid] > offset) hi = mid - 1;
    else return t.ends[mid];
  }
  return offset;
}

/** True when a fix would write a neutralized interpolation (`_tpl___`) back into the code. */
export function leaksPlaceholder(fix: Fix): boolean {
  return fix.edits.some((e) => /\b_tpl_*\b|\b_tpl\w*/.test(e.newText));
}

/** Source-side columns of `t.a = s.a AND ...` equalities. */
export function joinColumns(cond: any, source: string, target: string): string[] {
  const out: string[] = [];
  for (const e of findNodes(cond, 'A_Expr')) {
    if (e.kind !== 'AEXPR_OP' || sval(e.name?.[0]) !== '=') continue;
    const sides = [e.lexpr?.ColumnRef, e.rexpr?.ColumnRef];
    for (const side of sides) {
      const f: string[] = (side?.fields ?? []).map(sval);
      if (f.length >= 2 && f[f.length - 2] === source && f[f.length - 2] !== target) out.push(f[f.length - 1]);
    }
  }
  return [...new Set(out)];
}
