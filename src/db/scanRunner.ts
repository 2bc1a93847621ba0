/**
 * Runs the scan's statements: one at a time through the extended protocol, cancellable (an abort
 * signal sends a cancel request), under a client deadline (a server that stops answering cannot hang
 * the scan), each table in a read-only transaction with its settings SET LOCAL.
 */
import type * as pg from 'pg';
import type { DbSession } from './connect';

/** The caller's signal aborted the scan. */
export class Aborted extends Error {
  constructor() { super('scan cancelled'); }
}

/** The connection closed under the scan. */
export class ConnectionLost extends Error {
  constructor(message: string, readonly code?: string) { super(message); }
}

/** The server did not answer within the client deadline; the connection was closed. */
export class DeadlineExceeded extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no answer from the server in ${seconds(ms)} (the client timeout; --client-timeout changes it): dupguard asked the server to cancel the statement and closed the connection`);
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

const CONNECTION_LOST_CODES = new Set(['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE', '08006', '08003', '08000']);

/** Whether an error means the connection is gone (every further statement would fail). */
export function isConnectionLost(e: unknown, session: DbSession): boolean {
  const err = e as { code?: string; message?: string };
  if (err?.code && CONNECTION_LOST_CODES.has(err.code)) return true;
  if (/Connection terminated|terminating connection|Client has encountered a connection error|not queryable/i.test(String(err?.message ?? ''))) return true;
  return session.ended;
}

/** Runs one statement; values are bind parameters $1.. */
export type Q = (sql: string, values?: unknown[]) => Promise<pg.QueryResult>;

/** The settings of the scan's transactions and of its waiting. */
export interface RunnerOptions {
  signal?: AbortSignal;
  /** The client deadline per statement, ms (0 = none). */
  deadlineMs: number;
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  parallel?: boolean;
  workMemMb?: number;
}

/** A scan's way to the server (see createRunner). */
export interface Runner {
  /** Runs one statement (cancellable, under the deadline). */
  q: Q;
  /** The client as the catalog readers (introspect.ts) get it: the same extended protocol and deadline. */
  catalog: pg.Client;
  /** Opens a read-only REPEATABLE READ transaction with the scan's settings. */
  begin(): Promise<void>;
  /** Rolls back whatever is open; never throws. */
  rollback(): Promise<void>;
  /** True once a cancel request went unanswered and the connection was closed. */
  readonly forcedClose: boolean;
}

/** The statement runner of one scan over one session. */
export function createRunner(session: DbSession, opts: RunnerOptions): Runner {
  const client = session.client;
  const signal = opts.signal;
  const deadlineMs = opts.deadlineMs;
  let forcedClose = false;
  /**
   * Waits for a statement's answer at most deadlineMs; past it, sends a cancel request, gives the
   * server 2 s to answer it, closes the connection (pg destroys the socket of a running query) and
   * rejects with DeadlineExceeded, whatever the statement does afterwards.
   */
  const timed = <T>(p: Promise<T>): Promise<T> => {
    if (!deadlineMs) return p;
    return new Promise<T>((resolve, reject) => {
      let expired = false;
      const timer = setTimeout(() => {
        expired = true;
        void (async () => {
          void session.cancel();
          await Promise.race([p.then(() => undefined, () => undefined), new Promise((r) => setTimeout(r, 2000))]);
          await session.close();
          reject(new DeadlineExceeded(deadlineMs));
        })();
      }, deadlineMs);
      p.then((r) => { if (!expired) { clearTimeout(timer); resolve(r); } },
        (e) => { if (!expired) { clearTimeout(timer); reject(e); } });
    });
  };
  /**
   * Runs one statement, its values as bind parameters, always through the extended protocol (one
   * statement per message: nothing can append a second one). On abort sends a cancel request and
   * gives up waiting after 2 s.
   */
  const q = async (sql: string, values?: unknown[]): Promise<pg.QueryResult> => {
    if (signal?.aborted) throw new Aborted();
    if (session.ended) throw new ConnectionLost(session.lostError?.message ?? 'the connection is closed');
    const p = timed(client.query({ text: sql, values, queryMode: 'extended' } as pg.QueryConfig));
    if (!signal) return p;
    return new Promise<pg.QueryResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        void session.cancel();
        // Cancel requests are not honoured everywhere (PGlite); never leave the caller waiting.
        timer = setTimeout(() => {
          forcedClose = true;
          void session.close();
          reject(new Aborted());
        }, 2000);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (r) => (signal.aborted ? reject(new Aborted()) : resolve(r)),
        (e) => reject(signal.aborted ? new Aborted() : e),
      ).finally(() => {
        signal.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      });
    });
  };
  /** The client as the catalog readers (introspect.ts) get it: the same extended protocol and deadline. */
  const catalog = Object.create(client) as pg.Client;
  catalog.query = ((config: string | pg.QueryConfig, values?: unknown[]) => {
    if (session.ended) return Promise.reject(new ConnectionLost(session.lostError?.message ?? 'the connection is closed'));
    const c = typeof config === 'string' ? { text: config, values } : config;
    return timed(client.query({ ...c, queryMode: 'extended' } as pg.QueryConfig));
  }) as pg.Client['query'];

  const begin = async () => {
    await q('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const settings: [string, string][] = [
      // The session's pinned settings (connect's SESSION_SETTINGS), again for this transaction.
      ['standard_conforming_strings', 'on'],
      ['search_path', 'pg_catalog, pg_temp'],
      ['statement_timeout', String(Math.max(0, Math.floor(opts.statementTimeoutMs ?? 0)))],
      ['lock_timeout', String(Math.max(0, Math.floor(opts.lockTimeoutMs ?? 5000)))],
      ['application_name', 'dupguard'],
      // Floats printed exactly (the default since PostgreSQL 12): sample values are read back to find their ids.
      ['extra_float_digits', '3'],
    ];
    if (opts.parallel !== false) {
      // The planner overestimates groups for correlated columns (copies share all of them) and then
      // refuses a parallel aggregate; the count(*) floor runs parallel, so let the scan do the same.
      settings.push(['parallel_setup_cost', '0'], ['parallel_tuple_cost', '0']);
    }
    // SET LOCAL, all in one statement, every value a parameter.
    await q(`SELECT ${settings.map((_, i) => `pg_catalog.set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`, settings.flat());
    // Compiling the aggregate costs 0.1-0.2 s per statement and gains nothing on these one-pass scans.
    await q(`SELECT pg_catalog.set_config('jit', 'off', true) FROM pg_catalog.pg_settings WHERE name OPERATOR(pg_catalog.=) 'jit'`);
    const workMem = Math.round(Math.min(256, Math.max(1, opts.workMemMb ?? 16)) * 1024);
    await q(`SELECT pg_catalog.set_config('work_mem', $1, true)
              WHERE pg_catalog.pg_size_bytes(pg_catalog.current_setting('work_mem')) OPERATOR(pg_catalog.<) $2::pg_catalog.int8`, [`${workMem}kB`, workMem * 1024]);
  };
  const rollback = async () => {
    if (session.ended) return;
    try { await client.query('ROLLBACK'); } catch { /* connection gone: nothing to undo, the scan wrote nothing */ }
  };
  return { q, catalog, begin, rollback, get forcedClose() { return forcedClose; } };
}
