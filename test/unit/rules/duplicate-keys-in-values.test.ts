import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFix, lint, lintErrors } from '../helpers';
import { assertParses, ddl, loadParsers } from './schemaHelpers';

const RULE = 'duplicate-keys-in-values';

before(loadParsers);

const schema = () => ddl('create table articles (article_id text primary key, title text, ts_ms bigint); create table tags (task_pk int, tag_pk int, unique (task_pk, tag_pk));');
const own = (sql: string, opts = {}) => lint(sql, { schema: schema(), ...opts }).filter((f) => f.rule === RULE);

describe(RULE, () => {
  test('DO UPDATE with a repeated key: error, the whole statement fails', () => {
    const sql = "INSERT INTO articles (article_id, title, ts_ms) VALUES ('a1', 'old', 1), ('a2', 'x', 1), ('a1', 'new', 2) ON CONFLICT (article_id) DO UPDATE SET title = excluded.title, ts_ms = excluded.ts_ms WHERE excluded.ts_ms > articles.ts_ms;";
    const [f] = lintErrors(sql, RULE, { schema: schema() });
    assert.equal(f.severity, 'error');
    assert.equal(sql.slice(f.start, f.end), "('a1', 'new', 2)");
    assert.match(f.message, /cannot affect row a second time/);
    assert.match(f.message, /Rows 1 and 3/);
    const fixed = applyFix(sql, RULE, { schema: schema() });
    assert.equal(fixed, sql.replace("('a1', 'old', 1), ", ''));
    assertParses(fixed);
    assert.deepEqual(own(fixed), []);
  });

  test('DO NOTHING: warning, the later row is dropped; removing it changes nothing', () => {
    const sql = "insert into tags (task_pk, tag_pk) values (1, 2), (1, 3), (1, 2) on conflict (task_pk, tag_pk) do nothing;";
    const [f] = lintErrors(sql, RULE);
    assert.equal(f.severity, 'warning');
    const fixed = applyFix(sql, RULE);
    assert.equal(fixed, 'insert into tags (task_pk, tag_pk) values (1, 2), (1, 3) on conflict (task_pk, tag_pk) do nothing;');
    assertParses(fixed);
    assert.deepEqual(own(fixed), []);
  });

  test('no ON CONFLICT, known key: the INSERT fails on its own rows (23505)', () => {
    const sql = "insert into articles values ('a', 't', 1), ('a', 'u', 2);";
    const [f] = lintErrors(sql, RULE, { schema: schema() });
    assert.match(f.message, /23505/);
    assert.deepEqual(own("insert into unknown_table values ('a', 't'), ('a', 'u');"), []);
  });

  test('distinct keys, parameters, expressions and NULL keys are not duplicates', () => {
    assert.deepEqual(own("insert into articles (article_id, title) values ('a', 'x'), ('b', 'x') on conflict (article_id) do nothing;"), []);
    assert.deepEqual(own('insert into articles (article_id, title) values ($1, 1), ($1, 2) on conflict (article_id) do nothing;'), []);
    assert.deepEqual(own("insert into articles (article_id) values (lower('A')), (lower('A')) on conflict (article_id) do nothing;"), []);
    assert.deepEqual(own('insert into tags (task_pk, tag_pk) values (1, null), (1, null) on conflict (task_pk, tag_pk) do nothing;'), []);
    assert.deepEqual(own("insert into articles (article_id) values ('a') on conflict (article_id) do nothing;"), []);
  });

  test('the key is matched by column position in the list, typed literals compare by value text', () => {
    const sql = "insert into tags (tag_pk, task_pk) values (7, 1), (8, 1), (7::int, 1) on conflict (task_pk, tag_pk) do nothing;";
    const [f] = own(sql);
    assert.ok(f);
    assert.equal(sql.slice(f.start, f.end), '(7::int, 1)');
  });

  test('MERGE USING (VALUES ...) with the same join key twice', () => {
    const sql = "MERGE INTO articles t USING (VALUES ('a1', 'x', 1), ('a1', 'y', 2)) AS s(article_id, title, ts_ms) ON t.article_id = s.article_id WHEN MATCHED THEN UPDATE SET title = s.title WHEN NOT MATCHED THEN INSERT VALUES (s.article_id, s.title, s.ts_ms);";
    const [f] = own(sql);
    assert.equal(f.severity, 'error');
    assert.equal(sql.slice(f.start, f.end), "('a1', 'y', 2)");
    assert.match(f.message, /MERGE command cannot affect row a second time/);
    const fixed = applyFix(sql, RULE, { schema: schema() });
    assert.match(fixed, /USING \(VALUES \('a1', 'y', 2\)\) AS s/);
    assertParses(fixed);
    assert.deepEqual(own(fixed), []);
    assert.deepEqual(own(sql.replace("('a1', 'y', 2)", "('a2', 'y', 2)")), []);
  });

  test('ON CONSTRAINT and target-less DO NOTHING use the known keys', () => {
    assert.equal(own("insert into tags values (1, 2), (1, 2) on conflict on constraint tags_task_pk_tag_pk_key do nothing;").length, 1);
    assert.equal(own("insert into articles (article_id) values ('z'), ('z') on conflict do nothing;").length, 1);
  });
});
