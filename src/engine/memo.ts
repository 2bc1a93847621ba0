/**
 * A statement rule's reports, replayed across analyses (docs/caching.md, "Statement findings"): the
 * editor analyzes the whole document again on every change, and nearly every statement is as it
 * was. Keyed by rule and statement text (`;` and a COPY's inline data included); replayed only while
 * everything else the reports were computed from is the same: the statement's depth and transaction,
 * whether it is embedded in TS/JS, the workspace schema object, the natural keys and, for rules that
 * read the document's own DDL, that model's content. Offsets move with the statement.
 */
import type { Statement } from '../core/facts';
import { ownCopy, TextCache } from '../core/schema/pg';
import type { AnalyzerConfig } from '../core/types';
import type { RuleReport } from '../rules/rule';

/** One statement's reports by one rule, and what they were computed from. */
interface Memo {
  depth: number;
  txn: boolean;
  embedded: boolean;
  /** The workspace schema object's and the DDL cache entry's ids (see idOf): a memo pins neither. */
  schema: number;
  naturalKeys: string;
  local: number;
  /** Where the statement started: the reports' offsets are into the text of that analysis. */
  base: number;
  reports: RuleReport[];
}

/** What the reports of one statement were computed from besides its text. */
export interface MemoKey {
  embedded: boolean;
  /** The workspace schema object, if any. */
  schema: object | undefined;
  config: AnalyzerConfig;
  /** The document DDL model's cache entry, for rules that read it (undefined for the others). */
  documentDdl: object | undefined;
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

/** Statement rules' reports by rule id and statement text. */
export class ReportMemo {
  /** Rule id → statement text (with its `;`, and a COPY's data) → memo. */
  private readonly memos = new Map<string, TextCache<Memo>>();
  private readonly naturalKeysText = new WeakMap<AnalyzerConfig, string>();
  /** Each statement's key text, shared by the rules of one analysis. */
  private readonly stmtKeys = new WeakMap<Statement, string>();

  /**
   * Calls `check(emit)` for `stmt`, or replays the reports an earlier analysis made for the same
   * statement text from the same inputs; either way each report goes to `report`. Reports are
   * shared between analyses: nothing downstream may mutate them.
   */
  run(ruleId: string, stmt: Statement, key: MemoKey, report: (r: RuleReport) => void, check: (emit: (r: RuleReport) => void) => void): void {
    let text = this.stmtKeys.get(stmt);
    if (text === undefined) {
      // one key string per statement for every rule: a string computes its hash once, on first lookup
      const own = stmt.terminator >= stmt.end ? stmt.terminator + 1 : stmt.end;
      // a COPY's inline data is part of it (its fix is written after the data)
      const end = Math.max(stmt.copy?.data?.end ?? 0, own);
      this.stmtKeys.set(stmt, (text = stmt.source.slice(stmt.start, end)));
    }
    let rule = this.memos.get(ruleId);
    if (!rule) this.memos.set(ruleId, (rule = new TextCache<Memo>(MEMO_MAX_CHARS)));
    const schema = key.schema ? idOf(key.schema) : 0;
    const naturalKeys = this.naturalKeysOf(key.config);
    const local = key.documentDdl ? idOf(key.documentDdl) : 0;
    const txn = stmt.inExplicitTxn;
    const m = rule.get(text);
    if (m && m.depth === stmt.depth && m.txn === txn && m.embedded === key.embedded && m.schema === schema && m.naturalKeys === naturalKeys && m.local === local) {
      // moved copies are made for this analysis only: kept, each would outlive a young-generation
      // collection and become old-generation garbage at the next move (major collections)
      if (m.base === stmt.start) for (const r of m.reports) report(r);
      else for (const r of m.reports) report(shifted(r, stmt.start - m.base));
      return;
    }
    const reports: RuleReport[] = [];
    check((r) => reports.push(r));
    for (const r of reports) report(r);
    if (text.length > MEMO_MAX_CHARS / 10) return;
    rule.set(text, { depth: stmt.depth, txn, embedded: key.embedded, schema, naturalKeys, local, base: stmt.start, reports: reports.map(owned) });
  }

  /** The configured natural keys as text: the editor makes a new config object for every analysis. */
  private naturalKeysOf(config: AnalyzerConfig): string {
    let t = this.naturalKeysText.get(config);
    if (t === undefined) this.naturalKeysText.set(config, (t = JSON.stringify(config.naturalKeys ?? {})));
    return t;
  }
}
