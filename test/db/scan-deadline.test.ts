/**
 * A server (or a network path) that stops answering in the middle of a scan: a TCP proxy on
 * 127.0.0.1 stops forwarding one connection once the scan sends its first check. The client deadline
 * must cancel, close the connection and end the scan with a clear message, instead of hanging.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as os from 'node:os';
import { main } from '../../src/cli/main';
import { connect, type DbSession } from '../../src/db/connect';
import { scan } from '../../src/db/scan';
import { freshDb } from './_db';

let url: string;
let admin: DbSession;

/** Forwards to the real server; once `armed`, the first connection that sends `marker` goes silent both ways (its socket stays open). */
async function stallingProxy(target: URL, marker: string): Promise<{ url: string; arm(): void; stalled(): boolean; close(): Promise<void> }> {
  let armed = false;
  let stalledOnce = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let silent = false;
    client.on('data', (d) => {
      if (!silent && armed && !stalledOnce && d.includes(marker)) { silent = true; stalledOnce = true; }
      if (!silent) upstream.write(d);
    });
    upstream.on('data', (d) => { if (!silent) client.write(d); });
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const u = new URL(target.href);
  u.port = String(port);
  return {
    url: u.href,
    arm: () => { armed = true; },
    stalled: () => stalledOnce,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

before(async () => {
  ({ url, session: admin } = await freshDb(`
    CREATE TABLE a (id serial PRIMARY KEY, k int); INSERT INTO a (k) VALUES (1), (1);
    CREATE TABLE b (id serial PRIMARY KEY, k int); INSERT INTO b (k) VALUES (2), (2);`, 'dgdeadline'));
});

after(async () => { await admin.close(); });

test('scan: no answer mid-query → cancelled, connection closed, a clear message, promptly', { timeout: 60_000 }, async () => {
  const proxy = await stallingProxy(new URL(url), 'dupguard_check');
  const s = await connect(proxy.url, { env: {} });
  try {
    proxy.arm();
    const started = Date.now();
    const r = await scan(s, { inferKeys: false, clientTimeoutMs: 1000 });
    const took = Date.now() - started;
    assert.ok(proxy.stalled(), 'the proxy went silent mid-scan');
    assert.equal(r.complete, false);
    assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
    assert.equal(r.errors[0].table, 'public.a');
    assert.match(r.errors[0].message, /^scan stopped during public\.a \(0 of 1 checks done there; 0 of 2 tables finished before it\): no answer from the server in 1 s \(the client timeout; --client-timeout changes it\): dupguard asked the server to cancel the statement and closed the connection$/);
    const a = r.tables.find((t) => t.table === 'a')!;
    assert.match(a.errors?.[0] ?? '', /no answer from the server/, 'the table says why it has no figures');
    assert.equal(s.ended, true, 'the connection was closed');
    // Deadline 1 s, at most 2 s for the cancel: far from forever.
    assert.ok(took < 15_000, `${took} ms`);
  } finally {
    await s.close();
    await proxy.close();
  }
});

test('CLI: --client-timeout ends a scan the server stopped answering, exit 2, the message on stderr', { timeout: 60_000 }, async () => {
  const proxy = await stallingProxy(new URL(url), 'dupguard_check');
  proxy.arm();
  let out = '';
  let err = '';
  try {
    const code = await main(['scan', '--url', proxy.url, '--client-timeout', '1500', '--no-infer'], {
      stdout: (x) => { out += x; }, stderr: (x) => { err += x; }, cwd: os.tmpdir(), env: {},
    });
    assert.equal(code, 2, err);
    assert.match(err, /no answer from the server in 1\.5 s \(the client timeout; --client-timeout changes it\)/);
    assert.match(out, /public\.a {2}not scanned/);
    assert.doesNotMatch(out, /no check applies/);
  } finally {
    await proxy.close();
  }
});

test('the default deadline follows --timeout (statement_timeout + 30 s), else one hour', async () => {
  const { defaultClientTimeout } = await import('../../src/db/scan');
  assert.equal(defaultClientTimeout(0), 3_600_000);
  assert.equal(defaultClientTimeout(5000), 35_000);
});

test('connect: a server that accepts the connection and then goes silent fails within the connect timeout', { timeout: 60_000 }, async () => {
  const proxy = await stallingProxy(new URL(url), 'standard_conforming_strings');
  proxy.arm();
  try {
    const started = Date.now();
    await assert.rejects(connect(proxy.url, { env: {}, connectTimeoutMs: 1000 }),
      /^DbError: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:\d+\/dgdeadline_\w+: the server accepted the connection but did not answer in 1 s$/);
    assert.ok(proxy.stalled());
    assert.ok(Date.now() - started < 10_000);
  } finally {
    await proxy.close();
  }
});
