/**
 * A statement rule's reports, replayed across analyses (docs/caching.md, "Statement findings"): the
 * editor analyzes the whole document again on every change, and nearly every statement is as it
 * was. Keyed by rule and statement text (`;` and a COPY's inline data included); replayed only while
 * everything else the reports were computed from is the same: the statement's depth and transaction,
 * whether it is embedded in TS/JS, the workspace schema object, the natural keys and, for rules that
 * read the document's own DDL, that model's content. Offsets move with the statement.
 */
import type { SqlDocument, Statement } from '../core/facts';
import { ownCopy, TextCache } from '../core/schema/pg';
import type { AnalyzerConfig } from '../core/types';
import type { RuleReport } from '../rules/rule';

/** One statement's reports by one rule, and what they were computed from besides the statement. */
interface Memo {
  /** The workspace schema object's and the DDL cache entry's ids (see idOf): a memo pins neither. */
  schema: number;
  naturalKeys: string;
  local: number;
  /** Where the statement started: the reports' offsets are into the text of that analysis. */
  base: number;
  reports: RuleReport[];
}

/** Everything remembered for one statement text: its place, and each rule's memo by rule slot. */
interface Entry {
  depth: number;
  txn: boolean;
  embedded: boolean;
  rules: Array<Memo | undefined>;
}

const MEMO_MAX_CHARS = 500_000;

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

/** `r` with every offset (range and fix edits) moved by `d`. Related locations point at DDL elsewhere and stay. */
function shifted(r: RuleReport, d: number): RuleReport {
  const out: RuleReport = { ...r, start: r.start + d, end: r.end + d };
  if (r.fixes) out.fixes = r.fixes.map((f) => ({ ...f, edits: f.edits.map((e) => ({ start: e.start + d, end: e.end + d, newText: e.newText })) }));
  return out;
}

/** `r` with its texts copied: a message or fix made from slices of the document would keep that version alive. */
function owned(r: RuleReport): RuleReport {
  const out: RuleReport = { ...r, message: ownCopy(r.message) };
  if (r.fixes) out.fixes = r.fixes.map((f) => ({ ...f, title: ownCopy(f.title), edits: f.edits.map((e) => ({ start: e.start, end: e.end, newText: ownCopy(e.newText) })) }));
  return out;
}

/** What one analysis's memo lookups compare besides the statement: the same for all its statements. */
export interface MemoInputs {
  /** The rule's slot in an entry (`ReportMemo.slot`). */
  slot: number;
  /** The workspace schema object's id, 0 for none. */
  schema: number;
  naturalKeys: string;
  /** The document DDL model entry's id for rules that read it, else 0. */
  local: number;
}

/** Statement rules' reports by statement text and rule. */
export class ReportMemo {
  /** Statement text (with its `;`, and a COPY's data) → what each rule reported for it. One lookup per statement, for every rule. */
  private readonly entries = new TextCache<Entry>(MEMO_MAX_CHARS);
  /** Rule id → its slot in `Entry.rules`. */
  private readonly slots = new Map<string, number>();
  private readonly naturalKeysText = new WeakMap<AnalyzerConfig, string>();

  /** The slot of a rule's memos in each entry. */
  slot(ruleId: string): number {
    let slot = this.slots.get(ruleId);
    if (slot === undefined) this.slots.set(ruleId, (slot = this.slots.size));
    return slot;
  }

  /** The ids memos compare for these objects (see idOf), and the natural keys as text. */
  inputs(schema: object | undefined, config: AnalyzerConfig, documentDdl: object | undefined): Omit<MemoInputs, 'slot'> {
    let t = this.naturalKeysText.get(config);
    // the editor makes a new config object for every analysis: compared as text
    if (t === undefined) this.naturalKeysText.set(config, (t = JSON.stringify(config.naturalKeys ?? {})));
    return { schema: schema ? idOf(schema) : 0, naturalKeys: t, local: documentDdl ? idOf(documentDdl) : 0 };
  }

  /** A document's entries, found or made once per statement in this analysis. */
  document(embedded: boolean): DocEntries {
    return new DocEntries(this.entries, embedded);
  }
}

/** One document's statements' entries, found or made once per analysis. */
export class DocEntries {
  private readonly byIndex: Array<Entry | undefined> = [];

  constructor(private readonly cache: TextCache<Entry>, private readonly embedded: boolean) {}

  private of(stmt: Statement): Entry | undefined {
    let e = this.byIndex[stmt.index];
    if (e !== undefined) return e;
    // a COPY's inline data is part of its key (its fix is written after the data)
    const own = stmt.terminator >= stmt.end ? stmt.terminator + 1 : stmt.end;
    const end = Math.max(stmt.copy?.data?.end ?? 0, own);
    if (end - stmt.start > MEMO_MAX_CHARS / 10) return undefined;
    const text = stmt.source.slice(stmt.start, end);
    e = this.cache.get(text);
    if (!e || e.depth !== stmt.depth || e.txn !== stmt.inExplicitTxn || e.embedded !== this.embedded) {
      e = { depth: stmt.depth, txn: stmt.inExplicitTxn, embedded: this.embedded, rules: [] };
      this.cache.set(text, e);
    }
    this.byIndex[stmt.index] = e;
    return e;
  }

  /**
   * Calls `check(stmt, emit)`, or replays the reports an earlier analysis made for the same statement
   * text at the same place from the same inputs; either way each report goes to `report`. Reports
   * are shared between analyses: nothing downstream may mutate them.
   */
  run(stmt: Statement, k: MemoInputs, report: (r: RuleReport) => void, check: (stmt: Statement, emit: (r: RuleReport) => void) => void): void {
    const e = this.of(stmt);
    const m = e?.rules[k.slot];
    if (m && m.schema === k.schema && m.naturalKeys === k.naturalKeys && m.local === k.local) {
      // moved copies are made for this analysis only: kept, each would outlive a young-generation
      // collection and become old-generation garbage at the next move (major collections)
      if (m.base === stmt.start) for (const r of m.reports) report(r);
      else for (const r of m.reports) report(shifted(r, stmt.start - m.base));
      return;
    }
    const reports: RuleReport[] = [];
    check(stmt, (r) => reports.push(r));
    for (const r of reports) report(r);
    if (e) e.rules[k.slot] = { schema: k.schema, naturalKeys: k.naturalKeys, local: k.local, base: stmt.start, reports: reports.length ? reports.map(owned) : NONE };
  }
}

const NONE: RuleReport[] = [];
