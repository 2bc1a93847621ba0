/**
 * A multi-row `VALUES` list that repeats the same literal key. With `ON CONFLICT DO UPDATE` the
 * whole statement fails ("ON CONFLICT DO UPDATE command cannot affect row a second time", 21000);
 * with `DO NOTHING` the later row is silently dropped (its other values are lost); with no ON
 * CONFLICT at all, against a known unique key, the INSERT fails on its own rows (23505).
 * Only literal keys are compared: parameters and expressions are never guessed equal.
 */
import type { TableDescription, UniqueKey } from '../core/catalog';
import type { InsertFacts, SqlDocument, Statement } from '../core/facts';
import { T } from '../core/lexer';
import type { Fix, Severity } from '../core/types';
import { expr } from '../core/schema/deparse';
import { arbiterKeys, tableLabel } from './keys';
import { docsUrl, type Rule, type RuleContext } from './rule';
import { joinColumns } from './ast';
import { sameKeyColumns } from './columns';
import { resolveTable } from './tables';
import type { OrmHostFacts } from '../embedded/orm/host';
import { duplicateKeyRows, rowNaming } from '../embedded/orm/resolve';
import type { OrmWrite } from '../embedded/orm/types';
import { asRowNames, LIBRARY_NAME, resolveWrite } from './orm';
import type { HostContext } from './rule';
import { errorIfCertain, tableAt } from './certainty';

const ID = 'duplicate-keys-in-values';

/** [start, end) of each top-level `( ... )` row after VALUES in [from, to). */
function rowSpans(doc: SqlDocument, from: number, to: number): Array<[number, number]> {
  const t = doc.tokens;
  const rows: Array<[number, number]> = [];
  let depth = 0;
  let open = -1;
  // first token at or after `from` (binary search: a script of many INSERTs must not rescan from its start each time)
  let lo = 0;
  let hi = t.count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t.starts[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < t.count; i++) {
    if (t.starts[i] >= to) break;
    const ty = t.types[i];
    if (ty === T.LParen) {
      if (depth === 0) open = t.starts[i];
      depth++;
    } else if (ty === T.RParen) {
      depth--;
      if (depth === 0 && open >= 0) {
        rows.push([open, t.ends[i]]);
        open = -1;
      }
      if (depth < 0) break;
    }
  }
  return rows;
}

/** Canonical text of a literal value, or undefined when it is not a constant. */
function literal(node: any): string | undefined {
  if (!node) return undefined;
  if (node.A_Const) return node.A_Const.isnull ? 'NULL' : expr(node);
  if (node.TypeCast?.arg?.A_Const) return literal(node.TypeCast.arg);
  return undefined;
}

interface KeyInfo {
  columns: string[];
  label: string;
  nullsNotDistinct: boolean;
}

function keysToCheck(ins: InsertFacts, table: TableDescription | undefined): KeyInfo[] {
  const oc = ins.onConflict;
  const fromKey = (k: UniqueKey): KeyInfo => ({ columns: k.columns, label: k.name ?? k.columns.join(', '), nullsNotDistinct: !!k.nullsNotDistinct });
  if (oc?.target.kind === 'columns') {
    if (oc.target.expression) return [];
    const backing = table && arbiterKeys(table).find((k) => sameKeyColumns(k, (oc.target as { columns: string[] }).columns));
    return [{ columns: oc.target.columns, label: oc.target.columns.join(', '), nullsNotDistinct: !!backing?.nullsNotDistinct }];
  }
  if (!table) return [];
  const keys = arbiterKeys(table).filter((k) => !k.expression && !k.predicate);
  if (oc?.target.kind === 'constraint') {
    const name = oc.target.name;
    return keys.filter((k) => k.name === name).map(fromKey);
  }
  return keys.map(fromKey);
}

function check(stmt: Statement, ins: InsertFacts, ctx: RuleContext): void {
  if (ins.source !== 'values' || !ins.sourceSpan) return;
  // cheap first: two rows at least, before asking the parser
  const rows = rowSpans(ctx.doc, ins.sourceSpan.start, ins.sourceSpan.end);
  if (rows.length < 2) return;
  // then the keys (known without the parser): no key to compare, no parse
  const action = ins.onConflict?.action;
  if (ins.onConflict && action === 'unknown') return;
  const found = resolveTable(ctx, ins.table);
  // the keys the rows meet are those that exist when the statement runs
  const table = found && tableAt(ctx, found, ins.start);
  const columns = ins.columns?.map((c) => c.name) ?? table?.columns.map((c) => c.name);
  if (!columns) return;
  const keys = keysToCheck(ins, table);
  if (!keys.length) return;
  const ast = ctx.ast(stmt);
  if (!ast) return;
  // the INSERT itself, or the one inside a WITH
  const insertNode = ast.kind === 'InsertStmt' ? ast.node : undefined;
  const values: any[] | undefined = insertNode?.selectStmt?.SelectStmt?.valuesLists;
  if (!values || values.length < 2) return;
  if (rows.length !== values.length) return;
  const name = tableLabel(ins.table, table);
  const reported = new Set<number>();
  for (const key of keys) {
    const idx = key.columns.map((c) => columns.indexOf(c));
    if (idx.some((i) => i < 0)) continue;
    const seen = new Map<string, number>();
    values.forEach((row: any, r: number) => {
      const items: any[] = row?.List?.items ?? [];
      const vals = idx.map((i) => literal(items[i]));
      if (vals.some((v) => v === undefined)) return;
      if (!key.nullsNotDistinct && vals.includes('NULL')) return;
      const sig = JSON.stringify(vals);
      const first = seen.get(sig);
      if (first === undefined) {
        seen.set(sig, r);
        return;
      }
      if (reported.has(r)) return;
      reported.add(r);
      const keyText = `(${key.columns.join(', ')}) = (${vals.join(', ')})`;
      let message: string;
      let severity: Severity | undefined;
      const fixes: Fix[] = [];
      if (action === 'update') {
        // its own conflict target and rows: the table's DDL is not needed for this one
        const c = errorIfCertain(ctx, table, false);
        severity = c.severity;
        message = `Rows ${first + 1} and ${r + 1} of this VALUES list have the same key ${keyText}: the whole INSERT fails with "ON CONFLICT DO UPDATE command cannot affect row a second time" and no row is written.${c.note}`;
        fixes.push({ title: `Remove row ${first + 1} (keep the last value for this key)`, edits: [removeRow(rows, first)], preferred: true });
        fixes.push({ title: `Remove row ${r + 1} (keep the first value for this key)`, edits: [removeRow(rows, r)] });
      } else if (action === 'nothing') {
        message = `Row ${r + 1} of this VALUES list repeats the key ${keyText} of row ${first + 1}: ON CONFLICT DO NOTHING silently drops it, with whatever else it carried.`;
        fixes.push({ title: `Remove row ${r + 1} (it is dropped anyway)`, edits: [removeRow(rows, r)], preferred: true });
      } else {
        const c = errorIfCertain(ctx, found);
        severity = c.severity;
        message = `Rows ${first + 1} and ${r + 1} of this VALUES list have the same key ${keyText}: the INSERT fails on its own rows with a duplicate key error (23505) on the unique key ${key.label} of ${name}.${c.note}`;
        fixes.push({ title: `Remove row ${r + 1}`, edits: [removeRow(rows, r)], preferred: true });
      }
      ctx.report({ start: rows[r][0], end: rows[r][1], message, severity, fixes });
    });
  }
}

/** Removes row `i` with its separating comma. */
function removeRow(rows: Array<[number, number]>, i: number) {
  if (i < rows.length - 1) return { start: rows[i][0], end: rows[i + 1][0], newText: '' };
  return { start: rows[i - 1][1], end: rows[i][1], newText: '' };
}

/** `MERGE ... USING (VALUES ...) AS s(k, v) ON t.k = s.k`: the same key twice fails the MERGE (21000). */
function checkMerge(stmt: Statement, ctx: RuleContext): void {
  const m = stmt.merge;
  const ast = ctx.ast(stmt);
  if (!m?.using || !ast || ast.kind !== 'MergeStmt') return;
  const sub = ast.node.sourceRelation?.RangeSubselect;
  const values: any[] | undefined = sub?.subquery?.SelectStmt?.valuesLists;
  const alias: string | undefined = sub?.alias?.aliasname;
  const colnames: string[] = (sub?.alias?.colnames ?? []).map((c: any) => c?.String?.sval ?? '');
  if (!values || values.length < 2 || !alias || !colnames.length) return;
  const target: string = ast.node.relation?.alias?.aliasname ?? ast.node.relation?.relname ?? '';
  const keys = joinColumns(ast.node.joinCondition, alias, target);
  const idx = keys.map((k) => colnames.indexOf(k));
  if (!keys.length || idx.some((i) => i < 0)) return;
  const text = ctx.doc.text;
  const v = /\bvalues\b/i.exec(text.slice(m.using.start, m.using.end));
  if (!v) return;
  const rows = rowSpans(ctx.doc, m.using.start + v.index + v[0].length, m.using.end);
  if (rows.length < values.length) return;
  const seen = new Map<string, number>();
  values.forEach((row: any, r: number) => {
    const vals = idx.map((i) => literal(row?.List?.items?.[i]));
    if (vals.some((x) => x === undefined || x === 'NULL')) return;
    const sig = JSON.stringify(vals);
    const first = seen.get(sig);
    if (first === undefined) {
      seen.set(sig, r);
      return;
    }
    const c = errorIfCertain(ctx, undefined, false);
    ctx.report({
      start: rows[r][0],
      end: rows[r][1],
      severity: c.severity,
      message: `Rows ${first + 1} and ${r + 1} of the MERGE source have the same key (${keys.join(', ')}) = (${vals.join(', ')}): when the target row exists the MERGE fails with "MERGE command cannot affect row a second time", and when it does not both rows are inserted.${c.note}`,
      fixes: [
        { title: `Remove row ${first + 1} (keep the last value for this key)`, edits: [removeRow(rows.slice(0, values.length), first)], preferred: true },
        { title: `Remove row ${r + 1} (keep the first value for this key)`, edits: [removeRow(rows.slice(0, values.length), r)] },
      ],
    });
  });
}

/**
 * The same through an ORM: a literal batch (`.values([{...}, {...}])`, `data: [...]`,
 * `bulkCreate([...])`) whose rows give the conflict target, or a unique key of the known table, the
 * same literal values.
 */
function checkOrm(o: OrmHostFacts, w: OrmWrite, ctx: HostContext): void {
  if (!w.rows || w.rows.length < 2 || !o.onPostgres(w)) return;
  const c = w.conflict;
  if (c && c.action === 'unknown') return;
  const r = resolveWrite(o, ctx, w);
  if (!r) return;
  const naming = rowNaming(w.library);
  const keys: Array<{ names: string[]; label: string; nullsNotDistinct: boolean }> = [];
  if (c && c.target.kind === 'columns') {
    const t = c.target;
    const names = t.naming === naming ? t.columns : asRowNames(r.facts.onConflict!.target.kind === 'columns' ? (r.facts.onConflict!.target as { columns: string[] }).columns : [], naming, r.entry);
    if (names?.length) keys.push({ names, label: t.columns.join(', '), nullsNotDistinct: false });
  } else if (r.table && (!c || c.target.kind === 'none')) {
    for (const k of arbiterKeys(r.table)) {
      if (k.expression || k.predicate) continue;
      const names = asRowNames(k.columns, naming, r.entry);
      if (names) keys.push({ names, label: k.name ?? k.columns.join(', '), nullsNotDistinct: !!k.nullsNotDistinct });
    }
  }
  const rows = w.rows;
  const reported = new Set<unknown>();
  for (const key of keys) {
    for (const [first, later] of duplicateKeyRows(w, key.names)) {
      if (reported.has(later)) continue;
      const vals = key.names.map((n) => later.cells.find((x) => x.key === n)?.value ?? '');
      if (!key.nullsNotDistinct && vals.some((v) => v === 'null' || v === 'undefined')) continue;
      reported.add(later);
      const a = rows.indexOf(first);
      const b = rows.indexOf(later);
      const keyText = `(${key.names.join(', ')}) = (${vals.join(', ')})`;
      const spans: Array<[number, number]> = rows.map((x) => [x.span.start, x.span.end]);
      const lib = LIBRARY_NAME[w.library];
      let message: string;
      let severity: Severity | undefined;
      const fixes: Fix[] = [];
      if (c?.action === 'update') {
        severity = 'error';
        message = `Rows ${a + 1} and ${b + 1} of this ${lib} batch have the same key ${keyText}: the whole insert fails with "ON CONFLICT DO UPDATE command cannot affect row a second time" and no row is written.`;
        fixes.push({ title: `Remove row ${a + 1} (keep the last value for this key)`, edits: [removeRow(spans, a)], preferred: true });
        fixes.push({ title: `Remove row ${b + 1} (keep the first value for this key)`, edits: [removeRow(spans, b)] });
      } else if (c?.action === 'nothing') {
        message = `Row ${b + 1} of this ${lib} batch repeats the key ${keyText} of row ${a + 1}: ON CONFLICT DO NOTHING silently drops it, with whatever else it carried.`;
        fixes.push({ title: `Remove row ${b + 1} (it is dropped anyway)`, edits: [removeRow(spans, b)], preferred: true });
      } else {
        severity = 'error';
        message = `Rows ${a + 1} and ${b + 1} of this ${lib} batch have the same key ${keyText}: the insert fails on its own rows with a duplicate key error (23505) on ${tableLabel(r.facts.table, r.table)}'s unique key ${key.label}.`;
        fixes.push({ title: `Remove row ${b + 1}`, edits: [removeRow(spans, b)], preferred: true });
      }
      ctx.report({ start: later.span.start, end: later.span.end, message, severity, fixes });
    }
  }
}

/** A multi-row VALUES list repeating the same literal conflict key. */
export const duplicateKeysInValues: Rule = {
  id: ID,
  severity: 'warning',
  description: 'Multi-row VALUES (INSERT or MERGE source) repeating the same literal key: DO UPDATE / MERGE fail ("cannot affect row a second time"), DO NOTHING silently drops rows.',
  docs: docsUrl(ID),
  // INSERT ... VALUES and MERGE ... USING (VALUES ...)
  kinds: ['insert', 'merge'],
  // the keys its rows meet depend on where the statement stands among the migrations
  reads: ['document-ddl', 'workspace-schema', 'other-statements'],
  statement(stmt, ctx) {
    if (stmt.kind === 'merge') checkMerge(stmt, ctx);
    else for (const ins of stmt.inserts) if (!ins.inWith) check(stmt, ins, ctx);
  },
  host(ctx) {
    const o = ctx.orm();
    if (!o) return;
    for (const w of o.file.writes) checkOrm(o, w, ctx);
  },
};
