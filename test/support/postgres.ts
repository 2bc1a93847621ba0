/**
 * A real PostgreSQL server for tests, on 127.0.0.1 only.
 *
 * If DUPGUARD_TEST_PG_URL is set (the test runner starts one server for the whole run and sets it),
 * that server is used. Otherwise the first call starts a private server for this process from
 * Debian's PostgreSQL binaries (initdb -A trust in a temporary directory, fsync off) and stops it
 * when the process exits. Each test asks for its own database with `createTestDatabase()`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestServer {
  /** Connection URL of the `postgres` database as superuser `postgres`. */
  url: string;
  host: string;
  port: number;
  /** Stops the server if this process started it. */
  stop(): void;
}

function pgBinDir(): string {
  const explicit = process.env.DUPGUARD_PG_BIN;
  if (explicit) return explicit;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  // The project tests against PostgreSQL 15 (Debian 12's); take it when present, else the newest.
  versions.sort((a, b) => Number(b) - Number(a));
  const pick = versions.includes('15') ? '15' : versions[0];
  if (!pick) {
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: run `bash test/setup/system.sh` as root (installs postgresql-15).');
  }
  return path.join(root, pick, 'bin');
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function asPostgres(cmd: string, args: string[], opts: { cwd?: string } = {}): { status: number | null; out: string } {
  const isRoot = process.getuid?.() === 0;
  const file = isRoot ? 'runuser' : cmd;
  const argv = isRoot ? ['-u', 'postgres', '--', cmd, ...args] : args;
  const r = spawnSync(file, argv, { cwd: opts.cwd ?? '/tmp', encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Options for a private server. */
export interface StartOptions {
  /**
   * pg_hba.conf lines put before initdb's trust lines (first match wins), e.g.
   * `host all app 127.0.0.1/32 scram-sha-256` to make one role authenticate while the superuser keeps trust.
   */
  hbaFirst?: string[];
}

/** Starts a new PostgreSQL server in a fresh temporary cluster and returns when it accepts connections. */
export async function startPostgres(options: StartOptions = {}): Promise<TestServer> {
  const bin = pgBinDir();
  const isRoot = process.getuid?.() === 0;
  // The postgres user must own the cluster directory; /root is not traversable for it.
  const base = fs.mkdtempSync(path.join(isRoot ? '/tmp' : os.tmpdir(), 'dupguard-pg-'));
  const data = path.join(base, 'data');
  const sock = path.join(base, 'sock');
  fs.mkdirSync(sock);
  if (isRoot) execFileSync('chown', ['-R', 'postgres:postgres', base]);
  const init = asPostgres(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.out}`);
  if (options.hbaFirst?.length) {
    const hba = path.join(data, 'pg_hba.conf');
    // Written by this process (root or not), read by the server as its owner: keep the owner and mode.
    const st = fs.statSync(hba);
    fs.writeFileSync(hba, `${options.hbaFirst.join('\n')}\n${fs.readFileSync(hba, 'utf8')}`);
    fs.chownSync(hba, st.uid, st.gid);
  }
  const port = await freePort();
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${sock} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60 -c shared_buffers=128MB`;
  const start = asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', path.join(base, 'log'), '-w', '-t', '60', 'start']);
  if (start.status !== 0) {
    const log = fs.existsSync(path.join(base, 'log')) ? fs.readFileSync(path.join(base, 'log'), 'utf8') : '';
    throw new Error(`pg_ctl start failed: ${start.out}\n${log}`);
  }
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    fs.rmSync(base, { recursive: true, force: true });
  };
  process.once('exit', stop);
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, host: '127.0.0.1', port, stop };
}

let shared: Promise<TestServer> | undefined;

/** The run's shared server (DUPGUARD_TEST_PG_URL) or one private to this process. */
export function getTestServer(): Promise<TestServer> {
  if (!shared) {
    const url = process.env.DUPGUARD_TEST_PG_URL;
    if (url) {
      const u = new URL(url);
      shared = Promise.resolve({ url, host: u.hostname, port: Number(u.port || 5432), stop() {} });
    } else {
      shared = startPostgres();
    }
  }
  return shared;
}

let counter = 0;

/**
 * Creates a fresh, uniquely named database on the test server and returns its URL. Tests use one
 * each so that they can run in parallel and leave nothing behind that another test could see.
 */
export async function createTestDatabase(prefix = 'dg'): Promise<string> {
  const server = await getTestServer();
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const { Client } = await import('pg');
  const c = new Client({ connectionString: server.url });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end();
  }
  const u = new URL(server.url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs a SQL file with psql -v ON_ERROR_STOP=1, as a user would run a generated script. */
export function runPsqlFile(url: string, file: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', file], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
