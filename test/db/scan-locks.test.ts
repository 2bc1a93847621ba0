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

test('scan: a table locked by another session makes the catalog read report the lock timeout, not an aborted transaction', async () => {
  const s = await connect(url, { env: {} });
  try {
    const r = await scan(s, { lockTimeoutMs: 200, inferKeys: false });
    assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
    assert.equal(r.errors[0].code, '55P03');
    assert.match(r.errors[0].message, /lock timeout/);
    assert.doesNotMatch(r.errors[0].message, /current transaction is aborted/);
    assert.equal(r.complete, false);
    // The scan ended cleanly: the session is usable and outside any transaction.
    const { rows } = await s.client.query('SELECT 1 AS one');
    assert.equal(rows[0].one, 1);
    assert.equal((s.client as unknown as { _txStatus?: string })._txStatus, 'I');
  } finally {
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
