/**
 * Joins ORM facts to ORM schemas: which declared table a call writes (by Drizzle export, Prisma model,
 * Sequelize/TypeORM/MikroORM class, or SQL name), its columns and conflict target in SQL names, and
 * the SQL facts' shape (InsertFacts) for rules written against src/core/facts.
 */
import type { TableDescription } from '../../core/catalog';
import type { ColumnRef, ConflictTarget, InsertFacts } from '../../core/facts';
import type { OrmSchemaFile, OrmSchemaTable } from './schema';
import type { Dialect, OrmLibrary, OrmRow, OrmTableRef, OrmWrite } from './types';

/** Libraries whose row objects are keyed by ORM properties (the others by SQL column names). */
const PROPERTY_ROWS = new Set<OrmLibrary>(['drizzle', 'prisma', 'sequelize', 'typeorm', 'mikro-orm', 'objection']);

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** The tables of a project's ORM schema files, looked up the way each library names them. */
export class OrmSchemaIndex {
  private readonly byOrm = new Map<string, OrmSchemaTable>();
  private readonly bySql = new Map<string, OrmSchemaTable>();

  constructor(readonly files: readonly OrmSchemaFile[]) {
    for (const f of files) {
      for (const t of f.tables) {
        if (t.ormName) {
          this.byOrm.set(`${t.library}:${t.ormName}`, t);
          this.byOrm.set(`${t.library}:${lowerFirst(t.ormName)}`, t);
        }
        this.bySql.set(`${t.table.schema}.${t.table.name}`, t);
        if (!this.bySql.has(t.table.name)) this.bySql.set(t.table.name, t);
      }
    }
  }

  /** The declared table a call names, or undefined (unknown tables stay unknown). */
  lookup(ref: OrmTableRef, library: OrmLibrary): OrmSchemaTable | undefined {
    if (ref.ormName) {
      // Objection models and Kysely/knex builders do not share the ORM's names: try every schema library
      const own = this.byOrm.get(`${library}:${ref.ormName}`) ?? this.byOrm.get(`${library}:${lowerFirst(ref.ormName)}`);
      if (own) return own;
    }
    if (ref.sqlName) return this.bySql.get(ref.schema ? `${ref.schema}.${ref.sqlName}` : ref.sqlName) ?? (ref.schema ? undefined : this.bySql.get(`public.${ref.sqlName}`));
    return undefined;
  }

  /** The dialect the schema files declare, when they agree. */
  dialect(): Dialect | undefined {
    const found = new Set(this.files.map((f) => f.dialect).filter((d): d is Dialect => d !== undefined));
    return found.size === 1 ? [...found][0] : undefined;
  }
}

/** Names as a call spells them (properties or columns) → SQL column names. */
export function sqlColumns(names: readonly string[], naming: 'property' | 'column', table?: OrmSchemaTable): string[] {
  if (naming === 'column' || !table) return [...names];
  return names.map((n) => table.fields[n] ?? n);
}

/** The naming a write's row keys use. */
export function rowNaming(library: OrmLibrary): 'property' | 'column' {
  return PROPERTY_ROWS.has(library) ? 'property' : 'column';
}

/**
 * The write in the SQL facts' shape, offsets in the host file: the table (SQL name when the schema
 * knows it), columns supplied and the ON CONFLICT clause (`head` is the ORM clause's range). Undefined
 * when the call's conflict target is computed at run time (a rule cannot reason on it).
 */
export function asInsertFacts(w: OrmWrite, table?: OrmSchemaTable): InsertFacts | undefined {
  const c = w.conflict;
  let target: ConflictTarget = { kind: 'none' };
  if (c) {
    const t = c.target;
    if (t.kind === 'unknown') return undefined;
    if (t.kind === 'columns') target = { kind: 'columns', columns: sqlColumns(t.columns, t.naming, table), span: t.span, expression: false, ...(t.where ? { where: t.where } : {}) };
    else if (t.kind === 'constraint') target = { kind: 'constraint', name: t.name, span: t.span };
  }
  const tref = w.table;
  const name = table?.table.name ?? tref.sqlName ?? tref.ormName ?? '';
  const span = tref.span ?? w.call;
  const desc: TableDescription | undefined = table?.table;
  const facts: InsertFacts = {
    start: w.call.start,
    end: w.call.end,
    table: { start: span.start, end: span.end, name, raw: tref.localName ?? tref.ormName ?? tref.sqlName ?? name, ...(desc?.schema && desc.schema !== 'public' ? { schema: desc.schema } : tref.schema ? { schema: tref.schema } : {}) },
    source: w.rows ? 'values' : 'unknown',
    reads: [],
    returning: w.returning,
    inWith: false,
  };
  if (w.columns) {
    const cols = sqlColumns(w.columns, rowNaming(w.library), table);
    const first = w.rows?.[0];
    facts.columns = cols.map((n, i): ColumnRef => {
      const cell = first?.cells.find((x) => x.key === w.columns![i]);
      return { name: n, start: cell?.span.start ?? w.call.start, end: cell?.span.end ?? w.call.end };
    });
  }
  if (w.rows) facts.rows = w.rows.map((r) => ({ span: r.span, cells: r.cells.map((x) => x.span) }));
  if (c) {
    facts.onConflict = {
      start: c.clause.start,
      end: c.clause.end,
      head: c.clause,
      afterConflict: c.clause.end,
      target,
      action: c.action,
      ...(c.actionSpan ? { actionSpan: c.actionSpan } : {}),
    };
  }
  return facts;
}

/**
 * Pairs of rows of a literal batch that give every column of `key` (names as the rows spell them)
 * the same literal value: the later row is dropped by DO NOTHING, or fails the whole statement under
 * DO UPDATE ("cannot affect row a second time"). Rows where a key value is not literal never pair.
 */
export function duplicateKeyRows(w: OrmWrite, key: readonly string[]): Array<[OrmRow, OrmRow]> {
  const out: Array<[OrmRow, OrmRow]> = [];
  if (!w.rows || w.rows.length < 2 || key.length === 0) return out;
  const seen = new Map<string, OrmRow>();
  for (const r of w.rows) {
    const vals: string[] = [];
    for (const k of key) {
      const cell = r.cells.find((x) => x.key === k);
      if (!cell || cell.value === undefined) break;
      vals.push(cell.value.replace(/^(['"`])(.*)\1$/s, '$2'));
    }
    if (vals.length !== key.length) continue;
    const id = JSON.stringify(vals);
    const first = seen.get(id);
    if (first) out.push([first, r]); else seen.set(id, r);
  }
  return out;
}
