/**
 * Generated dedup migrations executed by psql on real PostgreSQL: seed 002's shape (a child table
 * whose ETL re-inserted every row) at the incident's ratios, with a foreign key pointing at it, an
 * extra index, grants, a comment, a serial id and a user trigger; both strategies, rollback included.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MigrationOptions } from '../../src/migrate/types';
import { constraintExists, count, freshDb, plan, psqlRun, rowHashes, tableExists } from './migrate-support';

interface SeedShape { keys: number; copies: string; label: string }
// copies: SQL for the number of copies of key k.
const SHAPES: Record<string, SeedShape> = {
  '1.01x': { keys: 2000, copies: 'CASE WHEN k <= 20 THEN 2 ELSE 1 END', label: '2020 rows, 2000 keys' },
  '27x': { keys: 100, copies: '27', label: '2700 rows, 100 keys' },
  '909x': { keys: 3, copies: '909', label: '2727 rows, 3 keys' },
};

function seedSql(shape: SeedShape): string {
  return `
    CREATE SCHEMA app;
    DO $$ BEGIN CREATE ROLE dupguard_reader; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
    CREATE TABLE app.task_photos (
      id bigserial PRIMARY KEY,
      task_pk integer NOT NULL,
      photo_id text NOT NULL,
      url text,
      created_at timestamptz NOT NULL,
      meta jsonb
    );
    CREATE INDEX task_photos_url_idx ON app.task_photos (url);
    COMMENT ON TABLE app.task_photos IS 'photos of tasks';
    GRANT SELECT ON app.task_photos TO dupguard_reader;
    CREATE TABLE app.photo_tags (id serial PRIMARY KEY, photo bigint REFERENCES app.task_photos(id) ON DELETE CASCADE, tag text);
    -- Copies in random id order; created_at not monotonic in id; for every fifth key the two oldest
    -- copies tie on created_at (the lower id must win).
    INSERT INTO app.task_photos (task_pk, photo_id, url, created_at, meta)
    SELECT k, 'p' || k, 'u' || k || '-' || c,
           CASE WHEN c <= 2 AND k % 5 = 0 THEN timestamptz '2024-06-01 00:00+00'
                ELSE timestamptz '2025-01-01 00:00+00' + ((k * 7919 + c * 104729) % 100000) * interval '1 minute' END,
           jsonb_build_object('copy', c)
    FROM generate_series(1, ${shape.keys}) AS k CROSS JOIN LATERAL generate_series(1, ${shape.copies}) AS c
    ORDER BY md5(k::text || '/' || c::text);
    INSERT INTO app.photo_tags (photo, tag) SELECT id, 'tag' || id FROM app.task_photos WHERE id % 7 = 0;
    -- A user trigger that would change rows if a reload fired it.
    CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.url := coalesce(NEW.url, '') || '+trigger'; RETURN NEW; END $$;
    CREATE TRIGGER task_photos_touch BEFORE INSERT ON app.task_photos FOR EACH ROW EXECUTE FUNCTION app.touch();
    ANALYZE;
  `;
}

async function seedCase(ratio: keyof typeof SHAPES, opts: Partial<MigrationOptions>): Promise<void> {
  const db = await freshDb(seedSql(SHAPES[ratio]));
  try {
    const keepDir = opts.keep === 'newest' ? 'DESC' : 'ASC';
    const original = await rowHashes(db, 'app', 'task_photos');
    const childOriginal = await rowHashes(db, 'app', 'photo_tags');
    const distinctBefore = await count(db, 'SELECT count(DISTINCT (task_pk, photo_id)) AS n FROM app.task_photos');
    const expectedIds = (await db.q<{ id: string }>(`SELECT DISTINCT ON (task_pk, photo_id) id FROM app.task_photos ORDER BY task_pk, photo_id, created_at ${keepDir}, id ${keepDir}`)).map((r) => r.id).sort();
    const expectedHashes = (await db.q<{ h: string }>(`SELECT md5(t::text) AS h FROM app.task_photos t WHERE id = ANY($1::bigint[]) ORDER BY 1`, [expectedIds])).map((r) => r.h);
    const childKeys = await db.q('SELECT pt.id, p.task_pk, p.photo_id FROM app.photo_tags pt JOIN app.task_photos p ON p.id = pt.photo ORDER BY pt.id');
    const aclBefore = await db.q("SELECT relacl::text AS acl, obj_description(oid, 'pg_class') AS comment FROM pg_class WHERE oid = 'app.task_photos'::regclass");
    const maxId = await count(db, 'SELECT max(id) AS n FROM app.task_photos');

    const p = await plan(db, 'app', 'task_photos', { key: ['task_pk', 'photo_id'], ...opts });
    assert.equal(p.keep.column, 'created_at');
    assert.deepEqual(p.repointedForeignKeys, ['app.photo_tags.photo_tags_photo_fkey']);
    const r = psqlRun(db.url, p.script);
    assert.equal(r.status, 0, `migration failed:\n${r.stderr}`);

    // Rows = distinct keys before, every key present, the kept row is the oldest (or newest).
    assert.equal(await count(db, 'SELECT count(*) AS n FROM app.task_photos'), distinctBefore);
    assert.equal(await count(db, 'SELECT count(DISTINCT (task_pk, photo_id)) AS n FROM app.task_photos'), distinctBefore);
    const ids = (await db.q<{ id: string }>('SELECT id FROM app.task_photos')).map((x) => x.id).sort();
    assert.deepEqual(ids, expectedIds);
    // Kept rows are unchanged (the reload did not fire the trigger).
    assert.deepEqual(await rowHashes(db, 'app', 'task_photos'), expectedHashes);
    // The constraint exists and refuses a new copy.
    assert.ok(await constraintExists(db, 'app', 'task_photos', p.constraintName));
    await assert.rejects(db.q(`INSERT INTO app.task_photos (task_pk, photo_id, created_at) VALUES (1, 'p1', now())`), /duplicate key/);
    // The backup equals the original.
    assert.deepEqual(await rowHashes(db, 'app', p.backup.name), original);
    // Children kept their rows and point at a row of the same key.
    assert.deepEqual(await db.q('SELECT pt.id, p.task_pk, p.photo_id FROM app.photo_tags pt JOIN app.task_photos p ON p.id = pt.photo ORDER BY pt.id'), childKeys);
    // Grants, comment, extra index, trigger, sequence are all still in place.
    assert.deepEqual(await db.q("SELECT relacl::text AS acl, obj_description(oid, 'pg_class') AS comment FROM pg_class WHERE oid = 'app.task_photos'::regclass"), aclBefore);
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_indexes WHERE schemaname = 'app' AND indexname = 'task_photos_url_idx'"), 1);
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_trigger WHERE tgname = 'task_photos_touch' AND tgenabled = 'O'"), 1);
    const newId = await count(db, `INSERT INTO app.task_photos (task_pk, photo_id, created_at) VALUES (-1, 'new', now()) RETURNING id AS n`);
    assert.ok(newId > maxId, 'the serial continues after the old maximum');

    // Rollback restores the original multiset exactly, children included.
    const rb = psqlRun(db.url, p.rollback);
    assert.equal(rb.status, 0, `rollback failed:\n${rb.stderr}`);
    assert.deepEqual(await rowHashes(db, 'app', 'task_photos'), original);
    assert.deepEqual(await rowHashes(db, 'app', 'photo_tags'), childOriginal);
    assert.equal(await constraintExists(db, 'app', 'task_photos', p.constraintName), false);
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_constraint WHERE conname = 'photo_tags_photo_fkey' AND convalidated"), 1);
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_trigger WHERE tgname = 'task_photos_touch' AND tgenabled = 'O'"), 1);
  } finally {
    await db.close();
  }
}

for (const ratio of Object.keys(SHAPES) as (keyof typeof SHAPES)[]) {
  for (const strategy of ['delete', 'rebuild'] as const) {
    test(`seed 002 shape at ${ratio} (${SHAPES[ratio].label}), ${strategy}: dedup, constraint, backup, rollback`, () => seedCase(ratio, { strategy }));
  }
}

test('27x, delete, keep newest, unique index built CONCURRENTLY outside the transaction', () =>
  seedCase('27x', { strategy: 'delete', keep: 'newest', indexBuild: 'concurrent' }));

test('909x, rebuild, keep newest, concurrent index', () =>
  seedCase('909x', { strategy: 'rebuild', keep: 'newest', indexBuild: 'concurrent' }));

test('auto strategy follows the measured ratio: 909x rebuilds, 1.01x deletes', async () => {
  const db = await freshDb(seedSql(SHAPES['909x']));
  try {
    const hi = await plan(db, 'app', 'task_photos', { key: ['task_pk', 'photo_id'], duplicateRatio: 909 });
    const lo = await plan(db, 'app', 'task_photos', { key: ['task_pk', 'photo_id'], duplicateRatio: 1.01 });
    assert.equal(hi.strategy, 'rebuild');
    assert.equal(lo.strategy, 'delete');
  } finally {
    await db.close();
  }
});

test('a failing post-validation leaves the table untouched and no backup behind', async () => {
  // An AFTER DELETE trigger that writes every deleted copy back: the dedup cannot succeed.
  const db = await freshDb(`${seedSql(SHAPES['27x'])}
    CREATE FUNCTION app.resurrect() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO app.task_photos (task_pk, photo_id, url, created_at) VALUES (OLD.task_pk, OLD.photo_id, OLD.url, OLD.created_at); RETURN OLD; END $$;
    CREATE TRIGGER task_photos_resurrect AFTER DELETE ON app.task_photos FOR EACH ROW EXECUTE FUNCTION app.resurrect();`);
  try {
    const original = await rowHashes(db, 'app', 'task_photos');
    const childOriginal = await rowHashes(db, 'app', 'photo_tags');
    const p = await plan(db, 'app', 'task_photos', { key: ['task_pk', 'photo_id'], strategy: 'delete' });
    const r = psqlRun(db.url, p.script);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /dupguard: \d+ duplicate groups remain after the dedup; nothing was changed/);
    assert.deepEqual(await rowHashes(db, 'app', 'task_photos'), original);
    assert.deepEqual(await rowHashes(db, 'app', 'photo_tags'), childOriginal);
    assert.equal(await tableExists(db, p.backup.qualified), false);
    assert.equal(await constraintExists(db, 'app', 'task_photos', p.constraintName), false);
  } finally {
    await db.close();
  }
});

test('a script generated for another shape of the table stops before touching it', async () => {
  const db = await freshDb(seedSql(SHAPES['27x']));
  try {
    const p = await plan(db, 'app', 'task_photos', { key: ['task_pk', 'photo_id'] });
    await db.q('ALTER TABLE app.task_photos ADD COLUMN extra int');
    const original = await rowHashes(db, 'app', 'task_photos');
    const r = psqlRun(db.url, p.script);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /columns of app\.task_photos changed since this script was generated/);
    assert.deepEqual(await rowHashes(db, 'app', 'task_photos'), original);
  } finally {
    await db.close();
  }
});

test('concurrent build: an INVALID index left by an earlier failed build is dropped, then rebuilt', async () => {
  const db = await freshDb(seedSql(SHAPES['27x']));
  try {
    // A concurrent build over duplicates fails and leaves an INVALID index of that name behind.
    await assert.rejects(db.q('CREATE UNIQUE INDEX CONCURRENTLY photos_key ON app.task_photos (task_pk, photo_id)'));
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_index WHERE indexrelid = 'app.photos_key'::regclass AND NOT indisvalid"), 1);
    const p = await plan(db, 'app', 'task_photos', { key: ['task_pk', 'photo_id'], indexBuild: 'concurrent', constraintName: 'photos_key' });
    const r = psqlRun(db.url, p.script);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(await constraintExists(db, 'app', 'task_photos', 'photos_key'));
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_index WHERE indexrelid = 'app.photos_key'::regclass AND indisvalid"), 1);
  } finally {
    await db.close();
  }
});

test('concurrent build: a copy written after the dedup commits makes the build fail loudly and leaves no INVALID index', async () => {
  const db = await freshDb(seedSql(SHAPES['27x']));
  try {
    const p = await plan(db, 'app', 'task_photos', { key: ['task_pk', 'photo_id'], indexBuild: 'concurrent' });
    // Simulates a writer that was not stopped: a copy arrives between COMMIT and the index build.
    const parts = p.script.split('\nCOMMIT;\n');
    assert.equal(parts.length, 2);
    const racy = `${parts[0]}\nCOMMIT;\nINSERT INTO app.task_photos (task_pk, photo_id, created_at) VALUES (1, 'p1', now());\n${parts[1]}`;
    const r = psqlRun(db.url, racy);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /could not be built on app\.task_photos/);
    assert.equal(await count(db, `SELECT count(*) AS n FROM pg_class WHERE relname = '${p.constraintName}'`), 0);
    // The dedup itself is committed and the backup is there.
    assert.ok(await tableExists(db, p.backup.qualified));
    assert.equal(await count(db, 'SELECT count(*) AS n FROM app.task_photos'), 101);
  } finally {
    await db.close();
  }
});
