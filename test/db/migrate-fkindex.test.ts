/**
 * Issue 12, item 5: each copy the delete removes makes PostgreSQL look its references up in every
 * referencing table; without an index on the referencing columns that is a full scan per copy
 * (quadratic). The delete builds the missing index first and drops it before COMMIT, and the dry run
 * reports the cost it avoids.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dryRunMigration, migrationFacts } from '../../src/db/dryrun';
import { describeTable } from '../../src/db/introspect';
import { generateMigration } from '../../src/migrate/generate';
import { count, freshDb, psqlRun, rowHashes } from './migrate-support';

// 200,000 rows, 40,000 of them copies; 200,000 referencing rows with no index on their column.
// Without the index the delete reads 40,000 x 200,000 rows (hours); with it, seconds.
const SEED = `
  CREATE TABLE public.accounts (id bigint PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL);
  CREATE TABLE public.sessions (id bigint PRIMARY KEY, account bigint NOT NULL REFERENCES public.accounts(id) ON DELETE CASCADE);
  CREATE TABLE public.notes (id bigint PRIMARY KEY, account bigint REFERENCES public.accounts(id));
  CREATE INDEX notes_account ON public.notes (account);
  INSERT INTO public.accounts SELECT i, 'user' || (i % 160000) || '@x', timestamptz '2025-01-01' + i * interval '1 second' FROM generate_series(0, 199999) i;
  INSERT INTO public.sessions SELECT i, (i * 7) % 200000 FROM generate_series(0, 199999) i;
  INSERT INTO public.notes SELECT i, (i * 11) % 200000 FROM generate_series(0, 999) i;
  ANALYZE public.accounts; ANALYZE public.sessions; ANALYZE public.notes;
`;

test('unindexed referencing key: the dry run reports the cost; the delete builds a temporary index, drops it before COMMIT, and finishes on 200,000 rows', { timeout: 240_000 }, async () => {
  const db = await freshDb(SEED);
  try {
    const desc = await describeTable(db.client, 'public', 'accounts');
    const facts = await migrationFacts(db.client, desc);
    assert.deepEqual(facts.unindexedForeignKeys, ['public.sessions.sessions_account_fkey']);
    assert.deepEqual(facts.foreignKeys.map((f) => [f.foreignKey, f.indexed, f.childRows]), [
      ['public.notes.notes_account_fkey', true, 1000], ['public.sessions.sessions_account_fkey', false, 200000],
    ]);
    const p = generateMigration(desc, { key: ['email'], duplicateRatio: 1.25, rowEstimate: 200000, mergeReferences: true, ...facts });
    assert.equal(p.strategy, 'delete');
    assert.match(p.strategyReason, /public\.sessions has no index on \(account\).*temporary index/);
    assert.deepEqual(p.temporaryIndexes.map((t) => [t.foreignKey, t.index.qualified, t.known]), [['public.sessions.sessions_account_fkey', p.temporaryIndexes[0].index.qualified, true]]);
    const ix = p.temporaryIndexes[0].index;
    assert.ok(p.script.includes(`CREATE INDEX ${ix.name} ON public.sessions (account);`));
    assert.ok(p.script.indexOf(`DROP INDEX IF EXISTS ${ix.qualified};`) < p.script.indexOf('\nCOMMIT;'), 'dropped inside the transaction');
    assert.ok(p.script.indexOf('CREATE INDEX') < p.script.indexOf('DELETE FROM'));

    // The dry run: the cost of each referencing key, the temporary index built inside its rolled-back transaction.
    const rep = await dryRunMigration(db.client, desc, { key: ['email'], duplicateRatio: 1.25, mergeReferences: true });
    assert.equal(rep.dedupOk && rep.constraintBuilds, true, rep.error);
    assert.equal(rep.rowsDeleted, 40000);
    const s = rep.foreignKeys.find((f) => f.foreignKey === 'public.sessions.sessions_account_fkey')!;
    assert.deepEqual({ indexed: s.indexed, temporaryIndex: s.temporaryIndex, rows: s.childRows, reads: s.rowReadsWithoutIndex }, { indexed: false, temporaryIndex: true, rows: 200000, reads: 40000 * 200000 });
    const n = rep.foreignKeys.find((f) => f.foreignKey === 'public.notes.notes_account_fkey')!;
    assert.deepEqual({ indexed: n.indexed, temporaryIndex: n.temporaryIndex }, { indexed: true, temporaryIndex: false });
    assert.ok(rep.notices.some((x) => /sessions has no index on \(account\)/.test(x)), rep.notices.join('\n'));
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.accounts'), 200000);
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'sessions'"), 1);

    const sessions = await count(db, 'SELECT count(*) AS n FROM public.sessions');
    const keptBefore = await db.q<{ id: string }>('SELECT min(id)::text AS id FROM public.accounts GROUP BY email ORDER BY 1 LIMIT 3');
    const r = psqlRun(db.url, p.script);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /built the temporary index/);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.accounts'), 160000);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.sessions'), sessions, 'no session cascaded away: all moved to kept accounts');
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.sessions s LEFT JOIN public.accounts a ON a.id = s.account WHERE a.id IS NULL'), 0);
    assert.deepEqual((await db.q<{ id: string }>('SELECT min(id)::text AS id FROM public.accounts GROUP BY email ORDER BY 1 LIMIT 3')), keptBefore);
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'sessions'"), 1, 'only the primary key index remains');
  } finally {
    await db.close();
  }
});

test('without catalog facts the script checks at run time: an indexed referencing key gets no temporary index', async () => {
  const db = await freshDb(`
    CREATE TABLE public.a (id int PRIMARY KEY, k text NOT NULL);
    CREATE TABLE public.b (id int PRIMARY KEY, a_id int REFERENCES public.a(id));
    CREATE INDEX b_a ON public.b (a_id, id);
    INSERT INTO public.a VALUES (1, 'x'), (2, 'x'), (3, 'y');
    INSERT INTO public.b VALUES (1, 2), (2, 3);`);
  try {
    const before = await rowHashes(db, 'public', 'b');
    const desc = await describeTable(db.client, 'public', 'a');
    const p = generateMigration(desc, { key: ['k'], strategy: 'delete', mergeReferences: true });
    assert.equal(p.temporaryIndexes.length, 1);
    assert.equal(p.temporaryIndexes[0].known, false);
    const r = psqlRun(db.url, p.script);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr + r.stdout, /built the temporary index/);
    assert.deepEqual(await db.q('SELECT id, a_id FROM public.b ORDER BY id'), [{ id: 1, a_id: 1 }, { id: 2, a_id: 3 }]);
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'b'"), 2);
    assert.ok(psqlRun(db.url, p.rollback).status === 0);
    assert.deepEqual(await rowHashes(db, 'public', 'b'), before);
  } finally {
    await db.close();
  }
});

test('a role that may not build the missing index is refused with the reason before anything changes', async () => {
  const db = await freshDb(`
    CREATE TABLE public.a (id int PRIMARY KEY, k text NOT NULL);
    CREATE TABLE public.b (id int PRIMARY KEY, a_id int REFERENCES public.a(id));
    INSERT INTO public.a VALUES (1, 'x'), (2, 'x');
    INSERT INTO public.b VALUES (1, 2);`);
  try {
    await db.q(`DO $$ BEGIN CREATE ROLE dg_not_owner LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    await db.q('GRANT CREATE, USAGE ON SCHEMA public TO dg_not_owner');
    await db.q('ALTER TABLE public.a OWNER TO dg_not_owner');
    await db.q('GRANT SELECT, UPDATE ON public.b TO dg_not_owner');
    const desc = await describeTable(db.client, 'public', 'a');
    const p = generateMigration(desc, { key: ['k'], strategy: 'delete', mergeReferences: true, ...(await migrationFacts(db.client, desc)) });
    const u = new URL(db.url);
    u.username = 'dg_not_owner';
    const r = psqlRun(u.toString(), p.script);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /dupguard: public\.b has no index on \(a_id\) for b_a_id_fkey, so deleting each copy would read that whole table; building a temporary index there needs its owner's rights/);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.a'), 2);
  } finally {
    await db.q('REASSIGN OWNED BY dg_not_owner TO postgres').catch(() => {});
    await db.q('DROP OWNED BY dg_not_owner').catch(() => {});
    await db.close();
  }
});
