/**
 * The accuracy scorer (test/support/accuracy.ts) on synthetic labels and findings, so that the corpus
 * accuracy test cannot pass because its arithmetic or parsing is wrong.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareBaseline, folderBaseline, formatTable, parseCorpusReadme, parseLabels, score,
  type ScoredFinding,
} from '../support/accuracy';

const header = 'file\tline\trule\tverdict\tkind\tsource\tnote';
const row = (...c: (string | number)[]) => c.join('\t');
const R = 'on-conflict-without-target';
const C = 'copy-without-resume-strategy';

const labelText = [
  '# comment line',
  header,
  row('raw-sql/a.ts', 10, R, 'flag', 'tagged-template', 'blind', 'found'),
  row('raw-sql/a.ts', 20, R, 'flag', 'template-literal', 'blind', 'missed'),
  row('raw-sql/a.ts', 30, R, 'quiet', 'expected-output', 'blind', 'must stay quiet'),
  row('raw-sql/a.ts', 40, R, 'either', 'library-internal', 'review', 'ambiguous'),
  row('raw-sql/b.sql', 5, C, 'flag', 'sql-file', 'blind', 'copy'),
  '',
].join('\n');

const finding = (file: string, rule: string, line: number, endLine = line, severity: ScoredFinding['severity'] = 'warning'): ScoredFinding =>
  ({ file, rule, line, endLine, severity, message: 'm' });

test('labels parse: comments and blank lines skipped, columns checked, malformed rows rejected with their line', () => {
  const labels = parseLabels(labelText, 'raw-sql.tsv', new Set([R, C]));
  assert.equal(labels.length, 5);
  assert.deepEqual(labels[0], {
    file: 'raw-sql/a.ts', line: 10, rule: R, verdict: 'flag', kind: 'tagged-template', source: 'blind', note: 'found', origin: 'raw-sql.tsv:3',
  });
  assert.throws(() => parseLabels(`${header}\n${row('raw-sql/a.ts', 1, R, 'yes', 'k', 'blind', 'n')}`, 'x.tsv'), /x\.tsv:2: verdict "yes"/);
  assert.throws(() => parseLabels(`${header}\n${row('raw-sql/a.ts', 0, R, 'flag', 'k', 'blind', 'n')}`, 'x.tsv'), /line "0"/);
  assert.throws(() => parseLabels(`${header}\n${row('raw-sql/a.ts', 3, R, 'flag', 'k', 'blind')}`, 'x.tsv'), /6 columns, expected 7/);
  assert.throws(() => parseLabels(`${header}\n${row('raw-sql/a.ts', 3, 'no-such-rule', 'flag', 'k', 'blind', 'n')}`, 'x.tsv', new Set([R])), /unknown rule/);
  assert.throws(() => parseLabels(`${header}\n${row('raw-sql/a.ts', 3, R, 'flag', 'k', 'guess', 'n')}`, 'x.tsv'), /source "guess"/);
  assert.throws(() => parseLabels(`${header}\n${row('a.ts', 3, R, 'flag', 'k', 'blind', 'n')}`, 'x.tsv'), /relative to ts-real/);
  assert.throws(() => parseLabels(`${header}\n${row('raw-sql/a.ts', 3, R, 'flag', 'k', 'blind', 'n')}\n${row('raw-sql/a.ts', 3, R, 'quiet', 'k', 'review', 'n')}`, 'x.tsv'), /already given at x\.tsv:2/);
  assert.throws(() => parseLabels('file\tline\n', 'x.tsv'), /header must be/);
  assert.throws(() => parseLabels('# only a comment\n', 'x.tsv'), /no header/);
});

test('scoring: range coverage, recall over labels, precision over findings, either left out, info apart', () => {
  const labels = parseLabels(labelText, 'raw-sql.tsv');
  const findings = [
    finding('raw-sql/a.ts', R, 8, 12), //            covers the flag at 10: TP
    finding('raw-sql/a.ts', R, 10, 10), //          covers it again: a second TP finding, the label counts once for recall
    finding('raw-sql/a.ts', R, 30), //              quiet label: FP
    finding('raw-sql/a.ts', R, 40), //              either only: neutral, not in precision
    finding('raw-sql/a.ts', R, 50), //              no label: FP
    finding('raw-sql/a.ts', C, 10), //              other rule on a flag line of R: no cover, FP for C
    finding('raw-sql/a.ts', R, 20, 20, 'info'), //  info never covers: the flag at 20 stays missed
    finding('raw-sql/b.sql', C, 5, 7, 'error'), //  error counts like warning
  ];
  const s = score(labels, findings);
  const r = s.byRule.get(R)!;
  assert.deepEqual({ flags: r.flags, quiets: r.quiets, eithers: r.eithers, tp: r.tp, fn: r.fn, fp: r.fp, neutral: r.neutral, infos: r.infos },
    { flags: 2, quiets: 1, eithers: 1, tp: 2, fn: 1, fp: 2, neutral: 1, infos: 1 });
  assert.equal(r.recall, 0.5);
  assert.equal(r.precision, 0.5);
  const c = s.byRule.get(C)!;
  assert.deepEqual({ tp: c.tp, fp: c.fp, fn: c.fn, recall: c.recall, precision: c.precision }, { tp: 1, fp: 1, fn: 0, recall: 1, precision: 0.5 });
  assert.deepEqual(s.missed.map((l) => l.line), [20]);
  assert.deepEqual(s.found.map((l) => `${l.file}:${l.line}`), ['raw-sql/a.ts:10', 'raw-sql/b.sql:5']);
  assert.deepEqual(s.falsePositives.map((f) => `${f.rule}@${f.line}`), [`${R}@30`, `${R}@50`, `${C}@10`]);
  assert.deepEqual(s.quietHit.map((l) => l.line), [30]);
  assert.deepEqual(s.neutralFindings.map((f) => f.line), [40]);
  assert.deepEqual({ tp: s.total.tp, fp: s.total.fp, fn: s.total.fn, flags: s.total.flags }, { tp: 3, fp: 3, fn: 1, flags: 3 });
  assert.equal(s.total.recall, 2 / 3);
  assert.equal(s.total.precision, 0.5);
  const table = formatTable('t', s);
  assert.match(table, /on-conflict-without-target\s+2\s+1\s+1\s+2\s+1\s+2\s+1\s+1\s+50\.0%\s+50\.0%/);
  assert.match(table, /\(all rules\)/);
});

test('scoring edge cases: a finding covering flag and quiet labels is a TP; no findings means recall 0 and no precision', () => {
  const labels = parseLabels([header,
    row('traps/x.ts', 3, R, 'flag', 'k', 'blind', 'n'),
    row('traps/x.ts', 4, R, 'quiet', 'k', 'blind', 'n'),
    row('traps/x.ts', 9, R, 'either', 'k', 'blind', 'n'),
    row('traps/x.ts', 10, R, 'quiet', 'k', 'blind', 'n')].join('\n'), 't.tsv');
  const s = score(labels, [finding('traps/x.ts', R, 3, 4), finding('traps/x.ts', R, 9, 10)]);
  const r = s.byRule.get(R)!;
  assert.equal(r.tp, 1);
  assert.equal(r.fp, 1, 'a finding covering an either and a quiet label is a false positive');
  assert.equal(r.neutral, 0);
  const none = score(labels, []);
  assert.equal(none.byRule.get(R)!.recall, 0);
  assert.equal(none.byRule.get(R)!.precision, undefined);
  // An endLine before line (never produced, but harmless) is read as a one-line range.
  assert.equal(score(labels, [finding('traps/x.ts', R, 3, 1)]).byRule.get(R)!.tp, 1);
});

test('baseline comparison: lost labels and new false positives are told apart from improvements', () => {
  const labels = parseLabels(labelText, 'raw-sql.tsv');
  const before = folderBaseline(score(labels, [finding('raw-sql/a.ts', R, 10), finding('raw-sql/a.ts', R, 30)]));
  assert.deepEqual(before, { found: [`raw-sql/a.ts:10 ${R}`], falsePositives: [`raw-sql/a.ts:30 ${R}`] });
  const after = folderBaseline(score(labels, [finding('raw-sql/a.ts', R, 20), finding('raw-sql/a.ts', R, 50)]));
  assert.deepEqual(compareBaseline(before, after), {
    lost: [`raw-sql/a.ts:10 ${R}`],
    newFalsePositives: [`raw-sql/a.ts:50 ${R}`],
    gained: [`raw-sql/a.ts:20 ${R}`],
    fixed: [`raw-sql/a.ts:30 ${R}`],
  });
  assert.deepEqual(compareBaseline(before, before), { lost: [], newFalsePositives: [], gained: [], fixed: [] });
});

test('README per-file table: original paths taken as written (names with __tests__ are ambiguous otherwise)', () => {
  const md = [
    '| file | repository | commit | original path | licence | category | note |',
    '|---|---|---|---|---|---|---|',
    '| raw-sql/o__r__pkgs__client____tests____helpers__polling.ts | o/r | `5c132f3cd0c2` | `pkgs/client/__tests__/helpers/polling.ts` | MIT | raw-sql | n |',
    '| raw-sql/o__r__@app__db__x.sql | o/r.js | `4b6c82c20dd0` | `@app/db/x.sql` | MIT | raw-sql | n |',
    '| repository | commit | commit date | licence |',
    '| o/r | `5c132f3cd0c2aaaa` | 2026-03-25 | MIT |',
  ].join('\n');
  assert.deepEqual(parseCorpusReadme(md), [
    { name: 'raw-sql/o__r__pkgs__client____tests____helpers__polling.ts', repo: 'o/r', originalPath: 'pkgs/client/__tests__/helpers/polling.ts' },
    { name: 'raw-sql/o__r__@app__db__x.sql', repo: 'o/r.js', originalPath: '@app/db/x.sql' },
  ]);
});
