/**
 * Random and mutated inputs never make the analyzer throw, and the work stays linear in the input:
 * checked by counting (tokens per char, token visits while extracting facts), never by timing.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyze } from '../../src/engine/analyze';
import { parseDocument, work } from '../../src/core/facts';
import { lex } from '../../src/core/lexer';

const PIECES = [
  'INSERT INTO ', 'COPY ', ' FROM stdin;\n', '\\.\n', 'ON CONFLICT ', 'DO NOTHING', 'DO UPDATE SET a = 1', ' (a, b) ', 'WITH x AS (',
  'SELECT * FROM t', 'MERGE INTO t USING s ON true WHEN NOT MATCHED THEN INSERT VALUES (1)', 'CREATE TEMP TABLE s ', 'TRUNCATE t',
  'BEGIN;', 'COMMIT;', 'CREATE FUNCTION f() RETURNS void AS $$', '$$ LANGUAGE plpgsql;', 'DO $$ BEGIN ', ' END $$;', '$fn$', "'", "E'\\'",
  '"', '""', "''", '/*', '*/', '--', '\n', ';', '(', ')', ',', '.', '::', ':var', ":'v'", '\\set x 1\n', '\\copy t from stdin\n', '{{ x }}',
  '${a}', '$1', 'U&\'', 'IF x THEN ', 'LOOP ', 'RETURN QUERY ', '<<l>>', 'EXPLAIN ', '-- dupguard-ignore on-conflict-without-target\n',
  '-- dupguard-ignore-file\n', '\u00e9', '\ud83d\ude00', '\r\n', '\t', ' ',
];
const sqlish = fc.array(fc.constantFrom(...PIECES), { maxLength: 80 }).map((a) => a.join(''));

function checkTokens(text: string): void {
  const t = lex(text);
  assert.ok(t.count <= text.length, 'at most one token per char');
  let prev = 0;
  for (let i = 0; i < t.count; i++) {
    assert.ok(t.starts[i] >= prev && t.ends[i] > t.starts[i] && t.ends[i] <= text.length, 'tokens advance, inside the text');
    prev = t.ends[i];
  }
}

test('random SQL-shaped and arbitrary strings never throw; tokens advance', () => {
  fc.assert(fc.property(fc.oneof(sqlish, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })), (text) => {
    checkTokens(text);
    for (const p of ['a.sql', 'a.ts', 'a.tsx']) {
      const r = analyze({ text, path: p });
      for (const f of r.findings) assert.ok(f.start >= 0 && f.end >= f.start && f.end <= text.length);
    }
  }), { numRuns: 250 });
});

const corpus = path.resolve(__dirname, '../../../shared/corpus');
const absent = !fs.existsSync(corpus) && 'corpus absent: ../shared/corpus';

test('mutated corpus files never throw', { skip: absent }, () => {
  const files: string[] = [];
  for (const d of ['migrations/graphile-worker', 'migrations/supabase-storage', 'pg-regress']) {
    for (const f of fs.readdirSync(path.join(corpus, d))) if (f.endsWith('.sql')) files.push(path.join(corpus, d, f));
  }
  const texts = files.slice(0, 120).map((f) => fs.readFileSync(f, 'utf8').slice(0, 6000));
  fc.assert(fc.property(
    fc.nat(texts.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(40), fc.constantFrom(...PIECES)), { minLength: 1, maxLength: 6 }),
    (which, mutations) => {
      let text = texts[which];
      for (const [at, del, ins] of mutations) {
        const i = at % (text.length + 1);
        text = text.slice(0, i) + ins + text.slice(i + del);
      }
      checkTokens(text);
      analyze({ text, path: 'm.sql' });
    }), { numRuns: 150 });
});

test('fact extraction visits each token a bounded number of times, even on pathological input', () => {
  const shapes = [
    'insert into t select from from from from ',
    '(((((((',
    'with x as (insert into t values (1) on conflict ',
    'merge into t using s on true when not matched ',
    'create function f() returns void as $$ begin if x then insert into t values (1); ',
    'insert into t select * from a, b, c join d on ',
    '$$',
    "'",
    '/*',
  ];
  for (const shape of shapes) {
    const per: number[] = [];
    for (const n of [200, 400, 800]) {
      const text = shape.repeat(n);
      work.steps = 0;
      const doc = parseDocument(text);
      assert.ok(doc.tokens.count <= text.length);
      per.push(work.steps / text.length);
    }
    // Linear: steps per char does not grow with the input (a quadratic walk would double each time).
    assert.ok(per[2] <= per[0] * 1.25 + 0.5, `${JSON.stringify(shape)}: steps/char ${per.map((x) => x.toFixed(2)).join(' → ')}`);
  }
});

test('applying an on-conflict-without-target fix removes exactly that finding', () => {
  const piece = fc.constantFrom(...PIECES, 'INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING', ' ON CONFLICT DO NOTHING;\n');
  fc.assert(fc.property(fc.array(piece, { maxLength: 40 }).map((a) => a.join('')), (text) => {
    const rule = 'on-conflict-without-target';
    const before = analyze({ text, path: 'f.sql' }).findings.filter((f) => f.rule === rule);
    for (const f of before) {
      const fix = f.fixes.find((x) => x.preferred)!;
      let out = text;
      for (const e of [...fix.edits].sort((a, b) => b.start - a.start)) {
        assert.ok(e.start >= 0 && e.end <= text.length && e.start <= e.end);
        out = out.slice(0, e.start) + e.newText.replace(/\$\{\d+:([^}]*)\}/g, '$1') + out.slice(e.end);
      }
      const after = analyze({ text: out, path: 'f.sql' }).findings.filter((x) => x.rule === rule);
      assert.equal(after.length, before.length - 1, `fixing at ${f.start} in ${JSON.stringify(text)}`);
    }
  }), { numRuns: 150 });
});
