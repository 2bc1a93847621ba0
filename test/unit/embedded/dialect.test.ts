/**
 * Dialect per file and per region, from evidence; and the other-dialect parser wrapper.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostTokens } from '../../../src/embedded/host-tokens';
import { clientDialectEvidence, decide, fileDialect, fileDialectEvidence, regionDialect, runsPostgresRules, sqlTextEvidence, type SqlDialect } from '../../../src/embedded/dialect';
import { foreignDialectOf, parseForeign } from '../../../src/embedded/foreign-sql';

/** The dialect of the region whose SQL starts at `marker` and runs to the end of its literal. */
function dialectAt(host: string, marker: string, jsx = false): SqlDialect {
  const t = hostTokens(host, jsx);
  const at = host.indexOf(marker);
  assert.ok(at >= 0, marker);
  const end = host.slice(at).search(/['`"]/);
  return regionDialect(t, fileDialectEvidence(t), { text: host.slice(at, at + end), hostStart: at }).dialect;
}

test('file dialect from the driver imported (one per family, require and import, subpaths)', () => {
  const cases: Array<[string, SqlDialect]> = [
    ["import pg from 'pg';", 'postgresql'],
    ["import postgres from 'postgres';", 'postgresql'],
    ["import { neon } from '@neondatabase/serverless';", 'postgresql'],
    ["import { sql } from '@vercel/postgres';", 'postgresql'],
    ["import { createPool, sql } from 'slonik';", 'postgresql'],
    ["const pgp = require('pg-promise')();", 'postgresql'],
    ["import { PGlite } from '@electric-sql/pglite';", 'postgresql'],
    ["import connect from '@databases/pg';", 'postgresql'],
    ["import { pgTable, text } from 'drizzle-orm/pg-core';", 'postgresql'],
    ["import Database from 'better-sqlite3';", 'sqlite'],
    ["const sqlite3 = require('sqlite3').verbose();", 'sqlite'],
    ["import { open } from 'sqlite';", 'sqlite'],
    ["import { createClient } from '@libsql/client';", 'sqlite'],
    ["import { Database } from 'bun:sqlite';", 'sqlite'],
    ["import { DatabaseSync } from 'node:sqlite';", 'sqlite'],
    ["import mysql from 'mysql2/promise';", 'mysql'],
    ["const mysql = require('mysql');", 'mysql'],
    ["import sql from 'mssql';", 'mssql'],
    ["import { Connection } from 'tedious';", 'mssql'],
    ["import oracledb from 'oracledb';", 'other'],
    ["import { createClient } from 'gel';", 'other'],
    ["import duckdb from 'duckdb';", 'other'],
    ["import { createClient } from '@clickhouse/client';", 'other'],
    ["const db = knex({ client: 'sqlite3', connection: { filename } });", 'sqlite'],
    ["const db = knex({ client: 'pg', connection });", 'postgresql'],
    ["new Sequelize({ dialect: 'mysql' });", 'mysql'],
    ["new Kysely({ dialect: new SqliteDialect({ database }) });", 'sqlite'],
    ["import { readFile } from 'node:fs';", 'unknown'],
    // Names that are also Object.prototype members decide nothing.
    ['class Store { constructor() { this.toString(); } }', 'unknown'],
    // A file speaking to two databases decides nothing on its own.
    ["import pg from 'pg';\nimport Database from 'better-sqlite3';", 'unknown'],
  ];
  for (const [text, want] of cases) assert.equal(fileDialect(text).dialect, want, text);
});

test('SQL text: INSERT OR IGNORE, INSERT IGNORE, ON DUPLICATE KEY, AUTOINCREMENT, PRAGMA, backticks, T-SQL; PL/pgSQL IF EXISTS stays PostgreSQL', () => {
  const d = (sql: string) => decide(sqlTextEvidence(sql, 0)).dialect;
  assert.equal(d('INSERT OR IGNORE INTO locks (name) VALUES (?)'), 'sqlite');
  assert.equal(d('insert or replace into kv (k, v) values (?, ?)'), 'sqlite');
  assert.equal(d('INSERT IGNORE INTO accounts (id) VALUES (?)'), 'mysql');
  assert.equal(d('INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a)'), 'mysql');
  assert.equal(d('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)'), 'sqlite');
  assert.equal(d('PRAGMA journal_mode = WAL'), 'sqlite');
  assert.equal(d('insert into `baz` (`foo`) values (?)'), 'other');
  assert.equal(d("IF NOT EXISTS (SELECT 1 FROM q WHERE id = @id) BEGIN INSERT INTO q (id) VALUES (@id) END"), 'mssql');
  assert.equal(d("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'x') THEN CREATE TYPE x AS ENUM ('a'); END IF; END $$"), 'postgresql');
  assert.equal(d('INSERT INTO t (a) VALUES ($1::int) ON CONFLICT DO NOTHING'), 'postgresql');
  assert.equal(d('INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING'), 'unknown');
  // A quoted word is data, not syntax.
  assert.equal(d("INSERT INTO logs (msg) VALUES ('insert ignore into x')"), 'unknown');
  // `?` alone is a hint (knex on PostgreSQL writes `?` too): it decides nothing.
  assert.equal(d('INSERT INTO t (a) VALUES (?) ON CONFLICT DO NOTHING'), 'unknown');
  // `$${i}` in a template is a `$` before an interpolation, not dollar quoting.
  assert.equal(d('INSERT INTO t (a) VALUES ($${___})'), 'unknown');
});

test('a region in a dialect-keyed branch beats the file imports (Effect onDialectOrElse, sequelize expectsql keys)', () => {
  const effect = `import * as Effect from "effect/Effect"
import * as SqlClient from "effect/unstable/sql/SqlClient"
const insertEnvelope = sql.onDialectOrElse({
  pg: () => (row, message_id) =>
    sql\`
      INSERT INTO \${messagesTableSql} \${sql.insert(row)}
      ON CONFLICT (message_id) DO NOTHING
    \`.pipe(Effect.flatMap((rows) => rows)),
  mysql: () => (row, message_id) =>
    Effect.flatMap(
      sql\`INSERT INTO \${messagesTableSql} \${sql.insert(row)} ON CONFLICT DO NOTHING\`.raw,
      (row) => row),
  mssql: () => (row) => sql\`MERGE INTO t USING (SELECT 1) AS s ON (1 = 0) WHEN NOT MATCHED THEN INSERT (a) VALUES (1);\`,
  orElse: () => (row, message_id) => sql\`INSERT INTO \${messagesTableSql} \${sql.insert(row)} ON CONFLICT DO NOTHING\`
})`;
  assert.equal(dialectAt(effect, 'INSERT INTO ${messagesTableSql} ${sql.insert(row)}\n'), 'postgresql');
  assert.equal(dialectAt(effect, 'INSERT INTO ${messagesTableSql} ${sql.insert(row)} ON CONFLICT DO NOTHING`.raw'), 'mysql');
  assert.equal(dialectAt(effect, 'MERGE INTO t'), 'mssql');
  assert.equal(dialectAt(effect, 'INSERT INTO ${messagesTableSql} ${sql.insert(row)} ON CONFLICT DO NOTHING`\n'), 'other');
  const sequelize = `import { Sequelize } from 'sequelize';
expectsql(query, {
  default: 'INSERT INTO [users] ([id]) VALUES (1);',
  postgres: 'INSERT INTO "users" ("id") VALUES (1) ON CONFLICT DO NOTHING;',
  'sqlite3': 'INSERT INTO \`users\` (\`id\`) VALUES (1) ON CONFLICT DO NOTHING;',
  mssql: 'INSERT INTO [users] ([id]) VALUES (1);',
});`;
  assert.equal(dialectAt(sequelize, 'INSERT INTO "users"'), 'postgresql');
  assert.equal(dialectAt(sequelize, 'INSERT INTO `users`'), 'sqlite');
  assert.equal(dialectAt(sequelize, 'INSERT INTO [users] ([id]) VALUES (1);\',\n})'), 'mssql');
});

test('the client a region is passed to: Durable Object storage.sql.exec is SQLite; a pg-named client is PostgreSQL', () => {
  const durable = `export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.ctx.storage.sql.exec(\`INSERT INTO counters (name) VALUES (?) ON CONFLICT DO NOTHING\`, name);
  }
}`;
  assert.equal(dialectAt(durable, 'INSERT INTO counters'), 'sqlite');
  const slack = `import * as pgInit from 'pg-promise';
import Database from 'better-sqlite3';
await this.postgresDb.none("INSERT INTO reactions (id) VALUES ($1) ON CONFLICT DO NOTHING", entry);
await this.sqliteDb.run("INSERT INTO reactions (id) VALUES (?) ON CONFLICT DO NOTHING", entry);`;
  assert.equal(dialectAt(slack, 'INSERT INTO reactions (id) VALUES ($1)'), 'postgresql');
  assert.equal(dialectAt(slack, 'INSERT INTO reactions (id) VALUES (?)'), 'sqlite');
});

test('the file decides when the region says nothing; syntax beats the file; PostgreSQL rules run on postgresql and unknown only', () => {
  const keyv = `import Database from 'better-sqlite3';
db.prepare('INSERT INTO keyv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(k, v);`;
  assert.equal(dialectAt(keyv, 'INSERT INTO keyv'), 'sqlite');
  const pgFile = `import pg from 'pg';
await client.query('INSERT OR IGNORE INTO t (a) VALUES (1)');
await client.query('INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING', [1]);`;
  assert.equal(dialectAt(pgFile, 'INSERT OR IGNORE'), 'sqlite');
  assert.equal(dialectAt(pgFile, 'INSERT INTO t (a) VALUES ($1)'), 'postgresql');
  const none = "await db.query('INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING');";
  assert.equal(dialectAt(none, 'INSERT'), 'unknown');
  assert.equal(runsPostgresRules({ dialect: 'unknown', evidence: [] }), true);
  assert.equal(runsPostgresRules({ dialect: 'postgresql', evidence: [] }), true);
  for (const d of ['sqlite', 'mysql', 'mssql', 'other'] as const) assert.equal(runsPostgresRules({ dialect: d, evidence: [] }), false);
  // Evidence says why.
  const t = hostTokens(keyv);
  const r = regionDialect(t, fileDialectEvidence(t), { text: 'INSERT INTO keyv (key) VALUES (?)', hostStart: keyv.indexOf('INSERT') });
  assert.equal(r.evidence[0].reason, 'imports better-sqlite3');
  assert.equal(r.evidence[0].strength, 'file');
});

test('ORM evidence from elsewhere joins the file level', () => {
  const extra = [{ dialects: ['mysql' as const], strength: 'file' as const, reason: 'prisma provider = "mysql"', at: 0 }];
  assert.equal(fileDialect("import { PrismaClient } from '@prisma/client';", extra).dialect, 'mysql');
});

test('parseForeign reads MySQL, SQLite and SQL Server statements and never throws', () => {
  const my = parseForeign('INSERT IGNORE INTO `t1` (c1, c2) VALUES (1, 1)', 'mysql');
  assert.ok(my.ok);
  assert.equal((my.statements[0] as { type: string }).type, 'insert');
  const lite = parseForeign('INSERT OR IGNORE INTO locks (name) VALUES (?)', 'sqlite');
  assert.ok(lite.ok);
  assert.equal((lite.statements[0] as { type: string }).type, 'insert');
  const ms = parseForeign('SELECT TOP 1 * FROM [jobs]', 'mssql');
  assert.ok(ms.ok);
  const bad = parseForeign('INSERT INTO', 'mysql');
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && bad.error.length > 0);
  assert.equal(parseForeign('INSERT INTO t VALUES (', 'sqlite').ok, false);
  assert.equal(parseForeign('\u0000\uffff', 'mssql').ok, false);
  assert.equal(foreignDialectOf('postgresql'), undefined);
  assert.equal(foreignDialectOf('sqlite'), 'sqlite');
});

test('a client speaks one dialect: SQLite syntax handed to this.agent.sql elsewhere in the file makes its other statements SQLite', () => {
  const agent = `export class AgentSessionProvider {
  constructor(private agent: { sql: any }) {}
  init() {
    this.agent.sql\`
      CREATE VIRTUAL TABLE IF NOT EXISTS assistant_fts
      USING fts5(id UNINDEXED, content, tokenize='porter unicode61')
    \`;
  }
  append(message) {
    const valid = this.agent.sql<{ id: string }>\`SELECT id FROM assistant_messages WHERE id = \${message.parent}\`;
    this.agent.sql\`
      INSERT INTO assistant_messages (id, session_id) VALUES (\${message.id}, \${this.sessionId})
    \`;
  }
}`;
  const t = hostTokens(agent);
  const clients = clientDialectEvidence(t);
  assert.deepEqual(clients.get('this.agent.sql')?.[0].dialects, ['sqlite']);
  const at = agent.indexOf('INSERT INTO assistant_messages');
  const d = regionDialect(t, fileDialectEvidence(t), { text: 'INSERT INTO assistant_messages (id, session_id) VALUES ($1, $2)', hostStart: at }, clients);
  assert.equal(d.dialect, 'sqlite');
  assert.match(d.evidence[0].reason, /this\.agent\.sql/);
  // Second spelling: a MySQL pool whose other statement uses ON DUPLICATE KEY UPDATE.
  const pool = `await this.pool.execute('INSERT INTO visits (page) VALUES (?) ON DUPLICATE KEY UPDATE hits = hits + 1', [p]);
await this.pool.execute('INSERT INTO pages (slug) VALUES (?)', [slug]);
await this.pg.query('INSERT INTO pages (slug) VALUES ($1) ON CONFLICT DO NOTHING', [slug]);`;
  const t2 = hostTokens(pool);
  const c2 = clientDialectEvidence(t2);
  const at2 = pool.indexOf('INSERT INTO pages (slug) VALUES (?)');
  assert.equal(regionDialect(t2, [], { text: 'INSERT INTO pages (slug) VALUES (?)', hostStart: at2 }, c2).dialect, 'mysql');
  const at3 = pool.indexOf('INSERT INTO pages (slug) VALUES ($1)');
  assert.equal(regionDialect(t2, [], { text: 'INSERT INTO pages (slug) VALUES ($1) ON CONFLICT DO NOTHING', hostStart: at3 }, c2).dialect, 'postgresql');
  // A client fed two dialects (a SQLite/PostgreSQL abstraction) says nothing; nested templates' backticks are not SQL.
  const both = "db.run('INSERT OR IGNORE INTO a VALUES (1)'); db.run('SELECT $1::int');\nsql`insert into ${t} (${sql.join(cols, sql`, `)}) values (1)`;";
  const c3 = clientDialectEvidence(hostTokens(both));
  assert.equal(c3.has('db.run'), false);
  assert.equal(c3.has('sql'), false);
});
