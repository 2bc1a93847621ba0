/**
 * Issue 12, the migration side's low items: columns named like the scripts' PL/pgSQL variables,
 * deferrable foreign keys with the rebuild, a line break inside a quoted name, backup names that stay
 * unique, and what a dry run cannot roll back (sequences, sessions kept waiting).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from 'pg';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { formatDryRun } from '../../src/cli/migrate';
import { dryRunMigration } from '../../src/db/dryrun';
import { describeTable } from '../../src/db/introspect';
import { generateMigration } from '../../src/migrate/generate';
import { quoteIdent, quoteQualified } from '../../src/core/quote';
import { count, freshDb, plan, psqlRun, rowHashes } from './migrate-support';

function capture(): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', cwd: process.cwd(), env: {}, stdout(s: string) { io.out += s; }, stderr(s: string) { io.err += s; } };
  return io;
}

test('key and other columns named like every PL/pgSQL variable of the scripts: no ambiguity, both strategies, rollback', async () => {
  // The variable names are read from the generated scripts' DECLARE lines, so a new one is covered.
  const probe = generateMigration({
    schema: 'public', name: 't', kind: 'r', source: 'catalog', columns: [{ name: 'k', type: 'integer', notNull: true }, { name: 'id', type: 'integer', notNull: true }],
    keys: [{ kind: 'primary', columns: ['id'] }], referencedBy: [{ schema: 'public', table: 'c', name: 'c_fk', definition: 'FOREIGN KEY (t_id) REFERENCES t(id)' }],
  }, { key: ['k'], strategy: 'rebuild' });
  const declared = new Set<string>();
  for (const s of [probe.script, probe.rollback]) {
    for (const m of s.matchAll(/^DECLARE (.*)$/gm)) for (const d of m[1].split(';')) if (d.trim()) declared.add(d.trim().split(/\s+/)[0]);
  }
  assert.ok(declared.size >= 5, [...declared].join(', '));
  // The names of the variables before they were prefixed, and the prefixed ones.
  const names = [...new Set(['a', 'b', 'backup_rows', 'n', 'r', 'cols', 'fks', ...declared])];
  const cols = names.map((n) => `${quoteIdent(n)} int`).join(', ');
  const db = await freshDb(`
    CREATE TABLE public.vars (id serial PRIMARY KEY, ${cols});
    CREATE TABLE public.vars_child (id serial PRIMARY KEY, v int REFERENCES public.vars(id));
    INSERT INTO public.vars (${names.map(quoteIdent).join(', ')}) SELECT ${names.map((_, i) => `(g % ${i + 2})`).join(', ')} FROM generate_series(1, 60) g;
    INSERT INTO public.vars_child (v) SELECT id FROM public.vars WHERE id % 3 = 0;`);
  try {
    const original = await rowHashes(db, 'public', 'vars');
    const key = ['a', 'b', 'backup_rows'];
    const keys = await count(db, 'SELECT count(DISTINCT (a, b, backup_rows)) AS n FROM public.vars');
    for (const strategy of ['delete', 'rebuild'] as const) {
      const p = await plan(db, 'public', 'vars', { key, strategy, backupName: `vars_b_${strategy}` });
      const r = psqlRun(db.url, p.script);
      assert.equal(r.status, 0, `${strategy}: ${r.stderr}`);
      assert.equal(await count(db, 'SELECT count(*) AS n FROM public.vars'), keys);
      const rb = psqlRun(db.url, p.rollback);
      assert.equal(rb.status, 0, rb.stderr);
      assert.deepEqual(await rowHashes(db, 'public', 'vars'), original);
    }
  } finally {
    await db.close();
  }
});

test('deferrable foreign keys (initially deferred and immediate): both strategies succeed, references move, rollback restores', async () => {
  const db = await freshDb(`
    CREATE TABLE public.parents (id int PRIMARY KEY, k text NOT NULL);
    CREATE TABLE public.kids (id int PRIMARY KEY, p int REFERENCES public.parents(id) DEFERRABLE INITIALLY DEFERRED);
    CREATE TABLE public.pets (id int PRIMARY KEY, p int REFERENCES public.parents(id) DEFERRABLE);
    INSERT INTO public.parents VALUES (1, 'x'), (2, 'x'), (3, 'y'), (4, 'y');
    INSERT INTO public.kids VALUES (1, 2), (2, 4), (3, 1);
    INSERT INTO public.pets VALUES (1, 2);`);
  try {
    const parents = await rowHashes(db, 'public', 'parents');
    const kids = await rowHashes(db, 'public', 'kids');
    for (const strategy of ['rebuild', 'delete'] as const) {
      const p = await plan(db, 'public', 'parents', { key: ['k'], strategy, backupName: `parents_b_${strategy}` });
      const r = psqlRun(db.url, p.script);
      assert.equal(r.status, 0, `${strategy}: ${r.stderr}`);
      assert.deepEqual(await db.q('SELECT id, p FROM public.kids ORDER BY id'), [{ id: 1, p: 1 }, { id: 2, p: 3 }, { id: 3, p: 1 }]);
      assert.deepEqual(await db.q('SELECT id, p FROM public.pets ORDER BY id'), [{ id: 1, p: 1 }]);
      const def = await db.q<{ d: string }>(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = 'kids_p_fkey'`);
      assert.match(def[0].d, /DEFERRABLE INITIALLY DEFERRED/);
      const rb = psqlRun(db.url, p.rollback);
      assert.equal(rb.status, 0, rb.stderr);
      assert.deepEqual(await rowHashes(db, 'public', 'parents'), parents);
      assert.deepEqual(await rowHashes(db, 'public', 'kids'), kids);
    }
  } finally {
    await db.close();
  }
});

test('a line break inside a quoted key column and foreign key column reaches the script byte for byte', async () => {
  const K = 'key\n  col';
  const F = 'ref\nid';
  const db = await freshDb(`
    CREATE TABLE public.nl (id int PRIMARY KEY, ${quoteIdent(K)} text NOT NULL);
    CREATE TABLE public.nl_child (id int PRIMARY KEY, ${quoteIdent(F)} int REFERENCES public.nl(id));
    INSERT INTO public.nl VALUES (1, 'a'), (2, 'a'), (3, 'b');
    INSERT INTO public.nl_child VALUES (1, 2), (2, 3);`);
  try {
    const original = await rowHashes(db, 'public', 'nl');
    for (const strategy of ['delete', 'rebuild'] as const) {
      const p = await plan(db, 'public', 'nl', { key: [K], strategy, backupName: `nl_b_${strategy}` });
      const r = psqlRun(db.url, p.script);
      assert.equal(r.status, 0, `${strategy}: ${r.stderr}`);
      // Every occurrence of the name in the SQL is the exact quoted name: no line of it re-indented.
      const sql = p.script.split('\n-- ROLLBACK')[0];
      assert.ok(!sql.includes('"key\n    col"') && !sql.includes('"ref\n  id"'));
      assert.ok(sql.includes(`OPERATOR(pg_catalog.=) dupguard_child.${quoteIdent(F)}`));
      assert.deepEqual(await db.q(`SELECT id, ${quoteIdent(F)} AS f FROM public.nl_child ORDER BY id`), [{ id: 1, f: 1 }, { id: 2, f: 3 }]);
      const rb = psqlRun(db.url, p.rollback);
      assert.equal(rb.status, 0, rb.stderr);
      assert.deepEqual(await rowHashes(db, 'public', 'nl'), original);
    }
  } finally {
    await db.close();
  }
});

test('backup names: to the second, and a name already in the schema gets a suffix, so a second run in the same minute goes through', async () => {
  const db = await freshDb(`
    CREATE TABLE public.dups (id serial PRIMARY KEY, k int NOT NULL);
    INSERT INTO public.dups (k) SELECT g % 5 FROM generate_series(1, 40) g;`);
  try {
    const desc = await describeTable(db.client, 'public', 'dups');
    const now = new Date('2026-11-23T17:05:09Z');
    assert.equal(generateMigration(desc, { key: ['k'], now }).backup.name, 'dups_dupguard_20261123_170509');
    assert.equal(generateMigration(desc, { key: ['k'], now, takenNames: ['dups_dupguard_20261123_170509'] }).backup.name, 'dups_dupguard_20261123_1705091');
    // Through the CLI, as a user would: migrate, roll back, migrate again at once.
    const url = db.url;
    for (let round = 0; round < 2; round++) {
      const io = capture();
      assert.equal(await main(['migrate', '--url', url, '--table', 'dups', '--key', 'k'], io), 0, io.err);
      const r = psqlRun(url, io.out);
      assert.equal(r.status, 0, `round ${round}: ${r.stderr}`);
      const rio = capture();
      assert.equal(await main(['migrate', '--url', url, '--table', 'dups', '--key', 'k', '--rollback'], rio), 0, rio.err);
      assert.equal(psqlRun(url, rio.out).status, 0);
    }
    assert.equal(await count(db, "SELECT count(*) AS n FROM pg_class WHERE relname LIKE 'dups_dupguard_%'"), 2);
  } finally {
    await db.close();
  }
});

test('the dry run says what its rollback does not undo: sequences that advanced, sessions that waited for its lock', async () => {
  const db = await freshDb(`
    CREATE TABLE public.audit (id bigserial PRIMARY KEY, what text);
    CREATE TABLE public.slow (id serial PRIMARY KEY, k int NOT NULL);
    CREATE FUNCTION public.slow_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO public.audit (what) VALUES ('deleted ' || OLD.id); PERFORM pg_catalog.pg_sleep(0.15); RETURN OLD; END $$;
    CREATE TRIGGER slow_audit BEFORE DELETE ON public.slow FOR EACH ROW EXECUTE FUNCTION public.slow_audit();
    INSERT INTO public.slow (k) SELECT g % 4 FROM generate_series(1, 16) g;`);
  const reader = new Client({ connectionString: db.url });
  await reader.connect();
  try {
    const desc = await describeTable(db.client, 'public', 'slow');
    const running = dryRunMigration(db.client, desc, { key: ['k'], strategy: 'delete' });
    // Once the dry run holds its lock, a reader queues behind it.
    const deadline = Date.now() + 10_000;
    const locked = async () => Number((await reader.query(
      "SELECT count(*) AS n FROM pg_locks WHERE relation = 'public.slow'::regclass AND mode = 'AccessExclusiveLock' AND granted")).rows[0].n) > 0;
    while (!await locked()) {
      assert.ok(Date.now() < deadline, 'the dry run never took its lock');
      await new Promise((r) => setTimeout(r, 50));
    }
    const read = reader.query('SELECT count(*) AS n FROM public.slow');
    const rep = await running;
    assert.equal(rep.dedupOk && rep.constraintBuilds, true, rep.error);
    assert.equal(Number((await read).rows[0].n), 16, 'the reader saw the table unchanged, after waiting');
    assert.ok((rep.sessionsBlocked ?? 0) >= 1, `sessions blocked: ${rep.sessionsBlocked}`);
    assert.ok(rep.lock.heldMs >= 1500, `held ${rep.lock.heldMs} ms`);
    assert.deepEqual(rep.sequencesAdvanced.map((s) => [s.sequence, s.before, s.after]), [['public.audit_id_seq', null, '12']]);
    const text = formatDryRun(rep);
    assert.match(text, /rolled back: no row or table kept/);
    assert.doesNotMatch(text, /nothing changed/);
    assert.match(text, /sequences advanced \(a rollback does not take nextval\(\) back\): public\.audit_id_seq unused -> 12/);
    assert.match(text, /locks: held ACCESS EXCLUSIVE on public\.slow for \d+ ms; other sessions' reads and writes of it waited meanwhile \(1 session was waiting when it rolled back\)/);
    assert.equal(await count(db, 'SELECT count(*) AS n FROM public.audit'), 0);
    assert.equal(await count(db, `SELECT count(*) AS n FROM ${quoteQualified('public', 'slow')}`), 16);
  } finally {
    await reader.end();
    await db.close();
  }
});
