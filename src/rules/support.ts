/**
 * Helpers shared by the schema-aware rules: the libpg-query AST of one statement (offsets into the
 * analyzed text, template placeholders neutralized), the tables a document itself declares, and
 * the version/timestamp columns an upsert should compare.
 */
import type { TableDescription, UniqueKey } from '../core/catalog';
import type { Fix } from '../core/types';
import type { SqlDocument, Statement, TableRef } from '../core/facts';
import { DdlSchemaModel } from '../core/schema/ddl';
import { normalizeSql } from '../core/schema/deparse';
import { parseRange, parserReady } from '../core/schema/pg';
import { lookupTable } from './keys';
import type { RuleContext } from './rule';

/** A statement's AST node with a byte-location → analyzed-text offset converter. */
export interface StmtAst {
  /** The node's kind, e.g. `InsertStmt`, and its body. */
  kind: string;
  node: any;
  at(byteLoc: number): number;
}

const astCache = new WeakMap<Statement, StmtAst | null>();

/** libpg-query's parse of `stmt` (undefined when the parser is not loaded or rejects it). Cached. */
export function statementAst(stmt: Statement): StmtAst | undefined {
  // no parser, no AST: return before touching the WeakMap (an entry per statement is GC work)
  if (!parserReady()) return undefined;
  const hit = astCache.get(stmt);
  if (hit !== undefined) return hit ?? undefined;
  let out: StmtAst | null = null;
  if (parserReady()) {
    try {
      const text = stmt.tokens.text;
      const end = stmt.terminator >= 0 ? stmt.terminator : stmt.end;
      const [p] = parseRange(text, stmt.start, end);
      if (p?.stmt) {
        const kind = Object.keys(p.stmt)[0];
        out = { kind, node: p.stmt[kind], at: p.offset };
      }
    } catch {
      out = null;
    }
  }
  astCache.set(stmt, out);
  return out ?? undefined;
}

const localCache = new WeakMap<SqlDocument, DdlSchemaModel | null>();

/** The tables the document itself declares (CREATE TABLE in this very file), or undefined. */
export function documentSchema(doc: SqlDocument, path?: string): DdlSchemaModel | undefined {
  const hit = localCache.get(doc);
  if (hit !== undefined) return hit ?? undefined;
  let out: DdlSchemaModel | null = null;
  // without the parser there is no model: skip the scan below (it slices every SELECT's text)
  if (!parserReady()) {
    localCache.set(doc, null);
    return undefined;
  }
  // only the statements that shape tables are parsed (DML is most of a script, and irrelevant here)
  const ranges: Array<[number, number]> = [];
  let shaping = false;
  for (const s of doc.statements) {
    const kw = s.keyword;
    if (kw !== 'create' && kw !== 'alter' && kw !== 'drop' && kw !== 'set' && kw !== 'do' && !(kw === 'select' && /set_config/i.test(s.text()))) continue;
    if (s.createTable || s.createIndex || kw === 'alter' || kw === 'do') shaping = true;
    ranges.push([s.start, s.terminator >= 0 ? s.terminator : s.end]);
  }
  if (parserReady() && shaping) {
    try {
      out = new DdlSchemaModel();
      out.applyFile({ path: path ?? '(this file)', text: doc.text }, ranges);
    } catch {
      out = null;
    }
  }
  localCache.set(doc, out);
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
  if (ref.schema !== undefined && /^[:{$]/.test(ref.schema)) ref = { name: ref.name };
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
  const a = (Array.isArray(key) ? key : key.columns).map(normalizeSql);
  const b = cols.map(normalizeSql);
  return a.length === b.length && a.every((c) => b.includes(c)) && b.every((c) => a.includes(c));
}

/** Quotes an identifier when PostgreSQL needs it. */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

const RESERVED = new Set(['all', 'and', 'any', 'array', 'as', 'asc', 'both', 'case', 'cast', 'check', 'collate', 'column', 'constraint', 'create', 'default', 'desc', 'distinct', 'do', 'else', 'end', 'except', 'false', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'in', 'into', 'limit', 'not', 'null', 'offset', 'on', 'only', 'or', 'order', 'primary', 'references', 'returning', 'select', 'table', 'then', 'to', 'true', 'union', 'unique', 'user', 'using', 'when', 'where', 'with', 'window']);

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
