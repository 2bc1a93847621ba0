/**
 * Generated migrations on the awkward cases: NULL keys under both NULL policies, identifiers of
 * every shape, identity and generated columns, a partitioned table, and the dry run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dryRunMigration, measureDuplicates } from '../../src/db/dryrun';
import { describeTable } from '../../src/db/introspect';
import { quoteQualified } from '../../src/core/quote';
import { MigrationError } from '../../src/migrate/types';
import { constraintExists, count, freshDb, plan, psqlRun, rowHashes, tableExists } from './migrate-support';

const NULL_SEED = `
  CREATE TABLE public.readings (id serial PRIMARY KEY, device text, channel int, value numeric, taken_at timestamp NOT NULL);
  INSERT INTO public.readings (device, channel, value, taken_at) VALUES
    ('a', 1, 10, '2025-01-03'), ('a', 1, 11, '2025-01-01'), ('a', 1, 12, '2025-01-02'),
    ('a', NULL, 20, '2025-01-05'), ('a', NULL, 21, '2025-01-04'), ('a', NULL, 22, '2025-01-06'),
    (NULL, NULL, 30, '2025-01-08'), (NULL, NULL, 31, '2025-01-07'),
    ('b', 2, 40, '2025-01-09');
`;

test('NULL keys, not-distinct (default): NULLs are equal, one row per key survives, UNIQUE NULLS NOT DISTINCT', async () => {
  const db = await freshDb(NULL_SEED);
  try {
    const original = await rowHashes(db, 'public', 'readings');
    for (const strategy of ['delete', 'rebuild'] as const) {
      const p = await plan(db, 'public', 'readings', { key: ['device', 'channel'], orderBy: 'taken_at', strategy, backupName: `readings_backup_${strategy}` });
      assert.equal(p.nullKeys, 'not-distinct');
      assert.equal(p.keep.column, 'taken_at');
      const r = psqlRun(db.url, p.script);
      assert.equal(r.status, 0, r.stderr);
      const rows = await db.q<{ value: string }>('SELECT value::text FROM public.readings ORDER BY value');
      assert.deepEqual(rows.map((x) => x.value), ['11', '21', '31', '40'], 'the oldest of each key, NULL keys grouped');
      const def = await db.q<{ d: string }>(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = $1`, [p.constraintName]);
      assert.match(def[0].d, /UNIQUE NULLS NOT DISTINCT \(device, channel\)/);
      await assert.rejects(db.q(`INSERT INTO public.readings (device, channel, taken_at) VALUES ('a', NULL, now())`), /duplicate key/);
      const rb = psqlRun(db.url, p.rollback);
      assert.equal(rb.status, 0, rb.stderr);
      assert.deepEqual(await rowHashes(db, 'public', 'readings'), original);
    }
  } finally {
    await db.close();
  }
});

test('NULL keys, distinct: rows with a NULL key column are all kept, plain UNIQUE', async () => {
  const db = await freshDb(NULL_SEED);
  try {
    const original = await rowHashes(db, 'public', 'readings');
    for (const strategy of ['delete', 'rebuild'] as const) {
      const p = await plan(db, 'public', 'readings', { key: ['device', 'channel'], orderBy: 'taken_at', strategy, nullKeys: 'distinct', backupName: `readings_backup_${strategy}` });
      const r = psqlRun(db.url, p.script);
      assert.equal(r.status, 0, r.stderr);
      const rows = await db.q<{ value: string }>('SELECT value::text FROM public.readings ORDER BY value');
      assert.deepEqual(rows.map((x) => x.value), ['11', '20', '21', '22', '30', '31', '40']);
      const def = await db.q<{ d: string }>(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = $1`, [p.constraintName]);
      assert.equal(def[0].d, 'UNIQUE (device, channel)');
      const rb = psqlRun(db.url, p.rollback);
      assert.equal(rb.status, 0, rb.stderr);
      assert.deepEqual(await rowHashes(db, 'public', 'readings'), original);
    }
  } finally {
    await db.close();
  }
});

// Identifiers with quotes, spaces, upper case, keywords, unicode, a backslash, a colon (psql
// variables), a dollar sign and a line break; an identity ALWAYS id and a generated column.
const S = 'Odd "Schema" $x';
const T = 'Täble "select" :x';
const CHILD = 'child\\table';
const ODD_SEED = `
  CREATE SCHEMA "Odd ""Schema"" $x";
  CREATE TABLE "Odd ""Schema"" $x"."Täble ""select"" :x" (
    "Order" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "Key Col" text NOT NULL,
    "select" int NOT NULL,
    "ÜBER$$dg$$" text,
    "new
line" text DEFAULT 'it''s',
    "Created At" timestamptz NOT NULL,
    "double" int GENERATED ALWAYS AS ("select" * 2) STORED
  );
  CREATE INDEX "idx ""odd""" ON "Odd ""Schema"" $x"."Täble ""select"" :x" (lower("Key Col"));
  CREATE TABLE "Odd ""Schema"" $x"."child\\table" (id serial PRIMARY KEY, "Ref Order" bigint REFERENCES "Odd ""Schema"" $x"."Täble ""select"" :x"("Order"));
  INSERT INTO "Odd ""Schema"" $x"."Täble ""select"" :x" ("Key Col", "select", "ÜBER$$dg$$", "Created At")
  SELECT 'k''' || (i % 10), i % 3, 'ü' || i, timestamptz '2025-01-01' + i * interval '1 hour' FROM generate_series(1, 300) i;
  INSERT INTO "Odd ""Schema"" $x"."child\\table" ("Ref Order") SELECT "Order" FROM "Odd ""Schema"" $x"."Täble ""select"" :x" WHERE "Order" % 4 = 0;
`;

test('identifiers of every shape, identity ALWAYS and generated columns: both strategies, keep newest by id, rollback', async () => {
  for (const strategy of ['delete', 'rebuild'] as const) {
    const db = await freshDb(ODD_SEED);
    try {
      const original = await rowHashes(db, S, T);
      const childOriginal = await rowHashes(db, S, CHILD);
      const tq = quoteQualified(S, T);
      const distinct = await count(db, `SELECT count(DISTINCT ("Key Col", "select")) AS n FROM ${tq}`);
      assert.equal(distinct, 30);
      const expected = (await db.q<{ o: string }>(`SELECT DISTINCT ON ("Key Col", "select") "Order" AS o FROM ${tq} ORDER BY "Key Col", "select", "Order" DESC`)).map((r) => r.o).sort();
      const p = await plan(db, S, T, { key: ['Key Col', 'select'], keep: 'newest', orderBy: 'Order', strategy, constraintName: 'uq "odd" $dg$' });
      assert.ok(p.script.includes(`-- backup: ${p.backup.qualified}`));
      assert.ok(!p.script.includes('\nline" text'), 'the line break in a column name never reaches a comment raw');
      const r = psqlRun(db.url, p.script);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual((await db.q<{ o: string }>(`SELECT "Order" AS o FROM ${tq}`)).map((x) => x.o).sort(), expected);
      assert.ok(await constraintExists(db, S, T, 'uq "odd" $dg$'));
      assert.deepEqual(await rowHashes(db, S, p.backup.name), original);
      // Children still reference existing rows of the same key (the FK is valid and nothing cascaded).
      assert.equal(await count(db, `SELECT count(*) AS n FROM ${quoteQualified(S, CHILD)} c JOIN ${tq} t ON t."Order" = c."Ref Order"`), childOriginal.length);
      // Identity continues: a new row gets a fresh id.
      await db.q(`INSERT INTO ${tq} ("Key Col", "select", "Created At") VALUES ('new', 1, now())`);
      const rb = psqlRun(db.url, p.rollback);
      assert.equal(rb.status, 0, rb.stderr);
      assert.deepEqual(await rowHashes(db, S, T), original);
      assert.deepEqual(await rowHashes(db, S, CHILD), childOriginal);
    } finally {
      await db.close();
    }
  }
});

test('partitioned table: dedup across partitions by (tableoid, ctid); key must include the partition key', async () => {
  const db = await freshDb(`
    CREATE TABLE public.events (region text NOT NULL, event_id int NOT NULL, seen_at timestamptz NOT NULL, body text) PARTITION BY LIST (region);
    CREATE TABLE public.events_eu PARTITION OF public.events FOR VALUES IN ('eu');
    CREATE TABLE public.events_us PARTITION OF public.events FOR VALUES IN ('us');
    INSERT INTO public.events SELECT CASE WHEN i % 2 = 0 THEN 'eu' ELSE 'us' END, i % 20, timestamptz '2025-01-01' + i * interval '1 minute', 'b' || i
    FROM generate_series(1, 400) i;`);
  try {
    const before = await db.q(`SELECT DISTINCT ON (region, event_id) body FROM public.events ORDER BY region, event_id, seen_at`);
    const p = await plan(db, 'public', 'events', { key: ['region', 'event_id'], strategy: 'delete' });
    assert.equal(p.indexBuild, 'in-transaction');
    const r = psqlRun(db.url, p.script);
    assert.equal(r.status, 0, r.stderr);
    const after = await db.q(`SELECT body FROM public.events ORDER BY region, event_id`);
    assert.deepEqual(after, before);
    assert.ok(await constraintExists(db, 'public', 'events', p.constraintName));
  } finally {
    await db.close();
  }
});

test('dry run: reports rows before/after, copies removed, references moved, constraint builds; changes nothing', async () => {
  const db = await freshDb(`
    CREATE TABLE public.task_comments (id bigserial PRIMARY KEY, task_pk int NOT NULL, comment_id int NOT NULL, body text, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE public.likes (id serial PRIMARY KEY, comment bigint REFERENCES public.task_comments(id));
    INSERT INTO public.task_comments (task_pk, comment_id, body, created_at)
    SELECT i % 47, i % 10, 'c' || i, timestamptz '2025-01-01' + i * interval '1 minute' FROM generate_series(1, 1457) i;
    INSERT INTO public.likes (comment) SELECT id FROM public.task_comments WHERE id % 9 = 0;`);
  try {
    const original = await rowHashes(db, 'public', 'task_comments');
    const likes = await rowHashes(db, 'public', 'likes');
    const desc = await describeTable(db.client, 'public', 'task_comments');
    const m = await measureDuplicates(db.client, desc, ['task_pk', 'comment_id']);
    assert.deepEqual(m && { rows: m.rows, keys: m.distinctKeys }, { rows: 1457, keys: 470 });
    const rep = await dryRunMigration(db.client, desc, { key: ['task_pk', 'comment_id'], duplicateRatio: m!.ratio, mergeReferences: true });
    assert.equal(rep.error, undefined);
    assert.equal(rep.dedupOk, true);
    assert.equal(rep.constraintBuilds, true);
    assert.equal(rep.rowsBefore, 1457);
    assert.equal(rep.rowsAfter, 470);
    assert.equal(rep.rowsDeleted, 987);
    assert.equal(rep.distinctKeys, 470);
    assert.ok(rep.referencesMoved > 0);
    assert.ok(rep.notices.some((n) => /1457 rows before, 470 after/.test(n)), rep.notices.join('\n'));
    assert.deepEqual(await rowHashes(db, 'public', 'task_comments'), original);
    assert.deepEqual(await rowHashes(db, 'public', 'likes'), likes);
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_class WHERE relname LIKE 'task_comments_dupguard%'"), 0);
  } finally {
    await db.close();
  }
});

test('partitioned table whose key lacks the partition column: refused up front (generator with catalog facts, and the script itself)', async () => {
  // A unique constraint on a partitioned table must include the partition key: the dedup would run
  // to its end and then fail. The dry run and the CLI read the partition key and refuse; a script
  // generated without it stops at its first check, before any work.
  const db = await freshDb(`
    CREATE TABLE public.events (region text NOT NULL, event_id int NOT NULL, seen_at timestamptz NOT NULL) PARTITION BY LIST (region);
    CREATE TABLE public.events_eu PARTITION OF public.events FOR VALUES IN ('eu');
    INSERT INTO public.events SELECT 'eu', i % 5, now() FROM generate_series(1, 50) i;`);
  try {
    const desc = await describeTable(db.client, 'public', 'events');
    await assert.rejects(dryRunMigration(db.client, desc, { key: ['event_id'] }),
      (e: Error) => e instanceof MigrationError && /partitioned by \(region\).*the key \(event_id\) lacks region/.test(e.message));
    const p = await plan(db, 'public', 'events', { key: ['event_id'] });
    const r = psqlRun(db.url, p.script);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /dupguard: public\.events is partitioned by LIST \(region\) and a UNIQUE constraint on a partitioned table must include every partition column/);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.events'), 50);
    assert.equal(await tableExists(db, p.backup.qualified), false);
    // With the partition column in the key it goes through.
    const ok = await dryRunMigration(db.client, desc, { key: ['region', 'event_id'] });
    assert.equal(ok.dedupOk && ok.constraintBuilds, true, ok.error);
  } finally {
    await db.close();
  }
});

test('references whose move would duplicate rows of the referencing table: the script stops with a clear message, nothing changes', async () => {
  const db = await freshDb(`
    CREATE TABLE public.photos (id serial PRIMARY KEY, photo_key text NOT NULL, created_at timestamptz NOT NULL);
    CREATE TABLE public.photo_tags (photo int REFERENCES public.photos(id), tag text, UNIQUE (photo, tag));
    INSERT INTO public.photos (photo_key, created_at) VALUES ('a', '2025-01-01'), ('a', '2025-01-02');
    INSERT INTO public.photo_tags VALUES (1, 'x'), (2, 'x'), (2, 'y');`);
  try {
    const photos = await rowHashes(db, 'public', 'photos');
    const tags = await rowHashes(db, 'public', 'photo_tags');
    for (const strategy of ['delete', 'rebuild'] as const) {
      const p = await plan(db, 'public', 'photos', { key: ['photo_key'], strategy });
      const r = psqlRun(db.url, p.script);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /dupguard: moving the references of public\.photo_tags \(photo_tags_photo_fkey\) .* would make rows of public\.photo_tags duplicates of each other; nothing was changed/);
      assert.match(r.stderr, /HINT: {2}Deduplicate public\.photo_tags first/);
      assert.deepEqual(await rowHashes(db, 'public', 'photos'), photos);
      assert.deepEqual(await rowHashes(db, 'public', 'photo_tags'), tags);
    }
  } finally {
    await db.close();
  }
});

test('a self-referencing foreign key: parents pointing at removed copies move to the kept row; rollback restores all', async () => {
  const db = await freshDb(`
    CREATE TABLE public.nodes (id int PRIMARY KEY, path text NOT NULL, parent int REFERENCES public.nodes(id), created_at timestamptz NOT NULL);
    INSERT INTO public.nodes VALUES (1, '/', NULL, '2025-01-01'), (2, '/', NULL, '2025-01-02'),
      (3, '/a', 2, '2025-01-03'), (4, '/a', 1, '2025-01-04'), (5, '/a/b', 4, '2025-01-05'), (6, '/a/b', 3, '2025-01-06');`);
  try {
    const original = await rowHashes(db, 'public', 'nodes');
    for (const strategy of ['delete', 'rebuild'] as const) {
      const p = await plan(db, 'public', 'nodes', { key: ['path'], strategy, backupName: `nodes_backup_${strategy}` });
      const r = psqlRun(db.url, p.script);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(await db.q('SELECT id, path, parent FROM public.nodes ORDER BY id'), [
        { id: 1, path: '/', parent: null }, { id: 3, path: '/a', parent: 1 }, { id: 5, path: '/a/b', parent: 3 },
      ]);
      const rb = psqlRun(db.url, p.rollback);
      assert.equal(rb.status, 0, rb.stderr);
      assert.deepEqual(await rowHashes(db, 'public', 'nodes'), original);
    }
  } finally {
    await db.close();
  }
});

test('YugabyteDB flavour (no ctid: copies told apart by the primary key) runs correctly on PostgreSQL too', async () => {
  const seed = `
    CREATE TABLE public.task_assignments (id bigint PRIMARY KEY, task_pk int NOT NULL, assignee int NOT NULL, created_at timestamptz NOT NULL);
    CREATE TABLE public.notes (id int PRIMARY KEY, assignment bigint REFERENCES public.task_assignments(id));
    INSERT INTO public.task_assignments SELECT i, i % 10, i % 3, timestamptz '2025-01-01' + ((i * 37) % 500) * interval '1 hour' FROM generate_series(1, 1490) i;
    INSERT INTO public.notes SELECT i, i * 7 FROM generate_series(1, 200) i;`;
  for (const strategy of ['delete', 'rebuild'] as const) {
    const db = await freshDb(seed);
    try {
      const original = await rowHashes(db, 'public', 'task_assignments');
      const expected = await db.q('SELECT DISTINCT ON (task_pk, assignee) id FROM public.task_assignments ORDER BY task_pk, assignee, created_at, id');
      const noteKeys = await db.q('SELECT n.id, a.task_pk, a.assignee FROM public.notes n JOIN public.task_assignments a ON a.id = n.assignment ORDER BY n.id');
      const p = await plan(db, 'public', 'task_assignments', { key: ['task_pk', 'assignee'], strategy, flavour: 'yugabyte', indexBuild: 'concurrent' });
      const sqlLines = (p.script + p.rollback).split('\n').filter((l) => !l.startsWith('--'));
      assert.ok(!sqlLines.some((l) => /\bctid\b/.test(l)), 'no ctid in any statement');
      assert.ok(p.warnings.some((w) => /cannot move repointed foreign key references back/.test(w)));
      const r = psqlRun(db.url, p.script);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(await db.q('SELECT id FROM public.task_assignments ORDER BY task_pk, assignee'), expected);
      assert.deepEqual(await db.q('SELECT n.id, a.task_pk, a.assignee FROM public.notes n JOIN public.task_assignments a ON a.id = n.assignment ORDER BY n.id'), noteKeys);
      assert.ok(await constraintExists(db, 'public', 'task_assignments', p.constraintName));
      const rb = psqlRun(db.url, p.rollback);
      assert.equal(rb.status, 0, rb.stderr);
      assert.deepEqual(await rowHashes(db, 'public', 'task_assignments'), original);
    } finally {
      await db.close();
    }
  }
});

test('row level security that hides rows from the running role stops the script before anything changes', async () => {
  const db = await freshDb(`
    CREATE TABLE public.docs (id serial PRIMARY KEY, doc_key text NOT NULL, tenant int NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO public.docs (doc_key, tenant) SELECT 'k' || (i % 5), i % 2 FROM generate_series(1, 40) i;
    ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
    ALTER TABLE public.docs FORCE ROW LEVEL SECURITY;
    CREATE POLICY only_tenant_0 ON public.docs USING (tenant = 0);
    DO $$ BEGIN CREATE ROLE dupguard_rls_owner NOSUPERUSER NOBYPASSRLS; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
    ALTER TABLE public.docs OWNER TO dupguard_rls_owner;
    GRANT CREATE ON SCHEMA public TO dupguard_rls_owner;`);
  try {
    const p = await plan(db, 'public', 'docs', { key: ['doc_key'] });
    const r = psqlRun(db.url, `SET ROLE dupguard_rls_owner;\n${p.script}`);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /row level security hides rows of public\.docs from this role/);
    await db.q('ALTER TABLE public.docs NO FORCE ROW LEVEL SECURITY');
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.docs'), 40);
    // The owner without FORCE sees every row: the same script now runs.
    const ok = psqlRun(db.url, `SET ROLE dupguard_rls_owner;\n${p.script}`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.docs'), 5);
  } finally {
    await db.close();
  }
});
