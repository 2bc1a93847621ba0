/** Which table a statement names: the document's own DDL and the workspace schema, in the order a rule needs. */
import type { TableDescription } from '../core/catalog';
import type { TableRef } from '../core/facts';
import type { DdlSchemaModel } from '../core/schema/ddl';
import { isTemplatedSchema } from '../core/schema/pg';
import { lookupTable } from './keys';
import type { RuleContext } from './rule';

/**
 * The table `ref` names. `here` (for statements that use a table): this document's own DDL first,
 * since it is the state the statement runs against, then the workspace schema. `final` (for DDL
 * rules that judge the end result): the workspace schema first. A table the document re-creates,
 * drops or re-keys is ambiguous in its own document: unknown.
 */
export function resolveTable(ctx: RuleContext, ref: { name: string; schema?: string } | TableRef, mode: 'here' | 'final' = 'here'): TableDescription | undefined {
  // a templated schema (`:SCHEMA.jobs`, `{{ .Namespace }}.users`, `${schema}.t`) resolves like an unqualified name
  if (isTemplatedSchema(ref.schema)) ref = { name: ref.name };
  if (mode === 'final') {
    const w = lookupTable(ctx.schema, ref as TableRef);
    if (w) return w;
  }
  let local: DdlSchemaModel | undefined;
  try {
    local = ctx.documentTables();
  } catch {
    local = undefined;
  }
  const t = local?.lookup(ref.name, ref.schema);
  if (t) return local!.isChurned(t) ? undefined : t;
  return mode === 'here' ? lookupTable(ctx.schema, ref as TableRef) : undefined;
}

