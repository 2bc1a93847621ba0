/**
 * `COPY <table> FROM STDIN / file / PROGRAM` straight into a real table with nothing that makes a
 * rerun safe (seed 000): when a load fails partway and is retried, the rows already committed are
 * copied again: the retry fails on the unique key (23505), or, without one, silently duplicates them.
 *
 * Not hazards: a staging table (created TEMP/UNLOGGED here, or merged later with INSERT ... SELECT
 * ... ON CONFLICT / MERGE), a TRUNCATE/DELETE of the target earlier in the same transaction, a table
 * created earlier in the same script (fresh loads, pg_dump restores), COPY TO.
 */
import type { Fix, Severity } from '../core/types';
import type { SqlDocument, Statement, StatementKind, TableRef } from '../core/facts';
import { arbiterKeys, keyChoices, keyLabel, keySupplied, lookupTable, tableLabel } from './keys';
import { errorIfCertain, tableAt } from './certainty';
import { makeName, quoteIdent } from '../core/quote';
import { docsUrl, type Rule, type RuleContext } from './rule';

const ID = 'copy-without-resume-strategy';

/** Where a table name shows up in one kind of statement: the first and last statement index. */
class TableSpots {
  // name -> schema as written (undefined when unqualified) -> [first, last] statement index
  private byName = new Map<string, Map<string | undefined, [number, number]>>();

  add(t: { schema?: string; name: string }, at: number): void {
    let schemas = this.byName.get(t.name);
    if (!schemas) this.byName.set(t.name, (schemas = new Map()));
    const span = schemas.get(t.schema);
    if (span) span[1] = at;
    else schemas.set(t.schema, [at, at]);
  }

  /** First and last index among entries that `sameTable` would match with `ref`. */
  find(ref: TableRef): [number, number] | undefined {
    const schemas = this.byName.get(ref.name);
    if (!schemas) return undefined;
    let first = Infinity;
    let last = -Infinity;
    for (const [schema, span] of schemas) {
      if (ref.schema !== undefined && schema !== undefined && schema !== ref.schema) continue;
      if (span[0] < first) first = span[0];
      if (span[1] > last) last = span[1];
    }
    return last < 0 ? undefined : [first, last];
  }
}

/** What the rule asks of a document, indexed once (a per-COPY scan of every statement is quadratic). */
interface DocIndex {
  /** CREATE TEMP/UNLOGGED TABLE. */
  staging: TableSpots;
  /** CREATE TABLE of any kind. */
  created: TableSpots;
  views: TableSpots;
  /** TRUNCATE or DELETE, per transaction id, and over the whole document. */
  emptiedInTxn: Map<number, TableSpots>;
  /**
   * TRUNCATE, or DELETE with no WHERE: the whole table emptied. What counts from another query of the
   * host file, whose place in the flow is unknown (a DELETE ... WHERE there is some other code path's
   * row delete, not a reload's clean-up).
   */
  emptied: TableSpots;
  /** Read by an INSERT ... ON CONFLICT, or the USING table of a MERGE. */
  merged: TableSpots;
}

const INDEXED_KINDS: readonly StatementKind[] = ['create-table', 'other', 'truncate', 'delete', 'insert', 'with', 'merge'];

/** The index of one document (built once per document and analysis: see `indexOf`). */
function docIndex(doc: SqlDocument): DocIndex {
  const ix: DocIndex = { staging: new TableSpots(), created: new TableSpots(), views: new TableSpots(), emptiedInTxn: new Map(), emptied: new TableSpots(), merged: new TableSpots() };
  // The kinds that can hold these facts (CREATE VIEW, CREATE RULE, EXPLAIN are kind 'other'): not the SELECTs, COPYs...
  for (const s of doc.ofKinds(INDEXED_KINDS)) {
    const j = s.index;
    const ct = s.createTable;
    if (ct) {
      ix.created.add(ct.table, j);
      if (ct.temp || ct.unlogged) ix.staging.add(ct.table, j);
    }
    if (s.createView) ix.views.add(s.createView, j);
    if (s.truncate || s.delete) {
      let inTxn = ix.emptiedInTxn.get(s.txn);
      if (!inTxn) ix.emptiedInTxn.set(s.txn, (inTxn = new TableSpots()));
      for (const t of s.truncate ?? []) { inTxn.add(t, j); ix.emptied.add(t, j); }
      if (s.delete) {
        inTxn.add(s.delete, j);
        if (!s.mentions('where')) ix.emptied.add(s.delete, j);
      }
    }
    for (const ins of s.upserts) for (const t of ins.reads) ix.merged.add(t, j);
    if (s.merge?.usingTable) ix.merged.add(s.merge.usingTable, j);
  }
  return ix;
}

/** Each document's index, made when first asked during one call of the rule. */
type Indexes = (doc: SqlDocument) => DocIndex;

/**
 * The same, across the other SQL documents of the host file (queries of one TS/JS file): transaction
 * boundaries between them are unknown, so an earlier TRUNCATE/DELETE counts.
 */
function resumeElsewhere(ctx: RuleContext, indexOf: Indexes, ref: TableRef): string | undefined {
  const docs = ctx.file?.docs ?? [];
  const index = ctx.file?.index ?? 0;
  for (let d = 0; d < docs.length; d++) {
    if (d === index) continue;
    const ix = indexOf(docs[d]);
    if (ix.staging.find(ref) || (d < index && ix.created.find(ref))) return 'created in another query';
    if (ix.views.find(ref)) return 'not a table';
    if (d < index && ix.emptied.find(ref)) return 'emptied first';
    if (d > index && ix.merged.find(ref)) return 'merged later';
  }
  return undefined;
}

/**
 * A TEMP table of that name created earlier in the host file, in any string of it: the call that ran
 * it (`querySync`, a driver's own method...) need not be one dupguard reads SQL from.
 */
function tempInHost(ctx: RuleContext, ref: TableRef, at: number): boolean {
  const host = ctx.file?.host;
  const sql = ctx.file?.sql;
  if (!host || !sql) return false;
  const name = ref.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`\\bcreate\\s+(?:(?:global|local)\\s+)?temp(?:orary)?\\s+table\\s+(?:if\\s+not\\s+exists\\s+)?(?:[A-Za-z_][\\w$]*\\.)?"?${name}"?(?![\\w$])`, 'i');
  const m = re.exec(host.slice(0, sql.toHost(at)));
  return !!m;
}

/** Why a COPY into `ref` at statement index i is safe to rerun, or undefined when nothing makes it so. */
function resumeStrategy(ix: DocIndex, doc: SqlDocument, i: number, ref: TableRef): string | undefined {
  if (ix.staging.find(ref)) return 'staging table';
  const created = ix.created.find(ref);
  if (created && created[0] < i) return 'created earlier in the script';
  // A view (INSTEAD OF trigger) or foreign table is not where rows pile up.
  if (ix.views.find(ref)) return 'not a table';
  const emptied = ix.emptiedInTxn.get(doc.all[i].txn)?.find(ref);
  if (emptied && emptied[0] < i) return 'emptied first in the same transaction';
  // Staging table merged into the real one with a conflict arbiter.
  const merged = ix.merged.find(ref);
  if (merged && merged[1] > i) return 'merged later';
  return undefined;
}

/** Snippet syntax escaped: text that must land as written in a fix that also holds a placeholder. */
function snippetText(text: string): string {
  return text.replace(/[\\$}]/g, (c) => `\\${c}`);
}

function stagingFix(stmt: Statement, ctx: RuleContext, keyTarget: string | undefined, keyLabelText: string | undefined, needsKey: boolean): Fix | undefined {
  const copy = stmt.copy!;
  const ref = copy.table!;
  const text = ctx.doc.text;
  const staging = quoteIdent(makeName(ref.name, '_staging'));
  const target = ref.raw;
  const cols = copy.columns?.length ? ` (${copy.columns.map((c) => text.slice(c.start, c.end)).join(', ')})` : '';
  const selectList = copy.columns?.length ? copy.columns.map((c) => text.slice(c.start, c.end)).join(', ') : '*';
  // A function body already runs inside its caller's transaction.
  const inTxn = stmt.inExplicitTxn || stmt.depth > 0;
  const begin = inTxn ? '' : 'BEGIN;\n';
  const commit = inTxn ? '' : 'COMMIT;\n';
  // No key known: a placeholder the editor selects for typing (never written by --fix as is).
  const snippet = keyTarget === undefined;
  const lit = (t: string) => (snippet ? snippetText(t) : t);
  const conflict = keyTarget ?? '(${1:key_column})';
  const head = `${begin}CREATE TEMP TABLE ${staging} (LIKE ${target} INCLUDING DEFAULTS) ON COMMIT DROP;\n${text.slice(stmt.start, ref.start)}${staging}`;
  const merge = (c: string) => `INSERT INTO ${lit(target)}${lit(cols)}\nSELECT ${lit(selectList)} FROM ${lit(staging)}\nON CONFLICT ${c} DO NOTHING;\n${commit}`;
  let tailAt: number;
  let tail: string;
  if (copy.data) {
    // After the `\.` line: the rows stay untouched.
    tailAt = copy.data.end;
    tail = text.charCodeAt(tailAt - 1) === 10 || tailAt === 0 ? merge(conflict) : `\n${merge(conflict)}`;
  } else {
    const end = copy.meta ? stmt.end : stmt.terminator >= 0 ? stmt.terminator + 1 : stmt.end;
    tailAt = end;
    tail = `${stmt.terminator >= 0 || copy.meta ? '' : ';'}\n${merge(conflict).replace(/\n$/, '')}`;
  }
  const title = needsKey
    ? 'Load through a staging table and merge with ON CONFLICT (key) DO NOTHING: the table needs a unique key on the columns that identify a row first'
    : `Load through a staging table and merge with ON CONFLICT ${keyTarget ?? '(key)'} DO NOTHING${keyLabelText ? ` (${keyLabelText})` : ''}`;
  return {
    title,
    edits: [
      { start: stmt.start, end: ref.end, newText: snippet ? snippetText(head) : head },
      { start: tailAt, end: tailAt, newText: tail },
    ],
    snippet,
  };
}

/** The finding for a COPY into a real table that nothing makes safe to run again. */
function reportCopy(stmt: Statement, ctx: RuleContext): void {
  const copy = stmt.copy!;
  if (!copy.table) return;
  const table = lookupTable(ctx.schema, copy.table);
  const name = tableLabel(copy.table, table);
  const what = `COPY ${copy.table.raw} FROM ${copy.endpoint === 'stdin' ? 'STDIN' : copy.endpoint === 'program' ? 'PROGRAM' : copy.endpointText ?? 'a file'}`;
  let message = `${what} loads straight into ${name} with no resume strategy: if the load fails partway and is run again, the rows already committed are copied again`;
  let severity: Severity | undefined;
  let note = '';
  const cols = copy.columns?.map((c) => c.name);
  // keys the load can hit: a generated key left out of the column list gets a fresh value per row
  const hit = table ? arbiterKeys(table).filter((k) => keySupplied(table, k, cols)) : [];
  if (table) {
    const keys = arbiterKeys(table);
    if (hit.length) message += `, and the retry fails with 23505 on ${keyLabel(hit[0])}.`;
    else if (keys.length) {
      message += `, and the retry silently duplicates every row: the only unique key of ${name} is ${keys.map(keyLabel).join(', ')}, which the database fills in afresh for each copied row.`;
      ({ severity, note } = errorIfCertain(ctx, table));
    } else {
      message += `, and the retry silently duplicates them: ${name} has no unique key.`;
      ({ severity, note } = errorIfCertain(ctx, table));
    }
  } else {
    message += '; the retry fails with 23505 on a unique key, or silently duplicates them if there is none.';
  }
  message += ' Load into a TEMP staging table and merge with INSERT ... ON CONFLICT (key) DO NOTHING, or TRUNCATE/DELETE the target first in the same transaction.';
  message += note;
  const choices = keyChoices(copy.table, table && tableAt(ctx, table, stmt.start), ctx.config, cols).filter((k) => k.backed || !table);
  const fixes: Fix[] = [];
  if (!ctx.embedded) {
    const f = stagingFix(stmt, ctx, choices[0]?.target, choices[0]?.label, !!table && choices.length === 0);
    if (f) { f.preferred = true; fixes.push(f); }
  }
  const end = Math.max(stmt.start + 1, Math.min(copy.firstLineEnd, stmt.end));
  ctx.report({
    start: stmt.start, end, message, severity, fixes,
    related: table?.origin ? [{ message: `${name} is created here`, location: table.origin }] : undefined,
    // whether the load can resume is read from the statements' tokens; the schema only shapes the words and fixes
    lexerCertain: true,
  });
}

/** COPY FROM into a real table with no resume strategy in the same script. */
export const copyWithoutResumeStrategy: Rule = {
  id: ID,
  severity: 'warning',
  description: 'COPY FROM into a real table with no resume strategy: a retried load copies the committed rows again.',
  docs: docsUrl(ID),
  // whether a COPY is safe to run again is read from the other statements of its file
  reads: ['workspace-schema', 'other-statements'],
  document(ctx) {
    const doc = ctx.doc;
    // A pg_dump script is a restore into fresh tables, not a resumable load.
    if (doc.pgDump) return;
    const made = new Map<SqlDocument, DocIndex>();
    const indexOf: Indexes = (d) => {
      let ix = made.get(d);
      if (!ix) made.set(d, (ix = docIndex(d)));
      return ix;
    };
    for (const stmt of doc.ofKind('copy')) {
      const i = stmt.index;
      const copy = stmt.copy;
      if (!copy || copy.direction !== 'from' || !copy.table) continue;
      try {
        if (resumeStrategy(indexOf(doc), doc, i, copy.table) || resumeElsewhere(ctx, indexOf, copy.table) || tempInHost(ctx, copy.table, stmt.start)) continue;
        reportCopy(stmt, ctx);
      } catch {
        // One odd statement must not stop the others.
      }
    }
  },
};
