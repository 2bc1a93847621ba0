/**
 * search_path hijacking: a role that can CREATE in public plants a function or operator with the
 * name and argument types of a pg_catalog one, and the database's search_path puts public first.
 * Every function the scan and the catalog reading call (found from the SQL a real scan sends, so a
 * call added later is covered without editing this test) and the comparison operators get a shadow
 * that raises a NOTICE; a superuser's scan must run none of them, and still count right.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as pg from 'pg';
import { connect, type DbSession } from '../../src/db/connect';
import { scan, type ScanOptions } from '../../src/db/scan';
import { freshDb } from './_db';
import { calledNames, recordSql } from './scan-record';

let url: string;
let admin: DbSession;
const attacker = `dg_attacker_${process.pid}_${Date.now() % 100000}`;

/** Every code path that sends SQL of its own: wide near-distinct key (hash pass), indexed key (ids read back), narrowing, unique keys with NULLs, an expression and partial unique index, FKs, a partition tree, row-level security, extended statistics (quick mode). */
const SETUP = `
  CREATE TABLE wide (id serial PRIMARY KEY, email text NOT NULL, n int NOT NULL);
  INSERT INTO wide (email, n) SELECT 'someone-' || g || '@example.com', g % 7 FROM generate_series(1, 110000) g;
  INSERT INTO wide (email, n) SELECT email, n FROM wide WHERE id <= 30;
  CREATE TABLE idx (id serial PRIMARY KEY, k int NOT NULL, v text NOT NULL);
  CREATE INDEX idx_k ON idx (k);
  INSERT INTO idx (k, v) SELECT g, 'x' FROM generate_series(1, 110000) g;
  INSERT INTO idx (k, v) SELECT k, v FROM idx WHERE id <= 10;
  CREATE TABLE nulls (id serial PRIMARY KEY, a int, b text, UNIQUE (a, b));
  CREATE UNIQUE INDEX nulls_lower ON nulls (lower(b)) WHERE a > 0;
  INSERT INTO nulls (a, b) VALUES (NULL, 'x'), (NULL, 'x'), (1, 'y');
  CREATE TABLE parent (id int PRIMARY KEY);
  CREATE TABLE child (id serial PRIMARY KEY, parent_id int REFERENCES parent, other_id int);
  CREATE TABLE parted (id int, k int) PARTITION BY RANGE (id);
  CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (1000);
  INSERT INTO parted VALUES (1, 1), (2, 1);
  CREATE TABLE secured (id serial PRIMARY KEY, k int);
  ALTER TABLE secured ENABLE ROW LEVEL SECURITY;
  CREATE TABLE stats2 (a int, b int);
  INSERT INTO stats2 SELECT g % 10, g % 10 FROM generate_series(1, 1000) g;
  CREATE STATISTICS stats2_nd (ndistinct) ON a, b FROM stats2;
  ANALYZE;
`;

const RUNS: ScanOptions[] = [
  { naturalKeys: { 'public.wide': ['email'], 'public.idx': ['k'] } },
  { mode: 'quick', naturalKeys: { 'public.stats2': ['a', 'b'] } },
];

before(async () => {
  ({ url, session: admin } = await freshDb(SETUP, 'dgshadow'));
});

after(async () => {
  await admin.client.query(`RESET ROLE`).catch(() => {});
  await admin.close();
});

/** Plants a NOTICE-raising shadow in public for every pg_catalog overload of `names` PL/pgSQL can take; returns the names shadowed. */
async function plantFunctions(names: string[]): Promise<Set<string>> {
  const { rows } = await admin.client.query(`
    SELECT p.proname AS name, p.prokind AS kind, p.pronargs AS nargs, p.proretset AS set,
           pg_get_function_identity_arguments(p.oid) AS args, pg_get_function_result(p.oid) AS result,
           p.prorettype::regtype::text AS rettype, p.proargtypes::regtype[]::text[] AS argtypes,
           EXISTS (SELECT 1 FROM unnest(p.proargtypes) t JOIN pg_type ty ON ty.oid = t
                    WHERE ty.typtype = 'p' AND ty.typname NOT IN ('anyelement', 'anyarray', 'anynonarray', 'anyenum', 'anyrange',
                          'anycompatible', 'anycompatiblearray', 'anycompatiblenonarray', 'anycompatiblerange', 'anymultirange', 'record')) AS pseudo,
           EXISTS (SELECT 1 FROM unnest(p.proargtypes || p.prorettype) t JOIN pg_type ty ON ty.oid = t
                    WHERE ty.typtype = 'p' AND ty.typname LIKE 'any%') AS poly,
           (SELECT a.aggkind FROM pg_aggregate a WHERE a.aggfnoid = p.oid) AS aggkind
      FROM pg_proc p
     WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = ANY ($1)`, [names]);
  const planted = new Set<string>();
  await admin.client.query(`SET ROLE ${attacker}`);
  try {
    let i = 0;
    for (const p of rows) {
      if (p.pseudo || (p.kind !== 'f' && p.kind !== 'a')) continue;
      const qn = `public."${p.name}"`;
      try {
        if (p.kind === 'f') {
          if (/^(trigger|event_trigger|internal|cstring|language_handler|fdw_handler|index_am_handler|tsm_handler|table_am_handler)$/.test(p.rettype)) continue;
          const ret = p.set || p.rettype === 'void' ? 'RETURN;' : 'RETURN NULL;';
          await admin.client.query(`CREATE FUNCTION ${qn}(${p.args}) RETURNS ${p.result} LANGUAGE plpgsql AS $f$
            BEGIN RAISE NOTICE 'dg-shadow %', ${pg.escapeLiteral(p.name)}; ${ret} END $f$`);
        } else {
          if (p.aggkind !== 'n' || p.poly) continue;
          const sfunc = `public.dg_shadow_sfunc_${i++}`;
          const argtypes = (p.argtypes as string[]);
          await admin.client.query(`CREATE FUNCTION ${sfunc}(${[p.rettype, ...argtypes].join(', ')}) RETURNS ${p.rettype} LANGUAGE plpgsql AS $f$
            BEGIN RAISE NOTICE 'dg-shadow %', ${pg.escapeLiteral(p.name)}; RETURN NULL; END $f$`);
          await admin.client.query(`CREATE AGGREGATE ${qn}(${p.nargs === 0 ? '*' : argtypes.join(', ')}) (sfunc = ${sfunc}, stype = ${p.rettype})`);
        }
        planted.add(p.name);
      } catch (e) {
        // Some signatures cannot be written by a non-superuser in PL/pgSQL (e.g. "any"): left out, listed below.
        void e;
      }
    }
    // Comparison operators between the built-in types the scan and the catalog queries compare.
    const ops = await admin.client.query(`
      SELECT o.oprname AS name, o.oprleft::regtype::text AS l, o.oprright::regtype::text AS r
        FROM pg_operator o
       WHERE o.oprnamespace = 'pg_catalog'::regnamespace AND o.oprname IN ('=', '<>', '<', '>', '<=', '>=')
         AND o.oprleft = ANY ($1::regtype[]) AND o.oprright = ANY ($1::regtype[])`,
    [['smallint', 'integer', 'bigint', 'oid', 'name', 'text', 'boolean', '"char"', 'numeric', 'double precision', 'regclass', 'character varying']]);
    for (const o of ops.rows) {
      const fn = `public.dg_shadow_op_${i++}`;
      await admin.client.query(`CREATE FUNCTION ${fn}(${o.l}, ${o.r}) RETURNS boolean LANGUAGE plpgsql AS $f$
        BEGIN RAISE NOTICE 'dg-shadow operator %', ${pg.escapeLiteral(o.name)}; RETURN $1 OPERATOR(pg_catalog.${o.name}) $2; END $f$`);
      await admin.client.query(`CREATE OPERATOR public.${o.name} (leftarg = ${o.l}, rightarg = ${o.r}, function = ${fn})`);
    }
    planted.add(`operators (${ops.rows.length})`);
  } finally {
    await admin.client.query('RESET ROLE');
  }
  return planted;
}

test('shadow functions and operators planted in public by a role that can create there: the scan runs none of them', { timeout: 240_000 }, async () => {
  // 1. What the scan calls, read from the SQL it sends.
  const probe = await connect(url, { env: {} });
  const sent = recordSql(probe);
  try {
    for (const opts of RUNS) await scan(probe, { ...opts, sampleSize: 3 });
  } finally {
    await probe.close();
  }
  const called = [...calledNames(sent.map((s) => s.text)).keys()];
  const { rows: known } = await admin.client.query(
    `SELECT DISTINCT proname AS name FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace AND proname = ANY ($1) ORDER BY 1`, [called]);
  const names = known.map((r) => r.name as string);
  for (const must of ['count', 'hashtextextended', 'format_type', 'pg_get_expr', 'set_config', 'pg_typeof', 'max']) {
    assert.ok(names.includes(must), `the scan calls ${must}(): the recording must see it (${names.join(', ')})`);
  }

  // 2. The attacker: CREATE on public (not the default since PostgreSQL 15), nothing else.
  await admin.client.query(`CREATE ROLE ${attacker}; GRANT CREATE ON SCHEMA public TO ${attacker}`);
  const planted = await plantFunctions(names);
  const missed = names.filter((n) => !planted.has(n));
  // Only signatures PL/pgSQL cannot take ("any" arguments: format, pg_typeof, count("any")...) may be missing.
  for (const must of ['count', 'hashtextextended', 'row_security_active', 'format_type', 'pg_get_expr', 'set_config', 'max', 'sum', 'min', 'left', 'version']) {
    assert.ok(planted.has(must) || !names.includes(must), `a shadow of ${must} was planted (not shadowed: ${missed.join(', ')})`);
  }
  const dbname = new URL(url).pathname.slice(1);
  await admin.client.query(`ALTER DATABASE "${dbname}" SET search_path = public, pg_catalog`);

  // 3. The shadows are live: a plain client of this database runs them.
  const plain = new pg.Client({ connectionString: url });
  const plainNotices: string[] = [];
  plain.on('notice', (n) => plainNotices.push(n.message ?? ''));
  await plain.connect();
  try {
    await plain.query('SELECT count(*) FROM pg_class WHERE relkind = \'r\'');
    assert.ok(plainNotices.some((m) => m.startsWith('dg-shadow')), `a session that does not pin search_path runs the shadows: ${plainNotices.join('; ')}`);
  } finally {
    await plain.end();
  }

  // 4. The scan, as superuser: no shadow runs, the counts are right.
  const s = await connect(url, { env: {} });
  const notices: string[] = [];
  s.client.on('notice', (n) => notices.push(n.message ?? ''));
  try {
    const exact = await scan(s, { ...RUNS[0], sampleSize: 3 });
    const quick = await scan(s, { ...RUNS[1], sampleSize: 3 });
    assert.deepEqual(notices.filter((m) => m.startsWith('dg-shadow')), [], 'no planted function or operator ran');
    assert.deepEqual(exact.errors, []);
    assert.deepEqual(quick.errors, []);
    const key = (t: string) => exact.tables.find((x) => x.table === t)!.checks.find((c) => c.source === 'config')!;
    assert.equal(key('wide').excessRows, 30);
    assert.equal(key('wide').sample.length, 3);
    assert.equal(key('idx').excessRows, 10);
    assert.ok(key('idx').sample.every((g) => g.ids?.length === 2), 'ids read back by value, through the type\'s own = operator');
    const nulls = exact.tables.find((x) => x.table === 'nulls')!.checks.find((c) => c.kind === 'unique-nulls' && c.constraint === 'nulls_a_b_key')!;
    assert.equal(nulls.excessRows, 1);
    const { rows } = await s.client.query(`SELECT current_setting('search_path') AS sp, current_setting('standard_conforming_strings') AS scs`);
    assert.deepEqual(rows[0], { sp: 'pg_catalog, pg_temp', scs: 'on' });
  } finally {
    await s.close();
    await admin.client.query(`ALTER DATABASE "${dbname}" RESET search_path`);
  }
});

test('every function the scan SQL calls is written pg_catalog-qualified (except in expressions deparsed from the catalog)', async () => {
  const s = await connect(url, { env: {} });
  const sent = recordSql(s);
  try {
    for (const opts of RUNS) await scan(s, { ...opts, sampleSize: 3 });
  } finally {
    await s.close();
  }
  // Index expressions and predicates come back from pg_get_indexdef / pg_get_expr, which qualify
  // whatever the pinned search_path (pg_catalog) does not show: their bare names are pg_catalog's.
  const { rows } = await admin.client.query(`SELECT string_agg(pg_get_indexdef(indexrelid) || ' ' || coalesce(pg_get_expr(indpred, indrelid), ''), ' ') AS d FROM pg_index`);
  const deparsed = calledNames([rows[0].d as string]);
  const bare = [...calledNames(sent.map((x) => x.text)).entries()]
    .filter(([name, e]) => e.bare > 0 && !deparsed.has(name))
    .map(([name]) => name);
  const { rows: fns } = await admin.client.query(
    `SELECT DISTINCT proname AS name FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace AND proname = ANY ($1) ORDER BY 1`, [bare]);
  assert.deepEqual(fns.map((r) => r.name), [], 'called without pg_catalog.');
  assert.ok(sent.every((x) => x.extended), `every statement goes through the extended protocol: ${sent.filter((x) => !x.extended).map((x) => x.text).join(' | ')}`);
});
