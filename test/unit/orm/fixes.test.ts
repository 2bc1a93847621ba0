/**
 * Quick fixes of ORM calls in each library's own syntax, beyond naming a missing target: retargeting a
 * conflict target that is no unique key (on-conflict-target-without-unique-index), the ordering guard
 * of an upsert (upsert-without-ordering-guard), and the atomic form of a check-then-insert
 * (check-then-insert-race). Each fix is applied, linted again (clean), and type-checked against the
 * library's own declarations (all of these libraries are dev dependencies; Prisma's, against the client
 * generated from the test's schema).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixed, lintTs, only, preferred } from './lint';
import { prismaClient, typeErrors } from './typecheck';

// ---- upsert-without-ordering-guard --------------------------------------------------------------

const drizzleSchema = `import { pgTable, text, integer, timestamp, unique } from 'drizzle-orm/pg-core';

export const device = pgTable('device', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  serial: text('serial').notNull(),
  label: text('label'),
  firmware: integer('firmware').notNull(),
  updatedAt: timestamp('updated_at').notNull(),
}, (t) => [unique('device_tenant_serial').on(t.tenantId, t.serial)]);
`;
const drizzleFiles = [{ path: 'src/db/schema.ts', text: drizzleSchema }];

const drizzleUpsert = `import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { device as dev } from './db/schema.js';

export async function report(db: PgDatabase<PgQueryResultHKT>, e: { id: string; tenantId: string; serial: string; firmware: number; at: Date }) {
  await db.transaction(async (tx) => {
    await tx
      .insert(dev)
      .values({ id: e.id, tenantId: e.tenantId, serial: e.serial, firmware: e.firmware, updatedAt: e.at })
      .onConflictDoUpdate({
        target: [dev.tenantId, dev.serial],
        set: { firmware: sql\`excluded.firmware\`, updatedAt: sql\`excluded.updated_at\` },
      });
  });
}
`;

test('drizzle upsert: the ordering guard fix adds setWhere: sql`excluded.updated_at > ${t.updatedAt}` on the aliased table; re-lints clean and type-checks', () => {
  const [f] = only(lintTs(drizzleUpsert, drizzleFiles), 'upsert-without-ordering-guard');
  assert.match(preferred(f), /setWhere: sql`excluded\.updated_at > \$\{dev\.updatedAt\}`/);
  assert.match(f.message, /setWhere: sql`excluded\.updated_at > \$\{dev\.updatedAt\}`/);
  const after = fixed(drizzleUpsert, f);
  assert.match(after, /set: \{ firmware: sql`excluded\.firmware`, updatedAt: sql`excluded\.updated_at` \}, setWhere: sql`excluded\.updated_at > \$\{dev\.updatedAt\}`,\n/);
  only(lintTs(after, drizzleFiles), 'upsert-without-ordering-guard', 0);
  assert.deepEqual(typeErrors({ 'app.ts': after, 'db/schema.ts': drizzleSchema }), []);
});

test('drizzle upsert: without an import of sql the fix adds it; with a where already in the config no edit is offered', () => {
  const noSql = drizzleUpsert.replace("import { sql } from 'drizzle-orm';\n", '').replace('firmware: sql`excluded.firmware`', 'firmware: e.firmware').replace('updatedAt: sql`excluded.updated_at`', "updatedAt: excluded('updated_at')");
  const plain = `${noSql}declare function excluded(c: string): any;\n`;
  const [f] = only(lintTs(plain, drizzleFiles), 'upsert-without-ordering-guard');
  const after = fixed(plain, f);
  assert.ok(after.startsWith("import { sql } from 'drizzle-orm';\nimport type { PgDatabase"), after.slice(0, 80));
  only(lintTs(after, drizzleFiles), 'upsert-without-ordering-guard', 0);
  assert.deepEqual(typeErrors({ 'app.ts': after, 'db/schema.ts': drizzleSchema }), []);
  const withWhere = drizzleUpsert.replace('target: [dev.tenantId, dev.serial],', 'target: [dev.tenantId, dev.serial],\n        where: sql`true`,');
  const [g] = only(lintTs(withWhere, drizzleFiles), 'upsert-without-ordering-guard');
  assert.equal(g.fixes.length, 0);
});

const kyselyMigration = `import { Kysely, sql } from 'kysely';
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('reading')
    .addColumn('sensor', 'varchar', (col) => col.notNull())
    .addColumn('kind', 'varchar', (col) => col.notNull())
    .addColumn('value', 'float8', (col) => col.notNull())
    .addColumn('note', 'varchar')
    .addColumn('version', 'bigint', (col) => col.notNull())
    .addUniqueConstraint('reading_sensor_kind', ['sensor', 'kind'])
    .execute();
}
`;
const kyselyFiles = [{ path: 'src/db/migrations/001-reading.ts', text: kyselyMigration }];
const kyselyUpsert = `import type { Kysely } from 'kysely';

interface Database {
  reading: { sensor: string; kind: string; value: number; note: string | null; version: number };
}

export async function store(db: Kysely<Database>, r: { sensor: string; kind: string; value: number; version: number }) {
  await db
    .insertInto('reading')
    .values({ sensor: r.sensor, kind: r.kind, value: r.value, version: r.version })
    .onConflict((oc) =>
      oc.columns(['sensor', 'kind']).doUpdateSet({
        value: (eb) => eb.ref('excluded.value'),
        version: (eb) => eb.ref('excluded.version'),
      }),
    )
    .execute();
}
`;

test('kysely upsert: the ordering guard fix chains .whereRef(\'excluded.version\', \'>\', \'reading.version\') after doUpdateSet; re-lints clean and type-checks', () => {
  const [f] = only(lintTs(kyselyUpsert, kyselyFiles), 'upsert-without-ordering-guard');
  assert.equal(preferred(f), "Only overwrite with a newer row: .whereRef('excluded.version', '>', 'reading.version')");
  const after = fixed(kyselyUpsert, f);
  assert.match(after, /\}\)\.whereRef\('excluded\.version', '>', 'reading\.version'\),\n/);
  only(lintTs(after, kyselyFiles), 'upsert-without-ordering-guard', 0);
  assert.deepEqual(typeErrors({ 'app.ts': after }), []);
});

const knexMigration = `exports.up = (knex) => knex.schema.createTable('stock', (t) => {
  t.string('sku').notNullable().primary();
  t.integer('qty').notNullable();
  t.bigInteger('ts_ms').notNullable();
});
`;
const knexFiles = [{ path: 'migrations/001_stock.js', text: knexMigration }];
const knexUpsert = `import type { Knex } from 'knex';

export async function apply(knex: Knex, ev: { sku: string; qty: number; ts_ms: number }) {
  await knex('stock')
    .insert({ sku: ev.sku, qty: ev.qty, ts_ms: ev.ts_ms })
    .onConflict('sku')
    .merge(['qty', 'ts_ms']);
}
`;

test('knex upsert: the ordering guard fix chains .whereRaw(\'excluded.?? > ??\', [...]) after .merge(...); re-lints clean and type-checks', () => {
  const [f] = only(lintTs(knexUpsert, knexFiles), 'upsert-without-ordering-guard');
  assert.equal(preferred(f), "Only overwrite with a newer row: .whereRaw('excluded.?? > ??', ['ts_ms', 'stock.ts_ms'])");
  const after = fixed(knexUpsert, f);
  assert.match(after, /\.merge\(\['qty', 'ts_ms'\]\)\.whereRaw\('excluded\.\?\? > \?\?', \['ts_ms', 'stock\.ts_ms'\]\);/);
  only(lintTs(after, knexFiles), 'upsert-without-ordering-guard', 0);
  assert.deepEqual(typeErrors({ 'app.ts': after }), []);
});

// ---- on-conflict-target-without-unique-index: retargeting to a key the call writes ----------------

test('drizzle: a target that is no key is retargeted to the unique key the written columns cover; re-lints clean and type-checks', () => {
  const bad = drizzleUpsert.replace('target: [dev.tenantId, dev.serial]', 'target: dev.serial');
  const [f] = only(lintTs(bad, drizzleFiles), 'on-conflict-target-without-unique-index');
  assert.equal(bad.slice(f.start, f.end), 'dev.serial');
  assert.deepEqual(f.fixes.map((x) => x.edits[0].newText), ['[dev.tenantId, dev.serial]', 'dev.id']);
  const after = fixed(bad, f);
  assert.equal(after.replace(/setWhere[^\n]*/, ''), drizzleUpsert.replace(/setWhere[^\n]*/, ''));
  only(lintTs(after, drizzleFiles), 'on-conflict-target-without-unique-index', 0);
  assert.deepEqual(typeErrors({ 'app.ts': after, 'db/schema.ts': drizzleSchema }), []);
});

test('drizzle: no retarget when the written columns are not literal or cover no key, and the message says why', () => {
  const rows = drizzleUpsert.replace('.values({ id: e.id, tenantId: e.tenantId, serial: e.serial, firmware: e.firmware, updatedAt: e.at })', '.values(e as never)').replace('target: [dev.tenantId, dev.serial]', 'target: dev.serial');
  const [f] = only(lintTs(rows, drizzleFiles), 'on-conflict-target-without-unique-index');
  assert.equal(f.fixes.length, 0);
  assert.match(f.message, /No quick fix: the call's columns are not literal/);
  const partial = drizzleUpsert.replace('{ id: e.id, tenantId: e.tenantId, serial: e.serial,', '{ serial: e.serial,').replace('target: [dev.tenantId, dev.serial]', 'target: dev.serial');
  const [g] = only(lintTs(partial, drizzleFiles), 'on-conflict-target-without-unique-index');
  assert.equal(g.fixes.length, 0);
  assert.match(g.message, /No quick fix: the call writes \(serial, firmware, updated_at\), which covers none of the table's unique keys/);
});

test('kysely and knex: the retarget fix writes oc.columns([...]) / .onConflict([...]) with the key; re-lints clean and type-checks', () => {
  const k = kyselyUpsert.replace("oc.columns(['sensor', 'kind'])", "oc.column('kind')");
  const [f] = only(lintTs(k, kyselyFiles), 'on-conflict-target-without-unique-index');
  assert.equal(preferred(f), "Use conflict target columns(['sensor', 'kind']) (unique constraint reading_sensor_kind (sensor, kind))");
  const after = fixed(k, f);
  assert.equal(after, kyselyUpsert);
  assert.deepEqual(typeErrors({ 'app.ts': after }), []);
  const kn = knexUpsert.replace(".onConflict('sku')", ".onConflict('qty')");
  const [g] = only(lintTs(kn, knexFiles), 'on-conflict-target-without-unique-index');
  const afterKnex = fixed(kn, g);
  assert.equal(afterKnex, knexUpsert);
  only(lintTs(afterKnex, knexFiles), 'on-conflict-target-without-unique-index', 0);
  assert.deepEqual(typeErrors({ 'app.ts': afterKnex }), []);
});

// ---- Sequelize, TypeORM, MikroORM (type-checked) and Prisma --------------------------------------

const sequelizeModel = `import { DataTypes, Model, Sequelize, type CreationOptional, type InferAttributes, type InferCreationAttributes } from 'sequelize';

export const sequelize = new Sequelize('postgres://localhost/app', { dialect: 'postgres' });

export class Member extends Model<InferAttributes<Member>, InferCreationAttributes<Member>> {
  declare id: CreationOptional<number>;
  declare orgId: number;
  declare email: string;
  declare role: string;
}

Member.init({
  id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
  orgId: { type: DataTypes.INTEGER, allowNull: false },
  email: { type: DataTypes.STRING, allowNull: false },
  role: { type: DataTypes.STRING, allowNull: false },
}, { sequelize, tableName: 'member', indexes: [{ unique: true, fields: ['orgId', 'email'] }] });
`;
const sequelizeFiles = [{ path: 'src/models/member.ts', text: sequelizeModel }];
const sequelizeInvite = `import type { Transaction } from 'sequelize';
import { Member } from './models/member.js';

export async function invite(orgId: number, email: string) {
  const existing = await Member.findOne({ where: { orgId, email } });
  if (!existing) {
    await Member.create({ orgId, email, role: 'member' });
  }
}
`;

test('sequelize: findOne then create; the fix is bulkCreate([row], { updateOnDuplicate, conflictAttributes }) on the unique index, the message says findOrCreate is itself racy; re-lints clean and type-checks', () => {
  assert.deepEqual(typeErrors({ 'app.ts': sequelizeInvite, 'models/member.ts': sequelizeModel }), []);
  const [f] = only(lintTs(sequelizeInvite, sequelizeFiles), 'check-then-insert-race');
  assert.match(f.message, /findOrCreate is itself a read then an insert/);
  const after = fixed(sequelizeInvite, f);
  assert.match(after, /await Member\.bulkCreate\(\[\{ orgId, email, role: 'member' \}\], \{ validate: true, individualHooks: true, updateOnDuplicate: \['orgId', 'email'\], conflictAttributes: \['orgId', 'email'\] \}\);/);
  const again = lintTs(after, sequelizeFiles);
  for (const rule of ['check-then-insert-race', 'on-conflict-without-target', 'on-conflict-target-without-unique-index', 'upsert-without-ordering-guard']) only(again, rule, 0);
  assert.deepEqual(typeErrors({ 'app.ts': after, 'models/member.ts': sequelizeModel }), []);
  // the result is used: bulkCreate returns an array, so no edit
  const used = sequelizeInvite.replace('    await Member.create(', '    return Member.create(');
  const [g] = only(lintTs(used, sequelizeFiles), 'check-then-insert-race');
  assert.equal(g.fixes.length, 0);
});

test('sequelize: the type check sees a wrong fix (an attribute the model does not have)', () => {
  const wrong = sequelizeInvite.replace("await Member.create({ orgId, email, role: 'member' });", "await Member.bulkCreate([{ orgId, email, role: 'member' }], { updateOnDuplicate: ['orgId'], conflictAttributes: ['orgId', 'mail'] });");
  assert.ok(typeErrors({ 'app.ts': wrong, 'models/member.ts': sequelizeModel }).some((e) => /"mail"/.test(e)), 'an error naming the wrong attribute');
});

test('sequelize: the retarget fix rewrites conflictAttributes to the unique index; re-lints clean and type-checks', () => {
  const text = sequelizeInvite.replace("await Member.create({ orgId, email, role: 'member' });", "await Member.bulkCreate([{ orgId, email, role: 'member' }], { updateOnDuplicate: ['role'], conflictAttributes: ['email'] });");
  const [f] = only(lintTs(text, sequelizeFiles), 'on-conflict-target-without-unique-index');
  const after = fixed(text, f);
  assert.match(after, /conflictAttributes: \['orgId', 'email'\]/);
  only(lintTs(after, sequelizeFiles), 'on-conflict-target-without-unique-index', 0);
  assert.deepEqual(typeErrors({ 'app.ts': after, 'models/member.ts': sequelizeModel }), []);
});

const typeormEntity = `import { Entity, PrimaryGeneratedColumn, Column, Unique } from 'typeorm';

@Entity('subscription')
@Unique(['userId', 'topic'])
export class Subscription {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ name: 'user_id' }) userId!: string;
  @Column() topic!: string;
}
`;
const typeormFiles = [{ path: 'src/entity/Subscription.ts', text: typeormEntity }];
const typeormSubscribe = `import { DataSource } from 'typeorm';
import { Subscription } from './entity/Subscription.js';

export async function subscribe(ds: DataSource, userId: string, topic: string) {
  const found = await ds.getRepository(Subscription).findOneBy({ userId, topic });
  if (found) return;
  await ds
    .createQueryBuilder()
    .insert()
    .into(Subscription)
    .values({ userId, topic })
    .execute();
}
`;

test('typeorm: findOneBy then an insert query builder; the fix adds .onConflict(\'("user_id", topic) DO NOTHING\') before execute(); re-lints clean and type-checks', () => {
  const [f] = only(lintTs(typeormSubscribe, typeormFiles), 'check-then-insert-race');
  assert.equal(preferred(f), 'Insert atomically: .onConflict(\'(user_id, topic) DO NOTHING\')');
  const after = fixed(typeormSubscribe, f);
  assert.match(after, /\.values\(\{ userId, topic \}\)\n    \.onConflict\('\(user_id, topic\) DO NOTHING'\)\.execute\(\);/);
  const again = lintTs(after, typeormFiles);
  for (const rule of ['check-then-insert-race', 'on-conflict-without-target', 'on-conflict-target-without-unique-index']) only(again, rule, 0);
  assert.deepEqual(typeErrors({ 'app.ts': after, 'entity/Subscription.ts': typeormEntity }), []);
});

const mikroEntity = `import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';

@Entity({ tableName: 'link' })
@Unique({ properties: ['from', 'to'] })
export class Link {
  @PrimaryKey() id!: number;
  @Property() from!: string;
  @Property() to!: string;
}
`;
const mikroFiles = [{ path: 'src/entities/Link.ts', text: mikroEntity }];
const mikroAdd = `import type { EntityManager } from '@mikro-orm/postgresql';
import { Link } from './entities/Link.js';

export async function addLink(em: EntityManager, from: string, to: string) {
  const existing = await em.findOne(Link, { from, to });
  if (!existing) {
    await em.insert(Link, { from, to });
  }
}
`;

test('mikro-orm: findOne then em.insert; the fix is em.upsert(Link, data, { onConflictFields, onConflictAction: \'ignore\' }); re-lints clean and type-checks', () => {
  assert.deepEqual(typeErrors({ 'app.ts': mikroAdd, 'entities/Link.ts': mikroEntity }), []);
  const [f] = only(lintTs(mikroAdd, mikroFiles), 'check-then-insert-race');
  const after = fixed(mikroAdd, f);
  assert.match(after, /await em\.upsert\(Link, \{ from, to \}, \{ onConflictFields: \['from', 'to'\], onConflictAction: 'ignore' \}\);/);
  only(lintTs(after, mikroFiles), 'check-then-insert-race', 0);
  assert.deepEqual(typeErrors({ 'app.ts': after, 'entities/Link.ts': mikroEntity }), []);
});

test('mikro-orm: findOne then qb.insert(...).execute(); the fix chains .onConflict([...]).ignore() before execute(); re-lints clean and type-checks', () => {
  const text = mikroAdd.replace('    await em.insert(Link, { from, to });', '    await em.createQueryBuilder(Link).insert({ from, to }).execute();');
  const [f] = only(lintTs(text, mikroFiles), 'check-then-insert-race');
  const after = fixed(text, f);
  assert.match(after, /\.insert\(\{ from, to \}\)\.onConflict\(\['from', 'to'\]\)\.ignore\(\)\.execute\(\);/);
  const again = lintTs(after, mikroFiles);
  for (const rule of ['check-then-insert-race', 'on-conflict-without-target']) only(again, rule, 0);
  assert.deepEqual(typeErrors({ 'app.ts': after, 'entities/Link.ts': mikroEntity }), []);
});

const prismaSchema = `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id    String @id @default(cuid())
  email String @unique
  name  String
}

model Membership {
  id     String @id @default(cuid())
  orgId  String
  userId String
  @@unique([orgId, userId])
}
`;
const prismaFiles = [{ path: 'prisma/schema.prisma', text: prismaSchema }];

test('prisma: findUnique then create on a one-field @unique; the fix is upsert({ where, create, update: {} }), re-lints clean and type-checks against the client generated from the schema; a compound key or nested writes get advice only', (t) => {
  const text = `import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();
export async function signUp(email: string, name: string) {
  const user = await prisma.user.findUnique({ where: { email } });
  if (!user) {
    await prisma.user.create({ data: { email, name } });
  }
}
`;
  const [f] = only(lintTs(text, prismaFiles), 'check-then-insert-race');
  const after = fixed(text, f);
  assert.match(after, /await prisma\.user\.upsert\(\{ where: \{ email \}, create: \{ email, name \}, update: \{\} \}\);/);
  only(lintTs(after, prismaFiles), 'check-then-insert-race', 0);
  // the client Prisma 7 generates (prisma-client generator) is imported from its output folder, and
  // its constructor takes the driver adapter: those two lines as a Prisma 7 project writes them
  const generated = prismaClient(prismaSchema);
  t.after(() => generated.dispose());
  const asGenerated = (code: string) => code
    .replace("import { PrismaClient } from '@prisma/client';", `import { PrismaClient } from '${generated.client}';\ndeclare const options: ConstructorParameters<typeof PrismaClient>[0];`)
    .replace('new PrismaClient()', 'new PrismaClient(options)');
  assert.deepEqual(typeErrors({ 'app.ts': asGenerated(after) }), []);
  // the check can fail: a create that names no field of the model does not type-check
  assert.notDeepEqual(typeErrors({ 'app.ts': asGenerated(after.replace('create: { email, name }', 'create: { email, nam: name }')) }), []);
  const nested = text.replace('data: { email, name }', 'data: { email, name, profile: { create: { bio: name } } }');
  const [g] = only(lintTs(nested, prismaFiles), 'check-then-insert-race');
  assert.equal(g.fixes.length, 0);
  const compound = `import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();
export async function join(orgId: string, userId: string) {
  const m = await prisma.membership.findFirst({ where: { orgId, userId } });
  if (!m) await prisma.membership.create({ data: { orgId, userId } });
}
`;
  const [h] = only(lintTs(compound, prismaFiles), 'check-then-insert-race');
  assert.equal(h.fixes.length, 0);
  assert.match(h.message, /upsert\(\{ where: \{ orgId, userId \}, create, update: \{\} \}\) \(one-field keys only/);
});

test('typeorm: orUpdate(set, [target]) on a column that is no key is retargeted to the unique columns; re-lints clean and type-checks', () => {
  const text = typeormSubscribe.replace('    .execute();', "    .orUpdate(['topic'], ['topic'])\n    .execute();");
  const [f] = only(lintTs(text, typeormFiles), 'on-conflict-target-without-unique-index');
  assert.equal(text.slice(f.start, f.end), "['topic']");
  const after = fixed(text, f);
  assert.match(after, /\.orUpdate\(\['topic'\], \['user_id', 'topic'\]\)/);
  only(lintTs(after, typeormFiles), 'on-conflict-target-without-unique-index', 0);
  assert.deepEqual(typeErrors({ 'app.ts': after, 'entity/Subscription.ts': typeormEntity }), []);
});
