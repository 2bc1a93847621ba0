/** For the scan's security tests: every statement a session sends, as the server receives it. */
import type * as pg from 'pg';
import type { DbSession } from '../../src/db/connect';

export interface Sent {
  text: string;
  values: unknown[];
  /** Extended protocol (Parse/Bind: one statement, parameters apart from the text). */
  extended: boolean;
  /** SQLSTATE when the statement failed. */
  error?: string;
}

/** Records every statement sent on the session's client from now on (the scan calls client.query for all of them). */
export function recordSql(session: DbSession): Sent[] {
  const sent: Sent[] = [];
  const client = session.client;
  const original = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
  (client as unknown as { query: unknown }).query = (config: unknown, values?: unknown[]) => {
    const c = typeof config === 'string' ? { text: config, values } : config as pg.QueryConfig & { queryMode?: string };
    const entry: Sent = {
      text: c.text,
      values: (c.values ?? []) as unknown[],
      extended: (c as { queryMode?: string }).queryMode === 'extended' || !!(c.values && c.values.length),
    };
    sent.push(entry);
    const p = original(config, values);
    p.catch((e: { code?: string }) => { entry.error = e?.code ?? 'error'; });
    return p;
  };
  return sent;
}

/** Names called as functions in SQL text (`name(`, `schema.name(`), lower-cased, with how often each is schema-qualified. */
export function calledNames(texts: string[]): Map<string, { qualified: number; bare: number }> {
  const out = new Map<string, { qualified: number; bare: number }>();
  for (const t of texts) {
    // Quoted identifiers and string literals are not calls, nor is a TABLESAMPLE method.
    const code = t.replace(/'(?:[^']|'')*'/g, "''").replace(/"(?:[^"]|"")*"/g, '""').replace(/\bTABLESAMPLE\s+\w+/gi, 'TABLESAMPLE');
    for (const m of code.matchAll(/(\b[a-z_][a-z0-9_]*\s*\.\s*)?\b([a-z_][a-z0-9_]*)\s*\(/gi)) {
      const name = m[2].toLowerCase();
      const e = out.get(name) ?? { qualified: 0, bare: 0 };
      if (m[1] && /^pg_catalog\s*\.\s*$/i.test(m[1])) e.qualified++; else if (!m[1]) e.bare++; else continue;
      out.set(name, e);
    }
  }
  return out;
}
