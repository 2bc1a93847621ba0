/**
 * Issue 12, item 4: self-referencing tables. The copies to remove are decided once, into a mapping
 * table, before any row moves; re-pointing and the delete or rebuild read that mapping; and the
 * post-validation proves every reference is what it was, except old copy -> kept row.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrationFacts } from '../../src/db/dryrun';
import { describeTable } from '../../src/db/introspect';
import { generateMigration } from '../../src/migrate/generate';
import { count, freshDb, plan, psqlRun, rowHashes } from './migrate-support';

// A uuid key and no timestamp: the kept copy is the first by physical position (ctid). Q1 (kept for
// /q) references P2, a removed copy of /p, so re-pointing updates Q1, which moves it behind Q2. A
// ranking done after that keeps Q2 and deletes Q1, and ON DELETE SET NULL silently empties R's parent.
const P1 = '00000000-0000-0000-0000-0000000000a1';
const P2 = '00000000-0000-0000-0000-0000000000a2';
const Q1 = '00000000-0000-0000-0000-0000000000b1';
const Q2 = '00000000-0000-0000-0000-0000000000b2';
const R = '00000000-0000-0000-0000-0000000000c1';
const SEED = `
  CREATE TABLE public.nodes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), path text NOT NULL,
    parent uuid REFERENCES public.nodes(id) ON DELETE SET NULL, label text);
  INSERT INTO public.nodes VALUES ('${P1}', '/p', NULL, 'p1');
  INSERT INTO public.nodes VALUES ('${P2}', '/p', NULL, 'p2');
  INSERT INTO public.nodes VALUES ('${Q1}', '/q', '${P2}', 'q1');
  INSERT INTO public.nodes VALUES ('${Q2}', '/q', NULL, 'q2');
  INSERT INTO public.nodes VALUES ('${R}', '/r', '${Q1}', 'r');
`;

test('self-referencing uuid table without a timestamp: the kept rows are those ranked before any update, no reference is nulled', async () => {
  for (const strategy of ['delete', 'rebuild'] as const) {
    const db = await freshDb(SEED);
    try {
      const original = await rowHashes(db, 'public', 'nodes');
      const p = await plan(db, 'public', 'nodes', { key: ['path'], strategy });
      assert.equal(p.keep.column, undefined, 'physical order decides');
      const r = psqlRun(db.url, p.script);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(await db.q('SELECT label, parent FROM public.nodes ORDER BY label'), [
        { label: 'p1', parent: null },
        { label: 'q1', parent: P1 },
        { label: 'r', parent: Q1 },
      ], strategy);
      assert.deepEqual(p.rowIdentity, ['id'], 'copies are named by the primary key, not by ctid');
      const rb = psqlRun(db.url, p.rollback);
      assert.equal(rb.status, 0, rb.stderr);
      assert.deepEqual(await rowHashes(db, 'public', 'nodes'), original);
    } finally {
      await db.close();
    }
  }
});

test('post-validation: a reference that would change other than old copy -> kept row stops the migration, nothing changes', async () => {
  // The foreign key targets a nullable unique column; the kept copy (oldest by id) has NULL there,
  // so moving the reference would set it to NULL: the references check refuses.
  const db = await freshDb(`
    CREATE TABLE public.items (id serial PRIMARY KEY, sku text NOT NULL, code text UNIQUE);
    CREATE TABLE public.orders (id serial PRIMARY KEY, item_code text REFERENCES public.items(code) ON DELETE SET NULL);
    INSERT INTO public.items (sku, code) VALUES ('a', NULL), ('a', 'x'), ('b', 'y');
    INSERT INTO public.orders (item_code) VALUES ('x'), ('y');`);
  try {
    const items = await rowHashes(db, 'public', 'items');
    const orders = await rowHashes(db, 'public', 'orders');
    for (const strategy of ['delete', 'rebuild'] as const) {
      const p = await plan(db, 'public', 'items', { key: ['sku'], strategy });
      const r = psqlRun(db.url, p.script);
      assert.notEqual(r.status, 0, `${strategy}: must refuse`);
      assert.match(r.stderr, /dupguard: references of public\.orders \(orders_item_code_fkey\) to public\.items changed other than from a removed copy to its kept row/);
      assert.deepEqual(await rowHashes(db, 'public', 'items'), items);
      assert.deepEqual(await rowHashes(db, 'public', 'orders'), orders);
    }
  } finally {
    await db.close();
  }
});

test('a self-reference without a unique NOT NULL key outside its columns, or inside the dedup key, is refused with the reason', async () => {
  const db = await freshDb(`
    CREATE TABLE public.t (code text UNIQUE, name text NOT NULL, parent text REFERENCES public.t(code));
    CREATE TABLE public.u (id int PRIMARY KEY, name text NOT NULL, parent int REFERENCES public.u(id));`);
  try {
    await assert.rejects(plan(db, 'public', 't', { key: ['name'] }), /references itself .* no primary key or unique NOT NULL key/);
    await assert.rejects(plan(db, 'public', 'u', { key: ['name', 'parent'] }), /includes parent, which the self-referencing foreign key u_parent_fkey moves/);
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_class WHERE relname LIKE '%dupguard%'"), 0);
  } finally {
    await db.close();
  }
});

test('a foreign key over citext: references that differ in case from their parent move too (the key\'s own equality operator, from the catalog)', async () => {
  const db = await freshDb(`
    CREATE EXTENSION IF NOT EXISTS citext;
    CREATE TABLE public.codes (id int PRIMARY KEY, k text NOT NULL, code citext UNIQUE);
    CREATE TABLE public.uses (id int PRIMARY KEY, code citext REFERENCES public.codes(code) ON DELETE SET NULL);
    INSERT INTO public.codes VALUES (1, 'a', 'keep'), (2, 'a', 'abc');
    INSERT INTO public.uses VALUES (1, 'ABC'), (2, 'abc'), (3, 'Keep');`);
  try {
    const uses = await rowHashes(db, 'public', 'uses');
    const desc = await describeTable(db.client, 'public', 'codes');
    const facts = await migrationFacts(db.client, desc);
    const ops = facts.foreignKeyOperators['public.uses.uses_code_fkey'];
    assert.equal(ops.length, 1);
    assert.notEqual(ops[0], 'pg_catalog.=', 'citext compares with its own operator');
    const p = generateMigration(desc, { key: ['k'], mergeReferences: true, ...facts });
    assert.ok(p.script.includes(`OPERATOR(${ops[0]})`));
    const r = psqlRun(db.url, p.script);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(await db.q('SELECT id, code::text AS code FROM public.uses ORDER BY id'), [{ id: 1, code: 'keep' }, { id: 2, code: 'keep' }, { id: 3, code: 'Keep' }]);
    // Without the catalog's operator the script compares as pg_catalog's text does: it stops rather than lose 'ABC'.
    const rb = psqlRun(db.url, p.rollback);
    assert.equal(rb.status, 0, rb.stderr);
    assert.deepEqual(await rowHashes(db, 'public', 'uses'), uses);
    const plain = generateMigration(desc, { key: ['k'], backupName: 'codes_b2', mergeReferences: true });
    const r2 = psqlRun(db.url, plain.script);
    assert.notEqual(r2.status, 0);
    assert.match(r2.stderr, /references of public\.uses \(uses_code_fkey\) to public\.codes changed other than from a removed copy to its kept row/);
    assert.deepEqual(await rowHashes(db, 'public', 'uses'), uses);
  } finally {
    await db.close();
  }
});
