/**
 * Password authentication against a private server where one role must use scram-sha-256 on
 * 127.0.0.1 (the superuser keeps trust to set it up): right, wrong and missing passwords, the
 * password callback, and the CLI without a terminal to prompt on.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as pg from 'pg';
import { main } from '../../src/cli/main';
import { connect, DbError } from '../../src/db/connect';
import { startPostgres, type TestServer } from '../support/postgres';

const ROLE = 'dg_auth';
// Characters that need URL encoding, so a leak through an encoded URL would show too.
const PASSWORD = 's3cret-P@ss:w0rd/';
const WRONG = 'not-the-Pa55word';

let server: TestServer;
let base: string;

before(async () => {
  server = await startPostgres({ hbaFirst: [`host all ${ROLE} 127.0.0.1/32 scram-sha-256`] });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'`);
    await admin.query(`CREATE DATABASE dg_auth_db OWNER ${ROLE}`);
  } finally {
    await admin.end();
  }
  base = `postgres://${ROLE}@127.0.0.1:${server.port}/dg_auth_db`;
});

after(() => { server?.stop(); });

const urlWith = (password: string) => `postgres://${ROLE}:${encodeURIComponent(password)}@127.0.0.1:${server.port}/dg_auth_db?sslmode=disable`;

test('the server really asks this role for a password (trust would make the other tests meaningless)', async () => {
  const c = new pg.Client({ connectionString: `${base}?sslmode=disable` });
  c.on('error', () => {});
  await assert.rejects(c.connect(), /password/i);
  await c.end().catch(() => {});
});

test('the right password in the URL connects as the role', async () => {
  const s = await connect(urlWith(PASSWORD), { env: {} });
  try {
    const { rows } = await s.client.query('SELECT current_user AS u');
    assert.equal(rows[0].u, ROLE);
    assert.ok(!s.target.includes(PASSWORD) && !s.target.includes(encodeURIComponent(PASSWORD)));
  } finally {
    await s.close();
  }
});

test('a wrong password fails with a clear error that never contains the password', async () => {
  let asked = 0;
  const err = await connect(urlWith(WRONG), { env: {}, password: async () => { asked++; return PASSWORD; } }).then(
    () => assert.fail('connected with a wrong password'), (e: unknown) => e);
  assert.ok(err instanceof DbError);
  assert.equal(err.code, '28P01');
  assert.match(err.message, /password authentication failed/);
  assert.match(err.message, new RegExp(`${ROLE}@127\\.0\\.0\\.1:${server.port}/dg_auth_db`));
  for (const text of [err.message, String(err.stack), JSON.stringify(err)]) {
    assert.ok(!text.includes(WRONG) && !text.includes(encodeURIComponent(WRONG)), text);
  }
  assert.equal(asked, 0, 'a password that was given and refused is not silently replaced by the callback');
});

test('no password: the callback is asked exactly once and its answer is used', async () => {
  let asked = 0;
  const s = await connect(`${base}?sslmode=disable`, { env: {}, password: async () => { asked++; return PASSWORD; } });
  try {
    assert.equal(asked, 1);
    const { rows } = await s.client.query('SELECT current_user AS u');
    assert.equal(rows[0].u, ROLE);
  } finally {
    await s.close();
  }
});

test('no password and the default sslmode (prefer, on a server without TLS): the callback is still asked, once', async () => {
  let asked = 0;
  const s = await connect(base, { env: {}, password: async () => { asked++; return PASSWORD; } });
  try {
    assert.equal(asked, 1);
    assert.equal((await s.client.query('SELECT current_user AS u')).rows[0].u, ROLE);
  } finally {
    await s.close();
  }
});

test('no password and the callback declines (undefined): a clear error saying a password is needed', async () => {
  let asked = 0;
  await assert.rejects(
    connect(`${base}?sslmode=disable`, { env: {}, password: async () => { asked++; return undefined; } }),
    (e: DbError) => e instanceof DbError && /asks for a password and none was given/.test(e.message) && e.message.includes(`${ROLE}@127.0.0.1:${server.port}`),
  );
  assert.equal(asked, 1);
});

test('the callback answers a wrong password: password authentication failed, and the answer is not echoed', async () => {
  let asked = 0;
  await assert.rejects(
    connect(`${base}?sslmode=disable`, { env: {}, password: async () => { asked++; return WRONG; } }),
    (e: DbError) => e instanceof DbError && e.code === '28P01' && /password authentication failed/.test(e.message) && !e.message.includes(WRONG),
  );
  assert.equal(asked, 1);
});

test('PGPASSWORD from the environment given to connect() is used', async () => {
  const s = await connect(`${base}?sslmode=disable`, { env: { PGPASSWORD: PASSWORD } });
  await s.close();
});

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, cwd: os.tmpdir(), env });
  return { code, out, err };
}

test('CLI: scan without a password exits 2 with a message saying how to give one (no prompt)', async () => {
  const r = await cli(['scan', '--url', base], {});
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /^dupguard scan: cannot connect to postgres:\/\/dg_auth@127\.0\.0\.1:\d+\/dg_auth_db: the server asks for a password and none was given \(set PGPASSWORD/);
  assert.equal(r.out, '');
});

test('CLI: a wrong password exits 2 and the password appears nowhere in the output', async () => {
  const r = await cli(['scan', '--url', urlWith(WRONG)], {});
  assert.equal(r.code, 2);
  assert.match(r.err, /password authentication failed/);
  assert.ok(!`${r.out}${r.err}`.includes(WRONG) && !`${r.out}${r.err}`.includes(encodeURIComponent(WRONG)), r.err);
});

test('CLI: PGPASSWORD in the environment makes the same URL work', async () => {
  const r = await cli(['scan', '--url', base, '--format', 'json'], { PGPASSWORD: PASSWORD });
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as { target: string; errors: unknown[] };
  assert.deepEqual(report.errors, []);
  assert.ok(!r.out.includes(PASSWORD));
});

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`) and types `answer` once the prompt shows:
 * typed only after the prompt, so the terminal is already in no-echo mode when the password arrives.
 */
function cliOnTerminal(args: string[], answer: string): Promise<{ code: number | null; output: string; prompts: number }> {
  const root = path.resolve(__dirname, '../..');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-home-'));
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, '--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args].map(quote).join(' ');
  // No PGPASSWORD, no DATABASE_URL, a HOME without .pgpass: the prompt is the only way to a password.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, TERM: 'dumb' };
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let prompts = 0;
    const onOutput = (b: Buffer) => {
      const before = (output.match(/Password for /g) ?? []).length;
      output += b.toString('utf8');
      const now = (output.match(/Password for /g) ?? []).length;
      for (; prompts < now; prompts++) if (prompts === before) child.stdin.write(`${answer}\r`);
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', reject);
    child.on('close', (code) => { fs.rmSync(home, { recursive: true, force: true }); resolve({ code, output, prompts }); });
  });
}

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

test('CLI on a terminal: asks for the password without echoing it, once, and connects with it', { skip: !hasScript && 'util-linux script(1) not installed' }, async () => {
  // No sslmode: libpq's default `prefer` tries TLS first, then plain text, and only then is the password asked for.
  const r = await cliOnTerminal(['scan', '--url', base, '--format', 'json'], PASSWORD);
  assert.equal(r.prompts, 1, r.output);
  assert.match(r.output, new RegExp(`Password for ${ROLE}: `));
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /"version": 1/);
  assert.ok(!r.output.includes(PASSWORD), r.output);
  const wrong = await cliOnTerminal(['scan', '--url', `${base}?sslmode=disable`], WRONG);
  assert.equal(wrong.prompts, 1, wrong.output);
  assert.equal(wrong.code, 2, wrong.output);
  assert.match(wrong.output, /password authentication failed/);
  assert.ok(!wrong.output.includes(WRONG), wrong.output);
});
