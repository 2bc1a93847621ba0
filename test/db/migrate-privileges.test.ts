/**
 * The least-privilege role docs/security.md describes for `dupguard migrate`: it owns the table and
 * the tables whose foreign keys point at it, may CREATE in their schema (the backup tables) and
 * create TEMPORARY tables in the database, and is neither superuser nor BYPASSRLS. With exactly
 * that, the script (both strategies, with a temporary index), the rollback and the dry run work.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { freshDb, psqlRun, rowHashes } from './migrate-support';

test('a role that owns the tables, may CREATE in the schema and TEMPORARY in the database runs migrations, rollbacks and dry runs', async () => {
  const db = await freshDb(`
    CREATE SCHEMA app;
    CREATE TABLE app.users (id int PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL);
    CREATE TABLE app.logins (id int PRIMARY KEY, uid int REFERENCES app.users(id));
    INSERT INTO app.users SELECT g, 'u' || (g % 10), timestamptz '2025-01-01' + g * interval '1 hour' FROM generate_series(1, 50) g;
    INSERT INTO app.logins SELECT g, g FROM generate_series(1, 50) g;`);
  const dbName = new URL(db.url).pathname.slice(1);
  try {
    await db.q(`DO $$ BEGIN CREATE ROLE dg_migrator LOGIN NOSUPERUSER NOBYPASSRLS; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    await db.q(`REVOKE ALL ON DATABASE "${dbName}" FROM PUBLIC`);
    await db.q(`GRANT CONNECT, TEMPORARY ON DATABASE "${dbName}" TO dg_migrator`);
    await db.q('GRANT USAGE, CREATE ON SCHEMA app TO dg_migrator');
    await db.q('ALTER TABLE app.users OWNER TO dg_migrator');
    await db.q('ALTER TABLE app.logins OWNER TO dg_migrator');
    const u = new URL(db.url);
    u.username = 'dg_migrator';
    const url = u.toString();
    const original = await rowHashes(db, 'app', 'users');
    for (const strategy of ['delete', 'rebuild'] as const) {
      const io: CliIO & { out: string; err: string } = { out: '', err: '', cwd: process.cwd(), env: {}, stdout(s) { io.out += s; }, stderr(s) { io.err += s; } };
      assert.equal(await main(['migrate', '--url', url, '--table', 'app.users', '--key', 'email', '--strategy', strategy, '--dry-run', '--merge-references'], io), 0, io.err + io.out);
      const gio: CliIO & { out: string; err: string } = { out: '', err: '', cwd: process.cwd(), env: {}, stdout(s) { gio.out += s; }, stderr(s) { gio.err += s; } };
      assert.equal(await main(['migrate', '--url', url, '--table', 'app.users', '--key', 'email', '--strategy', strategy, '--backup-name', `users_b_${strategy}`, '--merge-references'], gio), 0, gio.err);
      if (strategy === 'delete') assert.match(gio.out, /CREATE INDEX users_b_delete_fk1 ON app\.logins \(uid\);/);
      const r = psqlRun(url, gio.out);
      assert.equal(r.status, 0, `${strategy}: ${r.stderr}`);
      const rio: CliIO & { out: string; err: string } = { out: '', err: '', cwd: process.cwd(), env: {}, stdout(s) { rio.out += s; }, stderr(s) { rio.err += s; } };
      assert.equal(await main(['migrate', '--url', url, '--table', 'app.users', '--key', 'email', '--rollback', '--backup-name', `users_b_${strategy}`], rio), 0, rio.err);
      const rb = psqlRun(url, rio.out);
      assert.equal(rb.status, 0, rb.stderr);
      assert.deepEqual(await rowHashes(db, 'app', 'users'), original);
    }
  } finally {
    await db.q(`REASSIGN OWNED BY dg_migrator TO postgres`).catch(() => {});
    await db.q(`DROP OWNED BY dg_migrator`).catch(() => {});
    await db.close();
  }
});
