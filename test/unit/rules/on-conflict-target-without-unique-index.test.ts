import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFix, lint, lintErrors } from '../helpers';
import { assertParses, ddl, loadParsers } from './schemaHelpers';

const RULE = 'on-conflict-target-without-unique-index';

before(loadParsers);

// seed 003: users re-keyed from slack_id to (slack_id, discipline); sprints got a partial index
const schema = () =>
  ddl(
    `create table users (id serial primary key, slack_id text unique, discipline text, name text);
     create table sprints (id serial primary key, sprint_index int, starts date);
     create table tags (task_pk int not null, tag_pk int not null, email text);`,
    `ALTER TABLE users DROP CONSTRAINT users_slack_id_key;
     ALTER TABLE users ADD CONSTRAINT users_slack_discipline_unique UNIQUE (slack_id, discipline);
     CREATE UNIQUE INDEX idx_sprints_active_unique ON sprints(sprint_index) WHERE sprint_index IS NOT NULL;
     ALTER TABLE tags ADD CONSTRAINT task_tags_unique UNIQUE (task_pk, tag_pk);
     CREATE UNIQUE INDEX tags_email_lower ON tags (lower(email));`,
  );

function own(sql: string) {
  return lint(sql, { schema: schema() }).filter((f) => f.rule === RULE);
}

describe(RULE, () => {
  test('arbiter on a dropped unique constraint (seed 003: users_slack_id_key gone)', () => {
    const sql = "INSERT INTO users (slack_id, discipline, name) VALUES ($1, $2, $3) ON CONFLICT (slack_id) DO UPDATE SET name = excluded.name;";
    const [f] = lintErrors(sql, RULE, { schema: schema() });
    assert.equal(f.severity, 'error');
    assert.equal(sql.slice(f.start, f.end), '(slack_id)');
    assert.match(f.message, /42P10/);
    assert.match(f.message, /users_slack_discipline_unique \(slack_id, discipline\)/);
    assert.equal(f.related?.[0].location.path, 'migrations/001.sql');
    const fixed = applyFix(sql, RULE, { schema: schema() });
    assert.equal(fixed, sql.replace('(slack_id)', '(slack_id, discipline)'));
    assertParses(fixed);
    assert.deepEqual(own(fixed), []);
  });

  test('columns in any order, expressions, ON CONSTRAINT with a real constraint: no finding', () => {
    assert.deepEqual(own('INSERT INTO users (discipline, slack_id) VALUES (1, 2) ON CONFLICT (discipline, slack_id) DO NOTHING;'), []);
    assert.deepEqual(own('INSERT INTO tags (task_pk, tag_pk) VALUES (1, 2) ON CONFLICT (tag_pk, task_pk) DO NOTHING;'), []);
    assert.deepEqual(own('INSERT INTO tags (email) VALUES ($1) ON CONFLICT (lower(email)) DO NOTHING;'), []);
    assert.deepEqual(own('INSERT INTO tags (email) VALUES ($1) ON CONFLICT ((lower(email))) DO NOTHING;'), []);
    assert.deepEqual(own('INSERT INTO tags VALUES (1, 2) ON CONFLICT ON CONSTRAINT task_tags_unique DO NOTHING;'), []);
    assert.deepEqual(own('INSERT INTO users (id) VALUES (1) ON CONFLICT (id) DO NOTHING;'), []);
  });

  test('unknown tables are unknown: no finding on a guess', () => {
    assert.deepEqual(own('INSERT INTO nowhere (a) VALUES (1) ON CONFLICT (a) DO NOTHING;'), []);
    assert.deepEqual(lint('INSERT INTO users (x) VALUES (1) ON CONFLICT (x) DO NOTHING;').filter((f) => f.rule === RULE), []);
  });

  test('partial unique index needs its predicate in the arbiter', () => {
    const sql = 'INSERT INTO sprints (sprint_index, starts) VALUES (4, now()) ON CONFLICT (sprint_index) DO NOTHING;';
    const [f] = lintErrors(sql, RULE, { schema: schema() });
    assert.match(f.message, /partial/);
    const fixed = applyFix(sql, RULE, { schema: schema() });
    assert.equal(fixed, sql.replace('(sprint_index)', '(sprint_index) WHERE sprint_index IS NOT NULL'));
    assertParses(fixed);
    assert.deepEqual(own(fixed), []);
  });

  test('ON CONSTRAINT naming nothing, or naming an index', () => {
    const [a] = own('INSERT INTO tags VALUES (1, 2) ON CONFLICT ON CONSTRAINT tags_pkey DO NOTHING;');
    assert.match(a.message, /no constraint named tags_pkey/);
    const sql = 'INSERT INTO tags (email) VALUES ($1) ON CONFLICT ON CONSTRAINT tags_email_lower DO NOTHING;';
    const [b] = own(sql);
    assert.match(b.message, /is a unique index .* not a constraint/);
    assert.equal(sql.slice(b.start, b.end), 'ON CONSTRAINT tags_email_lower');
  });

  test('table declared in the same file counts as known; WHERE on the arbiter is accepted', () => {
    const sql = `create temp table stage (k text, v int);
      insert into stage values ('a', 1) on conflict (k) do nothing;`;
    const [f] = lintErrors(sql, RULE);
    assert.match(f.message, /no unique key at all/);
    assert.deepEqual(own('INSERT INTO sprints (sprint_index) VALUES (1) ON CONFLICT (sprint_index) WHERE sprint_index IS NOT NULL DO NOTHING;'), []);
  });

  test('inside a function body and in embedded TS', () => {
    const body = `create function f() returns void language plpgsql as $$ begin
      insert into users (slack_id) values ('x') on conflict (name) do nothing; end $$;`;
    assert.equal(own(body).length, 1);
    const ts = "await db.query(`INSERT INTO users (slack_id, discipline) VALUES ($1, $2) ON CONFLICT (slack_id) DO NOTHING`, [a, b]);";
    const found = lint(ts, { path: 'a.ts', schema: schema() }).filter((f) => f.rule === RULE);
    assert.equal(found.length, 1);
    assert.equal(ts.slice(found[0].start, found[0].end), '(slack_id)');
  });
});
