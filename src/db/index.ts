/**
 * The database layer's public surface (the only place that imports `pg`): connect, describe the
 * live catalog, scan for duplicates. Callers outside src/db import from here.
 */
import { connect, type ConnectOptions, type ConnectionTarget } from './connect';
import type { ScanReport } from './report';
import { scan, type ScanOptions } from './scan';

export { connect, DbError, describeTarget, resolveTarget, scrub } from './connect';
export { quoteIdent, quoteQualified as qualified } from '../core/quote';
export type { ConnectionProfile, ConnectionTarget, ConnectOptions, DbSession, EngineKind, SslMode } from './connect';
export { describeTable, listTables, surrogateReason } from './introspect';
export type { LiveColumnDescription, LiveTableDescription } from './introspect';
export { parseQualifiedName, scan } from './scan';
export type { ScanOptions } from './scan';
export type * from './report';

/** Connects, scans and closes: the whole `dupguard scan` in one call. Connection failures throw DbError. */
export async function scanTarget(target: ConnectionTarget, opts: ScanOptions & { connect?: ConnectOptions } = {}): Promise<ScanReport> {
  const session = await connect(target, { statementTimeoutMs: opts.statementTimeoutMs, ...opts.connect });
  try {
    return await scan(session, opts);
  } finally {
    await session.close();
  }
}
