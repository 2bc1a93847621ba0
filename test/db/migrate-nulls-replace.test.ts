/**
 * Closing a NULL hole (a plain UNIQUE over nullable columns) on real PostgreSQL 15: the NULLS NOT
 * DISTINCT key replaces the plain one under the same name, in the dedup's transaction, never beside
 * it; the foreign keys that depend on its index (ON DELETE CASCADE, MATCH FULL, DEFERRABLE, NOT
 * VALID, comments) are dropped and re-created identically; the rollback (written with the migration,
 * or generated later with --rollback) puts the plain key, its dependants and every row back exactly;
 * the dry run says what it would drop and re-create; what cannot be re-created is refused.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { runCli } from './_db';
import { keyUniqueFacts, migrationFacts } from '../../src/db/dryrun';
import { generateMigration } from '../../src/migrate/generate';
import { count, describe, freshDb, psqlRun, rowHashes, type Db } from './migrate-support';


const TABLES = ['memberships', 'grants', 'audit', 'legacy'];

const SEED = `
  CREATE TABLE public.memberships (id serial PRIMARY KEY, org int NOT NULL, ext text, created_at timestamptz NOT NULL,
    CONSTRAINT memberships_org_ext_key UNIQUE (org, ext) WITH (fillfactor = 80));
  COMMENT ON CONSTRAINT memberships_org_ext_key ON public.memberships IS 'one membership per org and external id';
  INSERT INTO public.memberships (org, ext, created_at) VALUES
    (1, NULL, '2025-01-03'), (1, NULL, '2025-01-01'), (1, NULL, '2025-01-02'),
    (2, NULL, '2025-01-05'), (2, NULL, '2025-01-04'), (1, 'a', '2025-01-06'), (2, 'b', '2025-01-07'), (3, NULL, '2025-01-08');
  CREATE TABLE public.grants (id serial PRIMARY KEY, org int, ext text,
    CONSTRAINT grants_member_fk FOREIGN KEY (org, ext) REFERENCES public.memberships (org, ext) ON DELETE CASCADE ON UPDATE RESTRICT);
  COMMENT ON CONSTRAINT grants_member_fk ON public.grants IS 'grants die with the membership';
  INSERT INTO public.grants (org, ext) VALUES (1, 'a'), (2, 'b'), (1, NULL), (3, NULL);
  CREATE TABLE public.audit (id serial PRIMARY KEY, org int, ext text,
    CONSTRAINT audit_member_fk FOREIGN KEY (org, ext) REFERENCES public.memberships (org, ext) MATCH FULL ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED);
  INSERT INTO public.audit (org, ext) VALUES (1, 'a'), (NULL, NULL);
  CREATE TABLE public.legacy (org int, ext text);
  INSERT INTO public.legacy VALUES (1, 'a'), (9, 'gone');
  ALTER TABLE public.legacy ADD CONSTRAINT legacy_member_fk FOREIGN KEY (org, ext) REFERENCES public.memberships (org, ext) ON DELETE SET NULL NOT VALID;
`;

/** What must be the same before the migration and after its rollback: every constraint and index of the four tables, as the catalog prints them. */
async function catalog(db: Db): Promise<unknown[]> {
  return db.q(`
    SELECT 'constraint' AS what, c.conrelid::regclass::text AS rel, c.conname AS name, c.contype::text AS type, pg_get_constraintdef(c.oid) AS def,
           c.convalidated AS validated, c.condeferrable AS deferrable, c.condeferred AS deferred, c.confmatchtype::text AS match,
           c.confupdtype::text AS on_update, c.confdeltype::text AS on_delete, obj_description(c.oid, 'pg_constraint') AS comment,
           CASE WHEN c.conindid <> 0 THEN c.conindid::regclass::text END AS index
      FROM pg_constraint c WHERE c.conrelid = ANY (ARRAY['public.memberships', 'public.grants', 'public.audit', 'public.legacy']::regclass[])
    UNION ALL
    SELECT 'index', i.indrelid::regclass::text, ic.relname, NULL, pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisclustered, i.indisreplident,
           coalesce(array_to_string(ic.reloptions, ','), ''), coalesce((SELECT spcname FROM pg_tablespace WHERE oid = ic.reltablespace), ''), NULL,
           obj_description(ic.oid, 'pg_class'), NULL
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
     WHERE i.indrelid = ANY (ARRAY['public.memberships', 'public.grants', 'public.audit', 'public.legacy']::regclass[])
    ORDER BY 1, 2, 3`);
}

/** Unique constraints and unique indexes over exactly (org, ext), with whether NULLs are distinct. */
async function uniquesOnKey(db: Db, table = 'public.memberships', cols = ['ext', 'org']): Promise<string[]> {
  const rows = await db.q<{ name: string; nnd: boolean; con: string | null }>(`
    SELECT ic.relname AS name, i.indnullsnotdistinct AS nnd, (SELECT contype::text FROM pg_constraint WHERE conindid = i.indexrelid AND conrelid = i.indrelid) AS con
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
     WHERE i.indrelid = $1::regclass AND i.indisunique AND NOT i.indisprimary
       AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey[0:i.indnkeyatts - 1])) = $2::text[]
     ORDER BY 1`, [table, cols]);
  return rows.map((r) => `${r.con === 'u' ? 'constraint' : 'index'} ${r.name}${r.nnd ? ' NULLS NOT DISTINCT' : ''}`);
}

async function allRows(db: Db): Promise<string[][]> {
  const out: string[][] = [];
  for (const t of TABLES) out.push(await rowHashes(db, 'public', t));
  return out;
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-nnd-'));
}

for (const how of ['the rollback written with it', 'a rollback generated later with --rollback'] as const) {
  test(`a plain UNIQUE constraint with dependent foreign keys is replaced by NULLS NOT DISTINCT under its name (${how === 'the rollback written with it' ? 'delete' : 'rebuild'}); ${how} restores catalog and rows exactly`, async () => {
    const db = await freshDb(SEED);
    const dir = tmpDir();
    try {
      const before = await catalog(db);
      const rows = await allRows(db);
      assert.deepEqual(await uniquesOnKey(db), ['constraint memberships_org_ext_key']);

      // Both strategies: the rebuild drops and re-adds every referencing key for its TRUNCATE before the swap.
      const strategy = how === 'the rollback written with it' ? 'delete' : 'rebuild';
      const io = await runCli(['migrate', '--url', db.url, '-t', 'public.memberships', '-k', 'org,ext', '--strategy', strategy, '--out', `${dir}/`]);
      assert.equal(io.code, 0, io.err);
      const [migration, rollback] = fs.readdirSync(dir).sort().map((f) => path.join(dir, f)).sort((a, b) => Number(a.endsWith('_rollback.sql')) - Number(b.endsWith('_rollback.sql')));
      const script = fs.readFileSync(migration, 'utf8');
      assert.match(script, /^-- Constraint: memberships_org_ext_key replaces the plain unique constraint memberships_org_ext_key on \(org, ext\) under the same name, as UNIQUE NULLS NOT DISTINCT, inside the dedup transaction \(one unique key on these columns, before and after\); dropped and re-created identically around the swap: the foreign keys public\.audit\.audit_member_fk, public\.grants\.grants_member_fk, public\.legacy\.legacy_member_fk\.$/m);
      assert.doesNotMatch(script, /memberships_org_ext_key1|CONCURRENTLY/);
      assert.match(script, new RegExp(`^-- Strategy: ${strategy} `, 'm'));

      const r = psqlRun(db.url, script);
      assert.equal(r.status, 0, r.stderr);
      // One unique key on the columns, same name, NULLs now equal; the copies with a NULL are gone.
      assert.deepEqual(await uniquesOnKey(db), ['constraint memberships_org_ext_key NULLS NOT DISTINCT']);
      assert.equal(await count(db, 'SELECT count(*) AS n FROM public.memberships'), 5);
      await assert.rejects(db.q(`INSERT INTO public.memberships (org, ext, created_at) VALUES (1, NULL, now())`), /duplicate key value violates unique constraint "memberships_org_ext_key"/);
      const after = await catalog(db) as Record<string, unknown>[];
      const was = before as Record<string, unknown>[];
      // Everything else is as it was: the key itself differs only by NULLS NOT DISTINCT (storage and comment kept) ...
      const changed = (x: Record<string, unknown>) => x.name === 'memberships_org_ext_key';
      assert.deepEqual(after.filter((x) => !changed(x)), was.filter((x) => !changed(x)));
      assert.deepEqual(after.filter(changed).map((x) => ({ ...x, def: String(x.def).replace(' NULLS NOT DISTINCT', '') })), was.filter(changed));
      // ... and the foreign keys are back identically: definition, actions, MATCH, deferrability, NOT VALID, comment, on the new index.
      const fks = after.filter((x) => x.type === 'f').map((x) => [x.name, x.def, x.validated, x.comment, x.index]);
      assert.deepEqual(fks, [
        ['audit_member_fk', 'FOREIGN KEY (org, ext) REFERENCES memberships(org, ext) MATCH FULL ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED', true, null, 'memberships_org_ext_key'],
        ['grants_member_fk', 'FOREIGN KEY (org, ext) REFERENCES memberships(org, ext) ON UPDATE RESTRICT ON DELETE CASCADE', true, 'grants die with the membership', 'memberships_org_ext_key'],
        ['legacy_member_fk', 'FOREIGN KEY (org, ext) REFERENCES memberships(org, ext) ON DELETE SET NULL NOT VALID', false, null, 'memberships_org_ext_key'],
      ]);
      assert.deepEqual(await rowHashes(db, 'public', 'grants'), rows[1], 'no referencing row changed');

      let undo: string;
      if (how === 'the rollback written with it') {
        undo = fs.readFileSync(rollback, 'utf8');
        assert.match(undo, /^-- Undoes: the dedup of public\.memberships on \(org, ext\) generated with it: .*; constraint memberships_org_ext_key; replaced the plain unique constraint memberships_org_ext_key by a NULLS NOT DISTINCT one of the same name \(foreign keys re-created: public\.audit\.audit_member_fk, public\.grants\.grants_member_fk, public\.legacy\.legacy_member_fk\)\.$/m);
      } else {
        const rio = await runCli(['migrate', '--url', db.url, '-t', 'public.memberships', '-k', 'org,ext', '--rollback']);
        assert.equal(rio.code, 0, rio.err);
        undo = rio.out;
        assert.match(undo, /^-- Undoes: the migration its backup records as ".*replaced the plain unique constraint memberships_org_ext_key by a NULLS NOT DISTINCT one of the same name/m);
      }
      assert.match(undo, /^-- Restores: the plain unique constraint memberships_org_ext_key on \(org, ext\) \(without NULLS NOT DISTINCT\), by name, in place of the NULLS NOT DISTINCT key the migration put there, and the foreign keys public\.audit\.audit_member_fk, public\.grants\.grants_member_fk, public\.legacy\.legacy_member_fk that depend on it, exactly as they were; then every row from the backup below, exactly\.$/m);
      const rb = psqlRun(db.url, undo);
      assert.equal(rb.status, 0, rb.stderr);
      assert.deepEqual(await catalog(db), before);
      assert.deepEqual(await allRows(db), rows);
      assert.deepEqual(await uniquesOnKey(db), ['constraint memberships_org_ext_key']);
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a plain unique INDEX (INCLUDE, DESC column, storage parameter, comment, cluster mark) gets a NULLS NOT DISTINCT unique index of the same name; its foreign key comes back; the rollback restores it exactly', async () => {
  const db = await freshDb(`
    CREATE TABLE public.memberships (id serial PRIMARY KEY, org int NOT NULL, ext text, note text, created_at timestamptz NOT NULL);
    CREATE UNIQUE INDEX memberships_uidx ON public.memberships (org, ext DESC) INCLUDE (note) WITH (fillfactor = 70);
    COMMENT ON INDEX public.memberships_uidx IS 'identity of a membership';
    ALTER TABLE public.memberships CLUSTER ON memberships_uidx;
    INSERT INTO public.memberships (org, ext, note, created_at) VALUES (1, NULL, 'x', '2025-01-02'), (1, NULL, 'y', '2025-01-01'), (1, 'a', 'z', '2025-01-03');
    CREATE TABLE public.grants (id serial PRIMARY KEY, org int, ext text);
    CREATE TABLE public.audit (id int);
    CREATE TABLE public.legacy (id int);
    INSERT INTO public.grants (org, ext) VALUES (1, 'a'), (1, NULL);
    ALTER TABLE public.grants ADD CONSTRAINT grants_member_fk FOREIGN KEY (org, ext) REFERENCES public.memberships (org, ext) ON DELETE CASCADE DEFERRABLE;`);
  try {
    const before = await catalog(db);
    const rows = await allRows(db);
    const p = generateMigration(await describe(db, 'public', 'memberships'), {
      key: ['org', 'ext'], ...(await migrationFacts(db.client, await describe(db, 'public', 'memberships'), { key: ['org', 'ext'] })),
    });
    assert.equal(p.constraintName, 'memberships_uidx');
    assert.match(p.script, /^CREATE UNIQUE INDEX memberships_uidx ON public\.memberships USING btree \(org, ext DESC\) INCLUDE \(note\) NULLS NOT DISTINCT WITH \(fillfactor='70'\);$/m);
    const r = psqlRun(db.url, p.script);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(await uniquesOnKey(db), ['index memberships_uidx NULLS NOT DISTINCT']);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.memberships'), 2);
    const after = await catalog(db) as Record<string, unknown>[];
    const idx = after.find((x) => x.name === 'memberships_uidx')!;
    assert.deepEqual([idx.def, idx.deferrable, idx.match, idx.comment], [
      'CREATE UNIQUE INDEX memberships_uidx ON public.memberships USING btree (org, ext DESC) INCLUDE (note) NULLS NOT DISTINCT WITH (fillfactor=\'70\')', true, 'fillfactor=70', 'identity of a membership']);
    assert.deepEqual(after.filter((x) => x.type === 'f').map((x) => [x.name, x.def, x.index]),
      [['grants_member_fk', 'FOREIGN KEY (org, ext) REFERENCES memberships(org, ext) ON DELETE CASCADE DEFERRABLE', 'memberships_uidx']]);
    assert.match(p.rollback, /^-- Undoes: .*replaced the plain unique index memberships_uidx by a NULLS NOT DISTINCT one of the same name \(foreign keys re-created: public\.grants\.grants_member_fk\)\.$/m);
    const rb = psqlRun(db.url, p.rollback);
    assert.equal(rb.status, 0, rb.stderr);
    assert.deepEqual(await catalog(db), before);
    assert.deepEqual(await allRows(db), rows);
  } finally {
    await db.close();
  }
});

test('the dry run says which key and foreign keys it would drop and re-create, and changes nothing', async () => {
  const db = await freshDb(SEED);
  try {
    const before = await catalog(db);
    const rows = await allRows(db);
    const io = await runCli(['migrate', '--url', db.url, '-t', 'public.memberships', '-k', 'org,ext', '--dry-run']);
    assert.equal(io.code, 0, io.out + io.err);
    assert.match(io.out, /^ {2}rows deleted: {5}3$/m);
    assert.match(io.out, /^ {2}unique constraint: would build$/m);
    assert.match(io.out, /^ {2}replaces: {9}the plain unique constraint memberships_org_ext_key on \(org, ext\): dropped and re-created as UNIQUE NULLS NOT DISTINCT under the same name$/m);
    assert.match(io.out, /^ {2}re-created: {7}foreign keys public\.audit\.audit_member_fk, public\.grants\.grants_member_fk, public\.legacy\.legacy_member_fk \(dropped before the swap, re-created identically after it\)$/m);
    assert.deepEqual(await catalog(db), before);
    assert.deepEqual(await allRows(db), rows);
  } finally {
    await db.close();
  }
});

test('what cannot be replaced exactly is refused with the reason: a partial unique index, two plain keys on the same columns, a partitioned table, a function that names the key, another name, a server before 15', async () => {
  const db = await freshDb(`
    CREATE TABLE public.p (id serial PRIMARY KEY, org int NOT NULL, ext text, deleted_at timestamptz);
    CREATE UNIQUE INDEX p_live_uidx ON public.p (org, ext) WHERE deleted_at IS NULL;
    CREATE TABLE public.two (id serial PRIMARY KEY, org int NOT NULL, ext text, CONSTRAINT two_key UNIQUE (org, ext));
    CREATE UNIQUE INDEX two_again ON public.two (ext, org);
    CREATE TABLE public.parts (org int NOT NULL, ext text, CONSTRAINT parts_key UNIQUE (org, ext)) PARTITION BY LIST (org);
    CREATE TABLE public.parts_1 PARTITION OF public.parts FOR VALUES IN (1);
    CREATE TABLE public.one (id serial PRIMARY KEY, org int NOT NULL, ext text, CONSTRAINT one_key UNIQUE (org, ext));
    CREATE TABLE public.fn (id serial PRIMARY KEY, org int NOT NULL, ext text, CONSTRAINT fn_key UNIQUE (org, ext));
    CREATE FUNCTION public.add_fn(o int, e text) RETURNS void LANGUAGE sql
      BEGIN ATOMIC INSERT INTO public.fn (org, ext) VALUES (o, e) ON CONFLICT ON CONSTRAINT fn_key DO NOTHING; END;`);
  try {
    const gen = async (table: string, extra: Record<string, unknown> = {}) => {
      const desc = await describe(db, 'public', table);
      return generateMigration(desc, { key: ['org', 'ext'], keyUniques: await keyUniqueFacts(db.client, desc, ['org', 'ext']), ...extra });
    };
    // The panel's NULL-hole action names the key: a partial one cannot become an equivalent table-wide key.
    await assert.rejects(gen('p', { nullHoleOf: 'p_live_uidx' }), /p_live_uidx is a partial unique index \(WHERE deleted_at IS NULL\).*cannot replace it by an equivalent NULLS NOT DISTINCT key; nothing was generated/);
    await assert.rejects(gen('two'), /public\.two has 2 plain unique keys on \(org, ext\): unique index two_again, unique constraint two_key\. Drop the redundant ones first/);
    await assert.rejects(gen('parts', { partitionKey: ['org'] }), /replaces the plain unique constraint parts_key on \(org, ext\) of public\.parts under the same name, but public\.parts is partitioned/);
    // A function body that names the constraint depends on it: dropping the key would drop the function.
    await assert.rejects(gen('fn'), /but function add_fn\(integer,text\) depends on it: dropping it would drop that too, and dupguard cannot re-create it exactly; nothing was generated/);
    await assert.rejects(gen('one', { constraintName: 'one_nnd' }), /--constraint-name one_nnd asks for another name, which would leave two unique keys on the same columns/);
    // Without the catalog facts the generator does not guess what depends on the key.
    assert.throws(() => generateMigration({ schema: 'public', name: 'one', source: 'catalog', kind: 'r', referencedBy: [],
      columns: [{ name: 'org', type: 'integer', notNull: true }, { name: 'ext', type: 'text', notNull: false }],
      keys: [{ kind: 'unique', name: 'one_key', columns: ['org', 'ext'] }] }, { key: ['org', 'ext'] }), /has the plain unique key one_key on \(org, ext\): the NULLS NOT DISTINCT migration replaces it under the same name, which needs what the catalog says about it/);
    // PostgreSQL before 15 has no NULLS NOT DISTINCT: refused at generation, and by the script itself.
    await assert.rejects(gen('one', { serverVersionNum: 140011 }), /NULLS NOT DISTINCT needs PostgreSQL 15 or later, and the server is version 14/);
    const script = (await gen('one')).script;
    assert.match(script, /current_setting\('server_version_num'\)::pg_catalog\.int4 OPERATOR\(pg_catalog\.<\) 150000/);
  } finally {
    await db.close();
  }
});

test('a script generated before the key or its dependants changed stops at step 0 with nothing changed', async () => {
  const db = await freshDb(SEED);
  try {
    const desc = await describe(db, 'public', 'memberships');
    const p = generateMigration(desc, { key: ['org', 'ext'], ...(await migrationFacts(db.client, desc, { key: ['org', 'ext'] })) });
    // A new foreign key on the key since generation: the swap would drop it without re-creating it.
    await db.q('CREATE TABLE public.late (org int, ext text, FOREIGN KEY (org, ext) REFERENCES public.memberships (org, ext))');
    const before = await catalog(db);
    const rows = await allRows(db);
    const r = psqlRun(db.url, p.script);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /dupguard: the foreign keys pointing at public\.memberships are not the ones this script was generated for \(now: audit_member_fk, grants_member_fk, late_org_ext_fkey, legacy_member_fk\); generate it again/);
    assert.deepEqual(await catalog(db), before);
    assert.deepEqual(await allRows(db), rows);
    // The key became NULLS NOT DISTINCT meanwhile: nothing to replace any more.
    await db.q('DROP TABLE public.late');
    await db.q(`DELETE FROM public.memberships a USING public.memberships b WHERE a.org = b.org AND a.ext IS NULL AND b.ext IS NULL AND a.id > b.id`);
    await db.q('ALTER TABLE public.grants DROP CONSTRAINT grants_member_fk; ALTER TABLE public.audit DROP CONSTRAINT audit_member_fk; ALTER TABLE public.legacy DROP CONSTRAINT legacy_member_fk');
    await db.q(`ALTER TABLE public.memberships DROP CONSTRAINT memberships_org_ext_key, ADD CONSTRAINT memberships_org_ext_key UNIQUE NULLS NOT DISTINCT (org, ext);
      ALTER TABLE public.grants ADD CONSTRAINT grants_member_fk FOREIGN KEY (org, ext) REFERENCES public.memberships (org, ext);
      ALTER TABLE public.audit ADD CONSTRAINT audit_member_fk FOREIGN KEY (org, ext) REFERENCES public.memberships (org, ext);
      ALTER TABLE public.legacy ADD CONSTRAINT legacy_member_fk FOREIGN KEY (org, ext) REFERENCES public.memberships (org, ext) NOT VALID;`);
    const r2 = psqlRun(db.url, p.script);
    assert.notEqual(r2.status, 0);
    assert.match(r2.stderr, /dupguard: the plain unique constraint memberships_org_ext_key on \(org, ext\) that this script replaces is no longer on public\.memberships as it was when the script was generated; generate it again/);
  } finally {
    await db.close();
  }
});
