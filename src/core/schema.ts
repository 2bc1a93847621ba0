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
  /** Where a table this model returned came from (layered models only; otherwise the project's own). */
  provenanceOf?(table: TableDescription): Provenance | undefined;
  /**
   * The position of the DDL file `path` in migration order (0 first), when the model was built from
   * it: a statement of that file runs against the DDL of the files before it only (docs/schema.md).
   */
  orderOf?(path: string): number | undefined;
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

/**
 * Where a table's description came from, seen from the file being analyzed: its own project's
 * migrations or schema files (`project`), its own project's test fixtures (`fixture`), or another
 * package of the workspace (`elsewhere`). Only `project` (and a live catalog) makes a claim certain.
 */
export type Provenance = 'project' | 'fixture' | 'elsewhere';

/** One source of a layered model: a model and what its tables are to the analyzed file. */
export interface SchemaLayer {
  model: SchemaModel;
  provenance: Provenance;
}

/**
 * Several models asked in order, the first that knows a table wins: a file's own migrations, then its
 * own fixtures, then other packages' migrations (docs/schema.md). Tables keep their identity, so a
 * rule can ask `provenanceOf` about a table it looked up.
 */
export class LayeredSchemaModel implements SchemaModel {
  private readonly from = new WeakMap<TableDescription, Provenance>();

  constructor(readonly layers: readonly SchemaLayer[]) {}

  lookup(name: string, schema?: string): TableDescription | undefined {
    for (const l of this.layers) {
      const t = l.model.lookup(name, schema);
      if (t) {
        if (!this.from.has(t)) this.from.set(t, l.provenance);
        return t;
      }
    }
    return undefined;
  }

  *tables(): Iterable<TableDescription> {
    const seen = new Set<string>();
    for (const l of this.layers) {
      for (const t of l.model.tables()) {
        const k = `${t.schema}.${t.name}`;
        if (seen.has(k)) continue;
        seen.add(k);
        if (!this.from.has(t)) this.from.set(t, l.provenance);
        yield t;
      }
    }
  }

  provenanceOf(table: TableDescription): Provenance | undefined {
    return this.from.get(table);
  }

  /** The position of a DDL file in its layer's migration order, layers counted in order. */
  orderOf(path: string): number | undefined {
    let base = 0;
    for (const l of this.layers) {
      const o = l.model.orderOf?.(path);
      if (o !== undefined) return base + o;
      base += 1_000_000;
    }
    return undefined;
  }
}

/** What a model says of a table's provenance; a model that is not layered is the project's own. */
export function provenanceOf(schema: SchemaModel | undefined, table: TableDescription): Provenance | undefined {
  if (!schema) return undefined;
  return schema.provenanceOf ? schema.provenanceOf(table) : 'project';
}
