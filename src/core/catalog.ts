/**
 * Pure description of tables, shared by the schema model (built from workspace DDL), the database
 * introspection (built from the live catalog) and the migration generator. Identifiers are stored
 * unquoted and case-exact (as PostgreSQL stores them: unquoted DDL names are folded to lower case).
 */
import type { Location } from './types';

export interface ColumnDescription {
  name: string;
  /** Type as PostgreSQL prints it (format_type), e.g. `integer`, `timestamp with time zone`. */
  type: string;
  notNull: boolean;
  /** Default expression text, e.g. `nextval('t_id_seq'::regclass)`, `now()`, `gen_random_uuid()`. */
  default?: string;
  identity?: 'always' | 'by default';
  generated?: boolean;
  /**
   * The value is made by the database for every insert (serial/identity/uuid default/now() default):
   * two copies of the same logical row differ here, so exact-row duplicate checks ignore it.
   */
  surrogate?: boolean;
}

export type KeyKind = 'primary' | 'unique' | 'unique-index' | 'exclude';

/** A primary key, unique constraint or unique index. */
export interface UniqueKey {
  kind: KeyKind;
  /** Constraint or index name when known. */
  name?: string;
  /** Key columns in order. Expression elements are given as their SQL text with `expression` set. */
  columns: string[];
  /** True when any element is an expression rather than a plain column. */
  expression?: boolean;
  /** Partial index predicate (SQL text), if any. */
  predicate?: string;
  nullsNotDistinct?: boolean;
  /** Full definition when known (pg_get_indexdef / pg_get_constraintdef). */
  definition?: string;
  /** Where the DDL that made it stands, when it came from workspace files. */
  origin?: Location;
}

export interface IndexDescription {
  name: string;
  unique: boolean;
  /** pg_get_indexdef text, usable to recreate the index. */
  definition: string;
  /** Name of the constraint that owns this index, if any. */
  constraint?: string;
}

export interface ConstraintDescription {
  name: string;
  /** p primary, u unique, f foreign key, c check, x exclude, n not null (PG 18 lists those too; ignore). */
  type: 'p' | 'u' | 'f' | 'c' | 'x' | 'n' | string;
  /** pg_get_constraintdef text. */
  definition: string;
}

/** A foreign key of another table that references this one. */
export interface ReferencingForeignKey {
  schema: string;
  table: string;
  name: string;
  definition: string;
}

export interface TableDescription {
  schema: string;
  name: string;
  /** r table, p partitioned table, v view, m materialized view, f foreign table. */
  kind?: 'r' | 'p' | 'v' | 'm' | 'f';
  columns: ColumnDescription[];
  keys: UniqueKey[];
  /** Natural key from configuration (`naturalKeys`), as seed 002's ETL config declared. */
  naturalKey?: string[];
  indexes?: IndexDescription[];
  constraints?: ConstraintDescription[];
  referencedBy?: ReferencingForeignKey[];
  /** aclitem[] text of the table, e.g. `{postgres=arwdDxt/postgres,app=r/postgres}`. */
  acl?: string[];
  owner?: string;
  /** Trigger definitions (pg_get_triggerdef) of user triggers. */
  triggers?: string[];
  comment?: string;
  rowEstimate?: number;
  totalBytes?: number;
  /** Where the table's CREATE TABLE stands in the workspace, if it came from DDL. */
  origin?: Location;
  /** Where the description came from; both may merge (catalog wins on conflict). */
  source: 'ddl' | 'catalog' | 'config';
  /** Whether the engine has ctid (PostgreSQL yes, YugabyteDB no). */
  hasCtid?: boolean;
}

/** `schema.name` key (case-exact, as stored) used to look tables up; schema defaults to `public`. */
export function tableKey(schema: string | undefined, name: string): string {
  return `${schema ?? 'public'}.${name}`;
}
