import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../../src/engine/analyze';
import { parseDirective } from '../../../src/core/suppress';
import { rules } from '../../../src/rules/index';
import type { Rule } from '../../../src/rules/rule';
import { applyEdits, lint, lintErrors, lintOk } from '../helpers';

const OC = 'on-conflict-without-target';
const BAD = 'INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;';

test('directive parsing: rules, reason, -file', () => {
  assert.deepEqual(parseDirective('-- dupguard-ignore on-conflict-without-target, copy-without-resume-strategy: staging only'),
    { file: false, rules: ['on-conflict-without-target', 'copy-without-resume-strategy'], reason: 'staging only' });
  assert.deepEqual(parseDirective('/* dupguard-ignore-file x */'), { file: true, rules: ['x'], reason: undefined });
  assert.deepEqual(parseDirective('-- dupguard-ignore'), { file: false, rules: [], reason: undefined });
  assert.equal(parseDirective('-- dupguard-ignored x'), undefined);
});

test('-- dupguard-ignore silences the next statement only', () => {
  lintOk(`-- dupguard-ignore ${OC}: table has exactly one unique key\n${BAD}`);
  const sql = `-- dupguard-ignore ${OC}: reviewed\n${BAD}\n${BAD}`;
  const [f] = lintErrors(sql, OC);
  assert.equal(f.start, sql.lastIndexOf('ON CONFLICT'));
});

test('a directive without rules silences every rule; other rules are not silenced by a named one', () => {
  lintOk(`-- dupguard-ignore\n${BAD}`);
  const sql = `-- dupguard-ignore copy-without-resume-strategy\n${BAD}`;
  lintErrors(sql, OC);
  const [u] = lintErrors(sql, 'unused-suppression');
  assert.equal(u.severity, 'info');
});

test('-- dupguard-ignore-file silences the whole file', () => {
  lintOk(`${BAD}\n-- dupguard-ignore-file ${OC}\n${BAD}\nCREATE FUNCTION f() RETURNS void AS $$ ${BAD} $$ LANGUAGE sql;`);
});

test('inside function bodies the next statement is the one in the body', () => {
  const sql = `DO $$ BEGIN\n  -- dupguard-ignore ${OC}: single key\n  ${BAD}\n  ${BAD}\nEND $$;`;
  const [f] = lintErrors(sql, OC);
  assert.equal(f.start, sql.lastIndexOf('ON CONFLICT'));
  // Before the whole DO block it covers the block.
  lintOk(`-- dupguard-ignore ${OC}\nDO $$ BEGIN ${BAD} ${BAD} END $$;`);
});

test('unused suppressions are reported with a fix that removes the comment', () => {
  const sql = `SELECT 1;\n-- dupguard-ignore ${OC}: stale\nSELECT 2;\n`;
  const [u] = lintErrors(sql, 'unused-suppression');
  assert.equal(sql.slice(u.start, u.end), `-- dupguard-ignore ${OC}: stale`);
  assert.match(u.message, /silences nothing/);
  assert.equal(applyEdits(sql, u.fixes[0]), 'SELECT 1;\nSELECT 2;\n');
  lintErrors(`${BAD}\n-- dupguard-ignore ${OC}\n`, 'unused-suppression');
  const [k] = lintErrors('-- dupguard-ignore no-such-rule\nSELECT 1;', 'unused-suppression');
  assert.match(k.message, /Unknown rule 'no-such-rule'/);
  // Turned off: neither reported nor a suppression that could be unused.
  assert.equal(lint(`-- dupguard-ignore ${OC}\nSELECT 1;`, { config: { rules: { 'unused-suppression': 'off' } } }).length, 0);
  assert.equal(lint(`-- dupguard-ignore ${OC}\nSELECT 1;`, { config: { rules: { [OC]: 'off' } } }).length, 0);
});

test('TS/JS: // and /* */ comments silence the next line or the SQL starting on it', () => {
  const ts = [
    `// dupguard-ignore ${OC}: tasks has one unique key`,
    'await db.query(`',
    '  INSERT INTO tasks (identifier) VALUES ($1)',
    '  ON CONFLICT DO NOTHING`, [id]);',
    `await db.query('${BAD}'); /* dupguard-ignore ${OC} */`,
    `await db.query('${BAD}');`,
  ].join('\n');
  const found = lintErrors(ts, OC, { path: 'a.ts' });
  assert.equal(found[0].start, ts.lastIndexOf('ON CONFLICT'));
  assert.equal(lint(ts, { path: 'a.ts' }).length, 1);
  // SQL comments inside the embedded SQL work as in .sql files.
  lintOk(`await db.query(\`-- dupguard-ignore ${OC}\n${BAD}\`);`, { path: 'b.js' });
  const [u] = lintErrors(`// dupguard-ignore ${OC}\nconst x = 1;\n`, 'unused-suppression', { path: 'c.ts' });
  assert.equal(u.start, 0);
});

test('a rule that throws on one statement loses only that statement', () => {
  const boom: Rule = {
    id: 'boom', severity: 'warning', description: 'test', docs: 'x', reads: [],
    statement(stmt, ctx) {
      if (stmt.text().includes('explode')) throw new Error('bug');
      ctx.report({ start: stmt.start, end: stmt.end, message: 'seen' });
    },
    document() { throw new Error('bug'); },
  };
  const r = analyze({ text: `select 'explode';\nselect 2;\n${BAD}`, path: 'x.sql', rules: [...rules, boom] });
  assert.deepEqual(r.findings.map((f) => f.rule), ['boom', 'boom', OC]);
});

test('analyze never throws on odd input', () => {
  for (const text of ['', '\u0000', ';;;', '$$', '\\', 'COPY t FROM stdin;', '\ud800', 'x'.repeat(10)]) {
    for (const path of ['a.sql', 'a.ts', 'a.jsx']) assert.ok(Array.isArray(analyze({ text, path }).findings));
  }
  assert.ok(Array.isArray(analyze({ text: undefined as unknown as string }).findings));
});
