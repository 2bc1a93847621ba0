import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, DbError, describeTarget, parseUrl, resolveTarget, scrub } from '../../src/db/connect';
import { freePort, getTestServer } from '../support/postgres';
import { freshDb } from './_db';

test('connects with a URL: engine, version, application_name dupguard, timeouts at startup', async () => {
  const { url, session: admin } = await freshDb('');
  await admin.close();
  const s = await connect(url, { env: {}, statementTimeoutMs: 4321, lockTimeoutMs: 1234 });
  try {
    assert.equal(s.engine, 'postgresql');
    assert.equal(s.hasCtid, true);
    assert.ok(s.serverVersionNum >= 150000);
    assert.match(s.target, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/dgdb_/);
    const { rows } = await s.client.query(`SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt`);
    assert.deepEqual(rows[0], { app: 'dupguard', st: '4321ms', lt: '1234ms' });
  } finally {
    await s.close();
    await s.close();
  }
  assert.equal(s.ended, true);
});

test('PG* environment variables fill what the profile leaves out', async () => {
  const server = await getTestServer();
  const s = await connect({ name: 'env' }, { env: { PGHOST: server.host, PGPORT: String(server.port), PGUSER: 'postgres', PGDATABASE: 'postgres', PGSSLMODE: 'disable' } });
  try {
    assert.equal(s.database, 'postgres');
    assert.equal(s.port, server.port);
  } finally {
    await s.close();
  }
});

test('sslmode prefer falls back to plain text on a server without TLS; require fails clearly', async () => {
  const server = await getTestServer();
  const s = await connect(`postgres://postgres@127.0.0.1:${server.port}/postgres?sslmode=prefer`, { env: {} });
  await s.close();
  await assert.rejects(connect(`postgres://postgres@127.0.0.1:${server.port}/postgres?sslmode=require`, { env: {} }),
    (e: DbError) => e instanceof DbError && /does not support SSL/.test(e.message));
});

test('errors never show the password and say what failed', async () => {
  const port = await freePort();
  await assert.rejects(connect(`postgres://bob:hunter2secret@127.0.0.1:${port}/db`, { env: {} }), (e: Error) => {
    assert.equal(e.message, `cannot connect to postgres://bob@127.0.0.1:${port}/db: connection refused (is the server running and listening there?)`);
    assert.ok(!e.message.includes('hunter2secret'));
    return true;
  });
  const server = await getTestServer();
  await assert.rejects(connect(`postgres://postgres:hunter2secret@127.0.0.1:${server.port}/no_such_db`, { env: {} }), (e: DbError) => {
    assert.match(e.message, /database "no_such_db" does not exist/);
    assert.equal(e.code, '3D000');
    assert.ok(!e.message.includes('hunter2secret'));
    return true;
  });
  assert.equal(scrub('failed for postgres://u:pw@h/db with pw', 'pw'), 'failed for postgres://u:***@h/db with ***');
});

test('URL parsing: percent-encoding, socket host, IPv6, bad input', () => {
  assert.deepEqual(parseUrl('postgresql://us%40er:p%3Ass@db.example.com:6543/my%20db?sslmode=verify-full'), {
    host: 'db.example.com', port: 6543, database: 'my db', user: 'us@er', password: 'p:ss',
    sslrootcert: undefined, sslcert: undefined, sslkey: undefined, sslmode: 'verify-full',
  });
  assert.equal(parseUrl('postgres:///db?host=/var/run/postgresql').host, '/var/run/postgresql');
  assert.equal(parseUrl('postgres://[::1]:5432/db').host, '::1');
  assert.throws(() => parseUrl('mysql://x'), /invalid connection URL/);
  assert.throws(() => resolveTarget('postgres://h/db?sslmode=sometimes', { env: {} }), /invalid sslmode 'sometimes'/);
  assert.equal(describeTarget({ host: '::1', port: 5432, database: 'd', user: 'u' }), 'postgres://u@[::1]:5432/d');
  assert.equal(resolveTarget('postgres://h/db?sslmode=require', { env: {} }).config.ssl && typeof resolveTarget('postgres://h/db?sslmode=require', { env: {} }).config.ssl, 'object');
  assert.equal(resolveTarget('postgres://h/db?sslmode=disable', { env: {} }).config.ssl, false);
});

test('a password asked for when the server wants one and none was given', async () => {
  const { session: admin } = await freshDb(`CREATE ROLE dg_pw_${process.pid} LOGIN PASSWORD 'sesame'`);
  await admin.close();
  // The test cluster trusts every local login, so the callback is never needed: it must not be called.
  let asked = 0;
  const server = await getTestServer();
  const s = await connect({ host: server.host, port: server.port, user: `dg_pw_${process.pid}`, database: 'postgres', sslmode: 'disable' }, { env: {}, password: async () => { asked++; return 'sesame'; } });
  await s.close();
  assert.equal(asked, 0);
});

test('scanTarget connects, scans and closes in one call', async () => {
  const { url, session: admin } = await freshDb('CREATE TABLE t (id serial PRIMARY KEY, a int); INSERT INTO t (a) VALUES (1), (1), (2);');
  await admin.close();
  const { scanTarget } = await import('../../src/db/index');
  const r = await scanTarget(url, { connect: { env: {} } });
  assert.equal(r.complete, true);
  assert.equal(r.tables[0].checks.find((c) => c.kind === 'exact-row')!.excessRows, 1);
  await assert.rejects(scanTarget('postgres://x@127.0.0.1:1/db', { connect: { env: {} } }), DbError);
});

test('scrub: every form a password can take in a connection string', () => {
  const cases: [string, string][] = [
    ['postgres://u:hunter2@h/db', 'postgres://u:***@h/db'],
    ['postgresql://u:hunter2@h:5432/db?sslmode=require', 'postgresql://u:***@h:5432/db?sslmode=require'],
    ['POSTGRES://:hunter2@h/db', 'POSTGRES://:***@h/db'],
    ['postgres://u:hun@ter2@h/db', 'postgres://u:***@h/db'],
    ['postgres://u:hun%40ter2@h/db', 'postgres://u:***@h/db'],
    ['postgres://h/db?password=hunter2', 'postgres://h/db?password=***'],
    ['postgres://h/db?sslmode=require&password=hunter2&user=u', 'postgres://h/db?sslmode=require&password=***&user=u'],
    ['postgresql://u@h/db?PASSWORD=hunter2', 'postgresql://u@h/db?PASSWORD=***'],
    ['see postgres%3A%2F%2Fu%3Ahunter2%40h%2Fdb here', 'see postgres%3A%2F%2Fu%3A***%40h%2Fdb here'],
    ['next=postgres%3A%2F%2Fh%2Fdb%3Fpassword%3Dhunter2%26user%3Du', 'next=postgres%3A%2F%2Fh%2Fdb%3Fpassword%3D***%26user%3Du'],
    ['host=h password=hunter2 dbname=d', 'host=h password=*** dbname=d'],
    ["host=h password = 'hun ter\\'2' dbname=d", 'host=h password = *** dbname=d'],
    ['password=hunter2', 'password=***'],
    ['PGPASSWORD=hunter2 dupguard scan', 'PGPASSWORD=*** dupguard scan'],
    ['{"user":"u","password":"hunter2"}', '{"user":"u","password":"***"}'],
    ["{ password: 'hunter2' }", '{ password: "***" }'],
    ['password authentication failed for user "u"', 'password authentication failed for user "u"'],
  ];
  for (const [input, want] of cases) {
    assert.equal(scrub(input), want, input);
    assert.ok(!scrub(input).includes('hunter2') && !scrub(input).includes('ter2'), input);
  }
  // The known password, also percent-encoded, wherever it appears.
  assert.equal(scrub('failed: p@ss:w/rd and p%40ss%3Aw%2Frd', 'p@ss:w/rd'), 'failed: *** and ***');
});

test('a session is pinned before anything else: standard_conforming_strings on, search_path pg_catalog, pg_temp; the default path kept for name lookups', async () => {
  const { url, session: admin } = await freshDb('');
  const db = new URL(url).pathname.slice(1);
  await admin.client.query(`ALTER DATABASE "${db}" SET standard_conforming_strings = off; ALTER DATABASE "${db}" SET search_path = public, pg_catalog`);
  await admin.close();
  const s = await connect(url, { env: {} });
  try {
    const { rows } = await s.client.query(`SELECT current_setting('standard_conforming_strings') AS scs, current_setting('search_path') AS sp`);
    assert.deepEqual(rows[0], { scs: 'on', sp: 'pg_catalog, pg_temp' });
    assert.equal(s.defaultSearchPath, 'public, pg_catalog');
  } finally {
    await s.close();
  }
});

test('resolveRelation: an unqualified name found as the user\'s own search_path would, though the session is pinned', async () => {
  const { resolveRelation } = await import('../../src/db/introspect');
  const { url, session: admin } = await freshDb(`
    CREATE SCHEMA app; CREATE SCHEMA "Other";
    CREATE TABLE app.t (a int); CREATE TABLE public.t (a int); CREATE TABLE "Other".u (a int); CREATE TABLE public.only_public (a int);`);
  const db = new URL(url).pathname.slice(1);
  await admin.client.query(`ALTER DATABASE "${db}" SET search_path = app, "$user", public, "Other"`);
  await admin.close();
  const s = await connect(url, { env: {} });
  try {
    const find = (name: string, schema?: string) => resolveRelation(s.client, { schema, name }, s.defaultSearchPath ?? '', s.user).then((x) => x && `${x.schema}.${x.name}`);
    assert.equal(await find('t'), 'app.t', 'first schema on the path wins');
    assert.equal(await find('only_public'), 'public.only_public');
    assert.equal(await find('u'), 'Other.u', 'quoted schema names on the path keep their case');
    assert.equal(await find('t', 'public'), 'public.t');
    assert.equal(await find('pg_class'), 'pg_catalog.pg_class');
    assert.equal(await find('nope'), undefined);
    assert.equal((await s.client.query('SELECT to_regclass($1) AS r', ['t'])).rows[0].r, null, 'the session itself no longer resolves user tables by bare name');
  } finally {
    await s.close();
  }
});
