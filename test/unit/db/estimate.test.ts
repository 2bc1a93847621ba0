/**
 * The quick-mode estimator (src/db/estimate.ts) on tables held in memory whose truth is known: page
 * samples as TABLESAMPLE SYSTEM draws them (test/unit/db/simulate.ts), row samples as BERNOULLI does
 * (one row per page). No database.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  binomialRange, duj1, estimateFromSample, estimateFromStatistics, gee, maximize, poissonLower, poissonUpper, rateToExclude,
  type DuplicateEstimate, type Interval,
} from '../../../src/db/estimate';
import { makeTable, sample, sizesOf, type SimTable } from './simulate';

const holds = (i: Interval, v: number) => v >= i.low - 1e-6 && v <= i.high + 1e-6;
const rel = (est: number, truth: number) => Math.abs(est - truth) / Math.max(1, truth);

function covers(e: DuplicateEstimate, t: SimTable): string[] {
  const out: string[] = [];
  if (!holds(e.excess, t.truth.excess)) out.push(`excess ${t.truth.excess} outside ${Math.round(e.excess.low)}–${Math.round(e.excess.high)}`);
  if (!holds(e.groups, t.truth.groups)) out.push(`groups ${t.truth.groups} outside ${Math.round(e.groups.low)}–${Math.round(e.groups.high)}`);
  if (!holds(e.distinct, t.truth.distinct)) out.push(`distinct ${t.truth.distinct} outside ${Math.round(e.distinct.low)}–${Math.round(e.distinct.high)}`);
  if (!holds(e.maxCopies, t.truth.maxCopies)) out.push(`max ${t.truth.maxCopies} outside ${e.maxCopies.low}–${e.maxCopies.high}`);
  return out;
}

test('distributions: exact Poisson limits (Garwood), binomial ranges summing to one', () => {
  assert.ok(Math.abs(poissonUpper(0, 0.025) - 3.6889) < 1e-3);
  assert.ok(Math.abs(poissonLower(3, 0.025) - 0.6187) < 1e-3);
  assert.ok(Math.abs(poissonUpper(3, 0.025) - 8.7673) < 1e-3);
  assert.equal(poissonLower(0, 0.025), 0);
  for (const [m, q] of [[909, 0.01], [45, 0.3], [2, 0.05], [5000, 0.002]] as const) {
    const whole = binomialRange(m, q, 0, Infinity);
    assert.ok(Math.abs(whole - 1) < 1e-9, `Bin(${m}, ${q}) sums to ${whole}`);
    const split = binomialRange(m, q, 0, 3) + binomialRange(m, q, 4, 10) + binomialRange(m, q, 11, Infinity);
    assert.ok(Math.abs(split - 1) < 1e-9);
  }
});

test('the simplex solves bounded programs, with lower bounds and equalities', () => {
  assert.deepEqual(maximize([3, 2], [[1, 1], [1, 3], [1, 0]], [4, 6, 3])?.x, [3, 1]);
  assert.equal(maximize([-1, -1], [[1, 1], [-1, -1]], [4, -2])?.value, -2);
  assert.equal(maximize([1, 1], [[1, 1], [-1, -1]], [1, -2]), undefined, 'infeasible');
});

// The shapes at a tenth of their size, copies loaded in batches as the bench's tables are.
const SHAPES: { name: string; sizes: number[]; heavy: boolean }[] = [
  { name: 'heavy (909 copies per key)', sizes: sizesOf([330, 909]), heavy: true },
  { name: 'light (1% of rows are copies)', sizes: sizesOf([297_000, 1], [3_000, 2]), heavy: false },
  { name: 'rows45 (every row 45 times)', sizes: sizesOf([6_667, 45]), heavy: true },
  { name: 'none', sizes: sizesOf([300_000, 1]), heavy: false },
];

test('row samples (BERNOULLI): every interval holds the truth, the excess within 10% where rows/distinct ≥ 1.1', () => {
  for (const shape of SHAPES) {
    const t = makeTable(shape.sizes, 1, 11, 0, true);
    const e = estimateFromSample(sample(t, 0.08, 5), { rows: t.truth.rows });
    assert.deepEqual(covers(e, t), [], shape.name);
    if (shape.heavy) assert.ok(rel(e.excess.point, t.truth.excess) < 0.1, `${shape.name}: excess ${e.excess.point} vs ${t.truth.excess}`);
    if (t.truth.excess > 0) assert.ok(e.excess.low > 0, `${shape.name}: a sample holding copies never allows "none"`);
  }
});

test('coverage of the 95% intervals over many random draws, row and page samples, spread and batched copies', () => {
  const layouts = [
    { label: 'rows', perPage: 1, batched: false, q: 0.06 },
    { label: 'pages, copies spread', perPage: 100, batched: false, q: 0.06 },
    { label: 'pages, copies in batches', perPage: 100, batched: true, q: 0.06 },
  ];
  const small = [
    { name: 'heavy', sizes: sizesOf([100, 909]) },
    { name: 'light', sizes: sizesOf([99_000, 1], [1_000, 2]) },
    { name: 'rows45', sizes: sizesOf([2_222, 45]) },
    { name: 'mixed', sizes: sizesOf([90_000, 1], [2_000, 2], [300, 7], [20, 150]) },
  ];
  const draws = 12;
  for (const layout of layouts) {
    for (const shape of small) {
      const t = makeTable(shape.sizes, layout.perPage, 3, 0, layout.batched);
      let misses = 0;
      const why: string[] = [];
      for (let d = 0; d < draws; d++) {
        const e = estimateFromSample(sample(t, layout.q, 100 + d), { rows: t.truth.rows });
        const c = covers(e, t);
        if (c.length) { misses++; why.push(...c); }
      }
      // 95% intervals built from Bonferroni bands cover far more often than 95%: one miss in 12 is
      // already unlikely; two would say the construction is wrong.
      assert.ok(misses <= 1, `${layout.label}, ${shape.name}: ${misses} of ${draws} draws missed: ${why.join('; ')}`);
    }
  }
});

test('a sample with no copy bounds the excess: below the threshold at the rate rateToExclude gives, never zero', () => {
  const t = makeTable(sizesOf([400_000, 1]), 1, 7);
  const threshold = 400;
  const q = rateToExclude(threshold) * 1.15;
  const e = estimateFromSample(sample(t, q, 9), { rows: t.truth.rows });
  assert.equal(e.excess.point, 0);
  assert.ok(e.excess.high > 0, 'no copy seen is not "no duplicates"');
  assert.ok(e.excess.high < threshold, `bound ${e.excess.high} ≥ ${threshold}`);
  // a tenth of that rate cannot rule the threshold out
  const weak = estimateFromSample(sample(t, q / 10, 9), { rows: t.truth.rows });
  assert.ok(weak.excess.high >= threshold);
});

test('a page sample that sees no copy cannot vouch for batched copies: its bound stays wide', () => {
  // 1% of rows copied in one batch: a page sample sees them all or none.
  const t = makeTable(sizesOf([99_000, 1], [1_000, 2]), 100, 1, 0, true);
  for (let d = 0; d < 10; d++) {
    const s = sample(t, 0.05, d);
    const e = estimateFromSample(s, { rows: t.truth.rows });
    assert.ok(holds(e.excess, t.truth.excess), `draw ${d}: ${e.excess.low}–${e.excess.high}`);
  }
});

test('measured against Duj1 and GEE: the fitted profile is closer on pairs, and as close on heavy duplication', () => {
  const light = makeTable(sizesOf([297_000, 1], [3_000, 2]), 1, 2);
  const heavy = makeTable(sizesOf([6_667, 45]), 1, 2);
  let fitLight = 0; let duj1Light = 0; let geeHeavy = 0; let fitHeavy = 0;
  const draws = 6;
  for (let d = 0; d < draws; d++) {
    const s = sample(light, 0.08, d);
    fitLight += rel(estimateFromSample(s, { rows: light.truth.rows }).excess.point, light.truth.excess);
    duj1Light += rel(light.truth.rows - duj1(s.profile, light.truth.rows), light.truth.excess);
    const h = sample(heavy, 0.02, d);
    fitHeavy += rel(estimateFromSample(h, { rows: heavy.truth.rows }).distinct.point, heavy.truth.distinct);
    geeHeavy += rel(gee(h.profile, heavy.truth.rows), heavy.truth.distinct);
  }
  // Duj1 doubles the excess of pairs (it reads the many keys seen once as evidence of many unseen ones).
  assert.ok(duj1Light / draws > 0.5, `Duj1 on pairs: mean error ${(duj1Light / draws).toFixed(2)}`);
  assert.ok(fitLight / draws < 0.25, `fit on pairs: mean error ${(fitLight / draws).toFixed(2)}`);
  // GEE's sqrt(N/n) scaling of the keys seen once overshoots the keys of a 45x table several times.
  assert.ok(geeHeavy / draws > 1, `GEE on 45x keys: mean error ${(geeHeavy / draws).toFixed(2)}`);
  assert.ok(fitHeavy / draws < 0.15, `fit on 45x keys: mean error ${(fitHeavy / draws).toFixed(2)}`);
});

test('statistics only: extended statistics for the point, the GEE ratio for the interval', () => {
  const e = estimateFromStatistics({ rows: 3_000_000, columns: [830, 3_300], extended: 3_300, analyzed: 30_000 });
  assert.equal(e.distinct.point, 3_300);
  assert.ok(holds(e.excess, 2_996_700));
  assert.ok(e.excess.low < e.excess.high);
  // without extended statistics the product of the columns is the point, the largest column the floor
  const p = estimateFromStatistics({ rows: 3_000_000, columns: [830, 3_300], analyzed: 30_000 });
  assert.equal(p.distinct.point, 830 * 3_300);
  assert.ok(holds(p.distinct, 3_300), 'the truth (3,300 keys) is inside');
});
