/**
 * A MERGE (or INSERT ... SELECT ... ON CONFLICT DO UPDATE) whose source can hold the same key twice
 * (seed 004: a CDC batch carries several events per article_id). When the target row exists, the
 * statement fails ("MERGE command cannot affect row a second time" / "ON CONFLICT DO UPDATE command
 * cannot affect row a second time", 21000); when it does not, MERGE inserts both rows.
 *
 * A source counts as deduplicated with DISTINCT / DISTINCT ON, GROUP BY, a ROW_NUMBER()-style
 * window, LIMIT 1, a single aggregate row, UNION (not ALL), or a known table whose unique key lies
 * within the join columns. A source table this analysis knows nothing about is reported as info.
 */
import type { TableDescription } from '../core/catalog';
import type { InsertFacts, Statement } from '../core/facts';
import type { Fix, Severity } from '../core/types';
import { expr } from '../core/schema/deparse';
import { arbiterKeys } from './keys';
import { docsUrl, type Rule, type RuleContext } from './rule';
import { quoteIdent as ident } from '../core/quote';
import { findNodes, joinColumns, leaksPlaceholder, sval } from './ast';
import { isVersionColumn, versionColumns } from './columns';
import { resolveTable } from './tables';

const ID = 'merge-source-not-deduplicated';

const WINDOW_DEDUP = new Set(['row_number', 'rank', 'dense_rank', 'first_value', 'last_value']);
const SET_RETURNING = /^(generate_series|unnest|regexp_matches|regexp_split_to_table|json_array_elements(_text)?|jsonb_array_elements(_text)?|json_each(_text)?|jsonb_each(_text)?|json_to_recordset|jsonb_to_recordset|json_populate_recordset|jsonb_populate_recordset|string_to_table|pg_.*)$/;
const AGGREGATES = new Set(['count', 'sum', 'min', 'max', 'avg', 'array_agg', 'string_agg', 'json_agg', 'jsonb_agg', 'bool_and', 'bool_or', 'every', 'jsonb_object_agg', 'json_object_agg']);

/** True when a known table's unique key lies within `cols` (it cannot repeat those values). */
function keyedBy(table: TableDescription | undefined, cols: string[]): boolean {
  if (!table || !cols.length) return false;
  return arbiterKeys(table).some((k) => !k.predicate && !k.expression && k.columns.every((c) => cols.includes(c)));
}

/** Why a SELECT yields at most one row per key, or undefined. */
function dedupedQuery(select: any, ctx: RuleContext, keyCols: string[]): string | undefined {
  if (!select) return undefined;
  if (select.op && select.op !== 'SETOP_NONE') {
    if (select.op === 'SETOP_UNION' && !select.all) return 'UNION';
    return undefined;
  }
  if (select.valuesLists) return 'VALUES';
  if (select.distinctClause) return 'DISTINCT';
  if (select.groupClause?.length) return 'GROUP BY';
  if (select.limitCount?.A_Const?.ival?.ival === 1) return 'LIMIT 1';
  const calls = findNodes(select, 'FuncCall');
  if (calls.some((c: any) => c.over && WINDOW_DEDUP.has(sval((c.funcname ?? []).slice(-1)[0])))) return 'window';
  const targets: any[] = select.targetList ?? [];
  if (targets.length && targets.every((t: any) => {
    const f = t.ResTarget?.val?.FuncCall;
    return f && !f.over && AGGREGATES.has(sval((f.funcname ?? []).slice(-1)[0]));
  })) return 'aggregate';
  const from: any[] = select.fromClause ?? [];
  // `SELECT 1 AS id, ...` without FROM is one row, unless a set-returning function makes more
  if (!from.length && !calls.some((c: any) => SET_RETURNING.test(sval((c.funcname ?? []).slice(-1)[0])))) return 'one row';
  // generate_series yields distinct values
  if (from.length === 1 && from[0].RangeFunction && findNodes(from[0].RangeFunction, 'FuncCall').every((c: any) => sval((c.funcname ?? []).slice(-1)[0]) === 'generate_series')) return 'series';
  if (from.length === 1 && from[0].RangeVar) {
    const rv = from[0].RangeVar;
    if (keyedBy(resolveTable(ctx, { name: rv.relname, schema: rv.schemaname }), keyCols)) return 'keyed table';
  }
  if (from.length === 1 && from[0].RangeSubselect) return dedupedQuery(from[0].RangeSubselect.subquery?.SelectStmt, ctx, keyCols);
  return undefined;
}

function wrapFix(keys: string[], version: string | undefined, inner: string, alias: string, span: { start: number; end: number }): Fix {
  const k = keys.map(ident).join(', ');
  // a snippet placeholder for the unknown version column, unless the text holds `${...}` interpolations
  // that a snippet engine would take for its own variables
  const snippet = !version && !/\$\{/.test(inner + alias);
  const order = version ? `${k}, ${ident(version)} DESC` : snippet ? `${k}, \${1:updated_at} DESC` : `${k}, updated_at DESC`;
  return {
    title: `Deduplicate the source: one row per (${keys.join(', ')})${version ? `, the latest by ${version}` : ' (put the version column in place of updated_at)'}`,
    edits: [{ start: span.start, end: span.end, newText: `(SELECT DISTINCT ON (${k}) * FROM ${inner} ORDER BY ${order}) AS ${alias}` }],
    preferred: true,
    snippet: snippet || undefined,
  };
}

function checkMerge(stmt: Statement, ctx: RuleContext): void {
  const ast = ctx.ast(stmt);
  const m = stmt.merge;
  if (!ast || ast.kind !== 'MergeStmt' || !m?.using) return;
  const n = ast.node;
  const src = n.sourceRelation;
  const targetName: string = n.relation?.alias?.aliasname ?? n.relation?.relname ?? '';
  const target = resolveTable(ctx, { name: n.relation?.relname ?? '', schema: n.relation?.schemaname });
  let alias: string | undefined;
  let severity: Severity | undefined;
  let inner: string;
  let sourceLabel: string;
  const text = ctx.doc.text;
  const usingText = text.slice(m.using.start, m.using.end);
  const lead = /^\s*using\s+/i.exec(usingText)?.[0].length ?? 0;
  const span = { start: m.using.start + lead, end: m.using.end };
  const ctes = new Map<string, any>((n.withClause?.ctes ?? []).map((c: any) => [c.CommonTableExpr?.ctename, c.CommonTableExpr?.ctequery?.SelectStmt]));
  if (src?.RangeVar) {
    const rv = src.RangeVar;
    alias = rv.alias?.aliasname;
    const keys = joinColumns(n.joinCondition, alias ?? rv.relname, targetName);
    if (!keys.length) return;
    if (!rv.schemaname && ctes.has(rv.relname)) {
      if (dedupedQuery(ctes.get(rv.relname), ctx, keys)) return;
    } else {
      // system catalogs are keyed by oid and names; this analysis has no DDL for them
      if (rv.schemaname === 'pg_catalog' || rv.schemaname === 'information_schema' || /^pg_/.test(rv.relname)) return;
      const table = resolveTable(ctx, { name: rv.relname, schema: rv.schemaname });
      if (keyedBy(table, keys)) return;
      if (!table) severity = 'info';
    }
    // names as written (the AST sees interpolations as placeholder identifiers)
    inner = m.usingTable?.raw ?? (rv.schemaname ? `${ident(rv.schemaname)}.` : '') + ident(rv.relname);
    sourceLabel = m.usingTable?.raw ?? rv.relname;
    alias ??= m.usingTable?.name ?? rv.relname;
    report(keys);
  } else if (src?.RangeSubselect) {
    alias = src.RangeSubselect.alias?.aliasname;
    if (!alias) return;
    const keys = joinColumns(n.joinCondition, alias, targetName);
    if (!keys.length) return;
    if (dedupedQuery(src.RangeSubselect.subquery?.SelectStmt, ctx, keys)) return;
    const sub = /^\s*(\([\s\S]*\))/.exec(text.slice(span.start, span.end));
    if (!sub) return;
    inner = `${sub[1]} AS dedup`;
    sourceLabel = 'the source query';
    report(keys);
  }

  function report(keys: string[]): void {
    const setCols = (n.mergeWhenClauses ?? []).flatMap((w: any) => (w.MergeWhenClause?.targetList ?? []).map((t: any) => t.ResTarget?.name)).filter(Boolean);
    const version = [...versionColumns(target), ...setCols.filter(isVersionColumn)][0];
    const keyText = `(${keys.join(', ')})`;
    const message =
      `MERGE reads ${sourceLabel}, which can hold the same ${keyText} more than once: the MERGE then fails with "MERGE command cannot affect row a second time" when the target row exists, and inserts every copy when it does not. ` +
      `Keep one row per key: DISTINCT ON ${keyText} ... ORDER BY ${keys.join(', ')}, ${version ?? '<version>'} DESC.`;
    const fix = wrapFix(keys, version, inner, /^[:{$]/.test(alias!) ? alias! : ident(alias!), span);
    ctx.report({ start: span.start, end: span.end, message, severity, fixes: leaksPlaceholder(fix) ? [] : [fix] });
  }
}

function checkInsertSelect(stmt: Statement, ins: InsertFacts, ctx: RuleContext): void {
  const oc = ins.onConflict;
  if (!oc || oc.action !== 'update' || oc.target.kind !== 'columns' || oc.target.expression || ins.source !== 'select' || !ins.sourceSpan || ins.inWith) return;
  const ast = ctx.ast(stmt);
  if (!ast || ast.kind !== 'InsertStmt') return;
  const select = ast.node.selectStmt?.SelectStmt;
  const from: any[] = select?.fromClause ?? [];
  if (!select || from.length !== 1 || !from[0].RangeVar || select.sortClause || select.limitCount) return;
  const arbiter = oc.target.columns;
  // which source expressions feed the arbiter columns
  const insertCols = ins.columns?.map((c) => c.name);
  const targets: any[] = select.targetList ?? [];
  const star = targets.length === 1 && findNodes(targets[0], 'A_Star').length > 0;
  let keyExprs: string[];
  if (star) keyExprs = arbiter.map(ident);
  else if (insertCols && insertCols.length === targets.length) keyExprs = arbiter.map((c) => expr(targets[insertCols.indexOf(c)]?.ResTarget?.val));
  else return;
  if (keyExprs.some((e) => !e || e.includes('?'))) return;
  if (dedupedQuery(select, ctx, star ? arbiter : [])) return;
  const rv = from[0].RangeVar;
  const source = resolveTable(ctx, { name: rv.relname, schema: rv.schemaname });
  // conservative: only a known source with no unique key at all (a staging table) is reported
  if (!source || arbiterKeys(source).length) return;
  const text = ctx.doc.text;
  const srcText = text.slice(ins.sourceSpan.start, ins.sourceSpan.end);
  const sel = /^\s*select\b/i.exec(srcText);
  const fixes: Fix[] = [];
  if (sel) {
    const version = versionColumns(source)[0];
    const at = ins.sourceSpan.start + sel[0].length;
    const order = `${keyExprs.join(', ')}${version ? `, ${ident(version)} DESC` : ''}`;
    fixes.push({
      title: `Keep one source row per (${arbiter.join(', ')})${version ? `, the latest by ${version}` : ''}`,
      edits: [
        { start: at, end: at, newText: ` DISTINCT ON (${keyExprs.join(', ')})` },
        { start: ins.sourceSpan.end, end: ins.sourceSpan.end, newText: ` ORDER BY ${order}` },
      ],
      preferred: true,
    });
  }
  ctx.report({
    start: ins.sourceSpan.start,
    end: ins.sourceSpan.end,
    message: `${rv.relname} has no unique key, so it can hold the same (${arbiter.join(', ')}) twice: the INSERT then fails with "ON CONFLICT DO UPDATE command cannot affect row a second time" and nothing is written. Keep one row per key (DISTINCT ON).`,
    fixes,
  });
}

/** MERGE / INSERT ... SELECT ... DO UPDATE from a source that can repeat the join key. */
export const mergeSourceNotDeduplicated: Rule = {
  id: ID,
  severity: 'warning',
  description: 'MERGE (or INSERT ... SELECT ... ON CONFLICT DO UPDATE) from a source that can hold the same key twice: fails or inserts duplicates.',
  docs: docsUrl(ID),
  // MERGE, and statements that can carry an INSERT: INSERT, WITH (data-modifying CTE), EXPLAIN / PREPARE / CREATE RULE (kind other)
  kinds: ['insert', 'with', 'other', 'merge'],
  reads: ['document-ddl', 'workspace-schema'],
  statement(stmt, ctx) {
    if (stmt.kind === 'merge') checkMerge(stmt, ctx);
    for (const ins of stmt.upserts) checkInsertSelect(stmt, ins, ctx);
  },
};
