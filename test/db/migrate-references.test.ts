/**
 * Keeping one row per key re-points the references of other tables: rows that pointed at different
 * copies end up pointing at one row. On a pagila-like shape (physical copies of a film per store,
 * each referenced by its own rentals) that merges separate things, so it is refused unless asked
 * for (--merge-references), and the dry run and the script header say how many rows move from how
 * many copies, counted exactly. Then the real pagila dump, when the corpus is present.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { countReferenceMoves, dryRunMigration, migrationFacts } from '../../src/db/dryrun';
import { generateMigration } from '../../src/migrate/generate';
import { MigrationError, ReferencesWouldMove, type ReferenceMove } from '../../src/migrate/types';
import { count, describe, freshDb, psqlRun, rowHashes, type Db } from './migrate-support';

function capture(env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', cwd, env, stdout(s: string) { io.out += s; }, stderr(s: string) { io.err += s; } };
  return io;
}

// 700 films x 2 stores, 1 to 3 copies each; every copy rented 0 to 4 times, so some copies are
// never referenced and the counts are not a simple product.
const SHAPE = `
  CREATE TABLE public.film (film_id int PRIMARY KEY, title text NOT NULL);
  CREATE TABLE public.store (store_id int PRIMARY KEY);
  CREATE TABLE public.inventory (
    inventory_id serial PRIMARY KEY,
    film_id int NOT NULL REFERENCES public.film,
    store_id int NOT NULL REFERENCES public.store,
    last_update timestamp NOT NULL DEFAULT now());
  CREATE TABLE public.rental (
    rental_id serial PRIMARY KEY,
    rental_date timestamptz NOT NULL,
    inventory_id int NOT NULL REFERENCES public.inventory ON UPDATE CASCADE ON DELETE RESTRICT,
    customer_id int NOT NULL);
  CREATE INDEX ON public.rental (inventory_id);
  INSERT INTO public.film SELECT f, 'film ' || f FROM generate_series(1, 700) f;
  INSERT INTO public.store VALUES (1), (2);
  INSERT INTO public.inventory (film_id, store_id, last_update)
    SELECT f, s, timestamp '2022-02-15 10:09:17'
    FROM generate_series(1, 700) f, generate_series(1, 2) s, generate_series(1, 1 + (f * 7 + s) % 3) c
    ORDER BY md5(f || '/' || s || '/' || c);
  INSERT INTO public.rental (rental_date, inventory_id, customer_id)
    SELECT timestamptz '2022-05-24' + (i.inventory_id * 13 + r) * interval '1 hour', i.inventory_id, 1 + (i.inventory_id * 31 + r) % 599
    FROM public.inventory i, generate_series(1, (i.inventory_id * 7) % 5) r;
  ANALYZE;
`;

/** The moves by plain SQL: rentals of a copy that is not the kept one (lowest last_update, then inventory_id) of its film and store. */
async function expectedMoves(db: Db, key = 'film_id, store_id'): Promise<ReferenceMove> {
  const rows = await db.q<{ rows: string; parents: string }>(`
    WITH kept AS (SELECT DISTINCT ON (${key}) inventory_id FROM public.inventory ORDER BY ${key}, last_update, inventory_id)
    SELECT count(*) AS rows, count(DISTINCT r.inventory_id) AS parents FROM public.rental r
    WHERE r.inventory_id NOT IN (SELECT inventory_id FROM kept)`);
  return { foreignKey: 'public.rental.rental_inventory_id_fkey', child: 'public.rental', rows: Number(rows[0].rows), distinctParents: Number(rows[0].parents) };
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Every rental still references an existing inventory row of the film and store it referenced before. */
async function assertRentalsIntact(db: Db, before: { rental_id: number; film_id: number; store_id: number }[]): Promise<void> {
  const after = await db.q<{ rental_id: number; film_id: number | null; store_id: number | null }>(
    'SELECT r.rental_id, i.film_id, i.store_id FROM public.rental r LEFT JOIN public.inventory i ON i.inventory_id = r.inventory_id ORDER BY r.rental_id');
  assert.equal(after.length, before.length, 'no rental lost');
  for (let i = 0; i < before.length; i++) {
    assert.ok(after[i].film_id !== null, `rental ${after[i].rental_id} references a missing inventory row`);
    assert.deepEqual(after[i], before[i], `rental ${before[i].rental_id}`);
  }
}

test('pagila-like inventory: refused by default (generator, CLI, dry run) with exact counts; with --merge-references every rental keeps an existing parent; rollback exact', async () => {
  const db = await freshDb(SHAPE);
  try {
    const expected = await expectedMoves(db);
    assert.ok(expected.rows > 1000 && expected.distinctParents > 500, JSON.stringify(expected));
    const inventory = await rowHashes(db, 'public', 'inventory');
    const rental = await rowHashes(db, 'public', 'rental');
    const before = await db.q<{ rental_id: number; film_id: number; store_id: number }>(
      'SELECT r.rental_id, i.film_id, i.store_id FROM public.rental r JOIN public.inventory i ON i.inventory_id = r.inventory_id ORDER BY r.rental_id');
    const desc = await describe(db, 'public', 'inventory');

    // The facts count the moves read-only, with the generator's own choice of the kept row.
    const facts = await migrationFacts(db.client, desc, { key: ['film_id', 'store_id'] });
    assert.deepEqual(facts.referenceMoves, [expected]);
    const words = `${fmt(expected.rows)} rows of public.rental would move from ${fmt(expected.distinctParents)} copies to the kept rows; pass --merge-references to accept`;

    // The generator refuses, naming the counts.
    assert.throws(() => generateMigration(desc, { key: ['film_id', 'store_id'], ...facts }), (e: Error) => {
      assert.ok(e instanceof ReferencesWouldMove && e instanceof MigrationError);
      assert.deepEqual(e.moves, [expected]);
      assert.ok(e.message.includes(words), e.message);
      return true;
    });

    // The dry run reports the moves instead of "ok", and runs nothing.
    const rep = await dryRunMigration(db.client, desc, { key: ['film_id', 'store_id'] });
    assert.equal(rep.mergeRequired, true);
    assert.deepEqual(rep.referenceMoves, [expected]);
    assert.equal(rep.dedupOk, false);
    assert.ok(rep.error?.includes(words), rep.error);
    const dio = capture();
    assert.equal(await main(['migrate', '--url', db.url, '-t', 'inventory', '-k', 'film_id,store_id', '--dry-run'], dio), 1, dio.err);
    assert.match(dio.out, new RegExp(`references: +${fmt(expected.rows)} rows of public\\.rental would move from ${fmt(expected.distinctParents)} copies to the kept rows`));
    assert.match(dio.out, /dedup: +REFUSED: .*--merge-references/);
    assert.doesNotMatch(dio.out, /\bok\b/);

    // The CLI refuses without the flag.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-refs-'));
    const rio = capture({}, dir);
    assert.equal(await main(['migrate', '--url', db.url, '-t', 'inventory', '-k', 'film_id,store_id', '--out', 'migrations/'], rio), 2);
    assert.ok(rio.err.includes(words), rio.err);
    assert.ok(!fs.existsSync(path.join(dir, 'migrations')) || fs.readdirSync(path.join(dir, 'migrations')).length === 0, 'nothing written');
    assert.deepEqual(await rowHashes(db, 'public', 'inventory'), inventory);

    // With the flag: the dry run goes through and moves exactly that many references.
    const mrep = await dryRunMigration(db.client, desc, { key: ['film_id', 'store_id'], mergeReferences: true });
    assert.equal(mrep.dedupOk && mrep.constraintBuilds && !mrep.mergeRequired, true, mrep.error);
    assert.equal(mrep.referencesMoved, expected.rows);

    // The CLI writes both files; the header states the counts; psql runs them.
    const gio = capture({}, dir);
    assert.equal(await main(['migrate', '--url', db.url, '-t', 'inventory', '-k', 'film_id,store_id', '--merge-references', '--out', 'migrations/'], gio), 0, gio.err);
    const files = fs.readdirSync(path.join(dir, 'migrations')).sort();
    assert.equal(files.length, 2, files.join(', '));
    assert.match(files[0], /^\d{8}_\d{6}_dedup_public_inventory\.sql$/);
    assert.equal(files[1], files[0].replace(/\.sql$/, '_rollback.sql'));
    const script = fs.readFileSync(path.join(dir, 'migrations', files[0]), 'utf8');
    const rollback = fs.readFileSync(path.join(dir, 'migrations', files[1]), 'utf8');
    assert.ok(script.split('\n').includes(`-- References: ${fmt(expected.rows)} rows of public.rental move from ${fmt(expected.distinctParents)} copies to the kept rows (counted at generation; --merge-references).`), script.slice(0, 1500));
    const r = psqlRun(db.url, script);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.inventory'), 1400);
    await assertRentalsIntact(db, before);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.rental r WHERE NOT EXISTS (SELECT 1 FROM public.inventory i WHERE i.inventory_id = r.inventory_id)'), 0);

    const rb = psqlRun(db.url, rollback);
    assert.equal(rb.status, 0, rb.stderr);
    assert.deepEqual(await rowHashes(db, 'public', 'inventory'), inventory);
    assert.deepEqual(await rowHashes(db, 'public', 'rental'), rental);
    fs.rmSync(dir, { recursive: true, force: true });
  } finally {
    await db.close();
  }
});

test('moves unknown at generation: the script counts them when it runs and stops with nothing changed; references to no copy let it run', async () => {
  const db = await freshDb(SHAPE);
  try {
    const expected = await expectedMoves(db);
    const inventory = await rowHashes(db, 'public', 'inventory');
    const desc = await describe(db, 'public', 'inventory');
    const p = generateMigration(desc, { key: ['film_id', 'store_id'], backupName: 'inv_b1' });
    assert.equal(p.referenceMovesKnown, false);
    assert.match(p.script, /^-- References: 1 foreign key \(public\.rental\.rental_inventory_id_fkey\) point here; not counted at generation\. The script stops/m);
    const r = psqlRun(db.url, p.script);
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes(`dupguard: keeping one row per key of public.inventory would re-point references: ${fmt(expected.rows)} rows of public.rental (rental_inventory_id_fkey) would move from ${fmt(expected.distinctParents)} copies to the kept rows; generate the migration with --merge-references to accept`), r.stderr);
    assert.deepEqual(await rowHashes(db, 'public', 'inventory'), inventory);
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_class WHERE relname LIKE 'inv_b1%'"), 0, 'no backup left');

    // Only the kept copies are referenced: nothing moves, the same kind of script runs through.
    await db.q(`DELETE FROM public.rental r USING public.inventory i WHERE i.inventory_id = r.inventory_id
                  AND i.inventory_id <> (SELECT min(inventory_id) FROM public.inventory j WHERE j.film_id = i.film_id AND j.store_id = i.store_id)`);
    assert.deepEqual(await countReferenceMoves(db.client, desc, { key: ['film_id', 'store_id'] }), [{ ...expected, rows: 0, distinctParents: 0 }]);
    const ok = generateMigration(desc, { key: ['film_id', 'store_id'], backupName: 'inv_b2' });
    const r2 = psqlRun(db.url, ok.script);
    assert.equal(r2.status, 0, r2.stderr);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.inventory'), 1400);
  } finally {
    await db.close();
  }
});

test('real pagila: inventory (film_id, store_id) is refused with the exact counts; merged, every rental still has its film and store', async (t) => {
  const dumps = path.resolve(__dirname, '../../../shared/corpus/dumps');
  const schema = path.join(dumps, 'pagila-schema.sql');
  const data = path.join(dumps, 'pagila-data.sql');
  if (!fs.existsSync(schema) || !fs.existsSync(data)) {
    t.skip(`pagila dump not found in ${dumps}`);
    return;
  }
  const db = await freshDb('');
  try {
    for (const f of [schema, data]) {
      const r = psqlRun(db.url, fs.readFileSync(f, 'utf8'));
      assert.equal(r.status, 0, `${f}: ${r.stderr.slice(0, 2000)}`);
    }
    const desc = await describe(db, 'public', 'inventory');
    const expected = await expectedMoves(db);
    assert.ok(expected.rows > 0);
    const rep = await dryRunMigration(db.client, desc, { key: ['film_id', 'store_id'] });
    assert.equal(rep.mergeRequired, true);
    assert.deepEqual(rep.referenceMoves, [expected]);
    t.diagnostic(`pagila inventory (film_id, store_id): ${rep.error}`);
    const before = await db.q<{ rental_id: number; film_id: number; store_id: number }>(
      'SELECT r.rental_id, i.film_id, i.store_id FROM public.rental r JOIN public.inventory i ON i.inventory_id = r.inventory_id ORDER BY r.rental_id');
    const inventory = await rowHashes(db, 'public', 'inventory');
    const facts = await migrationFacts(db.client, desc, { key: ['film_id', 'store_id'] });
    const p = generateMigration(desc, { key: ['film_id', 'store_id'], mergeReferences: true, ...facts });
    assert.deepEqual(p.referenceMoves, [expected]);
    const r = psqlRun(db.url, p.script);
    assert.equal(r.status, 0, r.stderr);
    await assertRentalsIntact(db, before);
    const rb = psqlRun(db.url, p.rollback);
    assert.equal(rb.status, 0, rb.stderr);
    assert.deepEqual(await rowHashes(db, 'public', 'inventory'), inventory);
    // rental's own BEFORE UPDATE trigger stamps last_update when a reference moves (and again when it
    // moves back): the references themselves are restored row by row.
    const restored = await db.q<{ rental_id: number; film_id: number; store_id: number }>(
      'SELECT r.rental_id, i.film_id, i.store_id FROM public.rental r JOIN public.inventory i ON i.inventory_id = r.inventory_id ORDER BY r.rental_id');
    assert.deepEqual(restored, before);
  } finally {
    await db.close();
  }
});
