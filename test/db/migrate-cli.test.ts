/**
 * `dupguard migrate` end to end on real PostgreSQL: the printed script runs with psql, --rollback
 * undoes it, --dry-run changes nothing, and every error is a clear message with exit 2 and no password.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { count, freshDb, psqlRun, rowHashes } from './migrate-support';

function capture(env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): CliIO & { out: string; err: string } {
  const io = {
    out: '', err: '', cwd, env,
    stdout(s: string) { io.out += s; },
    stderr(s: string) { io.err += s; },
  };
  return io;
}

const SEED = `
  CREATE SCHEMA etl;
  CREATE TABLE etl."TaskRequirements" (id bigserial PRIMARY KEY, task_pk int NOT NULL, requirement_id int NOT NULL, done boolean, inserted_at timestamptz NOT NULL DEFAULT now());
  INSERT INTO etl."TaskRequirements" (task_pk, requirement_id, done, inserted_at)
  SELECT i % 30, i % 3, i % 2 = 0, timestamptz '2025-01-01' + i * interval '1 minute' FROM generate_series(1, 2700) i;
`;

test('migrate prints a script that psql runs; --rollback undoes it; the ratio picks the strategy', async () => {
  const db = await freshDb(SEED);
  try {
    const original = await rowHashes(db, 'etl', 'TaskRequirements');
    const io = capture();
    const code = await main(['migrate', '--url', db.url, '--table', 'etl."TaskRequirements"', '--key', 'task_pk,requirement_id', '--backup-name', 'tr_backup'], io);
    assert.equal(code, 0, io.err);
    assert.match(io.out, /^-- Strategy: rebuild \(duplicate ratio 90x/m);
    assert.match(io.out, /^-- backup: etl\.tr_backup$/m);
    assert.match(io.out, /^-- Keeps: per key, the row that is oldest by inserted_at/m);
    const r = psqlRun(db.url, io.out);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM etl."TaskRequirements"'), 30);

    // The rollback finds the backup by itself (the one the migration's comment names).
    const rio = capture();
    assert.equal(await main(['migrate', '--url', db.url, '-t', 'etl."TaskRequirements"', '-k', 'task_pk,requirement_id', '--rollback'], rio), 0, rio.err);
    assert.match(rio.out, /^-- backup: etl\.tr_backup$/m);
    assert.match(rio.out, /^-- dupguard rollback for etl\.TaskRequirements/m);
    const rb = psqlRun(db.url, rio.out);
    assert.equal(rb.status, 0, rb.stderr);
    assert.deepEqual(await rowHashes(db, 'etl', 'TaskRequirements'), original);
  } finally {
    await db.close();
  }
});

test('migrate --dry-run reports the numbers and changes nothing; --out writes the file; DATABASE_URL is used', async () => {
  const db = await freshDb(SEED);
  try {
    const original = await rowHashes(db, 'etl', 'TaskRequirements');
    const io = capture({ DATABASE_URL: db.url });
    const code = await main(['migrate', '--table', 'etl."TaskRequirements"', '--key', 'task_pk, requirement_id', '--strategy', 'delete', '--dry-run'], io);
    assert.equal(code, 0, io.err + io.out);
    assert.match(io.out, /rows before: +2700/);
    assert.match(io.out, /rows after: +30/);
    assert.match(io.out, /rows deleted: +2670/);
    assert.match(io.out, /unique constraint: would build/);
    assert.deepEqual(await rowHashes(db, 'etl', 'TaskRequirements'), original);
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_class WHERE relname LIKE '%dupguard%'"), 0);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-cli-'));
    const oio = capture({ DATABASE_URL: db.url }, dir);
    assert.equal(await main(['migrate', '--table', 'etl."TaskRequirements"', '--key', 'task_pk,requirement_id', '--keep', 'newest', '-o', 'm.sql'], oio), 0, oio.err);
    assert.equal(oio.out, '');
    assert.match(oio.err, /wrote the migration for etl\.TaskRequirements to m\.sql/);
    assert.match(oio.err, /wrote the rollback for etl\.TaskRequirements to m_rollback\.sql/);
    assert.match(fs.readFileSync(path.join(dir, 'm_rollback.sql'), 'utf8'), /^-- dupguard rollback for etl\.TaskRequirements/m);
    assert.match(fs.readFileSync(path.join(dir, 'm.sql'), 'utf8'), /^-- Keeps: per key, the row that is newest by inserted_at/m);
    fs.rmSync(dir, { recursive: true, force: true });
  } finally {
    await db.close();
  }
});

test('migrate errors: exit 2 with a message that names the problem and never the password', async () => {
  const db = await freshDb(SEED);
  try {
    const cases: [string[], RegExp][] = [
      [['--table', 'etl.nope', '--key', 'a'], /table etl\.nope not found/],
      [['--table', 'etl."TaskRequirements"', '--key', 'task_pk,nope'], /column 'nope' not found in etl\.TaskRequirements \(columns: id, task_pk/],
      [['--table', 'etl."TaskRequirements"'], /--key is required/],
      [['--key', 'a'], /--table is required/],
      [['--table', 'etl."TaskRequirements"', '--key', 'task_pk', '--strategy', 'fast'], /--strategy' must be one of auto, delete, rebuild/],
      [['--table', 'etl."TaskRequirements"', '--key', 'id'], /already has a primary key/],
      [['--table', 'etl."TaskRequirements"', '--key', 'task_pk', '--order-by', 'task_pk'], /part of the key/],
    ];
    for (const [args, re] of cases) {
      const io = capture();
      const code = await main(['migrate', '--url', db.url, ...args], io);
      assert.equal(code, 2, `${args.join(' ')}: ${io.out}`);
      assert.match(io.err, re);
    }
    const u = new URL(db.url);
    u.password = 's3cret-pw';
    u.pathname = '/no_such_database';
    const io = capture();
    assert.equal(await main(['migrate', '--url', u.toString(), '--table', 't', '--key', 'a'], io), 2);
    assert.match(io.err, /no_such_database/);
    assert.ok(!io.err.includes('s3cret-pw') && !io.out.includes('s3cret-pw'), io.err);
  } finally {
    await db.close();
  }
});

test('migrate --dry-run exits 1 and says why when the constraint would not build', async () => {
  // The name asked for is already an index of another table: the dedup works, the constraint cannot.
  const db = await freshDb(`
    CREATE TABLE public.events (region text NOT NULL, event_id int NOT NULL, seen_at timestamptz NOT NULL);
    CREATE TABLE public.other (x int);
    CREATE INDEX events_uq ON public.other (x);
    INSERT INTO public.events SELECT 'eu', i % 5, now() FROM generate_series(1, 50) i;`);
  try {
    const io = capture();
    const code = await main(['migrate', '--url', db.url, '--table', 'events', '--key', 'event_id', '--constraint-name', 'events_uq', '--dry-run'], io);
    assert.equal(code, 1, io.err + io.out);
    assert.match(io.out, /rows after: +5/);
    assert.match(io.out, /unique constraint: would NOT build/);
    assert.match(io.out, /error: constraint: .*events_uq.*already exists/i);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.events'), 50);
  } finally {
    await db.close();
  }
});

test('migrate refuses a partitioned table whose key lacks the partition column, saying why (exit 2)', async () => {
  const db = await freshDb(`
    CREATE TABLE public.events (region text NOT NULL, event_id int NOT NULL, seen_at timestamptz NOT NULL) PARTITION BY LIST (region);
    CREATE TABLE public.events_eu PARTITION OF public.events FOR VALUES IN ('eu');
    INSERT INTO public.events SELECT 'eu', i % 5, now() FROM generate_series(1, 50) i;`);
  try {
    for (const extra of [[], ['--dry-run']]) {
      const io = capture();
      const code = await main(['migrate', '--url', db.url, '--table', 'events', '--key', 'event_id', ...extra], io);
      assert.equal(code, 2, io.err + io.out);
      assert.match(io.err, /partitioned by \(region\).*must include every partition column.*lacks region/);
      assert.equal(io.out, '');
    }
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.events'), 50);
  } finally {
    await db.close();
  }
});
