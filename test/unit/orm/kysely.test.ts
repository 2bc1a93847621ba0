import { test } from 'node:test';
import assert from 'node:assert/strict';
import { facts, fixAndReread, oneTargetless, targetless } from './helpers';

test('kysely: oc.doNothing() on its own line of a chain split over lines (receiver this.db.db)', () => {
  const text = `export class Processor {
  async insertRecord(uri: string, cid: string, timestamp: string) {
    await this.db.db
      .insertInto('record')
      .values({
        uri,
        cid,
        indexedAt: timestamp,
      })
      .onConflict((oc) => oc.doNothing())
      .execute()
  }
}
`;
  const w = oneTargetless(text, 'onConflict((oc) => oc.doNothing())');
  assert.equal(w.library, 'kysely');
  assert.deepEqual(w.table, { sqlName: 'record', span: { start: text.indexOf("'record'"), end: text.indexOf("'record'") + 8 } });
  assert.deepEqual(w.columns, ['uri', 'cid', 'indexedAt']);
  assert.deepEqual(w.conflict!.actionSpan, { start: text.indexOf('oc.doNothing') + 3, end: text.indexOf('oc.doNothing') + 'oc.doNothing()'.length });
  const fixed = fixAndReread(text, w, ['uri']);
  assert.ok(fixed.includes(".onConflict((oc) => oc.column('uri').doNothing())"), fixed);
});

test('kysely: two chains in one Promise.all, .returning() before .onConflict, composite fix', () => {
  const text = `const [inserted] = await Promise.all([
  db
    .insertInto('repost')
    .values(repost)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst(),
  trx
    .insertInto('messages')
    .values({ hash, fid })
    .returning(['id'])
    .onConflict(oc => oc.doNothing())
    .executeTakeFirst(),
])
`;
  const ws = targetless(text);
  assert.deepEqual(ws.map((w) => w.table.sqlName), ['repost', 'messages']);
  assert.equal(ws[1].returning, true);
  fixAndReread(text, ws[0], ['creator', 'subject']);
  const fixed = fixAndReread(text, ws[1], ['hash']);
  assert.ok(fixed.includes(".onConflict(oc => oc.column('hash').doNothing())"));
});

test('kysely: inside this.db.transaction(async (tx) => tx.db...) and with a block-bodied callback', () => {
  const text = `return this.db.transaction(async (tx) => {
  return tx.db
    .insertInto('verification')
    .values(verifications)
    .onConflict((oc) => {
      return oc.doNothing()
    })
    .returningAll()
    .execute()
})
`;
  assert.equal(targetless(text).length, 1);
  assert.equal(targetless(text)[0].table.sqlName, 'verification');
});

test('kysely: targeted forms are read as such (column, columns over three lines, constraint, doUpdateSet)', () => {
  const text = `await db.insertInto('report').values(rows).onConflict((oc) => oc.column('eventId').doNothing()).execute()
await db
  .insertInto('mute')
  .values({ subjectDid, mutedByDid })
  .onConflict((oc) =>
    oc
      .columns(['mutedByDid', 'subjectDid'])
      .doUpdateSet({ onlyReposts, onlyQuoteposts }),
  )
  .execute()
await db.insertInto('t').values(v).onConflict((oc) => oc.constraint('t_pkey').doNothing()).execute()
`;
  const f = facts(text);
  assert.equal(targetless(text).length, 0);
  const d = f.writes.map((w) => {
    const t = w.conflict!.target;
    return `${w.conflict!.action}:${t.kind === 'columns' ? t.columns.join(',') : t.kind === 'constraint' ? `@${t.name}` : t.kind}`;
  });
  assert.deepEqual(d, ['nothing:eventId', 'update:mutedByDid,subjectDid', 'nothing:@t_pkey']);
  assert.deepEqual(f.writes[1].conflict!.set, ['onlyReposts', 'onlyQuoteposts']);
});

test('kysely: builder code under a dialect test is dialect-conditional; qb.ignore() alone is MySQL INSERT IGNORE', () => {
  const text = `await this.kysely
  .insertInto(model)
  .values(createData)
  .$if(!!input.skipDuplicates, (qb) =>
    qb
      .$if(this.dialect.insertIgnoreMethod === 'onConflict', () => qb.onConflict((oc) => oc.doNothing()))
      .$if(this.dialect.insertIgnoreMethod === 'ignore', () => qb.ignore()),
  )
  .execute();
`;
  const ws = targetless(text);
  assert.equal(ws.length, 1);
  assert.equal(ws[0].dialectConditional, true);
  assert.ok(!facts(`await db.insertInto('t').values(v).ignore().execute()`).writes.some((w) => w.conflict));
});

test('kysely: a SQLite or MySQL dialect in the file', () => {
  const text = `import { Kysely, SqliteDialect } from 'kysely'
const db = new Kysely<DB>({ dialect: new SqliteDialect({ database }) })
await db.insertInto('t').values(v).onConflict((oc) => oc.doNothing()).execute()
`;
  assert.equal(targetless(text)[0].dialect, 'sqlite');
});
