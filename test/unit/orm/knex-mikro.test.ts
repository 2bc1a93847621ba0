import { test } from 'node:test';
import assert from 'node:assert/strict';
import { facts, fixAndReread, oneTargetless, targetless } from './helpers';

test('knex: .onConflict() / .ignore() split over lines on a trx(table) receiver; fix names the columns', () => {
  const text = `import type { Knex } from 'knex'
export async function saveReposts(transaction: Knex.Transaction, repostsToInsert: Row[]) {
  await transaction('reposts')
    .insert(repostsToInsert)
    .onConflict()
    .ignore();
}
`;
  const w = oneTargetless(text, 'onConflict()\n    .ignore()');
  assert.equal(w.library, 'knex');
  assert.equal(w.table.sqlName, 'reposts');
  assert.deepEqual(w.conflict!.actionSpan, { start: text.indexOf('ignore()'), end: text.indexOf('ignore()') + 8 });
  const fixed = fixAndReread(text, w, ['post_id', 'account_id']);
  assert.ok(fixed.includes(".onConflict(['post_id', 'account_id'])\n    .ignore()"), fixed);
});

test('knex: a MySQL back end (dialect-only SQL in the file) is not PostgreSQL', () => {
  const text = `import type { Knex } from 'knex'
await trx('likes').insert(likes).onConflict().ignore();
await trx('posts').whereRaw('ap_id_hash = UNHEX(SHA2(?, 256))', [id]).first();
`;
  const ws = targetless(text);
  assert.equal(ws.length, 1);
  assert.equal(ws[0].dialect, 'mysql');
  // knex client in the config
  const cfg = `import knex from 'knex'\nconst db = knex({ client: 'pg', connection })\nawait db('t').insert(r).onConflict().ignore()\n`;
  assert.equal(targetless(cfg)[0].dialect, 'postgresql');
});

test('knex / objection: targeted forms and merge() upserts', () => {
  const text = `import { Model } from 'objection'
await knex('transaction_completion').insert({ workflow_id, function_num, output }).onConflict(['workflow_id', 'function_num']).ignore().returning('workflow_id')
const result = await Model1.query().insert({ id: 1 }).onConflict('id').ignore()
await Model2.query().insert({ idCol: 1, model2Prop1: 'x' }).onConflict('id_col').merge(['model2_prop1'])
`;
  assert.equal(targetless(text).length, 0);
  const d = facts(text).writes.map((w) => `${w.library}:${w.conflict!.action}:${w.conflict!.target.kind === 'columns' ? w.conflict!.target.columns.join(',') : ''}:${w.conflict!.set ?? ''}`);
  assert.deepEqual(d, ['objection:nothing:workflow_id,function_num:', 'objection:nothing:id:', 'objection:update:id_col:model2_prop1']);
});

test('mikro-orm: qb = manager.qb(...) then qb.insert(...).onConflict().ignore() on one line and split', () => {
  const text = `import { SqlEntityManager } from '@mikro-orm/postgresql'
async function link(manager: SqlEntityManager, relation, pivotData, entityName, data) {
  const qb = manager.qb(relation.pivotEntity)
  await qb.insert(pivotData).onConflict().ignore().execute()
  const qb2 = manager.qb(entityName)
  const res = await qb2
    .insert(data)
    .onConflict()
    .ignore()
    .execute('all', true)
}
`;
  const ws = targetless(text);
  assert.equal(ws.length, 2);
  assert.deepEqual(ws.map((w) => w.library), ['mikro-orm', 'mikro-orm']);
  assert.deepEqual(ws.map((w) => w.dialect), ['postgresql', 'postgresql']);
  const one = ws[0];
  assert.deepEqual(one.conflict!.clause, { start: text.indexOf('onConflict().ignore()'), end: text.indexOf('onConflict().ignore()') + 'onConflict().ignore()'.length });
  const fixed = fixAndReread(text, one, ['product_id', 'category_id']);
  assert.ok(fixed.includes("qb.insert(pivotData).onConflict(['product_id', 'category_id']).ignore().execute()"));
});

test('mikro-orm: the library\'s own builder code (ignore() without onConflict in the chain, method definitions) makes no conflict fact', () => {
  const text = `import { QueryBuilder } from '@mikro-orm/knex'
export class Driver {
  ignore(): this {
    return this.onConflictIgnore()
  }
  upsert(qb) {
    qb.insert(data).onConflict(uniqueFields)
    if (options.onConflictAction === 'ignore') {
      qb.ignore();
    }
  }
}
`;
  assert.equal(targetless(text).length, 0);
});
