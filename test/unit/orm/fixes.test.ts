/**
 * Quick fixes of ORM calls in each library's own syntax, beyond naming a missing target: retargeting a
 * conflict target that is no unique key (on-conflict-target-without-unique-index), the ordering guard
 * of an upsert (upsert-without-ordering-guard), and the atomic form of a check-then-insert
 * (check-then-insert-race). Each fix is applied, linted again (clean), and type-checked against the
 * library's own declarations (all of these libraries are dev dependencies).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixed, lintTs, only, preferred } from './lint';
import { typeErrors } from './typecheck';

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
