/**
 * An upsert that copies an incoming version/timestamp (`updated_at`, `ts_ms`, `version`, `lsn`...)
 * over the stored row without comparing the two (seed 004): when events arrive out of order or are
 * replayed, an older event overwrites a newer row and the newer data is lost for good. The guard
 * is one condition: `DO UPDATE ... WHERE excluded.ts_ms > t.ts_ms` / `WHEN MATCHED AND s.ts_ms > t.ts_ms`.
 *
 * Found when the update copies such a column from the incoming row, or when the INSERT supplies a
 * version column of a known table. A version made by the server (`now()`) orders nothing: skipped.
 */
import type { TableDescription } from '../core/catalog';
import type { InsertFacts, Statement } from '../core/facts';
import type { Fix } from '../core/types';
import type { EmbeddedSql } from '../embedded/types';
import { docsUrl, type Rule, type RuleContext } from './rule';
import { quoteIdent as ident } from '../core/quote';
import { findNodes, leaksPlaceholder, sval, type StmtAst } from './ast';
import { isVersionColumn, versionColumns } from './columns';
import { resolveTable } from './tables';
import type { OrmHostFacts } from '../embedded/orm/host';
import { sqlColumns } from '../embedded/orm/resolve';
import type { OrmWrite } from '../embedded/orm/types';
import { LIBRARY_NAME, objectEntries, resolveWrite } from './orm';
import { orderingGuardFix } from '../embedded/orm/fix';
import type { HostContext } from './rule';

const ID = 'upsert-without-ordering-guard';

/**
 * A column whose values order versions: numbers, clocks, LSNs. A known text `version` (a software
 * release, `1.10.2`) is no ordering: `>` on it is wrong, so it is not reported.
 */
function orderable(table: TableDescription | undefined, name: string): boolean {
  const type = table?.columns.find((c) => c.name === name)?.type;
  if (!type) return true;
  // SQL type names, and the builders' own when a migration of theirs declared the column (knex `bigInteger`, `dateTime`)
  return /^(smallint|integer|bigint|numeric|decimal|real|float|double|timestamp|date|time|pg_lsn|int|xid8?)/i.test(type);
}

/** Version columns, most specific first (an event sequence beats a wall-clock column). */
function rank(name: string): number {
  const n = name.toLowerCase();
  if (/(^|_)(version|lsn|ts_ms)$|^(revision|rev|sequence_number|seq_no)$/.test(n)) return 0;
  if (/event|source|occurred/.test(n)) return 1;
  return 2;
}

function mentionsAny(node: any, names: string[]): boolean {
  return findNodes(node, 'ColumnRef').some((c: any) => {
    const fields: string[] = (c.fields ?? []).map(sval);
    return names.includes(fields[fields.length - 1]);
  });
}

/**
 * Version columns the SET list copies from the incoming row (`v = excluded.v`, `v = s.changed_at`),
 * each with the incoming column it copies (what a guard must compare: it exists on the source).
 */
function copiedFrom(targetList: any[], incoming: (qualifier: string | undefined) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of targetList ?? []) {
    const rt = t.ResTarget;
    if (!rt?.name || !isVersionColumn(rt.name)) continue;
    const ref = rt.val?.ColumnRef;
    if (!ref) continue;
    const fields: string[] = (ref.fields ?? []).map(sval);
    if (fields.length >= 2 && incoming(fields[fields.length - 2])) out.set(rt.name, fields[fields.length - 1]);
  }
  return out;
}

/**
 * Version columns whose inserted values are clocks read at write time, which order nothing: server
 * clock calls (`now()`), and bind parameters the host code fills with its own clock (`$13` of
 * `client.query(sql, [..., now])` with `const now = Date.now()`).
 */
function serverMade(ins: InsertFacts, ast: StmtAst, column: string, ctx: RuleContext): boolean {
  const cols = ins.columns?.map((c) => c.name);
  const i = cols?.indexOf(column) ?? -1;
  const rows: any[] | undefined = ast.node?.selectStmt?.SelectStmt?.valuesLists;
  if (i < 0 || !rows) return false;
  let params: string[] | undefined | null = null;
  return rows.every((r: any) => {
    const v = r?.List?.items?.[i];
    if (v?.FuncCall || v?.SQLValueFunction) return true;
    const n: unknown = v?.ParamRef?.number;
    if (typeof n !== 'number' || !ctx.file?.host || !ctx.file.sql) return false;
    if (params === null) params = hostParams(ctx.file.host, ctx.file.sql);
    const e = params?.[n - 1];
    return e !== undefined && hostClock(ctx.file.host, ctx.file.sql.hostStart, e);
  });
}

/** A clock read by the host code: `Date.now()`, `new Date()` (and its ISO / epoch forms). */
const CLOCK = /^(?:Date\s*\.\s*now\s*\(\s*\)|new\s+Date\s*\(\s*\)(?:\s*\.\s*(?:toISOString|getTime|valueOf)\s*\(\s*\))?)$/;

/** Whether a parameter expression is the host's clock, directly or through the nearest `const x = Date.now()` before the query. */
function hostClock(host: string, before: number, expr: string): boolean {
  const e = expr.trim();
  if (CLOCK.test(e)) return true;
  if (!/^[A-Za-z_$][\w$]*$/.test(e)) return false;
  const decls = [...host.slice(0, before).matchAll(new RegExp(`\\b(?:const|let|var)\\s+${e.replace(/\$/g, '\\$')}\\s*(?::[^=;]+)?=\\s*([^;\\n]+)`, 'g'))];
  const last = decls[decls.length - 1];
  return !!last && CLOCK.test(last[1].trim());
}

/**
 * The elements of the array literal passed after a query call's SQL (`client.query(sql, [a, b])`), as
 * written; undefined when the SQL is not a call argument followed by a literal array.
 */
function hostParams(host: string, sql: EmbeddedSql): string[] | undefined {
  if (sql.via !== 'call') return undefined;
  let i = sql.toHost(sql.text.length);
  if (!/['"`]/.test(host[i] ?? '')) return undefined;
  i++;
  while (/\s/.test(host[i] ?? '')) i++;
  if (host[i] !== ',') return undefined;
  i++;
  while (/\s/.test(host[i] ?? '')) i++;
  if (host[i] !== '[') return undefined;
  const out: string[] = [];
  let depth = 0;
  let from = i + 1;
  for (let j = i; j < host.length; j++) {
    const ch = host[j];
    if (ch === '"' || ch === "'" || ch === '`') {
      for (j++; j < host.length && host[j] !== ch; j++) if (host[j] === '\\') j++;
    } else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) {
        const last = host.slice(from, j).trim();
        if (last) out.push(last);
        return out;
      }
    } else if (ch === ',' && depth === 1) {
      out.push(host.slice(from, j).trim());
      from = j + 1;
    }
  }
  return undefined;
}

function checkInsert(stmt: Statement, ins: InsertFacts, ctx: RuleContext): void {
  const oc = ins.onConflict;
  if (!oc || oc.action !== 'update' || ins.inWith) return;
  const ast = ctx.ast(stmt);
  const clause = ast?.kind === 'InsertStmt' ? ast.node.onConflictClause : undefined;
  if (!ast || !clause) return;
  const table = resolveTable(ctx, ins.table);
  const listed = ins.columns?.map((c) => c.name);
  const supplied = new Set(listed ?? []);
  const copied = copiedFrom(clause.targetList, (q) => q === 'excluded');
  // `excluded.v` of a column the INSERT does not supply is its default (a server clock): it orders nothing
  for (const [v, from] of copied) if (listed && !supplied.has(from)) copied.delete(v);
  const candidates = new Map(copied);
  for (const v of versionColumns(table)) if (supplied.has(v) && !candidates.has(v)) candidates.set(v, v);
  const versions = [...candidates.keys()].filter((v) => !serverMade(ins, ast, candidates.get(v)!, ctx) && orderable(table, v)).sort((a, b) => rank(a) - rank(b));
  if (!versions.length) return;
  if (clause.whereClause && mentionsAny(clause.whereClause, [...versions, ...versions.map((v) => candidates.get(v)!)])) return;
  const v = versions[0];
  // a templated table name (`${table}`, `:tbl`) is written back as is: the host fills it in
  const self = ins.alias ? ident(ins.alias) : /^[:{$]/.test(ins.table.name) ? ins.table.name : ident(ins.table.name);
  const guard = `excluded.${ident(candidates.get(v)!)} > ${self}.${ident(v)}`;
  const fixes: Fix[] = [];
  if (oc.updateWhere) {
    fixes.push({ title: `Only overwrite with a newer row: AND ${guard}`, edits: [{ start: oc.updateWhere.end, end: oc.updateWhere.end, newText: ` AND ${guard}` }], preferred: true });
  } else {
    fixes.push({ title: `Only overwrite with a newer row: WHERE ${guard}`, edits: [{ start: oc.end, end: oc.end, newText: ` WHERE ${guard}` }], preferred: true });
  }
  const span = oc.actionSpan ?? oc.head;
  ctx.report({
    start: span.start,
    end: span.end,
    message: `ON CONFLICT DO UPDATE overwrites the stored row whatever its ${v}: a late or replayed event with an older ${v} replaces newer data, and the newer data is lost. Compare first: WHERE ${guard}.`,
    fixes,
  });
}

function checkMerge(stmt: Statement, ctx: RuleContext): void {
  const ast = ctx.ast(stmt);
  if (!ast || ast.kind !== 'MergeStmt') return;
  const n = ast.node;
  const targetName: string = n.relation?.alias?.aliasname ?? n.relation?.relname ?? '';
  const src = n.sourceRelation;
  const sourceName: string | undefined = src?.RangeVar ? src.RangeVar.alias?.aliasname ?? src.RangeVar.relname : src?.RangeSubselect?.alias?.aliasname;
  if (!sourceName) return;
  const table = n.relation ? resolveTable(ctx, { name: n.relation.relname, schema: n.relation.schemaname }) : undefined;
  const text = ctx.doc.text;
  const end = stmt.terminator >= 0 ? stmt.terminator : stmt.end;
  const whens = [...text.slice(stmt.start, end).matchAll(/\bwhen\s+matched\b/gi)].map((m) => stmt.start + (m.index ?? 0));
  let w = -1;
  for (const wrapped of n.mergeWhenClauses ?? []) {
    const c = wrapped.MergeWhenClause;
    if (!c) continue;
    if (c.matchKind === 'MERGE_WHEN_MATCHED') w++;
    if (c.matchKind !== 'MERGE_WHEN_MATCHED' || c.commandType !== 'CMD_UPDATE') continue;
    const copied = copiedFrom(c.targetList, (q) => q === sourceName);
    const known = versionColumns(table).filter((v) => (c.targetList ?? []).some((t: any) => t.ResTarget?.name === v));
    const versions = [...new Set([...copied.keys(), ...known])].filter((v) => orderable(table, v)).sort((a, b) => rank(a) - rank(b));
    if (!versions.length) continue;
    if (c.condition && mentionsAny(c.condition, [...versions, ...copied.values()])) continue;
    const at = whens[w];
    if (at === undefined) continue;
    const v = versions[0];
    // the source column the update copies: one that exists on the source (a computed value has none to compare)
    const from = copied.get(v);
    const guard = from !== undefined ? `${ident(sourceName)}.${ident(from)} > ${ident(targetName)}.${ident(v)}` : undefined;
    const afterMatched = at + (/^when\s+matched/i.exec(text.slice(at))?.[0].length ?? 0);
    const fix: Fix | undefined = guard ? { title: `Only overwrite with a newer row: AND ${guard}`, edits: [{ start: afterMatched, end: afterMatched, newText: ` AND ${guard}` }], preferred: true } : undefined;
    ctx.report({
      start: at,
      end: afterMatched,
      message: `WHEN MATCHED THEN UPDATE overwrites the stored row whatever its ${v}: a late or replayed event with an older ${v} replaces newer data. Compare first: WHEN MATCHED AND ${guard ?? `<the incoming ${v}> > ${ident(targetName)}.${ident(v)}`}.`,
      fixes: fix && !leaksPlaceholder(fix) ? [fix] : [],
    });
  }
}

/**
 * The same through an ORM: `onConflictDoUpdate({ set: { updatedAt: sql`excluded.updated_at` } })`,
 * `oc.doUpdateSet({ version: (eb) => eb.ref('excluded.version') })`, `excluded('updatedAt')`: a version
 * column the update copies from the incoming row, with no condition on it in the call.
 */
function checkOrm(o: OrmHostFacts, w: OrmWrite, ctx: HostContext): void {
  const c = w.conflict;
  if (!c || c.action !== 'update' || !c.set?.length || !c.setSpan || !o.onPostgres(w)) return;
  const r = resolveWrite(o, ctx, w);
  const naming = w.library === 'kysely' || w.library === 'knex' || w.library === 'typeorm' ? 'column' : 'property';
  const setText = ctx.text.slice(c.setSpan.start, c.setSpan.end);
  // a list of columns (`.merge(['qty', 'ts_ms'])`, `.orUpdate([...])`, `updateOnDuplicate: [...]`) copies each from the incoming row
  const listed = /^\s*\[/.test(setText);
  const entries = listed ? undefined : objectEntries(setText);
  const copied: Array<{ key: string; column: string }> = [];
  for (const key of c.set) {
    const column = sqlColumns([key], naming, r?.entry)[0];
    const value = entries ? entries.get(key) ?? '' : 'excluded';
    if (!isVersionColumn(column) || !orderable(r?.table, column) || !/\bexcluded\b/i.test(value)) continue;
    copied.push({ key, column });
  }
  if (!copied.length) return;
  copied.sort((a, b) => rank(a.column) - rank(b.column));
  const v = copied[0];
  // a condition in the call that names the column (setWhere, where, .where(...) after the action) is a guard
  const rest = ctx.text.slice(c.clause.start, c.setSpan.start) + ctx.text.slice(c.setSpan.end, w.call.end);
  if (/\b(?:setWhere|where|whereRef|whereRaw|targetWhere)\b/.test(rest) && (rest.includes(v.key) || rest.includes(v.column))) return;
  const guard = `excluded.${ident(v.column)} > ${ident(r?.table?.name ?? w.table.sqlName ?? 'the_table')}.${ident(v.column)}`;
  const fix = orderingGuardFix(ctx.text, w, v.key, v.column);
  const how = fix ? fix.title.replace(/^Only overwrite with a newer row: /, '')
    : w.library === 'drizzle' ? `setWhere: sql\`${guard}\` in the onConflictDoUpdate config`
      : w.library === 'kysely' ? `.whereRef('excluded.${v.column}', '>', '<table>.${v.column}') after doUpdateSet`
        : w.library === 'knex' || w.library === 'objection' ? `.whereRaw('excluded.?? > ??', ['${v.column}', '<table>.${v.column}']) after .merge(...)`
          : w.library === 'mikro-orm' ? `the upsert's onConflictWhere option, or a where(...) after .merge(...), comparing with excluded.${ident(v.column)}`
            : `${LIBRARY_NAME[w.library]} has no condition for its conflict update: write this upsert as SQL (INSERT ... ON CONFLICT ... DO UPDATE ... WHERE ${guard})`;
  ctx.report({
    start: c.setSpan.start,
    end: c.setSpan.end,
    message: `This ${LIBRARY_NAME[w.library]} upsert overwrites the stored row whatever its ${v.column}: a late or replayed event with an older ${v.column} replaces newer data, and the newer data is lost. Compare first (ON CONFLICT DO UPDATE ... WHERE ${guard}): ${how}.`,
    fixes: fix ? [fix] : [],
  });
}

/** Upsert copying an incoming version/timestamp without comparing it to the stored one. */
export const upsertWithoutOrderingGuard: Rule = {
  id: ID,
  severity: 'warning',
  description: 'ON CONFLICT DO UPDATE / MERGE WHEN MATCHED UPDATE that copies a version or timestamp without comparing it: stale events overwrite newer rows.',
  docs: docsUrl(ID),
  // MERGE, and statements that can carry an INSERT: INSERT, WITH (data-modifying CTE), EXPLAIN / PREPARE / CREATE RULE (kind other)
  kinds: ['insert', 'with', 'other', 'merge'],
  // other-statements: the host code around an embedded statement (the parameters it binds, the clock it reads)
  reads: ['document-ddl', 'workspace-schema', 'other-statements'],
  statement(stmt, ctx) {
    if (stmt.kind === 'merge') checkMerge(stmt, ctx);
    for (const ins of stmt.upserts) if (ins.onConflict?.action === 'update') checkInsert(stmt, ins, ctx);
  },
  host(ctx) {
    const o = ctx.orm();
    if (!o) return;
    for (const w of o.file.writes) checkOrm(o, w, ctx);
  },
};
