/**
 * Issue 12, item 3 (migration side): search_path hijacking. An unprivileged role that may CREATE in
 * public plants, for every function and operator the generated scripts call (the list is read from
 * the scripts themselves, so a call added later is covered too), a same-signature copy in public that
 * records that it ran, in a table and in a sequence (the dry run rolls back; nextval does not). The
 * database's search_path puts public before pg_catalog, so any unqualified call would reach a plant.
 * A superuser then runs the migration, its rollback and the dry run: no plant runs, the data is right.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from 'pg';
import { countReferenceMoves, dryRunMigration } from '../../src/db/dryrun';
import { describeTable } from '../../src/db/introspect';
import { generateMigration } from '../../src/migrate/generate';
import type { MigrationPlan } from '../../src/migrate/types';
import { freshDb, psqlRun, rowHashes, type Db } from './migrate-support';

const SEED = `
  CREATE TABLE public.photos (id bigserial PRIMARY KEY, task_pk int NOT NULL, photo_id text, url text, created_at timestamptz NOT NULL);
  CREATE TABLE public.photo_tags (id serial PRIMARY KEY, photo bigint REFERENCES public.photos(id) DEFERRABLE, tag text);
  CREATE TABLE public.nodes (id uuid PRIMARY KEY, path text NOT NULL, parent uuid REFERENCES public.nodes(id) ON DELETE SET NULL);
  INSERT INTO public.photos (task_pk, photo_id, url, created_at)
  SELECT i % 7, CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 3)::text END, 'u' || i, timestamptz '2025-01-01' + i * interval '1 minute' FROM generate_series(1, 120) i;
  INSERT INTO public.photo_tags (photo, tag) SELECT id, 't' || id FROM public.photos WHERE id % 4 = 0;
  CREATE TRIGGER photos_noop BEFORE UPDATE ON public.photos FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
  INSERT INTO public.nodes SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, '/' || (i % 4), NULL FROM generate_series(1, 12) i;
  UPDATE public.nodes SET parent = '00000000-0000-0000-0000-000000000006' WHERE path = '/1';
  CREATE TABLE public.planted_calls (what text);
  CREATE SEQUENCE public.planted_seq;
  GRANT INSERT ON public.planted_calls TO PUBLIC;
  GRANT USAGE ON SEQUENCE public.planted_seq TO PUBLIC;
`;

/**
 * Every name written as a call (`f(`, qualified or not) and every operator symbol in the scripts'
 * SQL (comment lines left out); the planting keeps those that pg_catalog has.
 */
function calledNames(scripts: string[]): { functions: string[]; operators: string[] } {
  const functions = new Set<string>();
  const operators = new Set<string>();
  for (const s of scripts) {
    const sql = s.split('\n').filter((l) => !l.startsWith('--')).join('\n').replace(/'(?:[^']|'')*'/g, "''");
    for (const m of sql.matchAll(/(?:^|[^a-z0-9_$".])(?:pg_catalog\.)?([a-z_][a-z0-9_]*)\s*\(/g)) functions.add(m[1]);
    for (const m of sql.matchAll(/OPERATOR\(pg_catalog\.([^)\s]+)\)/g)) operators.add(m[1]);
    for (const m of sql.matchAll(/(?<![A-Za-z0-9_(.])([=<>!+\-*|~]+)(?=[\s(A-Za-z0-9_'])/g)) if (m[1] !== '--') operators.add(m[1]);
  }
  return { functions: [...functions].sort(), operators: [...operators].sort() };
}

/** As the unprivileged role: a shadow in public for every pg_catalog signature of each name. */
async function plant(url: string, names: { functions: string[]; operators: string[] }): Promise<number> {
  const c = new Client({ connectionString: url, user: 'planter' });
  await c.connect();
  c.on('notice', () => {});
  try {
    const r = await c.query<{ n: number }>(`
      DO $plant$
      DECLARE p record; o record; i int := 0; args text; call text; rec text;
        skip constant text[] := ARRAY['any', 'internal', 'cstring', 'anycompatiblenonarray', 'anycompatiblemultirange', 'anymultirange', 'anyrange', 'anycompatiblerange'];
      BEGIN
        rec := 'INSERT INTO public.planted_calls VALUES (%L); PERFORM pg_catalog.nextval(''public.planted_seq'');';
        FOR p IN SELECT f.oid, f.proname, f.prokind, f.proretset, f.pronargs, f.proargtypes::oid[] AS argt, f.prorettype,
                        pg_catalog.pg_get_function_identity_arguments(f.oid) AS ident, pg_catalog.pg_get_function_result(f.oid) AS res
                   FROM pg_catalog.pg_proc f WHERE f.pronamespace = 'pg_catalog'::regnamespace AND f.proname = ANY ($1::text[])
        LOOP
          CONTINUE WHEN EXISTS (SELECT 1 FROM unnest(p.argt || p.prorettype) t WHERE t::regtype::text = ANY (skip));
          i := i + 1;
          BEGIN
            args := (SELECT string_agg(format('a%s %s', k, t::regtype), ', ' ORDER BY k) FROM unnest(p.argt) WITH ORDINALITY AS x(t, k));
            call := (SELECT string_agg(format('a%s', k), ', ' ORDER BY k) FROM unnest(p.argt) WITH ORDINALITY AS x(t, k));
            IF p.prokind = 'f' THEN
              EXECUTE format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L', p.proname, coalesce(args, ''), p.res,
                format('BEGIN ' || rec || ' %s; END', p.proname || '(' || p.ident || ')',
                  CASE WHEN p.proretset THEN format('RETURN QUERY SELECT * FROM pg_catalog.%I(%s)', p.proname, coalesce(call, ''))
                       ELSE format('RETURN pg_catalog.%I(%s)', p.proname, coalesce(call, '')) END));
            ELSE
              -- Aggregates and window functions: an aggregate of the same arguments (usable with OVER too).
              EXECUTE format('CREATE FUNCTION public.%I(s %s%s) RETURNS %s LANGUAGE plpgsql AS %L', 'planted_sf_' || i, p.prorettype::regtype,
                CASE WHEN args IS NULL THEN '' ELSE ', ' || args END, p.prorettype::regtype,
                format('BEGIN ' || rec || ' RETURN s; END', p.proname || '(' || p.ident || ')'));
              EXECUTE format('CREATE AGGREGATE public.%I(%s) (SFUNC = public.%I, STYPE = %s)', p.proname,
                CASE WHEN p.pronargs = 0 THEN '*' ELSE (SELECT string_agg(t::regtype::text, ', ' ORDER BY k) FROM unnest(p.argt) WITH ORDINALITY AS x(t, k)) END,
                'planted_sf_' || i, p.prorettype::regtype);
            END IF;
          EXCEPTION WHEN OTHERS THEN i := i - 1;
          END;
        END LOOP;
        FOR o IN SELECT oprname, oprleft::regtype AS l, oprright::regtype AS r, oprresult::regtype AS res FROM pg_catalog.pg_operator
                  WHERE oprnamespace = 'pg_catalog'::regnamespace AND oprname = ANY ($2::text[]) AND oprleft <> 0
                    AND NOT oprleft::regtype::text = ANY (skip) AND NOT oprright::regtype::text = ANY (skip)
        LOOP
          i := i + 1;
          BEGIN
            EXECUTE format('CREATE FUNCTION public.%I(a %s, b %s) RETURNS %s LANGUAGE plpgsql AS %L', 'planted_op_' || i, o.l, o.r, o.res,
              format('BEGIN ' || rec || ' RETURN a OPERATOR(pg_catalog.%s) b; END', format('%s %s %s', o.l, o.oprname, o.r), o.oprname));
            EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.%I)', o.oprname, o.l, o.r, 'planted_op_' || i);
          EXCEPTION WHEN OTHERS THEN i := i - 1;
          END;
        END LOOP;
        PERFORM set_config('planted.count', i::text, false);
      END
      $plant$;
      SELECT current_setting('planted.count')::int AS n`.replace(/\$1::text\[\]/, `ARRAY[${names.functions.map((n) => `'${n}'`).join(',')}]::text[]`).replace(/\$2::text\[\]/, `ARRAY[${names.operators.map((n) => `'${n.replace(/'/g, "''")}'`).join(',')}]::text[]`)) as unknown as { rows: { n: number }[] }[];
    return r[1].rows[0].n;
  } finally {
    await c.end();
  }
}

async function plantedRuns(db: Db): Promise<{ calls: string[]; seq: boolean }> {
  const calls = (await db.q<{ what: string }>('SELECT DISTINCT what FROM public.planted_calls ORDER BY 1')).map((r) => r.what);
  const seq = (await db.q<{ c: boolean }>('SELECT is_called AS c FROM public.planted_seq'))[0].c;
  return { calls, seq };
}

test('generated scripts, rollbacks and the dry run never call a function or operator planted in public', async () => {
  const db = await freshDb(SEED);
  const dbName = new URL(db.url).pathname.slice(1);
  try {
    await db.q(`DO $$ BEGIN CREATE ROLE planter LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    await db.q(`GRANT CREATE, USAGE ON SCHEMA public TO planter`);
    await db.q(`ALTER DATABASE "${dbName}" SET search_path = public, pg_catalog`);
    const now = new Date('2026-11-23T17:00:00Z');
    const cases: { table: string; key: string[]; plans: MigrationPlan[] }[] = [];
    for (const [table, key] of [['photos', ['task_pk', 'photo_id']], ['nodes', ['path']]] as const) {
      const desc = await describeTable(db.client, 'public', table);
      const plans = [
        generateMigration(desc, { key: [...key], strategy: 'delete', indexBuild: 'concurrent', now, backupName: `${table}_b1`, mergeReferences: true }),
        generateMigration(desc, { key: [...key], strategy: 'rebuild', nullKeys: 'distinct', now, backupName: `${table}_b2`, mergeReferences: true }),
        generateMigration(desc, { key: [...key], strategy: 'delete', mode: 'dry-run', now, backupName: `${table}_b3` }),
      ];
      cases.push({ table, key: [...key], plans });
    }
    const names = calledNames(cases.flatMap((c) => c.plans.flatMap((p) => [p.script, p.rollback])));
    for (const f of ['count', 'row_number', 'first_value', 'to_regclass', 'row_security_active', 'array_agg', 'format']) assert.ok(names.functions.includes(f), f);
    for (const o of ['=', '<>', '>']) assert.ok(names.operators.includes(o), o);
    const planted = await plant(db.url, names);
    assert.ok(planted > 50, `planted ${planted} shadows`);

    // The plants work: an unqualified call under this search_path reaches them.
    const probe = new Client({ connectionString: db.url });
    await probe.connect();
    try {
      await probe.query('SELECT count(*), to_regclass($1::text) FROM (VALUES (1)) v', ['public.photos']);
    } finally {
      await probe.end();
    }
    assert.ok((await plantedRuns(db)).calls.length >= 2, 'control: unqualified calls run the planted copies');
    await db.q('TRUNCATE public.planted_calls');
    await db.q(`SELECT setval('public.planted_seq', 1, false)`);

    for (const c of cases) {
      const original = await rowHashes(db, 'public', c.table);
      for (const p of c.plans.slice(0, 2)) {
        // The script as generated, then once more without the search_path lines: every call is qualified by itself.
        for (const variant of ['pinned', 'qualified only'] as const) {
          const strip = (s: string) => (variant === 'pinned' ? s : s.split('\n').filter((l) => !/^SET (LOCAL )?search_path/.test(l)).join('\n'));
          const r = psqlRun(db.url, strip(p.script));
          assert.equal(r.status, 0, `${c.table} ${p.strategy} ${variant}: ${r.stderr}`);
          assert.ok((await rowHashes(db, 'public', c.table)).length < original.length);
          const rb = psqlRun(db.url, strip(p.rollback));
          assert.equal(rb.status, 0, rb.stderr);
          assert.deepEqual(await rowHashes(db, 'public', c.table), original);
          await db.q(`DROP TABLE ${p.backup.qualified}${p.referenceBackups.map((x) => `, ${x.qualified}`).join('')}`);
          assert.deepEqual(await plantedRuns(db), { calls: [], seq: false }, `${c.table} ${p.strategy} ${variant}`);
        }
      }
      // The dry run, on a session whose search_path puts public first.
      const s = new Client({ connectionString: db.url });
      await s.connect();
      s.on('notice', () => {});
      try {
        const desc = await describeTable(db.client, 'public', c.table);
        const rep = await dryRunMigration(s, desc, { key: c.key, strategy: 'delete', mergeReferences: true });
        assert.equal(rep.dedupOk && rep.constraintBuilds, true, rep.error);
        // Counting the moves (read only) and the refusal inside a script without the merge use only pg_catalog too.
        const moves = await countReferenceMoves(s, desc, { key: c.key, strategy: 'delete' });
        assert.ok(moves);
        const guarded = generateMigration(desc, { key: c.key, strategy: 'delete', backupName: `${c.table}_b4` });
        const g = psqlRun(db.url, guarded.script);
        if (moves.some((x) => x.rows > 0)) assert.match(g.stderr, /would re-point references: .* would move from /);
        else assert.equal(g.status, 0, g.stderr);
      } finally {
        await s.end();
      }
      assert.deepEqual(await plantedRuns(db), { calls: [], seq: false }, `${c.table} dry run`);
    }
  } finally {
    await db.q(`ALTER DATABASE "${dbName}" RESET search_path`).catch(() => {});
    await db.close();
  }
});
