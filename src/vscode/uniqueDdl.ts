/**
 * Finds the statements of a SQL file that add a unique key to existing data (ALTER TABLE ... ADD
 * CONSTRAINT ... UNIQUE / PRIMARY KEY, CREATE UNIQUE INDEX), and builds the read-only query that
 * counts the rows that would violate it, in the scan engine's shape. Pure (no `vscode`, no `pg`):
 * statements come from PostgreSQL's own grammar through src/core.
 */
import { expr, quoteIdent } from '../core/schema/deparse';
import { ensureParser, parseTolerant } from '../core/schema/pg';

/** A unique key a migration adds. */
export interface AddedUniqueKey {
  kind: 'primary' | 'unique' | 'unique-index';
  /** Table as written (schema absent when unqualified: the server's search_path resolves it). */
  schema?: string;
  table: string;
  /** Key elements as SQL: quoted columns or parenthesised expressions. */
  elements: string[];
  /** Plain column names of the key (expression elements left out), for the dedup migration. */
  columns: string[];
  /** True when every element is a plain column. */
  plainColumns: boolean;
  /** Partial index predicate (SQL). */
  predicate?: string;
  nullsNotDistinct: boolean;
  /** Constraint or index name when given. */
  name?: string;
  /** Range of the clause to underline (UTF-16 offsets in the file). */
  start: number;
  end: number;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function sval(n: any): string {
  return n?.String?.sval ?? '';
}

/** Loads the parser (once) and lists the unique keys the file adds. Never throws. */
export async function findAddedUniqueKeys(text: string): Promise<AddedUniqueKey[]> {
  try {
    await ensureParser();
  } catch {
    return [];
  }
  const out: AddedUniqueKey[] = [];
  try {
    // Tables created in the same file are empty when the key is added, and tables the file writes to
    // before it (a dedup step: DELETE, TRUNCATE + INSERT, a DO block naming them) will not hold
    // today's rows: today's data cannot tell whether the key will build, so neither is counted.
    const created = new Set<string>();
    const written: { schema?: string; name: string }[] = [];
    const doBodies: string[] = [];
    const write = (r: any) => { if (r?.relname) written.push({ schema: r.schemaname, name: r.relname }); };
    const isNew = (r: any) => created.has(`${r.schemaname ?? ''}.${r.relname}`);
    const touched = (r: any) =>
      written.some((w) => w.name === r.relname && (!w.schema || !r.schemaname || w.schema === r.schemaname)) ||
      doBodies.some((b) => new RegExp(`(^|[^\\w$])${escapeRegExp(r.relname)}($|[^\\w$])`, 'i').test(b));
    for (const s of parseTolerant(text)) {
      const stmt = s.stmt ?? {};
      if (stmt.CreateStmt?.relation) {
        created.add(`${stmt.CreateStmt.relation.schemaname ?? ''}.${stmt.CreateStmt.relation.relname}`);
        continue;
      }
      if (stmt.DeleteStmt) { write(stmt.DeleteStmt.relation); continue; }
      if (stmt.InsertStmt) { write(stmt.InsertStmt.relation); continue; }
      if (stmt.UpdateStmt) { write(stmt.UpdateStmt.relation); continue; }
      if (stmt.MergeStmt) { write(stmt.MergeStmt.relation); continue; }
      if (stmt.TruncateStmt) { for (const r of stmt.TruncateStmt.relations ?? []) write(r.RangeVar); continue; }
      if (stmt.RenameStmt?.relation) { write(stmt.RenameStmt.relation); continue; }
      if (stmt.DoStmt) {
        for (const a of stmt.DoStmt.args ?? []) if (a.DefElem?.defname === 'as') doBodies.push(String(a.DefElem.arg?.String?.sval ?? ''));
        continue;
      }
      if (stmt.AlterTableStmt?.relation && (stmt.AlterTableStmt.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') {
        const rel = stmt.AlterTableStmt.relation;
        if (isNew(rel) || touched(rel)) continue;
        for (const c of stmt.AlterTableStmt.cmds ?? []) {
          const cmd = c.AlterTableCmd;
          const con = cmd?.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : undefined;
          if (!con || (con.contype !== 'CONSTR_UNIQUE' && con.contype !== 'CONSTR_PRIMARY')) continue;
          // USING INDEX promotes an index that already holds the data unique.
          if (con.indexname || !con.keys?.length) continue;
          const columns = (con.keys as any[]).map(sval);
          out.push({
            kind: con.contype === 'CONSTR_PRIMARY' ? 'primary' : 'unique',
            schema: rel.schemaname, table: rel.relname,
            elements: columns.map(quoteIdent), columns, plainColumns: true,
            nullsNotDistinct: !!con.nulls_not_distinct,
            name: con.conname,
            start: con.location !== undefined ? s.offset(con.location) : s.start,
            end: s.end,
          });
        }
      } else if (stmt.IndexStmt?.unique && stmt.IndexStmt.relation) {
        const n = stmt.IndexStmt;
        if (isNew(n.relation) || touched(n.relation)) continue;
        const elements: string[] = [];
        const columns: string[] = [];
        let ok = true;
        for (const p of n.indexParams ?? []) {
          const el = p.IndexElem;
          if (el?.name) { elements.push(quoteIdent(el.name)); columns.push(el.name); continue; }
          const e = el?.expr ? expr(el.expr) : '?';
          if (e.includes('?')) { ok = false; break; }
          elements.push(`(${e})`);
        }
        let predicate: string | undefined;
        if (n.whereClause) {
          predicate = expr(n.whereClause);
          if (predicate.includes('?')) ok = false;
        }
        if (!ok || !elements.length) continue;
        out.push({
          kind: 'unique-index', schema: n.relation.schemaname, table: n.relation.relname,
          elements, columns, plainColumns: columns.length === elements.length, predicate,
          nullsNotDistinct: !!n.nulls_not_distinct, name: n.idxname, start: s.start, end: s.end,
        });
      }
    }
  } catch {
    // The check is advisory: a parser surprise means no diagnostic, never an error.
  }
  return out;
}

/** `"schema"."table"` or `"table"` as written. */
export function relationSql(k: Pick<AddedUniqueKey, 'schema' | 'table'>): string {
  return k.schema ? `${quoteIdent(k.schema)}.${quoteIdent(k.table)}` : quoteIdent(k.table);
}

/**
 * The count query: rows the key covers, distinct key values, values held by more than one row, the
 * most copies of one value. NULLs never collide unless NULLS NOT DISTINCT, as the constraint sees them.
 */
export function violationQuery(k: AddedUniqueKey, relation = relationSql(k)): string {
  const where: string[] = [];
  if (k.predicate) where.push(`(${k.predicate})`);
  if (!k.nullsNotDistinct) for (const e of k.elements) where.push(`${e} IS NOT NULL`);
  return `SELECT coalesce(sum(c), 0)::int8 AS rows, count(*)::int8 AS distinct_keys,
       count(*) FILTER (WHERE c > 1)::int8 AS groups, coalesce(max(c), 0)::int8 AS max_copies
  FROM (SELECT count(*) AS c FROM ${relation}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} GROUP BY ${k.elements.join(', ')}) AS s`;
}

/** What the data says about one added key. */
export interface Violation {
  rows: number;
  distinctKeys: number;
  duplicateGroups: number;
  excessRows: number;
  maxCopies: number;
}

/** Reads the count query's single row. */
export function violationFromRow(row: { rows: unknown; distinct_keys: unknown; groups: unknown; max_copies: unknown }): Violation {
  const rows = Number(row.rows);
  const distinctKeys = Number(row.distinct_keys);
  return { rows, distinctKeys, duplicateGroups: Number(row.groups), excessRows: rows - distinctKeys, maxCopies: Number(row.max_copies) };
}
