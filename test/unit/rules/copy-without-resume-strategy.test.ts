import * as assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parseDocument } from '../../../src/core/facts';
import { ensureParser, pgAccepts } from '../../../src/core/schema/pg';
import { StaticSchemaModel } from '../../../src/core/schema';
import { applyEdits, applyFix, lintErrors, lintOk } from '../helpers';
import { stripSnippet } from '../../../src/core/fixes';

/** No finding of this rule (other rules may have their say on the same SQL). */
const ok = (sql: string, options: Parameters<typeof lintOk>[1] = {}) => lintOk(sql, { ...options, rule: RULE });
const RULE = 'copy-without-resume-strategy';

before(async () => { await ensureParser(); });

function assertParses(sql: string): void {
  for (const s of parseDocument(sql).all) {
    if (s.kind === 'psql') continue;
    assert.equal(pgAccepts(s.text()), true, `PostgreSQL's parser accepts: ${s.text()}`);
  }
}

// Seed 000: the partition loader streams each partition with COPY ... FROM STDIN into the target.
const SEED_000 = `COPY migration.customer_events (customer_id, event_ts, payload)
FROM STDIN WITH (FORMAT csv, HEADER false);
42,2024-01-01 00:00:00,"{""a"": 1}"
43,2024-01-01 00:00:01,"x;y\\\\"
\\.
`;

test('seed 000: COPY FROM STDIN straight into the target is reported on its first line', () => {
  const [f] = lintErrors(SEED_000, RULE);
  assert.equal(SEED_000.slice(f.start, f.end), 'COPY migration.customer_events (customer_id, event_ts, payload)');
  assert.equal(f.severity, 'warning');
  assert.match(f.message, /migration\.customer_events/);
  assert.match(f.message, /rows already committed are copied again/);
});

test('the staging fix keeps the data block intact, parses, and is no longer reported', () => {
  const fixed = applyFix(SEED_000, RULE);
  assert.equal(fixed, `BEGIN;
CREATE TEMP TABLE customer_events_staging (LIKE migration.customer_events INCLUDING DEFAULTS) ON COMMIT DROP;
COPY customer_events_staging (customer_id, event_ts, payload)
FROM STDIN WITH (FORMAT csv, HEADER false);
42,2024-01-01 00:00:00,"{""a"": 1}"
43,2024-01-01 00:00:01,"x;y\\\\"
\\.
INSERT INTO migration.customer_events (customer_id, event_ts, payload)
SELECT customer_id, event_ts, payload FROM customer_events_staging
ON CONFLICT (key_column) DO NOTHING;
COMMIT;
`);
  ok(fixed);
  assertParses(fixed);
});

test('inside an explicit transaction the fix adds no BEGIN/COMMIT; files and programs too', () => {
  const sql = "BEGIN;\nCOPY t FROM '/data/t.csv' CSV;\nCOMMIT;\n";
  const fixed = applyFix(sql, RULE);
  assert.equal(fixed, "BEGIN;\nCREATE TEMP TABLE t_staging (LIKE t INCLUDING DEFAULTS) ON COMMIT DROP;\nCOPY t_staging FROM '/data/t.csv' CSV;\nINSERT INTO t\nSELECT * FROM t_staging\nON CONFLICT (key_column) DO NOTHING;\nCOMMIT;\n");
  ok(fixed);
  assertParses(fixed);
  lintErrors("COPY t FROM PROGRAM 'zcat t.gz' CSV;", RULE);
});

test('psql \\copy is checked like COPY', () => {
  const sql = '\\copy public.t (a, b) from stdin with csv\n1,2\n\\.\n';
  const [f] = lintErrors(sql, RULE);
  assert.equal(sql.slice(f.start, f.end), '\\copy public.t (a, b) from stdin with csv');
  const fixed = applyEdits(sql, f.fixes[0]);
  assert.match(fixed, /\\copy t_staging \(a, b\) from stdin with csv\n1,2\n\\\.\nINSERT INTO public\.t \(a, b\)/);
  ok(fixed);
});

test('not hazards: staging tables, merged loads, truncate/delete first, fresh tables, COPY TO, pg_dump', () => {
  ok('CREATE TEMP TABLE s (LIKE t INCLUDING DEFAULTS) ON COMMIT DROP;\nCOPY s FROM stdin;\n1\n\\.\n');
  ok('CREATE UNLOGGED TABLE s (a int);\nCOPY s FROM stdin;\n1\n\\.\n');
  ok('COPY stage.t FROM stdin;\n1\n\\.\nINSERT INTO public.t SELECT * FROM stage.t ON CONFLICT (id) DO NOTHING;');
  ok('COPY stage_t FROM stdin;\n1\n\\.\nMERGE INTO t USING stage_t s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id);');
  ok('BEGIN;\nTRUNCATE t;\nCOPY t FROM stdin;\n1\n\\.\nCOMMIT;');
  ok("BEGIN;\nDELETE FROM t WHERE part = 7;\nCOPY t FROM '/x';\nCOMMIT;");
  ok('CREATE TABLE t (a int);\nCOPY t FROM stdin;\n1\n\\.\n');
  ok('COPY t TO stdout;\nCOPY (SELECT 1) TO stdout;');
  ok('CREATE VIEW v AS SELECT 1 AS a;\nCOPY v FROM stdin;\n1\n\\.\n');
  ok('--\n-- PostgreSQL database dump\n--\n\nCOPY public.actor (actor_id) FROM stdin;\n1\n\\.\n');
});

test('still hazards: truncate in another transaction, merge without ON CONFLICT, table created later', () => {
  lintErrors('TRUNCATE t;\nBEGIN;\nCOPY t FROM stdin;\n1\n\\.\nCOMMIT;', RULE);
  lintErrors('COPY s FROM stdin;\n1\n\\.\nINSERT INTO t SELECT * FROM s;', RULE);
  lintErrors("COPY t FROM '/x';\nCREATE TABLE IF NOT EXISTS t (a int);", RULE);
});

test('schema known: names the key (retry fails with 23505) or its absence (silent duplicates)', () => {
  const col = (name: string) => ({ name, type: 'integer', notNull: true });
  const keyed = new StaticSchemaModel([{ schema: 'public', name: 't', source: 'ddl', columns: [col('id'), col('v')], keys: [{ kind: 'primary', name: 't_pkey', columns: ['id'] }] }]);
  const [a] = lintErrors('COPY t FROM stdin;\n1\t2\n\\.\n', RULE, { schema: keyed });
  assert.match(a.message, /fails with 23505 on primary key t_pkey \(id\)/);
  assert.equal(a.severity, 'warning');
  const fixed = applyEdits('COPY t FROM stdin;\n1\t2\n\\.\n', a.fixes[0]);
  assert.match(fixed, /ON CONFLICT \(id\) DO NOTHING;/);
  assert.equal(a.fixes[0].snippet, false);
  const bare = new StaticSchemaModel([{ schema: 'public', name: 't', source: 'ddl', columns: [col('v')], keys: [] }]);
  const [b] = lintErrors('COPY t FROM stdin;\n1\n\\.\n', RULE, { schema: bare });
  assert.match(b.message, /silently duplicates them: public\.t has no unique key/);
  assert.equal(b.severity, 'error');
});

test('COPY FROM STDIN in TypeScript (pg-copy-streams) is reported, without the multi-statement fix', () => {
  const ts = "import { from as copyFrom } from 'pg-copy-streams';\nconst stream = client.query(copyFrom('COPY events (id, body) FROM STDIN'));\n";
  const [f] = lintErrors(ts, RULE, { path: 'load.ts' });
  assert.equal(ts.slice(f.start, f.end), 'COPY events (id, body) FROM STDIN');
  assert.equal(f.fixes.length, 0);
});

test('TypeScript: a staging table created and merged by other queries of the same file is not a hazard', () => {
  const ts = `await client.query('CREATE TEMP TABLE events_staging (LIKE events INCLUDING DEFAULTS) ON COMMIT DROP');
await pipeline(source, client.query(copyFrom('COPY events_staging FROM STDIN')));
await client.query('INSERT INTO events SELECT * FROM events_staging ON CONFLICT (id) DO NOTHING');
`;
  ok(ts, { path: 'load.ts' });
  ok("await client.query('TRUNCATE events');\nclient.query(copyFrom('COPY events FROM STDIN'));\n", { path: 'load.js' });
  lintErrors("client.query(copyFrom('COPY events FROM STDIN'));\nawait client.query('TRUNCATE events');\n", RULE, { path: 'load.js' });
});

test('inside a function body the fix adds no transaction statements', () => {
  const sql = "CREATE FUNCTION load() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  COPY t FROM '/data/t.csv' CSV;\nEND $$;\n";
  const fixed = applyFix(sql, RULE);
  assert.equal(fixed, "CREATE FUNCTION load() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  CREATE TEMP TABLE t_staging (LIKE t INCLUDING DEFAULTS) ON COMMIT DROP;\nCOPY t_staging FROM '/data/t.csv' CSV;\nINSERT INTO t\nSELECT * FROM t_staging\nON CONFLICT (key_column) DO NOTHING;\nEND $$;\n");
  ok(fixed);
  assertParses(fixed);
});

test('a generated key left out of the column list: the retry silently duplicates every row (no 23505)', () => {
  const keyed = new StaticSchemaModel([{
    schema: 'public', name: 'events', source: 'ddl',
    columns: [{ name: 'id', type: 'bigint', notNull: true, surrogate: true, default: "nextval('events_id_seq'::regclass)" }, { name: 'body', type: 'text', notNull: false }],
    keys: [{ kind: 'primary', name: 'events_pkey', columns: ['id'] }],
  }]);
  const [f] = lintErrors('COPY events (body) FROM stdin;\nx\n\\.\n', RULE, { schema: keyed });
  assert.doesNotMatch(f.message, /23505/);
  assert.match(f.message, /silently duplicates every row: the only unique key of public\.events is primary key events_pkey \(id\), which the database fills in afresh/);
  // no key to merge on: the fix says so, and leaves a placeholder to type (not a key that fails with 42P10)
  assert.match(f.fixes[0].title, /needs a unique key on the columns that identify a row first/);
  assert.equal(f.fixes[0].snippet, true);
  assert.match(f.fixes[0].edits[1].newText, /ON CONFLICT \(\$\{1:key_column\}\) DO NOTHING/);
});

test('the COPY fix: a placeholder the editor selects, literal text escaped; the key from naturalKeys when known', () => {
  const sql = 'COPY "price$1" FROM stdin;\n1\n\\.\n';
  const [f] = lintErrors(sql, RULE);
  const fix = f.fixes[0];
  assert.equal(fix.snippet, true);
  assert.match(fix.edits[1].newText, /\$\{1:key_column\}/);
  // the `$1` in the table's name is text, not a tab stop: the editor (and stripSnippet) keep it
  const tail = stripSnippet(fix.edits[1].newText);
  assert.match(tail, /INSERT INTO "price\$1"\nSELECT \* FROM "price\$1_staging"\nON CONFLICT \(key_column\) DO NOTHING;/);
  const [g] = lintErrors('COPY "order" FROM stdin;\n1\n\\.\n', RULE, { config: { naturalKeys: { order: ['user', 'sku'] } } });
  assert.equal(g.fixes[0].snippet, false);
  assert.match(g.fixes[0].edits[1].newText, /ON CONFLICT \("user", sku\) DO NOTHING/);
  assert.match(g.fixes[0].edits[0].newText, /CREATE TEMP TABLE order_staging \(LIKE "order" INCLUDING DEFAULTS\)/);
});

test('COPY into a TEMP table created earlier in the file is exempt, whatever call created it', () => {
  ok("client.querySync('CREATE TEMP TABLE tmp_users (id int, email text)');\nclient.query(copyFrom('COPY tmp_users FROM STDIN'));\n", { path: 'load.js' });
  ok('await db.exec(`CREATE TEMPORARY TABLE IF NOT EXISTS "staged" (id int)`);\nawait db.query(copyFrom(`COPY staged (id) FROM STDIN`));\n', { path: 'load.ts' });
  // created after the COPY: still a hazard
  lintErrors("client.query(copyFrom('COPY tmp_users FROM STDIN'));\nclient.querySync('CREATE TEMP TABLE tmp_users (id int)');\n", RULE, { path: 'load.js' });
});

test('in TS/JS, a DELETE ... WHERE in another query of the file (a row delete on some other path) is no resume strategy; a whole-table TRUNCATE or DELETE before the load is', () => {
  // a sync applier: per-row deletes for delete messages, a COPY for bulk inserts
  const applier = `import { PGlite } from '@electric-sql/pglite'
export async function applyDelete(pg: PGlite, schema: string, table: string, id: string) {
  return pg.query(\`DELETE FROM "\${schema}"."\${table}" WHERE "id" = $1\`, [id])
}
export async function bulkInsert(pg: PGlite, schema: string, table: string, blob: Blob) {
  await pg.query(\`COPY "\${schema}"."\${table}" (id, body) FROM '/dev/blob' WITH (FORMAT csv)\`, [], { blob })
}
`;
  lintErrors(applier, RULE, { path: 'sync/apply.ts' });
  // a second shape: node-postgres, a plain table, the row delete by a business key
  const loader = `import { Client } from 'pg'
export async function forget(c: Client, email: string) {
  await c.query("DELETE FROM subscribers WHERE email = $1", [email])
}
export async function importList(c: Client, stream: NodeJS.ReadableStream) {
  await c.query("COPY subscribers (email, name) FROM STDIN WITH (FORMAT csv)")
}
`;
  lintErrors(loader, RULE, { path: 'src/import.ts' });
  // the whole table emptied first (in another query) still counts: a reload
  ok(loader.replace('DELETE FROM subscribers WHERE email = $1', 'TRUNCATE subscribers'), { path: 'src/import.ts' });
  ok(loader.replace('DELETE FROM subscribers WHERE email = $1', 'DELETE FROM subscribers'), { path: 'src/import.ts' });
});
