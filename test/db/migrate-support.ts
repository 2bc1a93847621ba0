/**
 * Helpers for the migration tests on real PostgreSQL: a fresh database per case, the table described
 * by the live catalog, scripts written to files and run by psql exactly as a user would.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { describeTable } from '../../src/db/introspect';
import { generateMigration } from '../../src/migrate/generate';
import { quoteQualified } from '../../src/core/quote';
import type { MigrationOptions, MigrationPlan } from '../../src/migrate/types';
import type { TableDescription } from '../../src/core/catalog';
import { createTestDatabase, runPsqlFile } from '../support/postgres';

export interface Db {
  url: string;
  client: Client;
  q<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function freshDb(setupSql: string): Promise<Db> {
  const url = await createTestDatabase('dgmig');
  const client = new Client({ connectionString: url });
  await client.connect();
  client.on('notice', () => {});
  await client.query(setupSql);
  return {
    url, client,
    async q(sql, params) { return (await client.query(sql, params as unknown[])).rows; },
    async close() { await client.end(); },
  };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-migrate-test-'));
process.once('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** Writes `sql` to a file and runs it with `psql -v ON_ERROR_STOP=1 -f`. */
export function psqlRun(url: string, sql: string): { status: number | null; stdout: string; stderr: string } {
  const file = path.join(tmp, `script_${n++}.sql`);
  fs.writeFileSync(file, sql);
  return runPsqlFile(url, file);
}

export async function describe(db: Db, schema: string, table: string): Promise<TableDescription> {
  return describeTable(db.client, schema, table);
}

export async function plan(db: Db, schema: string, table: string, opts: MigrationOptions): Promise<MigrationPlan> {
  // These tests exercise moving references; the refusal without the merge is test/db/migrate-references.test.ts.
  return generateMigration(await describe(db, schema, table), { now: new Date('2026-11-23T17:00:00Z'), mergeReferences: true, ...opts });
}

/** Sorted md5 of every row's text: equal lists mean equal multisets of rows. */
export async function rowHashes(db: Db, schema: string, table: string): Promise<string[]> {
  const rows = await db.q<{ h: string }>(`SELECT md5(t::text) AS h FROM ONLY ${quoteQualified(schema, table)} AS t ORDER BY 1`);
  return rows.map((r) => r.h);
}

export async function count(db: Db, sql: string): Promise<number> {
  const rows = await db.q<{ n: string }>(sql);
  return Number(rows[0].n);
}

export async function constraintExists(db: Db, schema: string, table: string, name: string): Promise<boolean> {
  const rows = await db.q(`SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2 AND contype = 'u'`, [quoteQualified(schema, table), name]);
  return rows.length === 1;
}

export async function tableExists(db: Db, qualified: string): Promise<boolean> {
  const rows = await db.q<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [qualified]);
  return rows[0].r !== null;
}
