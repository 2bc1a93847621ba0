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
  /**
   * Accept that rows of other tables (or of the table itself) which referenced a removed copy are
   * re-pointed to the kept row of its key. Without it the generator refuses when `referenceMoves`
   * counts any (ReferencesWouldMove), and when the moves are unknown the script counts them when it
   * runs and stops, with nothing changed, if there are any.
   */
  mergeReferences?: boolean;
  /** Child rows each referencing foreign key would re-point, counted from the database (src/db/dryrun.ts migrationFacts). Undefined: unknown. */
  referenceMoves?: ReferenceMove[];
  /**
   * Add the UNIQUE constraint after the dedup (default true). False when the user's own migration
   * declares it: give its name as `constraintName`, and that migration adds it after this script.
   */
  addConstraint?: boolean;
  /** Where the user's own migration declares this UNIQUE (e.g. `migrations/003_orders.sql:12`), named in the script's header and notes. */
  declaredIn?: string;
  /**
   * For a rollback generated on its own (`purpose: 'rollback'`): what the migration did, as its
   * backup's comment records it. Written in the rollback's header instead of choices this
   * generation cannot know (the strategy, which copy was kept).
   */
  undoes?: string;
  /**
   * The unique constraints, unique indexes and exclusion constraints over exactly the key columns,
   * from the catalog (src/db/dryrun.ts keyUniqueFacts). A plain UNIQUE among them (NULLs distinct)
   * is replaced by the NULLS NOT DISTINCT one under its own name, its dependants re-created.
   * Undefined: not read; the generator then refuses a table that has such a plain UNIQUE.
   */
  keyUniques?: KeyUnique[];
  /** The unique key whose NULL hole the migration closes (the panel's NULL-hole action): it must be one that can be replaced. */
  nullHoleOf?: string;
  /** server_version_num of the target server: below 150000 a NULLS NOT DISTINCT migration is refused. */
  serverVersionNum?: number;
}

/**
 * A unique constraint, unique index or exclusion constraint of the table over exactly the key
 * columns, as the catalog describes it (src/db/dryrun.ts keyUniqueFacts): what replacing a plain
 * UNIQUE by a NULLS NOT DISTINCT one of the same name must re-create, and what it cannot.
 */
export interface KeyUnique {
  kind: 'constraint' | 'index' | 'primary' | 'exclusion';
  /** Constraint name (kind constraint, primary, exclusion) or index name (kind index). */
  name: string;
  /** The index's own name (the same as the constraint's unless renamed apart). */
  indexName: string;
  /** Key columns in the index's order (an expression element as its SQL text, with `expression` set). */
  columns: string[];
  expression: boolean;
  /** Partial index predicate, if any. */
  predicate?: string;
  nullsNotDistinct: boolean;
  /** INCLUDE columns. */
  include: string[];
  /** The index's storage parameters, as pg_class.reloptions holds them (`fillfactor=70`). */
  options: string[];
  /** Tablespace of the index; undefined: the database's default. */
  tablespace?: string;
  /** Index access method (btree). */
  method: string;
  deferrable: boolean;
  initiallyDeferred: boolean;
  /** pg_get_indexdef of the index. */
  indexDefinition: string;
  clustered: boolean;
  replicaIdentity: boolean;
  /** COMMENT of the constraint (constraints) and of the index. */
  comment?: string;
  indexComment?: string;
  /** The table is partitioned (the index has one per partition). */
  partitioned: boolean;
  /** Foreign keys (of any table) whose referenced unique index this is: dropping it drops them. */
  foreignKeys: { schema: string; table: string; name: string; definition: string; comment?: string }[];
  /** Anything else that depends on the index or its constraint (pg_describe_object), which dupguard cannot re-create. */
  otherDependants: string[];
}

/** The plain UNIQUE that a NULLS NOT DISTINCT migration replaces under the same name (and its rollback restores). */
export interface UniqueReplacement {
  /** The plain UNIQUE as it was before the migration. */
  before: KeyUnique;
  /** `schema.table.name` of the foreign keys dropped and re-created identically around the swap. */
  foreignKeys: string[];
  /** In words: "the plain unique constraint t_a_b_key on (a, b)". */
  description: string;
}

/** The child rows of one referencing foreign key that keeping one row per key would re-point. */
export interface ReferenceMove {
  /** `schema.table.name` of the foreign key. */
  foreignKey: string;
  /** The referencing (child) table, `schema.table`. */
  child: string;
  /** Child rows that would be re-pointed from a removed copy to the kept row. */
  rows: number;
  /** Distinct removed parent rows (copies) those child rows pointed at. */
  distinctParents: number;
}

/** Which copy is kept, as SQL and in words. */
export interface KeepOrder {
  /** The deciding column, or undefined when the physical row order (ctid) decides. */
  column?: string;
  direction: 'asc' | 'desc';
  /** Columns (or `ctid`) that break ties, in order. */
  tieBreak: string[];
  /** Which row, in words that follow "the row": "oldest by created_at (ties: lowest id, then lowest physical position)", "with the lowest id". */
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
  /** The re-pointed references the header states (from `options.referenceMoves`; empty when unknown or none). */
  referenceMoves: ReferenceMove[];
  /** True when `referenceMoves` was counted from the database; false: the script counts them when it runs. */
  referenceMovesKnown: boolean;
  /** The references are moved (`mergeReferences`); false: the script stops if any would move. */
  mergeReferences: boolean;
  /**
   * A read-only SELECT of `(fk, rows, parents)`, one row per referencing foreign key (fk = its index
   * in `repointedForeignKeys`), counting what keeping one row per key would re-point with the same
   * choice of kept row as the script; undefined when no foreign key points at the table.
   */
  referenceMovesQuery?: string;
  /** The script adds the UNIQUE constraint (false: the user's own migration does). */
  addConstraint: boolean;
  /** The plain UNIQUE the script replaces by the NULLS NOT DISTINCT one of the same name (the rollback restores it). */
  replaces?: UniqueReplacement;
}

/** Input that cannot produce a correct migration (unknown column, no row identity on YugabyteDB...). */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** `1234567` as `1,234,567`. */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** What the moves amount to, in words: "10,781 rows of public.rental would move from 2,112 copies to the kept rows". */
export function describeReferenceMoves(moves: ReferenceMove[], verb = 'would move'): string {
  const moving = moves.filter((m) => m.rows > 0);
  const perChild = new Map<string, number>();
  for (const m of moving) perChild.set(m.child, (perChild.get(m.child) ?? 0) + 1);
  const parts = moving.map((m) => {
    const via = (perChild.get(m.child) ?? 0) > 1 ? ` (by ${m.foreignKey.slice(m.child.length + 1)})` : '';
    return `${thousands(m.rows)} ${m.rows === 1 ? 'row' : 'rows'} of ${m.child}${via} ${verb} from ${thousands(m.distinctParents)} ${m.distinctParents === 1 ? 'copy' : 'copies'} to the kept rows`;
  });
  return parts.join(', and ');
}

/**
 * Keeping one row per key would re-point foreign-key references (rows that pointed at different
 * copies, which may be separate things rather than copies), and `mergeReferences` was not given.
 */
export class ReferencesWouldMove extends MigrationError {
  override name = 'ReferencesWouldMove';
  constructor(table: string, readonly moves: ReferenceMove[]) {
    super(`keeping one row per key of ${table} would re-point references: ${describeReferenceMoves(moves)}; pass --merge-references to accept (the rows they pointed at may be separate things that look alike, not copies; nothing was generated).`);
  }
}
