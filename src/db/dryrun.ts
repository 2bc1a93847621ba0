/**
 * Dry run of a dedup migration: the generated SQL runs for real inside one transaction that is
 * always rolled back, so the report (rows before/after, copies removed, whether the UNIQUE
 * constraint builds) comes from the database itself while no row or table changes. What a rollback
 * cannot undo is reported: sequences advanced by triggers or defaults, and the sessions that waited
 * for the locks it held. Also measures a table's duplicate ratio and reads the catalog facts the
 * generator's choices need (partition key, unindexed referencing keys, names in use). Every query
 * names pg_catalog's functions and operators explicitly, whatever the session's search_path.
 */
import type * as pg from 'pg';
import type { TableDescription } from '../core/catalog';
import { generateMigration } from '../migrate/generate';
import { quoteIdent, quoteQualified } from '../core/quote';
import { describeReferenceMoves, type KeyUnique, type MigrationOptions, type MigrationPlan, type ReferenceMove } from '../migrate/types';

/** What a dry run found. */
export interface DryRunReport {
  table: string;
  strategy: MigrationPlan['strategy'];
  /** Rows, distinct keys and duplicate groups before the dedup (undefined when the script failed before counting). */
  rowsBefore?: number;
  distinctKeys?: number;
  duplicateGroups?: number;
  /** Rows after the dedup and copies removed (undefined when the dedup failed). */
  rowsAfter?: number;
  rowsDeleted?: number;
  /** References of other tables that would move to the kept row (0 when the run stopped before moving them). */
  referencesMoved: number;
  /** Per referencing foreign key, the child rows keeping one row per key would re-point and the distinct copies they pointed at (counted read-only before the run; undefined: not counted). */
  referenceMoves?: ReferenceMove[];
  /** References would move and `mergeReferences` was not given: the migration is refused, and the dry run did not run it. */
  mergeRequired: boolean;
  /** True when the dedup (with its own validation) succeeded. */
  dedupOk: boolean;
  /** True when the UNIQUE constraint was added successfully after the dedup. */
  constraintBuilds: boolean;
  /** The first error, with the step it came from. */
  error?: string;
  /** NOTICE messages from the script (dupguard's own summaries). */
  notices: string[];
  durationMs: number;
  /** True when the caller aborted: the running statement was cancelled on the server and everything rolled back. */
  cancelled?: boolean;
  /** The lock the dry run held on the table until its rollback, and for how long. */
  lock: { mode: 'ACCESS EXCLUSIVE'; heldMs: number };
  /** Other sessions that were waiting for the dry run's locks when it rolled back (undefined: could not be read). */
  sessionsBlocked?: number;
  /** Sequences that moved during the dry run: a rollback does not take nextval() back. */
  sequencesAdvanced: { sequence: string; before: string | null; after: string | null }[];
  /** Foreign keys pointing at the table, with what deleting the copies costs in each referencing table. */
  foreignKeys: ForeignKeyCost[];
  /**
   * The plain UNIQUE the migration replaces by the NULLS NOT DISTINCT one of the same name, and the
   * foreign keys it drops and re-creates around the swap (undefined: the migration adds a new key).
   */
  replaces?: { key: string; foreignKeys: string[] };
}

/** A referencing foreign key and the cost of the lookups each deleted copy makes in its table. */
export interface ForeignKeyCost {
  foreignKey: string;
  child: string;
  columns: string[];
  /** A valid btree index leads with the referencing columns. */
  indexed: boolean;
  /** Estimated rows of the referencing table (planner statistics; undefined when never analyzed). */
  childRows?: number;
  /** The delete builds a temporary index on the referencing columns (and drops it before COMMIT). */
  temporaryIndex: boolean;
  /** Without an index: rows read by the per-copy lookups (copies x referencing rows), the quadratic cost avoided. */
  rowReadsWithoutIndex?: number;
}

/** Catalog facts the generator's choices need, read once before generating. */
export interface MigrationFacts {
  /** Partition key columns (null for an expression); undefined for a table that is not partitioned. */
  partitionKey?: (string | null)[];
  /** `schema.table.name` of the referencing foreign keys no valid btree index leads with. */
  unindexedForeignKeys: string[];
  foreignKeys: { foreignKey: string; child: string; columns: string[]; indexed: boolean; childRows?: number }[];
  /** The equality operator of each foreign key per column (`schema.op`, from conpfeqop), keyed like unindexedForeignKeys. */
  foreignKeyOperators: Record<string, string[]>;
  /** Relation names in the table's schema. */
  takenNames: string[];
  /** The unique keys over exactly the key columns (only when options with a key were given). */
  keyUniques?: KeyUnique[];
  /**
   * What keeping one row per key would re-point, per referencing foreign key (only when options with
   * a key were given; undefined when counting took longer than its time limit, or no key was given).
   */
  referenceMoves?: ReferenceMove[];
}

/** Lets the caller stop a dry run: abort the signal, and `cancel` is sent to the server for the running statement. */
export interface DryRunControl {
  signal?: AbortSignal;
  /** Cancels the statement running on this connection (DbSession.cancel: a CancelRequest on a new socket). */
  cancel?: () => Promise<void>;
}

class Cancelled extends Error {
  constructor() { super('dry run cancelled'); }
}

/**
 * Reads the partition key, the referencing foreign keys with their index coverage, and the relation
 * names in use; given the migration's options (key, keep, order...), also counts the references it
 * would re-point (a read-only transaction: call it outside one).
 */
export async function migrationFacts(client: pg.ClientBase, table: TableDescription, options?: MigrationOptions, timeoutMs = 120_000): Promise<MigrationFacts> {
  const reg = quoteQualified(table.schema, table.name);
  const part = await client.query<{ name: string | null }>(
    `SELECT a.attname::pg_catalog.text AS name
       FROM pg_catalog.pg_partitioned_table AS p
       CROSS JOIN LATERAL pg_catalog.unnest(p.partattrs::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, ord)
       LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid OPERATOR(pg_catalog.=) p.partrelid AND a.attnum OPERATOR(pg_catalog.=) k.attnum AND k.attnum OPERATOR(pg_catalog.<>) 0
      WHERE p.partrelid OPERATOR(pg_catalog.=) $1::pg_catalog.text::pg_catalog.regclass
      ORDER BY k.ord`, [reg]);
  const fks = await client.query<{ schema: string; table: string; name: string; columns: string[]; ops: string[]; indexed: boolean; rows: string | null }>(
    `SELECT n.nspname::pg_catalog.text AS schema, r.relname::pg_catalog.text AS table, c.conname::pg_catalog.text AS name,
            ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_catalog.pg_attribute AS a ON a.attrelid OPERATOR(pg_catalog.=) c.conrelid AND a.attnum OPERATOR(pg_catalog.=) k.attnum ORDER BY k.ord) AS columns,
            ARRAY(SELECT pg_catalog.concat(s.nspname::pg_catalog.text, '.', o.oprname::pg_catalog.text)
                    FROM pg_catalog.unnest(c.conpfeqop) WITH ORDINALITY AS e(op, ord)
                    JOIN pg_catalog.pg_operator AS o ON o.oid OPERATOR(pg_catalog.=) e.op
                    JOIN pg_catalog.pg_namespace AS s ON s.oid OPERATOR(pg_catalog.=) o.oprnamespace ORDER BY e.ord) AS ops,
            EXISTS (SELECT 1 FROM pg_catalog.pg_index AS i
                      JOIN pg_catalog.pg_class AS ic ON ic.oid OPERATOR(pg_catalog.=) i.indexrelid
                      JOIN pg_catalog.pg_am AS am ON am.oid OPERATOR(pg_catalog.=) ic.relam
                     WHERE i.indrelid OPERATOR(pg_catalog.=) c.conrelid AND i.indisvalid AND i.indpred IS NULL AND am.amname OPERATOR(pg_catalog.=) 'btree'
                       AND i.indnkeyatts OPERATOR(pg_catalog.>=) pg_catalog.cardinality(c.conkey)
                       AND (SELECT pg_catalog.array_agg(x ORDER BY x) FROM pg_catalog.unnest((i.indkey::pg_catalog.int2[])[0:pg_catalog.cardinality(c.conkey) OPERATOR(pg_catalog.-) 1]) AS x)
                           OPERATOR(pg_catalog.=) (SELECT pg_catalog.array_agg(x ORDER BY x) FROM pg_catalog.unnest(c.conkey) AS x)) AS indexed,
            CASE WHEN r.relkind OPERATOR(pg_catalog.=) 'p'
                 THEN (SELECT pg_catalog.sum(pc.reltuples) FILTER (WHERE pc.reltuples OPERATOR(pg_catalog.>=) 0) FROM pg_catalog.pg_partition_tree(r.oid) AS t JOIN pg_catalog.pg_class AS pc ON pc.oid OPERATOR(pg_catalog.=) t.relid::pg_catalog.oid WHERE t.isleaf)
                 WHEN r.reltuples OPERATOR(pg_catalog.>=) 0 THEN r.reltuples::pg_catalog.numeric END::pg_catalog.text AS rows
       FROM pg_catalog.pg_constraint AS c
       JOIN pg_catalog.pg_class AS r ON r.oid OPERATOR(pg_catalog.=) c.conrelid
       JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) r.relnamespace
      WHERE c.confrelid OPERATOR(pg_catalog.=) $1::pg_catalog.text::pg_catalog.regclass AND c.contype OPERATOR(pg_catalog.=) 'f' AND c.conparentid OPERATOR(pg_catalog.=) 0
      ORDER BY 1, 2, 3`, [reg]);
  const names = await client.query<{ name: string }>(
    `SELECT relname::pg_catalog.text AS name FROM pg_catalog.pg_class
      WHERE relnamespace OPERATOR(pg_catalog.=) (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid OPERATOR(pg_catalog.=) $1::pg_catalog.text::pg_catalog.regclass)`, [reg]);
  const foreignKeys = fks.rows.map((f) => ({
    foreignKey: `${f.schema}.${f.table}.${f.name}`, child: `${f.schema}.${f.table}`, columns: f.columns, indexed: f.indexed,
    childRows: f.rows === null ? undefined : Math.round(Number(f.rows)),
  }));
  const facts: MigrationFacts = {
    partitionKey: part.rows.length ? part.rows.map((r) => r.name) : undefined,
    unindexedForeignKeys: foreignKeys.filter((f) => !f.indexed).map((f) => f.foreignKey),
    foreignKeys,
    foreignKeyOperators: Object.fromEntries(fks.rows.map((f) => [`${f.schema}.${f.table}.${f.name}`, f.ops])),
    takenNames: names.rows.map((r) => r.name),
  };
  if (options?.key?.length) {
    facts.keyUniques = await keyUniqueFacts(client, table, options.key);
    facts.referenceMoves = await countReferenceMoves(client, table, withFacts(options, facts), timeoutMs);
  }
  return facts;
}

/**
 * The unique constraints, unique indexes and exclusion constraints of the table whose key columns
 * are exactly `key` (in any order), with what re-creating one exactly takes: INCLUDE columns,
 * storage parameters, tablespace, deferrability, comments, cluster mark and replica identity, the
 * foreign keys that depend on its index (their pg_get_constraintdef and comment), and anything else
 * that depends on the index or its constraint (pg_describe_object), which dupguard cannot re-create.
 */
export async function keyUniqueFacts(client: pg.ClientBase, table: TableDescription, key: string[]): Promise<KeyUnique[]> {
  const reg = quoteQualified(table.schema, table.name);
  const v = await client.query<{ n: string }>("SELECT pg_catalog.current_setting('server_version_num') AS n");
  const nnd = Number(v.rows[0].n) >= 150000 ? 'i.indnullsnotdistinct' : 'false';
  const eq = 'OPERATOR(pg_catalog.=)';
  const r = await client.query<{
    name: string; index_name: string; contype: string | null; primary: boolean; nnd: boolean; predicate: string | null; expression: boolean;
    columns: string[]; include: string[]; options: string[] | null; tablespace: string | null; method: string;
    deferrable: boolean | null; deferred: boolean | null; indexdef: string; clustered: boolean; replident: boolean;
    comment: string | null; index_comment: string | null; partitioned: boolean;
    fks: { schema: string; table: string; name: string; definition: string; comment: string | null }[]; others: string[];
  }>(
    `SELECT coalesce(con.conname, ic.relname)::pg_catalog.text AS name, ic.relname::pg_catalog.text AS index_name, con.contype::pg_catalog.text AS contype,
            i.indisprimary AS primary, ${nnd} AS nnd, pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS predicate,
            (i.indexprs IS NOT NULL) AS expression,
            ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.generate_series(0, i.indnkeyatts OPERATOR(pg_catalog.-) 1) AS k
                    JOIN pg_catalog.pg_attribute AS a ON a.attrelid ${eq} i.indrelid AND a.attnum ${eq} i.indkey[k] ORDER BY k) AS columns,
            ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.generate_series(i.indnkeyatts, i.indnatts OPERATOR(pg_catalog.-) 1) AS k
                    JOIN pg_catalog.pg_attribute AS a ON a.attrelid ${eq} i.indrelid AND a.attnum ${eq} i.indkey[k] ORDER BY k) AS include,
            ic.reloptions::pg_catalog.text[] AS options,
            (SELECT ts.spcname::pg_catalog.text FROM pg_catalog.pg_tablespace AS ts WHERE ts.oid ${eq} ic.reltablespace) AS tablespace,
            am.amname::pg_catalog.text AS method, con.condeferrable AS deferrable, con.condeferred AS deferred,
            pg_catalog.pg_get_indexdef(i.indexrelid) AS indexdef, i.indisclustered AS clustered, i.indisreplident AS replident,
            pg_catalog.obj_description(con.oid, 'pg_constraint') AS comment, pg_catalog.obj_description(ic.oid, 'pg_class') AS index_comment,
            (t.relkind ${eq} 'p') AS partitioned,
            (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('schema', n.nspname, 'table', fr.relname, 'name', f.conname,
                      'definition', pg_catalog.pg_get_constraintdef(f.oid), 'comment', pg_catalog.obj_description(f.oid, 'pg_constraint'))
                      ORDER BY n.nspname, fr.relname, f.conname), '[]')
               FROM pg_catalog.pg_constraint AS f
               JOIN pg_catalog.pg_class AS fr ON fr.oid ${eq} f.conrelid JOIN pg_catalog.pg_namespace AS n ON n.oid ${eq} fr.relnamespace
              WHERE f.contype ${eq} 'f' AND f.conparentid ${eq} 0 AND f.conindid ${eq} i.indexrelid) AS fks,
            ARRAY(SELECT DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)
                    FROM pg_catalog.pg_depend AS d
                   WHERE ((d.refclassid ${eq} 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid ${eq} i.indexrelid)
                       OR (con.oid IS NOT NULL AND d.refclassid ${eq} 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.refobjid ${eq} con.oid))
                     AND d.deptype OPERATOR(pg_catalog.<>) ALL (ARRAY['i', 'P', 'S']::pg_catalog."char"[])
                     AND NOT (d.classid ${eq} 'pg_catalog.pg_constraint'::pg_catalog.regclass
                              AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS f WHERE f.oid ${eq} d.objid AND f.contype ${eq} 'f'))
                   ORDER BY 1) AS others
       FROM pg_catalog.pg_index AS i
       JOIN pg_catalog.pg_class AS ic ON ic.oid ${eq} i.indexrelid
       JOIN pg_catalog.pg_class AS t ON t.oid ${eq} i.indrelid
       JOIN pg_catalog.pg_am AS am ON am.oid ${eq} ic.relam
       LEFT JOIN pg_catalog.pg_constraint AS con ON con.conindid ${eq} i.indexrelid AND con.conrelid ${eq} i.indrelid AND con.contype OPERATOR(pg_catalog.=) ANY (ARRAY['p', 'u', 'x']::pg_catalog."char"[])
      WHERE i.indrelid ${eq} $1::pg_catalog.text::pg_catalog.regclass AND (i.indisunique OR con.contype ${eq} 'x')
      ORDER BY 1`, [reg]);
  const same = (cols: string[]) => cols.length === key.length && cols.every((c) => key.includes(c));
  return r.rows.filter((x) => !x.expression && same(x.columns)).map((x): KeyUnique => ({
    kind: x.contype === 'p' ? 'primary' : x.contype === 'x' ? 'exclusion' : x.contype === 'u' ? 'constraint' : 'index',
    name: x.name, indexName: x.index_name, columns: x.columns, expression: x.expression,
    ...(x.predicate !== null ? { predicate: x.predicate } : {}),
    nullsNotDistinct: x.nnd, include: x.include, options: x.options ?? [],
    ...(x.tablespace !== null ? { tablespace: x.tablespace } : {}),
    method: x.method, deferrable: !!x.deferrable, initiallyDeferred: !!x.deferred, indexDefinition: x.indexdef,
    clustered: x.clustered, replicaIdentity: x.replident,
    ...(x.comment !== null ? { comment: x.comment } : {}),
    ...(x.index_comment !== null ? { indexComment: x.index_comment } : {}),
    partitioned: x.partitioned,
    foreignKeys: x.fks.map((f) => ({ schema: f.schema, table: f.table, name: f.name, definition: f.definition, ...(f.comment !== null ? { comment: f.comment } : {}) })),
    otherDependants: x.others,
  }));
}

/** The options with the catalog facts filled in where the caller gave none. */
function withFacts(options: MigrationOptions, facts: MigrationFacts | undefined): MigrationOptions {
  return {
    ...options,
    partitionKey: options.partitionKey ?? facts?.partitionKey,
    unindexedForeignKeys: options.unindexedForeignKeys ?? facts?.unindexedForeignKeys,
    takenNames: options.takenNames ?? facts?.takenNames,
    foreignKeyOperators: options.foreignKeyOperators ?? facts?.foreignKeyOperators,
    keyUniques: options.keyUniques ?? facts?.keyUniques,
  };
}

/**
 * Counts, per referencing foreign key, the child rows keeping one row per key would re-point and the
 * distinct copies they point at, with the generator's own choice of kept row. One SELECT in a
 * READ ONLY transaction, no values in the text (the foreign keys come back by position); undefined
 * when it takes longer than `timeoutMs`.
 */
export async function countReferenceMoves(client: pg.ClientBase, table: TableDescription, options: MigrationOptions, timeoutMs = 120_000): Promise<ReferenceMove[] | undefined> {
  const plan = generateMigration(table, { ...options, mergeReferences: true, referenceMoves: undefined, mode: 'dry-run', indexBuild: 'in-transaction' });
  if (!plan.referenceMovesQuery) return [];
  await client.query('BEGIN READ ONLY');
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    const r = await client.query<{ fk: number; rows: string; parents: string }>(plan.referenceMovesQuery);
    const byFk = new Map(r.rows.map((x) => [Number(x.fk), x]));
    return plan.repointedForeignKeys.map((id, i) => {
      const fk = (table.referencedBy ?? []).find((f) => `${f.schema}.${f.table}.${f.name}` === id)!;
      const row = byFk.get(i);
      return { foreignKey: id, child: `${fk.schema}.${fk.table}`, rows: Number(row?.rows ?? 0), distinctParents: Number(row?.parents ?? 0) };
    });
  } catch (e) {
    if ((e as { code?: string }).code === '57014') return undefined; // statement_timeout
    throw e;
  } finally {
    await client.query('ROLLBACK').catch(() => {});
  }
}

/**
 * Runs the migration for `table` in a transaction that is rolled back. The connection must be able
 * to write (nothing is committed). Never throws for SQL errors: they are reported. Aborting
 * `control.signal` cancels the running statement on the server (so no lock outlives the dry run),
 * rolls back and returns a report with `cancelled` set.
 */
export async function dryRunMigration(client: pg.ClientBase, table: TableDescription, options: MigrationOptions, control: DryRunControl = {}): Promise<DryRunReport> {
  const started = Date.now();
  const notices: string[] = [];
  const onNotice = (n: { message?: string }) => { if (n.message) notices.push(n.message); };
  const { signal } = control;
  let active: Promise<unknown> | undefined;

  /** One statement; on abort, asks the server to cancel it until it ends (a cancel that arrives before the statement starts is lost). */
  const q = async <R extends pg.QueryResultRow>(sql: string): Promise<pg.QueryResult<R>> => {
    if (signal?.aborted) throw new Cancelled();
    const p = client.query<R>(sql);
    active = p;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      const send = () => {
        if (active !== p) return;
        void control.cancel?.().catch(() => {});
        timer = setTimeout(send, 250);
      };
      send();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const r = await p;
      if (signal?.aborted) throw new Cancelled();
      return r;
    } catch (e) {
      throw signal?.aborted ? new Cancelled() : e;
    } finally {
      active = undefined;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  };

  const facts = options.flavour === 'yugabyte' ? undefined : await migrationFacts(client, table);
  if (facts && !options.keyUniques) facts.keyUniques = await keyUniqueFacts(client, table, options.key);
  const base = withFacts({ ...options, mode: 'dry-run', indexBuild: 'in-transaction' }, facts);
  // What the migration would re-point, counted read-only before anything is locked (given moves are
  // taken as they are). Refused without mergeReferences: the dry run reports the counts and does
  // not run the migration, exactly as the generator and the script would refuse it.
  const moves = options.referenceMoves ?? (facts ? await countReferenceMoves(client, table, base) : undefined);
  const mergeRequired = !options.mergeReferences && !!moves?.some((m) => m.rows > 0);
  const plan = generateMigration(table, { ...base, referenceMoves: mergeRequired ? undefined : moves, mergeReferences: mergeRequired ? true : options.mergeReferences });
  const report: DryRunReport = {
    table: `${table.schema}.${table.name}`, strategy: plan.strategy, referencesMoved: 0, referenceMoves: moves, mergeRequired,
    dedupOk: false, constraintBuilds: false, notices, durationMs: 0,
    lock: { mode: 'ACCESS EXCLUSIVE', heldMs: 0 }, sequencesAdvanced: [],
    foreignKeys: (facts?.foreignKeys ?? []).map((f) => ({ ...f, temporaryIndex: plan.temporaryIndexes.some((t) => t.foreignKey === f.foreignKey) })),
    ...(plan.replaces ? { replaces: { key: plan.replaces.description, foreignKeys: plan.replaces.foreignKeys } } : {}),
  };
  if (mergeRequired) {
    report.error = `references: ${describeReferenceMoves(moves!)}; pass --merge-references to accept (the rows they pointed at may be separate things that look alike, not copies). The migration was not run.`;
    report.lock.heldMs = 0;
    report.durationMs = Date.now() - started;
    return report;
  }
  const sequences = async () => {
    const r = await client.query<{ name: string; v: string | null }>(
      `SELECT pg_catalog.concat(pg_catalog.quote_ident(schemaname::pg_catalog.text), '.', pg_catalog.quote_ident(sequencename::pg_catalog.text)) AS name, last_value::pg_catalog.text AS v
         FROM pg_catalog.pg_sequences`);
    return new Map(r.rows.map((x) => [x.name, x.v]));
  };
  const seqBefore = await sequences().catch(() => undefined);
  client.on('notice', onNotice);
  let locked = 0;
  try {
    await q('BEGIN');
    locked = Date.now();
    try {
      await q(plan.script);
      report.dedupOk = true;
    } catch (e) {
      if (e instanceof Cancelled) throw e;
      report.error = `dedup: ${messageOf(e)}`;
    }
    if (report.dedupOk) {
      const before = await q<{ total_rows: string; distinct_keys: string; duplicate_groups: string }>('SELECT * FROM pg_temp.dupguard_before');
      const b = before.rows[0];
      report.rowsBefore = Number(b.total_rows);
      report.distinctKeys = Number(b.distinct_keys);
      report.duplicateGroups = Number(b.duplicate_groups);
      const after = await q<{ n: string }>(`SELECT pg_catalog.count(*) AS n FROM ${table.kind === 'p' ? '' : 'ONLY '}${quoteQualified(table.schema, table.name)}`);
      report.rowsAfter = Number(after.rows[0].n);
      report.rowsDeleted = report.rowsBefore - report.rowsAfter;
      for (const rb of plan.referenceBackups) {
        const r = await q<{ n: string }>(`SELECT pg_catalog.count(*) AS n FROM ${rb.qualified}`);
        report.referencesMoved += Number(r.rows[0].n);
      }
      await q('SAVEPOINT dupguard_constraint');
      try {
        await q(plan.constraintSql);
        report.constraintBuilds = true;
      } catch (e) {
        if (e instanceof Cancelled) throw e;
        report.error = `constraint: ${messageOf(e)}`;
        await q('ROLLBACK TO SAVEPOINT dupguard_constraint');
      }
      // Who queued behind this transaction's locks meanwhile (a rollback frees them, it does not undo the wait).
      const w = await q<{ n: string }>(
        `SELECT pg_catalog.count(*) AS n FROM pg_catalog.pg_stat_activity
          WHERE pg_catalog.pg_backend_pid() OPERATOR(pg_catalog.=) ANY (pg_catalog.pg_blocking_pids(pid))`);
      report.sessionsBlocked = Number(w.rows[0].n);
    }
  } catch (e) {
    if (!(e instanceof Cancelled)) throw e;
    report.cancelled = true;
    report.error = 'cancelled: the running statement was cancelled on the server and everything rolled back';
  } finally {
    // Whatever happened, nothing stays.
    await client.query('ROLLBACK').catch(() => {});
    if (locked) report.lock.heldMs = Date.now() - locked;
    client.removeListener('notice', onNotice);
  }
  const seqAfter = seqBefore && await sequences().catch(() => undefined);
  if (seqBefore && seqAfter) {
    for (const [name, v] of seqAfter) {
      const was = seqBefore.get(name) ?? null;
      if (v !== was) report.sequencesAdvanced.push({ sequence: name, before: was, after: v });
    }
  }
  const copies = report.rowsBefore !== undefined && report.distinctKeys !== undefined ? report.rowsBefore - report.distinctKeys : undefined;
  for (const f of report.foreignKeys) {
    if (!f.indexed && copies !== undefined && f.childRows !== undefined) f.rowReadsWithoutIndex = copies * f.childRows;
  }
  report.durationMs = Date.now() - started;
  return report;
}

/** Rows, distinct keys and duplicate groups of a table for a key (exact; one read-only GROUP BY pass). */
export interface DuplicateMeasure {
  rows: number;
  distinctKeys: number;
  duplicateGroups: number;
  /** rows / distinctKeys (1 when empty). */
  ratio: number;
}

/**
 * Counts a key's duplicates in a read-only transaction, giving up after `timeoutMs` (undefined then).
 * NULLs count as equal, as the default NULLS NOT DISTINCT constraint does.
 */
export async function measureDuplicates(client: pg.ClientBase, table: TableDescription, key: string[], timeoutMs = 120_000): Promise<DuplicateMeasure | undefined> {
  const src = `${table.kind === 'p' ? '' : 'ONLY '}${quoteQualified(table.schema, table.name)}`;
  await client.query('BEGIN READ ONLY');
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    const r = await client.query<{ rows: string; keys: string; dups: string }>(
      `SELECT coalesce(pg_catalog.sum(n), 0) AS rows, pg_catalog.count(*) AS keys, pg_catalog.count(*) FILTER (WHERE n OPERATOR(pg_catalog.>) 1) AS dups
         FROM (SELECT pg_catalog.count(*) AS n FROM ${src} GROUP BY ${key.map(quoteIdent).join(', ')}) g`);
    const rows = Number(r.rows[0].rows);
    const keys = Number(r.rows[0].keys);
    return { rows, distinctKeys: keys, duplicateGroups: Number(r.rows[0].dups), ratio: keys ? rows / keys : 1 };
  } catch (e) {
    if ((e as { code?: string }).code === '57014') return undefined; // statement_timeout
    throw e;
  } finally {
    await client.query('ROLLBACK').catch(() => {});
  }
}

/** Backup tables the generated migrations left for `schema.table`, newest first (by the time in their comment). */
export async function findBackups(client: pg.ClientBase, schema: string, table: string): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    `SELECT c.relname::pg_catalog.text AS name FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
      WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relkind OPERATOR(pg_catalog.=) 'r' AND pg_catalog.obj_description(c.oid, 'pg_class') OPERATOR(pg_catalog.~~) $2
      ORDER BY pg_catalog.obj_description(c.oid, 'pg_class') DESC, c.relname DESC`,
    [schema, `dupguard backup of ${likeEscape(`${schema}.${table}`)} taken %`]);
  return r.rows.map((x) => x.name);
}

/** The comment a migration left on its backup table (what it did, when), or undefined. */
export async function backupComment(client: pg.ClientBase, schema: string, backup: string): Promise<string | undefined> {
  const r = await client.query<{ c: string | null }>(
    `SELECT pg_catalog.obj_description(c.oid, 'pg_class') AS c FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
      WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relname OPERATOR(pg_catalog.=) $2`, [schema, backup]);
  const c = r.rows[0]?.c;
  return c && c.startsWith('dupguard backup of ') ? c : undefined;
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function messageOf(e: unknown): string {
  const err = e as { message?: string; detail?: string; hint?: string };
  return [err.message ?? String(e), err.detail, err.hint].filter(Boolean).join(' ');
}
