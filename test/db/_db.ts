/** Shared setup for the database tests: a fresh database per file, opened through dupguard's own connect(). */
import { connect, type DbSession } from '../../src/db/connect';
import { createTestDatabase } from '../support/postgres';

/** A new database with `sql` run in it, and an open session on it. */
export async function freshDb(sql: string, prefix = 'dgdb'): Promise<{ url: string; session: DbSession }> {
  const url = await createTestDatabase(prefix);
  const session = await connect(url, { env: {}, applicationName: 'dupguard-tests' });
  if (sql.trim()) await session.client.query(sql);
  return { url, session };
}
