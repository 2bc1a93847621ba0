import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFixes } from '../../../src/core/fixes';
import { fixable, prismaAdvice, targetFix, typeormOrUpdateFix } from '../../../src/embedded/orm/fix';
import { facts, fixAndReread, oneTargetless, targetless } from './helpers';

test('prisma: createMany skipDuplicates, multi-line (ctx.prisma.<model>) and one-line (prisma.<model>)', () => {
  const text = `export const router = createTRPCRouter({
  createMany: protectedProjectProcedure.mutation(async ({ input, ctx }) => {
    await ctx.prisma.annotationQueueItem.createMany({
      data: input.objectIds.map((objectId) => ({
        projectId: input.projectId,
        queueId: input.queueId,
        objectId,
      })),
      skipDuplicates: true,
    });
  }),
});
for (let i = 0; i < data.length; i += BATCH_SIZE) {
  const batch = data.slice(i, i + BATCH_SIZE);
  await prisma.session.createMany({ data: batch, skipDuplicates: true });
}
`;
  const ws = targetless(text);
  assert.deepEqual(ws.map((w) => w.table.ormName), ['annotationQueueItem', 'session']);
  const s = text.indexOf('skipDuplicates: true');
  assert.deepEqual(ws[0].conflict!.clause, { start: s, end: s + 'skipDuplicates: true'.length });
  assert.equal(fixable(ws[0]), false, 'Prisma cannot name a conflict target');
  assert.equal(targetFix(text, ws[0], ['projectId']), undefined);
  assert.match(prismaAdvice(ws[0], ['projectId', 'queueId', 'objectId']), /@@unique\(\[projectId, queueId, objectId\]\).*upsert/);
});

test('prisma: tx.<model> inside $transaction, literal rows; skipDuplicates: false and upsert are not targetless', () => {
  const text = `await prisma.$transaction(async (tx) => {
  await tx.batchAction.createMany({
    data: [{ id: 'a', projectId }, { id: 'a', projectId }],
    skipDuplicates: true,
  });
});
await prisma.user.createMany({ data: rows, skipDuplicates: false })
await prisma.dataset.upsert({ where: { projectId_name: { projectId, name } }, create: { projectId, name }, update: {} })
`;
  const ws = targetless(text);
  assert.equal(ws.length, 1);
  assert.deepEqual(ws[0].rows?.map((r) => r.cells.map((c) => c.value ?? '?').join(',')), ["'a',?", "'a',?"]);
  const up = facts(text).writes.find((w) => w.method === 'upsert')!;
  assert.equal(up.conflict!.action, 'update');
  assert.deepEqual(up.conflict!.target.kind === 'columns' && up.conflict!.target.columns, ['projectId', 'name']);
});

test('sequelize: create(record, { ..., ignoreDuplicates: true }) on a model picked at run time; bulkCreate fix names conflictAttributes', () => {
  const text = `import { Op } from 'sequelize'
for (const row of rows) {
  await models[row.model].create(row, {
    validate: false,
    hooks: false,
    ignoreDuplicates: true,
    returning: false,
  });
}
await User.bulkCreate(users, { ignoreDuplicates: true })
`;
  const ws = targetless(text);
  assert.equal(ws.length, 2);
  const s = text.indexOf('ignoreDuplicates: true');
  assert.deepEqual(ws[0].conflict!.clause, { start: s, end: s + 'ignoreDuplicates: true'.length });
  assert.equal(ws[0].library, 'sequelize');
  assert.equal(targetFix(text, ws[0], ['id']), undefined, 'create has no target option');
  assert.equal(ws[1].table.ormName, 'User');
  const fix = targetFix(text, ws[1], ['email'])!;
  const fixed = applyFixes(text, [fix]);
  assert.ok(fixed.includes("User.bulkCreate(users, { updateOnDuplicate: ['email'], conflictAttributes: ['email'] })"), fixed);
  const again = facts(fixed).writes.find((w) => w.method === 'bulkCreate')!;
  assert.equal(again.conflict!.target.kind, 'columns');
  assert.deepEqual(again.conflict!.target.kind === 'columns' && again.conflict!.target.columns, ['email']);
  assert.equal(targetless(fixed).length, 1, 'the create call stays');
});

test('sequelize: updateOnDuplicate without conflictAttributes lets Sequelize pick the model keys (unknown target)', () => {
  const text = `import { Model } from 'sequelize'\nawait Price.bulkCreate(prices, { updateOnDuplicate: ['amount', 'updatedAt'] })\n`;
  const w = facts(text).writes[0];
  assert.equal(w.conflict!.target.kind, 'unknown');
  assert.deepEqual(w.conflict!.set, ['amount', 'updatedAt']);
});

test('typeorm: .orIgnore() before .into(), fixes to onConflict and orUpdate', () => {
  const text = `import { EntityManager } from 'typeorm'
await manager.createQueryBuilder()
  .insert()
  // a comment between the links
  .orIgnore()
  .into("group_users")
  .values(groupUsers)
  .execute();
`;
  const w = oneTargetless(text, 'orIgnore()');
  assert.equal(w.library, 'typeorm');
  assert.equal(w.table.sqlName, 'group_users');
  const fixed = fixAndReread(text, w, ['group_id', 'user_id']);
  assert.ok(fixed.includes(`.onConflict('(group_id, user_id) DO NOTHING')`), fixed);
  const alt = typeormOrUpdateFix(text, w, ['group_id', 'user_id'])!;
  const viaUpdate = applyFixes(text, [alt]);
  assert.ok(viaUpdate.includes(".orUpdate(['group_id', 'user_id'], ['group_id', 'user_id'])"));
  const again = facts(viaUpdate).writes[0].conflict!;
  assert.equal(again.action, 'update');
  assert.deepEqual(again.target.kind === 'columns' && again.target.columns, ['group_id', 'user_id']);
});
