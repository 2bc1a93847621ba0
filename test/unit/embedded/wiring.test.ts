/**
 * The engine on SQL embedded in TS/JS (src/embedded/plan.ts wired into src/engine/analyze.ts): only
 * executed SQL is linted, PostgreSQL rules never run on another dialect's SQL, and the host shapes
 * real code writes the hazard in are each found, with two examples of every shape written the way
 * real projects write them. Positions land on the text that causes the finding, and a fix is offered
 * only when it can be written into one literal of the host.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import type { CliIO } from '../../../src/cli/io';
import type { AnalyzerConfig, Finding } from '../../../src/core/types';
import { analyze } from '../../../src/engine/analyze';
import { applyEdits } from '../helpers';
import { loadParsers } from '../rules/schemaHelpers';

const OC = 'on-conflict-without-target';
const COPY = 'copy-without-resume-strategy';
const STAGING = 'timestamp-staging-table-name';

function lintTs(text: string, file = 'src/db/store.ts', config?: AnalyzerConfig): Finding[] {
  return analyze({ text, path: file, config, reuse: false }).findings;
}

/** The findings of `rule`, each as the host text it underlines. */
function hits(text: string, rule: string, file?: string, config?: AnalyzerConfig): string[] {
  return lintTs(text, file, config).filter((f) => f.rule === rule).map((f) => text.slice(f.start, f.end));
}

/** Applies the preferred fix of the only `rule` finding. */
function fixed(text: string, rule: string, file?: string): string {
  const found = lintTs(text, file).filter((f) => f.rule === rule);
  assert.equal(found.length, 1, `one ${rule} finding expected, got ${found.length}`);
  const fix = found[0].fixes.find((x) => x.preferred) ?? found[0].fixes[0];
  assert.ok(fix, `${rule} offers a fix`);
  return applyEdits(text, fix);
}

before(loadParsers);

test('expected output of tests is not executed: no finding by default, the setting turns them on', () => {
  const vitest = `import { describe, expect, it } from 'vitest';
describe('insert builder', () => {
  it('ignores duplicates', () => {
    expect(qb.insert({ email: 'a' }).into('users').onConflict().ignore().toSQL().sql)
      .toBe('insert into "users" ("email") values (?) on conflict do nothing');
  });
});
`;
  const tape = `const test = require('tape');
test('upsert compiles', (t) => {
  t.is(compile(stmt), 'INSERT INTO tags (name) VALUES ($1) ON CONFLICT DO NOTHING');
  t.end();
});
`;
  const table = `import { before, test } from 'node:test';
const cases = [
  { input: { table: 'a' }, expected: 'INSERT INTO a (id) VALUES (1) ON CONFLICT DO NOTHING' },
  { input: { table: 'b' }, sql: 'INSERT INTO b (id) VALUES (1) ON CONFLICT DO NOTHING' },
];
for (const c of cases) test(c.input.table, () => {});
`;
  for (const [text, file] of [[vitest, 'test/insert.test.ts'], [tape, 'test/upsert.js'], [table, 'src/cases.spec.ts']]) {
    assert.deepEqual(hits(text, OC, file), [], file);
    assert.ok(hits(text, OC, file, { embedded: { expectedOutput: true } }).length >= 1, `${file}: expectedOutput: true reports it`);
  }
});

test('--fix never rewrites expected output', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-expected-'));
  try {
    const text = `import { expect, test } from 'vitest';
test('sql', () => {
  expect(build()).toEqual('INSERT INTO users (email) VALUES ($1) ON CONFLICT DO NOTHING');
});
await pool.query('INSERT INTO users (email) VALUES ($1) ON CONFLICT DO NOTHING', [e]);
`;
    fs.writeFileSync(path.join(dir, '.dupguard.json'), '{"naturalKeys": {"users": ["email"]}}');
    fs.writeFileSync(path.join(dir, 'users.test.ts'), text);
    let stderr = '';
    const io: CliIO = { stdout: () => {}, stderr: (s) => { stderr += s; }, cwd: dir, env: {} };
    await main(['lint', '--fix', '.'], io);
    const after = fs.readFileSync(path.join(dir, 'users.test.ts'), 'utf8');
    assert.match(after, /toEqual\('INSERT INTO users \(email\) VALUES \(\$1\) ON CONFLICT DO NOTHING'\)/, 'the expected value is left as written');
    assert.match(after, /pool\.query\('INSERT INTO users \(email\) VALUES \(\$1\) ON CONFLICT \(email\) DO NOTHING'/, `the executed one is fixed (${stderr})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('another dialect: no PostgreSQL finding; PostgreSQL and undecided files as before', () => {
  const sqlite = `import Database from 'better-sqlite3';
const db = new Database('app.db');
db.prepare('INSERT INTO seen (id) VALUES (?) ON CONFLICT DO NOTHING').run(id);
`;
  const knexMysql = `import knex from 'knex';
const db = knex({ client: 'mysql2' });
await db.raw('INSERT INTO seen (id) VALUES (?) ON CONFLICT DO NOTHING', [id]);
`;
  const keyed = `export const upsertSeen = {
  sqlite: \`INSERT INTO seen (id) VALUES (?) ON CONFLICT DO NOTHING\`,
  pg: \`INSERT INTO seen (id) VALUES ($1) ON CONFLICT DO NOTHING\`,
};
await client.query(upsertSeen.pg, [id]);
`;
  assert.deepEqual(hits(sqlite, OC), []);
  assert.deepEqual(hits(knexMysql, OC), []);
  // Only the pg branch of the dialect-keyed object.
  const found = lintTs(keyed).filter((f) => f.rule === OC);
  assert.equal(found.length, 1);
  assert.ok(found[0].start > keyed.indexOf('pg:'));
  const pg = `import pg from 'pg';\nawait pool.query('INSERT INTO seen (id) VALUES ($1) ON CONFLICT DO NOTHING', [id]);\n`;
  assert.deepEqual(hits(pg, OC), ['ON CONFLICT DO NOTHING']);
});

test('COPY that is not executed (parser input, constructor argument, test input) gets no copy finding', () => {
  const parser = `import { parse } from 'pgsql-ast-parser';
const ast = parse('COPY events FROM STDIN WITH (FORMAT csv)');
`;
  const describe = `import { describe, it } from 'mocha';
import assert from 'node:assert';
describe('query info', () => {
  it('reads the table of a COPY', () => {
    assert.equal(getTableName('COPY copy_endpoints_test FROM STDIN'), 'copy_endpoints_test');
  });
});
`;
  assert.deepEqual(hits(parser, COPY), []);
  assert.deepEqual(hits(describe, COPY, 'test/unit/query-info-test.js'), []);
  // The executed one still is.
  const executed = `import { from as copyFrom } from 'pg-copy-streams';\nconst stream = client.query(copyFrom('COPY events FROM STDIN'));\n`;
  assert.equal(hits(executed, COPY).length, 1);
});

test('dollar-quoted CREATE FUNCTION and DO bodies inside templates', () => {
  const fn = `import { Pool } from 'pg';
const pool = new Pool();
export async function up() {
  await pool.query(\`
    CREATE OR REPLACE FUNCTION log_event() RETURNS trigger AS $$
    BEGIN
      INSERT INTO audit_log (entity_id, action) VALUES (NEW.id, TG_OP) ON CONFLICT DO NOTHING;
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
  \`);
}
`;
  const doBlock = `exports.up = (pgm) => {
  pgm.sql(\`DO $body$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM settings WHERE name = 'theme') THEN
    INSERT INTO settings (name, value) SELECT 'theme', 'dark' ON CONFLICT DO NOTHING;
  END IF;
END
$body$;\`);
};
`;
  assert.deepEqual(hits(fn, OC), ['ON CONFLICT DO NOTHING']);
  assert.deepEqual(hits(doBlock, OC, 'migrations/1700000000000_settings.js'), ['ON CONFLICT DO NOTHING']);
  assert.match(fixed(fn, OC), /VALUES \(NEW\.id, TG_OP\) ON CONFLICT \(key_column\) DO NOTHING;/);
});

test('plpgsql dynamic SQL: EXECUTE of dollar-quoted strings, format($q$...$q$), || concatenations', () => {
  const ts = `import { Client } from 'pg';
await client.query(\`CREATE FUNCTION archive_rows(t text) RETURNS void AS $fn$
BEGIN
  EXECUTE $q$INSERT INTO archive SELECT * FROM events ON CONFLICT DO NOTHING$q$;
  EXECUTE format($q$INSERT INTO %I (id) SELECT id FROM src ON CONFLICT DO NOTHING$q$, t);
  EXECUTE 'INSERT INTO ' || quote_ident(t) || ' SELECT * FROM staging ON CONFLICT DO NOTHING';
END
$fn$ LANGUAGE plpgsql\`);
`;
  const found = lintTs(ts).filter((f) => f.rule === OC);
  assert.deepEqual(found.map((f) => ts.slice(f.start, f.end)), ['ON CONFLICT DO NOTHING', 'ON CONFLICT DO NOTHING', 'ON CONFLICT DO NOTHING']);
  assert.match(found[2].message, /quote_ident\(t\)/, 'the computed table is named by its expression');
  // A second shape: a .sql migration with a DO block running concatenated SQL per partition.
  const sql = `DO $$
DECLARE p text;
BEGIN
  FOR p IN SELECT tablename FROM pg_tables WHERE tablename LIKE 'events_%' LOOP
    EXECUTE 'INSERT INTO ' || quote_ident(p) || '_seen (id) SELECT id FROM ' || quote_ident(p) || ' ON CONFLICT DO NOTHING';
  END LOOP;
  EXECUTE format('INSERT INTO %I.totals (day) SELECT current_date ON CONFLICT DO NOTHING', 'stats');
END $$;
`;
  const inSql = analyze({ text: sql, path: 'migrations/010_seen.sql' }).findings.filter((f) => f.rule === OC);
  assert.equal(inSql.length, 2);
});

test('INSERT ... SELECT ... ON CONFLICT DO NOTHING after data-modifying CTEs, in .sql and in templates', () => {
  const ts = `import { Pool } from 'pg';
const pool = new Pool();
await pool.query(\`WITH moved AS (DELETE FROM inbox WHERE id = ANY($1) RETURNING *)
INSERT INTO archive SELECT * FROM moved ON CONFLICT DO NOTHING\`, [ids]);
`;
  const sql = `WITH claimed AS (
  UPDATE jobs SET state = 'done' WHERE id = 7 RETURNING id, payload
)
INSERT INTO job_results (job_id, payload)
SELECT id, payload FROM claimed
ON CONFLICT DO NOTHING;
`;
  assert.deepEqual(hits(ts, OC), ['ON CONFLICT DO NOTHING']);
  const f = analyze({ text: sql, path: 'sql/claim.sql' }).findings.filter((x) => x.rule === OC);
  assert.deepEqual(f.map((x) => sql.slice(x.start, x.end)), ['ON CONFLICT DO NOTHING']);
});

test('conditional fragments: each branch is linted, the finding and its fix land in the branch literal', () => {
  const ternary = `import { Pool } from 'pg';
export function insertUser(pool: Pool, email: string, idempotent: boolean) {
  return pool.query(\`INSERT INTO users (email) VALUES ($1) \${idempotent ? 'ON CONFLICT DO NOTHING' : ''}\`, [email]);
}
`;
  const found = lintTs(ternary).filter((f) => f.rule === OC);
  assert.equal(found.length, 1);
  const branch = ternary.indexOf("'ON CONFLICT DO NOTHING'") + 1;
  assert.equal(found[0].start, branch);
  assert.equal(found[0].end, branch + 'ON CONFLICT DO NOTHING'.length);
  assert.match(fixed(ternary, OC), /\? 'ON CONFLICT \(key_column\) DO NOTHING' : ''/);
  // `cond && "..."` with a double-quoted branch, one hop through a constant, in a helper.
  const constant = `const onConflict = opts.onConflictDoNothing ? "on conflict do nothing " : "";
export async function insert(client, table, cols) {
  return client.query(\`insert into \${table} (\${cols}) values ($1) \${onConflict}returning *\`, [v]);
}
`;
  const f2 = lintTs(constant, 'src/postgres.js').filter((f) => f.rule === OC);
  assert.equal(f2.length, 1);
  assert.equal(constant.slice(f2[0].start, f2[0].end), 'on conflict do nothing');
  assert.ok(f2[0].start < constant.indexOf('export'), 'it lands in the constant\'s branch literal');
});

test('query config objects passed to a client: { text }, { query }, { sql }', () => {
  const text = `import pg from 'pg';
await pool.query({ text: 'INSERT INTO tags (name) VALUES ($1) ON CONFLICT DO NOTHING', values: [name] });
`;
  const sqlKey = `import { neon } from '@neondatabase/serverless';
await db.execute({ sql: \`INSERT INTO tags (name) VALUES ($1) ON CONFLICT DO NOTHING\`, args: [name] });
`;
  assert.deepEqual(hits(text, OC), ['ON CONFLICT DO NOTHING']);
  assert.deepEqual(hits(sqlKey, OC), ['ON CONFLICT DO NOTHING']);
  assert.match(fixed(text, OC), /ON CONFLICT \(key_column\) DO NOTHING', values/);
});

test('knex.raw("? on conflict do nothing", ...) and $1 / ${...}-led fragments', () => {
  const knexRaw = `import knex from 'knex';
const db = knex({ client: 'pg' });
await db.raw('? on conflict do nothing', [db('tags').insert(rows)]);
`;
  const templateLed = `const insert = db('events').insert(batch).toString();
await db.raw(\`\${insert} ON CONFLICT DO NOTHING\`);
`;
  const f1 = lintTs(knexRaw).filter((f) => f.rule === OC);
  assert.deepEqual(f1.map((f) => knexRaw.slice(f.start, f.end)), ['on conflict do nothing']);
  assert.match(fixed(knexRaw, OC), /db\.raw\('\? on conflict \(key_column\) do nothing'/);
  assert.deepEqual(hits(templateLed, OC, 'src/events.js'), ['ON CONFLICT DO NOTHING']);
});

test('SQL built with +, template concatenation, [...].join(\' \') and one-hop variables', () => {
  const plus = `const pool = new Pool();
await pool.query('INSERT INTO ' + table + ' (name) VALUES ($1) ON CONFLICT DO NOTHING', [n]);
`;
  const joined = `await client.query([
  'INSERT INTO tags (name)',
  'VALUES ($1)',
  'ON CONFLICT DO NOTHING',
].join(' '), [n]);
`;
  const hop = `const upsert = 'INSERT INTO tags (name) VALUES ($1) ' +
  'ON CONFLICT DO NOTHING';
export const save = (n) => pool.query(upsert, [n]);
`;
  const templates = 'const q = `INSERT INTO ${schema}.tags (name) VALUES ($1) ` + `ON CONFLICT DO NOTHING`;\nawait pool.query(q, [n]);\n';
  for (const t of [plus, joined, hop, templates]) assert.deepEqual(hits(t, OC), ['ON CONFLICT DO NOTHING'], t);
  // The fix goes into the literal that holds ON CONFLICT.
  assert.match(fixed(joined, OC), /'ON CONFLICT \(key_column\) DO NOTHING',/);
  assert.match(fixed(plus, OC), /VALUES \(\$1\) ON CONFLICT \(key_column\) DO NOTHING'/);
});

test('a fix that would cross two literals is not offered; the finding stays', () => {
  // ON CONFLICT | DO NOTHING split over two literals: the target goes between them, in neither.
  const text = "await pool.query('INSERT INTO tags (name) VALUES ($1) ON CONFLICT' + ' DO NOTHING', [n]);\n";
  const [f] = lintTs(text).filter((x) => x.rule === OC);
  assert.ok(f, 'still reported');
  for (const fix of f.fixes) for (const e of fix.edits) {
    const quote = text.lastIndexOf("'", e.start - 1);
    assert.ok(quote >= 0 && text.indexOf("'", quote + 1) >= e.end, `edit ${e.start}-${e.end} inside one literal`);
  }
  // Inserting at the end of the first literal is inside it: offered.
  assert.ok(f.fixes.length >= 1);
  // An edit is written with the quote of the literal it lands in, not of the region's first one.
  const mixed = `await pool.query('INSERT INTO follows ("userId", "targetId") VALUES ($1, $2) ' + "ON CONFLICT DO NOTHING", [a, b]);\n`;
  const [g] = lintTs(mixed, 'src/follows.ts', { naturalKeys: { follows: ['userId', 'targetId'] } }).filter((x) => x.rule === OC);
  const fix = g.fixes.find((x) => x.preferred) ?? g.fixes[0];
  assert.equal(applyEdits(mixed, fix), `await pool.query('INSERT INTO follows ("userId", "targetId") VALUES ($1, $2) ' + "ON CONFLICT (\\"userId\\", \\"targetId\\") DO NOTHING", [a, b]);\n`);
});

test('timestamp-staging-table-name on the same shapes: ClickHouse { query } config, + chains, join', () => {
  // Seed 001's loader: a ClickHouse client, the staging name built from Date.now().
  const seed = `import { createClient } from '@clickhouse/client';
const client = createClient({ url: process.env.CLICKHOUSE_URL });
export async function load(table: string, rows: unknown[]) {
  const staging = \`\${table}_staging_\${Date.now()}\`;
  await client.command({ query: \`CREATE TABLE \${staging} AS \${table}\` });
  await client.insert({ table: staging, values: rows, format: 'JSONEachRow' });
}
`;
  const f = lintTs(seed, 'src/loader.ts').filter((x) => x.rule === STAGING);
  assert.equal(f.length, 1);
  assert.equal(seed.slice(f[0].start, f[0].end), 'Date.now()');
  assert.match(fixed(seed, STAGING, 'src/loader.ts'), /const staging = `\$\{table\}_staging_\$\{crypto\.randomUUID\(\)\.replaceAll\('-', ''\)\}`/);
  // pg with { text } config object and the name built with +.
  const pgText = `import { Pool } from 'pg';
const tmp = 'import_' + new Date().getTime();
await pool.query({ text: \`CREATE UNLOGGED TABLE \${tmp} (LIKE events)\` });
`;
  const g = hits(pgText, STAGING);
  assert.equal(g.length, 1);
  assert.match(g[0], /new Date\(\)/);
});

test('a literal marked /*sql*/ is SQL whatever it starts with: setup scripts returned by a function', () => {
  const script = `function globalSetup(appID: string): string {
  const app = id(appID);
  return /*sql*/ \`
  CREATE SCHEMA IF NOT EXISTS \${app};
  CREATE TABLE IF NOT EXISTS \${app}.permissions ("lock" BOOL PRIMARY KEY DEFAULT true CHECK (lock));
  INSERT INTO \${app}.permissions ("lock") VALUES (true) ON CONFLICT DO NOTHING;
\`;
}
export async function ensureGlobalTables(db: PostgresDB, appID: string) {
  await db.unsafe(globalSetup(appID));
}
`;
  const seeds = `export const seedRoles = /* SQL */ "CREATE TEMP TABLE r (name text); INSERT INTO roles (name) SELECT name FROM r ON CONFLICT DO NOTHING";\n`;
  assert.deepEqual(hits(script, OC), ['ON CONFLICT DO NOTHING']);
  assert.deepEqual(hits(seeds, OC), ['ON CONFLICT DO NOTHING']);
  // Without the mark, a CREATE script held in a plain literal stays unread (prose starts with words too).
  assert.deepEqual(hits(script.replace('/*sql*/ ', ''), OC), []);
});
