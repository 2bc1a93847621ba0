/**
 * The scan planner (src/db/scanPlan.ts) without PostgreSQL: which checks run on which table, from the
 * catalog facts introspect.ts read from a real database (pagila on PostgreSQL 15, in
 * test/fixtures/scan-plan/pagila-catalog.json) and from variations of them.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { LiveTableDescription } from '../../src/db/introspect';
import { planTable, selectTables, type PlanForeignKey, type PlanOptions, type TablePlan } from '../../src/db/scanPlan';

const catalog = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/scan-plan/pagila-catalog.json'), 'utf8')) as {
  tables: LiveTableDescription[];
  foreignKeys: Record<string, PlanForeignKey[]>;
};

/** A table of the fixture, deep-copied so a test may change it. */
function table(name: string): LiveTableDescription {
  const t = catalog.tables.find((x) => x.name === name);
  assert.ok(t, `fixture has ${name}`);
  return structuredClone(t);
}

function plan(name: string, opts: Partial<PlanOptions> = {}, t = table(name)): TablePlan {
  return planTable(t, { role: 'app', foreignKeys: catalog.foreignKeys[name] ?? [], ...opts });
}

/** Each check as `kind/source (columns)`: what a reader of the plan sees first. */
const summary = (p: TablePlan) => p.checks.map((c) => `${c.kind}/${c.source} (${c.columns.join(', ')})`);

test('inventory: whole rows without the serial id and the now() default, and the inferred pair of foreign keys', () => {
  const p = plan('inventory');
  assert.equal(p.checks.length, 2);
  assert.deepEqual(summary(p), ['exact-row/all-columns (film_id, store_id)', 'key/inferred (film_id, store_id)']);
  const row = p.checks[0];
  assert.deepEqual(row.ignoredColumns, [
    { name: 'inventory_id', reason: 'serial (sequence default)' },
    { name: 'last_update', reason: 'insert time default' },
  ]);
  // The index (store_id, film_id) gives the order: GROUP BY follows it, no sort.
  assert.equal(row.indexed, true);
  assert.deepEqual(row.groupOrder, [1, 0]);
  assert.match(p.checks[1].reason ?? '', /inferred from column names film_id, store_id \(foreign keys: film_id, store_id\); not declared unique/);
  assert.deepEqual(p.notes, []);
  assert.deepEqual(p.errors, []);
});

test('film_actor: the primary key covers every compared column, so no whole-row check, and a note says why', () => {
  const p = plan('film_actor');
  assert.equal(p.checks.length, 0);
  assert.deepEqual(p.notes, ['whole-row duplicates are impossible: film_actor_pkey is unique over compared columns']);
});

test('options: no inferred keys, no whole rows', () => {
  assert.deepEqual(summary(plan('inventory', { inferKeys: false })), ['exact-row/all-columns (film_id, store_id)']);
  assert.deepEqual(summary(plan('inventory', { exactRows: false })), ['key/inferred (film_id, store_id)']);
  assert.deepEqual(summary(plan('inventory', { exactRows: false, inferKeys: false })), []);
});

test('a configured key comes first, folded as PostgreSQL folds names; a superset inferred key is left out', () => {
  const p = plan('inventory', { naturalKey: ['Film_ID', 'store_id'] });
  assert.equal(p.checks.length, 2);
  assert.deepEqual(summary(p), ['key/config (film_id, store_id)', 'exact-row/all-columns (film_id, store_id)']);
  assert.equal(p.checks[0].reason, 'natural key from configuration');
});

test('a configured key naming no column is an error, not a silent pass', () => {
  const p = plan('inventory', { naturalKey: ['film_id', '"Store_ID"'] });
  assert.equal(p.errors.length, 1);
  assert.match(p.errors[0], /^configured key \(film_id, "Store_ID"\) for public\.inventory: no column "Store_ID" \(columns: inventory_id, film_id, store_id, last_update\); key not checked$/);
  assert.ok(!p.checks.some((c) => c.source === 'config'));
});

test('a unique key over a nullable column gets the NULL-hole check, restricted to rows with a NULL', () => {
  const t = table('address');
  t.keys.push({ kind: 'unique', name: 'address_postal', columns: ['city_id', 'postal_code'] });
  const p = plan('address', {}, t);
  const hole = p.checks.filter((c) => c.kind === 'unique-nulls');
  assert.equal(hole.length, 1);
  assert.equal(hole[0].constraint, 'address_postal');
  assert.equal(hole[0].where, 'postal_code IS NULL');
  assert.match(hole[0].reason ?? '', /^unique constraint address_postal allows repeated rows when a key column is NULL/);
  // With NULLS NOT DISTINCT the key is enforced, NULLs included: no check.
  t.keys[t.keys.length - 1].nullsNotDistinct = true;
  assert.equal(plan('address', {}, t).checks.filter((c) => c.kind === 'unique-nulls').length, 0);
});

test('an index whose expressions call another role\'s function is not evaluated: a note names it', () => {
  const t = table('address');
  t.keys.push({ kind: 'unique-index', name: 'address_norm', columns: ['public.norm(address)'], expression: true });
  t.foreignCode = { address_norm: ['public.norm(text) owned by mallory'] };
  const p = plan('address', {}, t);
  assert.ok(!p.checks.some((c) => c.constraint === 'address_norm'));
  assert.ok(p.notes.some((n) => n.startsWith('address_norm: not checked: its expressions call public.norm(text) owned by mallory; dupguard does not run code another role wrote with the privileges of app')));
});

test('inferred keys with nullable columns count only rows where every key column is set', () => {
  const p = plan('film');
  const inferred = p.checks.filter((c) => c.source === 'inferred');
  assert.equal(inferred.length, 1);
  assert.deepEqual(inferred[0].columns, ['language_id', 'original_language_id']);
  assert.equal(inferred[0].where, 'original_language_id IS NOT NULL');
});

test('selectTables: views skipped with a reason, names matched case-insensitively when unambiguous, unknown names reported', () => {
  const s = selectTables(catalog.tables, [], {}, 'app');
  assert.deepEqual(s.skipped, [{ schema: 'public', table: 'actor_info', reason: 'view: its rows live in the tables it reads' }]);
  assert.ok(!s.toScan.some((t) => t.kind === 'v'));
  const named = selectTables(catalog.tables, [], { tables: ['public.Inventory', 'nosuch'], naturalKeys: { 'public.gone': ['a'] } }, 'app');
  assert.deepEqual(named.toScan.map((t) => t.name), ['inventory']);
  assert.deepEqual(named.errors.map((e) => e.message), [
    'table nosuch not found (or not visible to app)',
    'configured key for public.gone: no such table',
  ]);
  const locked = selectTables(catalog.tables, [{ schema: 'public', name: 'rental', pid: 42, granted: true, partition: false }], {}, 'app');
  assert.equal(locked.errors.length, 1);
  assert.match(locked.errors[0].message, /^public\.rental: lock timeout reached: another session \(pid 42\) holds an ACCESS EXCLUSIVE lock on it/);
});

test('confidence: whole rows behind an id other tables reference are look-alike; unreferenced ones likely; inferred keys guesses', () => {
  const inventory = plan('inventory');
  assert.deepEqual(inventory.checks.map((c) => c.confidence), ['lookalike', 'guess']);
  assert.deepEqual(inventory.checks[0].referencedBy, ['public.rental.rental_inventory_id_fkey']);
  // payment is referenced by nothing: its whole-row copies would be likely ones.
  assert.deepEqual(plan('payment').checks.map((c) => `${c.kind}:${c.confidence}`), ['exact-row:likely', 'key:guess']);
  // The same inventory with no table referencing it.
  const alone = table('inventory');
  alone.referencedBy = [];
  assert.equal(plan('inventory', {}, alone).checks[0].confidence, 'likely');
  assert.equal(plan('inventory', {}, alone).checks[0].referencedBy, undefined);
  // A configured key and a NULL hole in a unique key are certain.
  assert.equal(plan('inventory', { naturalKey: ['film_id', 'store_id'] }).checks[0].confidence, 'certain');
  const address = table('address');
  address.keys.push({ kind: 'unique', name: 'address_postal', columns: ['city_id', 'postal_code'] });
  const hole = plan('address', {}, address).checks.find((c) => c.kind === 'unique-nulls')!;
  assert.equal(hole.confidence, 'certain');
  assert.equal(hole.rowFilter, 'rows with a NULL in postal_code');
  assert.equal(plan('film').checks.find((c) => c.source === 'inferred')!.rowFilter, 'rows with no NULL in original_language_id');
});

test('row-level security calling another role\'s code: the table is not read at all', () => {
  const t = table('inventory');
  t.rowSecurity = { enabled: true, forced: false, active: true, foreignCode: ['policy by_store: public.sees(integer) owned by alice'] };
  const p = plan('inventory', { naturalKey: ['film_id', 'store_id'] }, t);
  assert.equal(p.checks.length, 0);
  assert.match(p.skip ?? '', /^public\.inventory: not scanned: its row-level security runs another role's code \(policy by_store: public\.sees\(integer\) owned by alice\); every read of the table would run that code with the privileges of app/);
  assert.deepEqual(p.errors, [p.skip]);
  // Not active for the scanning role (a superuser, BYPASSRLS): the policies never run; planned as usual.
  t.rowSecurity.active = false;
  assert.equal(plan('inventory', {}, t).skip, undefined);
  assert.equal(plan('inventory', {}, t).checks.length, 2);
});
