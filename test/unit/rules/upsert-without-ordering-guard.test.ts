import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFix, lint, lintErrors } from '../helpers';
import { assertParses, ddl, loadParsers } from './schemaHelpers';

const RULE = 'upsert-without-ordering-guard';

before(loadParsers);

// seed 004: CDC events upserted by article_id, ordered by ts_ms
const schema = () => ddl('create table articles (article_id text primary key, title text, ts_ms bigint not null, updated_at timestamptz);');
const own = (sql: string) => lint(sql, { schema: schema() }).filter((f) => f.rule === RULE);

describe(RULE, () => {
  test('ON CONFLICT DO UPDATE copying ts_ms without comparing it', () => {
    const sql = 'INSERT INTO articles (article_id, title, ts_ms) VALUES ($1, $2, $3) ON CONFLICT (article_id) DO UPDATE SET title = excluded.title, ts_ms = excluded.ts_ms;';
    const [f] = lintErrors(sql, RULE, { schema: schema() });
    assert.equal(sql.slice(f.start, f.end), 'DO UPDATE');
    assert.match(f.message, /older ts_ms replaces newer data/);
    const fixed = applyFix(sql, RULE, { schema: schema() });
    assert.equal(fixed, sql.replace(/;$/, ' WHERE excluded.ts_ms > articles.ts_ms;'));
    assertParses(fixed);
    assert.deepEqual(own(fixed), []);
  });

  test('works without a schema when the SET copies a version column from excluded; alias and RETURNING', () => {
    const sql = 'insert into events as e (id, payload, version) values ($1, $2, $3) on conflict (id) do update set payload = excluded.payload, version = excluded.version returning id;';
    const [f] = lintErrors(sql, RULE);
    const fixed = applyFix(sql, RULE);
    assert.equal(fixed, sql.replace(' returning', ' WHERE excluded.version > e.version returning'));
    assertParses(fixed);
    assert.deepEqual(lint(fixed).filter((x) => x.rule === RULE), []);
    assert.ok(f);
  });

  test('an existing WHERE without the version gets AND', () => {
    const sql = 'insert into articles (article_id, title, ts_ms) values ($1, $2, $3) on conflict (article_id) do update set title = excluded.title where articles.title is distinct from excluded.title;';
    const fixed = applyFix(sql, RULE, { schema: schema() });
    assert.equal(fixed, sql.replace(/;$/, ' AND excluded.ts_ms > articles.ts_ms;'));
    assertParses(fixed);
    assert.deepEqual(own(fixed), []);
  });

  test('guarded, server-made versions, DO NOTHING, no version at all: no finding', () => {
    assert.deepEqual(own('INSERT INTO articles (article_id, title, ts_ms) VALUES ($1, $2, $3) ON CONFLICT (article_id) DO UPDATE SET title = excluded.title, ts_ms = excluded.ts_ms WHERE excluded.ts_ms > articles.ts_ms;'), []);
    assert.deepEqual(own('insert into counters (k, n, updated_at) values ($1, 1, now()) on conflict (k) do update set n = counters.n + 1, updated_at = excluded.updated_at;'), []);
    assert.deepEqual(own('insert into articles (article_id, title) values ($1, $2) on conflict (article_id) do update set title = excluded.title, updated_at = now();'), []);
    assert.deepEqual(own('insert into articles (article_id, ts_ms) values ($1, $2) on conflict (article_id) do nothing;'), []);
    assert.deepEqual(own('insert into kv (k, v) values ($1, $2) on conflict (k) do update set v = excluded.v;'), []);
    const plugins = ddl('create table plugins (name text primary key, version text);');
    assert.deepEqual(lint('insert into plugins (name, version) values ($1, $2) on conflict (name) do update set version = excluded.version;', { schema: plugins }).filter((f) => f.rule === RULE), [], 'a text release version orders nothing');
  });

  test('embedded in TS: a version bound to the host\'s own clock (new Date() / Date.now(), directly or through a const) orders nothing; an incoming one still does', () => {
    const ts = `export async function touchSession(pool: Pool, s: { id: string; user: string; seenAt: Date }) {
  const stamp = new Date();
  await pool.query(
    'INSERT INTO sessions (id, user_id, updated_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, updated_at = excluded.updated_at',
    [s.id, s.user, stamp],
  );
}
`;
    const own = (text: string) => lint(text, { path: 'src/sessions.ts' }).filter((x) => x.rule === RULE);
    assert.deepEqual(own(ts), []);
    assert.deepEqual(own(ts.replace('[s.id, s.user, stamp]', '[s.id, s.user, Date.now()]')), []);
    // the event's own time, or a stamp the caller passes in: the late event still overwrites
    assert.equal(own(ts.replace('[s.id, s.user, stamp]', '[s.id, s.user, s.seenAt]')).length, 1);
    assert.equal(own(ts.replace('const stamp = new Date();', 'const stamp = s.seenAt;')).length, 1);
  });

  test('embedded in TS with a templated table name: the guard names the table the same way', () => {
    const ts = 'await db.query(`INSERT INTO ${table} (id, ts_ms) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET ts_ms = excluded.ts_ms`);';
    const [f] = lint(ts, { path: 'a.ts' }).filter((x) => x.rule === RULE);
    assert.equal(ts.slice(f.start, f.end), 'DO UPDATE');
    assert.equal(f.fixes[0].edits[0].newText, ' WHERE excluded.ts_ms > ${table}.ts_ms');
  });

  test('MERGE WHEN MATCHED THEN UPDATE without the ts_ms condition (seed 004 without its guard)', () => {
    const sql = `MERGE INTO articles t
USING staging s ON t.article_id = s.article_id
WHEN MATCHED THEN UPDATE SET title = s.title, ts_ms = s.ts_ms
WHEN NOT MATCHED THEN INSERT (article_id, title, ts_ms) VALUES (s.article_id, s.title, s.ts_ms);`;
    const found = own(sql);
    assert.equal(found.length, 1);
    assert.equal(sql.slice(found[0].start, found[0].end), 'WHEN MATCHED');
    const fixed = applyFix(sql, RULE, { schema: schema() });
    assert.match(fixed, /WHEN MATCHED AND s\.ts_ms > t\.ts_ms THEN UPDATE/);
    assertParses(fixed);
    assert.deepEqual(own(fixed), []);
  });

  test('MERGE with the seed 004 guard is fine', () => {
    assert.deepEqual(own(`MERGE INTO articles t USING staging s ON t.article_id = s.article_id
      WHEN MATCHED AND s.ts_ms > t.ts_ms THEN UPDATE SET title = s.title, ts_ms = s.ts_ms
      WHEN NOT MATCHED THEN INSERT VALUES (s.article_id, s.title, s.ts_ms);`), []);
  });

  test('silent when the INSERT does not supply the timestamp: excluded.updated_at is its default, not an event time', () => {
    assert.deepEqual(lint('INSERT INTO t (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at;').filter((f) => f.rule === RULE), []);
    // supplied: reported
    lintErrors('INSERT INTO t (id, name, updated_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at;', RULE);
  });

  test('quoted camelCase columns: "updatedAt" = EXCLUDED."updatedAt" is found, and the guard quotes it', () => {
    const sql = 'INSERT INTO "Post" ("id", "title", "updatedAt") VALUES ($1, $2, $3) ON CONFLICT ("id") DO UPDATE SET "title" = EXCLUDED."title", "updatedAt" = EXCLUDED."updatedAt";';
    const [f] = lintErrors(sql, RULE);
    assert.match(f.message, /older updatedAt/);
    const fixed = applyFix(sql, RULE);
    assert.equal(fixed, sql.replace(/;$/, ' WHERE excluded."updatedAt" > "Post"."updatedAt";'));
    assertParses(fixed);
    assert.deepEqual(lint(fixed).filter((x) => x.rule === RULE), []);
  });

  test('the guard compares the source column the update copies, never one the source may not have', () => {
    const sql = 'MERGE INTO articles t USING staged s ON t.article_id = s.article_id WHEN MATCHED THEN UPDATE SET title = s.title, updated_at = s.changed_at;';
    const [f] = lintErrors(sql, RULE);
    const fixed = applyFix(sql, RULE);
    assert.match(fixed, /WHEN MATCHED AND s\.changed_at > t\.updated_at THEN/);
    assert.doesNotMatch(f.fixes[0].edits[0].newText, /s\.updated_at/);
    assertParses(fixed);
    const ins = 'INSERT INTO articles (article_id, title, changed_at) VALUES ($1, $2, $3) ON CONFLICT (article_id) DO UPDATE SET title = excluded.title, updated_at = excluded.changed_at;';
    assert.match(applyFix(ins, RULE), /WHERE excluded\.changed_at > articles\.updated_at;$/);
  });
});
