/**
 * LEX_SKIM (statements no fact is read from are stepped over, not tokenized) must leave everything
 * else exactly as full lexing gives it: the same statement bounds, the same tokens outside the
 * skipped runs, the same comments (suppressions live in them). Checked on the whole corpus, on
 * random SQL-shaped text and on mutated corpus files.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { splitStatements } from '../../../src/core/facts';
import { lex, LEX_SKIM, T, type Tokens } from '../../../src/core/lexer';
import { corpusDir, listSqlFiles } from '../../support/corpus';

/** Statement ranges (first token start, last token end) as offsets. */
function ranges(t: Tokens): string[] {
  const s = splitStatements(t);
  const out: string[] = [];
  for (let k = 0; k < s.length; k += 2) {
    let a = s[k], b = s[k + 1] - 1;
    while (b > a && (t.types[b] === T.LineComment || t.types[b] === T.BlockComment)) b--;
    out.push(`${t.starts[a]}-${t.ends[b]}`);
  }
  return out;
}

function tokenList(t: Tokens, skip?: (start: number) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < t.count; i++) if (!skip?.(t.starts[i])) out.push(`${t.types[i]}@${t.starts[i]}-${t.ends[i]}`);
  return out;
}

/** Asserts that skimming `text` changes nothing but the tokens inside skipped runs. */
function same(text: string): void {
  const full = lex(text);
  const skim = lex(text, 0, text.length, LEX_SKIM);
  assert.deepEqual(ranges(skim), ranges(full), 'statement bounds');
  assert.equal(skim.directives, full.directives, 'directive comments');
  // Skipped runs: every full token inside one is covered by it; outside them the tokens are identical.
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < skim.count; i++) if (skim.types[i] === T.Skipped) runs.push([skim.starts[i], skim.ends[i]]);
  const inRun = (o: number) => runs.some(([a, b]) => o >= a && o < b);
  assert.deepEqual(tokenList(skim, inRun), tokenList(full, inRun), 'tokens outside skipped runs');
  for (let i = 0; i < full.count; i++) {
    if (!inRun(full.starts[i])) continue;
    assert.ok(runs.some(([a, b]) => full.starts[i] >= a && full.ends[i] <= b), `token ${i} inside a run does not cross its end`);
    assert.ok(full.types[i] !== T.LineComment && full.types[i] !== T.BlockComment && full.types[i] !== T.Semi && full.types[i] !== T.PsqlMeta && full.types[i] !== T.CopyData);
  }
}

test('examples: strings, E-strings, dollar quotes, names with $, comments, parentheses, templates inside skipped statements', () => {
  const sql = [
    "SELECT 'a;b', E'it\\'s;', $$x;y$$, $q$ ; $q$, a$b, 1$$, $1, ${v}, {{ ';' }}, \"c;d\", U&'e;', x::text FROM t; -- tail",
    'SELECT 1 /* a ; /* nested ; */ */ , 2 -- dupguard-ignore on-conflict-without-target',
    ', 3;',
    'GRANT SELECT ON t TO u;',
    'SET search_path = a, b; \\set x 1',
    "SELECT :'v', :\"w\" \\gset",
    'CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; INSERT INTO a VALUES (1));',
    "COPY t FROM stdin;\n1\t2\n\\.",
    'SELECT (1; SELECT 2)); SELECT',
  ].join('\n');
  same(sql);
  const skim = lex(sql, 0, sql.length, LEX_SKIM);
  assert.ok(skim.count < lex(sql).count, 'fewer tokens');
});

test('the whole corpus: skimming changes no statement bound and no token outside skipped runs', { skip: !fs.existsSync(corpusDir) && 'corpus absent: ../shared/corpus' }, () => {
  let files = 0;
  for (const f of listSqlFiles(corpusDir)) {
    same(fs.readFileSync(f, 'utf8'));
    files++;
  }
  assert.ok(files > 1000);
});

const PIECES = ['SELECT ', 'GRANT ', 'SET ', 'INSERT INTO t ', 'ALTER ', 'EXPLAIN ', 'CREATE ', 'CREATE TYPE ', 'OR REPLACE ', 'TEMP ', 'FUNCTION ', 'TABLE ', 'EXTENSION ', "'", "E'", '\\', "\\'", '$$', '$a$', 'a$', '1$', '$1', '${', '}', '{{', '}}',
  '"', '--', '/*', '*/', '\n', ';', '(', ')', ',', 'x', ' ', ":'", 'U&\'', '\u00e9', '\u00a0', '\ufeff', '\t', 'E', 'e\'', '$q$', '\\set x\n', 'COPY t FROM stdin;\n', '\\.\n'];

test('random SQL-shaped text: skimming changes no statement bound and no token outside skipped runs', () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((a) => a.join('')), (text) => same(text)), { numRuns: 3000 });
});
