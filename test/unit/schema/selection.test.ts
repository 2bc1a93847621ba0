/**
 * The workspace schema is built from the statements that can change it (`mayShapeTables`), the
 * others never parsed: the model must be the one made from every statement, on every corpus file
 * (../shared/corpus: real migrations, PostgreSQL's regression SQL, pg_dump output), each folder one
 * workspace applied in name order as `dupguard lint` applies it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { buildSchemaFromDdl, ensureParser, mayShapeTables, type DdlFile, type DdlSchemaModel } from '../../../src/core/schema/ddl';
import { corpusDir, listSqlFiles } from '../../support/corpus';

const absent = !fs.existsSync(corpusDir) && `corpus absent: ${corpusDir}`;
if (absent) console.log(`# note: ${absent}; statement-selection corpus test skipped`);

before(async () => {
  await ensureParser();
});

/** Everything a lookup can see: every table as described, and whether it churned. */
function snapshot(m: DdlSchemaModel): string {
  return JSON.stringify([...m.tables()].map((t) => ({ t, churned: m.isChurned(t) })));
}

for (const folder of ['migrations', 'pg-regress', 'dumps']) {
  test(`${folder}: the schema from the statements that shape tables is the schema from every statement`, { skip: absent || undefined }, () => {
    const files: DdlFile[] = listSqlFiles(path.join(corpusDir, folder)).map((f) => ({ path: path.relative(corpusDir, f), text: fs.readFileSync(f, 'utf8') }));
    const selected = buildSchemaFromDdl(files);
    const every = buildSchemaFromDdl(files, { parseEvery: true });
    assert.ok([...every.tables()].length > 0);
    assert.equal(snapshot(selected), snapshot(every));
    // and file by file (each file its own model: a difference cannot hide behind a later DROP)
    for (const f of files) {
      assert.equal(snapshot(buildSchemaFromDdl([f])), snapshot(buildSchemaFromDdl([f], { parseEvery: true })), f.path);
    }
  });
}

test('mayShapeTables: table, index, schema and search-path statements in; queries, grants, functions, views out', () => {
  const yes = ['CREATE TABLE t (a int)', 'create unique index i on t (a)', 'CREATE TEMP TABLE x (a int)', 'create /* c */ unlogged table u (a int)',
    'ALTER TABLE t ADD PRIMARY KEY (a)', 'alter index i rename to j', 'alter view v rename column a to b', 'DROP TABLE IF EXISTS t', 'drop index i',
    'drop schema s cascade', 'create schema s create table t (a int)', "DO $$ begin alter table t add unique (a); end $$",
    "do language plpgsql $$ begin if not exists (select 1) then\n  CREATE UNIQUE INDEX i ON t (a);\n end if; end $$", 'SET search_path TO s',
    "set schema 'x'", 'RESET search_path', "SELECT pg_catalog.set_config('search_path', '', false)", '(select 1)'];
  const no = ['SELECT * FROM t', 'INSERT INTO t VALUES (1)', 'GRANT SELECT ON t TO r', "COMMENT ON TABLE t IS 'x'", 'SET statement_timeout = 0',
    'CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ select 1 $$ LANGUAGE sql', 'create view v as select 1', 'CREATE EXTENSION x',
    'drop function f()', 'ALTER FUNCTION f() OWNER TO r', 'alter sequence s restart', 'create constraint trigger tr after insert on t for each row execute function f()',
    // a DO block whose body defines no table or index (doBlock applies nothing from it)
    "DO $$ begin insert into t select 1 where not exists (select 1 from t); end $$", 'do $x$ begin perform f(); raise notice \'create\'; end $x$'];
  for (const s of yes) assert.equal(mayShapeTables(s, 0, s.length), true, s);
  for (const s of no) assert.equal(mayShapeTables(s, 0, s.length), false, s);
});
