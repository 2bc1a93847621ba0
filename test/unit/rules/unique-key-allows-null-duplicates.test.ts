import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFix, lint, lintErrors } from '../helpers';
import { assertParses, ddl, loadParsers } from './schemaHelpers';

const RULE = 'unique-key-allows-null-duplicates';

before(loadParsers);

const own = (sql: string, opts = {}) => lint(sql, opts).filter((f) => f.rule === RULE);

describe(RULE, () => {
  test('table constraint over a nullable column', () => {
    const sql = 'CREATE TABLE overrides (sprint_index int NOT NULL, role text NOT NULL, requested_by text, CONSTRAINT overrides_unique_request UNIQUE (sprint_index, role, requested_by));';
    const [f] = lintErrors(sql, RULE);
    assert.equal(sql.slice(f.start, f.end), 'CONSTRAINT overrides_unique_request UNIQUE (sprint_index, role, requested_by)');
    assert.match(f.message, /where requested_by is NULL: .* \(sprint_index, role, NULL\) can be stored any number of times/);
    const fixed = applyFix(sql, RULE);
    assert.match(fixed, /UNIQUE NULLS NOT DISTINCT \(sprint_index, role, requested_by\)/);
    assertParses(fixed);
    assert.deepEqual(own(fixed), []);
  });

  test('ALTER TABLE ADD CONSTRAINT UNIQUE (seed 003 users fix) against the workspace schema', () => {
    const schema = ddl('create table users (id serial primary key, slack_id text, discipline text);');
    const sql = 'ALTER TABLE users ADD CONSTRAINT users_slack_discipline_unique UNIQUE (slack_id, discipline);';
    const [f] = lintErrors(sql, RULE, { schema });
    assert.match(f.message, /where slack_id or discipline is NULL/);
    const fixed = applyFix(sql, RULE, { schema });
    assertParses(fixed);
    assert.deepEqual(own(fixed, { schema }), []);
  });

  test('CREATE UNIQUE INDEX: fix goes after the column list, before WHERE', () => {
    const schema = ddl('create table m (tenant int not null, ext_id text, deleted_at timestamptz);');
    const sql = 'create unique index m_ext on m (tenant, ext_id) where deleted_at is null;';
    const fixed = applyFix(sql, RULE, { schema });
    assert.equal(fixed, 'create unique index m_ext on m (tenant, ext_id) NULLS NOT DISTINCT where deleted_at is null;');
    assertParses(fixed);
    assert.deepEqual(own(fixed, { schema }), []);
  });

  test('NOT NULL columns, primary keys, single columns, IS NOT NULL predicates, later SET NOT NULL, unknown tables: no finding', () => {
    assert.deepEqual(own('create table a (x int not null, y int not null, unique (x, y));'), []);
    assert.deepEqual(own('create table b (x int, y int, primary key (x, y));'), []);
    assert.deepEqual(own('create table c (email text unique, nick text, unique (nick));'), []);
    assert.deepEqual(own('create table d (x int not null, y int); create unique index d_xy on d (x, y) where y is not null;'), []);
    assert.deepEqual(own('create table e (x int not null, y int, unique (x, y)); alter table e alter column y set not null;'), []);
    assert.deepEqual(own('create unique index z_xy on nowhere (x, y);'), []);
    assert.deepEqual(own('create table f (x int not null, y int, unique nulls not distinct (x, y));'), []);
    assert.deepEqual(own('create table g (env int not null, "idempotencyKey" text, external_id text, unique (env, "idempotencyKey"), unique (env, external_id));'), [], 'optional identifiers');
  });

  test('silent when part of the key is already unique on its own (the primary key): NULL duplicates cannot happen', () => {
    assert.deepEqual(own('CREATE TABLE a (id int PRIMARY KEY, note text, UNIQUE (id, note));'), []);
    assert.deepEqual(own('CREATE TABLE b (id int NOT NULL UNIQUE, tenant int, note text);\nCREATE UNIQUE INDEX b_x ON b (tenant, id, note);'), []);
    // a subset key over a nullable column does not rule it out
    lintErrors('CREATE TABLE c (code text UNIQUE, tenant int NOT NULL, note text, UNIQUE (tenant, code, note));', RULE);
  });

  test('silent when a CHECK of the table governs the NULLs (forbids them, or pairs them with a column another key covers)', () => {
    const invitations = `create table invitations (
  id uuid primary key,
  organization_id uuid not null,
  user_id uuid,
  email text,
  check ((user_id is null) <> (email is null)),
  unique (organization_id, user_id),
  unique (organization_id, email)
);`;
    assert.deepEqual(own(invitations), []);
    const credential = `CREATE TABLE credential (id text PRIMARY KEY, workspace_id text NOT NULL, type text NOT NULL, env_key text);
ALTER TABLE credential ADD CONSTRAINT env_check CHECK ((type <> 'env_workspace') OR (env_key IS NOT NULL));
CREATE UNIQUE INDEX credential_env_unique ON credential (workspace_id, type, env_key) WHERE type = 'env_workspace';`;
    assert.deepEqual(own(credential), []);
  });

  test('the fix goes after an INCLUDE list, where the grammar wants NULLS NOT DISTINCT', () => {
    const sql = 'CREATE TABLE t (c1 int, c2 int, c3 int);\nCREATE UNIQUE INDEX t_idx ON t USING btree (c1, c2) INCLUDE (c3);';
    const fixed = applyFix(sql, RULE);
    assert.match(fixed, /INCLUDE \(c3\) NULLS NOT DISTINCT;$/);
    assertParses(fixed);
  });
});
