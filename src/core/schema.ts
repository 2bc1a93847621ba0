/**
 * What the analyzer knows about tables. Built from workspace DDL (src/core/schema/ddl), from
 * configuration (natural keys) and, when connected, from the live catalog; the sources merge.
 * Unknown tables are unknown: rules make no schema-aware finding on a guess.
 */
import type { TableDescription } from './catalog';

export interface SchemaModel {
  /** The table `name` (optionally schema-qualified) as a query would resolve it, or undefined. */
  lookup(name: string, schema?: string): TableDescription | undefined;
  tables(): Iterable<TableDescription>;
}

/** A model over a fixed list of descriptions; unqualified names resolve in `searchPath` order. */
export class StaticSchemaModel implements SchemaModel {
  private readonly byKey = new Map<string, TableDescription>();
  // per schema, then name: a lookup builds no `schema.name` string (rules look tables up per statement)
  private readonly bySchema = new Map<string, Map<string, TableDescription>>();

  constructor(tables: Iterable<TableDescription> = [], private readonly searchPath: string[] = ['public']) {
    for (const t of tables) {
      this.byKey.set(`${t.schema}.${t.name}`, t);
      let m = this.bySchema.get(t.schema);
      if (!m) this.bySchema.set(t.schema, (m = new Map()));
      m.set(t.name, t);
    }
  }

  lookup(name: string, schema?: string): TableDescription | undefined {
    if (schema !== undefined) return this.bySchema.get(schema)?.get(name);
    for (const s of this.searchPath) {
      const t = this.bySchema.get(s)?.get(name);
      if (t) return t;
    }
    return undefined;
  }

  tables(): Iterable<TableDescription> {
    return this.byKey.values();
  }
}
