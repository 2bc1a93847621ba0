/**
 * The index probe's estimator (estimate.ts estimateFromProbe) on simulated tables: pages of rows whose
 * group sizes are known, sampled as quick.ts samples them (pages kept with probability q, rows of a
 * kept page with probability s, each sampled row knowing its group's size). The 95% interval must hold
 * the truth in about 95% of the draws (at least 90% of 200 here) for copies spread one by one and for
 * copies packed by the page-full, and a table with no copy must be cleared below the threshold the
 * rates were chosen for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateFromProbe, packedBound, probeRates, type ProbeSummary } from '../../../src/db/estimate';
import { rng } from './simulate';

/** pages[p][i] = the size of the group of row i of page p. */
type Table = number[][];

function truth(t: Table): { excess: number; groups: number } {
  let excess = 0;
  let groups = 0;
  for (const page of t) for (const m of page) { excess += (m - 1) / m; if (m > 1) groups += 1 / m; }
  return { excess: Math.round(excess), groups: Math.round(groups) };
}

function sample(t: Table, q: number, s: number, perPage: number, cap: number, r: () => number): ProbeSummary {
  const p: ProbeSummary = { q, s, rowsPerPage: perPage, rows: 0, rowsPage2: 0, y: 0, yPage2: 0, ySq: 0, g: 0, gPage2: 0, gSq: 0, dupRows: 0, dupPages: 0, cappedSlack: 0, maxM: 0 };
  for (const page of t) {
    if (r() >= q) continue;
    let n = 0; let y = 0; let g = 0; let dup = 0;
    for (const true_m of page) {
      if (r() >= s) continue;
      const m = Math.min(cap, true_m);
      n++; y += (m - 1) / m; p.ySq += ((m - 1) / m) ** 2;
      if (m > 1) { g += 1 / m; p.gSq += 1 / m ** 2; dup++; }
      if (m >= cap) p.cappedSlack += 1 / m;
      p.maxM = Math.max(p.maxM, m);
    }
    if (!n) continue;
    p.rows += n; p.rowsPage2 += n * n; p.y += y; p.yPage2 += y * y; p.g += g; p.gPage2 += g * g; p.dupRows += dup;
    if (dup) p.dupPages++;
  }
  return p;
}

const PAGES = 2_000;
const PER = 100;
const ROWS = PAGES * PER;

/** Group sizes of a table of ROWS rows where `copied` rows (one per group) each have one copy elsewhere. */
function spread(copied: number): Table {
  const t: Table = [];
  for (let p = 0; p < PAGES; p++) t.push(new Array<number>(PER).fill(1));
  // The first `copied` rows' copies are the last `copied` rows (a re-run load's tail): 2 each.
  for (let i = 0; i < copied; i++) {
    t[Math.floor(i / PER)][i % PER] = 2;
    const j = ROWS - 1 - i;
    t[Math.floor(j / PER)][j % PER] = 2;
  }
  return t;
}

/** Copies scattered one by one: pairs whose rows sit on random pages. */
function scattered(pairs: number, r: () => number): Table {
  const t: Table = [];
  for (let p = 0; p < PAGES; p++) t.push(new Array<number>(PER).fill(1));
  for (let k = 0; k < pairs * 2; k++) t[Math.floor(r() * PAGES)][Math.floor(r() * PER)] = 2;
  return t;
}

function coverage(t: Table, q: number, s: number, seed: number): number {
  const r = rng(seed);
  const want = truth(t);
  let held = 0;
  const trials = 200;
  for (let i = 0; i < trials; i++) {
    const e = estimateFromProbe(sample(t, q, s, PER, 100, r), { rows: ROWS });
    if (e.excess.low <= want.excess && want.excess <= e.excess.high && e.groups.low <= want.groups && want.groups <= e.groups.high) held++;
  }
  return held / trials;
}

test('1% of rows copied: the interval holds the truth in at least 90% of 200 draws, copies at the tail or scattered', () => {
  const { q, s } = probeRates(ROWS * 0.01, ROWS, PER, 3_000);
  for (const [label, t] of [['tail', spread(ROWS / 100)], ['scattered', scattered(ROWS / 200, rng(5))]] as const) {
    const c = coverage(t, q, s, 11);
    assert.ok(c >= 0.9, `${label}: ${c}`);
  }
});

test('copies packed by the page-full (a batch loaded twice, a few pages): still held, by the packing bound', () => {
  // Ten pages copied whole: 1,000 pairs.
  const t = spread(0);
  for (let p = 0; p < 10; p++) { t[p] = new Array<number>(PER).fill(2); t[PAGES - 1 - p] = new Array<number>(PER).fill(2); }
  const { q, s } = probeRates(ROWS * 0.01, ROWS, PER, 3_000);
  const c = coverage(t, q, s, 13);
  assert.ok(c >= 0.9, `${c}`);
});

test('no copy: the rates chosen for a threshold clear the table below it; with every page read, the row sample\'s bound', () => {
  const threshold = ROWS * 0.01;
  const { q, s } = probeRates(threshold, ROWS, PER, 3_000);
  assert.ok(q < 1, 'a page sample');
  const e = estimateFromProbe(sample(spread(0), q, s, PER, 100, rng(3)), { rows: ROWS });
  assert.equal(e.excess.point, 0);
  assert.ok(e.excess.high < threshold, `${e.excess.high} < ${threshold}`);
  // Every page read, rows kept one by one: ln(40) / -ln(1 - s), N(1 - 0.025^(1/n)) for n = sN rows.
  assert.ok(Math.abs(packedBound(0, 0, 1, 0.01, PER, 0.025) - Math.log(40) / -Math.log(0.99)) < 1e-6);
});
