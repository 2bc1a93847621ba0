/**
 * A composite UNIQUE key over a nullable column, without NULLS NOT DISTINCT. PostgreSQL treats
 * NULLs as distinct from each other, so `(tenant, NULL)` can be stored any number of times: the key
 * does not stop those duplicates, and `ON CONFLICT (tenant, col)` never fires for them. PostgreSQL
 * 15 adds `NULLS NOT DISTINCT`; before that, make the column NOT NULL or add a partial index.
 *
 * Silent too when part of the key is already unique on its own (the primary key), or a CHECK of the
 * table governs the nullable column's NULLs (forbids them, or pairs them with a value another key covers).
 *
 * Nullability comes from the schema model (the workspace's final DDL, else this file's own), so a
 * later `SET NOT NULL` counts. Single-column keys are left alone: many NULLs there mean "no value";
 * so are keys with a nullable optional identifier (idempotency_key, external_id): NULL there marks rows
 * that are meant to repeat.
 */
import type { TableDescription } from '../core/catalog';
import type { Statement } from '../core/facts';
import { T, type Tokens } from '../core/lexer';
import { docsUrl, type Rule, type RuleContext } from './rule';
import { findNodes, sval } from './ast';
import { resolveTable } from './tables';
import { runsOnPostgres } from '../embedded/orm/dialect';
import { mayDeclareOrmSchema, ormSchemaOf } from '../embedded/orm/model';
import { readOrmSchema } from '../embedded/orm/schema';
import type { HostContext } from './rule';

const ID = 'unique-key-allows-null-duplicates';

/** Nullable key columns, or undefined when some column is unknown (no guessing). */
function nullableColumns(table: TableDescription, cols: string[]): string[] | undefined {
  const out: string[] = [];
  for (const c of cols) {
    const col = table.columns.find((x) => x.name === c);
    if (!col) return undefined;
    if (!col.notNull) out.push(c);
  }
  return out;
}

/** Columns a partial-index predicate pins to NOT NULL (`col IS NOT NULL`). */
function notNullIn(where: any): Set<string> {
  const out = new Set<string>();
  for (const t of findNodes(where, 'NullTest')) {
    if (t.nulltesttype !== 'IS_NOT_NULL') continue;
    const f: string[] = (t.arg?.ColumnRef?.fields ?? []).map(sval);
    if (f.length) out.add(f[f.length - 1]);
  }
  return out;
}

/** Index of the first token starting at or after `offset`. */
function tokenAt(t: Tokens, offset: number): number {
  let lo = 0;
  let hi = t.count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t.starts[mid] < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** [open, close) offsets of the first parenthesized list at or after `offset`, before `limit`. */
function parenList(t: Tokens, offset: number, limit: number): [number, number] | undefined {
  let depth = 0;
  let open = -1;
  for (let i = tokenAt(t, offset); i < t.count && t.starts[i] < limit; i++) {
    if (t.types[i] === T.LParen) {
      if (depth === 0) open = t.starts[i];
      depth++;
    } else if (t.types[i] === T.RParen) {
      depth--;
      if (depth === 0 && open >= 0) return [open, t.ends[i]];
    }
  }
  return undefined;
}

/** End offset of the word `unique` at or after `offset`. */
function uniqueWordEnd(t: Tokens, offset: number, limit: number): number | undefined {
  for (let i = tokenAt(t, offset); i < t.count && t.starts[i] < limit; i++) {
    if (t.types[i] === T.Word && t.text.slice(t.starts[i], t.ends[i]).toLowerCase() === 'unique') return t.ends[i];
  }
  return undefined;
}

/**
 * Columns whose NULLs are governed by a CHECK of the table in this document (`CHECK (a IS NOT NULL
 * OR ...)`, `CHECK ((a IS NULL) <> (b IS NULL))`): the NULLs there are forbidden, or paired with a
 * value another key covers. The key is then left alone: its NULL rows are by design.
 */
function checkedForNull(ctx: RuleContext, table: TableDescription): Set<string> {
  const out = new Set<string>();
  const addFrom = (expr: any) => {
    for (const t of findNodes(expr, 'NullTest')) {
      const f: string[] = (t.arg?.ColumnRef?.fields ?? []).map(sval);
      if (f.length) out.add(f[f.length - 1]);
    }
  };
  const checks = (c: any) => {
    if (c?.contype === 'CONSTR_CHECK') addFrom(c.raw_expr);
  };
  for (const st of ctx.doc.ofKinds(['create-table', 'alter-table'])) {
    // no CHECK without the word: the others' trees are not asked for
    if (!st.mentions('check')) continue;
    const ast = ctx.ast(st);
    const n = ast?.node;
    if (!n || n.relation?.relname !== table.name) continue;
    if (ast!.kind === 'CreateStmt') {
      for (const el of n.tableElts ?? []) {
        checks(el.Constraint);
        for (const c of el.ColumnDef?.constraints ?? []) checks(c.Constraint);
      }
    } else if (ast!.kind === 'AlterTableStmt') {
      for (const cmd of n.cmds ?? []) if (cmd.AlterTableCmd?.subtype === 'AT_AddConstraint') checks(cmd.AlterTableCmd.def?.Constraint);
    }
  }
  return out;
}

/**
 * True when another key of the table over part of these columns is already unique for every row (a
 * primary key, or a key over NOT NULL columns, with no predicate): no two rows can then agree on all
 * of `cols`, NULLs or not.
 */
function subsetUnique(table: TableDescription, cols: string[]): boolean {
  return table.keys.some((k) => (k.kind === 'primary' || k.kind === 'unique' || k.kind === 'unique-index') && !k.predicate && !k.expression
    && k.columns.length < cols.length && k.columns.every((c) => cols.includes(c))
    && (k.kind === 'primary' || k.nullsNotDistinct || k.columns.every((c) => table.columns.find((x) => x.name === c)?.notNull)));
}

/** The nullable columns of the key whose NULLs can repeat, or none when the table rules that out. */
function repeatableNulls(ctx: RuleContext, table: TableDescription, cols: string[], nullable: string[]): string[] {
  if (subsetUnique(table, cols)) return [];
  const checked = checkedForNull(ctx, table);
  return nullable.some((c) => checked.has(c)) ? [] : nullable;
}

/** Optional identifiers by name: NULL there means "no such id", and rows without one are meant to repeat. */
const OPTIONAL_ID = /^(idempotency_?key|external_?(id|key|ref|account_?id)|.*_?token)$/i;

function report(ctx: RuleContext, cols: string[], nullable: string[], start: number, end: number, insertAt: number): void {
  // a NULL optional id marks rows that are meant to repeat, whatever the other columns hold
  if (nullable.some((c) => OPTIONAL_ID.test(c))) return;
  const tuple = `(${cols.map((c) => (nullable.includes(c) ? 'NULL' : c)).join(', ')})`;
  ctx.report({
    start,
    end,
    message:
      `UNIQUE (${cols.join(', ')}) does not stop duplicates where ${nullable.join(' or ')} is NULL: NULLs count as distinct, so ${tuple} can be stored any number of times, ` +
      `and ON CONFLICT on this key never fires for those rows. Add NULLS NOT DISTINCT (PostgreSQL 15+) or make ${nullable.join(', ')} NOT NULL.`,
    fixes: [{ title: 'Treat NULLs as equal: NULLS NOT DISTINCT (PostgreSQL 15+)', edits: [{ start: insertAt, end: insertAt, newText: ' NULLS NOT DISTINCT' }], preferred: true }],
  });
}

function checkConstraint(ctx: RuleContext, stmt: Statement, table: TableDescription, c: any, at: (b: number) => number, stmtEnd: number): void {
  if (c?.contype !== 'CONSTR_UNIQUE' || c.nulls_not_distinct || c.indexname) return;
  const cols: string[] = (c.keys ?? []).map(sval);
  if (cols.length < 2) return;
  const nullable = nullableColumns(table, cols);
  if (!nullable?.length || !repeatableNulls(ctx, table, cols, nullable).length) return;
  const start = at(c.location ?? 0);
  const uEnd = uniqueWordEnd(stmt.tokens, start, stmtEnd);
  const list = uEnd !== undefined ? parenList(stmt.tokens, uEnd, stmtEnd) : undefined;
  if (uEnd === undefined || !list) return;
  report(ctx, cols, nullable, start, list[1], uEnd);
}

function check(stmt: Statement, ctx: RuleContext): void {
  const ast = ctx.ast(stmt);
  if (!ast) return;
  const n = ast.node;
  const end = stmt.terminator >= 0 ? stmt.terminator : stmt.end;
  if (ast.kind === 'CreateStmt') {
    const table = resolveTable(ctx, { name: n.relation?.relname ?? '', schema: n.relation?.schemaname }, 'final');
    if (!table) return;
    for (const el of n.tableElts ?? []) if (el.Constraint) checkConstraint(ctx, stmt, table, el.Constraint, ast.at, end);
  } else if (ast.kind === 'AlterTableStmt') {
    const table = resolveTable(ctx, { name: n.relation?.relname ?? '', schema: n.relation?.schemaname }, 'final');
    if (!table) return;
    for (const cmd of n.cmds ?? []) {
      const c = cmd.AlterTableCmd;
      if (c?.subtype === 'AT_AddConstraint') checkConstraint(ctx, stmt, table, c.def?.Constraint, ast.at, end);
    }
  } else if (ast.kind === 'IndexStmt') {
    if (!n.unique || n.nulls_not_distinct) return;
    const elems: any[] = (n.indexParams ?? []).map((p: any) => p.IndexElem);
    if (elems.length < 2 || elems.some((e) => !e?.name)) return;
    const cols = elems.map((e) => e.name as string);
    const table = resolveTable(ctx, { name: n.relation?.relname ?? '', schema: n.relation?.schemaname }, 'final');
    if (!table) return;
    const pinned = notNullIn(n.whereClause);
    const nullable = nullableColumns(table, cols)?.filter((c) => !pinned.has(c));
    if (!nullable?.length || !repeatableNulls(ctx, table, cols, nullable).length) return;
    const list = parenList(stmt.tokens, ast.at(n.relation?.location ?? 0), end);
    if (!list) return;
    // the grammar puts NULLS NOT DISTINCT after an INCLUDE (...) list
    const t = stmt.tokens;
    const next = tokenAt(t, list[1]);
    const include = next < t.count && t.types[next] === T.Word && t.text.slice(t.starts[next], t.ends[next]).toLowerCase() === 'include'
      ? parenList(t, t.ends[next], end) : undefined;
    report(ctx, cols, nullable, stmt.start, list[1], include ? include[1] : list[1]);
  }
}

/** How each ORM schema says NULLS NOT DISTINCT / NOT NULL, for the message. */
const ORM_REMEDY: Record<string, string> = {
  drizzle: 'declare the key as unique(name).on(...).nullsNotDistinct() (PostgreSQL 15+; uniqueIndex has no such option) or add .notNull() to',
  prisma: 'make required (drop the ?)',
  kysely: "add .nullsNotDistinct() to the constraint or index (PostgreSQL 15+) or .notNull() to",
  knex: 'add .notNullable() to',
  sequelize: 'set allowNull: false on',
  typeorm: 'set nullable: false on',
  'mikro-orm': 'set nullable: false on',
};

/**
 * The same in an ORM schema file (Drizzle `unique().on(...)` / `uniqueIndex().on(...)`, Kysely
 * `addUniqueConstraint`, knex `table.unique([...])`, entity decorators) of a PostgreSQL project: a
 * composite key whose columns the schema leaves nullable. Partial and expression keys are left alone.
 */
function checkOrmSchema(ctx: HostContext): void {
  if (!ctx.path) return;
  // the project's schema model has read this file already when it is one of its ORM schema files
  const model = ormSchemaOf(ctx.schema);
  const file = model?.orm.files.find((f) => f.path === ctx.path)
    ?? (mayDeclareOrmSchema(ctx.path, ctx.text) ? readOrmSchema(ctx.path, ctx.text, ctx.stream) : undefined);
  if (!file || !file.tables.length || !runsOnPostgres(file.dialect ?? model?.dialect())) return;
  for (const t of file.tables) {
    const table = t.table;
    for (const k of table.keys) {
      if ((k.kind !== 'unique' && k.kind !== 'unique-index') || k.columns.length < 2 || k.nullsNotDistinct || k.predicate || k.expression || !k.origin) continue;
      const nullable = nullableColumns(table, k.columns);
      if (!nullable?.length || nullable.some((c) => OPTIONAL_ID.test(c))) continue;
      // a column that is alone a unique key (or the primary key) already stops the duplicates
      if (table.keys.some((o) => o !== k && !o.predicate && o.columns.length === 1 && k.columns.includes(o.columns[0]))) continue;
      const tuple = `(${k.columns.map((c) => (nullable.includes(c) ? 'NULL' : c)).join(', ')})`;
      const remedy = ORM_REMEDY[t.library] ?? 'make NOT NULL';
      ctx.report({
        start: k.origin.start,
        end: k.origin.end,
        message:
          `UNIQUE (${k.columns.join(', ')}) of ${table.name} does not stop duplicates where ${nullable.join(' or ')} is NULL: NULLs count as distinct, so ${tuple} can be stored any number of times, ` +
          `and a conflict on this key never fires for those rows. In the schema, ${remedy} ${nullable.join(', ')}.`,
      });
    }
  }
}

/** Composite UNIQUE key over nullable columns without NULLS NOT DISTINCT. */
export const uniqueKeyAllowsNullDuplicates: Rule = {
  id: ID,
  severity: 'warning',
  description: 'Composite UNIQUE key over a nullable column without NULLS NOT DISTINCT: rows differing only by NULL are all accepted.',
  docs: docsUrl(ID),
  kinds: ['create-table', 'create-index', 'alter-table'],
  // no unique key without the word UNIQUE
  mentions: 'unique',
  // a CHECK elsewhere in the document may govern the NULLs
  reads: ['document-ddl', 'workspace-schema', 'other-statements'],
  statement(stmt, ctx) {
    if (stmt.depth === 0 && (stmt.createTable || stmt.createIndex?.unique || stmt.kind === 'alter-table')) check(stmt, ctx);
  },
  host(ctx) {
    checkOrmSchema(ctx);
  },
};
