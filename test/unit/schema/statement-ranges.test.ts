/**
 * statementRanges (the statements a failed whole-file parse falls back to, one parse each) splits
 * with the core lexer without reading facts (`statementBounds`): the ranges must be parseDocument's,
 * on every corpus file (../shared/corpus) and on the shapes whose `;` does not end a statement.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { parseDocument, statementBounds } from '../../../src/core/facts';
import { statementRanges } from '../../../src/core/schema/pg';
import { corpusDir, listSqlFiles } from '../../support/corpus';

const absent = !fs.existsSync(corpusDir) && `corpus absent: ${corpusDir}`;
if (absent) console.log(`# note: ${absent}; statement-range corpus test skipped`);

/** The ranges as statementRanges made them from parseDocument's statements. */
function fromDocument(text: string): Array<[number, number]> {
  return parseDocument(text)
    .statements.filter((st) => st.kind !== 'psql')
    .map((st): [number, number] => [st.start, st.terminator >= 0 ? st.terminator : st.end]);
}

const shapes = [
  'CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n-- trailing comment\n',
  'select 1 \\gset\n\\set x 1\nselect :x; \\copy t from stdin\nCREATE TABLE u (b int)',
  'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;\nCREATE TABLE v (c int);',
  'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO u VALUES (1); INSERT INTO u VALUES (2));\nDROP TABLE t;',
  'COPY t (a) FROM stdin;\n1\n2\n\\.\nCREATE UNIQUE INDEX i ON t (a);',
  "DO $$ BEGIN EXECUTE 'create table x (a int)'; END $$;\n/* c */ ALTER TABLE t ADD PRIMARY KEY (a) ;;",
  "select E'it\\'s; here', 'a;b', \"q;\"\"x\" from t; select $tag$ ; $tag$",
  '',
  '   \n-- only a comment',
];

test('statementRanges: parseDocument\'s statements, psql commands left out, on the shapes a `;` does not end', () => {
  for (const text of shapes) {
    assert.deepEqual(statementRanges(text), fromDocument(text), text);
    // every statement parseDocument makes, with its kind told apart where it is a psql command
    assert.deepEqual(
      statementBounds(text).map((s) => [s.start, s.end, s.terminator, s.kind === 'psql']),
      parseDocument(text).statements.map((s) => [s.start, s.end, s.terminator, s.kind === 'psql']),
      text,
    );
  }
});

test('statementRanges: parseDocument\'s statements on every corpus file', { skip: absent || undefined }, () => {
  const files = listSqlFiles(corpusDir);
  assert.ok(files.length > 0);
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    assert.deepEqual(statementRanges(text), fromDocument(text), f);
  }
});
