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

  constructor(tables: Iterable<TableDescription> = [], private readonly searchPath: string[] = ['public']) {
    for (const t of tables) this.byKey.set(`${t.schema}.${t.name}`, t);
  }

  lookup(name: string, schema?: string): TableDescription | undefined {
    if (schema !== undefined) return this.byKey.get(`${schema}.${name}`);
    for (const s of this.searchPath) {
      const t = this.byKey.get(`${s}.${name}`);
      if (t) return t;
    }
    return undefined;
  }

  tables(): Iterable<TableDescription> {
    return this.byKey.values();
  }
}
