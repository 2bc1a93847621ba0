/**
 * ORM and query-builder calls through the whole analyzer: the rules report them under their own ids,
 * on the call, with fixes in the library's syntax that re-lint clean and (for Drizzle, Kysely and
 * knex, installed as dev dependencies) still type-check against the library's own types. The schema
 * comes from ORM schema files, as the CLI and the editor build it (withOrmSchema).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyze } from '../../../src/engine/analyze';
import { applyEdits } from '../helpers';
import { fixed, lintTs, only, preferred } from './lint';
import { typeErrors } from './typecheck';

const root = path.resolve(__dirname, '../../..');

// ---- Drizzle ------------------------------------------------------------------------------------

const drizzleSchema = `import { pgTable, text, uuid, integer, timestamp, unique } from 'drizzle-orm/pg-core';

export const credential = pgTable(
  'credential',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: text('workspace_id').notNull(),
    name: text('name').notNull(),
    secret: text('secret'),
    updatedAt: timestamp('updated_at').notNull().defaultNow(),
  },
  (t) => [unique('credential_ws_name').on(t.workspaceId, t.name)],
);

export const memory = pgTable('memory', {
  id: text('id').primaryKey(),
  workspaceId: text('workspace_id').notNull(),
  key: text('key').notNull(),
  data: integer('data').notNull(),
}, (t) => [unique('memory_ws_key').on(t.workspaceId, t.key)]);
`;
const drizzleFiles = [{ path: 'src/db/schema.ts', text: drizzleSchema }];

const drizzleInsert = `import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { credential as dbCredential } from './db/schema.js';

type Db = PgDatabase<PgQueryResultHKT>;

export async function saveAll(db: Db, rows: Array<typeof dbCredential.$inferInsert>) {
  await db.transaction(async (tx) => {
    await tx
      .insert(dbCredential)
      .values(rows)
      .onConflictDoNothing();
  });
}
`;

test('drizzle: a targetless onConflictDoNothing() split over lines, on an aliased imported table inside a transaction; the fix names the unique key with the alias and type-checks', () => {
  const [f] = only(lintTs(drizzleInsert, drizzleFiles), 'on-conflict-without-target');
  assert.equal(drizzleInsert.slice(f.start, f.end), 'onConflictDoNothing()');
  assert.equal(f.severity, 'warning');
  assert.match(f.message, /happens to have one unique key \(unique constraint credential_ws_name \(workspace_id, name\)\)/);
  assert.match(preferred(f), /onConflictDoNothing\(\{ target: \[dbCredential\.workspaceId, dbCredential\.name\] \}\)/);
  const after = fixed(drizzleInsert, f);
  assert.match(after, /\.onConflictDoNothing\(\{ target: \[dbCredential\.workspaceId, dbCredential\.name\] \}\);/);
  only(lintTs(after, drizzleFiles), 'on-conflict-without-target', 0);
  assert.deepEqual(typeErrors({ 'app.ts': after, 'db/schema.ts': drizzleSchema }), []);
});

test('drizzle: the type check sees a wrong fix (a check that cannot fail proves nothing)', () => {
  const wrong = drizzleInsert.replace('.onConflictDoNothing()', '.onConflictDoNothing({ target: dbCredential.nope })');
  assert.ok(typeErrors({ 'app.ts': wrong, 'db/schema.ts': drizzleSchema }).some((e) => /nope/.test(e)));
});

test('drizzle: no finding for a targeted call, on SQLite tables, under a test on the dialect, or on a query only compiled for an expected-output test', () => {
  only(lintTs(drizzleInsert.replace('.onConflictDoNothing()', '.onConflictDoNothing({ target: [dbCredential.workspaceId, dbCredential.name] })'), drizzleFiles), 'on-conflict-without-target', 0);
  // the project's tables are SQLite's, and the file says nothing else (it does not import pg-core)
  const sqlite = drizzleSchema.replace("from 'drizzle-orm/pg-core'", "from 'drizzle-orm/sqlite-core'").replace(/pgTable/g, 'sqliteTable');
  const plain = drizzleInsert.replace("import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';", "import { db } from './db';").replace('db: Db, ', '');
  only(lintTs(plain, drizzleFiles), 'on-conflict-without-target', 1);
  only(lintTs(plain, [{ path: 'src/db/schema.ts', text: sqlite }]), 'on-conflict-without-target', 0);
  const compiled = `import { db } from './db';
import { credential } from './db/schema';
test('sql', () => {
  const q = db.insert(credential).values({ workspaceId: 'w', name: 'n' }).onConflictDoNothing();
  expect(q.toSQL().sql).toEqual('insert into "credential" ... on conflict do nothing');
});
`;
  only(lintTs(compiled, drizzleFiles), 'on-conflict-without-target', 0);
});

test('drizzle: an unknown table still gets the finding (warning, no key to name: the snippet fix)', () => {
  const [f] = only(lintTs(drizzleInsert), 'on-conflict-without-target');
  assert.equal(f.severity, 'warning');
  assert.ok(f.fixes[0]?.snippet, 'a snippet fix to type the key in');
  assert.match(f.fixes[0].edits[0].newText, /\{ target: dbCredential\.\$\{1:key_column\} \}/);
});

test('drizzle: dupguard-ignore above the chain (or above the clause) silences the call, and is not reported unused', () => {
  for (const text of [
    drizzleInsert.replace('    await tx\n', '    // dupguard-ignore on-conflict-without-target: rows are idempotent by design\n    await tx\n'),
    drizzleInsert.replace('      .onConflictDoNothing();', '      // dupguard-ignore on-conflict-without-target\n      .onConflictDoNothing();'),
  ]) {
    const all = lintTs(text, drizzleFiles);
    only(all, 'on-conflict-without-target', 0);
    only(all, 'unused-suppression', 0);
  }
});

test('drizzle: a target that is no unique key (on-conflict-target-without-unique-index); the declared key is fine', () => {
  const bad = drizzleInsert.replace('.onConflictDoNothing()', '.onConflictDoNothing({ target: dbCredential.name })');
  const [f] = only(lintTs(bad, drizzleFiles), 'on-conflict-target-without-unique-index');
  assert.equal(bad.slice(f.start, f.end), 'dbCredential.name');
  assert.match(f.message, /42P10/);
  assert.match(f.message, /credential_ws_name/);
  only(lintTs(drizzleInsert.replace('.onConflictDoNothing()', '.onConflictDoNothing({ target: [dbCredential.workspaceId, dbCredential.name] })'), drizzleFiles), 'on-conflict-target-without-unique-index', 0);
});

test('drizzle: the same key twice in a literal batch under onConflictDoUpdate (duplicate-keys-in-values); the fix removes a row and re-lints clean', () => {
  const text = `import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { credential } from './db/schema.js';

export async function seed(db: PgDatabase<PgQueryResultHKT>) {
  await db
    .insert(credential)
    .values([
      { workspaceId: 'ws1', name: 'github', secret: 'a' },
      { workspaceId: 'ws1', name: 'slack', secret: 'b' },
      { workspaceId: 'ws1', name: 'github', secret: 'c' },
    ])
    .onConflictDoUpdate({ target: [credential.workspaceId, credential.name], set: { secret: sql\`excluded.secret\` } });
}
`;
  const [f] = only(lintTs(text, drizzleFiles), 'duplicate-keys-in-values');
  assert.equal(f.severity, 'error');
  assert.match(f.message, /cannot affect row a second time/);
  assert.equal(text.slice(f.start, f.end), "{ workspaceId: 'ws1', name: 'github', secret: 'c' }");
  const after = fixed(text, f);
  only(lintTs(after, drizzleFiles), 'duplicate-keys-in-values', 0);
  assert.deepEqual(typeErrors({ 'app.ts': after, 'db/schema.ts': drizzleSchema }), []);
  // different keys: nothing
  only(lintTs(text.replace("name: 'github', secret: 'c'", "name: 'jira', secret: 'c'"), drizzleFiles), 'duplicate-keys-in-values', 0);
});

test('drizzle: check-then-insert (select ... for update, then a plain insert); the fix is onConflictDoNothing on the key, and type-checks', () => {
  const text = `import { and, eq } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { memory } from './db/schema.js';

export async function append(db: PgDatabase<PgQueryResultHKT>, workspaceId: string, key: string) {
  await db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: memory.id })
      .from(memory)
      .where(and(eq(memory.workspaceId, workspaceId), eq(memory.key, key)))
      .limit(1)
      .for('update');
    if (!existing) {
      await tx.insert(memory).values({ id: crypto.randomUUID(), workspaceId, key, data: 1 });
    }
  });
}
`;
  const [f] = only(lintTs(text, drizzleFiles), 'check-then-insert-race');
  assert.ok(text.slice(f.start, f.end).startsWith('tx.insert(memory)'));
  assert.match(f.message, /FOR UPDATE locks the rows that exist/);
  assert.match(preferred(f), /onConflictDoNothing\(\{ target: \[memory\.workspaceId, memory\.key\] \}\)/);
  const after = fixed(text, f);
  only(lintTs(after, drizzleFiles), 'check-then-insert-race', 0);
  assert.deepEqual(typeErrors({ 'app.ts': after.replace('crypto.randomUUID()', "'id'"), 'db/schema.ts': drizzleSchema }), []);
});

test('drizzle: an upsert copying updated_at from excluded without a guard (upsert-without-ordering-guard); a setWhere guard or a server clock is fine', () => {
  const base = `import { sql } from 'drizzle-orm';
import { db } from './db';
import { credential } from './db/schema';
export async function sync(row: any) {
  await db.insert(credential).values(row).onConflictDoUpdate({
    target: [credential.workspaceId, credential.name],
    set: { secret: sql\`excluded.secret\`, updatedAt: sql\`excluded.updated_at\` },
  });
}
`;
  const [f] = only(lintTs(base, drizzleFiles), 'upsert-without-ordering-guard');
  assert.match(f.message, /setWhere/);
  only(lintTs(base.replace('  });', '    setWhere: sql`excluded.updated_at > ${credential.updatedAt}`,\n  });'), drizzleFiles), 'upsert-without-ordering-guard', 0);
  only(lintTs(base.replace('updatedAt: sql`excluded.updated_at`', 'updatedAt: new Date()'), drizzleFiles), 'upsert-without-ordering-guard', 0);
});

test('drizzle schema: a composite unique key over a nullable column (unique-key-allows-null-duplicates) in a PostgreSQL schema file; not with nullsNotDistinct, not in SQLite', () => {
  const schema = `import { pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
export const event = pgTable('event', {
  id: text('id').primaryKey(),
  journeyId: text('journey_id').notNull(),
  nodeId: text('node_id'),
}, (t) => [
  uniqueIndex('event_journey_node').on(t.journeyId, t.nodeId),
]);
`;
  const [f] = only(lintTs(schema, [], 'src/db/schema.ts'), 'unique-key-allows-null-duplicates');
  assert.match(schema.slice(f.start, f.end), /^uniqueIndex\('event_journey_node'\)/);
  assert.match(f.message, /node_id is NULL/);
  assert.match(f.message, /nullsNotDistinct|notNull/);
  only(lintTs(schema.replace("nodeId: text('node_id')", "nodeId: text('node_id').notNull()"), [], 'src/db/schema.ts'), 'unique-key-allows-null-duplicates', 0);
  only(lintTs(schema.replace(/pgTable/g, 'sqliteTable').replace('pg-core', 'sqlite-core'), [], 'src/db/schema.ts'), 'unique-key-allows-null-duplicates', 0);
});

// ---- Kysely -------------------------------------------------------------------------------------

const kyselyMigration = `import { Kysely } from 'kysely';
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('follow')
    .addColumn('uri', 'varchar', (col) => col.primaryKey())
    .addColumn('creator', 'varchar', (col) => col.notNull())
    .addColumn('subjectDid', 'varchar', (col) => col.notNull())
    .addUniqueConstraint('follow_unique_subject', ['creator', 'subjectDid'])
    .execute();
}
`;
const kyselyFiles = [{ path: 'src/db/migrations/001-init.ts', text: kyselyMigration }];
const kyselyInsert = `import type { Kysely } from 'kysely';

interface Database {
  follow: { uri: string; creator: string; subjectDid: string };
}

export class FollowPlugin {
  constructor(private readonly db: { db: Kysely<Database> }) {}

  async insertFollow(obj: { uri: string; creator: string; subjectDid: string }) {
    const inserted = await this.db.db
      .insertInto('follow')
      .values(obj)
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    return inserted;
  }
}
`;

test('kysely: oc.doNothing() with no column, receiver this.db.db, chain split over lines; the fix adds oc.column(...) of the primary key, re-lints clean and type-checks', () => {
  const [f] = only(lintTs(kyselyInsert, kyselyFiles), 'on-conflict-without-target');
  assert.match(kyselyInsert.slice(f.start, f.end), /^onConflict\(\(oc\) => oc\.doNothing\(\)\)$/);
  assert.match(f.message, /any of public\.follow's 2 unique keys/);
  assert.deepEqual(f.fixes.map((x) => x.edits[0].newText), ["column('uri').", "columns(['creator', 'subjectDid'])."]);
  for (const fix of f.fixes) {
    const after = applyEdits(kyselyInsert, fix);
    only(lintTs(after, kyselyFiles), 'on-conflict-without-target', 0);
    only(lintTs(after, kyselyFiles), 'on-conflict-target-without-unique-index', 0);
    assert.deepEqual(typeErrors({ 'app.ts': after }), []);
  }
});

test('kysely: a target column that is no unique key of the migration-declared table is reported; no finding in a MySQL file', () => {
  const bad = kyselyInsert.replace('oc.doNothing()', "oc.column('creator').doNothing()");
  const [f] = only(lintTs(bad, kyselyFiles), 'on-conflict-target-without-unique-index');
  assert.match(f.message, /follow_unique_subject/);
  const mysql = `import { Kysely as K, MysqlDialect } from 'kysely';\nexport const db = new K<unknown>({ dialect: new MysqlDialect({ pool: {} as never }) });\n${kyselyInsert}`;
  only(lintTs(mysql, kyselyFiles), 'on-conflict-without-target', 0);
});

// ---- knex ---------------------------------------------------------------------------------------

const knexMigration = `exports.up = function (knex) {
  return knex.schema.createTable('post_tag', (table) => {
    table.increments('id');
    table.integer('post_id').notNullable();
    table.string('tag').notNullable();
    table.unique(['post_id', 'tag']);
  });
};
`;
const knexFiles = [{ path: 'migrations/20240101_post_tag.js', text: knexMigration }];
const knexInsert = `import type { Knex } from 'knex';

export async function addTags(knex: Knex, postId: number, tags: string[]) {
  await knex.transaction(async (trx) => {
    await trx('post_tag')
      .insert(tags.map((tag) => ({ post_id: postId, tag })))
      .onConflict()
      .ignore();
  });
}
`;

test('knex: .onConflict().ignore() inside a transaction; the fix names the unique columns, re-lints clean and type-checks', () => {
  const [f] = only(lintTs(knexInsert, knexFiles), 'on-conflict-without-target');
  assert.equal(knexInsert.slice(f.start, f.end).replace(/\s+/g, ''), '.onConflict().ignore()'.slice(1));
  assert.match(preferred(f), /\.onConflict\(\['post_id', 'tag'\]\)\.ignore\(\)/);
  const after = fixed(knexInsert, f);
  assert.match(after, /\.onConflict\(\['post_id', 'tag'\]\)/);
  only(lintTs(after, knexFiles), 'on-conflict-without-target', 0);
  assert.deepEqual(typeErrors({ 'app.ts': after }), []);
});

test('knex: a MySQL client in the project (knexfile client: mysql2) means no PostgreSQL finding', () => {
  const knexfile = { path: 'knexfile.js', text: "module.exports = { client: 'mysql2', connection: process.env.DATABASE_URL };\n" };
  const withClient = `${knexInsert}\nexport const config = { client: 'mysql2' };\n`;
  only(lintTs(withClient, [...knexFiles, knexfile]), 'on-conflict-without-target', 0);
});

// ---- Prisma, Sequelize, TypeORM, MikroORM -------------------------------------------------------

const prismaSchema = `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model DatasetItemMedia {
  id            String @id @default(cuid())
  datasetItemId String
  mediaId       String
  @@unique([datasetItemId, mediaId])
}
`;
const prismaCall = `import { Prisma } from '@prisma/client';

export async function link(tx: Prisma.TransactionClient, rows: { datasetItemId: string; mediaId: string }[]) {
  await tx.datasetItemMedia.createMany({
    data: rows,
    skipDuplicates: true,
  });
}
`;

test('prisma: createMany({ skipDuplicates: true }) on a postgresql schema: reported on skipDuplicates, the message says Prisma has no target and suggests @@unique + upsert; no edit offered; sqlite: nothing', () => {
  const files = [{ path: 'prisma/schema.prisma', text: prismaSchema }];
  const [f] = only(lintTs(prismaCall, files), 'on-conflict-without-target');
  assert.equal(prismaCall.slice(f.start, f.end), 'skipDuplicates: true');
  assert.match(f.message, /Prisma has no option to name one/);
  assert.match(f.message, /@@unique\(\[dataset_?item_?id, media_?id\]\)|@@unique\(\[datasetItemId, mediaId\]\)/i);
  assert.match(f.message, /upsert/);
  assert.equal(f.fixes.filter((x) => x.edits.length).length, 0);
  only(lintTs(prismaCall, [{ path: 'prisma/schema.prisma', text: prismaSchema.replace('"postgresql"', '"sqlite"') }]), 'on-conflict-without-target', 0);
});

test('sequelize: bulkCreate(rows, { ignoreDuplicates: true }); the fix names the key with conflictAttributes and re-lints clean', () => {
  const text = `const { Sequelize, DataTypes } = require('sequelize');
const sequelize = new Sequelize(process.env.DATABASE_URL, { dialect: 'postgres' });
const Tag = sequelize.define('Tag', {
  name: { type: DataTypes.STRING, allowNull: false, unique: true },
});
async function save(rows) {
  await Tag.bulkCreate(rows, { ignoreDuplicates: true });
}
module.exports = { save };
`;
  const [f] = only(lintTs(text, [{ path: 'models/tag.js', text }], 'models/tag.js'), 'on-conflict-without-target');
  assert.equal(text.slice(f.start, f.end), 'ignoreDuplicates: true');
  const after = fixed(text, f);
  assert.match(after, /conflictAttributes: \['name'\]/);
  only(lintTs(after, [{ path: 'models/tag.js', text: after }], 'models/tag.js'), 'on-conflict-without-target', 0);
  // MySQL: nothing
  const mysql = text.replace("dialect: 'postgres'", "dialect: 'mysql'");
  only(lintTs(mysql, [{ path: 'models/tag.js', text: mysql }], 'models/tag.js'), 'on-conflict-without-target', 0);
});

test('typeorm: .orIgnore() on an insert query builder; the fix writes .onConflict(...) with the key and re-lints clean', () => {
  const entity = `import { Entity, PrimaryGeneratedColumn, Column, Unique } from 'typeorm';
@Entity('subscription')
@Unique(['userId', 'topic'])
export class Subscription {
  @PrimaryGeneratedColumn() id: number;
  @Column({ name: 'user_id' }) userId: string;
  @Column() topic: string;
}
`;
  const text = `import { DataSource } from 'typeorm';
import { Subscription } from './entity/Subscription';
export async function subscribe(ds: DataSource, rows: Partial<Subscription>[]) {
  await ds
    .createQueryBuilder()
    .insert()
    .into(Subscription)
    .values(rows)
    .orIgnore()
    .execute();
}
`;
  const files = [{ path: 'src/entity/Subscription.ts', text: entity }];
  const [f] = only(lintTs(text, files), 'on-conflict-without-target');
  assert.equal(text.slice(f.start, f.end), 'orIgnore()');
  const after = fixed(text, f);
  assert.match(after, /\.onConflict\('\("user_id", "topic"\) DO NOTHING'\)|\.onConflict\('\(user_id, topic\) DO NOTHING'\)/);
  only(lintTs(after, files), 'on-conflict-without-target', 0);
});

test('mikro-orm: qb.insert(...).onConflict().ignore() on one line; the fix names the key', () => {
  const entity = `import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
@Entity({ tableName: 'link' })
@Unique({ properties: ['from', 'to'] })
export class Link {
  @PrimaryKey() id!: number;
  @Property() from!: string;
  @Property() to!: string;
}
`;
  const text = `import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { Link } from './entities/Link';
export async function addLinks(manager: SqlEntityManager, rows: object[]) {
  const qb = manager.qb(Link);
  await qb.insert(rows).onConflict().ignore().execute();
}
`;
  const files = [{ path: 'src/entities/Link.ts', text: entity }];
  const [f] = only(lintTs(text, files), 'on-conflict-without-target');
  const after = fixed(text, f);
  assert.match(after, /\.onConflict\(\['from', 'to'\]\)\.ignore\(\)/);
  only(lintTs(after, files), 'on-conflict-without-target', 0);
});

test('the engine\'s one token stream gives host rules the same token objects as significantTokens (JS, TS, JSX)', async () => {
  const { significantTokens } = await import('../../../src/embedded/jsTokens');
  const { TokenStream } = await import('../../../src/embedded/orm/stream');
  const { usesJsx } = await import('../../../src/embedded/extract');
  const fs = await import('node:fs');
  const samples: Array<[string, 'typescript' | 'typescriptreact']> = [
    [fs.readFileSync(path.join(root, 'src/engine/analyze.ts'), 'utf8'), 'typescript'],
    [fs.readFileSync(path.join(root, 'src/embedded/orm/recognise.ts'), 'utf8'), 'typescript'],
    ['const A = () => <div className="x">{`t ${1}`} /re/ {a / b}</div>;\n// c\nconst r = /}/g;\n', 'typescriptreact'],
  ];
  for (const [text, lang] of samples) {
    assert.deepEqual(new TokenStream(text, usesJsx(text, lang)).jsTokens(), significantTokens(text, lang));
  }
});

test('prisma schema file: a composite @@unique over optional fields (unique-key-allows-null-duplicates) on PostgreSQL, on the @@unique line; not on SQLite, not when the fields are required', () => {
  const schema = `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Price {
  id        String    @id @default(cuid())
  projectId String?
  modelName String
  startDate DateTime?
  @@unique([projectId, modelName, startDate])
}
`;
  const lint = (text: string) => analyze({ text, path: 'prisma/schema.prisma', reuse: false }).findings;
  const [f] = only(lint(schema), 'unique-key-allows-null-duplicates');
  assert.equal(schema.slice(f.start, f.end), '@@unique([projectId, modelName, startDate])');
  assert.match(f.message, /projectId or startDate is NULL/);
  assert.equal(lint(schema).length, 1, 'nothing else: a Prisma schema is neither SQL nor JS');
  only(lint(schema.replace('"postgresql"', '"sqlite"')), 'unique-key-allows-null-duplicates', 0);
  only(lint(schema.replace('String?', 'String').replace('DateTime?', 'DateTime')), 'unique-key-allows-null-duplicates', 0);
  // an ignore comment on the line above silences it
  const ignored = schema.replace('  @@unique', '  // dupguard-ignore unique-key-allows-null-duplicates: legacy rows\n  @@unique');
  only(lint(ignored), 'unique-key-allows-null-duplicates', 0);
  only(lint(ignored), 'unused-suppression', 0);
});
