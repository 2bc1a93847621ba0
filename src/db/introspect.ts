/**
 * Live catalog → TableDescription. One query per catalog aspect for all tables at once, so that a
 * database with hundreds of tables (or the slow embedded PGlite) costs a handful of round trips.
 */
import type * as pg from 'pg';
import type {
  ColumnDescription, ConstraintDescription, IndexDescription, ReferencingForeignKey, TableDescription, UniqueKey,
} from '../core/catalog';

/** A column as the live catalog describes it, with what the scan needs beyond the shared contract. */
export interface LiveColumnDescription extends ColumnDescription {
  /** Base type name (domains resolved; element type for arrays), e.g. `json`, `int4`. */
  baseType: string;
  /** False for types without an equality usable by GROUP BY (json, xml, point...): compare their text. */
  groupable: boolean;
  /** pg_stats.avg_width when analyzed. */
  avgWidth?: number;
  /** pg_stats.n_distinct when analyzed (negative: fraction of rows). */
  nDistinct?: number;
  /** pg_stats.null_frac when analyzed. */
  nullFrac?: number;
  /** Why the column counts as surrogate (for messages), when it does. */
  surrogateReason?: string;
  /**
   * text, varchar or char under a deterministic collation: two values are equal exactly when their
   * bytes are (char: after its trailing spaces), so grouping them under COLLATE "C" gives the same groups.
   */
  byteEqual?: boolean;
  /**
   * Casts between the column's type and text whose function another, non-superuser role wrote
   * (`public.mood_text(mood) owned by alice`): reading the column as text would run it with the
   * reading role's privileges. Not listed: pg_catalog's, superusers', the reading role's own and
   * SECURITY DEFINER functions.
   */
  foreignCode?: string[];
}

/** A table as the live catalog describes it. */
export interface LiveTableDescription extends TableDescription {
  oid: number;
  columns: LiveColumnDescription[];
  /** Number of leaf partitions of a partitioned table (scanned once through the parent). */
  partitions?: number;
  /** Name of the parent when this table is a partition. */
  partitionOf?: string;
  /** reltuples was never computed (table never analyzed or vacuumed). */
  neverAnalyzed?: boolean;
  /** Leading plain columns of each valid, non-partial btree index (up to its first expression), in index order. */
  btreeColumns?: string[][];
  /**
   * Row-level security: `enabled` (ENABLE ROW LEVEL SECURITY), `forced` (FORCE: the owner is subject to
   * it too), `active`: it applies to the role that read the catalog (pg_catalog.row_security_active),
   * so that role's queries see only the rows the policies let through. Absent when not enabled.
   */
  rowSecurity?: {
    enabled: boolean;
    forced: boolean;
    active: boolean;
    /**
     * When `active`: the functions the policies that filter the reading role's SELECTs call (directly
     * or through an operator) that another, non-superuser role wrote, as `policy p: public.f(int)
     * owned by alice`. Every read of the table would run them with the reading role's privileges.
     * pg_catalog's, superusers', the reading role's own and SECURITY DEFINER functions are not listed.
     */
    foreignCode?: string[];
  };
  /**
   * By unique key name: the functions its expressions or predicate call (directly or through an
   * operator) that would run with the privileges of the role reading the catalog although another,
   * non-superuser role wrote them (`public.f(text) owned by alice`). pg_catalog's, superusers',
   * the reading role's own and SECURITY DEFINER functions (which run as their owner) are not listed.
   */
  foreignCode?: Record<string, string[]>;
}

interface Engine { versionNum: number; yugabyte: boolean }
const engines = new WeakMap<object, Promise<Engine>>();

function engineOf(client: pg.ClientBase): Promise<Engine> {
  let e = engines.get(client);
  if (!e) {
    e = client.query<{ v: string; n: string }>(`select pg_catalog.version() as v, pg_catalog.current_setting('server_version_num') as n`).then((r) => ({
      versionNum: Number(r.rows[0].n),
      yugabyte: /-YB-|YugabyteDB/i.test(r.rows[0].v),
    }));
    engines.set(client, e);
    e.catch(() => engines.delete(client));
  }
  return e;
}

/** Types whose values have no btree/hash equality: GROUP BY on them fails, so scans compare their text. */
const NOT_GROUPABLE = new Set(['json', 'xml', 'point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle', 'txid_snapshot', 'pg_snapshot']);

const UUID_DEFAULT = /\b(gen_random_uuid|uuid_generate_v1|uuid_generate_v1mc|uuid_generate_v4|uuidv4|uuidv7|uuid_generate_v7|newid)\s*\(/i;
const TIME_DEFAULT = /^\s*\(?\s*(now\(\)|CURRENT_TIMESTAMP|LOCALTIMESTAMP|CURRENT_DATE|CURRENT_TIME|LOCALTIME|clock_timestamp\(\)|statement_timestamp\(\)|transaction_timestamp\(\)|timezone\([^)]*now\(\)\)|\('now'::text\)::)/i;

/** Why a column is made by the database for each insert (so copies of one logical row differ there), or undefined. */
export function surrogateReason(c: Pick<ColumnDescription, 'default' | 'identity' | 'generated'>): string | undefined {
  if (c.identity) return `identity column (generated ${c.identity})`;
  const d = c.default;
  if (!d || c.generated) return undefined;
  if (/^nextval\(/i.test(d.trim())) return 'serial (sequence default)';
  if (UUID_DEFAULT.test(d)) return 'uuid generated by default';
  if (TIME_DEFAULT.test(d)) return 'insert time default';
  return undefined;
}

interface Filter { schemas?: string[]; oids?: number[]; includePartitions?: boolean; excludeOids?: number[] }

const SYSTEM_SCHEMA = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;

/** Describes one table (or view). Throws when it does not exist. */
export async function describeTable(client: pg.ClientBase, schema: string, table: string): Promise<LiveTableDescription> {
  const r = await client.query<{ oid: number }>(
    `select c.oid::int8 as oid from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = $2 and c.relkind in ('r','p','v','m','f')`, [schema, table]);
  if (!r.rows.length) throw new Error(`table ${schema}.${table} not found (or not visible to this user)`);
  const out = await load(client, { oids: [Number(r.rows[0].oid)], includePartitions: true });
  return out[0];
}

/**
 * Lists tables, partitioned tables, views, materialized views and foreign tables of the given
 * schemas (all non-system schemas when absent), fully described. Partitions are left out: their
 * parent stands for them.
 */
export async function listTables(client: pg.ClientBase, opts: { schemas?: string[]; includePartitions?: boolean; excludeOids?: number[] } = {}): Promise<LiveTableDescription[]> {
  return load(client, { schemas: opts.schemas?.length ? opts.schemas : undefined, includePartitions: opts.includePartitions, excludeOids: opts.excludeOids?.length ? opts.excludeOids : undefined });
}

/**
 * Runs an optional catalog query. Returns undefined when it fails; inside a transaction block the
 * failure is rolled back to a savepoint so the caller's later queries still run.
 */
async function guarded<T>(client: pg.ClientBase, run: () => Promise<T>): Promise<T | undefined> {
  // pg tracks the server's transaction status from ReadyForQuery: 'I' idle, 'T' in a block, 'E' failed.
  const status = (client as unknown as { _txStatus?: string | null })._txStatus;
  let inBlock = status === 'T';
  if (typeof status !== 'string') {
    try { await client.query('SAVEPOINT dupguard_catalog'); inBlock = true; } catch { inBlock = false; }
  } else if (inBlock) {
    await client.query('SAVEPOINT dupguard_catalog');
  }
  try {
    const r = await run();
    if (inBlock) await client.query('RELEASE SAVEPOINT dupguard_catalog');
    return r;
  } catch {
    if (!inBlock) return undefined;
    // If even the rollback fails the connection is gone; the next query reports that.
    try { await client.query('ROLLBACK TO SAVEPOINT dupguard_catalog'); await client.query('RELEASE SAVEPOINT dupguard_catalog'); } catch { /* see above */ }
    return undefined;
  }
}

const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));

async function load(client: pg.ClientBase, f: Filter): Promise<LiveTableDescription[]> {
  const eng = await engineOf(client);
  const where: string[] = [`c.relkind in ('r','p','v','m','f')`, SYSTEM_SCHEMA];
  const params: unknown[] = [];
  if (f.oids) { params.push(f.oids); where.push(`c.oid = any($${params.length}::oid[])`); }
  if (f.schemas) { params.push(f.schemas); where.push(`n.nspname = any($${params.length}::text[])`); }
  if (f.excludeOids) { params.push(f.excludeOids); where.push(`not (c.oid = any($${params.length}::oid[]))`); }
  if (!f.includePartitions && eng.versionNum >= 100000) where.push('not c.relispartition');
  const partitionOf = eng.versionNum >= 100000
    ? `(select pn.nspname || '.' || pc.relname from pg_catalog.pg_inherits i join pg_catalog.pg_class pc on pc.oid = i.inhparent join pg_catalog.pg_namespace pn on pn.oid = pc.relnamespace where i.inhrelid = c.oid and c.relispartition limit 1)`
    : 'null::text';
  const partitions = eng.versionNum >= 120000
    ? `case when c.relkind = 'p' then (select pg_catalog.count(*) from pg_catalog.pg_partition_tree(c.oid) t where t.isleaf) end`
    : 'null::int8';
  const partReltuples = eng.versionNum >= 120000
    ? `case when c.relkind = 'p' then (select pg_catalog.sum(greatest(pc.reltuples, 0)) from pg_catalog.pg_partition_tree(c.oid) t join pg_catalog.pg_class pc on pc.oid = t.relid where t.isleaf) end`
    : 'null::float8';
  const tables = await client.query(
    `select c.oid::int8 as oid, n.nspname as schema, c.relname as name, c.relkind::text as kind,
            c.reltuples::float8 as reltuples, ${partReltuples}::float8 as part_tuples,
            pg_catalog.pg_get_userbyid(c.relowner) as owner, c.relacl::text[] as acl,
            pg_catalog.obj_description(c.oid, 'pg_class') as comment,
            ${partitionOf} as partition_of, ${partitions}::int8 as partitions,
            c.relpages::int8 as relpages,
            c.relrowsecurity as rls, c.relforcerowsecurity as rls_forced,
            case when c.relrowsecurity then pg_catalog.row_security_active(c.oid) else false end as rls_active
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where ${where.join(' and ')}
      order by n.nspname, c.relname`, params);
  if (!tables.rows.length) return [];
  const oids = tables.rows.map((t) => Number(t.oid));

  // Sizes are a separate query: some engines (YugabyteDB) lack or restrict the size functions, and
  // pg_total_relation_size takes a lock, so a table locked by DDL makes it wait out lock_timeout. Inside
  // the caller's transaction a failure would abort everything after it: run it under a savepoint.
  const sizes = new Map<number, number>();
  const sizeExpr = eng.versionNum >= 120000
    ? `case when c.relkind = 'p' then (select pg_catalog.sum(pg_catalog.pg_total_relation_size(t.relid)) from pg_catalog.pg_partition_tree(c.oid) t) else pg_catalog.pg_total_relation_size(c.oid) end`
    : 'pg_catalog.pg_total_relation_size(c.oid)';
  const sizeOf = async (ids: number[]): Promise<boolean> => {
    const ok = await guarded(client, () => client.query(
      `select c.oid::int8 as oid, (${sizeExpr})::int8 as bytes from pg_catalog.pg_class c where c.oid = any($1::oid[]) and c.relkind in ('r','p','m')`, [ids]));
    if (!ok) return false;
    for (const row of ok.rows) if (row.bytes !== null) sizes.set(Number(row.oid), Number(row.bytes));
    return true;
  };
  // One query for all; only when it fails (a locked table), one per table, so the others keep their size.
  if (!(await sizeOf(oids)) && oids.length > 1) {
    for (const oid of oids) await sizeOf([oid]);
  }

  const cols = await client.query(
    `select a.attrelid::int8 as oid, a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type,
            a.attnotnull as not_null, pg_catalog.pg_get_expr(d.adbin, d.adrelid) as def,
            a.attidentity::text as identity, ${eng.versionNum >= 120000 ? 'a.attgenerated::text' : "''::text"} as generated,
            coalesce(et.typname, bt.typname) as base_type,
            (et.oid is null and bt.typname in ('text', 'varchar', 'bpchar') and a.attcollation <> 0
             ${eng.versionNum >= 120000 ? 'and coalesce((select co.collisdeterministic from pg_catalog.pg_collation co where co.oid = a.attcollation), false)' : ''}) as byte_equal,
            s.avg_width, s.n_distinct::float8 as n_distinct, s.null_frac::float8 as null_frac,
            array(select distinct p.oid::pg_catalog.regprocedure::text || ' owned by ' || pg_catalog.pg_get_userbyid(p.proowner)
                    from pg_catalog.pg_cast ca join pg_catalog.pg_proc p on p.oid = ca.castfunc
                   where ((ca.castsource = bt.oid and ca.casttarget = 'pg_catalog.text'::pg_catalog.regtype)
                          or (ca.castsource = 'pg_catalog.text'::pg_catalog.regtype and ca.casttarget = bt.oid))
                     and p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace and not p.prosecdef
                     and p.proowner <> (select r.oid from pg_catalog.pg_roles r where r.rolname = current_user)
                     and not coalesce((select r.rolsuper from pg_catalog.pg_roles r where r.oid = p.proowner), false)
                   order by 1)::text[] as foreign_cast
       from pg_catalog.pg_attribute a
       join pg_catalog.pg_type t on t.oid = a.atttypid
       join pg_catalog.pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
       left join pg_catalog.pg_type et on et.oid = bt.typelem and bt.typcategory = 'A'
       left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
       left join pg_catalog.pg_class c on c.oid = a.attrelid
       left join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       left join pg_catalog.pg_stats s on s.schemaname = n.nspname and s.tablename = c.relname and s.attname = a.attname
            ${eng.versionNum >= 100000 ? 'and s.inherited = (c.relkind = \'p\')' : ''}
      where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
      order by a.attrelid, a.attnum`, [oids]);

  const nnd = eng.versionNum >= 150000 ? 'i.indnullsnotdistinct' : 'false';
  const nkeys = eng.versionNum >= 110000 ? 'i.indnkeyatts' : 'i.indnatts';
  const idx = await client.query(
    `select i.indrelid::int8 as oid, ic.relname as name, i.indisprimary as is_primary, i.indisunique as is_unique,
            ${nnd} as nulls_not_distinct, i.indisvalid as is_valid,
            pg_catalog.pg_get_indexdef(i.indexrelid) as definition, pg_catalog.pg_get_expr(i.indpred, i.indrelid, true) as predicate,
            con.conname as constraint_name, con.contype::text as contype,
            array(select case when i.indkey[k] = 0 then pg_catalog.pg_get_indexdef(i.indexrelid, k + 1, true)
                              else (select attname::text from pg_catalog.pg_attribute where attrelid = i.indrelid and attnum = i.indkey[k]) end
                    from pg_catalog.generate_series(0, ${nkeys} - 1) k order by k)::text[] as columns,
            array(select i.indkey[k] = 0 from pg_catalog.generate_series(0, ${nkeys} - 1) k order by k) as is_expr,
            (select am.amname from pg_catalog.pg_am am where am.oid = ic.relam) = 'btree' and i.indpred is null as plain_btree,
            case when i.indexprs is not null or i.indpred is not null then array(
              select distinct p.oid::pg_catalog.regprocedure::text || ' owned by ' || pg_catalog.pg_get_userbyid(p.proowner)
                from pg_catalog.pg_depend d
                join pg_catalog.pg_proc p on p.oid = case when d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass then d.refobjid
                                                          else (select o.oprcode::oid from pg_catalog.pg_operator o where o.oid = d.refobjid) end
               where d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and d.objid = i.indexrelid
                 and d.refclassid in ('pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_operator'::pg_catalog.regclass)
                 and p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace and not p.prosecdef
                 and p.proowner <> (select r.oid from pg_catalog.pg_roles r where r.rolname = current_user)
                 and not coalesce((select r.rolsuper from pg_catalog.pg_roles r where r.oid = p.proowner), false)
               order by 1) end::text[] as foreign_code
       from pg_catalog.pg_index i
       join pg_catalog.pg_class ic on ic.oid = i.indexrelid
       left join pg_catalog.pg_constraint con on con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p','u','x')
      where i.indrelid = any($1::oid[])
      order by i.indrelid, i.indisprimary desc, ic.relname`, [oids]);

  const cons = await client.query(
    `select con.conrelid::int8 as oid, con.conname as name, con.contype::text as type, pg_catalog.pg_get_constraintdef(con.oid, true) as definition
       from pg_catalog.pg_constraint con
      where con.conrelid = any($1::oid[]) and con.contype <> 'n'
      order by con.conrelid, con.contype, con.conname`, [oids]);

  const refs = await client.query(
    `select con.confrelid::int8 as oid, n.nspname as schema, c.relname as table, con.conname as name,
            pg_catalog.pg_get_constraintdef(con.oid, true) as definition
       from pg_catalog.pg_constraint con
       join pg_catalog.pg_class c on c.oid = con.conrelid
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where con.contype = 'f' and con.confrelid = any($1::oid[]) ${eng.versionNum >= 110000 ? 'and con.conparentid = 0' : ''}
      order by n.nspname, c.relname, con.conname`, [oids]);

  // Policies run only where row security applies to the reading role (never for a superuser or a
  // BYPASSRLS role): then the code they call runs as that role, at every read of the table.
  const rlsActive = tables.rows.filter((t) => t.rls_active).map((t) => Number(t.oid));
  const policyCode = rlsActive.length ? await client.query(
    `select pol.polrelid::int8 as oid,
            array(select distinct 'policy ' || pg_catalog.quote_ident(pol2.polname) || ': ' || p.oid::pg_catalog.regprocedure::text || ' owned by ' || pg_catalog.pg_get_userbyid(p.proowner)
                    from pg_catalog.pg_policy pol2
                    join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass and d.objid = pol2.oid
                    join pg_catalog.pg_proc p on p.oid = case when d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass then d.refobjid
                                                              else (select o.oprcode::oid from pg_catalog.pg_operator o where o.oid = d.refobjid) end
                   where pol2.polrelid = pol.polrelid and pol2.polcmd in ('r', '*')
                     and ('0'::pg_catalog.oid = any (pol2.polroles) or exists (select from pg_catalog.unnest(pol2.polroles) r(oid) where pg_catalog.pg_has_role(r.oid, 'MEMBER')))
                     and d.refclassid in ('pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_operator'::pg_catalog.regclass)
                     and p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace and not p.prosecdef
                     and p.proowner <> (select r.oid from pg_catalog.pg_roles r where r.rolname = current_user)
                     and not coalesce((select r.rolsuper from pg_catalog.pg_roles r where r.oid = p.proowner), false)
                   order by 1)::text[] as code
       from pg_catalog.pg_policy pol
      where pol.polrelid = any($1::oid[])
      group by pol.polrelid`, [rlsActive]) : undefined;

  const trg = await client.query(
    `select t.tgrelid::int8 as oid, pg_catalog.pg_get_triggerdef(t.oid, true) as definition
       from pg_catalog.pg_trigger t
      where t.tgrelid = any($1::oid[]) and not t.tgisinternal ${eng.versionNum >= 130000 ? 'and t.tgparentid = 0' : ''}
      order by t.tgrelid, t.tgname`, [oids]);

  const byOid = new Map<number, LiveTableDescription>();
  const out: LiveTableDescription[] = [];
  for (const t of tables.rows) {
    const oid = Number(t.oid);
    const reltuples = t.kind === 'p' ? num(t.part_tuples) : num(t.reltuples);
    const d: LiveTableDescription = {
      oid,
      schema: t.schema,
      name: t.name,
      kind: t.kind,
      columns: [],
      keys: [],
      indexes: [],
      constraints: [],
      referencedBy: [],
      triggers: [],
      owner: t.owner,
      acl: t.acl ?? undefined,
      comment: t.comment ?? undefined,
      source: 'catalog',
      hasCtid: !eng.yugabyte,
    };
    if (t.kind !== 'v' && t.kind !== 'f') {
      // reltuples -1 (PG 14+) or 0 with relpages 0 (older) means never analyzed: the estimate is unknown.
      const never = num(t.reltuples) < 0 || (t.kind !== 'p' && num(t.reltuples) === 0 && num(t.relpages) === 0 && eng.versionNum < 140000);
      d.rowEstimate = Number.isFinite(reltuples) ? (t.kind === 'p' ? reltuples : num(t.reltuples)) : -1;
      if (t.kind === 'r' && never) d.neverAnalyzed = true;
      const bytes = sizes.get(oid);
      if (bytes !== undefined) d.totalBytes = bytes;
    }
    if (t.partition_of) d.partitionOf = t.partition_of;
    if (t.rls) d.rowSecurity = { enabled: true, forced: !!t.rls_forced, active: !!t.rls_active };
    if (t.partitions !== null && t.partitions !== undefined) d.partitions = Number(t.partitions);
    byOid.set(oid, d);
    out.push(d);
  }
  for (const c of cols.rows) {
    const d = byOid.get(Number(c.oid));
    if (!d) continue;
    const col: LiveColumnDescription = {
      name: c.name,
      type: c.type,
      notNull: c.not_null,
      baseType: c.base_type,
      groupable: !NOT_GROUPABLE.has(c.base_type),
    };
    if (c.def !== null && c.def !== undefined) col.default = c.def;
    if (c.identity === 'a') col.identity = 'always';
    else if (c.identity === 'd') col.identity = 'by default';
    if (c.generated === 's' || c.generated === 'v') col.generated = true;
    const why = surrogateReason(col);
    if (why) { col.surrogate = true; col.surrogateReason = why; }
    if (c.avg_width !== null && c.avg_width !== undefined) col.avgWidth = Number(c.avg_width);
    if (c.n_distinct !== null && c.n_distinct !== undefined) col.nDistinct = Number(c.n_distinct);
    if (c.null_frac !== null && c.null_frac !== undefined) col.nullFrac = Number(c.null_frac);
    if (c.byte_equal) col.byteEqual = true;
    if (c.foreign_cast?.length) col.foreignCode = c.foreign_cast;
    d.columns.push(col);
  }
  for (const i of idx.rows) {
    const d = byOid.get(Number(i.oid));
    if (!d) continue;
    const index: IndexDescription = { name: i.name, unique: i.is_unique, definition: i.definition };
    if (i.constraint_name) index.constraint = i.constraint_name;
    d.indexes!.push(index);
    if (i.plain_btree && i.is_valid) {
      const lead: string[] = [];
      for (let k = 0; k < (i.columns as string[]).length && !(i.is_expr as boolean[])[k]; k++) lead.push(i.columns[k]);
      if (lead.length) (d.btreeColumns ??= []).push(lead);
    }
    const isExclude = i.contype === 'x';
    if ((!i.is_unique && !isExclude) || !i.is_valid) continue;
    const columns: string[] = i.columns;
    const key: UniqueKey = {
      kind: i.is_primary ? 'primary' : isExclude ? 'exclude' : i.contype === 'u' ? 'unique' : 'unique-index',
      name: i.constraint_name ?? i.name,
      columns,
      definition: i.definition,
    };
    if ((i.is_expr as boolean[]).some(Boolean)) key.expression = true;
    if (i.predicate) key.predicate = i.predicate;
    if (i.nulls_not_distinct) key.nullsNotDistinct = true;
    if (i.foreign_code?.length) (d.foreignCode ??= {})[key.name ?? i.name] = i.foreign_code;
    d.keys.push(key);
  }
  for (const c of cons.rows) {
    const d = byOid.get(Number(c.oid));
    if (d) d.constraints!.push({ name: c.name, type: c.type, definition: c.definition } satisfies ConstraintDescription);
  }
  for (const r of refs.rows) {
    const d = byOid.get(Number(r.oid));
    if (d) d.referencedBy!.push({ schema: r.schema, table: r.table, name: r.name, definition: r.definition } satisfies ReferencingForeignKey);
  }
  for (const row of policyCode?.rows ?? []) {
    const d = byOid.get(Number(row.oid));
    if (d?.rowSecurity && row.code?.length) d.rowSecurity.foreignCode = row.code;
  }
  for (const t of trg.rows) {
    const d = byOid.get(Number(t.oid));
    if (d) d.triggers!.push(t.definition);
  }
  return out;
}

/**
 * Tables (and views) that another session holds, or waits for, in ACCESS EXCLUSIVE mode: the only
 * mode that blocks reading them, and so reading parts of their catalog entry (pg_get_expr and
 * pg_partition_tree lock the relation). A locked partition blocks its partitioned ancestors too.
 * Lock-free: pg_locks and pg_inherits only.
 */
export async function lockedTables(client: pg.ClientBase, opts: { schemas?: string[] } = {}): Promise<{ oid: number; schema: string; name: string; pid: number; granted: boolean; partition: boolean; via?: string }[]> {
  const params: unknown[] = [];
  let schemaFilter = '';
  if (opts.schemas?.length) { params.push(opts.schemas); schemaFilter = ` and n.nspname = any($1::text[])`; }
  const r = await client.query(
    `with recursive locked as (
       select l.relation as oid, l.pid, l.granted from pg_catalog.pg_locks l
        where l.locktype = 'relation' and l.mode = 'AccessExclusiveLock' and l.pid <> pg_catalog.pg_backend_pid()
          and l.database = (select oid from pg_catalog.pg_database where datname = pg_catalog.current_database())
     ), up(oid, pid, granted, origin) as (
       select oid, pid, granted, oid from locked
       union
       select i.inhparent, up.pid, up.granted, up.origin from pg_catalog.pg_inherits i join up on i.inhrelid = up.oid
     )
     select distinct on (c.oid) c.oid::int8 as oid, n.nspname as schema, c.relname as name, up.pid, up.granted,
            c.relispartition as partition,
            case when up.origin <> up.oid then (select on_.nspname || '.' || oc.relname from pg_catalog.pg_class oc join pg_catalog.pg_namespace on_ on on_.oid = oc.relnamespace where oc.oid = up.origin) end as via
       from up join pg_catalog.pg_class c on c.oid = up.oid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r','p','v','m','f') and ${SYSTEM_SCHEMA}${schemaFilter}
      order by c.oid, (up.origin = up.oid) desc, up.granted desc, up.pid`, params);
  return r.rows.map((x) => {
    const l: { oid: number; schema: string; name: string; pid: number; granted: boolean; partition: boolean; via?: string } = {
      oid: Number(x.oid), schema: x.schema, name: x.name, pid: Number(x.pid), granted: x.granted, partition: x.partition,
    };
    if (x.via) l.via = x.via;
    return l;
  });
}

/** Foreign keys declared on the given tables (this table → other), for inferring candidate keys. */
export async function foreignKeysOf(client: pg.ClientBase, oids: number[]): Promise<Map<number, { name: string; columns: string[]; references: string }[]>> {
  const out = new Map<number, { name: string; columns: string[]; references: string }[]>();
  if (!oids.length) return out;
  const r = await client.query(
    `select con.conrelid::int8 as oid, con.conname as name,
            array(select a.attname::text from pg_catalog.unnest(con.conkey) with ordinality k(n, o) join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.o)::text[] as columns,
            con.confrelid::regclass::text as references
       from pg_catalog.pg_constraint con where con.contype = 'f' and con.conrelid = any($1::oid[])`, [oids]);
  for (const row of r.rows) {
    const list = out.get(Number(row.oid)) ?? [];
    list.push({ name: row.name, columns: row.columns, references: row.references });
    out.set(Number(row.oid), list);
  }
  return out;
}

/**
 * Finds the table (or view) a user named, as a session of theirs would: a qualified name as is; an
 * unqualified one through `searchPath` (`DbSession.defaultSearchPath`: the role's and database's
 * search_path; dupguard's own sessions run under `pg_catalog, pg_temp`), `$user` standing for `user`,
 * pg_catalog first unless the path places it. Undefined when no schema on the path has it.
 */
export async function resolveRelation(client: pg.ClientBase, rel: { schema?: string; name: string }, searchPath: string, user: string): Promise<{ oid: number; schema: string; name: string } | undefined> {
  const path: string[] = [];
  if (rel.schema !== undefined) path.push(rel.schema);
  else {
    for (const raw of searchPath.match(/("([^"]|"")*"|[^,])+/g) ?? []) {
      const t = raw.trim();
      if (!t) continue;
      const unq = t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/""/g, '"') : t.toLowerCase();
      path.push(t === '$user' || t === '"$user"' ? user : unq);
    }
    if (!path.includes('pg_catalog')) path.unshift('pg_catalog');
  }
  const r = await client.query<{ oid: string; schema: string; name: string }>({
    text: `select c.oid::int8 as oid, n.nspname as schema, c.relname as name
             from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
            where c.relname = $1 and n.nspname = any ($2::text[]) and c.relkind in ('r','p','v','m','f')
            order by pg_catalog.array_position($2::text[], n.nspname::text) limit 1`,
    values: [rel.name, path],
  });
  const row = r.rows[0];
  return row ? { oid: Number(row.oid), schema: row.schema, name: row.name } : undefined;
}
