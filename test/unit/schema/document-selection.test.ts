/**
 * A document's own DDL model (`DocumentTables`, what rules resolve a table against first) parses only
 * the statements that can shape tables (`mayShapeTables`), as the workspace schema does: the model
 * must be the one made from every statement, on every corpus file (../shared/corpus), and views,
 * functions, grants... must never reach the parser for it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { parseDocument } from '../../../src/core/facts';
import { DdlSchemaModel, ensureParser } from '../../../src/core/schema/ddl';
import { observeParseTrees, statementRanges } from '../../../src/core/schema/pg';
import { DocumentTables } from '../../../src/engine/documentTables';
import { corpusDir, listSqlFiles } from '../../support/corpus';

const absent = !fs.existsSync(corpusDir) && `corpus absent: ${corpusDir}`;
if (absent) console.log(`# note: ${absent}; document-model selection corpus test skipped`);

before(async () => {
  await ensureParser();
});

/** Everything a lookup can see: every table as described, and whether it churned. */
function snapshot(m: DdlSchemaModel | undefined): string {
  return m ? JSON.stringify([...m.tables()].map((t) => ({ t, churned: m.isChurned(t) }))) : 'none';
}

for (const folder of ['migrations', 'pg-regress', 'dumps']) {
  test(`${folder}: each file's own model from the statements that shape tables is the model from every statement`, { skip: absent || undefined }, () => {
    let compared = 0;
    for (const f of listSqlFiles(path.join(corpusDir, folder))) {
      const text = fs.readFileSync(f, 'utf8');
      const file = { path: path.relative(corpusDir, f), text };
      const ranges = statementRanges(text);
      const selected = new DdlSchemaModel();
      selected.applyFile(file, ranges);
      const every = new DdlSchemaModel({ parseEvery: true });
      every.applyFile(file, ranges);
      assert.equal(snapshot(selected), snapshot(every), file.path);
      // and as the analyzer makes it: for one run (not kept: functions not looked at) and for the editor (kept)
      const once = new DocumentTables().of(parseDocument(text), file.path, false);
      const kept = new DocumentTables().of(parseDocument(text), file.path, true);
      assert.equal(snapshot(once), snapshot(kept), file.path);
      compared++;
    }
    assert.ok(compared > 0);
  });
}

test("a document's own model for one run: only its table statements are parsed, not its views, functions, grants or settings", () => {
  // names unique to this test: nothing of it is in the parser's cache by text
  const tag = `dsel_${process.pid}`;
  const text = [
    `CREATE TABLE ${tag}_t (id int PRIMARY KEY, code text NOT NULL)`,
    `CREATE VIEW ${tag}_v AS SELECT id FROM ${tag}_t`,
    `CREATE FUNCTION ${tag}_f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$`,
    `ALTER FUNCTION ${tag}_f() OWNER TO ${tag}_r`,
    `DROP VIEW IF EXISTS ${tag}_old`,
    `SET statement_timeout = 0`,
    `CREATE UNIQUE INDEX ${tag}_i ON ${tag}_t (code)`,
  ].join(';\n') + ';\n';
  const parsed: string[] = [];
  observeParseTrees((tree: any) => parsed.push(...(tree.stmts ?? []).map((s: any) => Object.keys(s.stmt)[0])));
  let model: DdlSchemaModel | undefined;
  try {
    model = new DocumentTables().of(parseDocument(text), 'x.sql', false);
  } finally {
    observeParseTrees();
  }
  assert.deepEqual(parsed.sort(), ['CreateStmt', 'IndexStmt']);
  // the primary key and the unique index: what the table statements declare
  assert.deepEqual(model?.lookup(`${tag}_t`)?.keys.map((k) => k.columns), [['id'], ['code']]);
});
