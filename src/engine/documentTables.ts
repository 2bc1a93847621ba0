/**
 * The document's own DDL model across analyses (docs/caching.md, "The document's DDL model"): keyed
 * by the host path and the texts of the statements that shape tables, locations moved where those
 * statements moved instead of parsing again.
 */
import type { SqlDocument } from '../core/facts';
import { LineIndex } from '../core/positions';
import { DdlSchemaModel } from '../core/schema/ddl';
import { ownCopy, parserReady, rejectedPiece, tryParse } from '../core/schema/pg';

/** How a document's model was had: made anew, reused as is, or reused with its locations moved. */
export type DdlObserver = (how: 'built' | 'reused' | 'moved') => void;

const NO_MODEL = {};

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

/** 0-based line and column of each of the offsets `starts` (as the model's locations count them: LineIndex). */
function linesAndCols(text: string, starts: number[], lines: number[], cols: number[]): void {
  const index = new LineIndex(text);
  for (let i = 0; i < starts.length; i++) {
    const p = index.position(starts[i]);
    lines.push(p.line - 1);
    cols.push(p.column - 1);
  }
}

/**
 * The cached (or a new) entry for these statements, and the model to use now: the entry's own, or a
 * copy with its locations moved to where the statements stand now. The copy is not kept (kept, it
 * would become old-generation garbage at the next move); the entry keeps the positions its model has.
 */
function ddlModel(ddlCache: DdlEntry[], observe: DdlObserver | undefined, text: string, path: string, starts: number[], ends: number[], keep = true): { entry: DdlEntry; model: DdlSchemaModel | null } {
  let sig = lengthSignature(starts, ends);
  let entry = cachedDdl(ddlCache, text, path, starts, ends, sig);
  // (a model not kept, with no entry of this path to find: no key to look up again; applyFile skips
  // the rejected statements all the same, and a run that reads each document once parses each once)
  if (!entry && (keep || ddlCache.some((e) => e.path === path))) {
    // A statement the grammar rejects adds nothing to the model (parseRange finds nothing in it):
    // without those, the key may be cached already (typing in a CREATE TABLE leaves it invalid at
    // most keystrokes). Only on a miss (a hit needs no parse lookups), and only for the statements
    // that differ from this path's latest entry, all of whose statements parse.
    const [lo, hi] = differingFromLatest(ddlCache, text, path, starts, ends);
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
      entry = cachedDdl(ddlCache, text, path, starts, ends, sig);
    }
  }
  const n = starts.length;
  const lines: number[] = [];
  const cols: number[] = [];
  linesAndCols(text, starts, lines, cols);
  if (entry) {
    let moved = false;
    for (let i = 0; i < n && !moved; i++) moved = entry.starts[i] !== starts[i] || entry.lines[i] !== lines[i] || entry.cols[i] !== cols[i];
    observe?.(moved ? 'moved' : 'reused');
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
  observe?.('built');
  let model: DdlSchemaModel | null = new DdlSchemaModel();
  try {
    const ranges: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) ranges.push([starts[i], ends[i]]);
    model.applyFile({ path, text }, ranges);
  } catch {
    model = null;
  }
  // not kept (a run that reads each document once): no copy of its statements' texts
  if (!keep) return { entry: { path, joined: '', offs: [], sig, starts, lines, cols, model }, model };
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
function cachedDdl(ddlCache: DdlEntry[], text: string, path: string, starts: number[], ends: number[], sig: number): DdlEntry | undefined {
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
function differingFromLatest(ddlCache: DdlEntry[], text: string, path: string, starts: number[], ends: number[]): [number, number] {
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

/**
 * Each document's own DDL model (the tables its CREATE / ALTER / DROP statements declare), kept for
 * the next analysis of that document: see docs/caching.md.
 */
export class DocumentTables {
  private readonly ddlCache: DdlEntry[] = [];
  /** Per host path, the texts of the functions left out of its DDL model's key in its last analysis. */
  private readonly inertFunctions = new Map<string, string[]>();
  private readonly localCache = new WeakMap<SqlDocument, DdlSchemaModel | null>();
  /** The cache entry behind each document's model: the same object while the model's content is (see ReportMemo). */
  private readonly localEntry = new WeakMap<SqlDocument, object>();

  /** `observe` hears how each model was had: built anew, reused as is, or reused with its locations moved. */
  constructor(private readonly observe?: DdlObserver) {}

  /** The entry behind `doc`'s model (one object per model content), after `of(doc)`: what a memo of a rule reading the document's DDL compares. */
  entryOf(doc: SqlDocument): object {
    return this.localEntry.get(doc) ?? NO_MODEL;
  }

  /**
   * The tables the document itself declares (CREATE TABLE in this very file), or undefined. With
   * `keep` false (a run that reads each document once), the model is not kept for the next analysis.
   */
  of(doc: SqlDocument, path?: string, keep = true): DdlSchemaModel | undefined {
    const localCache = this.localCache;
    const localEntry = this.localEntry;
    const inertFunctions = this.inertFunctions;
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
      // A model not kept has no key to keep small: its functions go to applyFile, which parses none
      // of those that cannot shape tables (`mayShapeTables`), so the grammar is not asked about them here.
      if (keep && s.kind === 'create-function') {
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
    const made = shaping ? ddlModel(this.ddlCache, this.observe, text, file, starts, ends, keep) : undefined;
    const entry = made?.entry;
    const out = made?.model ?? null;
    localCache.set(doc, out);
    localEntry.set(doc, entry && out ? entry : NO_MODEL);
    return out ?? undefined;
  }
}
