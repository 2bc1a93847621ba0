/**
 * Which unique keys of a known table can act as an ON CONFLICT arbiter for a given INSERT, and the
 * conflict-target text for each. Shared by the rules that suggest a conflict target.
 */
import type { AnalyzerConfig } from '../core/types';
import type { TableDescription, UniqueKey } from '../core/catalog';
import type { TableRef } from '../core/facts';
import { displayName } from '../core/facts';
import type { SchemaModel } from '../core/schema';
import { isTemplatedSchema } from '../core/schema/pg';
import { quoteIdent } from '../core/quote';

export interface KeyChoice {
  /** `natural` (configured natural key), or the key's kind. */
  kind: 'natural' | UniqueKey['kind'];
  columns: string[];
  name?: string;
  /** Conflict target text, e.g. `(task_pk, requirement_id)` or `(email) WHERE deleted_at IS NULL`. */
  target: string;
  /** A unique key (or index) backs it, so PostgreSQL accepts it as an arbiter. */
  backed: boolean;
  /** Human label, e.g. `primary key (id)`. */
  label: string;
}

/** The table a ref names in the schema model, if known. */
export function lookupTable(schema: SchemaModel | undefined, ref: TableRef): TableDescription | undefined {
  if (!schema) return undefined;
  try {
    // a templated schema (`:SCHEMA.jobs`, `{{ .Namespace }}.users`, `${schema}.t`): the DDL files its tables under the search path
    return schema.lookup(ref.name, isTemplatedSchema(ref.schema) ? undefined : ref.schema);
  } catch {
    return undefined;
  }
}

/** Configured natural key of a table: table description first, then `naturalKeys` config. */
export function naturalKeyOf(ref: TableRef, table: TableDescription | undefined, config: AnalyzerConfig): string[] | undefined {
  if (table?.naturalKey?.length) return table.naturalKey;
  const nk = config.naturalKeys;
  if (!nk) return undefined;
  const schema = table?.schema ?? ref.schema;
  const names = [schema ? `${schema}.${ref.name}` : undefined, ref.name, ref.raw].filter((x): x is string => !!x);
  for (const n of names) if (nk[n]?.length) return nk[n];
  return undefined;
}

function elem(col: string, expression: boolean): string {
  if (!expression) return quoteIdent(col);
  // A function call stands as is; any other expression needs its own parentheses.
  return /^[A-Za-z_][\w.]*\(.*\)$/s.test(col) ? col : `(${col})`;
}

function sameCols(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}

const ARBITER_KINDS = new Set<UniqueKey['kind']>(['primary', 'unique', 'unique-index']);

/** Unique keys that can be an ON CONFLICT arbiter (no exclusion constraints). */
export function arbiterKeys(table: TableDescription): UniqueKey[] {
  return table.keys.filter((k) => ARBITER_KINDS.has(k.kind));
}

/**
 * Whether an INSERT that supplies `columns` (undefined: all columns, in table order) gives every
 * column of `key` a value of its own: a key on a column the database fills in (serial, identity,
 * uuid default) never sees two equal values, so it never conflicts.
 */
export function keySupplied(table: TableDescription, key: UniqueKey, columns: string[] | undefined): boolean {
  if (key.expression) return true;
  for (const col of key.columns) {
    if (columns) { if (!columns.includes(col)) return false; continue; }
    const desc = table.columns.find((c) => c.name === col);
    if (desc && (desc.surrogate || desc.identity || desc.generated)) return false;
  }
  return true;
}

function keyLabel(k: UniqueKey): string {
  const kind = k.kind === 'primary' ? 'primary key' : k.kind === 'unique' ? 'unique constraint' : 'unique index';
  return `${kind}${k.name ? ` ${k.name}` : ''} (${k.columns.join(', ')})${k.predicate ? ` WHERE ${k.predicate}` : ''}`;
}

/**
 * Conflict targets to suggest, best first: the natural key, then the primary key, then other
 * unique keys; keys the INSERT cannot hit (surrogate columns it does not supply) are left out.
 */
export function keyChoices(ref: TableRef, table: TableDescription | undefined, config: AnalyzerConfig, insertColumns?: string[]): KeyChoice[] {
  const out: KeyChoice[] = [];
  const keys = table ? arbiterKeys(table) : [];
  const natural = naturalKeyOf(ref, table, config);
  if (natural) {
    const backed = keys.some((k) => !k.predicate && sameCols(k.columns, natural));
    // on a table whose keys are known, an unbacked target fails with 42P10 (and another rule says so): not offered
    if (backed || !table) out.push({
      kind: 'natural', columns: natural, backed,
      target: `(${natural.map((c) => quoteIdent(c)).join(', ')})`,
      label: `natural key (${natural.join(', ')})`,
    });
  }
  if (!table) return out;
  const order = (k: UniqueKey) => (k.kind === 'primary' ? 0 : k.kind === 'unique' ? 1 : 2);
  for (const k of [...keys].sort((a, b) => order(a) - order(b))) {
    if (natural && !k.predicate && sameCols(k.columns, natural)) continue;
    if (!keySupplied(table, k, insertColumns)) continue;
    const target = `(${k.columns.map((c) => elem(c, !!k.expression)).join(', ')})${k.predicate ? ` WHERE ${k.predicate}` : ''}`;
    out.push({ kind: k.kind, columns: k.columns, name: k.name, target, backed: true, label: keyLabel(k) });
  }
  return out;
}

/** `schema.table` for messages. */
export function tableLabel(ref: TableRef, table?: TableDescription): string {
  // Unknown table, or one whose schema is a template placeholder: as written (placeholders and all),
  // the way the user will search for it; the model files those under the search path, not their schema.
  if (table && !isTemplatedSchema(ref.schema)) return displayName({ schema: table.schema, name: table.name });
  // blanks between the parts go (`s . t`); quoted names and templates keep theirs (`"{{ .Namespace }}".t`)
  return ref.raw.replace(/("(?:[^"]|"")*"|\{\{[\s\S]*?\}\}|\$\{[^}]*\})|\s+/g, (m, kept: string | undefined) => kept ?? '');
}

export { keyLabel };
