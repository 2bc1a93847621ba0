/**
 * The ORM layer against the reviewers' labels of ../shared/corpus/ts-real/orm: recall and precision of
 * "targetless ON CONFLICT DO NOTHING on PostgreSQL" facts (issue target: recall >= 90%, precision >= 95%).
 * The floors are the figures reached; a drop fails as a regression, with every miss and false fact listed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpus, score } from './measure';

const skip = !fs.existsSync(path.join(corpus, 'orm')) && 'corpus absent: ../shared/corpus';
if (skip) console.log(`# ORM accuracy skipped: ${skip}`);

/** Figures reached on the labelled corpus (57 flagged calls); regressions below them fail. */
const RECALL_FLOOR = 1;
const PRECISION_FLOOR = 1;

test('ORM targetless DO NOTHING on PostgreSQL: recall and precision against orm.tsv', { skip }, () => {
  const s = score();
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`# ORM on-conflict-without-target: recall ${s.tp.length}/${s.tp.length + s.fn.length} = ${pct(s.recall)}, precision ${s.tp.length}/${s.tp.length + s.fp.length} = ${pct(s.precision)} (${s.either} facts on 'either' labels not counted)`);
  const detail = [
    ...s.fn.map((l) => `missed ${l.file}:${l.line} ${l.note}`),
    ...s.fp.map((f) => `false ${f.file}:${f.line} ${f.why}`),
  ].join('\n');
  assert.ok(s.tp.length + s.fn.length >= 57, 'the labels count every flagged call');
  assert.ok(s.recall >= RECALL_FLOOR, `recall ${pct(s.recall)} below ${pct(RECALL_FLOOR)}\n${detail}`);
  assert.ok(s.precision >= PRECISION_FLOOR, `precision ${pct(s.precision)} below ${pct(PRECISION_FLOOR)}\n${detail}`);
});
