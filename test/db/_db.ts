/** Shared setup for the database tests: a fresh database per file, opened through dupguard's own connect(). */
import { connect, type DbSession } from '../../src/db/connect';
import { createTestDatabase } from '../support/postgres';
import * as os from 'node:os';
import { main } from '../../src/cli/main';

/** A new database with `sql` run in it, and an open session on it. */
export async function freshDb(sql: string, prefix = 'dgdb'): Promise<{ url: string; session: DbSession }> {
  const url = await createTestDatabase(prefix);
  const session = await connect(url, { env: {}, applicationName: 'dupguard-tests' });
  // connect() pins search_path to pg_catalog, pg_temp; this session sets databases up with unqualified
  // names, as a user's own tools would. Sessions a test scans or migrates with open their own.
  await session.client.query('SET search_path TO DEFAULT');
  if (sql.trim()) await session.client.query(sql);
  return { url, session };
}

/**
 * A check's figures by plain SQL, to compare the engine's with: [rows, distinct keys, duplicate
 * groups, excess rows, max copies] of `table` grouped by `cols` (optionally `WHERE where`).
 */
export async function referenceFigures(session: DbSession, table: string, cols: string[], where = ''): Promise<number[]> {
  const w = where ? ` WHERE ${where}` : '';
  const c = (await session.client.query(
    `SELECT coalesce(sum(c), 0)::int8 AS rows, count(*)::int8 AS d, count(*) FILTER (WHERE c > 1)::int8 AS g, coalesce(max(c), 0)::int8 AS m
       FROM (SELECT count(*) AS c FROM ${table}${w} GROUP BY ${cols.join(', ')}) x`)).rows[0];
  return [Number(c.rows), Number(c.d), Number(c.g), Number(c.rows) - Number(c.d), Number(c.m)];
}

/** Runs the `dupguard` CLI in-process; what it printed and its exit code. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = os.tmpdir()): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, cwd, env });
  return { code, out, err };
}

