/**
 * ORM schema files as a source of the schema model: the tables and keys that Drizzle, Prisma, Kysely
 * and knex migrations, Sequelize, TypeORM and MikroORM declare join the model built from `.sql` DDL, so
 * SQL and ORM calls alike are judged against keys that never appear in a `.sql` file. The CLI and the
 * editor both build their model through `withOrmSchema`, one project (package root) at a time.
 */
import type { TableDescription } from '../../core/catalog';
import type { SchemaModel } from '../../core/schema';
import type { DialectHints } from '../dialect-hints';
import { OrmSchemaIndex } from './resolve';
import { mayDeclareOrmTables, readOrmSchema, schemaJsx, type OrmSchemaFile } from './schema';
import type { TokenStream } from './stream';
import type { Dialect } from './types';

/** A file that may declare ORM tables: `schema.prisma`, or TS/JS source. */
export interface OrmSourceFile {
  path: string;
  text: string;
}

/** Whether a path may hold ORM schema declarations (Prisma schemas and TS/JS source). */
export function isOrmSchemaPath(path: string): boolean {
  return /\.(?:prisma|[cm]?[jt]sx?)$/i.test(path);
}

/**
 * Whether a file is one of its project's ORM schema files: a Prisma schema, or TS/JS source whose
 * text has a table builder, migration call, entity decorator or model definition (the cheap test the
 * schema reader itself starts with, so nothing it would read is left out). The one decision of the
 * CLI and the editor, from the content and not the folder names, so a schema in `src/lib/auth.ts`
 * counts as one in `db/schema.ts` does.
 */
export function mayDeclareOrmSchema(path: string, text: string): boolean {
  if (/\.prisma$/i.test(path)) return true;
  return isOrmSchemaPath(path) && mayDeclareOrmTables(text);
}

/**
 * The schema model with ORM tables added: lookups answer from the SQL DDL first (the migrations an
 * ORM generates are what the database runs), then from the ORM declarations. `orm` keeps the ORM's
 * own names (model and property names) for the rules that read ORM calls.
 */
export class OrmAwareSchemaModel implements SchemaModel {
  private readonly byName = new Map<string, TableDescription>();

  constructor(readonly base: SchemaModel | undefined, readonly orm: OrmSchemaIndex) {
    for (const f of orm.files) {
      for (const t of f.tables) {
        const d = t.table;
        this.byName.set(`${d.schema}.${d.name}`, d);
      }
    }
  }

  lookup(name: string, schema?: string): TableDescription | undefined {
    const own = this.base?.lookup(name, schema);
    if (own) return own;
    return this.byName.get(`${schema ?? 'public'}.${name}`);
  }

  *tables(): Iterable<TableDescription> {
    const seen = new Set<string>();
    for (const t of this.base?.tables() ?? []) {
      seen.add(`${t.schema}.${t.name}`);
      yield t;
    }
    for (const [k, t] of this.byName) if (!seen.has(k)) yield t;
  }

  /** The dialect the ORM schema files declare, when they agree. */
  dialect(): Dialect | undefined {
    return this.orm.dialect();
  }
}

/** The ORM side of a schema model, when it has one. */
export function ormSchemaOf(model: SchemaModel | undefined): OrmAwareSchemaModel | undefined {
  return model instanceof OrmAwareSchemaModel ? model : undefined;
}

/**
 * A file's token stream as the engine keeps it (src/engine/caches.ts), so a schema file that is then
 * analyzed is tokenized once: `jsx` as the schema reader tokenizes it.
 */
export type StreamOf = (text: string, jsx: boolean) => TokenStream;

/**
 * Reads the ORM schema declarations of files (those that declare none are left out). Never throws.
 * `hints`: a stream's dialect hints as the engine keeps them (src/engine/caches.ts).
 */
export function readOrmSchemas(files: readonly OrmSourceFile[], streamOf?: StreamOf, hints?: (ts: TokenStream) => DialectHints): OrmSchemaFile[] {
  const out: OrmSchemaFile[] = [];
  for (const f of files) {
    // the path half of mayDeclareOrmSchema: readOrmSchema tests the text itself (one scan, not two)
    if (!isOrmSchemaPath(f.path)) continue;
    const s = readOrmSchema(f.path, f.text, streamOf && (() => streamOf(f.text, schemaJsx(f.path))), hints);
    if (s.tables.length || s.dialect) out.push(s);
  }
  return out;
}

/**
 * `base` (the model of the project's `.sql` DDL, if any) with the tables its ORM schema files declare.
 * Returns `base` unchanged when no file declares an ORM table or dialect. One project's files at a
 * time: two packages' `User` models must not meet.
 */
export function withOrmSchema(base: SchemaModel | undefined, files: readonly OrmSourceFile[], streamOf?: StreamOf, hints?: (ts: TokenStream) => DialectHints): SchemaModel | undefined {
  const schemas = readOrmSchemas(files, streamOf, hints);
  if (schemas.length === 0) return base;
  return new OrmAwareSchemaModel(base, new OrmSchemaIndex(schemas));
}
