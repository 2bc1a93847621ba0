/**
 * Connections to PostgreSQL (and YugabyteDB / embedded PGlite): one `pg.Client` per session,
 * application_name 'dupguard', timeouts set at startup, passwords never echoed in messages.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as pg from 'pg';

/** libpq's sslmode values. `no-verify` is node-postgres' name for `require` without a CA. */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full' | 'no-verify';

/** A saved connection (the `dupguard.connections` setting); the password comes from secret storage. */
export interface ConnectionProfile {
  name?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  sslmode?: SslMode;
  /** Schemas to scan; all non-system schemas when absent. */
  schemas?: string[];
  /** PEM file paths, as libpq's sslrootcert / sslcert / sslkey. */
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
}

/** A `postgres://` URL or a profile. Unset fields fall back to PG* environment variables. */
export type ConnectionTarget = string | ConnectionProfile;

export interface ConnectOptions {
  /** Per-statement limit in ms (0 = none). Default 0; scans set their own. */
  statementTimeoutMs?: number;
  /** Limit for waiting on a lock in ms. Default 5000: a scan must never queue behind DDL for long. */
  lockTimeoutMs?: number;
  /** Limit for establishing the connection in ms. Default 10000. */
  connectTimeoutMs?: number;
  applicationName?: string;
  /** Environment to read PG* variables from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Asked when the server wants a password and none was given (e.g. VS Code SecretStorage). */
  password?: () => Promise<string | undefined>;
}

/** What kind of server answered. */
export type EngineKind = 'postgresql' | 'yugabytedb' | 'pglite';

/** An open connection plus what dupguard needs to know about it. */
export interface DbSession {
  client: pg.Client;
  /** `postgres://user@host:port/db`, never with the password. */
  target: string;
  host: string;
  port: number;
  database: string;
  user: string;
  /** `select version()` text. */
  serverVersion: string;
  /** server_version_num, e.g. 150004. */
  serverVersionNum: number;
  engine: EngineKind;
  /** False on YugabyteDB (no ctid). */
  hasCtid: boolean;
  /** Schemas from the profile, if any. */
  schemas?: string[];
  /**
   * The search_path the role and database would have given this session (`"$user", public` by
   * default). The session itself runs under SESSION_SETTINGS' `pg_catalog, pg_temp`: resolve a name
   * the user wrote unqualified against this list explicitly, never by changing the session's path.
   */
  defaultSearchPath?: string;
  /** Asks the server to cancel the statement running on this session (a CancelRequest on a new socket). */
  cancel(): Promise<void>;
  /** Closes the connection; safe to call twice, never throws. */
  close(): Promise<void>;
  /** True once the connection ended (closed, terminated by the server, network lost). */
  readonly ended: boolean;
  /** The error that ended the connection unexpectedly, if any. */
  readonly lostError?: Error;
}

/** A connection or query failure with a message fit for users (no password, names what failed). */
export class DbError extends Error {
  /** SQLSTATE (e.g. 42501) or node error code (ECONNREFUSED). */
  readonly code?: string;
  constructor(message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DbError';
    this.code = code;
  }
}

interface Resolved {
  config: pg.ClientConfig;
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  sslmode: SslMode;
  schemas?: string[];
}

function sslConfig(mode: SslMode, files: { sslrootcert?: string; sslcert?: string; sslkey?: string }): pg.ClientConfig['ssl'] {
  if (mode === 'disable' || mode === 'allow') return false;
  const read = (p?: string) => (p ? fs.readFileSync(p, 'utf8') : undefined);
  const base: Record<string, unknown> = {};
  const ca = read(files.sslrootcert);
  if (ca) base.ca = ca;
  const cert = read(files.sslcert);
  if (cert) base.cert = cert;
  const key = read(files.sslkey);
  if (key) base.key = key;
  switch (mode) {
    // libpq semantics: require/prefer encrypt without checking the certificate (unless a root CA is given).
    case 'prefer': case 'require': case 'no-verify':
      return ca ? { ...base, checkServerIdentity: () => undefined } : { ...base, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...base, checkServerIdentity: () => undefined };
    case 'verify-full':
      return base;
  }
}

const SSL_MODES: SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

function asSslMode(v: string | undefined, where: string): SslMode | undefined {
  if (v === undefined || v === '') return undefined;
  if ((SSL_MODES as string[]).includes(v)) return v as SslMode;
  throw new DbError(`invalid sslmode '${v}' in ${where}: use one of ${SSL_MODES.join(', ')}`, 'EINVAL');
}

/** Parses `postgres://user:password@host:port/db?sslmode=...` (libpq URI form; `?host=/dir` for sockets). */
export function parseUrl(url: string): ConnectionProfile {
  let u: URL;
  try {
    if (!/^postgres(ql)?:\/\//i.test(url)) throw new Error('scheme');
    u = new URL(url);
  } catch {
    throw new DbError('invalid connection URL: expected postgres://user@host:port/database', 'EINVAL');
  }
  const dec = (s: string) => { try { return decodeURIComponent(s); } catch { return s; } };
  const q = u.searchParams;
  const hostParam = q.get('host') ?? undefined;
  const host = hostParam ?? (u.hostname ? dec(u.hostname).replace(/^\[(.*)\]$/, '$1') : undefined);
  const port = q.get('port') ?? (u.port || undefined);
  const profile: ConnectionProfile = {
    host: host || undefined,
    port: port ? Number(port) : undefined,
    database: q.get('dbname') ?? (u.pathname.length > 1 ? dec(u.pathname.slice(1)) : undefined),
    user: q.get('user') ?? (u.username ? dec(u.username) : undefined),
    password: q.get('password') ?? (u.password ? dec(u.password) : undefined),
    sslrootcert: q.get('sslrootcert') ?? undefined,
    sslcert: q.get('sslcert') ?? undefined,
    sslkey: q.get('sslkey') ?? undefined,
  };
  const sslmode = q.get('sslmode');
  if (sslmode !== null) profile.sslmode = sslmode as SslMode;
  if (profile.port !== undefined && !(profile.port > 0 && profile.port < 65536)) {
    throw new DbError(`invalid port in connection URL: ${port}`, 'EINVAL');
  }
  return profile;
}

/** Turns a URL or profile plus PG* variables into a pg config (the env is read here, not by pg, so tests can inject it). */
export function resolveTarget(target: ConnectionTarget, opts: ConnectOptions = {}): Resolved {
  const env = opts.env ?? process.env;
  let p: ConnectionProfile;
  let urlSsl: string | undefined;
  if (typeof target === 'string') {
    p = parseUrl(target);
    urlSsl = p.sslmode;
  } else {
    p = target;
  }
  const host = p.host || env.PGHOST || 'localhost';
  const port = p.port || Number(env.PGPORT) || 5432;
  const user = p.user || env.PGUSER || env.USER || 'postgres';
  const database = p.database || env.PGDATABASE || user;
  const password = p.password ?? env.PGPASSWORD ?? undefined;
  const sslmode = asSslMode(urlSsl, 'the URL') ?? p.sslmode ?? asSslMode(env.PGSSLMODE, 'PGSSLMODE') ?? 'prefer';
  const files = {
    sslrootcert: p.sslrootcert ?? env.PGSSLROOTCERT,
    sslcert: p.sslcert ?? env.PGSSLCERT,
    sslkey: p.sslkey ?? env.PGSSLKEY,
  };
  let ssl: pg.ClientConfig['ssl'];
  try {
    // A socket directory has no TLS.
    ssl = host.startsWith('/') ? false : sslConfig(sslmode, files);
  } catch (e) {
    throw new DbError(`cannot read SSL file: ${(e as Error).message}`, 'ENOENT', { cause: e });
  }
  const config: pg.ClientConfig = {
    host, port, user, database, password, ssl,
    application_name: opts.applicationName ?? 'dupguard',
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    statement_timeout: opts.statementTimeoutMs ?? 0,
    lock_timeout: opts.lockTimeoutMs ?? 5_000,
    keepAlive: true,
  };
  return { config, host, port, database, user, password, sslmode, schemas: p.schemas };
}

/** `postgres://user@host:port/db`: how sessions are named in messages. */
export function describeTarget(r: { host: string; port: number; database: string; user: string }): string {
  const host = r.host.includes(':') ? `[${r.host}]` : r.host;
  return `postgres://${encodeURIComponent(r.user)}@${host}:${r.port}/${encodeURIComponent(r.database)}`;
}

/**
 * Removes passwords from a message: the given one (as is and URL-encoded), and any password written
 * in a connection string: `postgres[ql]://user:pw@host` (also percent-encoded as a whole),
 * `?password=` / `&password=`, libpq key=value conninfo (`password=pw`, `password = 'p w'`),
 * `PGPASSWORD=pw`, and `"password": "pw"` in JSON. Labels, logs, errors and titles all go through here.
 */
export function scrub(message: string, password?: string): string {
  let m = message;
  if (password) {
    for (const form of new Set([password, encodeURIComponent(password), encodeURIComponent(encodeURIComponent(password))])) {
      m = m.split(form).join('***');
    }
  }
  return m
    // URL userinfo: everything between the user's ':' and the last '@' of the authority.
    .replace(/(postgres(?:ql)?:\/\/[^:/?#@\s]*):[^\s/?#]*@/gi, '$1:***@')
    // The same URL percent-encoded (inside another URL, a query string, a log line).
    .replace(/(postgres(?:ql)?%3A%2F%2F(?:(?!%3A|%40|%2F)[^\s/?#&])*)%3A(?:(?!%2F)[^\s/?#&])*%40/gi, '$1%3A***%40')
    // URL query parameters, plain and percent-encoded (password%3D...%26).
    .replace(/([?&](?:pg)?password=)[^&#\s'"]*/gi, '$1***')
    .replace(/((?:%3F|%26)(?:pg)?password%3D)(?:(?!%26)[^&#\s'"])*/gi, '$1***')
    // conninfo key=value (quoted values may hold spaces and \' escapes), PGPASSWORD=... in env dumps.
    .replace(/(^|[^\w?&%])((?:pg)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s'"&]+)/gim, '$1$2***')
    // JSON / JS objects: "password": "..." and password: '...'.
    .replace(/((?:"|')?(?:pg)?password(?:"|')?\s*:\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/gi, '$1"***"');
}

/** Maps a pg / socket error to a DbError with a message a user can act on. */
export function explainError(e: unknown, where: string, password?: string): DbError {
  if (e instanceof DbError) return e;
  const err = e as { code?: string; message?: string; errno?: number } | undefined;
  const code = err?.code;
  const raw = scrub(String(err?.message ?? e), password);
  let msg: string;
  switch (code) {
    case 'ECONNREFUSED': msg = `cannot connect to ${where}: connection refused (is the server running and listening there?)`; break;
    case 'ENOTFOUND': case 'EAI_AGAIN': msg = `cannot connect to ${where}: host name not found`; break;
    case 'ETIMEDOUT': msg = `cannot connect to ${where}: timed out`; break;
    case 'ECONNRESET': case 'EPIPE': msg = `connection to ${where} was closed by the server or the network`; break;
    case '28P01': msg = `password authentication failed connecting to ${where}`; break;
    case '28000': msg = `the server refused the connection to ${where}: ${raw}`; break;
    case '3D000': msg = `${where}: ${raw}`; break;
    case '57P01': case '57P02': case '57P03': msg = `${where}: the server terminated the connection (${raw})`; break;
    case '57014': msg = raw.includes('statement timeout') ? `${where}: statement timeout reached (${raw})` : `${where}: query cancelled (${raw})`; break;
    case '55P03': msg = `${where}: lock timeout reached waiting for a lock (${raw})`; break;
    case '42501': msg = `${where}: permission denied (${raw})`; break;
    default:
      if (/timeout expired|Connection terminated due to connection timeout/i.test(raw)) msg = `cannot connect to ${where}: timed out`;
      else if (/does not support SSL/i.test(raw)) msg = `cannot connect to ${where}: the server does not support SSL (use sslmode=disable or prefer)`;
      else if (/self[- ]signed certificate|unable to verify|certificate/i.test(raw)) msg = `cannot connect to ${where}: SSL certificate check failed (${raw}); sslmode=require encrypts without checking it`;
      else if (/SASL|password must be a string|client password/i.test(raw)) msg = `cannot connect to ${where}: the server asks for a password and none was given (set PGPASSWORD, the URL or the connection profile)`;
      else if (/Connection terminated unexpectedly/i.test(raw)) msg = `connection to ${where} was lost (terminated unexpectedly)`;
      else msg = `${where}: ${raw}`;
  }
  return new DbError(scrub(msg, password), code, { cause: e });
}

/** Sends a PostgreSQL CancelRequest for (pid, secret) to host:port; resolves when sent, never throws. */
export function sendCancelRequest(host: string, port: number, pid: number, secret: number, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const sock = host.startsWith('/') ? net.connect(`${host}/.s.PGSQL.${port}`) : net.connect(port, host);
    const done = () => { sock.destroy(); resolve(); };
    const timer = setTimeout(done, timeoutMs);
    sock.on('connect', () => {
      const buf = Buffer.alloc(16);
      buf.writeInt32BE(16, 0);
      buf.writeInt32BE(80877102, 4);
      buf.writeInt32BE(pid, 8);
      buf.writeInt32BE(secret, 12);
      sock.end(buf);
    });
    sock.on('close', () => { clearTimeout(timer); resolve(); });
    sock.on('error', () => { clearTimeout(timer); done(); });
  });
}

/**
 * What every session runs first, before any other statement: literals are read the standard way, and
 * names resolve only in pg_catalog (then the session's own temporary schema, which is never searched
 * for functions or operators). Statement and lock timeouts and application_name come with the startup
 * packet (resolveTarget).
 */
export const SESSION_SETTINGS = [
  'SET standard_conforming_strings = on',
  'SET search_path = pg_catalog, pg_temp',
] as const;

/** Opens a session. Throws DbError with a password-free message naming the target. */
export async function connect(target: ConnectionTarget, opts: ConnectOptions = {}): Promise<DbSession> {
  const r = resolveTarget(target, opts);
  const where = describeTarget(r);
  const open = async (config: pg.ClientConfig): Promise<pg.Client> => {
    const client = new pg.Client(config);
    // An error event without a listener would crash the process (e.g. the backend is terminated while idle).
    client.on('error', () => {});
    try {
      await client.connect();
      return client;
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
  };
  /** The server asked for a password that was not given, and there is someone to ask. */
  const wantsPassword = (e: unknown) => password === undefined && !!opts.password
    && /SASL|password must be a string|client password|28P01/i.test(String((e as Error)?.message ?? '') + ((e as { code?: string }).code ?? ''));
  let opened: pg.Client | undefined;
  let password = r.password;
  let config = r.config;
  try {
    let failure: unknown;
    try { opened = await open(config); } catch (e) { failure = e; }
    // libpq's `prefer`: fall back to plain text when the server has no TLS.
    if (failure && r.sslmode === 'prefer' && config.ssl && /does not support SSL/i.test(String((failure as Error)?.message ?? ''))) {
      config = { ...config, ssl: false };
      failure = undefined;
      try { opened = await open(config); } catch (e) { failure = e; }
    }
    // Then (the usual case without TLS too) the server may ask for a password that was not given.
    if (failure && wantsPassword(failure)) {
      password = await opts.password!();
      if (password === undefined) throw failure;
      opened = await open({ ...config, password });
    } else if (failure) {
      throw failure;
    }
  } catch (e) {
    throw explainError(e, where, password);
  }
  const client = opened!;

  let ended = false;
  let lostError: Error | undefined;
  client.on('error', (e) => { lostError = explainError(e, where, password); });
  client.on('end', () => { ended = true; });

  let serverVersion = '';
  let serverVersionNum = 0;
  let defaultSearchPath = '';
  // The first statements answer within the connect timeout too: a server that accepts the connection
  // and then goes silent must not hang the caller (pg destroys the socket of a running query on end()).
  const initLimit = opts.connectTimeoutMs ?? 10_000;
  let initTimer: NodeJS.Timeout | undefined;
  try {
    const init = (async () => {
      // Before anything else: string literals read the same whatever the database or role set
      // (standard_conforming_strings=off turns \' into a quote that ends the literal), and no function
      // or operator resolves into a schema another role can create in (search_path hijacking).
      for (const sql of SESSION_SETTINGS) await client.query(sql);
      return client.query<{ v: string; n: string; sp: string }>({
        text: `select pg_catalog.version() as v, pg_catalog.current_setting('server_version_num') as n,
                      (select s.reset_val from pg_catalog.pg_settings s where s.name = 'search_path') as sp`,
        queryMode: 'extended',
      } as pg.QueryConfig);
    })();
    const silent = new Promise<never>((_, reject) => {
      initTimer = setTimeout(() => reject(new DbError(`cannot connect to ${where}: the server accepted the connection but did not answer in ${initLimit / 1000} s`, 'ETIMEDOUT')), initLimit);
    });
    init.catch(() => {});
    const v = await Promise.race([init, silent]);
    serverVersion = v.rows[0].v;
    serverVersionNum = Number(v.rows[0].n);
    defaultSearchPath = v.rows[0].sp ?? '';
  } catch (e) {
    await client.end().catch(() => {});
    throw explainError(e, where, password);
  } finally {
    clearTimeout(initTimer);
  }
  const engine: EngineKind = /-YB-|YugabyteDB/i.test(serverVersion) ? 'yugabytedb'
    : /emscripten|wasm/i.test(serverVersion) ? 'pglite' : 'postgresql';
  const internal = client as unknown as { processID?: number; secretKey?: number };
  const session: DbSession = {
    client,
    target: where,
    host: r.host,
    port: r.port,
    database: r.database,
    user: r.user,
    serverVersion,
    serverVersionNum,
    engine,
    hasCtid: engine !== 'yugabytedb',
    schemas: r.schemas,
    defaultSearchPath,
    async cancel() {
      if (ended || internal.processID == null || internal.secretKey == null) return;
      await sendCancelRequest(r.host, r.port, internal.processID, internal.secretKey);
    },
    async close() {
      if (ended) return;
      ended = true;
      await client.end().catch(() => {});
    },
    get ended() { return ended; },
    get lostError() { return lostError; },
  };
  return session;
}

