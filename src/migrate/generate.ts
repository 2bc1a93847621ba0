/**
 * Dedup migration generator: from a table description and a natural key, a psql script that backs
 * the table up, removes the duplicate copies (keeping the oldest or newest per key), proves the
 * result, adds the UNIQUE constraint that stops new copies, and can be undone exactly. Pure: no
 * database access; every identifier and literal goes through quote.ts.
 *
 * The scripts run as a privileged role, often in databases where others can create objects: like
 * pg_dump's output they pin `search_path = pg_catalog, pg_temp` first and name every function,
 * operator, catalog relation and type they use with its schema, so nothing planted in another
 * schema can run in their place. PL/pgSQL variables carry a `dg$` prefix so that no column name
 * can make a reference ambiguous.
 */
import type { ColumnDescription, TableDescription } from '../core/catalog';
import { parseForeignKey, withReferencedTable } from './fk';
import { migrationStamp } from './names';
import { commentSafe, dollarQuote, makeName, quoteIdent, quoteLiteral, quoteQualified } from '../core/quote';
import { CONCURRENT_INDEX_FROM_ROWS, REBUILD_FROM_RATIO } from './thresholds';
import { addForeignKeysSql, chooseReplacement, createKeySql, dropForeignKeysSql, dropKeySql, foreignKeyCommentsSql, replacedWords, replacementToUndo } from './replace';
import { describeReferenceMoves, MigrationError, ReferencesWouldMove, type KeepOrder, type MigrationOptions, type MigrationPlan, type UniqueReplacement } from './types';

/** Column types without the equality/ordering a unique key needs. */
const UNKEYABLE = /^(json|xml|point|line|lseg|box|path|polygon|circle)(\[\])?$/;
const CREATED_LIKE = /^(created|inserted|ingested|loaded|imported|added)(_?(at|on|time|timestamp|date|ts|utc))?$|^(date|time)_?(created|inserted|added)$|^creat(ed|ion)_?(at|date|time|timestamp|ts)$/i;
const TIME_TYPE = /^(timestamp|date)/;
const INSERT_TIME_DEFAULT = /^\s*\(?\s*(now\(\)|CURRENT_TIMESTAMP|LOCALTIMESTAMP|CURRENT_DATE|clock_timestamp\(\)|statement_timestamp\(\)|transaction_timestamp\(\)|\('now'::text\))/i;
const INTEGER_TYPE = /^(smallint|integer|bigint)$/;

interface ForeignKeyPlan {
  fk: { schema: string; table: string; name: string; definition: string };
  /** `schema.table.name`, the key used in options and in the plan. */
  id: string;
  child: string;
  columns: string[];
  refColumns: string[];
  /** The foreign key is on the table itself: re-pointing moves rows of the table being deduplicated. */
  self: boolean;
  deferrable: boolean;
  /** Per column, the equality the foreign key itself uses (referenced value on the left), as SQL. */
  eq: string[];
  refBackup?: { schema: string; name: string; qualified: string };
  tempIndex?: { schema: string; name: string; qualified: string; known: boolean };
}

interface Ctx {
  t: TableDescription;
  opts: MigrationOptions;
  tbl: string;
  /** Relation to read this table's own rows only (ONLY for plain tables, so inheritance children stay out). */
  src: string;
  tblLiteral: string;
  key: string[];
  keySql: string;
  notNullFilter?: string;
  nullFilter?: string;
  orderSql: string;
  pg: boolean;
  /** Columns that name a row for the whole run (unique, NOT NULL, never updated by the script); undefined: ctid. */
  idCols?: string[];
  partitioned: boolean;
  fks: ForeignKeyPlan[];
  /** The constraint is UNIQUE NULLS NOT DISTINCT (PostgreSQL 15+). */
  nnd: boolean;
  /** The plain UNIQUE replaced under the same name (the rollback restores it). */
  replaces?: UniqueReplacement;
}

/** `OPERATOR(pg_catalog.op)`: an operator that a same-named one in another schema cannot replace. */
function op(o: string): string {
  return `OPERATOR(pg_catalog.${o})`;
}
const EQ = op('=');

/** `OPERATOR(schema.op)` for a catalog operator name `schema.op` (the schema quoted as needed); `pg_catalog.=` when unknown. */
function fkOperator(qualified: string | undefined): string {
  const m = qualified ? /^(.*)\.([^.]+)$/.exec(qualified) : null;
  if (!m || !/^[-+*/<>=~!@#%^&|`?]+$/.test(m[2])) return EQ;
  return `OPERATOR(${quoteIdent(m[1])}.${m[2]})`;
}

/** Builds the dedup migration (script, rollback and the decisions taken) for one table. */
export function generateMigration(table: TableDescription, options: MigrationOptions): MigrationPlan {
  const warnings: string[] = [];
  const flavour = options.flavour ?? 'postgres';
  const pg = flavour === 'postgres';
  const mode = options.mode ?? 'psql';
  if (table.kind && table.kind !== 'r' && table.kind !== 'p') {
    throw new MigrationError(`${table.schema}.${table.name} is not a table (kind '${table.kind}'): only tables can be deduplicated.`);
  }
  const partitioned = table.kind === 'p';
  const colByName = new Map(table.columns.map((c) => [c.name, c]));

  const key = options.key ?? [];
  if (key.length === 0) throw new MigrationError('no key columns given: say which columns identify a row (e.g. --key task_pk,requirement_id).');
  const seen = new Set<string>();
  for (const k of key) {
    const col = colByName.get(k);
    if (!col) throw new MigrationError(`key column ${JSON.stringify(k)} is not a column of ${table.schema}.${table.name} (columns: ${table.columns.map((c) => c.name).join(', ')}).`);
    if (seen.has(k)) throw new MigrationError(`key column ${JSON.stringify(k)} is listed twice.`);
    seen.add(k);
    if (UNKEYABLE.test(col.type)) throw new MigrationError(`key column ${JSON.stringify(k)} has type ${col.type}, which has no equality operator for a UNIQUE constraint (use jsonb instead of json).`);
  }
  const forRollback = options.purpose === 'rollback';
  if (partitioned && options.partitionKey && !forRollback) {
    // PostgreSQL refuses a unique constraint on a partitioned table unless it holds every partition
    // column: the dedup would run to its end and then fail.
    const missing = options.partitionKey.filter((p) => p === null || !seen.has(p));
    if (missing.length) {
      throw new MigrationError(`${table.schema}.${table.name} is partitioned by (${options.partitionKey.map((p) => p ?? '<expression>').join(', ')}), and a UNIQUE constraint on a partitioned table must include every partition column${missing.includes(null) ? ' (a partition key expression cannot be part of one at all)' : ''}: the key (${key.join(', ')}) lacks ${missing.filter((m) => m !== null).join(', ') || 'the expression'}, so the constraint could never be added. Add the partition column${missing.length > 1 ? 's' : ''} to --key, or deduplicate each partition as its own table.`);
    }
  }
  const alreadyUnique = table.keys.find((u) => !u.expression && !u.predicate && u.columns.length === key.length && u.columns.every((c) => seen.has(c))
    && (u.nullsNotDistinct || key.every((c) => colByName.get(c)!.notNull) || options.nullKeys === 'distinct'));
  if (alreadyUnique && !forRollback) {
    throw new MigrationError(`${table.schema}.${table.name} already has ${alreadyUnique.kind === 'primary' ? 'a primary key' : 'a unique key'}${alreadyUnique.name ? ` ${alreadyUnique.name}` : ''} on (${key.join(', ')}): it cannot hold duplicates, nothing to migrate.`);
  }

  const allKeyNotNull = key.every((k) => colByName.get(k)!.notNull);
  const nullKeys = options.nullKeys && options.nullKeys !== 'auto' ? options.nullKeys : pg ? 'not-distinct' : 'distinct';
  if (!allKeyNotNull && nullKeys === 'not-distinct' && !pg) {
    warnings.push('UNIQUE NULLS NOT DISTINCT needs a PostgreSQL 15 based YugabyteDB (2.25 or later).');
  }

  // Row identity for YugabyteDB: without ctid, a delete must name the copies by a unique column.
  let rowId: string[] = [];
  if (!pg) {
    const candidate = table.keys.find((u) => u.kind === 'primary' && !u.expression)
      ?? table.keys.find((u) => !u.expression && !u.predicate && u.columns.every((c) => colByName.get(c)?.notNull));
    if (!candidate) {
      throw new MigrationError(`YugabyteDB has no ctid, so dupguard tells copies apart by a primary key or a NOT NULL unique column, and ${table.schema}.${table.name} has neither. Add one first (ALTER TABLE ${quoteQualified(table.schema, table.name)} ADD COLUMN row_id bigint GENERATED BY DEFAULT AS IDENTITY), then generate the migration again.`);
    }
    rowId = candidate.columns;
  }

  // Foreign keys of other tables that point here: their references to removed copies move to the kept row.
  const fks: ForeignKeyPlan[] = [];
  for (const fk of table.referencedBy ?? []) {
    const parsed = parseForeignKey(fk.definition);
    if (!parsed) {
      throw new MigrationError(`cannot read the foreign key ${fk.name} of ${fk.schema}.${fk.table} (${fk.definition}); dupguard stops rather than delete rows it may reference.`);
    }
    const definition = withReferencedTable(fk.definition, parsed, quoteQualified(table.schema, table.name));
    const self = fk.schema === table.schema && fk.table === table.name;
    fks.push({
      fk: { ...fk, definition }, id: `${fk.schema}.${fk.table}.${fk.name}`, child: quoteQualified(fk.schema, fk.table),
      columns: parsed.columns, refColumns: parsed.refColumns, self,
      eq: parsed.columns.map((_, j) => fkOperator(options.foreignKeyOperators?.[`${fk.schema}.${fk.table}.${fk.name}`]?.[j])),
      deferrable: /\bDEFERRABLE\b/i.test(definition.slice(parsed.refTableSpan[1]).replace(/\bNOT\s+DEFERRABLE\b/gi, '')),
    });
  }

  // Rows that referenced different copies are re-pointed to one kept row: that merges what may be
  // separate things, so it happens only when the user accepts it.
  const merge = options.mergeReferences === true;
  const moves = options.referenceMoves;
  if (!forRollback && !merge && moves?.some((m) => m.rows > 0)) {
    throw new ReferencesWouldMove(`${table.schema}.${table.name}`, moves);
  }

  // A self-referencing key: re-pointing updates rows of this very table, which gives them a new
  // ctid; the copies to remove must then be named by columns the script never changes.
  const selfFks = fks.filter((f) => f.self);
  let idCols: string[] | undefined = pg ? undefined : rowId;
  if (pg && selfFks.length) {
    const moved = new Set(selfFks.flatMap((f) => f.columns));
    const inKey = key.filter((k) => moved.has(k));
    if (inKey.length) {
      throw new MigrationError(`the key (${key.join(', ')}) includes ${inKey.join(', ')}, which the self-referencing foreign key ${selfFks.find((f) => f.columns.some((c) => inKey.includes(c)))!.fk.name} moves from removed copies to the kept row: that changes the keys of other rows while they are being deduplicated, so dupguard stops. Deduplicate on a key without the referencing columns.`);
    }
    const candidates = [...table.keys.filter((u) => u.kind === 'primary'), ...table.keys.filter((u) => u.kind !== 'primary')];
    const usable = candidates.find((u) => u.kind !== 'exclude' && !u.expression && !u.predicate && u.columns.length > 0
      && u.columns.every((c) => colByName.get(c)?.notNull && !moved.has(c)));
    if (!usable) {
      throw new MigrationError(`${table.schema}.${table.name} references itself (${selfFks.map((f) => f.fk.name).join(', ')}), so moving references changes the physical position (ctid) of its rows, and it has no primary key or unique NOT NULL key outside the referencing columns to name the copies by instead. Add one (e.g. ALTER TABLE ${quoteQualified(table.schema, table.name)} ADD COLUMN row_id bigint GENERATED ALWAYS AS IDENTITY UNIQUE), then generate the migration again.`);
    }
    idCols = usable.columns;
  }

  const keep = chooseKeepOrder(table, options, pg, rowId, colByName);
  const tbl = quoteQualified(table.schema, table.name);
  const keySql = key.map(quoteIdent).join(', ');
  const distinctMode = nullKeys === 'distinct' && !allKeyNotNull;
  // With an order column, NULLs there sort last: a row whose age is unknown is kept only when no
  // copy has one. Tie-breakers follow the policy's direction (newest: the later id wins a tie).
  const tieDir = keep.direction.toUpperCase();
  const orderSql = [
    ...(keep.column ? [`${quoteIdent(keep.column)} ${keep.direction.toUpperCase()} NULLS LAST`] : []),
    ...keep.tieBreak.map((c) => (c === 'ctid' ? `${partitioned ? `tableoid ${tieDir}, ` : ''}ctid ${tieDir}` : `${quoteIdent(c)} ${tieDir}`)),
  ].join(', ');

  const now = options.now ?? new Date();
  // To the second, and clear of every relation name the schema already has (when known).
  const stamp = migrationStamp(now);
  // Closing a NULL hole: a plain UNIQUE already on the key columns is replaced under its own name,
  // never doubled by a second unique key on the same columns.
  const nndClause = nullKeys === 'not-distinct' && !allKeyNotNull;
  if (pg && nndClause && !forRollback && options.serverVersionNum !== undefined && options.serverVersionNum < 150000) {
    throw new MigrationError(`NULLS NOT DISTINCT needs PostgreSQL 15 or later, and the server is version ${Math.floor(options.serverVersionNum / 10000)}: the key (${key.join(', ')}) of ${table.schema}.${table.name} has nullable columns (${key.filter((k) => !colByName.get(k)!.notNull).join(', ')}). Make them NOT NULL first, or generate with --nulls distinct (rows with a NULL key column are then all kept); nothing was generated.`);
  }
  let replaces = pg && nndClause && options.addConstraint !== false && !forRollback ? chooseReplacement(table, options, key) : undefined;
  const taken = new Set<string>([...(table.indexes ?? []).map((i) => i.name), ...(table.constraints ?? []).map((c) => c.name), ...table.keys.map((k) => k.name ?? '')]);
  const constraintName = options.constraintName ?? replaces?.before.name ?? (forRollback && alreadyUnique?.name && alreadyUnique.kind !== 'primary' ? alreadyUnique.name : undefined) ?? makeName(`${table.name}_${key.join('_')}`, '_key', [...taken, ...(options.takenNames ?? [])]);
  if (forRollback && pg) replaces = replacementToUndo(options, constraintName);
  const takenRelations = new Set([...(options.takenNames ?? []), table.name, constraintName]);
  const backupName = options.backupName ?? makeName(table.name, `_dupguard_${stamp}`, takenRelations);
  const backup = { schema: table.schema, name: backupName, qualified: quoteQualified(table.schema, backupName) };
  const referenceBackups: MigrationPlan['referenceBackups'] = [];
  if (pg) {
    fks.forEach((f, i) => {
      // Derived from the backup's name alone, so the rollback (generated later, when these exist) finds them.
      const name = makeName(backupName, `_refs${i + 1}`);
      f.refBackup = { schema: table.schema, name, qualified: quoteQualified(table.schema, name) };
      referenceBackups.push({ ...f.refBackup, foreignKey: f.id });
    });
  } else if (fks.length) {
    warnings.push('On YugabyteDB the rollback cannot move repointed foreign key references back (no ctid to find the referencing rows again); they keep pointing at the kept row.');
  }

  // Strategy: measured crossover (thresholds.ts).
  let strategy: 'delete' | 'rebuild';
  let strategyReason: string;
  const ratio = options.duplicateRatio;
  if (options.strategy === 'delete' || options.strategy === 'rebuild') {
    strategy = options.strategy;
    strategyReason = 'chosen explicitly';
  } else if (ratio !== undefined && Number.isFinite(ratio) && ratio >= REBUILD_FROM_RATIO) {
    strategy = 'rebuild';
    strategyReason = `duplicate ratio ${fmtRatio(ratio)} is at or above the measured crossover ${REBUILD_FROM_RATIO}x: copying the kept rows is cheaper than deleting the copies`;
  } else {
    strategy = 'delete';
    strategyReason = ratio === undefined
      ? 'duplicate ratio unknown: DELETE is the safe general choice'
      : `duplicate ratio ${fmtRatio(ratio)} is below the measured crossover ${REBUILD_FROM_RATIO}x: deleting the few copies is cheaper than copying the table`;
  }

  // Each deleted copy makes PostgreSQL look up its references in every referencing table; without
  // an index on the referencing columns that is a full scan per copy (quadratic: a million rows ran
  // for over half an hour). The delete builds the missing index first and drops it before COMMIT.
  const temporaryIndexes: MigrationPlan['temporaryIndexes'] = [];
  if (pg && strategy === 'delete') {
    const known = options.unindexedForeignKeys;
    fks.forEach((f, i) => {
      if (known && !known.includes(f.id)) return;
      const name = makeName(backupName, `_fk${i + 1}`);
      f.tempIndex = { schema: f.fk.schema, name, qualified: quoteQualified(f.fk.schema, name), known: !!known };
      temporaryIndexes.push({ foreignKey: f.id, child: `${f.fk.schema}.${f.fk.table}`, columns: f.columns, index: { schema: f.fk.schema, name, qualified: f.tempIndex.qualified }, known: !!known });
    });
    const missing = temporaryIndexes.filter((x) => x.known);
    if (missing.length) {
      strategyReason += `; ${missing.map((x) => `${x.child} has no index on (${x.columns.join(', ')})`).join(', ')}: each deleted copy would read that whole table, so the delete builds a temporary index there first and drops it before COMMIT`;
    }
  }

  let indexBuild: 'in-transaction' | 'concurrent';
  const kept = options.rowEstimate !== undefined && options.rowEstimate >= 0 ? options.rowEstimate / Math.max(1, ratio ?? 1) : undefined;
  if (mode === 'dry-run' || partitioned) indexBuild = 'in-transaction';
  else if (options.indexBuild === 'in-transaction' || options.indexBuild === 'concurrent') indexBuild = options.indexBuild;
  else indexBuild = kept !== undefined && kept >= CONCURRENT_INDEX_FROM_ROWS ? 'concurrent' : 'in-transaction';
  if (partitioned && options.indexBuild === 'concurrent') warnings.push('A partitioned table cannot build an index CONCURRENTLY: the constraint is added inside the transaction.');
  if (replaces && !forRollback && indexBuild === 'concurrent') {
    indexBuild = 'in-transaction';
    warnings.push(`The NULLS NOT DISTINCT key replaces ${replaces.before.name} under the same name inside the dedup transaction, so the table stays locked while its index builds (no CONCURRENTLY).`);
  }

  const notNullFilter = distinctMode ? key.map((k) => `${quoteIdent(k)} IS NOT NULL`).join(' AND ') : undefined;
  const nullFilter = distinctMode ? key.map((k) => `${quoteIdent(k)} IS NULL`).join(' OR ') : undefined;
  const ctx: Ctx = {
    t: table, opts: options, tbl, src: partitioned ? tbl : `ONLY ${tbl}`, tblLiteral: quoteLiteral(tbl), key, keySql,
    notNullFilter, nullFilter, orderSql, pg, idCols, partitioned, fks, nnd: nndClause, replaces,
  };
  if (!table.referencedBy && table.source !== 'catalog') {
    warnings.push('The table description does not list foreign keys pointing at the table; the script checks at run time and stops if there are any.');
  }
  if (!keep.column) warnings.push(`No column records when rows were added, so the row kept per key is the one ${keep.description}. Pass --order-by to choose by a column.`);
  const addConstraint = options.addConstraint !== false;
  if (options.declaredIn && addConstraint && !forRollback) {
    warnings.push(`This script adds the constraint ${constraintName}, which ${options.declaredIn} also declares: remove it from there, or that migration fails on the existing name (generate with the constraint left to that migration to keep it there instead).`);
  }
  if (fks.length && !merge && !forRollback) {
    warnings.push(moves
      ? 'No reference to a removed copy exists now; the script checks again when it runs and stops, with nothing changed, if one would have to move.'
      : 'Whether rows of other tables reference the copies to remove is not known yet: the script counts them when it runs and stops, with nothing changed, if any would move to the kept row (accept that with --merge-references).');
  }
  const nullsClause = nullKeys === 'not-distinct' && !allKeyNotNull ? ' NULLS NOT DISTINCT' : '';

  const plan: MigrationPlan = {
    script: '', rollback: '', constraintSql: '',
    table: { schema: table.schema, name: table.name, qualified: tbl },
    backup, referenceBackups, constraintName, strategy, strategyReason, indexBuild, nullKeys, keep,
    repointedForeignKeys: fks.map((f) => f.id), temporaryIndexes, rowIdentity: idCols ?? 'ctid', warnings,
    referenceMoves: moves ?? [], referenceMovesKnown: moves !== undefined, mergeReferences: merge, addConstraint,
    referenceMovesQuery: fks.length ? referenceMovesQuery(ctx) : undefined,
    ...(replaces ? { replaces } : {}),
  };
  plan.constraintSql = replaces && !forRollback ? replaceSql(ctx) : uniqueInTxSql(ctx, plan, nullsClause);
  plan.rollback = renderRollback(ctx, plan, mode);
  plan.script = renderScript(ctx, plan, mode, nullsClause, now);
  return plan;
}

/** The rollback script alone (same as `generateMigration(...).rollback`). */
export function generateRollback(table: TableDescription, options: MigrationOptions): string {
  return generateMigration(table, options).rollback;
}

function fmtRatio(r: number): string {
  return `${r >= 10 ? Math.round(r) : Math.round(r * 100) / 100}x`;
}

/** Decides which copy survives, and how ties are broken so the choice never depends on luck. */
function chooseKeepOrder(t: TableDescription, o: MigrationOptions, pg: boolean, rowId: string[], cols: Map<string, ColumnDescription>): KeepOrder {
  const direction = o.keep === 'newest' ? 'desc' : 'asc';
  const word = o.keep === 'newest' ? 'newest' : 'oldest';
  let column: string | undefined;
  let why: string;
  let note: string | undefined;
  const pk = t.keys.find((k) => k.kind === 'primary' && !k.expression);
  if (o.orderBy !== undefined) {
    const c = cols.get(o.orderBy);
    if (!c) throw new MigrationError(`order column ${JSON.stringify(o.orderBy)} is not a column of ${t.schema}.${t.name}.`);
    if (UNKEYABLE.test(c.type)) throw new MigrationError(`order column ${JSON.stringify(o.orderBy)} has type ${c.type}, which cannot be sorted.`);
    if (o.key.includes(o.orderBy)) throw new MigrationError(`order column ${JSON.stringify(o.orderBy)} is part of the key: it is equal within every group and cannot choose a row.`);
    column = o.orderBy;
    why = `${word} by ${column}`;
  } else {
    const usable = (c: ColumnDescription) => TIME_TYPE.test(c.type) && !o.key.includes(c.name);
    // A created_at-like name, else a time column the database fills at insert (DEFAULT now()).
    const created = t.columns.find((c) => usable(c) && CREATED_LIKE.test(c.name))
      ?? t.columns.find((c) => usable(c) && INSERT_TIME_DEFAULT.test(c.default ?? ''));
    const increasingPk = pk && pk.columns.length === 1 && !o.key.includes(pk.columns[0])
      && (() => { const c = cols.get(pk.columns[0]); return !!c && INTEGER_TYPE.test(c.type) && (!!c.identity || /nextval\(/i.test(c.default ?? '')); })();
    if (created) {
      column = created.name;
      why = `${word} by ${column}`;
    } else if (increasingPk) {
      column = pk!.columns[0];
      why = `${word} by ${column}`;
      note = 'an increasing id: a higher value was inserted later';
    } else {
      // On YugabyteDB nothing tells insertion order: say which row it is, not that it is the oldest.
      why = pg ? `${word} by physical position in the table (ctid), which follows insertion order unless rows were updated or the table was rewritten` : `with the ${direction === 'asc' ? 'lowest' : 'highest'} ${rowId.join(', ')}`;
    }
  }
  if (!column) {
    // No order column: the physical position (PostgreSQL) or the row identity (YugabyteDB) decides alone.
    return { column: undefined, direction, tieBreak: pg ? ['ctid'] : rowId, description: why };
  }
  // Ties: the primary key (or YugabyteDB row identity), then the physical position, so the same
  // data always gives the same survivor.
  const tie: string[] = [];
  const idCols = pg ? (pk?.columns ?? []) : rowId;
  for (const c of idCols) if (c !== column && !o.key.includes(c) && !tie.includes(c)) tie.push(c);
  if (pg) tie.push('ctid');
  const tieWords = tie.map((c) => `${direction === 'asc' ? 'lowest' : 'highest'} ${c === 'ctid' ? 'physical position' : c}`);
  const inParens = [note, tieWords.length ? `ties: ${tieWords.join(', then ')}` : undefined].filter(Boolean);
  const description = inParens.length ? `${why} (${inParens.join('; ')})` : why;
  return { column, direction, tieBreak: tie, description };
}

// ---------------------------------------------------------------------------------------------
// SQL pieces

function lines(...parts: (string | false | undefined | null)[]): string {
  return parts.filter((p): p is string => typeof p === 'string').join('\n');
}

function textArray(items: string[]): string {
  return items.length ? `ARRAY[${items.map(quoteLiteral).join(', ')}]::pg_catalog.text[]` : `'{}'::pg_catalog.text[]`;
}

/** The session settings every script and rollback starts its transaction with. */
const PIN_SEARCH_PATH = 'SET LOCAL search_path = pg_catalog, pg_temp;';

/** `SELECT total_rows, distinct_keys, duplicate_groups` for the table's current contents. */
function countsSql(c: Ctx): string {
  if (!c.notNullFilter) {
    return lines(
      `SELECT coalesce(pg_catalog.sum(n), 0)::pg_catalog.int8 AS total_rows, pg_catalog.count(*)::pg_catalog.int8 AS distinct_keys, pg_catalog.count(*) FILTER (WHERE n ${op('>')} 1)::pg_catalog.int8 AS duplicate_groups`,
      `FROM (SELECT pg_catalog.count(*) AS n FROM ${c.src} GROUP BY ${c.keySql}) AS dupguard_groups`,
    );
  }
  // Rows with a NULL key column are each their own key under plain UNIQUE semantics.
  return lines(
    `SELECT (g.n_rows ${op('+')} nulls.n)::pg_catalog.int8 AS total_rows, (g.n_keys ${op('+')} nulls.n)::pg_catalog.int8 AS distinct_keys, g.n_dups::pg_catalog.int8 AS duplicate_groups`,
    `FROM (SELECT coalesce(pg_catalog.sum(n), 0) AS n_rows, pg_catalog.count(*) AS n_keys, pg_catalog.count(*) FILTER (WHERE n ${op('>')} 1) AS n_dups`,
    `      FROM (SELECT pg_catalog.count(*) AS n FROM ${c.src} WHERE ${c.notNullFilter} GROUP BY ${c.keySql}) AS dupguard_groups) AS g,`,
    `     (SELECT pg_catalog.count(*) AS n FROM ${c.src} WHERE ${c.nullFilter}) AS nulls`,
  );
}

function whereNotNull(c: Ctx): string {
  return c.notNullFilter ? `\n  WHERE ${c.notNullFilter}` : '';
}

/** The row identity as selected into the mapping table, and its match against a row alias. */
function identity(c: Ctx): { select: string[]; match: (row: string, map: string) => string } {
  if (c.idCols) {
    const cols = c.idCols;
    return {
      select: cols.map((r, i) => `${quoteIdent(r)} AS dupguard_id${i + 1}`),
      match: (row, map) => cols.map((r, i) => `${row}.${quoteIdent(r)} ${EQ} ${map}.dupguard_id${i + 1}`).join(' AND '),
    };
  }
  if (c.partitioned) {
    return {
      select: ['tableoid AS dupguard_tableoid', 'ctid AS dupguard_ctid'],
      match: (row, map) => `${row}.tableoid ${EQ} ${map}.dupguard_tableoid AND ${row}.ctid ${EQ} ${map}.dupguard_ctid`,
    };
  }
  return { select: ['ctid AS dupguard_ctid'], match: (row, map) => `${row}.ctid ${EQ} ${map}.dupguard_ctid` };
}

/**
 * Decides, once and before anything changes, which rows go: every copy but the kept one of its key,
 * with the referenced values of the copy and of the kept row for each foreign key pointing here.
 * Re-pointing, the delete or rebuild, and the checks all read this table and never rank again.
 */
function mappingSql(c: Ctx): string {
  return lines(
    'CREATE TEMP TABLE dupguard_map ON COMMIT DROP AS',
    mapSelectSql(c) + ';',
    'ANALYZE pg_temp.dupguard_map;',
    "SELECT pg_catalog.count(*) AS copies_to_remove FROM pg_temp.dupguard_map;",
  );
}

/** The rows to remove (every copy but the kept one), with their identity and referenced values: the one ranking both the script and the counts use. */
function mapSelectSql(c: Ctx): string {
  const id = identity(c);
  const refs = c.fks.flatMap((f, i) => f.refColumns.flatMap((r, j) => [
    `${quoteIdent(r)} AS dupguard_f${i + 1}_old${j + 1}`,
    `pg_catalog.first_value(${quoteIdent(r)}) OVER dupguard_w AS dupguard_f${i + 1}_new${j + 1}`,
  ]));
  return lines(
    `SELECT ${[...id.select.map((x) => x.replace(/^.* AS /, '')), ...refs.map((x) => x.replace(/^.* AS /, ''))].join(', ')}`,
    'FROM (',
    `  SELECT ${[...id.select, ...refs, 'pg_catalog.row_number() OVER dupguard_w AS dupguard_rn'].join(',\n         ')}`,
    `  FROM ${c.src}${c.notNullFilter ? `\n  WHERE ${c.notNullFilter}` : ''}`,
    `  WINDOW dupguard_w AS (PARTITION BY ${c.keySql} ORDER BY ${c.orderSql})`,
    ') AS dupguard_ranked',
    `WHERE dupguard_rn ${op('>')} 1`,
  );
}

/** The removed copy's identity in the mapping, as one value to count distinct parents by. */
function mapIdentity(c: Ctx, map: string): string {
  const cols = c.idCols ? c.idCols.map((_, i) => `${map}.dupguard_id${i + 1}`) : c.partitioned ? [`${map}.dupguard_tableoid`, `${map}.dupguard_ctid`] : [`${map}.dupguard_ctid`];
  return cols.length === 1 ? cols[0] : `ROW(${cols.join(', ')})`;
}

/**
 * `SELECT rows, parents` of one foreign key: its rows that reference a removed copy and would be
 * re-pointed (a self-reference held by a removed copy leaves with it, so it does not count), and
 * the distinct copies they referenced. `map` names the mapping (temp table or CTE).
 */
function moveCountSql(c: Ctx, f: ForeignKeyPlan, index: number, map: string): string {
  return lines(
    `SELECT pg_catalog.count(*)::pg_catalog.int8 AS rows, pg_catalog.count(DISTINCT ${mapIdentity(c, 'm')})::pg_catalog.int8 AS parents`,
    `FROM ${f.child} AS dupguard_child JOIN ${map} AS m ON ${fkMatchesOld(f, index, 'dupguard_child', 'm')}`,
    f.self ? `WHERE NOT EXISTS (SELECT 1 FROM ${map} AS d WHERE ${identity(c).match('dupguard_child', 'd')})` : undefined,
  );
}

function referenceMovesQuery(c: Ctx): string {
  return lines(
    'WITH dupguard_map AS (',
    mapSelectSql(c),
    ')',
    c.fks.map((f, i) => `SELECT ${i} AS fk, rows, parents FROM (\n${moveCountSql(c, f, i, 'dupguard_map')}\n) AS dupguard_f${i + 1}`).join('\nUNION ALL\n'),
  );
}

/** Stops the script, with nothing changed, when a reference would move and the user did not accept it. */
function referenceGuardSql(c: Ctx): string {
  const tname = `${c.t.schema}.${c.t.name}`;
  const body = lines(
    '',
    "DECLARE dg$rows pg_catalog.int8; dg$parents pg_catalog.int8; dg$msg pg_catalog.text := '';",
    'BEGIN',
    ...c.fks.flatMap((f, i) => [
      `  SELECT rows, parents INTO dg$rows, dg$parents FROM (${moveCountSql(c, f, i, 'pg_temp.dupguard_map')}) AS dupguard_n;`,
      `  IF dg$rows ${op('>')} 0 THEN`,
      `    dg$msg := pg_catalog.concat(dg$msg, CASE WHEN dg$msg ${op('=')} '' THEN '' ELSE ', and ' END, pg_catalog.to_char(dg$rows, 'FM999,999,999,999,990'), ${quoteLiteral(` rows of ${f.fk.schema}.${f.fk.table} (${f.fk.name}) would move from `)}, pg_catalog.to_char(dg$parents, 'FM999,999,999,999,990'), ' copies to the kept rows');`,
      '  END IF;',
    ]),
    `  IF dg$msg ${op('<>')} '' THEN`,
    `    RAISE EXCEPTION '%', pg_catalog.concat('dupguard: keeping one row per key of ', ${quoteLiteral(tname)}, ' would re-point references: ', dg$msg, ${quoteLiteral('; generate the migration with --merge-references to accept (the rows they pointed at may be separate things that look alike, not copies); nothing was changed')});`,
    '  END IF;',
    'END',
    '',
  );
  return `DO ${dollarQuote(body)};`;
}

function deleteSql(c: Ctx): string {
  return lines(
    `DELETE FROM ${c.src} AS dupguard_t`,
    'USING pg_temp.dupguard_map AS m',
    `WHERE ${identity(c).match('dupguard_t', 'm')};`,
  );
}

function insertColumns(c: Ctx): { cols: string; overriding: string } {
  const cols = c.t.columns.filter((x) => !x.generated).map((x) => quoteIdent(x.name)).join(', ');
  const overriding = c.t.columns.some((x) => x.identity) ? ' OVERRIDING SYSTEM VALUE' : '';
  return { cols, overriding };
}

function triggersOff(c: Ctx): string {
  return lines(
    'CREATE TEMP TABLE dupguard_triggers ON COMMIT DROP AS',
    '  SELECT tgname::pg_catalog.text AS name, tgenabled::pg_catalog.text AS enabled FROM pg_catalog.pg_trigger',
    `  WHERE tgrelid ${EQ} ${c.tblLiteral}::pg_catalog.regclass AND NOT tgisinternal AND tgenabled ${op('<>')} 'D';`,
    `DO ${dollarQuote(lines(
      '',
      'DECLARE dg$r record;',
      'BEGIN',
      '  FOR dg$r IN SELECT name FROM pg_temp.dupguard_triggers LOOP',
      `    EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER %I', ${c.tblLiteral}::pg_catalog.regclass, dg$r.name);`,
      '  END LOOP;',
      'END',
      '',
    ))};`,
  );
}

function triggersOn(c: Ctx): string {
  return `DO ${dollarQuote(lines(
    '',
    'DECLARE dg$r record;',
    'BEGIN',
    '  FOR dg$r IN SELECT name, enabled FROM pg_temp.dupguard_triggers LOOP',
    `    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE %s TRIGGER %I', ${c.tblLiteral}::pg_catalog.regclass,`,
    `      CASE WHEN dg$r.enabled ${EQ} 'A' THEN 'ALWAYS' WHEN dg$r.enabled ${EQ} 'R' THEN 'REPLICA' ELSE '' END, dg$r.name);`,
    '  END LOOP;',
    'END',
    '',
  ))};`;
}

function rebuildSql(c: Ctx): string {
  const { cols, overriding } = insertColumns(c);
  return lines(
    '-- The kept rows go to a temporary table first (not WAL-logged, dropped at COMMIT): every row the',
    '-- mapping does not list for removal (rows with a NULL key column under plain UNIQUE included).',
    'CREATE TEMP TABLE dupguard_keep ON COMMIT DROP AS',
    `  SELECT * FROM ${c.src} AS dupguard_t`,
    `  WHERE NOT EXISTS (SELECT 1 FROM pg_temp.dupguard_map AS m WHERE ${identity(c).match('dupguard_t', 'm')});`,
    ...c.fks.flatMap((f) => [
      `-- TRUNCATE refuses while ${commentSafe(`${f.fk.schema}.${f.fk.table}`)} references the table: drop its foreign key now, re-add it below.`,
      `ALTER TABLE ${f.child} DROP CONSTRAINT ${quoteIdent(f.fk.name)};`,
    ]),
    '-- Reloading rows that already existed must not fire user triggers (audit, updated_at...):',
    '-- switch off the enabled ones, remembering how each was enabled, and restore them after.',
    triggersOff(c),
    '-- The table keeps its identity (OID): grants, owner, comments, defaults, identity and sequence',
    '-- ownership, indexes, constraints, policies, views and publications that use it stay as they are.',
    `TRUNCATE ${c.src};`,
    `INSERT INTO ${c.tbl} (${cols})${overriding}`,
    `  SELECT ${cols} FROM pg_temp.dupguard_keep;`,
    triggersOn(c),
    ...c.fks.map((f) => `ALTER TABLE ${f.child} ADD CONSTRAINT ${quoteIdent(f.fk.name)} ${f.fk.definition};`),
  );
}

/** A foreign key's columns are all set (MATCH SIMPLE: only such rows reference anything). */
function fkNotNull(f: ForeignKeyPlan, alias: string): string {
  return f.columns.map((col) => `${alias}.${quoteIdent(col)} IS NOT NULL`).join(' AND ');
}

function fkMatchesOld(f: ForeignKeyPlan, index: number, child: string, map: string): string {
  return f.columns.map((col, j) => `${map}.dupguard_f${index + 1}_old${j + 1} ${f.eq[j]} ${child}.${quoteIdent(col)}`).join(' AND ');
}

/**
 * The references of one foreign key as they must be after the dedup, counted per value: every
 * reference to a removed copy becomes one to the kept row, nothing else changes, and references
 * held by removed copies themselves (a self-reference) leave with them.
 */
function referenceSnapshotSql(c: Ctx, f: ForeignKeyPlan, index: number): string {
  const vals = f.columns.map((col, j) => `CASE WHEN m.dupguard_f${index + 1}_old${j + 1} IS NULL THEN dupguard_child.${quoteIdent(col)} ELSE m.dupguard_f${index + 1}_new${j + 1} END AS v${j + 1}`);
  return lines(
    `CREATE TEMP TABLE dupguard_refs${index + 1} ON COMMIT DROP AS`,
    `SELECT ${vals.join(', ')}, pg_catalog.count(*) AS n`,
    `FROM ${f.child} AS dupguard_child`,
    `LEFT JOIN pg_temp.dupguard_map AS m ON ${fkMatchesOld(f, index, 'dupguard_child', 'm')}`,
    `WHERE ${fkNotNull(f, 'dupguard_child')}`,
    f.self && `  AND NOT EXISTS (SELECT 1 FROM pg_temp.dupguard_map AS d WHERE ${identity(c).match('dupguard_child', 'd')})`,
    `GROUP BY ${f.columns.map((_, j) => `v${j + 1}`).join(', ')};`,
  );
}

/** After the dedup: the references of each foreign key are exactly the snapshot (no reference lost, nulled or moved elsewhere). */
function referenceCheckSql(c: Ctx, f: ForeignKeyPlan, index: number): string {
  const cols = f.columns.map((col, j) => `dupguard_child.${quoteIdent(col)} AS v${j + 1}`).join(', ');
  const now = `SELECT ${cols}, pg_catalog.count(*) AS n FROM ${f.child} AS dupguard_child WHERE ${fkNotNull(f, 'dupguard_child')} GROUP BY ${f.columns.map((_, j) => `v${j + 1}`).join(', ')}`;
  const snap = `SELECT * FROM pg_temp.dupguard_refs${index + 1}`;
  const msg = `dupguard: references of ${f.fk.schema}.${f.fk.table} (${f.fk.name}) to ${c.t.schema}.${c.t.name} changed other than from a removed copy to its kept row (lost, set to NULL or moved elsewhere); nothing was changed`;
  return `DO ${dollarQuote(lines(
    '',
    'BEGIN',
    `  IF EXISTS ((${snap} EXCEPT ${now}) UNION ALL (${now} EXCEPT ${snap})) THEN`,
    `    RAISE EXCEPTION '%', ${quoteLiteral(msg)};`,
    '  END IF;',
    'END',
    '',
  ))};`;
}

function repointSql(c: Ctx, f: ForeignKeyPlan, index: number): string {
  const set = f.columns.map((col, j) => `${quoteIdent(col)} = m.dupguard_f${index + 1}_new${j + 1}`).join(', ');
  const match = fkMatchesOld(f, index, 'dupguard_child', 'm');
  const head = `-- Foreign key ${index + 1}: ${commentSafe(f.id)} (${commentSafe(f.columns.join(', '))}) -> (${commentSafe(f.refColumns.join(', '))})`;
  const childName = `${f.fk.schema}.${f.fk.table}`;
  // Moving a reference can make two referencing rows equal on a unique key of their own table:
  // stop with a message that says so, instead of PostgreSQL's bare duplicate-key error.
  const guarded = (stmt: string) => `DO ${dollarQuote(lines(
    '',
    'BEGIN',
    stmt,
    'EXCEPTION WHEN unique_violation THEN',
    `  RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: moving the references of ${childName} (${f.fk.name}) from removed copies to the kept row of ${c.t.schema}.${c.t.name} would make rows of ${childName} duplicates of each other; nothing was changed`)}`,
    `    USING DETAIL = SQLERRM, HINT = ${quoteLiteral(`Deduplicate ${childName} first (dupguard migrate --table ${childName} ...), then run this migration.`)};`,
    'END',
    '',
  ))};`;
  if (!f.refBackup) {
    return lines(head, guarded(lines(`UPDATE ${f.child} AS dupguard_child SET ${set}`, 'FROM pg_temp.dupguard_map AS m', `WHERE ${match};`)));
  }
  const rb = f.refBackup.qualified;
  // The rollback puts back each referencing row's own value (its spelling may differ from the
  // referenced one's: citext, numeric scale), so it is read before the update, with the row's position.
  const refCols = f.columns.map((col, j) => `dupguard_child.${quoteIdent(col)} AS old${j + 1}, dupguard_parent.${quoteIdent(f.refColumns[j])} AS new${j + 1}`).join(', ');
  const olds = f.columns.map((col, j) => `dupguard_child.${quoteIdent(col)} AS old${j + 1}, m.dupguard_f${index + 1}_new${j + 1} AS new${j + 1}`).join(', ');
  const setFromOld = f.columns.map((col, j) => `${quoteIdent(col)} = o.new${j + 1}`).join(', ');
  return lines(
    head,
    `-- The old values are kept in ${commentSafe(rb)} so that the rollback can move them back.`,
    `CREATE TABLE ${rb} AS SELECT NULL::pg_catalog.oid AS child_tableoid, NULL::pg_catalog.tid AS child_ctid, ${refCols} FROM ${f.child} AS dupguard_child, ${c.src} AS dupguard_parent WITH NO DATA;`,
    `COMMENT ON TABLE ${rb} IS ${quoteLiteral(`dupguard: references of ${f.id} moved from removed copies to the kept row of ${c.t.schema}.${c.t.name}`)};`,
    guarded(lines(
      'WITH o AS (',
      `SELECT dupguard_child.tableoid AS t, dupguard_child.ctid AS id, ${olds}`,
      `FROM ${f.child} AS dupguard_child JOIN pg_temp.dupguard_map AS m ON ${match}`,
      '), moved AS (',
      `UPDATE ${f.child} AS dupguard_child SET ${setFromOld}`,
      'FROM o',
      `WHERE dupguard_child.tableoid ${EQ} o.t AND dupguard_child.ctid ${EQ} o.id`,
      `RETURNING dupguard_child.tableoid, dupguard_child.ctid, ${f.columns.map((_, j) => `o.old${j + 1}, o.new${j + 1}`).join(', ')}`,
      ')',
      `INSERT INTO ${rb} SELECT * FROM moved;`,
    )),
    `SELECT ${quoteLiteral(f.id)} AS foreign_key, pg_catalog.count(*) AS references_moved_to_kept_row FROM ${rb};`,
  );
}

/**
 * Builds the index a foreign key's lookups need when the referencing table has none leading with
 * its columns (checked when the script runs), taking the referencing table's strongest lock first
 * so that dropping the index before COMMIT does not have to upgrade a weaker one.
 */
function tempIndexSql(f: ForeignKeyPlan): string {
  const ix = f.tempIndex!;
  const childLit = quoteLiteral(f.child);
  const n = f.columns.length;
  return `DO ${dollarQuote(lines(
    '',
    'BEGIN',
    `  IF pg_catalog.to_regclass(${quoteLiteral(ix.qualified)}) IS NOT NULL THEN`,
    `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: ${ix.schema}.${ix.name} exists already; generate the script again`)};`,
    '  END IF;',
    '  IF NOT EXISTS (',
    '    SELECT 1 FROM pg_catalog.pg_index AS i',
    `    JOIN pg_catalog.pg_class AS ic ON ic.oid ${EQ} i.indexrelid`,
    `    JOIN pg_catalog.pg_am AS am ON am.oid ${EQ} ic.relam`,
    `    WHERE i.indrelid ${EQ} ${childLit}::pg_catalog.regclass AND i.indisvalid AND i.indpred IS NULL AND am.amname ${EQ} 'btree'`,
    `      AND i.indnkeyatts ${op('>=')} ${n}`,
    `      AND (SELECT pg_catalog.array_agg(k.attnum ORDER BY k.attnum) FROM pg_catalog.unnest((i.indkey::pg_catalog.int2[])[0:${n - 1}]) AS k(attnum))`,
    `        ${EQ} (SELECT pg_catalog.array_agg(a.attnum ORDER BY a.attnum) FROM pg_catalog.pg_attribute AS a`,
    `               WHERE a.attrelid ${EQ} ${childLit}::pg_catalog.regclass AND a.attname::pg_catalog.text ${EQ} ANY (${textArray(f.columns)}))`,
    '  ) THEN',
    `    IF NOT pg_catalog.pg_has_role((SELECT relowner FROM pg_catalog.pg_class WHERE oid ${EQ} ${childLit}::pg_catalog.regclass), 'USAGE') THEN`,
    `      RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: ${f.fk.schema}.${f.fk.table} has no index on (${f.columns.join(', ')}) for ${f.fk.name}, so deleting each copy would read that whole table; building a temporary index there needs its owner's rights, which this role lacks. Create the index first (CREATE INDEX ON ${f.child} (${f.columns.map(quoteIdent).join(', ')})), run as the owner, or use the rebuild strategy; nothing was changed`)};`,
    '    END IF;',
    `    LOCK TABLE ${f.child} IN ACCESS EXCLUSIVE MODE;`,
    `    CREATE INDEX ${quoteIdent(ix.name)} ON ${f.child} (${f.columns.map(quoteIdent).join(', ')});`,
    `    RAISE NOTICE '%', ${quoteLiteral(`dupguard: ${f.fk.schema}.${f.fk.table} has no index on (${f.columns.join(', ')}) for ${f.fk.name}: built the temporary index ${ix.name}, dropped before COMMIT`)};`,
    '  END IF;',
    'END',
    '',
  ))};`;
}

function guardSql(c: Ctx, plan: MigrationPlan, forRollback: boolean): string {
  const cols = c.t.columns.map((x) => x.name);
  const fkNames = (c.t.referencedBy ?? []).map((f) => f.name);
  const tname = `${c.t.schema}.${c.t.name}`;
  const reg = `${c.tblLiteral}::pg_catalog.regclass`;
  const body = lines(
    '',
    'DECLARE dg$cols pg_catalog.text[]; dg$fks pg_catalog.text[];',
    'BEGIN',
    c.pg && c.nnd && !forRollback && plan.addConstraint && lines(
      `  IF pg_catalog.current_setting('server_version_num')::pg_catalog.int4 ${op('<')} 150000 THEN`,
      `    RAISE EXCEPTION '%', pg_catalog.concat('dupguard: UNIQUE NULLS NOT DISTINCT needs PostgreSQL 15 or later; this server is ', pg_catalog.current_setting('server_version'), ${quoteLiteral(`: make the key columns of ${tname} NOT NULL first, or generate the migration with --nulls distinct; nothing was changed`)});`,
      '  END IF;',
    ),
    `  IF pg_catalog.to_regclass(${c.tblLiteral}) IS NULL THEN`,
    `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: table ${tname} does not exist`)};`,
    '  END IF;',
    '  -- Row level security would hide rows from the backup, the counts and the dedup alike.',
    `  IF pg_catalog.row_security_active(${reg}) THEN`,
    `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: row level security hides rows of ${tname} from this role, so the backup and the dedup would see only part of the table; run the script as a role that bypasses it (the owner without FORCE ROW LEVEL SECURITY, or a BYPASSRLS role)`)};`,
    '  END IF;',
    '  SELECT pg_catalog.array_agg(attname::pg_catalog.text ORDER BY attnum) INTO dg$cols FROM pg_catalog.pg_attribute',
    `  WHERE attrelid ${EQ} ${reg} AND attnum ${op('>')} 0 AND NOT attisdropped;`,
    `  IF dg$cols IS NULL OR NOT dg$cols ${EQ} ${textArray(cols)} THEN`,
    `    RAISE EXCEPTION '%', pg_catalog.concat(${quoteLiteral(`dupguard: the columns of ${tname} changed since this script was generated (now: `)}, pg_catalog.array_to_string(dg$cols, ', '), '); generate it again');`,
    '  END IF;',
    c.pg && `  SELECT coalesce(pg_catalog.array_agg(conname::pg_catalog.text ORDER BY conname::pg_catalog.text COLLATE pg_catalog."C"), '{}') INTO dg$fks FROM pg_catalog.pg_constraint`,
    c.pg && `  WHERE confrelid ${EQ} ${reg} AND contype ${EQ} 'f' AND conparentid ${EQ} 0;`,
    c.pg && `  IF NOT dg$fks ${EQ} ARRAY(SELECT x FROM pg_catalog.unnest(${textArray(fkNames)}) AS x ORDER BY x COLLATE pg_catalog."C") THEN`,
    c.pg && `    RAISE EXCEPTION '%', pg_catalog.concat(${quoteLiteral(`dupguard: the foreign keys pointing at ${tname} are not the ones this script was generated for (now: `)}, pg_catalog.array_to_string(dg$fks, ', '), '); generate it again');`,
    c.pg && '  END IF;',
    // A unique constraint on a partitioned table must hold every partition column: stop before any work.
    c.pg && c.partitioned && !forRollback && lines(
      '  IF EXISTS (SELECT 1 FROM pg_catalog.pg_partitioned_table AS p, pg_catalog.unnest(p.partattrs::pg_catalog.int2[]) AS k(attnum)',
      `    WHERE p.partrelid ${EQ} ${reg} AND (k.attnum ${EQ} 0 OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a`,
      `      WHERE a.attrelid ${EQ} p.partrelid AND a.attnum ${EQ} k.attnum AND a.attname::pg_catalog.text ${EQ} ANY (${textArray(c.key)})))) THEN`,
      `    RAISE EXCEPTION '%', pg_catalog.concat(${quoteLiteral(`dupguard: ${tname} is partitioned by `)}, pg_catalog.pg_get_partkeydef(${reg}), ${quoteLiteral(` and a UNIQUE constraint on a partitioned table must include every partition column; the key (${c.key.join(', ')}) does not, so the constraint could never be added: add the partition columns to the key; nothing was changed`)});`,
      '  END IF;',
    ),
    forRollback
      ? lines(
        `  IF pg_catalog.to_regclass(${quoteLiteral(plan.backup.qualified)}) IS NULL THEN`,
        `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: backup table ${plan.backup.schema}.${plan.backup.name} not found: nothing to restore from`)};`,
        '  END IF;',
      )
      : lines(
        `  IF pg_catalog.to_regclass(${quoteLiteral(plan.backup.qualified)}) IS NOT NULL THEN`,
        `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: backup table ${plan.backup.schema}.${plan.backup.name} exists already: this migration ran before (roll back or drop the backup, then generate a new script)`)};`,
        '  END IF;',
        c.replaces ? replaceGuardSql(c) : lines(
          `  IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid ${EQ} ${reg} AND conname ${EQ} ${quoteLiteral(plan.constraintName)}) THEN`,
          `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: constraint ${plan.constraintName} exists already on ${tname}`)};`,
          '  END IF;',
        ),
      ),
    'END',
    '',
  );
  return `DO ${dollarQuote(body)};`;
}

/** Step 0 of a replacing migration: the plain key is still there as it was read, with the same foreign keys depending on it. */
function replaceGuardSql(c: Ctx): string {
  const k = c.replaces!.before;
  const reg = `${c.tblLiteral}::pg_catalog.regclass`;
  const tname = `${c.t.schema}.${c.t.name}`;
  const what = `${k.kind === 'index' ? 'unique index' : 'unique constraint'} ${k.name}`;
  const owner = k.kind === 'constraint'
    ? `EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS con WHERE con.conindid ${EQ} i.indexrelid AND con.conrelid ${EQ} ${reg} AND con.contype ${EQ} 'u' AND con.conname ${EQ} ${quoteLiteral(k.name)})`
    : `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS con WHERE con.conindid ${EQ} i.indexrelid AND con.conrelid ${EQ} ${reg})`;
  return lines(
    '  -- The plain unique key this script replaces: still there as it was read, with the same foreign keys depending on it.',
    '  DECLARE',
    `    dg$idx pg_catalog.oid := pg_catalog.to_regclass(${quoteLiteral(quoteQualified(c.t.schema, k.indexName))})::pg_catalog.oid;`,
    '    dg$dep pg_catalog.text[];',
    '  BEGIN',
    '    IF dg$idx IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index AS i',
    `        WHERE i.indexrelid ${EQ} dg$idx AND i.indrelid ${EQ} ${reg} AND i.indisunique AND NOT i.indnullsnotdistinct AND i.indpred IS NULL`,
    `          AND NOT i.indisreplident AND i.indisclustered ${EQ} ${k.clustered ? 'true' : 'false'} AND ${owner}) THEN`,
    `      RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: the plain ${what} on (${k.columns.join(', ')}) that this script replaces is no longer on ${tname} as it was when the script was generated; generate it again`)};`,
    '    END IF;',
    `    SELECT coalesce(pg_catalog.array_agg(pg_catalog.concat(n.nspname::pg_catalog.text, '.', r.relname::pg_catalog.text, '.', f.conname::pg_catalog.text)), '{}') INTO dg$dep`,
    '      FROM pg_catalog.pg_constraint AS f',
    `      JOIN pg_catalog.pg_class AS r ON r.oid ${EQ} f.conrelid JOIN pg_catalog.pg_namespace AS n ON n.oid ${EQ} r.relnamespace`,
    `      WHERE f.contype ${EQ} 'f' AND f.conparentid ${EQ} 0 AND f.conindid ${EQ} dg$idx;`,
    `    IF NOT ARRAY(SELECT x FROM pg_catalog.unnest(dg$dep) AS x ORDER BY x COLLATE pg_catalog."C") ${EQ} ARRAY(SELECT x FROM pg_catalog.unnest(${textArray(c.replaces!.foreignKeys)}) AS x ORDER BY x COLLATE pg_catalog."C") THEN`,
    `      RAISE EXCEPTION '%', pg_catalog.concat(${quoteLiteral(`dupguard: the foreign keys that depend on ${k.name} are not the ones this script re-creates (now: `)}, pg_catalog.array_to_string(dg$dep, ', '), '); generate it again');`,
    '    END IF;',
    '  END;',
  );
}

function postValidationSql(c: Ctx, plan: MigrationPlan): string {
  const tname = `${c.t.schema}.${c.t.name}`;
  const body = lines(
    '',
    'DECLARE dg$before record; dg$after record; dg$backup_rows pg_catalog.int8;',
    'BEGIN',
    '  SELECT * INTO dg$before FROM pg_temp.dupguard_before;',
    `  SELECT * INTO dg$after FROM (${countsSql(c)}) AS now_counts;`,
    `  SELECT pg_catalog.count(*) INTO dg$backup_rows FROM ${plan.backup.qualified};`,
    `  IF dg$backup_rows ${op('<>')} dg$before.total_rows THEN`,
    `    RAISE EXCEPTION 'dupguard: the backup holds % rows but the table had %; nothing was changed', dg$backup_rows, dg$before.total_rows;`,
    '  END IF;',
    `  IF dg$after.duplicate_groups ${op('<>')} 0 THEN`,
    `    RAISE EXCEPTION 'dupguard: % duplicate groups remain after the dedup; nothing was changed', dg$after.duplicate_groups;`,
    '  END IF;',
    `  IF dg$after.distinct_keys ${op('<>')} dg$before.distinct_keys THEN`,
    `    RAISE EXCEPTION 'dupguard: % distinct keys before, % after: a key would be lost; nothing was changed', dg$before.distinct_keys, dg$after.distinct_keys;`,
    '  END IF;',
    `  IF dg$after.total_rows ${op('<>')} dg$before.distinct_keys THEN`,
    `    RAISE EXCEPTION 'dupguard: % rows remain but there are % distinct keys; nothing was changed', dg$after.total_rows, dg$before.distinct_keys;`,
    '  END IF;',
    `  RAISE NOTICE 'dupguard: %: % rows before, % after, % duplicate copies removed', ${quoteLiteral(tname)}, dg$before.total_rows, dg$after.total_rows, dg$before.total_rows ${op('-')} dg$after.total_rows;`,
    'END',
    '',
  );
  return `DO ${dollarQuote(body)};`;
}

/**
 * The swap of the plain UNIQUE for the NULLS NOT DISTINCT one of the same name: the foreign keys that
 * depend on its index go first and come back, from their own definitions, once the new key exists.
 */
function replaceSql(c: Ctx): string {
  const r = c.replaces!;
  const k = r.before;
  return lines(
    '-- Checks queued by deferrable foreign keys must run now: ALTER TABLE refuses while any are pending.',
    'SET CONSTRAINTS ALL IMMEDIATE;',
    ...(k.foreignKeys.length ? [`-- These foreign keys depend on the index of ${commentSafe(k.name)}: dropped here, re-created identically below.`] : []),
    ...dropForeignKeysSql(k),
    dropKeySql(c.t, k),
    ...createKeySql(c.t, k, true),
    ...addForeignKeysSql(c.t, k),
  );
}

function uniqueInTxSql(c: Ctx, plan: MigrationPlan, nullsClause: string): string {
  return `ALTER TABLE ${c.tbl} ADD CONSTRAINT ${quoteIdent(plan.constraintName)} UNIQUE${nullsClause} (${c.keySql});`;
}

function concurrentSql(c: Ctx, plan: MigrationPlan, nullsClause: string): string {
  const idx = quoteQualified(c.t.schema, plan.constraintName);
  const idxLit = quoteLiteral(idx);
  const tname = `${c.t.schema}.${c.t.name}`;
  if (!c.pg) {
    return lines(
      '-- YugabyteDB builds the index of a new constraint online (backfill) without blocking writes.',
      uniqueInTxSql(c, plan, nullsClause),
    );
  }
  const fail = quoteLiteral(`dupguard: the unique index ${plan.constraintName} could not be built on ${tname} (new duplicates written since the dedup committed?). The dedup itself is committed; the invalid index was dropped. Stop the writers, then run this step again.`);
  return lines(
    '-- A failed concurrent build from an earlier run leaves an INVALID index that still slows every',
    '-- write without enforcing anything: drop it before building again.',
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid ${EQ} pg_catalog.to_regclass(${idxLit}) AND NOT indisvalid) AS dupguard_invalid_index \\gset`,
    '\\if :dupguard_invalid_index',
    `DROP INDEX CONCURRENTLY ${idx};`,
    '\\endif',
    '-- CONCURRENTLY lets reads and writes go on while the index is built; it cannot run in a transaction.',
    '-- If it fails (a duplicate arrived meanwhile), psql goes on to the check below instead of stopping.',
    '\\set ON_ERROR_STOP off',
    `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(plan.constraintName)} ON ${c.tbl} (${c.keySql})${nullsClause};`,
    '\\set ON_ERROR_STOP on',
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid ${EQ} pg_catalog.to_regclass(${idxLit}) AND indisvalid) AS dupguard_index_valid \\gset`,
    '\\if :dupguard_index_valid',
    '-- The finished index becomes the constraint (a quick catalog change, no second build).',
    `ALTER TABLE ${c.tbl} ADD CONSTRAINT ${quoteIdent(plan.constraintName)} UNIQUE USING INDEX ${quoteIdent(plan.constraintName)};`,
    '\\else',
    `DROP INDEX CONCURRENTLY IF EXISTS ${idx};`,
    `DO ${dollarQuote(` BEGIN RAISE EXCEPTION '%', ${fail}; END `)};`,
    '\\endif',
  );
}

/** Header line saying what happens to the references of other tables. */
function referencesLine(c: Ctx, plan: MigrationPlan): string | undefined {
  const text = referencesText(c, plan);
  return text === undefined ? undefined : `-- ${commentSafe(text)}`;
}

function referencesText(c: Ctx, plan: MigrationPlan): string | undefined {
  if (!c.fks.length) return undefined;
  const n = c.fks.length;
  const fkWords = `${n} foreign key${n === 1 ? '' : 's'} (${c.fks.map((f) => f.id).join(', ')})`;
  const moving = plan.referenceMoves.filter((m) => m.rows > 0);
  if (plan.mergeReferences) {
    if (!plan.referenceMovesKnown) return `References: ${fkWords} point here; rows that referenced a removed copy move to the kept row of its key (--merge-references; how many was not counted: the script prints it).`;
    if (!moving.length) return `References: ${fkWords} point here; none references a copy to remove (counted at generation; any that does when the script runs moves to the kept row, --merge-references).`;
    return `References: ${describeReferenceMoves(moving, 'move')} (counted at generation; --merge-references).`;
  }
  return `References: ${fkWords} point here; ${plan.referenceMovesKnown ? 'none references a copy to remove (counted at generation)' : 'not counted at generation'}. The script stops, with nothing changed, if any row would have to move to a kept row.`;
}

function constraintLine(c: Ctx, plan: MigrationPlan): string {
  const name = commentSafe(plan.constraintName);
  if (c.replaces) {
    const fks = c.replaces.foreignKeys;
    return `-- Constraint: ${name} replaces ${commentSafe(c.replaces.description)} under the same name, as UNIQUE NULLS NOT DISTINCT, inside the dedup transaction (one unique key on these columns, before and after)${fks.length ? `; dropped and re-created identically around the swap: the foreign key${fks.length === 1 ? '' : 's'} ${commentSafe(fks.join(', '))}` : ''}.`;
  }
  if (!plan.addConstraint) {
    return `-- Constraint: not added here: your own migration${c.opts.declaredIn ? ` (${commentSafe(c.opts.declaredIn)})` : ''} adds ${name}; run it right after this script.`;
  }
  return `-- Constraint: ${name} (${plan.indexBuild === 'concurrent' ? 'index built CONCURRENTLY after the dedup commits' : 'added inside the dedup transaction'}).`;
}

function header(c: Ctx, plan: MigrationPlan, title: string, now: Date): string {
  const tname = `${c.t.schema}.${c.t.name}`;
  return lines(
    `-- ${title} for ${commentSafe(tname)}`,
    `-- Generated by dupguard at ${now.toISOString()}.`,
    `-- Key: (${commentSafe(c.key.join(', '))}); NULL key values: ${plan.nullKeys === 'not-distinct' ? 'equal to each other (rows differing only by NULLs are duplicates; UNIQUE NULLS NOT DISTINCT)' : 'never equal (rows with a NULL key column are all kept; plain UNIQUE)'}.`,
    `-- Keeps: per key, the row ${commentSafe(plan.keep.description)}.`,
    `-- Strategy: ${plan.strategy} (${commentSafe(plan.strategyReason)}).`,
    referencesLine(c, plan),
    constraintLine(c, plan),
    `-- backup: ${commentSafe(plan.backup.qualified)}`,
    ...plan.warnings.map((w) => `-- Note: ${commentSafe(w)}`),
    SEARCH_PATH_NOTE,
  );
}

const SEARCH_PATH_NOTE = lines(
  '-- Runs with search_path = pg_catalog, pg_temp (as pg_dump does): every name it uses is schema-qualified,',
  '-- so nothing another role created can run in its place; a trigger function of these tables that',
  '-- relies on search_path without its own SET search_path fails, and the script stops with nothing changed.',
);

/** What the migration the rollback undoes did, in words (the rollback never chooses a strategy of its own). */
function rollbackHeader(c: Ctx, plan: MigrationPlan, now: Date): string {
  const tname = `${c.t.schema}.${c.t.name}`;
  const withMigration = c.opts.purpose !== 'rollback';
  const undoes = withMigration
    ? `the dedup of ${tname} on (${c.key.join(', ')}) generated with it: ${migrationSummary(c, plan)}`
    : c.opts.undoes ? `the migration its backup records as "${c.opts.undoes}"` : `the dupguard dedup of ${tname} on (${c.key.join(', ')}) that backed the table up to ${plan.backup.schema}.${plan.backup.name}`;
  const moved = c.fks.filter((f) => f.refBackup && !f.self);
  return lines(
    `-- dupguard rollback for ${commentSafe(tname)}`,
    `-- Generated by dupguard at ${now.toISOString()}${withMigration ? ', with the migration it undoes' : ''}.`,
    `-- Undoes: ${commentSafe(undoes)}.`,
    c.replaces && `-- Restores: ${commentSafe(c.replaces.description)} (without NULLS NOT DISTINCT), by name, in place of the NULLS NOT DISTINCT key the migration put there${c.replaces.foreignKeys.length ? `, and the foreign key${c.replaces.foreignKeys.length === 1 ? '' : 's'} ${commentSafe(c.replaces.foreignKeys.join(', '))} that ${c.replaces.foreignKeys.length === 1 ? 'depends' : 'depend'} on it, exactly as they were` : ''}; then every row from the backup below, exactly.`,
    !c.replaces && `-- Restores: every row from the backup below, exactly; drops the constraint ${commentSafe(plan.constraintName)}${withMigration && !plan.addConstraint ? ` (added by your own migration${c.opts.declaredIn ? `, ${commentSafe(c.opts.declaredIn)}` : ''}: take it out of your migrations too, or it comes back on the next deploy and fails on the restored copies)` : ''}.`,
    moved.length ? `-- References: moved back to the copies they named, for ${commentSafe(moved.map((f) => f.id).join(', '))} (from the reference backups).` : undefined,
    `-- backup: ${commentSafe(plan.backup.qualified)}`,
    SEARCH_PATH_NOTE,
  );
}

/** One sentence on what the migration does: which row it keeps, how, and what it records in the backup's comment. */
function migrationSummary(c: Ctx, plan: MigrationPlan): string {
  const replaced = c.replaces ? `; ${replacedWords(c.replaces.before)}${c.replaces.foreignKeys.length ? ` (foreign keys re-created: ${c.replaces.foreignKeys.join(', ')})` : ''}` : '';
  return `kept per key the row ${plan.keep.description}; strategy ${plan.strategy}${plan.mergeReferences && c.fks.length ? '; references to removed copies moved to the kept rows' : ''}; constraint ${plan.constraintName}${plan.addConstraint ? '' : ' left to your own migration'}${replaced}`;
}

function renderScript(c: Ctx, plan: MigrationPlan, mode: 'psql' | 'dry-run', nullsClause: string, now: Date): string {
  const psql = mode === 'psql';
  const lock = plan.strategy === 'rebuild' || plan.indexBuild === 'in-transaction' ? 'ACCESS EXCLUSIVE' : 'SHARE ROW EXCLUSIVE';
  const childLock = plan.strategy === 'rebuild' || c.replaces ? 'ACCESS EXCLUSIVE' : 'SHARE ROW EXCLUSIVE';
  const withTempIndex = c.fks.filter((f) => f.tempIndex);
  const out: (string | false | undefined)[] = [
    header(c, plan, 'dupguard dedup migration', now),
    psql && '--',
    psql && '-- Run with: psql -v ON_ERROR_STOP=1 -f <this file>. Stop the programs that write to the table first.',
    psql && '-- Undo with its rollback script, generated with it (`dupguard migrate ... --out` writes both files;',
    psql && '-- `dupguard migrate ... --rollback` prints it again from the backup once this script has run).',
    '',
    psql && '\\set ON_ERROR_STOP on',
    psql && 'BEGIN;',
    '-- Only PostgreSQL\'s own functions and operators, whatever the role\'s or database\'s search_path says.',
    PIN_SEARCH_PATH,
    '',
    '-- Step 0: make sure the table is still the one this script was written for, and hold it still.',
    c.pg && '-- Give up after 30 s instead of queueing behind a long transaction (and blocking everyone behind us).',
    c.pg && "SET LOCAL lock_timeout = '30s';",
    c.pg && `-- ${lock === 'ACCESS EXCLUSIVE' ? 'Nobody reads or writes the table until COMMIT' : 'Readers go on; writers wait until COMMIT'}.`,
    c.pg && `LOCK TABLE ${c.src} IN ${lock} MODE;`,
    !c.pg && '-- YugabyteDB: LOCK TABLE is not available; make sure nothing writes to the table meanwhile.',
    guardSql(c, plan, false),
    ...(withTempIndex.length ? [
      '-- Deleting a copy makes PostgreSQL look up its references; without an index on the referencing',
      '-- columns each lookup reads the whole referencing table. Build the missing ones now (dropped before COMMIT).',
      ...withTempIndex.map(tempIndexSql),
    ] : []),
    ...(c.pg ? c.fks.map((f) => `LOCK TABLE ${f.child} IN ${childLock} MODE;`) : []),
    '',
    '-- Step 1: count before. distinct_keys is how many rows must remain; duplicate_groups how many keys have copies.',
    'CREATE TEMP TABLE dupguard_before ON COMMIT DROP AS',
    countsSql(c) + ';',
    `SELECT 'before' AS step, total_rows, distinct_keys, duplicate_groups, total_rows ${op('-')} distinct_keys AS copies_to_remove FROM pg_temp.dupguard_before;`,
    '',
    '-- Step 2: back up every row of the table, unchanged, in the same transaction as the dedup.',
    '-- It stays after COMMIT so the rollback can restore the table exactly; drop it once you are sure.',
    `CREATE TABLE ${plan.backup.qualified} AS SELECT * FROM ${c.src};`,
    `COMMENT ON TABLE ${plan.backup.qualified} IS ${quoteLiteral(`dupguard backup of ${c.t.schema}.${c.t.name} taken ${now.toISOString()} before removing duplicates on (${c.key.join(', ')}): ${migrationSummary(c, plan)}`)};`,
    '',
    '-- Step 3: decide once, before anything changes, which rows go: every copy of a key but the row',
    '-- kept (see Keeps above). Moving references and removing copies both read this mapping, never a new ranking.',
    mappingSql(c),
    ...(c.fks.length && !plan.mergeReferences ? [
      '-- Rows of other tables that referenced a copy about to be removed would have to move to the kept',
      '-- row: that merges rows that may be separate things, so stop unless it was accepted (--merge-references).',
      referenceGuardSql(c),
    ] : []),
    '',
  ];
  if (c.fks.length) {
    out.push(
      '-- Step 4: rows that reference a copy about to be removed are moved to the kept row of the same',
      '-- key, so no reference breaks and no ON DELETE action fires. What every reference must look like',
      '-- afterwards is recorded first and checked in step 6.',
      ...c.fks.map((f, i) => referenceSnapshotSql(c, f, i)),
      ...c.fks.map((f, i) => repointSql(c, f, i)),
      c.fks.some((f) => f.deferrable)
        && '-- A deferrable foreign key queued its checks for COMMIT; run them now, as later ALTER TABLEs refuse while checks are pending.',
      c.fks.some((f) => f.deferrable) && 'SET CONSTRAINTS ALL IMMEDIATE;',
      '',
    );
  } else {
    out.push('-- Step 4: no foreign key points at this table: no references to move.', '');
  }
  if (plan.strategy === 'delete') {
    out.push(
      '-- Step 5: delete the copies the mapping lists.',
      '-- ON DELETE triggers of the table fire for each deleted copy, as for any delete.',
      deleteSql(c),
      '',
    );
  } else {
    out.push(
      '-- Step 5: rebuild: empty the table and load back the rows the mapping keeps.',
      rebuildSql(c),
      '',
    );
  }
  out.push(
    '-- Step 6: prove the result before committing: no key has copies, every key is still there,',
    '-- the table holds exactly one row per key, the backup holds every original row, and every',
    '-- reference is what step 4 recorded. Any failure raises an error, and the whole transaction',
    '-- (backup included) is undone.',
    postValidationSql(c, plan),
    ...c.fks.map((f, i) => referenceCheckSql(c, f, i)),
    "SELECT 'after' AS step, total_rows, distinct_keys, duplicate_groups FROM (",
    countsSql(c),
    ') AS after_counts;',
    ...withTempIndex.map((f) => `DROP INDEX IF EXISTS ${f.tempIndex!.qualified};`),
    '',
  );
  if (!psql) {
    // The dry run adds the constraint itself (plan.constraintSql) so it can tell the two failures apart.
  } else if (!plan.addConstraint) {
    out.push(
      `-- Step 7: no constraint here: your own migration${c.opts.declaredIn ? ` (${commentSafe(c.opts.declaredIn)})` : ''} adds ${commentSafe(plan.constraintName)}. Run it right after`,
      '-- this script: copies written in between make it fail (then run this dedup again first).',
      'COMMIT;',
      'SET search_path = pg_catalog, pg_temp;',
    );
  } else if (c.replaces) {
    out.push(
      `-- Step 7: ${commentSafe(c.replaces.description)} becomes UNIQUE NULLS NOT DISTINCT under the same name, so the`,
      '-- database itself refuses new copies, NULLs included, with one unique key on these columns.',
      replaceSql(c),
      '',
      'COMMIT;',
      'SET search_path = pg_catalog, pg_temp;',
    );
  } else if (plan.indexBuild === 'in-transaction') {
    out.push(
      '-- Step 7: the unique constraint, so the database itself refuses new copies from now on.',
      uniqueInTxSql(c, plan, nullsClause),
      '',
      'COMMIT;',
      'SET search_path = pg_catalog, pg_temp;',
    );
  } else {
    out.push(
      'COMMIT;',
      'SET search_path = pg_catalog, pg_temp;',
      '',
      '-- Step 7: the unique constraint, so the database itself refuses new copies from now on.',
      concurrentSql(c, plan, nullsClause),
    );
  }
  if (psql) {
    out.push(
      '',
      '-- Step 8: fresh statistics for the planner (cheap: it samples).',
      `ANALYZE ${c.tbl};`,
      plan.strategy === 'delete'
        ? '-- The deleted copies are dead rows until vacuumed; VACUUM (ANALYZE) runs alongside normal traffic:'
        : '-- The rebuild left the table compact; VACUUM (ANALYZE) also refreshes the visibility map for index-only scans:',
      `--   VACUUM (ANALYZE) ${commentSafe(c.tbl)};`,
      '-- VACUUM FULL would also give the space back to the operating system, but locks the table while it rewrites it.',
      `-- Once the table has run well for a while (and its rollback is no longer wanted), drop the backup: DROP TABLE ${commentSafe(plan.backup.qualified)};`,
    );
  }
  return lines(...out) + '\n';
}

function renderRollback(c: Ctx, plan: MigrationPlan, mode: 'psql' | 'dry-run'): string {
  const psql = mode === 'psql';
  const { cols, overriding } = insertColumns(c);
  const now = c.opts.now ?? new Date();
  const out: (string | false | undefined)[] = [
    rollbackHeader(c, plan, now),
    '-- Puts back every row the table had before the dedup, exactly as the backup holds them. Changes',
    '-- made to the table after the migration are lost: the table becomes the backup again.',
    '',
    psql && '\\set ON_ERROR_STOP on',
    psql && 'BEGIN;',
    PIN_SEARCH_PATH,
    c.pg && "SET LOCAL lock_timeout = '30s';",
    c.pg && `LOCK TABLE ${c.src} IN ACCESS EXCLUSIVE MODE;`,
    guardSql(c, plan, true),
    '',
    ...c.fks.flatMap((f) => [
      `-- TRUNCATE refuses while ${commentSafe(`${f.fk.schema}.${f.fk.table}`)} references the table: drop its foreign key, re-add it at the end.`,
      `ALTER TABLE ${f.child} DROP CONSTRAINT IF EXISTS ${quoteIdent(f.fk.name)};`,
    ]),
    '-- The unique constraint would refuse the copies coming back: remove it (and its index if only that exists).',
    `ALTER TABLE ${c.tbl} DROP CONSTRAINT IF EXISTS ${quoteIdent(plan.constraintName)};`,
    `DROP INDEX IF EXISTS ${quoteQualified(c.t.schema, plan.constraintName)};`,
    '-- Reloading must not fire user triggers: switch the enabled ones off and restore them after.',
    triggersOff(c),
    `TRUNCATE ${c.src};`,
    `INSERT INTO ${c.tbl} (${cols})${overriding}`,
    `  SELECT ${cols} FROM ${plan.backup.qualified};`,
    triggersOn(c),
    ...(c.replaces ? [
      `-- ${commentSafe(c.replaces.description)} comes back as it was (NULLs distinct), before the foreign keys that depend on it.`,
      ...createKeySql(c.t, c.replaces.before, false),
    ] : []),
    ...c.fks.flatMap((f) => {
      const rb = f.refBackup;
      const parts: string[] = [];
      // A self-reference comes back with the reload itself (the backup holds the original values).
      if (rb && !f.self) {
        const set = f.columns.map((col, i) => `${quoteIdent(col)} = r.old${i + 1}`).join(', ');
        const match = f.columns.map((col, i) => `r.new${i + 1} ${f.eq[i]} dupguard_child.${quoteIdent(col)}`).join(' AND ');
        parts.push(
          `-- References of ${commentSafe(`${f.fk.schema}.${f.fk.table}`)} that the migration moved go back to the copies they named.`,
          '-- A referencing row updated since then is left as it is (its position or value no longer matches).',
          `UPDATE ${f.child} AS dupguard_child SET ${set}`,
          `FROM ${rb.qualified} AS r`,
          `WHERE dupguard_child.tableoid ${EQ} r.child_tableoid AND dupguard_child.ctid ${EQ} r.child_ctid AND ${match};`,
        );
      }
      parts.push(`ALTER TABLE ${f.child} ADD CONSTRAINT ${quoteIdent(f.fk.name)} ${f.fk.definition};`);
      return parts;
    }),
    ...(c.replaces ? foreignKeyCommentsSql(c.replaces.before) : []),
    `DO ${dollarQuote(lines(
      '',
      'DECLARE dg$n pg_catalog.int8; dg$b pg_catalog.int8;',
      'BEGIN',
      `  SELECT pg_catalog.count(*) INTO dg$n FROM ${c.src};`,
      `  SELECT pg_catalog.count(*) INTO dg$b FROM ${plan.backup.qualified};`,
      `  IF dg$n ${op('<>')} dg$b THEN RAISE EXCEPTION 'dupguard: rollback restored % rows but the backup holds %; nothing was changed', dg$n, dg$b; END IF;`,
      `  RAISE NOTICE 'dupguard: %: % rows restored from the backup', ${quoteLiteral(`${c.t.schema}.${c.t.name}`)}, dg$n;`,
      'END',
      '',
    ))};`,
    psql && 'COMMIT;',
    '',
    `-- The backup ${commentSafe(plan.backup.qualified)}${plan.referenceBackups.length ? ' and the reference backups' : ''} stay; drop them when no longer needed:`,
    `--   DROP TABLE ${commentSafe(plan.backup.qualified)};`,
    ...plan.referenceBackups.map((r) => `--   DROP TABLE ${commentSafe(r.qualified)};`),
  ];
  return lines(...out) + '\n';
}
