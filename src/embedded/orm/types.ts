/**
 * Facts about writes made through ORMs and query builders in TS/JS, in host offsets. Shaped after the
 * SQL facts of src/core/facts (InsertFacts / OnConflictFacts): a table, the columns supplied, the
 * conflict clause the library emits (target, action, SET keys) and the rows of a literal batch, plus
 * the ranges an editor needs (the whole call, and the method or option that emits the clause).
 */
import type { Span } from '../../core/facts';

export type OrmLibrary = 'drizzle' | 'kysely' | 'knex' | 'objection' | 'prisma' | 'sequelize' | 'typeorm' | 'mikro-orm';

/** The SQL dialect code runs on, as far as the file (or its project) says. */
export type Dialect = 'postgresql' | 'mysql' | 'sqlite' | 'mssql';

/** Why a file or schema is taken to run on a dialect: an import, an ORM construct, or raw SQL text. */
export interface DialectEvidence {
  dialect: Dialect;
  /** `import`: a driver or dialect module; `orm`: a dialect-specific ORM construct (pgTable, provider, client); `sql`: dialect-only SQL in a string. */
  strength: 'import' | 'orm' | 'sql';
  /** What was seen, e.g. an import of the module pg, `sqliteTable`, `provider = "sqlite"`, `UNHEX(`. */
  reason: string;
  span: Span;
}

/** How a call names its table. */
export interface OrmTableRef {
  /**
   * The name the code uses, resolved through import aliases and destructuring: a Drizzle table
   * object (`credential`), a Prisma model accessor (`datasetItemMedia`), a Sequelize/TypeORM/MikroORM
   * model or entity class (`User`). Undefined when only a string names the table.
   */
  ormName?: string;
  /** The local spelling when an alias renamed it (`dbSecret` for `secret as dbSecret`). */
  localName?: string;
  /** The SQL table name when the code spells it (Kysely/knex strings, TypeORM `into('t')`) or a schema resolved it. */
  sqlName?: string;
  /** Schema of sqlName when qualified (`'auth.users'`). */
  schema?: string;
  /** Where the table is named in the call. */
  span?: Span;
}

/** A conflict target as the library spells it. */
export type OrmConflictTarget =
  | { kind: 'none' }
  /**
   * Columns as written: `naming: 'property'` for ORM field names (Drizzle `t.workspaceId`, Sequelize
   * attributes, Prisma fields), `'column'` for SQL column names (Kysely, knex, TypeORM strings).
   */
  | { kind: 'columns'; columns: string[]; naming: 'property' | 'column'; span: Span; where?: Span }
  | { kind: 'constraint'; name: string; span: Span }
  /** A target the code computes (a variable, an expression, a raw fragment), or one the ORM derives from the model. */
  | { kind: 'unknown'; span?: Span };

/** The ON CONFLICT clause a call makes the library emit. */
export interface OrmConflict {
  target: OrmConflictTarget;
  action: 'nothing' | 'update' | 'unknown';
  /** Keys a DO UPDATE sets, when literal (object keys, listed columns). */
  set?: string[];
  setSpan?: Span;
  /**
   * The method or option that emits the clause, what a squiggle covers: `.onConflictDoNothing()`,
   * `onConflict((oc) => oc.doNothing())`, `.onConflict()` through `.ignore()`, `skipDuplicates: true`,
   * `ignoreDuplicates: true`, `.orIgnore()` (from the method name to its closing parenthesis).
   */
  clause: Span;
  /** The action part alone when it is separate: `oc.doNothing()`, `.ignore()`, `.merge(...)`. */
  actionSpan?: Span;
}

/** One row of a literal batch: its object literal and its keys, with the value text when it is a literal. */
export interface OrmRow {
  span: Span;
  cells: Array<{ key: string; span: Span; value?: string }>;
}

/** An insert (or upsert) made through an ORM or query builder. */
export interface OrmWrite {
  library: OrmLibrary;
  /** The method that makes it an insert: `insert`, `insertInto`, `createMany`, `bulkCreate`, `create`, `upsert`, ... */
  method: string;
  /** The whole call chain, receiver included (`await` excluded). */
  call: Span;
  table: OrmTableRef;
  /** Columns supplied, as property or column names (the same naming as the table's ORM), when literal. */
  columns?: string[];
  /** Rows of a literal batch (`values([{...}, {...}])`, `data: [...]`). */
  rows?: OrmRow[];
  conflict?: OrmConflict;
  /** `.returning(...)` anywhere in the chain. */
  returning: boolean;
  /** The dialect this call runs on as far as known; undefined: no evidence (PostgreSQL rules apply). */
  dialect?: Dialect;
  /** The call only runs under a test on the dialect (`$if(dialect.x === ...)`, `if (isSqlite)`): builder code for several back ends. */
  dialectConditional?: boolean;
  /** The enclosing function (body range), to pair checks and inserts. */
  scope?: Span;
}

/** A read that checks for a row (findFirst, findOne, select ... where ... limit 1) before an insert. */
export interface OrmRead {
  library: OrmLibrary;
  method: string;
  call: Span;
  table: OrmTableRef;
  /** Columns compared by equality in the filter, when literal (`where: { a, b }`, `eq(t.a, x)`, `.where('a', '=', x)`). */
  keys?: string[];
  /** `SELECT ... FOR UPDATE` / `forUpdate()`: locks rows that exist, none that do not. */
  locking: boolean;
  /** An aggregate (count) rather than a row check. */
  aggregate: boolean;
  scope?: Span;
}

/** A read then an insert of the same table in one function, the insert without a conflict clause. */
export interface OrmCheckThenInsert {
  read: OrmRead;
  write: OrmWrite;
}

/** Everything the ORM layer found in one TS/JS file. */
export interface OrmFileFacts {
  /** Libraries the file uses (imports, or recognised calls). */
  libraries: OrmLibrary[];
  /** The file's own dialect evidence that decides: imports and ORM constructs, or dialect-only SQL when it has neither (host order). */
  evidence: DialectEvidence[];
  /** The dialect the evidence settles on; undefined when none or when it is mixed. */
  dialect?: Dialect;
  /** Evidence for more than one dialect at the strongest level (multi-back-end code). */
  mixed: boolean;
  writes: OrmWrite[];
  reads: OrmRead[];
}
