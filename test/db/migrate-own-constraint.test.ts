/**
 * The request comes from the user's own migration that adds a UNIQUE (the data-dependent check's
 * quick fix): the dedup keeps that constraint's name and either leaves the constraint to that
 * migration (--no-constraint) or adds it itself and says to drop theirs. Never two UNIQUE
 * constraints on the same columns.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { generateMigration } from '../../src/migrate/generate';
import { count, describe, freshDb, psqlRun, rowHashes, type Db } from './migrate-support';

function capture(): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', cwd: process.cwd(), env: {}, stdout(s: string) { io.out += s; }, stderr(s: string) { io.err += s; } };
  return io;
}

const SEED = `
  CREATE TABLE public.orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, order_no text NOT NULL, created_at timestamptz NOT NULL);
  INSERT INTO public.orders (customer_id, order_no, created_at)
  SELECT i % 200, 'o' || (i % 7), timestamptz '2025-01-01' + i * interval '1 minute' FROM generate_series(1, 3000) i;
`;
// The user's migration, as the quick fix found it.
const USERS_MIGRATION = 'ALTER TABLE public.orders ADD CONSTRAINT orders_customer_order_uniq UNIQUE (customer_id, order_no);';

/** UNIQUE constraints and unique indexes over exactly (customer_id, order_no). */
async function uniquesOnKey(db: Db): Promise<string[]> {
  const rows = await db.q<{ name: string }>(`
    SELECT ic.relname AS name FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
    WHERE i.indrelid = 'public.orders'::regclass AND i.indisunique AND NOT i.indisprimary
      AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) = ARRAY['customer_id', 'order_no']
    ORDER BY 1`);
  return rows.map((r) => r.name);
}

test('--no-constraint with the name of the user\'s UNIQUE: the dedup leaves it to their migration, which then succeeds; one UNIQUE; rollback exact', async () => {
  const db = await freshDb(SEED);
  try {
    const original = await rowHashes(db, 'public', 'orders');
    // Before: their migration fails on the duplicates.
    assert.notEqual(psqlRun(db.url, USERS_MIGRATION).status, 0);
    const io = capture();
    assert.equal(await main(['migrate', '--url', db.url, '-t', 'orders', '-k', 'customer_id,order_no', '--no-constraint',
      '--constraint-name', 'orders_customer_order_uniq', '--declared-in', 'migrations/004_orders_unique.sql:3', '--rollback-out', '/dev/null'], io), 0, io.err);
    const script = io.out;
    assert.match(script, /^-- Constraint: not added here: your own migration \(migrations\/004_orders_unique\.sql:3\) adds orders_customer_order_uniq; run it right after this script\.$/m);
    assert.doesNotMatch(script, /ADD CONSTRAINT|CREATE UNIQUE INDEX/);
    assert.equal(psqlRun(db.url, script).status, 0);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.orders'), 1400);
    assert.deepEqual(await uniquesOnKey(db), [], 'the dedup added no constraint of its own');
    const r = psqlRun(db.url, USERS_MIGRATION);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(await uniquesOnKey(db), ['orders_customer_order_uniq']);

    // The rollback (found from the backup) drops that constraint and restores every row.
    const rio = capture();
    assert.equal(await main(['migrate', '--url', db.url, '-t', 'orders', '-k', 'customer_id,order_no', '--rollback'], rio), 0, rio.err);
    assert.match(rio.out, /DROP CONSTRAINT IF EXISTS orders_customer_order_uniq;/);
    assert.match(rio.out, /constraint orders_customer_order_uniq left to your own migration/);
    const rb = psqlRun(db.url, rio.out);
    assert.equal(rb.status, 0, rb.stderr);
    assert.deepEqual(await rowHashes(db, 'public', 'orders'), original);
    assert.deepEqual(await uniquesOnKey(db), []);
  } finally {
    await db.close();
  }
});

test('the dedup adds the user\'s constraint under its own name and says to drop theirs; their migration then fails on the name, never adding a second UNIQUE', async () => {
  const db = await freshDb(SEED);
  try {
    const desc = await describe(db, 'public', 'orders');
    const p = generateMigration(desc, { key: ['customer_id', 'order_no'], constraintName: 'orders_customer_order_uniq', declaredIn: 'migrations/004_orders_unique.sql:3' });
    assert.equal(p.addConstraint, true);
    assert.ok(p.warnings.some((w) => w.includes('adds the constraint orders_customer_order_uniq, which migrations/004_orders_unique.sql:3 also declares: remove it from there')), p.warnings.join('\n'));
    assert.match(p.script, /^-- Note: This script adds the constraint orders_customer_order_uniq, which migrations\/004_orders_unique\.sql:3 also declares/m);
    assert.equal(psqlRun(db.url, p.script).status, 0);
    assert.deepEqual(await uniquesOnKey(db), ['orders_customer_order_uniq']);
    const r = psqlRun(db.url, USERS_MIGRATION);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /already exists/);
    assert.deepEqual(await uniquesOnKey(db), ['orders_customer_order_uniq'], 'still one UNIQUE on the key');
  } finally {
    await db.close();
  }
});
