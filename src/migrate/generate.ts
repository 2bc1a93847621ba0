/**
 * Dedup migration generator: from a table description and a natural key, a psql script that backs
 * the table up, removes the duplicate copies (keeping the oldest or newest per key), proves the
 * result, adds the UNIQUE constraint that stops new copies, and can be undone exactly. Pure: no
 * database access; every identifier and literal goes through quote.ts.
 */
import type { ColumnDescription, TableDescription } from '../core/catalog';
import { parseForeignKey, withReferencedTable } from './fk';
import { commentSafe, dollarQuote, makeName, quoteIdent, quoteLiteral, quoteQualified } from '../core/quote';
import { CONCURRENT_INDEX_FROM_ROWS, REBUILD_FROM_RATIO } from './thresholds';
import { MigrationError, type KeepOrder, type MigrationOptions, type MigrationPlan } from './types';

/** Column types without the equality/ordering a unique key needs. */
const UNKEYABLE = /^(json|xml|point|line|lseg|box|path|polygon|circle)(\[\])?$/;
const CREATED_LIKE = /^(created|inserted|ingested|loaded|imported|added)(_?(at|on|time|timestamp|date|ts|utc))?$|^(date|time)_?(created|inserted|added)$|^creat(ed|ion)_?(at|date|time|timestamp|ts)$/i;
const TIME_TYPE = /^(timestamp|date)/;
const INSERT_TIME_DEFAULT = /^\s*\(?\s*(now\(\)|CURRENT_TIMESTAMP|LOCALTIMESTAMP|CURRENT_DATE|clock_timestamp\(\)|statement_timestamp\(\)|transaction_timestamp\(\)|\('now'::text\))/i;
const INTEGER_TYPE = /^(smallint|integer|bigint)$/;

interface ForeignKeyPlan {
  fk: { schema: string; table: string; name: string; definition: string };
  child: string;
  columns: string[];
  refColumns: string[];
  refBackup?: { schema: string; name: string; qualified: string };
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
  /** Row identity columns on YugabyteDB. */
  rowId: string[];
  partitioned: boolean;
  fks: ForeignKeyPlan[];
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
  const alreadyUnique = table.keys.find((u) => !u.expression && !u.predicate && u.columns.length === key.length && u.columns.every((c) => seen.has(c))
    && (u.nullsNotDistinct || key.every((c) => colByName.get(c)!.notNull) || options.nullKeys === 'distinct'));
  const forRollback = options.purpose === 'rollback';
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

  // Foreign keys of other tables that point here: their references to removed copies move to the kept row.
  const fks: ForeignKeyPlan[] = [];
  for (const fk of table.referencedBy ?? []) {
    const parsed = parseForeignKey(fk.definition);
    if (!parsed) {
      throw new MigrationError(`cannot read the foreign key ${fk.name} of ${fk.schema}.${fk.table} (${fk.definition}); dupguard stops rather than delete rows it may reference.`);
    }
    const definition = withReferencedTable(fk.definition, parsed, quoteQualified(table.schema, table.name));
    fks.push({ fk: { ...fk, definition }, child: quoteQualified(fk.schema, fk.table), columns: parsed.columns, refColumns: parsed.refColumns });
  }

  const now = options.now ?? new Date();
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 13);
  const taken = new Set<string>([...(table.indexes ?? []).map((i) => i.name), ...(table.constraints ?? []).map((c) => c.name), ...table.keys.map((k) => k.name ?? '')]);
  const constraintName = options.constraintName ?? (forRollback && alreadyUnique?.name && alreadyUnique.kind !== 'primary' ? alreadyUnique.name : undefined) ?? makeName(`${table.name}_${key.join('_')}`, '_key', taken);
  const backupName = options.backupName ?? makeName(table.name, `_dupguard_${stamp}`);
  const backup = { schema: table.schema, name: backupName, qualified: quoteQualified(table.schema, backupName) };
  const referenceBackups: MigrationPlan['referenceBackups'] = [];
  if (pg) {
    fks.forEach((f, i) => {
      const name = makeName(backupName, `_refs${i + 1}`);
      f.refBackup = { schema: table.schema, name, qualified: quoteQualified(table.schema, name) };
      referenceBackups.push({ ...f.refBackup, foreignKey: `${f.fk.schema}.${f.fk.table}.${f.fk.name}` });
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

  let indexBuild: 'in-transaction' | 'concurrent';
  const kept = options.rowEstimate !== undefined && options.rowEstimate >= 0 ? options.rowEstimate / Math.max(1, ratio ?? 1) : undefined;
  if (mode === 'dry-run' || partitioned) indexBuild = 'in-transaction';
  else if (options.indexBuild === 'in-transaction' || options.indexBuild === 'concurrent') indexBuild = options.indexBuild;
  else indexBuild = kept !== undefined && kept >= CONCURRENT_INDEX_FROM_ROWS ? 'concurrent' : 'in-transaction';
  if (partitioned && options.indexBuild === 'concurrent') warnings.push('A partitioned table cannot build an index CONCURRENTLY: the constraint is added inside the transaction.');

  const notNullFilter = distinctMode ? key.map((k) => `${quoteIdent(k)} IS NOT NULL`).join(' AND ') : undefined;
  const nullFilter = distinctMode ? key.map((k) => `${quoteIdent(k)} IS NULL`).join(' OR ') : undefined;
  const ctx: Ctx = {
    t: table, opts: options, tbl, src: partitioned ? tbl : `ONLY ${tbl}`, tblLiteral: quoteLiteral(tbl), key, keySql,
    notNullFilter, nullFilter, orderSql, pg, rowId, partitioned, fks,
  };
  if (!table.referencedBy && table.source !== 'catalog') {
    warnings.push('The table description does not list foreign keys pointing at the table; the script checks at run time and stops if there are any.');
  }
  if (!keep.column) warnings.push(`No column records when rows were added: the ${options.keep ?? 'oldest'} copy is chosen by ${keep.description}. Pass --order-by to choose by a column.`);
  const nullsClause = nullKeys === 'not-distinct' && !allKeyNotNull ? ' NULLS NOT DISTINCT' : '';

  const plan: MigrationPlan = {
    script: '', rollback: '', constraintSql: '',
    table: { schema: table.schema, name: table.name, qualified: tbl },
    backup, referenceBackups, constraintName, strategy, strategyReason, indexBuild, nullKeys, keep,
    repointedForeignKeys: fks.map((f) => `${f.fk.schema}.${f.fk.table}.${f.fk.name}`), warnings,
  };
  plan.constraintSql = uniqueInTxSql(ctx, plan, nullsClause);
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
      why = `${word} by ${column} (an increasing id: a higher value was inserted later)`;
    } else {
      why = pg ? `${word} by physical position in the table (ctid), which follows insertion order unless rows were updated or the table was rewritten` : `${word} by row identity (${rowId.join(', ')})`;
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
  const description = tieWords.length ? `${why} (ties: ${tieWords.join(', then ')})` : why;
  return { column, direction, tieBreak: tie, description };
}

// ---------------------------------------------------------------------------------------------
// SQL pieces

function lines(...parts: (string | false | undefined | null)[]): string {
  return parts.filter((p): p is string => typeof p === 'string').join('\n');
}

function textArray(items: string[]): string {
  return items.length ? `ARRAY[${items.map(quoteLiteral).join(', ')}]::text[]` : `'{}'::text[]`;
}

/** `SELECT total_rows, distinct_keys, duplicate_groups` for the table's current contents. */
function countsSql(c: Ctx): string {
  if (!c.notNullFilter) {
    return lines(
      'SELECT coalesce(sum(n), 0)::bigint AS total_rows, count(*)::bigint AS distinct_keys, count(*) FILTER (WHERE n > 1)::bigint AS duplicate_groups',
      `FROM (SELECT count(*) AS n FROM ${c.src} GROUP BY ${c.keySql}) AS dupguard_groups`,
    );
  }
  // Rows with a NULL key column are each their own key under plain UNIQUE semantics.
  return lines(
    'SELECT (g.n_rows + nulls.n)::bigint AS total_rows, (g.n_keys + nulls.n)::bigint AS distinct_keys, g.n_dups::bigint AS duplicate_groups',
    'FROM (SELECT coalesce(sum(n), 0) AS n_rows, count(*) AS n_keys, count(*) FILTER (WHERE n > 1) AS n_dups',
    `      FROM (SELECT count(*) AS n FROM ${c.src} WHERE ${c.notNullFilter} GROUP BY ${c.keySql}) AS dupguard_groups) AS g,`,
    `     (SELECT count(*) AS n FROM ${c.src} WHERE ${c.nullFilter}) AS nulls`,
  );
}

function whereNotNull(c: Ctx): string {
  return c.notNullFilter ? `\n  WHERE ${c.notNullFilter}` : '';
}

function rowIdSelect(c: Ctx): { select: string; match: string } {
  if (!c.pg) {
    const sel = c.rowId.map((r, i) => `${quoteIdent(r)} AS dupguard_id${i + 1}`).join(', ');
    const match = `(${c.rowId.map(quoteIdent).join(', ')}) IN (SELECT ${c.rowId.map((_, i) => `dupguard_id${i + 1}`).join(', ')}`;
    return { select: sel, match };
  }
  if (c.partitioned) return { select: 'tableoid AS dupguard_tableoid, ctid AS dupguard_ctid', match: '(tableoid, ctid) IN (SELECT dupguard_tableoid, dupguard_ctid' };
  return { select: 'ctid AS dupguard_ctid', match: 'ctid IN (SELECT dupguard_ctid' };
}

function deleteSql(c: Ctx): string {
  const id = rowIdSelect(c);
  return lines(
    `DELETE FROM ${c.src}`,
    `WHERE ${id.match}`,
    '  FROM (',
    `    SELECT ${id.select},`,
    `           row_number() OVER (PARTITION BY ${c.keySql} ORDER BY ${c.orderSql}) AS dupguard_rn`,
    `    FROM ${c.src}${c.notNullFilter ? `\n    WHERE ${c.notNullFilter}` : ''}`,
    '  ) AS dupguard_ranked',
    '  WHERE dupguard_rn > 1',
    ');',
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
    '  SELECT tgname::text AS name, tgenabled::text AS enabled FROM pg_trigger',
    `  WHERE tgrelid = ${c.tblLiteral}::regclass AND NOT tgisinternal AND tgenabled <> 'D';`,
    `DO ${dollarQuote(lines(
      '',
      'DECLARE r record;',
      'BEGIN',
      '  FOR r IN SELECT name FROM dupguard_triggers LOOP',
      `    EXECUTE format('ALTER TABLE %s DISABLE TRIGGER %I', ${c.tblLiteral}::regclass, r.name);`,
      '  END LOOP;',
      'END',
      '',
    ))};`,
  );
}

function triggersOn(c: Ctx): string {
  return `DO ${dollarQuote(lines(
    '',
    'DECLARE r record;',
    'BEGIN',
    '  FOR r IN SELECT name, enabled FROM dupguard_triggers LOOP',
    `    EXECUTE format('ALTER TABLE %s ENABLE %s TRIGGER %I', ${c.tblLiteral}::regclass,`,
    `      CASE r.enabled WHEN 'A' THEN 'ALWAYS' WHEN 'R' THEN 'REPLICA' ELSE '' END, r.name);`,
    '  END LOOP;',
    'END',
    '',
  ))};`;
}

function rebuildSql(c: Ctx): string {
  const { cols, overriding } = insertColumns(c);
  return lines(
    '-- The kept rows, one per key, go to a temporary table first (not WAL-logged, dropped at COMMIT).',
    'CREATE TEMP TABLE dupguard_keep ON COMMIT DROP AS',
    `  SELECT DISTINCT ON (${c.keySql}) * FROM ${c.src}${whereNotNull(c)}`,
    `  ORDER BY ${c.keySql}, ${c.orderSql};`,
    c.nullFilter && '-- Rows with a NULL key column are never duplicates under plain UNIQUE: all of them stay.',
    c.nullFilter && `INSERT INTO dupguard_keep SELECT * FROM ${c.src} WHERE ${c.nullFilter};`,
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
    `  SELECT ${cols} FROM dupguard_keep;`,
    triggersOn(c),
    ...c.fks.map((f) => `ALTER TABLE ${f.child} ADD CONSTRAINT ${quoteIdent(f.fk.name)} ${f.fk.definition};`),
  );
}

function repointSql(c: Ctx, f: ForeignKeyPlan, index: number): string {
  const w = `PARTITION BY ${c.keySql} ORDER BY ${c.orderSql}`;
  const olds = f.refColumns.map((r, i) => `${quoteIdent(r)} AS dupguard_old${i + 1}`);
  const news = f.refColumns.map((r, i) => `first_value(${quoteIdent(r)}) OVER dupguard_w AS dupguard_new${i + 1}`);
  const set = f.columns.map((col, i) => `${quoteIdent(col)} = m.dupguard_new${i + 1}`).join(', ');
  const match = f.columns.map((col, i) => `dupguard_child.${quoteIdent(col)} = m.dupguard_old${i + 1}`).join(' AND ');
  const mapping = lines(
    'WITH m AS (',
    `  SELECT ${[...olds, ...news].join(', ')}, row_number() OVER dupguard_w AS dupguard_rn`,
    `  FROM ${c.src}${whereNotNull(c)}`,
    `  WINDOW dupguard_w AS (${w})`,
    ')',
  );
  const head = `-- Foreign key ${index + 1}: ${commentSafe(`${f.fk.schema}.${f.fk.table}.${f.fk.name}`)} (${commentSafe(f.columns.join(', '))}) -> (${commentSafe(f.refColumns.join(', '))})`;
  const childName = `${f.fk.schema}.${f.fk.table}`;
  // Moving a reference can make two referencing rows equal on a unique key of their own table:
  // stop with a message that says so, instead of PostgreSQL's bare duplicate-key error.
  const guarded = (stmt: string) => `DO ${dollarQuote(lines(
    '',
    'BEGIN',
    `  ${stmt.replace(/\n/g, '\n  ')}`,
    'EXCEPTION WHEN unique_violation THEN',
    `  RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: moving the references of ${childName} (${f.fk.name}) from removed copies to the kept row of ${c.t.schema}.${c.t.name} would make rows of ${childName} duplicates of each other; nothing was changed`)}`,
    `    USING DETAIL = SQLERRM, HINT = ${quoteLiteral(`Deduplicate ${childName} first (dupguard migrate --table ${childName} ...), then run this migration.`)};`,
    'END',
    '',
  ))};`;
  if (!f.refBackup) {
    return lines(head, guarded(lines(mapping, `UPDATE ${f.child} AS dupguard_child SET ${set}`, 'FROM m', `WHERE m.dupguard_rn > 1 AND ${match};`)));
  }
  const rb = f.refBackup.qualified;
  const refCols = f.refColumns.map((r, i) => `${quoteIdent(r)} AS old${i + 1}, ${quoteIdent(r)} AS new${i + 1}`).join(', ');
  return lines(
    head,
    `-- The old values are kept in ${commentSafe(rb)} so that the rollback can move them back.`,
    `CREATE TABLE ${rb} AS SELECT NULL::oid AS child_tableoid, NULL::tid AS child_ctid, ${refCols} FROM ${c.src} WITH NO DATA;`,
    `COMMENT ON TABLE ${rb} IS ${quoteLiteral(`dupguard: references of ${f.fk.schema}.${f.fk.table}.${f.fk.name} moved from removed copies to the kept row of ${c.t.schema}.${c.t.name}`)};`,
    guarded(lines(
      `${mapping}, moved AS (`,
      `  UPDATE ${f.child} AS dupguard_child SET ${set}`,
      '  FROM m',
      `  WHERE m.dupguard_rn > 1 AND ${match}`,
      `  RETURNING dupguard_child.tableoid, dupguard_child.ctid, ${f.refColumns.map((_, i) => `m.dupguard_old${i + 1}, m.dupguard_new${i + 1}`).join(', ')}`,
      ')',
      `INSERT INTO ${rb} SELECT * FROM moved;`,
    )),
    `SELECT ${quoteLiteral(`${f.fk.schema}.${f.fk.table}.${f.fk.name}`)} AS foreign_key, count(*) AS references_moved_to_kept_row FROM ${rb};`,
  );
}

function guardSql(c: Ctx, plan: MigrationPlan, forRollback: boolean): string {
  const cols = c.t.columns.map((x) => x.name);
  const fkNames = (c.t.referencedBy ?? []).map((f) => f.name);
  const tname = `${c.t.schema}.${c.t.name}`;
  const body = lines(
    '',
    'DECLARE cols text[]; fks text[];',
    'BEGIN',
    `  IF to_regclass(${c.tblLiteral}) IS NULL THEN`,
    `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: table ${tname} does not exist`)};`,
    '  END IF;',
    '  -- Row level security would hide rows from the backup, the counts and the dedup alike.',
    `  IF row_security_active(${c.tblLiteral}::regclass) THEN`,
    `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: row level security hides rows of ${tname} from this role, so the backup and the dedup would see only part of the table; run the script as a role that bypasses it (the owner without FORCE ROW LEVEL SECURITY, or a BYPASSRLS role)`)};`,
    '  END IF;',
    '  SELECT array_agg(attname::text ORDER BY attnum) INTO cols FROM pg_attribute',
    `  WHERE attrelid = ${c.tblLiteral}::regclass AND attnum > 0 AND NOT attisdropped;`,
    `  IF cols IS DISTINCT FROM ${textArray(cols)} THEN`,
    `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: the columns of ${tname} changed since this script was generated (now: `)} || array_to_string(cols, ', ') || '); generate it again';`,
    '  END IF;',
    c.pg && '  SELECT coalesce(array_agg(conname::text ORDER BY conname::text COLLATE "C"), \'{}\') INTO fks FROM pg_constraint',
    c.pg && `  WHERE confrelid = ${c.tblLiteral}::regclass AND contype = 'f' AND conparentid = 0;`,
    c.pg && `  IF fks IS DISTINCT FROM ARRAY(SELECT x FROM unnest(${textArray(fkNames)}) AS x ORDER BY x COLLATE "C") THEN`,
    c.pg && `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: the foreign keys pointing at ${tname} are not the ones this script was generated for (now: `)} || array_to_string(fks, ', ') || '); generate it again';`,
    c.pg && '  END IF;',
    forRollback
      ? lines(
        `  IF to_regclass(${quoteLiteral(plan.backup.qualified)}) IS NULL THEN`,
        `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: backup table ${plan.backup.schema}.${plan.backup.name} not found: nothing to restore from`)};`,
        '  END IF;',
      )
      : lines(
        `  IF to_regclass(${quoteLiteral(plan.backup.qualified)}) IS NOT NULL THEN`,
        `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: backup table ${plan.backup.schema}.${plan.backup.name} exists already: this migration ran before (roll back or drop the backup, then generate a new script)`)};`,
        '  END IF;',
        `  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = ${c.tblLiteral}::regclass AND conname = ${quoteLiteral(plan.constraintName)}) THEN`,
        `    RAISE EXCEPTION '%', ${quoteLiteral(`dupguard: constraint ${plan.constraintName} exists already on ${tname}`)};`,
        '  END IF;',
      ),
    'END',
    '',
  );
  return `DO ${dollarQuote(body)};`;
}

function postValidationSql(c: Ctx, plan: MigrationPlan): string {
  const tname = `${c.t.schema}.${c.t.name}`;
  const body = lines(
    '',
    'DECLARE b record; a record; backup_rows bigint;',
    'BEGIN',
    '  SELECT * INTO b FROM dupguard_before;',
    `  SELECT * INTO a FROM (${countsSql(c).replace(/\n/g, '\n    ')}) AS now_counts;`,
    `  SELECT count(*) INTO backup_rows FROM ${plan.backup.qualified};`,
    '  IF backup_rows <> b.total_rows THEN',
    `    RAISE EXCEPTION 'dupguard: the backup holds % rows but the table had %; nothing was changed', backup_rows, b.total_rows;`,
    '  END IF;',
    '  IF a.duplicate_groups <> 0 THEN',
    `    RAISE EXCEPTION 'dupguard: % duplicate groups remain after the dedup; nothing was changed', a.duplicate_groups;`,
    '  END IF;',
    '  IF a.distinct_keys <> b.distinct_keys THEN',
    `    RAISE EXCEPTION 'dupguard: % distinct keys before, % after: a key would be lost; nothing was changed', b.distinct_keys, a.distinct_keys;`,
    '  END IF;',
    '  IF a.total_rows <> b.distinct_keys THEN',
    `    RAISE EXCEPTION 'dupguard: % rows remain but there are % distinct keys; nothing was changed', a.total_rows, b.distinct_keys;`,
    '  END IF;',
    `  RAISE NOTICE 'dupguard: %: % rows before, % after, % duplicate copies removed', ${quoteLiteral(tname)}, b.total_rows, a.total_rows, b.total_rows - a.total_rows;`,
    'END',
    '',
  );
  return `DO ${dollarQuote(body)};`;
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
    `SELECT EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(${idxLit}) AND NOT indisvalid) AS dupguard_invalid_index \\gset`,
    '\\if :dupguard_invalid_index',
    `DROP INDEX CONCURRENTLY ${idx};`,
    '\\endif',
    '-- CONCURRENTLY lets reads and writes go on while the index is built; it cannot run in a transaction.',
    '-- If it fails (a duplicate arrived meanwhile), psql goes on to the check below instead of stopping.',
    '\\set ON_ERROR_STOP off',
    `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(plan.constraintName)} ON ${c.tbl} (${c.keySql})${nullsClause};`,
    '\\set ON_ERROR_STOP on',
    `SELECT EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(${idxLit}) AND indisvalid) AS dupguard_index_valid \\gset`,
    '\\if :dupguard_index_valid',
    '-- The finished index becomes the constraint (a quick catalog change, no second build).',
    `ALTER TABLE ${c.tbl} ADD CONSTRAINT ${quoteIdent(plan.constraintName)} UNIQUE USING INDEX ${quoteIdent(plan.constraintName)};`,
    '\\else',
    `DROP INDEX CONCURRENTLY IF EXISTS ${idx};`,
    `DO ${dollarQuote(` BEGIN RAISE EXCEPTION '%', ${fail}; END `)};`,
    '\\endif',
  );
}

function header(c: Ctx, plan: MigrationPlan, title: string, now: Date): string {
  const tname = `${c.t.schema}.${c.t.name}`;
  return lines(
    `-- ${title} for ${commentSafe(tname)}`,
    `-- Generated by dupguard at ${now.toISOString()}.`,
    `-- Key: (${commentSafe(c.key.join(', '))}); NULL key values: ${plan.nullKeys === 'not-distinct' ? 'equal to each other (rows differing only by NULLs are duplicates; UNIQUE NULLS NOT DISTINCT)' : 'never equal (rows with a NULL key column are all kept; plain UNIQUE)'}.`,
    `-- Keeps: the ${commentSafe(plan.keep.description)}.`,
    `-- Strategy: ${plan.strategy} (${plan.strategyReason}).`,
    `-- Constraint: ${commentSafe(plan.constraintName)} (${plan.indexBuild === 'concurrent' ? 'index built CONCURRENTLY after the dedup commits' : 'added inside the dedup transaction'}).`,
    `-- backup: ${commentSafe(plan.backup.qualified)}`,
    ...plan.warnings.map((w) => `-- Note: ${commentSafe(w)}`),
  );
}

function renderScript(c: Ctx, plan: MigrationPlan, mode: 'psql' | 'dry-run', nullsClause: string, now: Date): string {
  const psql = mode === 'psql';
  const lock = plan.strategy === 'rebuild' || plan.indexBuild === 'in-transaction' ? 'ACCESS EXCLUSIVE' : 'SHARE ROW EXCLUSIVE';
  const childLock = plan.strategy === 'rebuild' ? 'ACCESS EXCLUSIVE' : 'SHARE ROW EXCLUSIVE';
  const out: (string | false | undefined)[] = [
    header(c, plan, 'dupguard dedup migration', now),
    psql && '--',
    psql && '-- Run with: psql -v ON_ERROR_STOP=1 -f <this file>. Stop the programs that write to the table first.',
    psql && '-- Undo with the rollback at the end of this file (or `dupguard migrate ... --rollback`).',
    '',
    psql && '\\set ON_ERROR_STOP on',
    psql && 'BEGIN;',
    '',
    '-- Step 0: make sure the table is still the one this script was written for, and hold it still.',
    c.pg && '-- Give up after 30 s instead of queueing behind a long transaction (and blocking everyone behind us).',
    c.pg && "SET LOCAL lock_timeout = '30s';",
    c.pg && `-- ${lock === 'ACCESS EXCLUSIVE' ? 'Nobody reads or writes the table until COMMIT' : 'Readers go on; writers wait until COMMIT'}.`,
    c.pg && `LOCK TABLE ${c.src} IN ${lock} MODE;`,
    ...(c.pg ? c.fks.map((f) => `LOCK TABLE ${f.child} IN ${childLock} MODE;`) : []),
    !c.pg && '-- YugabyteDB: LOCK TABLE is not available; make sure nothing writes to the table meanwhile.',
    guardSql(c, plan, false),
    '',
    '-- Step 1: count before. distinct_keys is how many rows must remain; duplicate_groups how many keys have copies.',
    'CREATE TEMP TABLE dupguard_before ON COMMIT DROP AS',
    countsSql(c) + ';',
    "SELECT 'before' AS step, total_rows, distinct_keys, duplicate_groups, total_rows - distinct_keys AS copies_to_remove FROM dupguard_before;",
    '',
    '-- Step 2: back up every row of the table, unchanged, in the same transaction as the dedup.',
    '-- It stays after COMMIT so the rollback can restore the table exactly; drop it once you are sure.',
    `CREATE TABLE ${plan.backup.qualified} AS SELECT * FROM ${c.src};`,
    `COMMENT ON TABLE ${plan.backup.qualified} IS ${quoteLiteral(`dupguard backup of ${c.t.schema}.${c.t.name} taken ${now.toISOString()} before removing duplicates on (${c.key.join(', ')})`)};`,
    '',
  ];
  if (c.fks.length) {
    out.push(
      '-- Step 3: rows of other tables that reference a copy about to be removed are moved to the kept',
      '-- row of the same key, so no reference breaks and no ON DELETE action fires.',
      ...c.fks.map((f, i) => repointSql(c, f, i)),
      '',
    );
  } else {
    out.push('-- Step 3: no foreign key of another table points at this table: no references to move.', '');
  }
  if (plan.strategy === 'delete') {
    out.push(
      `-- Step 4: delete every copy but the one kept per key (${commentSafe(plan.keep.description)}).`,
      '-- ON DELETE triggers of the table fire for each deleted copy, as for any delete.',
      deleteSql(c),
      '',
    );
  } else {
    out.push(
      '-- Step 4: rebuild: keep one row per key, empty the table and load the kept rows back.',
      `-- Kept per key: the ${commentSafe(plan.keep.description)}.`,
      rebuildSql(c),
      '',
    );
  }
  out.push(
    '-- Step 5: prove the result before committing: no key has copies, every key is still there,',
    '-- the table holds exactly one row per key, and the backup holds every original row.',
    '-- Any failure raises an error, and the whole transaction (backup included) is undone.',
    postValidationSql(c, plan),
    "SELECT 'after' AS step, total_rows, distinct_keys, duplicate_groups FROM (",
    countsSql(c),
    ') AS after_counts;',
    '',
  );
  if (!psql) {
    // The dry run adds the constraint itself (plan.constraintSql) so it can tell the two failures apart.
  } else if (plan.indexBuild === 'in-transaction') {
    out.push(
      '-- Step 6: the unique constraint, so the database itself refuses new copies from now on.',
      uniqueInTxSql(c, plan, nullsClause),
      '',
      psql && 'COMMIT;',
    );
  } else {
    out.push(
      psql && 'COMMIT;',
      '',
      '-- Step 6: the unique constraint, so the database itself refuses new copies from now on.',
      concurrentSql(c, plan, nullsClause),
    );
  }
  if (psql) {
    out.push(
      '',
      '-- Step 7: fresh statistics for the planner (cheap: it samples).',
      `ANALYZE ${c.tbl};`,
      plan.strategy === 'delete'
        ? '-- The deleted copies are dead rows until vacuumed; VACUUM (ANALYZE) runs alongside normal traffic:'
        : '-- The rebuild left the table compact; VACUUM (ANALYZE) also refreshes the visibility map for index-only scans:',
      `--   VACUUM (ANALYZE) ${commentSafe(c.tbl)};`,
      '-- VACUUM FULL would also give the space back to the operating system, but locks the table while it rewrites it.',
      `-- Once the table has run well for a while, drop the backup: DROP TABLE ${commentSafe(plan.backup.qualified)};`,
      '',
      '-- ------------------------------------------------------------------------------------------',
      '-- ROLLBACK (restores the original rows exactly from the backup). Save it as its own file,',
      '-- remove the leading "-- " and run it with psql, or run `dupguard migrate ... --rollback`.',
      '-- ------------------------------------------------------------------------------------------',
      ...plan.rollback.split('\n').map((l) => (l ? `-- ${l}` : '--')),
    );
  }
  return lines(...out) + '\n';
}

function renderRollback(c: Ctx, plan: MigrationPlan, mode: 'psql' | 'dry-run'): string {
  const psql = mode === 'psql';
  const { cols, overriding } = insertColumns(c);
  const now = c.opts.now ?? new Date();
  const out: (string | false | undefined)[] = [
    header(c, plan, 'dupguard rollback', now),
    '-- Puts back every row the table had before the dedup, exactly as the backup holds them. Changes',
    '-- made to the table after the migration are lost: the table becomes the backup again.',
    '',
    psql && '\\set ON_ERROR_STOP on',
    psql && 'BEGIN;',
    c.pg && "SET LOCAL lock_timeout = '30s';",
    c.pg && `LOCK TABLE ${c.src} IN ACCESS EXCLUSIVE MODE;`,
    guardSql(c, plan, true),
    '',
    '-- The unique constraint would refuse the copies coming back: remove it (and its index if only that exists).',
    `ALTER TABLE ${c.tbl} DROP CONSTRAINT IF EXISTS ${quoteIdent(plan.constraintName)};`,
    `DROP INDEX IF EXISTS ${quoteQualified(c.t.schema, plan.constraintName)};`,
    ...c.fks.flatMap((f) => [
      `-- TRUNCATE refuses while ${commentSafe(`${f.fk.schema}.${f.fk.table}`)} references the table: drop its foreign key, re-add it at the end.`,
      `ALTER TABLE ${f.child} DROP CONSTRAINT IF EXISTS ${quoteIdent(f.fk.name)};`,
    ]),
    '-- Reloading must not fire user triggers: switch the enabled ones off and restore them after.',
    triggersOff(c),
    `TRUNCATE ${c.src};`,
    `INSERT INTO ${c.tbl} (${cols})${overriding}`,
    `  SELECT ${cols} FROM ${plan.backup.qualified};`,
    triggersOn(c),
    ...c.fks.flatMap((f) => {
      const rb = f.refBackup;
      const parts: string[] = [];
      // A self-reference comes back with the reload itself (the backup holds the original values).
      const self = f.fk.schema === c.t.schema && f.fk.table === c.t.name;
      if (rb && !self) {
        const set = f.columns.map((col, i) => `${quoteIdent(col)} = r.old${i + 1}`).join(', ');
        const match = f.columns.map((col, i) => `dupguard_child.${quoteIdent(col)} = r.new${i + 1}`).join(' AND ');
        parts.push(
          `-- References of ${commentSafe(`${f.fk.schema}.${f.fk.table}`)} that the migration moved go back to the copies they named.`,
          '-- A referencing row updated since then is left as it is (its position or value no longer matches).',
          `UPDATE ${f.child} AS dupguard_child SET ${set}`,
          `FROM ${rb.qualified} AS r`,
          `WHERE dupguard_child.tableoid = r.child_tableoid AND dupguard_child.ctid = r.child_ctid AND ${match};`,
        );
      }
      parts.push(`ALTER TABLE ${f.child} ADD CONSTRAINT ${quoteIdent(f.fk.name)} ${f.fk.definition};`);
      return parts;
    }),
    `DO ${dollarQuote(lines(
      '',
      'DECLARE n bigint; b bigint;',
      'BEGIN',
      `  SELECT count(*) INTO n FROM ${c.src};`,
      `  SELECT count(*) INTO b FROM ${plan.backup.qualified};`,
      `  IF n <> b THEN RAISE EXCEPTION 'dupguard: rollback restored % rows but the backup holds %; nothing was changed', n, b; END IF;`,
      `  RAISE NOTICE 'dupguard: %: % rows restored from the backup', ${quoteLiteral(`${c.t.schema}.${c.t.name}`)}, n;`,
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
