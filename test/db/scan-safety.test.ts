/**
 * What a scan does when things go wrong: writes refused, timeouts, a terminated backend, a cancel.
 * A function that sleeps only inside dupguard's sessions (application_name) makes one table slow
 * to scan without making the setup slow.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type DbSession } from '../../src/db/connect';
import type { ScanProgress } from '../../src/db/report';
import { scan } from '../../src/db/scan';
import { formatReport } from '../../src/cli/scan';
import { freshDb } from './_db';

let url: string;
let admin: DbSession;

before(async () => {
  ({ url, session: admin } = await freshDb(`
    CREATE TABLE audit (n int);
    CREATE FUNCTION slow(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
      BEGIN IF current_setting('application_name') = 'dupguard' THEN PERFORM pg_sleep(0.1); END IF; RETURN t; END $$;
    CREATE TABLE a_fast (id serial PRIMARY KEY, k int, v text);
    INSERT INTO a_fast (k, v) SELECT g % 10, 'x' FROM generate_series(1, 100) g;
    CREATE TABLE b_slow (id serial PRIMARY KEY, v text);
    CREATE UNIQUE INDEX b_slow_v ON b_slow (slow(v));
    INSERT INTO b_slow (v) SELECT NULL FROM generate_series(1, 200);
    CREATE TABLE c_after (id serial PRIMARY KEY, k int);
    INSERT INTO c_after (k) VALUES (1), (1);
  `));
});

after(async () => { await admin.close(); });

test('the scan session is read-only: a write attempted inside it fails, nothing is written', async () => {
  const s = await connect(url, { env: {} });
  try {
    let write: Promise<unknown> | undefined;
    const r = await scan(s, {
      tables: ['a_fast', 'c_after'], inferKeys: false,
      // pg runs queued queries in order: this one lands between the scan's own statements, inside its transaction.
      onProgress: (p) => { if (p.phase === 'check' && p.table === 'a_fast' && !write) write = s.client.query('INSERT INTO public.audit VALUES (1)').catch((e: Error) => e); },
    });
    const err = await write;
    assert.ok(err instanceof Error);
    assert.match(err.message, /cannot execute INSERT in a read-only transaction/);
    assert.ok(r.tables.find((t) => t.table === 'a_fast')!.errors?.length, 'the table whose transaction saw the write reports it');
    const after = r.tables.find((t) => t.table === 'c_after')!;
    assert.equal(after.checks.find((c) => c.kind === 'exact-row')!.excessRows, 1, 'the next table is scanned normally');
    const { rows } = await admin.client.query('SELECT count(*)::int AS n FROM audit');
    assert.equal(rows[0].n, 0);
  } finally {
    await s.close();
  }
});

test('statement_timeout: the check says so, the next tables are still scanned', async () => {
  const s = await connect(url, { env: {} });
  try {
    const r = await scan(s, { tables: ['b_slow', 'c_after'], statementTimeoutMs: 300, inferKeys: false });
    const slow = r.tables.find((t) => t.table === 'b_slow')!;
    const failed = slow.checks.find((c) => c.error)!;
    assert.match(failed.error!, /unique-nulls check \(public\.slow\(v\)\) failed: public\.b_slow: statement timeout reached/);
    const after = r.tables.find((t) => t.table === 'c_after')!;
    assert.equal(after.checks.find((c) => c.kind === 'exact-row')!.excessRows, 1);
    assert.equal(r.complete, true);
  } finally {
    await s.close();
  }
});

test('backend terminated mid-scan: the scan ends with a message naming the table and what was done', async () => {
  const s = await connect(url, { env: {} });
  const pid = (await s.client.query('SELECT pg_backend_pid() AS p')).rows[0].p;
  try {
    const r = await scan(s, {
      tables: ['a_fast', 'b_slow', 'c_after'], inferKeys: false,
      onProgress: (p: ScanProgress) => {
        if (p.phase === 'check' && p.table === 'b_slow') {
          // Kill it once the slow statement is running.
          setTimeout(() => { void admin.client.query('SELECT pg_terminate_backend($1)', [pid]); }, 300);
        }
      },
    });
    assert.equal(r.complete, false);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].table, 'public.b_slow');
    assert.match(r.errors[0].message, /^connection lost while scanning public\.b_slow \(0 of \d checks done there; 1 of 3 tables finished before it\)/);
    assert.equal(r.tables.find((t) => t.table === 'a_fast')!.checks.length > 0, true);
    assert.ok(!r.tables.some((t) => t.table === 'c_after'), 'nothing after the lost connection');
    // The table itself says the connection was lost: never "0 rows, no check applies".
    const slow = r.tables.find((t) => t.table === 'b_slow')!;
    assert.match(slow.errors?.[0] ?? '', /^connection lost while scanning public\.b_slow/);
    const text = formatReport(r, 'text');
    assert.match(text, /^public\.b_slow {2}not scanned/m);
    assert.match(text, /^ {2}! {3}connection lost while scanning public\.b_slow/m);
    assert.doesNotMatch(text, /no check applies/);
    assert.match(formatReport(r, 'md'), /\| public\.b\\_slow \| connection lost while scanning/);
  } finally {
    await s.close();
  }
});

test('cancel through AbortSignal: returns a partial report promptly and the session stays usable', async () => {
  const s = await connect(url, { env: {} });
  try {
    const ac = new AbortController();
    const started = Date.now();
    const r = await scan(s, {
      tables: ['a_fast', 'b_slow', 'c_after'], inferKeys: false, signal: ac.signal,
      onProgress: (p) => { if (p.phase === 'check' && p.table === 'b_slow') setTimeout(() => ac.abort(), 200); },
    });
    // The slow table alone takes 20 s (200 rows × 0.1 s): returning well before proves the cancel reached the server.
    assert.ok(Date.now() - started < 10_000);
    assert.equal(r.cancelled, true);
    assert.equal(r.complete, false);
    assert.match(r.errors[0].message, /^scan cancelled during public\.b_slow \(0 of \d checks done there; 1 of 3 tables finished before it\)$/);
    assert.ok(r.tables.find((t) => t.table === 'a_fast')!.checks.length > 0);
    assert.equal(s.ended, false, 'the cancel request was honoured; the connection was not dropped');
    const { rows } = await s.client.query("SELECT 1 AS one, current_setting('transaction_read_only') AS ro");
    assert.deepEqual(rows[0], { one: 1, ro: 'off' }, 'the read-only scan transaction was rolled back');
  } finally {
    await s.close();
  }
});

test('inside the scan transaction: read only, application_name dupguard, the timeouts asked for', async () => {
  const s = await connect(url, { env: {} });
  try {
    let settings: Promise<Record<string, string>> | undefined;
    await scan(s, {
      tables: ['a_fast'], inferKeys: false, lockTimeoutMs: 1234, statementTimeoutMs: 5678,
      onProgress: (p) => {
        if (p.phase === 'check' && !settings) {
          settings = s.client.query(`SELECT current_setting('transaction_read_only') AS ro, current_setting('application_name') AS app,
                                            current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS stmt,
                                            current_setting('transaction_isolation') AS iso`).then((r) => r.rows[0]);
        }
      },
    });
    assert.deepEqual(await settings, { ro: 'on', app: 'dupguard', lock: '1234ms', stmt: '5678ms', iso: 'repeatable read' });
  } finally {
    await s.close();
  }
});
