import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readOrmSchema, type OrmSchemaFile } from '../../../src/embedded/orm/schema';
import { OrmSchemaIndex, asInsertFacts, duplicateKeyRows } from '../../../src/embedded/orm/resolve';
import { keyNames } from '../../../src/embedded/orm/fix';
import { recogniseOrm } from '../../../src/embedded/orm/recognise';

/** `kind name (cols) WHERE ... @line` per key of a table. */
function keys(f: OrmSchemaFile, table: string): string[] {
  const t = f.tables.find((x) => x.table.name === table);
  assert.ok(t, `table ${table} among ${f.tables.map((x) => x.table.name).join(', ')}`);
  return t.table.keys.map((k) => `${k.kind}${k.name ? ` ${k.name}` : ''} (${k.columns.join(', ')})${k.predicate ? ` WHERE ${k.predicate}` : ''}${k.nullsNotDistinct ? ' NND' : ''} @${k.origin?.line}`);
}

function nullable(f: OrmSchemaFile, table: string): string[] {
  return f.tables.find((x) => x.table.name === table)!.table.columns.filter((c) => !c.notNull).map((c) => c.name);
}

test('drizzle: column modifiers, array and object extra config, uniqueIndex with where, primaryKey({ columns }), dialect', () => {
  const text = `import { pgTable, pgSchema, text, uuid, integer, unique, uniqueIndex, primaryKey } from 'drizzle-orm/pg-core'
import { sql } from 'drizzle-orm'
export const workspace = pgTable(
  'Workspace',
  {
    id: uuid().primaryKey().defaultRandom().notNull(),
    name: text().notNull(),
    parentWorkspaceId: uuid(),
    email: text('email_address').unique(),
  },
  (table) => [
    unique('Workspace_parent_name_key').on(table.parentWorkspaceId, table.name).nullsNotDistinct(),
  ],
)
export const credential = pgTable('credential', {
  id: text('id').primaryKey(),
  workspaceId: text('workspace_id').notNull(),
  envKey: text('env_key'),
}, (table) => ({
  envUnique: uniqueIndex('credential_env_unique').on(table.workspaceId, table.envKey).where(sql\`\${table.envKey} IS NOT NULL\`),
}))
const schema = pgSchema('workflow')
export const streams = schema.table('streams', {
  streamId: text('stream_id').notNull(),
  chunkId: integer('chunk_id').notNull(),
}, (t) => [primaryKey({ columns: [t.streamId, t.chunkId] })])
`;
  const f = readOrmSchema('db/schema.ts', text);
  assert.equal(f.dialect, 'postgresql');
  assert.deepEqual(keys(f, 'Workspace'), ['primary (id) @6', 'unique (email_address) @9', 'unique Workspace_parent_name_key (parentWorkspaceId, name) NND @12']);
  assert.deepEqual(nullable(f, 'Workspace'), ['parentWorkspaceId', 'email_address']);
  assert.deepEqual(keys(f, 'credential'), ['primary (id) @16', 'unique-index credential_env_unique (workspace_id, env_key) WHERE env_key IS NOT NULL @20']);
  assert.deepEqual(f.tables.find((t) => t.table.name === 'credential')!.fields, { id: 'id', workspaceId: 'workspace_id', envKey: 'env_key' });
  const streams = f.tables.find((t) => t.table.name === 'streams')!;
  assert.equal(streams.table.schema, 'workflow');
  assert.equal(streams.ormName, 'streams');
  assert.deepEqual(keys(f, 'streams'), ['primary (stream_id, chunk_id) @26']);
  assert.equal(f.tables[0].table.columns.find((c) => c.name === 'id')!.surrogate, true);
  assert.equal(readOrmSchema('s.ts', text.replace(/pgTable/g, 'sqliteTable').replace('drizzle-orm/pg-core', 'drizzle-orm/sqlite-core').replace(/pgSchema/g, 'x')).dialect, 'sqlite');
});

test('prisma: @id, @unique, @@id, @@unique with map, @map/@@map, optional fields, relation fields, provider', () => {
  const text = `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}
model DatasetItemMedia {
  id                   String    @id @default(cuid())
  projectId            String    @map("project_id")
  datasetItemValidFrom DateTime? @map("dataset_item_valid_from")
  jsonPath             String?   @map("json_path")
  media                Media     @relation(fields: [mediaId], references: [id])
  mediaId              String    @map("media_id")

  @@unique([projectId, datasetItemValidFrom, jsonPath], map: "dim_unique")
  @@map("dataset_item_media")
}
model PendingDeletion {
  id        String @id @default(cuid())
  objectId  String @unique
}
model Score {
  id        String
  projectId String
  @@id([id, projectId])
}
`;
  const f = readOrmSchema('prisma/schema.prisma', text);
  assert.equal(f.dialect, 'postgresql');
  assert.deepEqual(keys(f, 'dataset_item_media'), ['primary (id) @6', 'unique-index dim_unique (project_id, dataset_item_valid_from, json_path) @13']);
  assert.deepEqual(nullable(f, 'dataset_item_media'), ['dataset_item_valid_from', 'json_path']);
  assert.ok(!f.tables[0].table.columns.some((c) => c.name === 'media'), 'relation fields hold no column');
  assert.equal(f.tables[0].table.columns.find((c) => c.name === 'id')!.surrogate, true);
  assert.deepEqual(keys(f, 'PendingDeletion'), ['primary (id) @17', 'unique-index (objectId) @18']);
  assert.deepEqual(keys(f, 'Score'), ['primary (id, projectId) @23']);
  assert.equal(readOrmSchema('schema.prisma', text.replace('postgresql', 'sqlite')).dialect, 'sqlite');
});

test('kysely migration: addColumn callbacks, addUniqueConstraint, addPrimaryKeyConstraint, createIndex().unique()', () => {
  const text = `import { Kysely, sql } from 'kysely'
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('follow')
    .addColumn('uri', 'varchar', (col) => col.primaryKey())
    .addColumn('creator', 'varchar', (col) => col.notNull())
    .addColumn('subjectDid', 'varchar', (col) => col.notNull())
    .addUniqueConstraint('follow_unique_subject', ['creator', 'subjectDid'])
    .execute()
  await db.schema.createTable('app_password')
    .addColumn('did', 'varchar', (col) => col.notNull())
    .addColumn('name', 'varchar', (col) => col.notNull())
    .addPrimaryKeyConstraint('app_password_pkey', ['did', 'name'])
    .execute()
  await db.schema.createIndex('actor_handle_lower_idx').unique().on('actor').expression(sql\`lower("handle")\`).execute()
}
`;
  const f = readOrmSchema('migrations/001-init.ts', text);
  assert.deepEqual(keys(f, 'follow'), ['primary (uri) @5', 'unique follow_unique_subject (creator, subjectDid) @8']);
  assert.deepEqual(keys(f, 'app_password'), ['primary app_password_pkey (did, name) @13']);
  assert.deepEqual(keys(f, 'actor'), ['unique-index actor_handle_lower_idx (lower("handle")) @15']);
});

test('knex migration: increments, .primary(), .unique(), table.unique([...]), notNullable', () => {
  const text = `exports.up = async function (knex) {
  await knex.schema.createTable('follows', (table) => {
    table.increments('id')
    table.integer('follower_id').notNullable()
    table.integer('following_id').notNullable()
    table.string('email').unique()
    table.unique(['follower_id', 'following_id'], { indexName: 'follows_pair' })
  })
  await knex.schema.createTable('tags', function (t) {
    t.string('slug').primary()
  })
}
`;
  const f = readOrmSchema('migrations/20240101_init.js', text);
  assert.deepEqual(keys(f, 'follows'), ['primary (id) @3', 'unique (email) @6', 'unique follows_pair (follower_id, following_id) @7']);
  assert.deepEqual(nullable(f, 'follows'), ['email']);
  assert.deepEqual(keys(f, 'tags'), ['primary (slug) @10']);
});

test('sequelize: define and init with attribute unique/primaryKey/allowNull/field and unique indexes', () => {
  const text = `const { DataTypes, Model } = require('sequelize')
const Member = sequelize.define('Member', {
  id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
  email: { type: DataTypes.STRING, allowNull: false, unique: true },
  CollectiveId: { type: DataTypes.INTEGER, field: 'collective_id' },
  role: { type: DataTypes.STRING },
}, { indexes: [{ unique: true, fields: ['CollectiveId', 'role'] }] })
class Tag extends Model {}
Tag.init({ slug: { type: DataTypes.STRING, primaryKey: true } }, { sequelize, tableName: 'tags' })
`;
  const f = readOrmSchema('models/member.js', text);
  assert.deepEqual(keys(f, 'Members'), ['primary (id) @3', 'unique (email) @4', 'unique-index (collective_id, role) @7']);
  assert.deepEqual(nullable(f, 'Members'), ['collective_id', 'role']);
  assert.deepEqual(keys(f, 'tags'), ['primary (slug) @9']);
  assert.equal(f.tables.find((t) => t.table.name === 'tags')!.ormName, 'Tag');
});

test('typeorm and mikro-orm entities: class and property decorators', () => {
  const typeorm = `import { Entity, Column, PrimaryGeneratedColumn, Unique, Index } from 'typeorm'
@Entity()
@Unique(['messageId'])
@Index(['chatflowid', 'chatId'], { unique: true })
export class ChatMessageFeedback {
  @PrimaryGeneratedColumn('uuid')
  id: string

  @Column()
  chatflowid: string

  @Column({ nullable: true })
  chatId?: string

  @Column({ type: 'uuid' })
  messageId: string

  @Column({ unique: true, nullable: true, name: 'external_ref' })
  externalRef?: string
}
`;
  const t = readOrmSchema('entities/ChatMessageFeedback.ts', typeorm);
  assert.deepEqual(keys(t, 'chat_message_feedback'), ['primary (id) @6', 'unique (external_ref) @18', 'unique (messageId) @3', 'unique-index (chatflowid, chatId) @4']);
  assert.deepEqual(nullable(t, 'chat_message_feedback'), ['chatId', 'external_ref']);
  const mikro = `import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core'
@Entity()
@Unique({ properties: ['provider', 'providerAccountId'] })
export class Account {
  @PrimaryKey()
  id: string = randomUUID()

  @Property()
  provider!: string

  @Property()
  providerAccountId!: string

  @Property({ nullable: true })
  @Unique()
  refreshToken?: string
}
`;
  const m = readOrmSchema('entities.ts', mikro);
  assert.equal(m.library, 'mikro-orm');
  assert.deepEqual(keys(m, 'account'), ['primary (id) @5', 'unique (refresh_token) @15', 'unique (provider, provider_account_id) @3']);
  assert.deepEqual(nullable(m, 'account'), ['refresh_token']);
});

test('resolve: a Drizzle write joined to its pgTable (SQL names, InsertFacts shape), key names for the fix, duplicate literal keys', () => {
  const schema = readOrmSchema('schema.ts', `import { pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core'
export const memory = pgTable('memory', {
  id: text('id').primaryKey(),
  workspaceId: text('workspace_id').notNull(),
  key: text('key').notNull(),
}, (t) => [uniqueIndex('memory_workspace_key_idx').on(t.workspaceId, t.key)])
`);
  const index = new OrmSchemaIndex([schema]);
  const text = `import { memory as mem } from '@sim/db/schema'
await db.insert(mem).values([{ workspaceId: 'w', key: 'k' }, { workspaceId: 'w', key: 'k' }]).onConflictDoNothing()
`;
  const w = recogniseOrm(text).writes[0];
  const table = index.lookup(w.table, w.library)!;
  assert.equal(table.table.name, 'memory');
  const ins = asInsertFacts(w, table)!;
  assert.deepEqual(ins.columns!.map((c) => c.name), ['workspace_id', 'key']);
  assert.equal(ins.table.name, 'memory');
  assert.equal(ins.onConflict!.target.kind, 'none');
  assert.equal(text.slice(ins.onConflict!.head.start, ins.onConflict!.head.end), 'onConflictDoNothing()');
  const key = table.table.keys.find((k) => k.kind === 'unique-index')!;
  assert.deepEqual(keyNames('drizzle', key.columns, table), ['workspaceId', 'key']);
  assert.equal(duplicateKeyRows(w, ['workspaceId', 'key']).length, 1);
  assert.equal(index.dialect(), 'postgresql');
});

const corpus = path.resolve(__dirname, '../../../../shared/corpus/ts-real/schema');
const skip = !fs.existsSync(corpus) && 'corpus absent: ../shared/corpus';
if (skip) console.log(`# ORM schema corpus checks skipped: ${skip}`);

test('corpus schema files: the keys the ORM labels name, at the lines they name', { skip }, () => {
  const read = (f: string) => readOrmSchema(f, fs.readFileSync(path.join(corpus, f), 'utf8'));
  const sim = read('simstudioai__sim__packages__db__schema.ts');
  assert.ok(keys(sim, 'memory').includes('unique-index memory_workspace_key_idx (workspace_id, key) @2444'));
  assert.ok(keys(sim, 'credential').some((k) => k.startsWith('unique-index credential_workspace_env_unique (workspace_id, type, env_key) WHERE') && k.endsWith('@3967')));
  const bsky = read('bluesky-social__atproto__packages__bsky__src__data-plane__server__db__migrations__20230309T045948368Z-init.ts');
  assert.deepEqual(keys(bsky, 'follow'), ['primary (uri) @189', 'unique follow_unique_subject (creator, subjectDid) @201']);
  const langfuse = read('langfuse__langfuse__packages__shared__prisma__schema.prisma');
  assert.equal(langfuse.dialect, 'postgresql');
  assert.ok(keys(langfuse, 'dataset_item_media').some((k) => k.endsWith('@1434')));
  assert.deepEqual(keys(langfuse, 'pending_deletions'), ['primary (id) @1830']);
  const umami = read('umami-software__umami__prisma__schema.prisma');
  assert.deepEqual(keys(umami, 'session'), ['primary (session_id) @35']);
  const ditto = read('dittofeed__dittofeed__packages__backend-lib__src__db__schema.ts');
  assert.deepEqual(nullable(ditto, 'UserJourneyEvent'), ['journeyId', 'nodeId', 'eventKey', 'eventKeyName']);
  assert.equal(read('homarr-labs__homarr__packages__db__schema__mysql.ts').dialect, 'mysql');
  assert.equal(read('Mintplex-Labs__anything-llm__server__prisma__schema.prisma').dialect !== 'sqlite', true);
});
