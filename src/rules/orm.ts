/**
 * What the rules share to judge ORM and query-builder calls (src/embedded/orm) as they judge SQL: the
 * declared table a call writes, the call in the SQL facts' shape, and how each library spells the
 * clause it emits, for messages.
 */
import type { TableDescription } from '../core/catalog';
import type { InsertFacts } from '../core/facts';
import type { OrmHostFacts } from '../embedded/orm/host';
import { asInsertFacts } from '../embedded/orm/resolve';
import type { OrmSchemaTable } from '../embedded/orm/schema';
import type { OrmLibrary, OrmWrite } from '../embedded/orm/types';
import { lookupTable } from './keys';
import type { HostContext } from './rule';

/** A write resolved against the project's schema: its ORM table, its SQL table, its facts in SQL shape. */
export interface ResolvedWrite {
  w: OrmWrite;
  /** The ORM declaration of the table (its property → column map), when found. */
  entry?: OrmSchemaTable;
  /** The table's description (ORM declaration, or the SQL DDL when the call names the SQL table). */
  table?: TableDescription;
  facts: InsertFacts;
}

/** Library names as users know them, for messages. */
export const LIBRARY_NAME: Record<OrmLibrary, string> = {
  drizzle: 'Drizzle', kysely: 'Kysely', knex: 'knex', objection: 'Objection', prisma: 'Prisma', sequelize: 'Sequelize', typeorm: 'TypeORM', 'mikro-orm': 'MikroORM',
};

/** The call as users spell its targetless insert-or-ignore. */
export function targetlessForm(w: OrmWrite): string {
  switch (w.library) {
    case 'drizzle': return '.onConflictDoNothing()';
    case 'kysely': return '.onConflict((oc) => oc.doNothing())';
    case 'knex': case 'objection': case 'mikro-orm': return '.onConflict().ignore()';
    case 'prisma': return `${w.method}({ skipDuplicates: true })`;
    case 'sequelize': return `${w.method}(..., { ignoreDuplicates: true })`;
    case 'typeorm': return '.orIgnore()';
    default: return w.method;
  }
}

/**
 * The write resolved against the schema: the table through the ORM's own names first, then by its SQL
 * name in the SQL DDL. Undefined when the conflict target is computed at run time.
 */
export function resolveWrite(o: OrmHostFacts, ctx: HostContext, w: OrmWrite): ResolvedWrite | undefined {
  const entry = o.table(w.table, w.library);
  const facts = asInsertFacts(w, entry);
  if (!facts) return undefined;
  let table = entry?.table;
  if (!table && w.table.sqlName) table = lookupTable(ctx.schema, { name: w.table.sqlName, schema: w.table.schema, raw: w.table.sqlName, start: 0, end: 0 });
  return { w, entry, table, facts };
}

/** SQL column names → the names rows and targets of `library` use (ORM properties where it names those). */
export function asRowNames(columns: readonly string[], naming: 'property' | 'column', entry?: OrmSchemaTable): string[] | undefined {
  if (naming === 'column') return [...columns];
  if (!entry) return undefined;
  const byColumn = new Map<string, string>();
  for (const [prop, col] of Object.entries(entry.fields)) if (!byColumn.has(col)) byColumn.set(col, prop);
  const out: string[] = [];
  for (const c of columns) {
    const p = byColumn.get(c);
    if (p === undefined) return undefined;
    out.push(p);
  }
  return out;
}

/**
 * The top-level `key: value` entries of an object literal's text (`{ a: x, b: f(y, z) }`), values as
 * written; shorthand keys (`{ updatedAt }`) have their own name as value. Brackets, strings and
 * templates nest.
 */
export function objectEntries(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const body = text.trim().replace(/^\{/, '').replace(/\}$/, '');
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let from = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) { parts.push(body.slice(from, i)); from = i + 1; }
  }
  parts.push(body.slice(from));
  for (const p of parts) {
    const m = /^\s*(?:\[\s*)?['"]?([\w$]+)['"]?\s*(?:\]\s*)?(?::\s*([\s\S]*?))?\s*$/.exec(p);
    if (m) out.set(m[1], m[2] ?? m[1]);
  }
  return out;
}
