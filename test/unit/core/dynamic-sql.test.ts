/**
 * SQL run by plpgsql EXECUTE: a plain string literal (or the pattern of format()) is analyzed in
 * place, with file positions; quick fixes there keep the literal valid.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../../src/engine/analyze';
import { parseDocument } from '../../../src/core/facts';
import { LEX_FORMAT, lex, T } from '../../../src/core/lexer';

const fn = (body: string) => `CREATE FUNCTION load(s text, x int) RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n${body}\nEND $$;\n`;

test('EXECUTE of a plain literal: its INSERT is a body statement at its place in the file', () => {
  const sql = fn("  EXECUTE 'INSERT INTO events (id) VALUES ($1) ON CONFLICT DO NOTHING' USING x;");
  const doc = parseDocument(sql);
  const ins = doc.all.find((s) => s.kind === 'insert')!;
  assert.ok(ins, 'the INSERT in the string is a statement');
  assert.equal(ins.text(), 'INSERT INTO events (id) VALUES ($1) ON CONFLICT DO NOTHING');
  assert.equal(ins.depth, 1);
  assert.equal(ins.inserts[0].table.name, 'events');
  assert.equal(ins.txn, doc.statements[0].txn);
  assert.deepEqual(doc.quoted.map((q) => sql.slice(q.start, q.end)), ['INSERT INTO events (id) VALUES ($1) ON CONFLICT DO NOTHING']);
  const [f] = analyze({ text: sql, path: 'f.sql' }).findings.filter((x) => x.rule === 'on-conflict-without-target');
  assert.equal(sql.slice(f.start, f.end), 'ON CONFLICT DO NOTHING');
  assert.equal(f.start, sql.indexOf('ON CONFLICT'));
});

test('EXECUTE format(...): %I / %L / %s are placeholders, the statement is read', () => {
  const sql = fn("  EXECUTE format('INSERT INTO %I.events (id, v) VALUES (%L, %1$s) ON CONFLICT DO NOTHING', s, x);");
  const ins = parseDocument(sql).all.find((s) => s.kind === 'insert')!;
  assert.equal(ins.inserts[0].table.name, 'events');
  assert.equal(ins.inserts[0].table.raw, '%I.events');
  assert.equal(ins.inserts[0].onConflict?.target.kind, 'none');
  const t = lex(sql, sql.indexOf("'") + 1, sql.lastIndexOf("'"), LEX_FORMAT);
  const templates = [];
  for (let i = 0; i < t.count; i++) if (t.types[i] === T.Template) templates.push(sql.slice(t.starts[i], t.ends[i]));
  assert.deepEqual(templates, ['%I', '%L', '%1$s']);
  // Outside format() patterns % stays the modulo operator.
  const plain = lex('SELECT a %s FROM t');
  assert.equal(plain.types[2], T.Operator);
});

test('EXECUTE of a || chain of plain literals is followed (the computed part names the table); a computed string is not; doubled quotes keep the structure', () => {
  const sql = fn([
    "  EXECUTE 'INSERT INTO ' || s || '.events VALUES (1) ON CONFLICT DO NOTHING';",
    '  EXECUTE q;',
    "  IF x > 0 THEN EXECUTE 'INSERT INTO log (a) VALUES (''it''''s'') ON CONFLICT DO NOTHING'; END IF;",
  ].join('\n'));
  const inserts = parseDocument(sql).all.filter((s) => s.kind === 'insert');
  assert.deepEqual(inserts.map((s) => [s.inserts[0].table.schema, s.inserts[0].table.name]), [['s', 'events'], [undefined, 'log']]);
  const findings = analyze({ text: sql, path: 'f.sql' }).findings.filter((x) => x.rule === 'on-conflict-without-target');
  assert.deepEqual(findings.map((f) => f.start), [sql.indexOf('ON CONFLICT'), sql.lastIndexOf('ON CONFLICT')]);
  assert.match(findings[0].message, /s\.events/);
});

test('a quick fix inside an EXECUTE literal leaves the literal and the function intact', () => {
  const sql = fn("  EXECUTE 'INSERT INTO events (id) VALUES ($1) ON CONFLICT DO NOTHING' USING x;\n  INSERT INTO b VALUES (1);");
  const schema = undefined;
  for (const f of analyze({ text: sql, path: 'f.sql', schema }).findings) {
    for (const fix of f.fixes) {
      let out = sql;
      for (const e of [...fix.edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
      const doc = parseDocument(out);
      assert.equal(doc.statements.length, 1, `${fix.title}: still one CREATE FUNCTION`);
      assert.deepEqual(doc.all.filter((s) => s.kind === 'insert').map((s) => s.inserts[0].table.name), ['events', 'b'], fix.title);
    }
  }
});

test('fix text written inside quoted SQL doubles its quotes once per enclosing literal', async () => {
  const { quoteFix } = await import('../../../src/engine/analyze');
  const quoted = [{ start: 10, end: 100 }, { start: 20, end: 50 }];
  const fix = { title: 't', edits: [
    { start: 5, end: 5, newText: "x = 'a'" },
    { start: 15, end: 15, newText: "x = 'a'" },
    { start: 30, end: 31, newText: "x = 'a'" },
    { start: 40, end: 40, newText: 'no quotes' },
  ] };
  assert.deepEqual(quoteFix(fix, quoted).edits.map((e) => e.newText), ["x = 'a'", "x = ''a''", "x = ''''a''''", 'no quotes']);
  const plain = { title: 'p', edits: [{ start: 5, end: 6, newText: "'" }] };
  assert.equal(quoteFix(plain, quoted), plain);
});
