import * as assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parseDocument, type Statement } from '../../../src/core/facts';
import { ensureParser, parserReady } from '../../../src/core/schema/pg';
import { StatementAsts } from '../../../src/engine/statementAst';

const texts = (sql: string) => parseDocument(sql).statements.map((s) => s.text());

before(async () => {
  await ensureParser();
  assert.equal(parserReady(), true, 'libpg-query loads');
});

test('splits at semicolons outside strings, comments, dollar bodies and identifiers', () => {
  const sql = "select ';' ; select \"a;b\" from t -- ; no\n; /* ; */ select $x$;$x$;select E'\\';';";
  assert.deepEqual(texts(sql), ["select ';'", 'select "a;b" from t', 'select $x$;$x$', "select E'\\';'"]);
});

test('statement offsets exclude leading comments and the semicolon', () => {
  const sql = '-- head\n  INSERT INTO t VALUES (1) ;\n';
  const [s] = parseDocument(sql).statements;
  assert.equal(s.start, sql.indexOf('INSERT'));
  assert.equal(s.end, sql.indexOf(' ;'));
  assert.equal(s.terminator, sql.indexOf(';'));
});

test('COPY data with semicolons and backslashes is not split, and is attached to its COPY', () => {
  const sql = 'COPY t (a) FROM stdin;\nx;y\\;z\n;\n\\.\nselect 1;\n';
  const doc = parseDocument(sql);
  assert.deepEqual(doc.statements.map((s) => s.kind), ['copy', 'select']);
  const data = doc.statements[0].copy!.data!;
  assert.equal(sql.slice(data.start, data.end), 'x;y\\;z\n;\n\\.\n');
});

test('psql meta lines are statements of their own and end the one before', () => {
  const doc = parseDocument("\\set ON_ERROR_STOP on\nselect 1 \\gset\ninsert into t values (1);\n\\echo 'x;y'\n");
  assert.deepEqual(doc.statements.map((s) => [s.kind, s.text()]), [
    ['psql', '\\set ON_ERROR_STOP on'], ['select', 'select 1'], ['psql', '\\gset'], ['insert', 'insert into t values (1)'], ['psql', "\\echo 'x;y'"],
  ]);
});

test('INSERT facts: qualified, quoted and folded names, columns, ON CONFLICT forms', () => {
  const ins = (sql: string) => parseDocument(sql).all.flatMap((s) => s.inserts)[0];
  const a = ins('INSERT INTO Breezeway."Task_Photos" AS p (Task_PK, "Photo") VALUES (1, 2) ON CONFLICT DO NOTHING');
  assert.deepEqual([a.table.schema, a.table.name, a.alias, a.columns!.map((c) => c.name), a.source], ['breezeway', 'Task_Photos', 'p', ['task_pk', 'Photo'], 'values']);
  assert.deepEqual([a.onConflict!.target.kind, a.onConflict!.action], ['none', 'nothing']);
  const sql = 'insert into t (a, b) select a, b from s join u on true on conflict (a, b) where b > 0 do update set b = excluded.b where t.b <> excluded.b returning *';
  const b = ins(sql);
  assert.equal(b.source, 'select');
  assert.deepEqual(b.reads.map((r) => r.name), ['s', 'u']);
  const oc = b.onConflict!;
  assert.equal(oc.target.kind, 'columns');
  if (oc.target.kind === 'columns') {
    assert.deepEqual(oc.target.columns, ['a', 'b']);
    assert.equal(sql.slice(oc.target.where!.start, oc.target.where!.end), 'where b > 0');
  }
  assert.equal(oc.action, 'update');
  assert.equal(sql.slice(oc.head.start, oc.head.end), 'on conflict (a, b) where b > 0 do update');
  assert.equal(sql.slice(oc.updateWhere!.start, oc.updateWhere!.end), 'where t.b <> excluded.b');
  assert.equal(sql.slice(oc.start, oc.end), 'on conflict (a, b) where b > 0 do update set b = excluded.b where t.b <> excluded.b');
  assert.equal(b.returning, true);
  const csql = 'INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT "T_pkey" DO NOTHING';
  const c = ins(csql);
  assert.deepEqual(c.onConflict!.target, { kind: 'constraint', name: 'T_pkey', span: { start: csql.indexOf('ON CONSTRAINT'), end: csql.indexOf(' DO') } });
  const d = ins('INSERT INTO t VALUES (1) ON CONFLICT ((lower(email)), id) DO NOTHING');
  assert.deepEqual(d.onConflict!.target.kind === 'columns' && [d.onConflict!.target.columns, d.onConflict!.target.expression], [['(lower(email))', 'id'], true]);
  assert.equal(ins('INSERT INTO t DEFAULT VALUES').source, 'default-values');
  assert.equal(ins('INSERT INTO t (SELECT 1)').columns, undefined);
});

test('WITH ... INSERT: main statement and data-modifying CTEs', () => {
  const doc = parseDocument('WITH s AS (SELECT 1), x AS (INSERT INTO a SELECT * FROM s ON CONFLICT DO NOTHING RETURNING id) INSERT INTO b SELECT id FROM x');
  const [st] = doc.statements;
  assert.equal(st.kind, 'insert');
  assert.deepEqual(st.inserts.map((i) => [i.table.name, i.inWith, !!i.onConflict, i.returning]), [['a', true, true, true], ['b', true, false, false]]);
});

test('COPY facts: target, direction, endpoint, psql \\copy', () => {
  const copy = (sql: string) => parseDocument(sql).all.find((s) => s.copy)!.copy!;
  assert.deepEqual(
    (({ direction, endpoint, meta }) => ({ direction, endpoint, meta }))(copy("COPY s.t (a) FROM PROGRAM 'zcat x.gz'")),
    { direction: 'from', endpoint: 'program', meta: false });
  assert.equal(copy("copy t from '/data/x.csv' csv").endpoint, 'file');
  assert.equal(copy('copy t to stdout').direction, 'to');
  assert.equal(copy('copy (select 1) to stdout').table, undefined);
  const m = copy('\\copy public.t (a, b) from pstdin with csv\n');
  assert.deepEqual([m.meta, m.table!.schema, m.table!.name, m.endpoint, m.columns!.map((c) => c.name)], [true, 'public', 't', 'stdin', ['a', 'b']]);
});

test('TRUNCATE / DELETE / CREATE TABLE / MERGE / CREATE UNIQUE INDEX facts', () => {
  const doc = parseDocument(`TRUNCATE TABLE ONLY a, s.b CASCADE;
DELETE FROM ONLY c WHERE x;
CREATE TEMP TABLE st (LIKE s.b INCLUDING DEFAULTS) ON COMMIT DROP;
CREATE UNLOGGED TABLE IF NOT EXISTS u (id int);
MERGE INTO tgt t USING (select * from src) s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ux ON s.b USING btree (lower(email), "Org") WHERE deleted_at IS NULL;`);
  const [tr, del, ct, ul, mg, ix] = doc.statements;
  assert.deepEqual(tr.truncate!.map((t) => [t.schema, t.name]), [[undefined, 'a'], ['s', 'b']]);
  assert.equal(del.delete!.name, 'c');
  assert.deepEqual([ct.createTable!.temp, ct.createTable!.onCommit, ct.createTable!.like!.name], [true, 'drop', 'b']);
  assert.deepEqual([ul.createTable!.unlogged, ul.createTable!.ifNotExists, ul.createTable!.table.name], [true, true, 'u']);
  assert.deepEqual([mg.merge!.table.name, mg.merge!.usingTable, mg.merge!.insertsWhenNotMatched], ['tgt', undefined, true]);
  assert.equal(doc.text.slice(mg.merge!.using!.start, mg.merge!.using!.end), '(select * from src) s');
  assert.deepEqual([ix.kind, ix.createIndex!.unique, ix.createIndex!.name, ix.createIndex!.table.name, ix.createIndex!.columns], ['create-index', true, 'ux', 'b', ['lower(email)', 'Org']]);
});

test('transactions: BEGIN/START TRANSACTION ... COMMIT/END/ROLLBACK share an id; autocommit statements do not', () => {
  const doc = parseDocument('select 1; BEGIN; truncate t; copy t from stdin;\n\\.\nCOMMIT; select 2; START TRANSACTION; select 3; ROLLBACK TO SAVEPOINT x; select 4; END; select 5;');
  const ids = doc.statements.map((s) => s.txn);
  const [s1, b, tr, cp, cm, s2, st, s3, rb, s4, en, s5] = ids;
  assert.equal(new Set([b, tr, cp, cm]).size, 1);
  assert.equal(new Set([st, s3, rb, s4, en]).size, 1);
  assert.equal(new Set([s1, b, s2, st, s5]).size, 5);
  assert.equal(doc.statements[3].inExplicitTxn, true);
  assert.equal(doc.statements[0].inExplicitTxn, false);
});

test('plpgsql function bodies: statements after control words, positions in the file', () => {
  const sql = `CREATE OR REPLACE FUNCTION f(x int) RETURNS SETOF t LANGUAGE plpgsql AS $fn$
DECLARE n int := (SELECT count(*) FROM t);
BEGIN
  <<outer>>
  FOR r IN SELECT * FROM s LOOP
    INSERT INTO a (id) VALUES (r.id) ON CONFLICT DO NOTHING;
  END LOOP;
  IF n > 0 THEN UPDATE t SET y = 1; ELSE DELETE FROM t; END IF;
  RETURN QUERY INSERT INTO b (id) VALUES (1) ON CONFLICT (id) DO NOTHING RETURNING *;
EXCEPTION WHEN unique_violation THEN
  INSERT INTO c VALUES (1);
END $fn$;`;
  const doc = parseDocument(sql);
  const [fn] = doc.statements;
  assert.equal(fn.kind, 'create-function');
  assert.equal(fn.body!.language, 'plpgsql');
  const inner = fn.body!.statements;
  assert.deepEqual(inner.map((s) => [s.kind, s.depth]), [['insert', 1], ['update', 1], ['delete', 1], ['insert', 1], ['insert', 1]]);
  const a = inner[0].inserts[0];
  assert.equal(sql.slice(a.onConflict!.head.start, a.onConflict!.head.end), 'ON CONFLICT DO NOTHING');
  assert.equal(inner[0].text(), 'INSERT INTO a (id) VALUES (r.id) ON CONFLICT DO NOTHING');
  assert.equal(doc.all.length, 6);
  assert.ok(inner.every((s) => s.txn === fn.txn && s.parent === fn));
});

test('SQL-language functions and DO blocks (language before or after the body)', () => {
  const doc = parseDocument(`create function g() returns void as $$ insert into a values (1) on conflict do nothing; delete from b $$ language sql;
DO LANGUAGE plpgsql $do$ BEGIN INSERT INTO c SELECT 1; END $do$;
DO $$ BEGIN PERFORM 1; END $$;
create function py() returns int as $$ insert into x $$ language plpython3u;`);
  const [g, d1, d2, py] = doc.statements;
  assert.deepEqual(g.body!.statements.map((s) => s.kind), ['insert', 'delete']);
  assert.deepEqual(d1.body!.statements.map((s) => s.kind), ['insert']);
  assert.equal(d2.body!.statements.length, 0);
  assert.equal(py.body!.language, 'plpython3u');
  assert.equal(py.body!.statements.length, 0);
});

test('pg_dump scripts are recognized', () => {
  assert.equal(parseDocument('--\n-- PostgreSQL database dump\n--\n\nSET x = 1;').pgDump, true);
  assert.equal(parseDocument('-- my dump of things\nSET x = 1;').pgDump, false);
});

test("a statement's parse (what rules read as ctx.ast) has libpg-query's node, locations as file UTF-16 offsets", () => {
  const sql = "select 'é';\ninsert into ü (a) values (1) on conflict do nothing;";
  const st: Statement = parseDocument(sql).statements[1];
  const asts = new StatementAsts();
  const ast = asts.of(st)!;
  assert.equal(ast.kind, 'InsertStmt');
  assert.equal(ast.node.relation.relname, 'ü');
  assert.equal(ast.at(ast.node.relation.location), sql.indexOf('ü (a)'));
  assert.ok(ast.node.onConflictClause);
  assert.equal(asts.of(parseDocument('insert into where;').statements[0]), undefined);
});

test('CREATE FUNCTION ... BEGIN ATOMIC ... END is one statement whose body is analyzed', () => {
  const sql = `BEGIN;
CREATE FUNCTION f(x int) RETURNS void LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO a VALUES (x) ON CONFLICT DO NOTHING;
  SELECT CASE WHEN x > 0 THEN 1 END;
END;
COPY t FROM stdin;
1
\\.
COMMIT;`;
  const doc = parseDocument(sql);
  assert.deepEqual(doc.statements.map((s) => s.kind), ['begin', 'create-function', 'copy', 'commit']);
  const fn = doc.statements[1];
  assert.deepEqual(fn.body!.statements.map((s) => s.kind), ['insert', 'select']);
  assert.equal(fn.body!.statements[0].text(), 'INSERT INTO a VALUES (x) ON CONFLICT DO NOTHING');
  assert.equal(doc.statements[2].txn, doc.statements[0].txn);
});

test('VALUES rows and cells', () => {
  const sql = "INSERT INTO t (a, b) VALUES (1, f(2, 3)), ($1, '(x,y)'), (%s, ${v}) ON CONFLICT DO NOTHING";
  const ins = parseDocument(sql).statements[0].inserts[0];
  assert.deepEqual(ins.rows!.map((r) => r.cells.map((c) => sql.slice(c.start, c.end))), [['1', 'f(2, 3)'], ['$1', "'(x,y)'"], ['%s', '${v}']]);
  assert.equal(sql.slice(ins.rows![1].span.start, ins.rows![1].span.end), "($1, '(x,y)')");
});

test("single-quoted function bodies are analyzed in place", () => {
  const sql = "CREATE FUNCTION f() RETURNS void AS 'INSERT INTO a VALUES (''x'') ON CONFLICT DO NOTHING' LANGUAGE sql;";
  const [fn] = parseDocument(sql).statements;
  const [ins] = fn.body!.statements;
  assert.equal(ins.inserts[0].table.name, 'a');
  const oc = ins.inserts[0].onConflict!;
  assert.equal(sql.slice(oc.head.start, oc.head.end), 'ON CONFLICT DO NOTHING');
});

test('CREATE RULE ... DO (a; b): one statement (as psql sends it), every INSERT among its actions', () => {
  const sql = `CREATE RULE log_ins AS ON INSERT TO t DO ALSO (
  INSERT INTO audit (id) VALUES (new.id) ON CONFLICT DO NOTHING;
  UPDATE counters SET n = n + 1;
  INSERT INTO audit2 (id) SELECT new.id
);
INSERT INTO t VALUES (1);
CREATE OR REPLACE RULE r2 AS ON UPDATE TO t DO INSTEAD INSERT INTO audit3 VALUES (old.id);`;
  const doc = parseDocument(sql);
  assert.deepEqual(doc.statements.map((s) => s.keyword), ['create', 'insert', 'create']);
  const [rule, plain, rule2] = doc.statements;
  assert.ok(rule.text().endsWith('SELECT new.id\n)'));
  assert.deepEqual(rule.inserts.map((i) => i.table.name), ['audit', 'audit2']);
  assert.equal(rule.inserts[0].onConflict?.target.kind, 'none');
  assert.equal(sql.slice(rule.inserts[0].onConflict!.head.start, rule.inserts[0].onConflict!.head.end), 'ON CONFLICT DO NOTHING');
  assert.equal(rule.inserts[1].source, 'select');
  assert.equal(plain.inserts[0].table.name, 't');
  assert.deepEqual(rule2.inserts.map((i) => i.table.name), ['audit3']);
});

test('an unclosed parenthesis outside CREATE RULE does not swallow the statements after it', () => {
  const doc = parseDocument('INSERT INTO t (a VALUES (1;\nINSERT INTO u VALUES (2) ON CONFLICT DO NOTHING;');
  assert.equal(doc.statements.length, 2);
  assert.equal(doc.statements[1].inserts[0].onConflict?.action, 'nothing');
});
