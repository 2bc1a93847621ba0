/**
 * A table another session holds locked: the scan names the lock timeout and the table, and goes on
 * with the other tables, instead of failing the whole catalog read on an aborted transaction.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as pg from 'pg';
import { connect, type DbSession } from '../../src/db/connect';
import { describeTable, listTables } from '../../src/db/introspect';
import { scan } from '../../src/db/scan';
import { freshDb } from './_db';
import { recordSql } from './scan-record';

let url: string;
let admin: DbSession;
let locker: pg.Client;

before(async () => {
  ({ url, session: admin } = await freshDb(`
    CREATE TABLE a_free (id serial PRIMARY KEY, k int);
    INSERT INTO a_free (k) VALUES (1), (1), (2);
    CREATE TABLE b_locked (id serial PRIMARY KEY, k int);
    INSERT INTO b_locked (k) VALUES (1), (1);
    CREATE TABLE c_free (id serial PRIMARY KEY, k int);
    INSERT INTO c_free (k) VALUES (3), (3);
  `));
  locker = new pg.Client({ connectionString: url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE b_locked IN ACCESS EXCLUSIVE MODE');
});

after(async () => {
  await locker.query('ROLLBACK').catch(() => {});
  await locker.end();
  await admin.close();
});

test('scan: a table locked by another session is reported with the lock timeout and its name; the other tables are scanned', async () => {
  const s = await connect(url, { env: {} });
  try {
    const r = await scan(s, { lockTimeoutMs: 200, inferKeys: false });
    assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
    const e = r.errors[0];
    assert.equal(e.code, '55P03');
    assert.equal(e.table, 'public.b_locked');
    assert.match(e.message, /^public\.b_locked: lock timeout reached: another session \(pid \d+\) holds an ACCESS EXCLUSIVE lock on it .*not scanned$/);
    assert.doesNotMatch(JSON.stringify(r), /current transaction is aborted|cannot read the catalog/);
    assert.deepEqual(r.tables.map((t) => t.table), ['a_free', 'c_free']);
    assert.deepEqual(r.tables.map((t) => t.checks.find((c) => c.kind === 'exact-row')?.excessRows), [1, 1]);
    assert.ok(r.tables.every((t) => !t.errors?.length));
    // The scan ended cleanly: the session is usable and outside any transaction.
    const { rows } = await s.client.query('SELECT 1 AS one');
    assert.equal(rows[0].one, 1);
    assert.equal((s.client as unknown as { _txStatus?: string })._txStatus, 'I');
  } finally {
    await s.close();
  }
});

test('a table locked before the scan costs no lock_timeout wait at all: it is found in pg_locks and left out up front', async () => {
  const s = await connect(url, { env: {} });
  const sent = recordSql(s);
  try {
    const r = await scan(s, { lockTimeoutMs: 300, inferKeys: false });
    assert.deepEqual(r.errors.map((e) => [e.table, e.code]), [['public.b_locked', '55P03']]);
    // Before: the size query, the same query per table, then the column query each waited out lock_timeout (3x).
    assert.deepEqual(sent.filter((x) => x.error === '55P03').map((x) => x.text.slice(0, 60)), [], 'no statement waited for the lock');
  } finally {
    await s.close();
  }
});

test('scan --table of the locked table: the lock is reported, not "table not found"; a table not asked for is not reported', async () => {
  const s = await connect(url, { env: {} });
  try {
    const only = await scan(s, { tables: ['b_locked'], lockTimeoutMs: 200, inferKeys: false });
    assert.deepEqual(only.errors.map((e) => [e.table, e.code]), [['public.b_locked', '55P03']]);
    assert.equal(only.tables.length, 0);
    const other = await scan(s, { tables: ['c_free'], lockTimeoutMs: 200, inferKeys: false });
    assert.deepEqual(other.errors, []);
    assert.deepEqual(other.tables.map((t) => t.table), ['c_free']);
  } finally {
    await s.close();
  }
});

test('scan: a locked partition leaves out its partitioned parent (which reads it), named with the lock', async () => {
  await admin.client.query(`
    CREATE SCHEMA parts;
    CREATE TABLE parts.ev (id int, k int) PARTITION BY RANGE (id);
    CREATE TABLE parts.ev_1 PARTITION OF parts.ev FOR VALUES FROM (0) TO (100);
    CREATE TABLE parts.ev_2 PARTITION OF parts.ev FOR VALUES FROM (100) TO (200);
    CREATE TABLE parts.other (k int);
    INSERT INTO parts.other VALUES (1), (1);`);
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  const s = await connect(url, { env: {} });
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE parts.ev_2 IN ACCESS EXCLUSIVE MODE');
    const r = await scan(s, { schemas: ['parts'], lockTimeoutMs: 200, inferKeys: false });
    // Partitions are scanned through their parent: the parent is what is reported.
    assert.deepEqual(r.errors.map((e) => [e.table, e.code]), [['parts.ev', '55P03']]);
    assert.match(r.errors[0].message, /^parts\.ev: lock timeout reached: another session \(pid \d+\) holds an ACCESS EXCLUSIVE lock on its partition parts\.ev_2 /);
    assert.deepEqual(r.tables.map((t) => [t.table, t.checks.find((c) => c.kind === 'exact-row')?.excessRows]), [['other', 1]]);
  } finally {
    await holder.query('ROLLBACK').catch(() => {});
    await holder.end();
    await s.close();
  }
});

test('scan: a table locked after the catalog was read fails its first check with the lock timeout, skips its other checks, and the scan goes on', async () => {
  // g_first's check blocks on an advisory lock that the holder releases only once it has locked
  // g_second: the lock is in place before g_second's turn, without relying on timing.
  await admin.client.query(`
    CREATE SCHEMA gate;
    CREATE FUNCTION gate.gate(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
      BEGIN IF current_setting('application_name') = 'dupguard' THEN PERFORM pg_advisory_xact_lock_shared(4242); END IF; RETURN t; END $$;
    CREATE TABLE gate.g_first (id serial PRIMARY KEY, v text);
    CREATE UNIQUE INDEX g_first_v ON gate.g_first (gate.gate(v));
    INSERT INTO gate.g_first (v) VALUES (NULL), (NULL);
    CREATE TABLE gate.g_second (id serial PRIMARY KEY, k int UNIQUE, v text);
    INSERT INTO gate.g_second (k, v) VALUES (NULL, 'a'), (NULL, 'a');
    CREATE TABLE gate.g_third (k int);
    INSERT INTO gate.g_third VALUES (1), (1);`);
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  const s = await connect(url, { env: {} });
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_lock(4242)');
    let locking: Promise<unknown> | undefined;
    const r = await scan(s, {
      schemas: ['gate'], lockTimeoutMs: 1000, inferKeys: false,
      onProgress: (p) => {
        if (p.phase === 'table' && p.table === 'g_first' && !locking) {
          // Session-level advisory lock: released here while the transaction keeps the table lock.
          locking = holder.query('LOCK TABLE gate.g_second IN ACCESS EXCLUSIVE MODE')
            .then(() => holder.query('SELECT pg_advisory_unlock(4242)'));
        }
      },
    });
    await locking;
    const first = r.tables.find((t) => t.table === 'g_first')!;
    assert.ok(first.checks.length >= 1 && first.checks.every((c) => !c.error), JSON.stringify(first));
    const second = r.tables.find((t) => t.table === 'g_second')!;
    assert.equal(second.checks.length, 1, 'the checks after the lock timeout are not run');
    assert.match(second.checks[0].error ?? '', /gate\.g_second: lock timeout reached/);
    assert.deepEqual(r.errors.map((e) => [e.table, e.code]), [['gate.g_second', '55P03']]);
    assert.match(r.errors[0].message, /^gate\.g_second: lock timeout reached .*not scanned$/);
    const third = r.tables.find((t) => t.table === 'g_third')!;
    assert.equal(third.checks.find((c) => c.kind === 'exact-row')?.excessRows, 1);
  } finally {
    await holder.query('ROLLBACK').catch(() => {});
    await holder.end();
    await s.close();
  }
});

test('listTables inside a transaction: the size query waiting on a lock no longer aborts the transaction before the lock is reported', async () => {
  const s = await connect(url, { env: {} });
  try {
    await s.client.query('BEGIN');
    await s.client.query('SET LOCAL lock_timeout = 200');
    await assert.rejects(listTables(s.client), (e: Error & { code?: string }) => e.code === '55P03' && /lock timeout/.test(e.message));
    await s.client.query('ROLLBACK');
    // Unlocked tables are still described, sizes included, inside a transaction.
    await s.client.query('BEGIN');
    await s.client.query('SET LOCAL lock_timeout = 200');
    const d = await describeTable(s.client, 'public', 'a_free');
    assert.ok((d.totalBytes ?? 0) > 0);
    assert.deepEqual(d.columns.map((c) => c.name), ['id', 'k']);
    await s.client.query('COMMIT');
  } finally {
    await s.client.query('ROLLBACK').catch(() => {});
    await s.close();
  }
});
