/**
 * Issue 12, item 9: Ctrl-C on `dupguard migrate --dry-run` cancels the running statement on the
 * server and rolls back before the process exits, so the ACCESS EXCLUSIVE lock the dry run holds on
 * the table is gone at once (it used to stay until the statement finished on its own, ~20 s).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { freshDb } from './migrate-support';

const root = path.resolve(__dirname, '../..');

test('SIGINT during migrate --dry-run: the statement is cancelled on the server, no lock remains, exit 130', { timeout: 120_000 }, async () => {
  // Each deleted copy waits 0.2 s in a trigger: the dry run's delete would run for 24 s.
  const db = await freshDb(`
    CREATE TABLE public.big (id serial PRIMARY KEY, k int NOT NULL, body text);
    CREATE FUNCTION public.big_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_catalog.pg_sleep(0.2); RETURN OLD; END $$;
    CREATE TRIGGER big_slow BEFORE DELETE ON public.big FOR EACH ROW EXECUTE FUNCTION public.big_slow();
    INSERT INTO public.big (k, body) SELECT g % 40, repeat('x', 100) FROM generate_series(1, 160) g;`);
  const locks = async () => Number((await db.q<{ n: string }>(
    `SELECT count(*) AS n FROM pg_locks WHERE relation = 'public.big'::regclass AND pid <> pg_backend_pid()`))[0].n);
  try {
    const env = { ...process.env, DATABASE_URL: '', PGPASSWORD: '' };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'migrate', '--url', db.url,
      '--table', 'big', '--key', 'k', '--strategy', 'delete', '--dry-run'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.on('data', (d) => { stdout += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    // Wait (bounded) until the dry run holds ACCESS EXCLUSIVE on the table.
    const start = Date.now();
    for (;;) {
      const held = Number((await db.q<{ n: string }>(
        `SELECT count(*) AS n FROM pg_locks WHERE relation = 'public.big'::regclass AND mode = 'AccessExclusiveLock' AND granted AND pid <> pg_backend_pid()`))[0].n);
      if (held) break;
      assert.ok(Date.now() - start < 60_000, `the dry run never took its lock; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');

    // Within 3 s no lock of it remains (without the cancel, the delete runs on for about 20 s).
    const sent = Date.now();
    let remaining = await locks();
    while (remaining > 0 && Date.now() - sent < 3000) {
      await new Promise((r) => setTimeout(r, 100));
      remaining = await locks();
    }
    assert.equal(remaining, 0, `locks still held ${Date.now() - sent} ms after SIGINT; stderr: ${stderr}`);
    const code = await exited;
    assert.equal(code, 130, `stderr: ${stderr}\nstdout: ${stdout}`);
    assert.match(stderr, /SIGINT: cancelling the running statement on the server and rolling back/);
    assert.match(stderr, /cancelled; nothing was changed/);
    assert.equal(Number((await db.q<{ n: string }>('SELECT count(*) AS n FROM public.big'))[0].n), 160);
  } finally {
    await db.close();
  }
});
