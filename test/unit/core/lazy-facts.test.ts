/**
 * Facts are extracted when first read, and statements the lexer skimmed (ALTER, EXPLAIN, SELECT...)
 * are lexed in full when their tokens are read. Both must give exactly what an eager parse gives
 * (`parseDocument(text, { eager: true })`: no skimming, every fact extracted during the parse):
 * checked on the whole corpus, on random SQL-shaped text, and in both orders of reading.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseDocument, type Statement } from '../../../src/core/facts';
import { T } from '../../../src/core/lexer';
import { analyze } from '../../../src/engine/analyze';
import { corpusDir, listSqlFiles } from '../../support/corpus';

/** Everything a rule can read of a statement, as plain data. */
function facts(s: Statement): unknown {
  return {
    kind: s.kind, keyword: s.keyword, start: s.start, end: s.end, terminator: s.terminator, depth: s.depth,
    txn: s.txn, explicit: s.inExplicitTxn, inserts: s.inserts, copy: s.copy, truncate: s.truncate, delete: s.delete,
    update: s.update, createTable: s.createTable, merge: s.merge, createView: s.createView, createIndex: s.createIndex,
    body: s.body && { span: s.body.span, language: s.body.language, statements: s.body.statements.length },
  };
}

/** The statement's tokens as text, or undefined when they still hold skipped runs (inside a statement, e.g. a rule's SELECT action). */
function tokens(s: Statement): string[] | undefined {
  const t = s.tokens;
  const out: string[] = [];
  for (let i = s.first; i < s.last; i++) {
    if (t.types[i] === T.Skipped) return undefined;
    out.push(`${t.types[i]}@${t.starts[i]}-${t.ends[i]}`);
  }
  return out;
}

/** Asserts that the lazy parse of `text` reads as the eager one, facts first or tokens first. */
function same(text: string, where = 'text'): void {
  const eager = parseDocument(text, { eager: true });
  for (const order of ['facts first', 'tokens first']) {
    const lazy = parseDocument(text);
    assert.equal(lazy.all.length, eager.all.length, `${where}: statement count`);
    for (let i = 0; i < lazy.all.length; i++) {
      const a = lazy.all[i], b = eager.all[i];
      let ta: string[] | undefined;
      if (order === 'tokens first') ta = tokens(a);
      assert.deepEqual(facts(a), facts(b), `${where}: facts of statement ${i} (${order}): ${a.text().slice(0, 80)}`);
      if (order === 'facts first') ta = tokens(a);
      if (ta) assert.deepEqual(ta, tokens(b), `${where}: tokens of statement ${i} (${order})`);
    }
  }
}

test('examples: skimmed and deferred statements read as an eager parse does', () => {
  same([
    'ALTER TABLE t ADD CONSTRAINT k UNIQUE (a, b);',
    "EXPLAIN (costs off) INSERT INTO t (a) VALUES ('x;y') ON CONFLICT DO NOTHING;",
    'EXPLAIN SELECT 1;',
    'PREPARE p AS INSERT INTO t SELECT * FROM s ON CONFLICT (a) DO UPDATE SET b = excluded.b;',
    'UPDATE ONLY t SET a = 1; DELETE FROM ONLY t WHERE a = 2;',
    'MERGE INTO t USING s ON t.a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.a);',
    'INSERT INTO t VALUES (1), (2) RETURNING a;',
    'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ALTER TABLE t ADD b int; INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING; END $$;',
    "DO $$ BEGIN EXECUTE format('INSERT INTO %I VALUES (1) ON CONFLICT DO NOTHING', 't'); END $$;",
    'ALTER /* c */ TABLE t DROP COLUMN a; ALTER FUNCTION f() OWNER TO u; ALTER',
  ].join('\n'));
});

test('ALTER TABLE is kind alter-table, other ALTERs stay other; words are found in skimmed and lexed statements', () => {
  const doc = parseDocument('ALTER TABLE t ADD UNIQUE (a); ALTER /* x */ table u ADD b int; ALTER INDEX i RENAME TO j; ALTER TABLESPACE x OWNER TO y;\nINSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;');
  assert.deepEqual(doc.all.map((s) => s.kind), ['alter-table', 'alter-table', 'other', 'other', 'insert']);
  assert.equal(doc.all[0].mentions('unique'), true);
  assert.equal(doc.all[1].mentions('unique'), false);
  assert.equal(doc.all[1].mentions('add'), true);
  // a word inside another word is not the word
  assert.equal(doc.all[3].mentions('table'), false);
  assert.equal(doc.all[4].mentions('conflict'), true);
  assert.equal(doc.all[4].mentions('conflic'), false);
  assert.equal(doc.all[4].mentions('insert'), true);
});

test('a rule still finds ON CONFLICT DO NOTHING inside EXPLAIN and PREPARE (skimmed, facts on demand)', () => {
  const sql = 'EXPLAIN ANALYZE INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING;\nPREPARE p AS INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING;\n';
  const found = analyze({ text: sql, path: 'x.sql' }).findings.filter((f) => f.rule === 'on-conflict-without-target');
  assert.deepEqual(found.map((f) => sql.slice(f.start, f.end)), ['ON CONFLICT DO NOTHING', 'ON CONFLICT DO NOTHING']);
  assert.deepEqual(found.map((f) => f.start), [sql.indexOf('ON CONFLICT'), sql.lastIndexOf('ON CONFLICT')]);
});

test('the whole corpus: the lazy parse reads as the eager one', { skip: !fs.existsSync(corpusDir) && 'corpus absent: ../shared/corpus' }, () => {
  let files = 0;
  for (const f of listSqlFiles(corpusDir)) {
    same(fs.readFileSync(f, 'utf8'), f);
    files++;
  }
  assert.ok(files > 1000);
});

const PIECES = ['ALTER ', 'TABLE ', 'EXPLAIN ', 'PREPARE p AS ', 'INSERT INTO t ', 'UPDATE t SET a = 1 ', 'DELETE FROM t ', 'MERGE INTO t USING s ON x ',
  'WHEN NOT MATCHED THEN INSERT ', 'VALUES ', '(1, 2)', 'ON CONFLICT ', 'ON CONFLICT DO NOTHING', 'ON CONFLICT (a) DO UPDATE SET b = 1 ', 'SELECT ', 'CREATE TABLE u (a int) ', 'CREATE ', 'TEMP ', 'OR ', 'REPLACE ', 'IF NOT EXISTS ', 'UNLOGGED ', 'TYPE ', 'SEQUENCE ', 'INDEX ', 'UNIQUE ', 'VIEW ', 'RULE r AS ON INSERT TO t DO ', 'GLOBAL ', 'AS ', 'LIKE ', 'ON COMMIT DROP ', '"Q" ', 'u.v ',
  "'", '--', '/*', '*/', '\n', ';', '(', ')', ',', 'x ', ' ', 'BEGIN; ', 'COMMIT; ', '\\set x 1\n', 'COPY t FROM stdin;\n', '\\.\n'];

// No function bodies here: inside a plpgsql body, a `;`-segment that starts with a skimmed word
// (SELECT, ALTER...) is not searched for a DML statement after THEN / ELSE, as the eager parse does.
// PL/pgSQL ends every statement with `;`, so only a malformed body (`ALTER ... THEN INSERT ...`) reads
// differently; real bodies are checked on the corpus above, and in the examples.
test('random SQL-shaped text: the lazy parse reads as the eager one', () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((a) => a.join('')), (text) => same(text)), { numRuns: 2000 });
});

test('ofKinds lists the statements of those kinds in document order, as a filter of all does', () => {
  const texts = [
    'BEGIN; INSERT INTO a VALUES (1); ALTER TABLE a ADD b int; WITH x AS (SELECT 1) INSERT INTO a SELECT * FROM x; EXPLAIN SELECT 1;\n' +
      'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN INSERT INTO a VALUES (2); MERGE INTO a USING b ON true WHEN MATCHED THEN DELETE; END $$; COMMIT;',
  ];
  if (fs.existsSync(corpusDir)) for (const f of listSqlFiles(corpusDir).slice(0, 300)) texts.push(fs.readFileSync(f, 'utf8'));
  const kindsLists = [['insert', 'with', 'other'], ['create-table', 'create-index', 'alter-table'], ['insert', 'merge'], ['insert', 'with', 'other', 'merge'], ['merge', 'insert']] as const;
  for (const text of texts) {
    const doc = parseDocument(text);
    for (const kinds of kindsLists) {
      assert.deepEqual(doc.ofKinds(kinds).map((s) => s.start), doc.all.filter((s) => (kinds as readonly string[]).includes(s.kind)).map((s) => s.start));
    }
  }
});

// Function bodies made of whole plpgsql statements (each ends with `;`, as PL/pgSQL requires).
const BODY_STATEMENTS = ['INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING', 'INSERT INTO t SELECT * FROM s ON CONFLICT (a) DO UPDATE SET b = excluded.b',
  'ALTER TABLE t ADD COLUMN c int', 'EXPLAIN INSERT INTO t VALUES (2)', 'SELECT count(*) INTO n FROM t', 'UPDATE t SET a = 1 WHERE b = 2',
  'DELETE FROM t WHERE a = 3', 'IF n = 0 THEN INSERT INTO t VALUES (4) ON CONFLICT DO NOTHING; END IF', 'PERFORM pg_sleep(0)',
  "RAISE NOTICE 'x %', n", 'CREATE TEMP TABLE s (a int)', 'CREATE TYPE e AS ENUM (\'a\')', "EXECUTE 'INSERT INTO t VALUES (5) ON CONFLICT DO NOTHING'",
  'MERGE INTO t USING s ON t.a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.a)', 'FOR r IN SELECT * FROM s LOOP INSERT INTO t VALUES (r.a); END LOOP'];

test('random function bodies of whole statements: the lazy parse reads as the eager one', () => {
  const body = fc.array(fc.constantFrom(...BODY_STATEMENTS), { maxLength: 8 }).map((a) => a.map((s) => `  ${s};\n`).join(''));
  const doc = fc.array(fc.oneof(
    body.map((b) => `CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n${b}END\n$$;\n`),
    body.map((b) => `DO $$\nBEGIN\n${b}END\n$$;\n`),
    fc.constantFrom(...BODY_STATEMENTS.slice(0, 7)).map((s) => `${s};\n`),
  ), { maxLength: 6 }).map((a) => a.join(''));
  fc.assert(fc.property(doc, (text) => same(text)), { numRuns: 1000 });
});
