import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFix, lint, lintErrors } from '../helpers';
import { assertParses, ddl, loadParsers } from './schemaHelpers';

const RULE = 'table-without-unique-key';

before(loadParsers);

const own = (sql: string, opts = {}) => lint(sql, opts).filter((f) => f.rule === RULE);

describe(RULE, () => {
  test('seed 002: a child table with no unique key (info), the fix adds the configured natural key', () => {
    const sql = 'CREATE TABLE breezeway.task_requirements (id bigserial, task_pk bigint, requirement_id bigint, label text);';
    const config = { naturalKeys: { 'breezeway.task_requirements': ['task_pk', 'requirement_id'] } };
    const [f] = lintErrors(sql, RULE, { config });
    assert.equal(f.severity, 'info');
    assert.equal(sql.slice(f.start, f.end), 'breezeway.task_requirements');
    const fixed = applyFix(sql, RULE, { config });
    assert.equal(fixed, sql + '\nALTER TABLE breezeway.task_requirements ADD CONSTRAINT task_requirements_task_pk_requirement_id_key UNIQUE (task_pk, requirement_id);');
    assertParses(fixed);
    assert.deepEqual(own(fixed, { config }), []);
  });

  test('without a natural key the fix is a snippet that parses once filled', () => {
    const sql = 'create table task_photos (task_pk int, url text)';
    const fixed = applyFix(sql, RULE);
    assert.equal(fixed, 'create table task_photos (task_pk int, url text);\nALTER TABLE task_photos ADD UNIQUE (key_column);');
    assertParses(fixed);
  });

  test('embedded in a JS string the added statement stays on the same line', () => {
    const ts = "await db.query('CREATE TABLE photos (task_pk int, url text)');";
    const [f] = lint(ts, { path: 'a.ts' }).filter((x) => x.rule === RULE);
    assert.ok(f);
    assert.equal(f.fixes[0].edits[0].newText, '; ALTER TABLE photos ADD UNIQUE (${1:key_column});');
  });

  test('a key added later in the workspace or in the same file counts', () => {
    const schema = ddl('create table t (a int, b int);', 'alter table t add constraint t_ab unique (a, b);');
    assert.deepEqual(own('create table t (a int, b int);', { schema }), []);
    assert.deepEqual(own('create table u (a int); create unique index u_a on u (a);'), []);
    assert.deepEqual(own('create table v (a int primary key);'), []);
  });

  test('temp tables, partitions, CREATE TABLE AS, dropped tables: no finding', () => {
    assert.deepEqual(own('create temp table s (a int);'), []);
    assert.deepEqual(own('create table p (a int primary key) partition by hash (a); create table p0 partition of p for values with (modulus 2, remainder 0);'), []);
    assert.deepEqual(own('create table c as select 1 as a;'), []);
    assert.deepEqual(own('create table gone (a int); drop table gone;'), []);
  });

  test('the message says no later migration adds a key when the workspace schema is known', () => {
    const schema = ddl('create table logs (at timestamptz, line text);');
    const [f] = own('-- x\ncreate table logs (at timestamptz, line text);', { schema });
    assert.match(f.message, /no later migration adds one/);
  });
});
