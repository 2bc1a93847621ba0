/**
 * Finds the statements of a SQL file that add a unique key to existing data (ALTER TABLE ... ADD
 * CONSTRAINT ... UNIQUE / PRIMARY KEY, CREATE UNIQUE INDEX), and checks them against a database
 * without ever running text from the file: the table and its columns are looked up in pg_catalog
 * with bind parameters, the count query is built only from the names the catalog returned, and an
 * expression or partial-index predicate is never evaluated (it is compared with the indexes the
 * catalog already holds, or the key is skipped with a note). Pure (no `vscode`, no `pg`): statements
 * come from PostgreSQL's own grammar through src/core, the database through a `Queryable`.
 */
import { quoteIdent, quoteQualified } from '../../core/quote';
import { expr, normalizeSql } from '../../core/schema/deparse';
import { ensureParser, parseTolerant } from '../../core/schema/pg';

/** What an added key's definition is compared by (expressions and predicates never leave the client). */
export interface KeyDefinition {
  /** Canonical form of each element (column or expression, with collation and operator class). */
  elements: string[];
  /** Canonical form of the partial-index predicate. */
  predicate?: string;
  nullsNotDistinct: boolean;
}

/** A unique key a migration adds. */
export interface AddedUniqueKey {
  kind: 'primary' | 'unique' | 'unique-index';
  /** Table as written (schema absent when unqualified: the server's search_path resolves it). */
  schema?: string;
  table: string;
  /** Key elements as SQL, for messages only (never sent to a database). */
  elements: string[];
  /** Plain column names of the key (expression elements left out), for the dedup migration. */
  columns: string[];
  /** True when every element is a plain column. */
  plainColumns: boolean;
  /** Partial index predicate as SQL, for messages only (never sent to a database). */
  predicate?: string;
  nullsNotDistinct: boolean;
  /** Canonical definition, compared with the catalog's indexes; undefined when some part cannot be printed. */
  definition?: KeyDefinition;
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
            definition: { elements: columns.map((c) => normalizeSql(quoteIdent(c))), nullsNotDistinct: !!con.nulls_not_distinct },
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
        for (const p of n.indexParams ?? []) {
          const el = p.IndexElem;
          if (el?.name) { elements.push(quoteIdent(el.name)); columns.push(el.name); continue; }
          elements.push(`(${el?.expr ? expr(el.expr) : '?'})`);
        }
        if (!elements.length) continue;
        out.push({
          kind: 'unique-index', schema: n.relation.schemaname, table: n.relation.relname,
          elements, columns, plainColumns: columns.length === elements.length,
          predicate: n.whereClause ? expr(n.whereClause) : undefined,
          nullsNotDistinct: !!n.nulls_not_distinct, definition: indexDefinition(n),
          name: n.idxname, start: s.start, end: s.end,
        });
      }
    }
  } catch {
    // The check is advisory: a parser surprise means no diagnostic, never an error.
  }
  return out;
}

/**
 * The canonical definition of a CREATE INDEX statement's key (its IndexStmt node), as comparable text;
 * undefined when an element or the predicate holds something the printer does not know.
 */
export function indexDefinition(n: any): KeyDefinition | undefined {
  const elements: string[] = [];
  for (const p of n?.indexParams ?? []) {
    const el = p.IndexElem;
    if (!el) return undefined;
    const body = el.name ? quoteIdent(el.name) : expr(el.expr);
    if (body.includes('?')) return undefined;
    const collation = (el.collation ?? []).map(sval).join('.');
    const opclass = (el.opclass ?? []).map(sval).join('.');
    elements.push(normalizeSql(`${body}${collation ? ` collate ${collation}` : ''}${opclass ? ` ${opclass}` : ''}`));
  }
  let predicate: string | undefined;
  if (n?.whereClause) {
    const printed = expr(n.whereClause);
    if (printed.includes('?')) return undefined;
    predicate = normalizeSql(printed);
  }
  return elements.length ? { elements, predicate, nullsNotDistinct: !!n?.nulls_not_distinct } : undefined;
}

function sameDefinition(a: KeyDefinition, b: KeyDefinition): boolean {
  return a.nullsNotDistinct === b.nullsNotDistinct && a.predicate === b.predicate &&
    a.elements.length === b.elements.length && a.elements.every((e, i) => e === b.elements[i]);
}

/**
 * The count query over catalog-verified names only: rows the key covers, distinct key values, values
 * held by more than one row, the most copies of one value. NULLs never collide unless NULLS NOT
 * DISTINCT, as the constraint sees them. Functions and operators are pg_catalog-qualified.
 */
export function violationQuery(schema: string, table: string, columns: readonly string[], nullsNotDistinct: boolean): string {
  const cols = columns.map(quoteIdent);
  const where = nullsNotDistinct ? '' : ` WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')}`;
  return `SELECT COALESCE(pg_catalog.sum(c), 0)::pg_catalog.int8 AS rows, pg_catalog.count(*)::pg_catalog.int8 AS distinct_keys,
       pg_catalog.count(*) FILTER (WHERE c OPERATOR(pg_catalog.>) 1)::pg_catalog.int8 AS groups, COALESCE(pg_catalog.max(c), 0)::pg_catalog.int8 AS max_copies
  FROM (SELECT pg_catalog.count(*) AS c FROM ${quoteQualified(schema, table)}${where} GROUP BY ${cols.join(', ')}) AS s`;
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

/** The part of a database client the check uses (node-postgres' Client fits). */
export interface Queryable {
  query(config: { text: string; values: unknown[]; queryMode: 'extended' }): Promise<{ rows: any[] }>;
}

/** What the check concluded about one added key. */
export interface KeyOutcome {
  key: AddedUniqueKey;
  /**
   * `counted`: the count query ran (see `violation`); `holds`: an existing valid unique index has the
   * same definition, so the data already meets it; `absent`: the table or a column does not exist
   * yet (the migration creates it); `skipped`: not checked, `note` says why.
   */
  status: 'counted' | 'holds' | 'absent' | 'skipped';
  schema?: string;
  table?: string;
  violation?: Violation;
  note?: string;
  ms?: number;
}

export interface CheckOptions {
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  /** Checked between statements: an aborted check sends nothing more (the caller cancels the running one). */
  signal?: AbortSignal;
  /**
   * The role's own search_path (`DbSession.defaultSearchPath`): unqualified table names in the file are
   * looked up through it, as the migration would resolve them; dupguard's session itself is pinned to
   * `pg_catalog, pg_temp`, where they would never be found.
   */
  searchPath?: string;
}

const MISSING = new Set(['42703', '42P01', '3F000']);

/**
 * Checks the keys against the database behind `db`, in one READ ONLY transaction that is rolled back.
 * Every statement is a single statement sent through the extended protocol; values travel as bind
 * parameters; the only names in SQL text are the ones pg_catalog returned, quoted. Throws what the
 * database throws (connection lost, timeout); a key whose table or column is missing is `absent`.
 */
export async function checkAddedKeys(db: Queryable, keys: readonly AddedUniqueKey[], opts: CheckOptions = {}): Promise<KeyOutcome[]> {
  const q = (text: string, values: unknown[] = []) => db.query({ text, values, queryMode: 'extended' });
  const aborted = () => opts.signal?.aborted === true;
  const out: KeyOutcome[] = [];
  if (!keys.length) return out;
  await q('BEGIN READ ONLY');
  try {
    await q(`SELECT pg_catalog.set_config('statement_timeout', $1, true), pg_catalog.set_config('lock_timeout', $2, true)`,
      [String(opts.statementTimeoutMs ?? 60_000), String(opts.lockTimeoutMs ?? 2_000)]);
    // Table names are resolved under the role's own search_path (unqualified tables resolve as the
    // migration would; without one given, the role's and database's default: reset_val, what a fresh
    // session of theirs gets). Only to_regclass runs under it, with no operator: an operator someone
    // created in a schema on that path could be chosen over pg_catalog's. Everything after runs
    // under pg_catalog, pg_temp again.
    if (opts.searchPath) await q(`SELECT pg_catalog.set_config('search_path', $1, true)`, [opts.searchPath]);
    else await q(`SELECT pg_catalog.set_config('search_path', s.reset_val, true) FROM pg_catalog.pg_settings s WHERE s.name = 'search_path'`);
    const resolved: (string | null)[] = [];
    for (const k of keys) {
      const r = await q(`SELECT pg_catalog.to_regclass($1)::pg_catalog.oid AS oid`, [k.schema ? quoteQualified(k.schema, k.table) : quoteIdent(k.table)]);
      resolved.push((r.rows[0] as { oid: string | null } | undefined)?.oid ?? null);
    }
    await q(`SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)`);
    const plans: { k: AddedUniqueKey; oid: string; schema: string; table: string; columns?: string[] }[] = [];
    for (const [ki, k] of keys.entries()) {
      if (aborted()) return out;
      const rel = resolved[ki] === null ? { rows: [] } : await q(
        `SELECT c.oid::pg_catalog.int8::pg_catalog.text AS oid, n.nspname AS schema, c.relname AS name, c.relkind::pg_catalog.text AS kind
           FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE c.oid = $1::pg_catalog.oid`,
        [resolved[ki]]);
      const r = rel.rows[0] as { oid: string; schema: string; name: string; kind: string } | undefined;
      if (!r || !['r', 'p', 'm'].includes(r.kind)) { out.push({ key: k, status: 'absent' }); continue; }
      const base = { key: k, schema: r.schema, table: r.name };
      if (!k.plainColumns || k.predicate !== undefined) {
        // Expressions and predicates are never evaluated: only the catalog's own indexes are compared.
        if (!k.definition) { out.push({ ...base, status: 'skipped', note: 'its expression or predicate is not compared (dupguard never evaluates text from a file against the database)' }); continue; }
        const idx = await q(
          `SELECT pg_catalog.pg_get_indexdef(i.indexrelid) AS def, i.indisunique AS "unique", i.indisvalid AS valid
             FROM pg_catalog.pg_index i WHERE i.indrelid = $1::pg_catalog.oid`, [r.oid]);
        const same = idx.rows.some((row: { def: string; unique: boolean; valid: boolean }) => {
          if (!row.unique || !row.valid) return false;
          const [st] = parseTolerant(String(row.def));
          const d = st?.stmt?.IndexStmt ? indexDefinition(st.stmt.IndexStmt) : undefined;
          return !!d && sameDefinition(d, k.definition!);
        });
        out.push(same
          ? { ...base, status: 'holds', note: 'a valid unique index with the same definition exists: the data meets it' }
          : { ...base, status: 'skipped', note: 'an expression or partial key is not evaluated against the database (dupguard never runs text from a file) and no existing unique index has the same definition' });
        continue;
      }
      const cols = await q(
        `SELECT a.attname AS name FROM pg_catalog.pg_attribute a
          WHERE a.attrelid = $1::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY ($2::pg_catalog.name[])`,
        [r.oid, k.columns]);
      const found = new Set(cols.rows.map((c: { name: string }) => c.name));
      if (!k.columns.every((c) => found.has(c))) { out.push({ ...base, status: 'absent' }); continue; }
      plans.push({ k, oid: r.oid, schema: r.schema, table: r.name, columns: k.columns.map((c) => [...found].find((f) => f === c)!) });
    }
    // Then the counts, with nothing but pg_catalog on the search path.
    await q(`SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)`);
    for (const p of plans) {
      if (aborted()) return out;
      await q('SAVEPOINT dupguard_unique');
      const t0 = Date.now();
      try {
        const r = await q(violationQuery(p.schema, p.table, p.columns!, p.k.nullsNotDistinct));
        await q('RELEASE SAVEPOINT dupguard_unique');
        out.push({ key: p.k, status: 'counted', schema: p.schema, table: p.table, violation: violationFromRow(r.rows[0]), ms: Date.now() - t0 });
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== undefined && (MISSING.has(code) || code === '42883')) {
          await q('ROLLBACK TO SAVEPOINT dupguard_unique');
          // 42883: a column type without an equality operator (json): no unique key can hold it either.
          out.push(code === '42883'
            ? { key: p.k, status: 'skipped', schema: p.schema, table: p.table, note: 'a key column has no equality operator' }
            : { key: p.k, status: 'absent', schema: p.schema, table: p.table });
          continue;
        }
        throw e;
      }
    }
    // Keys in file order.
    return keys.map((k) => out.find((o) => o.key === k)).filter((o): o is KeyOutcome => !!o);
  } finally {
    await q('ROLLBACK').catch(() => {});
  }
}
