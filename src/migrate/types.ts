/** Options and result of the dedup migration generator (src/migrate/generate.ts). */

/** Which row of each duplicate group survives. */
export type KeepPolicy = 'oldest' | 'newest';
/** How duplicates are removed: `auto` picks by duplicate ratio (see thresholds.ts). */
export type Strategy = 'auto' | 'delete' | 'rebuild';
/** Target engine: YugabyteDB has no ctid, so copies are told apart by a unique row identity. */
export type Flavour = 'postgres' | 'yugabyte';
/**
 * How NULLs in key columns count. `not-distinct`: rows whose keys are equal including NULLs are
 * duplicates, and the constraint is `UNIQUE NULLS NOT DISTINCT` (PostgreSQL 15+). `distinct`: a row
 * with a NULL in any key column is never a duplicate (plain UNIQUE semantics), so those rows are kept.
 * `auto`: not-distinct on PostgreSQL, distinct on YugabyteDB. When every key column is NOT NULL the
 * two are the same and the constraint is written without the clause.
 */
export type NullKeys = 'auto' | 'not-distinct' | 'distinct';
/** Where the unique index is built: inside the dedup transaction, or concurrently after it. */
export type IndexBuild = 'auto' | 'in-transaction' | 'concurrent';
/** `psql`: a complete script for `psql -v ON_ERROR_STOP=1 -f`. `dry-run`: plain SQL for a transaction the caller rolls back. */
export type ScriptMode = 'psql' | 'dry-run';

/** What to generate. Only `key` is required. */
export interface MigrationOptions {
  /** Natural key columns (unquoted, case-exact). */
  key: string[];
  keep?: KeepPolicy;
  /** Column whose order decides which copy is oldest/newest; default: a created_at-like column, else an increasing primary key, else ctid. */
  orderBy?: string;
  strategy?: Strategy;
  flavour?: Flavour;
  nullKeys?: NullKeys;
  indexBuild?: IndexBuild;
  /** Rows in the table (estimate or count), used for the index build choice. */
  rowEstimate?: number;
  /** Rows divided by distinct keys (1 = no duplicates), from a scan; used by `strategy: 'auto'`. */
  duplicateRatio?: number;
  /** Name of the new unique constraint (and its index); default `<table>_<key>_key`. */
  constraintName?: string;
  /** Name of the backup table (same schema as the table); default `<table>_dupguard_<timestamp>`. */
  backupName?: string;
  /** Generation time, written in the header and used in the default backup name. */
  now?: Date;
  mode?: ScriptMode;
  /**
   * `rollback`: the table is described after the migration ran, so the unique key on `key` is
   * expected (and, unless constraintName is given, is the constraint the rollback drops).
   */
  purpose?: 'migrate' | 'rollback';
  /**
   * Foreign keys of other tables (or the table itself) pointing here whose columns no index leads
   * with, as `schema.table.name`; from the catalog (src/db/dryrun.ts migrationFacts). Undefined:
   * unknown, and the script checks at run time.
   */
  unindexedForeignKeys?: string[];
  /**
   * The equality operator each referencing foreign key uses per column (pg_constraint.conpfeqop), as
   * `schema.op`, keyed `schema.table.name`; from the catalog. Missing: `pg_catalog.=`. A type whose
   * `=` lives elsewhere (citext) needs its own, or references differing in case are not found.
   */
  foreignKeyOperators?: Record<string, string[]>;
  /** Partition key columns of a partitioned table (null for an expression), from the catalog. */
  partitionKey?: (string | null)[];
  /** Relation names already used in the table's schema, so the backup's name is new. */
  takenNames?: string[];
}

/** Which copy is kept, as SQL and in words. */
export interface KeepOrder {
  /** The deciding column, or undefined when the physical row order (ctid) decides. */
  column?: string;
  direction: 'asc' | 'desc';
  /** Columns (or `ctid`) that break ties, in order. */
  tieBreak: string[];
  /** Plain-words explanation, e.g. "oldest by created_at (ties: id, then physical position)". */
  description: string;
}

/** A generated migration: the script, its rollback, and the decisions behind them. */
export interface MigrationPlan {
  script: string;
  rollback: string;
  /** The statement that adds the constraint inside a transaction (the dry run runs it after `script`, which in dry-run mode stops before it). */
  constraintSql: string;
  table: { schema: string; name: string; qualified: string };
  backup: { schema: string; name: string; qualified: string };
  /** Tables holding the old values of repointed foreign key references (PostgreSQL only). */
  referenceBackups: { schema: string; name: string; qualified: string; foreignKey: string }[];
  constraintName: string;
  strategy: 'delete' | 'rebuild';
  strategyReason: string;
  indexBuild: 'in-transaction' | 'concurrent';
  nullKeys: 'not-distinct' | 'distinct';
  keep: KeepOrder;
  /** Foreign keys of other tables whose references to removed copies are moved to the kept row. */
  repointedForeignKeys: string[];
  /**
   * Indexes the delete builds on referencing columns that have none (else each deleted copy reads the
   * whole referencing table), dropped before COMMIT. `known`: the catalog said the index is missing;
   * otherwise the script builds it only if no usable index exists when it runs.
   */
  temporaryIndexes: { foreignKey: string; child: string; columns: string[]; index: { schema: string; name: string; qualified: string }; known: boolean }[];
  /** How the script names the rows it removes: `ctid` (physical position) or unique NOT NULL columns. */
  rowIdentity: 'ctid' | string[];
  /** Things the user should know before running the script. */
  warnings: string[];
}

/** Input that cannot produce a correct migration (unknown column, no row identity on YugabyteDB...). */
export class MigrationError extends Error {
  override name = 'MigrationError';
}
