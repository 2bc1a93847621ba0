import { test } from 'node:test';
import assert from 'node:assert/strict';
import { facts, fixAndReread, oneTargetless, targetless } from './helpers';

const header = `import { db } from '@sim/db'
import { credential, secret as dbSecret } from '@sim/db/schema'
import { and, eq } from 'drizzle-orm'
`;

test('drizzle: chain split over lines, renamed import, .returning() after the clause', () => {
  const text = `${header}
export async function createSecret(workspaceId: string, name: string) {
  const [row] = await db
    .insert(dbSecret)
    .values({
      workspaceId,
      name,
      value: \`v/\${name}\`, // a template with an interpolation, and a regex below
    })
    .onConflictDoNothing()
    .returning();
  return /\\)\\./.test(name) ? row : undefined;
}
`;
  const w = oneTargetless(text, 'onConflictDoNothing()');
  assert.equal(w.library, 'drizzle');
  assert.deepEqual(w.table, { ormName: 'secret', localName: 'dbSecret', span: { start: text.indexOf('dbSecret)'), end: text.indexOf('dbSecret)') + 8 } });
  assert.deepEqual(w.columns, ['workspaceId', 'name', 'value']);
  assert.equal(w.returning, true);
  const callStart = text.indexOf('db\n    .insert');
  assert.deepEqual(w.call, { start: callStart, end: text.indexOf('.returning()') + '.returning()'.length });
  const fixed = fixAndReread(text, w, ['workspaceId', 'name']);
  assert.ok(fixed.includes('.onConflictDoNothing({ target: [dbSecret.workspaceId, dbSecret.name] })'), fixed);
});

test('drizzle: one-line chain in a loop inside db.transaction(async (tx) => ...), single-column fix', () => {
  const text = `${header}
await db.transaction(async (tx) => {
  for (const values of chunks) {
    await tx.insert(credential).values(values).onConflictDoNothing()
  }
})
`;
  const w = oneTargetless(text, 'onConflictDoNothing()');
  assert.equal(w.table.ormName, 'credential');
  assert.equal(w.columns, undefined, 'values from a variable: columns unknown');
  const fixed = fixAndReread(text, w, ['id']);
  assert.ok(fixed.includes('.onConflictDoNothing({ target: credential.id })'));
});

test('drizzle: receivers db() and executor, Promise.all elements, destructured schema objects', () => {
  const text = `import * as Schema from './drizzle/index.js'
const { runs, steps } = Schema
export async function start(executor = db()) {
  await Promise.all([
    executor.insert(runs).values({ runId: ulid() }).onConflictDoNothing(),
    db().insert(steps).values([{ stepId: 'a' }, { stepId: 'b' }]).onConflictDoNothing().returning(),
  ])
}
`;
  const ws = targetless(text);
  assert.deepEqual(ws.map((w) => w.table.ormName), ['runs', 'steps']);
  assert.deepEqual(ws[1].rows?.map((r) => r.cells.map((c) => `${c.key}=${c.value}`)), [["stepId='a'"], ["stepId='b'"]]);
});

test('drizzle: the ternary on a query variable reads the insert it was bound to', () => {
  const text = `import { db } from './db'
export async function insert({ table, values, doNothingOnConflict }) {
  const tx = db();
  const query = tx.insert(table).values(values).returning();
  return queryResult(doNothingOnConflict ? query.onConflictDoNothing() : query);
}
`;
  const w = oneTargetless(text, 'onConflictDoNothing()');
  assert.equal(w.table.ormName, 'table');
  assert.equal(w.call.start, text.indexOf('query.onConflictDoNothing'));
});

test('drizzle: targeted forms and upserts are read, not reported as targetless', () => {
  const text = `${header}
await db.insert(credential).values(v).onConflictDoNothing({ target: credential.id })
await db
  .insert(credential)
  .values(v)
  .onConflictDoNothing({
    target: [credential.workspaceId, credential.envKey],
    where: sql\`type = 'env_workspace'\`,
  })
await db.insert(credential).values(v).onConflictDoUpdate({ target: [credential.id], set: { updatedAt: now, name } })
`;
  const f = facts(text);
  assert.equal(targetless(text).length, 0);
  const kinds = f.writes.map((w) => `${w.conflict!.action}:${w.conflict!.target.kind === 'columns' ? w.conflict!.target.columns.join(',') : w.conflict!.target.kind}`);
  assert.deepEqual(kinds, ['nothing:id', 'nothing:workspaceId,envKey', 'update:id']);
  const t = f.writes[1].conflict!.target;
  assert.ok(t.kind === 'columns' && t.where && text.slice(t.where.start, t.where.end).startsWith('sql`'));
  assert.deepEqual(f.writes[2].conflict!.set, ['updatedAt', 'name']);
});

test('drizzle: expected-output tests (.toSQL()), comments and ponder store calls make no write', () => {
  const expectOutput = `${header}
// await db.insert(credential).values(v).onConflictDoNothing()
/** db.insert(credential).values(v).onConflictDoNothing() */
expect(db.insert(credential).values(v).onConflictDoNothing().toSQL()).toEqual({ sql: 'insert ... on conflict do nothing' })
const s = "db.insert(credential).onConflictDoNothing()"
`;
  assert.equal(facts(expectOutput).writes.length, 0);
  const ponder = `import { ponder } from "ponder:registry";
import schema from "ponder:schema";
ponder.on("ERC721:Transfer", async ({ event, context }) => {
  await context.db
    .insert(schema.account)
    .values({ address: event.args.from })
    .onConflictDoNothing();
});
`;
  assert.equal(targetless(ponder).length, 0);
});

test('drizzle: dialect from the file, then from the project; SQLite and MySQL calls are not PostgreSQL', () => {
  const text = `import { drizzle } from 'drizzle-orm/better-sqlite3'
await db.insert(users).values(v).onConflictDoNothing()
`;
  assert.equal(targetless(text)[0].dialect, 'sqlite');
  const bare = `await db.insert(users).values(v).onConflictDoNothing()\n`;
  assert.equal(targetless(bare)[0].dialect, undefined);
  assert.equal(targetless(bare, { projectDialect: 'mysql' })[0].dialect, 'mysql');
  assert.equal(targetless(`import pg from 'pg'\n${bare}`, { projectDialect: 'mysql' })[0].dialect, 'postgresql');
});

test('drizzle: check-then-insert — select ... for update then a plain insert in one function; not when the insert has a conflict clause', async () => {
  const { checkThenInsert } = await import('../../../src/embedded/orm/recognise');
  const text = `${header}
export async function append(workspaceId: string, key: string) {
  await db.transaction(async (tx) => {
    const existing = await tx
      .select({ id: memory.id })
      .from(memory)
      .where(and(eq(memory.workspaceId, workspaceId), eq(memory.key, key)))
      .limit(1)
      .for('update')
    if (existing.length === 0) {
      await tx.insert(memory).values({ id: crypto.randomUUID(), workspaceId, key })
    }
  })
}
export async function ensure(workspaceId: string, key: string) {
  const found = await db.query.memory.findFirst({ where: eq(memory.key, key) })
  if (!found) await db.insert(memory).values({ workspaceId, key }).onConflictDoNothing()
}
`;
  const pairs = checkThenInsert(facts(text));
  assert.equal(pairs.length, 1);
  assert.deepEqual(pairs[0].read.keys, ['workspaceId', 'key']);
  assert.equal(pairs[0].read.locking, true);
  assert.equal(text.slice(pairs[0].write.call.start, pairs[0].write.call.start + 16), 'tx.insert(memory');
});
