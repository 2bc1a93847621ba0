/**
 * A table owner's code in a unique index (an expression or a partial predicate calling the owner's
 * function): evaluating it during a superuser's scan would run it with superuser privileges (a
 * PL/pgSQL function can `COPY ... TO PROGRAM` even in a read-only transaction). The scan leaves such
 * a check out, says why, and runs it when the scanning role is the function's owner.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type DbSession } from '../../src/db/connect';
import { scan } from '../../src/db/scan';
import { freshDb } from './_db';

let url: string;
let admin: DbSession;
const alice = `dg_alice_${process.pid}_${Date.now() % 100000}`;

before(async () => {
  ({ url, session: admin } = await freshDb('', 'dgforeign'));
  await admin.client.query(`CREATE ROLE ${alice} LOGIN; GRANT CREATE ON SCHEMA public TO ${alice}`);
  await admin.client.query(`SET ROLE ${alice}`);
  await admin.client.query(`
    CREATE FUNCTION alice_norm(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
      BEGIN RAISE NOTICE 'alice_norm ran as %', current_user; RETURN lower(t); END $$;
    CREATE FUNCTION alice_ok(n int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
      BEGIN RAISE NOTICE 'alice_ok ran as %', current_user; RETURN n > 0; END $$;
    CREATE TABLE accounts (id serial PRIMARY KEY, email text, n int);
    CREATE UNIQUE INDEX accounts_norm ON accounts (alice_norm(email));
    CREATE UNIQUE INDEX accounts_partial ON accounts (email, n) WHERE alice_ok(n);
    -- A built-in expression is the database's own code: checked whoever scans.
    CREATE UNIQUE INDEX accounts_lower ON accounts (lower(email), n);
    INSERT INTO accounts (email, n) VALUES (NULL, 1), (NULL, 1);
    -- A type of alice's whose cast to text is alice's code: reading a value as text runs it.
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE FUNCTION alice_mood_text(m mood) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
      BEGIN RAISE NOTICE 'alice_mood_text ran as %', current_user; RETURN m::name::text; END $$;
    CREATE CAST (mood AS text) WITH FUNCTION alice_mood_text(mood);
    CREATE TABLE moods (id serial PRIMARY KEY, m mood NOT NULL, note text NOT NULL);
    INSERT INTO moods (m, note) VALUES ('ok', 'a'), ('ok', 'a'), ('sad', 'b');`);
  await admin.client.query('RESET ROLE');
});

after(async () => {
  await admin.client.query('RESET ROLE').catch(() => {});
  await admin.close();
});

test('a superuser\'s scan runs no function a non-superuser wrote into an index, and says which checks it left out', async () => {
  const s = await connect(url, { env: {} });
  const notices: string[] = [];
  s.client.on('notice', (n) => notices.push(n.message ?? ''));
  try {
    const r = await scan(s, { inferKeys: false, naturalKeys: { moods: ['m'] } });
    assert.deepEqual(notices, [], 'no function of another role ran');
    assert.deepEqual(r.errors.map((e) => e.table), ['public.moods']);
    const moods = r.tables.find((x) => x.table === 'moods')!;
    assert.deepEqual(moods.checks, [], 'every check of moods reads m');
    // A configured key left out is an error (the scan cannot say "no duplicates" for it); the others are notes.
    assert.match((moods.errors ?? []).join('\n'), new RegExp(`key check \\(m\\) not run: reading it calls m: public\\.alice_mood_text\\(public\\.mood\\) owned by ${alice}`));
    assert.match((moods.notes ?? []).join('\n'), /exact-row check \(m, note\) not run/);
    const t = r.tables.find((x) => x.table === 'accounts')!;
    assert.deepEqual(t.checks.filter((c) => c.kind === 'unique-nulls').map((c) => c.constraint), ['accounts_lower']);
    assert.equal(t.checks.find((c) => c.constraint === 'accounts_lower')!.excessRows, 1);
    const notes = (t.notes ?? []).join('\n');
    assert.match(notes, new RegExp(`accounts_norm: not checked: its expressions call public\\.alice_norm\\(text\\) owned by ${alice}; dupguard does not run code another role wrote with the privileges of postgres`));
    assert.match(notes, new RegExp(`accounts_partial: not checked: its expressions call public\\.alice_ok\\(integer\\) owned by ${alice}`));
  } finally {
    await s.close();
  }
});

test('the function\'s owner scanning: its own code, checked', async () => {
  const u = new URL(url);
  u.username = alice;
  const s = await connect(u.href, { env: {} });
  const notices: string[] = [];
  s.client.on('notice', (n) => notices.push(n.message ?? ''));
  try {
    const r = await scan(s, { inferKeys: false, naturalKeys: { moods: ['m'] } });
    const t = r.tables.find((x) => x.table === 'accounts')!;
    assert.equal(r.tables.find((x) => x.table === 'moods')!.checks.find((c) => c.source === 'config')!.excessRows, 1);
    assert.deepEqual(t.checks.filter((c) => c.kind === 'unique-nulls').map((c) => c.constraint).sort(), ['accounts_lower', 'accounts_norm', 'accounts_partial']);
    assert.ok(notices.every((m) => m.endsWith(`ran as ${alice}`)) && notices.length > 0);
  } finally {
    await s.close();
  }
});
