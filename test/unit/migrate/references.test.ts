/**
 * Re-pointed references, the user's own constraint and file names, as the generator decides them
 * without a database: the refusal and its words, the run-time check when the moves are unknown, the
 * header's counts, the script without its own constraint, and the names shared with the editor.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadModule, parseSync } from 'libpg-query';
import type { TableDescription } from '../../../src/core/catalog';
import { describeReferenceMoves, generateMigration, migrationFileNames, MigrationError, ReferencesWouldMove, rollbackFileFor, type ReferenceMove } from '../../../src/migrate';

const NOW = new Date('2026-12-06T11:22:33Z');

function inventory(): TableDescription {
  return {
    schema: 'public', name: 'inventory', kind: 'r', source: 'catalog',
    columns: [
      { name: 'inventory_id', type: 'integer', notNull: true, default: "nextval('inventory_inventory_id_seq'::regclass)" },
      { name: 'film_id', type: 'integer', notNull: true },
      { name: 'store_id', type: 'integer', notNull: true },
    ],
    keys: [{ kind: 'primary', name: 'inventory_pkey', columns: ['inventory_id'] }], indexes: [],
    referencedBy: [{ schema: 'public', table: 'rental', name: 'rental_inventory_id_fkey', definition: 'FOREIGN KEY (inventory_id) REFERENCES inventory(inventory_id) ON UPDATE CASCADE ON DELETE RESTRICT' }],
  };
}
const MOVES: ReferenceMove[] = [{ foreignKey: 'public.rental.rental_inventory_id_fkey', child: 'public.rental', rows: 10781, distinctParents: 2112 }];
const gen = (o: Parameters<typeof generateMigration>[1] extends infer T ? Partial<T> : never = {}) => generateMigration(inventory(), { key: ['film_id', 'store_id'], now: NOW, ...o });

function assertParses(sql: string): void {
  const plain = sql.split('\n').filter((l) => !l.startsWith('\\')).map((l) => l.replace(/ \\gset$/, ';')).join('\n');
  assert.doesNotThrow(() => parseSync(plain), 'script must parse');
}
before(async () => { await loadModule(); });

test('counted moves without mergeReferences: refused, with the counts in the message', () => {
  assert.throws(() => gen({ referenceMoves: MOVES }), (e: Error) => {
    assert.ok(e instanceof ReferencesWouldMove && e instanceof MigrationError);
    assert.deepEqual(e.moves, MOVES);
    assert.ok(e.message.includes('10,781 rows of public.rental would move from 2,112 copies to the kept rows; pass --merge-references to accept'), e.message);
    return true;
  });
  // No row moves: nothing to refuse.
  const none = gen({ referenceMoves: [{ ...MOVES[0], rows: 0, distinctParents: 0 }] });
  assert.equal(none.referenceMovesKnown, true);
  assert.match(none.script, /^-- References: 1 foreign key \(public\.rental\.rental_inventory_id_fkey\) point here; none references a copy to remove \(counted at generation\)\. The script stops/m);
  // A rollback is never refused for it.
  assert.equal(gen({ referenceMoves: MOVES, purpose: 'rollback' }).referenceMoves.length, 1);
});

test('merged: the header states the counts; the references move; no run-time refusal', () => {
  const p = gen({ referenceMoves: MOVES, mergeReferences: true });
  assert.deepEqual(p.referenceMoves, MOVES);
  assert.equal(p.mergeReferences, true);
  assert.ok(p.script.split('\n').includes('-- References: 10,781 rows of public.rental move from 2,112 copies to the kept rows (counted at generation; --merge-references).'));
  assert.doesNotMatch(p.script, /would re-point references/);
  assert.match(p.script, /UPDATE public\.rental AS dupguard_child SET inventory_id = o\.new1/);
  assert.match(p.rollback, /^-- Undoes: .*references to removed copies moved to the kept rows/m);
  assertParses(p.script);
});

test('moves unknown: the script counts them after deciding the kept rows, before moving any, and stops unless merged', () => {
  for (const flavour of ['postgres', 'yugabyte'] as const) {
    const p = gen({ flavour });
    assert.equal(p.referenceMovesKnown, false);
    const s = p.script;
    const guard = s.indexOf('would re-point references: ');
    assert.ok(guard > s.indexOf('CREATE TEMP TABLE dupguard_map') && guard < s.indexOf('-- Step 4:'), flavour);
    assert.ok(s.includes("'; generate the migration with --merge-references to accept"));
    assert.ok(p.warnings.some((w) => /not known yet: the script counts them when it runs and stops/.test(w)));
    assertParses(s);
    assert.doesNotMatch(gen({ flavour, mergeReferences: true }).script, /would re-point references/);
  }
  // No foreign key: no check, no query.
  const lone = generateMigration({ ...inventory(), referencedBy: [] }, { key: ['film_id', 'store_id'], now: NOW });
  assert.equal(lone.referenceMovesQuery, undefined);
  assert.doesNotMatch(lone.script, /would re-point|^-- References:/m);
});

test('the count query ranks as the script does and is one read-only SELECT without values', () => {
  const p = gen({ keep: 'newest' });
  const q = p.referenceMovesQuery!;
  assert.match(q, /^WITH dupguard_map AS \(/);
  assert.ok(q.includes('ORDER BY inventory_id DESC NULLS LAST, ctid DESC'));
  assert.ok(p.script.includes('ORDER BY inventory_id DESC NULLS LAST, ctid DESC'));
  assert.match(q, /SELECT 0 AS fk, rows, parents/);
  assert.doesNotMatch(q, /\$\d|'/, 'no values in the text');
  assert.equal(parseSync(q).stmts.length, 1);
  assert.ok(parseSync(q).stmts[0].stmt.SelectStmt);
});

test('describeReferenceMoves: singular, several foreign keys, the same child twice', () => {
  assert.equal(describeReferenceMoves([{ foreignKey: 's.c.f', child: 's.c', rows: 1, distinctParents: 1 }]), '1 row of s.c would move from 1 copy to the kept rows');
  assert.equal(describeReferenceMoves([
    { foreignKey: 's.c.f1', child: 's.c', rows: 1200, distinctParents: 3 }, { foreignKey: 's.c.f2', child: 's.c', rows: 5, distinctParents: 2 },
    { foreignKey: 's.d.f', child: 's.d', rows: 0, distinctParents: 0 },
  ]), '1,200 rows of s.c (by f1) would move from 3 copies to the kept rows, and 5 rows of s.c (by f2) would move from 2 copies to the kept rows');
});

test('addConstraint false: no constraint in the script, the name kept for the dry run and the rollback, the header says whose it is', () => {
  const p = generateMigration({ ...inventory(), referencedBy: [] }, { key: ['film_id', 'store_id'], now: NOW, addConstraint: false, constraintName: 'inv_film_store_uniq', declaredIn: 'db/007.sql:4' });
  assert.equal(p.addConstraint, false);
  assert.equal(p.constraintName, 'inv_film_store_uniq');
  assert.doesNotMatch(p.script, /ADD CONSTRAINT|CREATE UNIQUE INDEX/);
  assert.ok(p.script.includes('-- Constraint: not added here: your own migration (db/007.sql:4) adds inv_film_store_uniq; run it right after this script.'));
  assert.ok(p.script.indexOf('-- Step 7: no constraint here') < p.script.indexOf('\nCOMMIT;'));
  assert.equal(p.constraintSql, 'ALTER TABLE public.inventory ADD CONSTRAINT inv_film_store_uniq UNIQUE (film_id, store_id);');
  assert.ok(p.rollback.includes('ALTER TABLE public.inventory DROP CONSTRAINT IF EXISTS inv_film_store_uniq;'));
  assert.match(p.rollback, /^-- Restores: .*drops the constraint inv_film_store_uniq \(added by your own migration, db\/007\.sql:4: take it out/m);
  assert.equal(p.warnings.length, 0);
  assertParses(p.script);
  // Added here under the user's name: the note says to drop theirs.
  const added = generateMigration({ ...inventory(), referencedBy: [] }, { key: ['film_id', 'store_id'], now: NOW, constraintName: 'inv_film_store_uniq', declaredIn: 'db/007.sql:4' });
  assert.ok(added.script.includes('ADD CONSTRAINT inv_film_store_uniq UNIQUE (film_id, store_id);'));
  assert.match(added.warnings[0], /^This script adds the constraint inv_film_store_uniq, which db\/007\.sql:4 also declares: remove it from there/);
});

test('file names: timestamp and table, the rollback beside; odd names made safe; the stamp is the backup\'s', () => {
  assert.deepEqual(migrationFileNames({ schema: 'public', name: 'orders' }, new Date('2026-12-06T11:22:33.456Z')),
    { migration: '20261206_112233_dedup_public_orders.sql', rollback: '20261206_112233_dedup_public_orders_rollback.sql' });
  const odd = migrationFileNames({ schema: 'My Schema', name: '../Ordr/ü "x"\n' }, NOW);
  assert.equal(odd.migration, '20261206_112233_dedup_My_Schema_Ordr_ü_x.sql');
  assert.ok(!/[/\\\s"]/.test(odd.migration + odd.rollback));
  assert.equal(migrationFileNames({ schema: 's', name: 'x'.repeat(300) }, NOW).migration.length, '20261206_112233_dedup_s_'.length + 60 + 4);
  assert.equal(gen().backup.name, 'inventory_dupguard_20261206_112233');
  assert.equal(rollbackFileFor('/m/004_dedup.sql'), '/m/004_dedup_rollback.sql');
  assert.equal(rollbackFileFor('m'), 'm_rollback.sql');
});
