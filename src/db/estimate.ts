/**
 * Duplicate figures estimated from a sample, with 95% intervals. Pure math (no `pg`): quick.ts reads
 * a TABLESAMPLE SYSTEM sample's summary from the server and hands it here.
 *
 * The sampling design. TABLESAMPLE SYSTEM (p) keeps each heap page independently with probability
 * q = p/100 (tsm_system hashes the block number against a cutoff), with every row of a kept page. Rows
 * of one key on one page (a "clump") are therefore kept or dropped together, so the figures split in
 * two parts:
 * - copies on the same page (within): all of a kept page's copies are seen, and the excess they hold,
 *   summed per page, is a Horvitz-Thompson total over Bernoulli(q) pages (Cochran, Sampling
 *   Techniques, 3rd ed., 9A; variance estimator (1 - q)/q² Σ y_p² over the sampled pages);
 * - keys spread over several pages (cross): each clump is kept with probability q independently, so
 *   the number of kept clumps of a key spanning m clumps is Binomial(m, q), and the "frequency
 *   profile" f_k (how many keys show k clumps) has expectation E[f_k] = Σ_m h_m C(m,k) q^k (1-q)^(m-k),
 *   h_m being the number of keys with m clumps. When copies sit on different pages (the usual case:
 *   a re-run load, a retried batch), clumps are rows and this is the row-level profile of the key.
 *
 * Intervals (cross part). The histogram h is unknown; the intervals are the smallest and largest
 * value a figure takes over every histogram whose expected profile lies within a 95% band of the
 * observed one. That is the linear program of Valiant & Valiant's "unseen" estimator (Estimating the
 * unseen, STOC 2011 / JACM 2017), used here for bounds as in their confidence-interval variant: each
 * observed f_k (and the tail beyond the largest k seen, observed 0) gets an exact Poisson band at level
 * α/R (Bonferroni over the R constraints; a sum of independent indicators is less dispersed than a
 * Poisson of the same mean, Hoeffding 1956, so the band is conservative), the number of clumps gets a
 * normal band from its Horvitz-Thompson variance. Whenever the true histogram satisfies every band,
 * which happens with probability at least 1 - α whatever the table, each figure lies between the LP's
 * minimum and maximum: no assumption on how the copies are distributed.
 *
 * Point estimates. The same LP, minimizing the profile's deviation (in Poisson standard deviations)
 * instead, gives a histogram that explains the sample; its figures are the point estimates. On the
 * shapes that matter here (a few copies of many keys, hundreds of copies of few keys) it is measured
 * against Duj1 (Haas & Stokes 1998, PostgreSQL's ANALYZE) and GEE (Charikar, Chaudhuri, Motwani &
 * Narasayya 2000) in test/unit/estimate.test.ts: Duj1 doubles the excess of a table whose copies are
 * pairs, GEE misses heavy duplication by the factor sqrt(N/n) it guarantees; the fit is within a few
 * percent on both. Both classic estimators are kept below for that comparison.
 */

/** A figure with its 95% interval. */
export interface Interval {
  point: number;
  low: number;
  high: number;
}

/** What quick.ts reads from one TABLESAMPLE SYSTEM sample (see sampleSql in quick.ts). */
export interface SampleSummary {
  /** Probability with which each page was kept, (0, 1]. */
  rate: number;
  /** Rows sampled (after the check's WHERE). */
  rows: number;
  /** Σ over sampled pages of (rows on the page)². */
  rowsSq: number;
  /** Σ over sampled pages of (clumps on the page)² (clump: the rows of one key on one page). */
  clumpsSq: number;
  /** The cross profile: keys seen on exactly `k` sampled pages, for each k seen. */
  profile: { k: number; keys: number }[];
  /** Σ over sampled pages of that page's within-page excess (rows − keys on the page), and of its square. */
  within: number;
  withinSq: number;
  /** Keys seen on a single sampled page, with more than one row there. */
  withinKeys: number;
  /** The most rows of one key in the sample, and Σ over that key's sampled pages of (its rows there)². */
  maxRows: number;
  maxRowsSq: number;
  /** Keys seen with more than one row: certain duplicate groups. */
  dupKeys: number;
  /**
   * Keys seen on several pages per distinct pair of pages (first, last) they link, ≥ 1: copies of a
   * batch loaded twice sit on pages whose rows were all copied together, so a page sample finds them
   * by the page-full, not one by one. The profile's bands widen by this factor (a
   * quasi-Poisson design effect). Absent or 1 for a row-level (BERNOULLI) sample.
   */
  design?: number;
  /** Rows per page of the table, for a page sample: how many copies one unsampled page can hide. */
  rowsPerPage?: number;
}

/** Every figure of a duplicate check, estimated. */
export interface DuplicateEstimate {
  rows: Interval;
  distinct: Interval;
  groups: Interval;
  excess: Interval;
  maxCopies: Interval;
}

export interface EstimateOptions {
  /** Rows in the table when known better than the sample knows it (pg_class.reltuples). */
  rows?: number;
  /** 1 - confidence (default 0.05). */
  alpha?: number;
}

// ---------------------------------------------------------------------------------------------
// Distributions

/** ln Γ(x), Lanczos (g = 7, n = 9), |error| < 1e-13 for x > 0. */
export function lgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized lower incomplete gamma P(a, x) (Numerical Recipes 6.2: series below a + 1, else continued fraction). */
function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  const lg = lgamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let del = sum;
    for (let n = 1; n < 10_000; n++) {
      del *= x / (a + n);
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-15) break;
    }
    return sum * Math.exp(-x + a * Math.log(x) - lg);
  }
  let b = x + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return 1 - Math.exp(-x + a * Math.log(x) - lg) * h;
}

/** P(X ≤ k) for X ~ Poisson(λ); for a fractional k (quasi-Poisson counts) its continuous extension Q(k + 1, λ). */
export function poissonCdf(k: number, lambda: number): number {
  if (k < 0) return 0;
  if (lambda <= 0) return 1;
  return 1 - gammaP(k + 1, lambda);
}

/** Solves f(λ) = target for a function decreasing in λ, by bisection on [lo, hi]. */
function bisect(f: (l: number) => number, target: number, lo: number, hi: number): number {
  while (f(hi) > target) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-10 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > target) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The exact (Garwood) upper confidence limit of a Poisson mean after observing `k`: P(X ≤ k; λ) = tail. */
export function poissonUpper(k: number, tail: number): number {
  return bisect((l) => poissonCdf(k, l), tail, 0, Math.max(10, 2 * k + 10));
}

/** The exact (Garwood) lower confidence limit: P(X ≥ k; λ) = tail (0 for k = 0). */
export function poissonLower(k: number, tail: number): number {
  if (k < 1) return 0;
  return bisect((l) => poissonCdf(k - 1, l), 1 - tail, 0, Math.max(10, 2 * k + 10));
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const pl = 0.02425;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pl) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** P(lo ≤ X ≤ hi) for X ~ Binomial(m, q); hi may be Infinity. */
export function binomialRange(m: number, q: number, lo: number, hi: number): number {
  const top = Math.min(m, hi);
  if (lo > top) return 0;
  if (q >= 1) return lo <= m && m <= hi ? 1 : 0;
  const lq = Math.log(q);
  const l1q = Math.log1p(-q);
  const lm = lgamma(m + 1);
  const pmf = (k: number) => Math.exp(lm - lgamma(k + 1) - lgamma(m - k + 1) + k * lq + (m - k) * l1q);
  const mode = Math.floor((m + 1) * q);
  // Sum the shorter side; terms far from the mode vanish, stop once they do.
  if (top === m && hi === Infinity && lo > mode) {
    let s = 0;
    for (let k = lo; k <= m; k++) { const t = pmf(k); s += t; if (k > mode && t < s * 1e-16) break; }
    return Math.min(1, s);
  }
  if (top - lo > 4 * Math.sqrt(m * q * (1 - q)) + 50 && lo <= mode && mode <= top) {
    // Wide range around the mode: 1 - both tails.
    let left = 0;
    for (let k = lo - 1; k >= 0; k--) { const t = pmf(k); left += t; if (t < left * 1e-16) break; }
    let right = 0;
    for (let k = top + 1; k <= m; k++) { const t = pmf(k); right += t; if (t < right * 1e-16) break; }
    return Math.max(0, Math.min(1, 1 - left - right));
  }
  let s = 0;
  for (let k = lo; k <= top; k++) s += pmf(k);
  return Math.min(1, s);
}

// ---------------------------------------------------------------------------------------------
// Classic estimators of the number of distinct values from a profile (kept for comparison)

/** Duj1 (Haas & Stokes 1998, eq. 11), as PostgreSQL's ANALYZE: D = n d / (n - f1 + f1 n / N). */
export function duj1(profile: { k: number; keys: number }[], population: number): number {
  const n = profile.reduce((s, p) => s + p.k * p.keys, 0);
  const d = profile.reduce((s, p) => s + p.keys, 0);
  const f1 = profile.find((p) => p.k === 1)?.keys ?? 0;
  if (n === 0) return 0;
  const denom = n - f1 + (f1 * n) / population;
  return Math.min(population, Math.max(d, denom > 0 ? (n * d) / denom : d));
}

/** GEE (Charikar et al. 2000): D = sqrt(N/n) f1 + Σ_{k≥2} f_k, within a factor sqrt(N/n) of the truth w.h.p. */
export function gee(profile: { k: number; keys: number }[], population: number): number {
  const n = profile.reduce((s, p) => s + p.k * p.keys, 0);
  if (n === 0) return 0;
  const f1 = profile.find((p) => p.k === 1)?.keys ?? 0;
  const rest = profile.filter((p) => p.k > 1).reduce((s, p) => s + p.keys, 0);
  return Math.min(population, Math.sqrt(population / n) * f1 + rest);
}

// ---------------------------------------------------------------------------------------------
// A small dense simplex (two phases, Dantzig's rule with Bland's rule after degenerate stalls)

/** max c·x subject to A x ≤ b, x ≥ 0; undefined when infeasible. Unbounded problems do not arise here (every variable is capped by the mass row). */
export function maximize(c: number[], A: number[][], b: number[]): { value: number; x: number[] } | undefined {
  const m = A.length;
  const n = c.length;
  const neg = b.map((v) => v < 0);
  const arts = neg.filter(Boolean).length;
  const width = n + m + arts + 1;
  const T: Float64Array[] = [];
  const basis: number[] = [];
  let a = 0;
  for (let i = 0; i < m; i++) {
    const row = new Float64Array(width);
    const s = neg[i] ? -1 : 1;
    for (let j = 0; j < n; j++) row[j] = s * A[i][j];
    row[n + i] = s;
    row[width - 1] = s * b[i];
    if (neg[i]) { row[n + m + a] = 1; basis.push(n + m + a); a++; } else basis.push(n + i);
    T.push(row);
  }
  const eps = 1e-9;
  const run = (obj: Float64Array, allowed: number): boolean => {
    // obj holds reduced costs (to maximize: pick a positive one) and -value in its last cell.
    let degenerate = 0;
    for (let iter = 0; iter < 50_000; iter++) {
      let enter = -1;
      let best = eps;
      for (let j = 0; j < allowed; j++) {
        if (obj[j] > best) {
          if (degenerate > 50) { enter = j; break; }
          best = obj[j];
          enter = j;
        }
      }
      if (enter < 0) return true;
      let leave = -1;
      let ratio = Infinity;
      for (let i = 0; i < m; i++) {
        const v = T[i][enter];
        if (v > eps) {
          const r = T[i][width - 1] / v;
          if (r < ratio - 1e-12 || (Math.abs(r - ratio) <= 1e-12 && leave >= 0 && basis[i] < basis[leave])) { ratio = r; leave = i; }
        }
      }
      if (leave < 0) return false;
      degenerate = ratio < 1e-12 ? degenerate + 1 : 0;
      const pr = T[leave];
      const pv = pr[enter];
      for (let j = 0; j < width; j++) pr[j] /= pv;
      for (let i = 0; i < m; i++) {
        if (i === leave) continue;
        const f = T[i][enter];
        if (f !== 0) { const r = T[i]; for (let j = 0; j < width; j++) r[j] -= f * pr[j]; }
      }
      const f = obj[enter];
      if (f !== 0) for (let j = 0; j < width; j++) obj[j] -= f * pr[j];
      basis[leave] = enter;
    }
    return true;
  };
  if (arts) {
    // Phase 1: maximize -Σ artificials.
    const o = new Float64Array(width);
    for (let i = 0; i < m; i++) if (basis[i] >= n + m) for (let j = 0; j < width; j++) if (j < n + m || j === width - 1) o[j] += T[i][j];
    run(o, n + m);
    if (o[width - 1] > 1e-7 * Math.max(1, arts)) return undefined;
    // Artificials still basic at zero: pivot them out where possible.
    for (let i = 0; i < m; i++) {
      if (basis[i] < n + m) continue;
      const j = T[i].findIndex((v, k) => k < n + m && Math.abs(v) > 1e-9);
      if (j < 0) continue;
      const pr = T[i];
      const pv = pr[j];
      for (let k = 0; k < width; k++) pr[k] /= pv;
      for (let r = 0; r < m; r++) if (r !== i && T[r][j] !== 0) { const f = T[r][j]; for (let k = 0; k < width; k++) T[r][k] -= f * pr[k]; }
      basis[i] = j;
    }
  }
  const o = new Float64Array(width);
  for (let j = 0; j < n; j++) o[j] = c[j];
  for (let i = 0; i < m; i++) {
    const bj = basis[i];
    if (bj < n && c[bj] !== 0) { const f = c[bj]; for (let j = 0; j < width; j++) o[j] -= f * T[i][j]; }
  }
  run(o, n + m);
  const x = new Array<number>(n).fill(0);
  for (let i = 0; i < m; i++) if (basis[i] < n) x[basis[i]] = Math.max(0, T[i][width - 1]);
  return { value: c.reduce((s, ci, j) => s + ci * x[j], 0), x };
}

// ---------------------------------------------------------------------------------------------
// The profile LP

interface Row {
  /** Observed keys with a clump count in [lo, hi]. */
  lo: number;
  hi: number;
  observed: number;
}

/** Fingerprint rows: k = 1..12 one by one, then bins 30% wider each, then the tail beyond the largest k seen (observed 0). */
function profileRows(profile: { k: number; keys: number }[]): Row[] {
  const top = profile.reduce((m, p) => Math.max(m, p.k), 0);
  const count = (lo: number, hi: number) => profile.filter((p) => p.k >= lo && p.k <= hi).reduce((s, p) => s + p.keys, 0);
  const rows: Row[] = [];
  let k = 1;
  while (k <= top) {
    const hi = k <= 12 ? k : Math.min(top, Math.floor(k * 1.3));
    rows.push({ lo: k, hi, observed: count(k, hi) });
    k = hi + 1;
  }
  rows.push({ lo: top + 1, hi: Infinity, observed: 0 });
  // All keys seen more than once, as one more row: without it the maximum could spend the band of
  // every row separately (about 13 times the allowance of one) on keys no row saw.
  if (top >= 2) rows.push({ lo: 2, hi: Infinity, observed: count(2, Infinity) });
  return rows;
}

/** Class sizes (clumps per key) the LP may use: 1..60 one by one, then 2% apart up to `max`. */
function sizeGrid(max: number): number[] {
  const g: number[] = [];
  for (let m = 1; m <= Math.min(60, max); m++) g.push(m);
  let m = 60;
  while (m < max) { m = Math.min(max, Math.max(m + 1, Math.round(m * 1.02))); g.push(m); }
  return g;
}

interface ProfileLp {
  /** One-sided error level of each constraint. */
  tail: number;
  /** Keys per batch that pages bring in or leave out together (1: independent keys). */
  design: number;
  grid: number[];
  /** A[r][j]: expected keys in row r per key of size grid[j]. */
  expect: number[][];
  rows: Row[];
  band: { lo: number; hi: number }[];
  mass: { lo: number; hi: number; point: number };
}

/** Σ_j h_j (m_j − 1), Σ h_j, Σ_{m≥2} h_j, the largest m_j with h_j ≥ 0.5. */
function figuresOf(grid: number[], h: number[]): { excess: number; distinct: number; groups: number; maxSize: number } {
  let excess = 0;
  let distinct = 0;
  let groups = 0;
  let maxSize = 0;
  grid.forEach((m, j) => {
    excess += h[j] * (m - 1);
    distinct += h[j];
    if (m >= 2) groups += h[j];
    if (h[j] >= 0.5 && m > maxSize) maxSize = m;
  });
  return { excess, distinct, groups, maxSize };
}

/**
 * The cross part: bounds and a fitted point for the excess, the keys and the duplicate groups of keys
 * spread over clumps, from the clump profile, the sampling rate and the number of clumps (a band).
 */
export function profileBounds(profile: { k: number; keys: number }[], rate: number, clumps: { point: number; lo: number; hi: number }, alpha: number, design = 1): {
  excess: Interval; distinct: Interval; groups: Interval; maxSize: number;
} {
  const seen = profile.reduce((s, p) => s + p.keys, 0);
  const sampled = profile.reduce((s, p) => s + p.k * p.keys, 0);
  if (sampled === 0 || rate >= 1) {
    const f = { excess: sampled - seen, distinct: seen, groups: profile.filter((p) => p.k > 1).reduce((s, p) => s + p.keys, 0) };
    const top = profile.reduce((m, p) => Math.max(m, p.k), 0);
    if (sampled === 0) {
      // Nothing seen: any key with m clumps shows with probability ≥ 1 - (1-q)^m; bound the clumps
      // that can hide with the mass alone (no excess can be excluded without rows).
      return { excess: { point: 0, low: 0, high: Math.max(0, clumps.hi - 1) }, distinct: { point: clumps.point, low: 0, high: clumps.hi }, groups: { point: 0, low: 0, high: Math.floor(clumps.hi / 2) }, maxSize: 1 };
    }
    return { excess: pt(f.excess), distinct: pt(f.distinct), groups: pt(f.groups), maxSize: top };
  }
  const rows = profileRows(profile);
  const top = profile.reduce((m, p) => Math.max(m, p.k), 1);
  // Keys larger than this show more than `top` clumps with probability ≥ 1 - 1e-9: out of the grid.
  const maxSize = Math.max(2, Math.min(Math.ceil(clumps.hi), Math.ceil((top + 6 * Math.sqrt(top) + 20) / rate)));
  const grid = sizeGrid(maxSize);
  const expect = rows.map((r) => grid.map((m) => binomialRange(m, rate, r.lo, r.hi)));
  // Bonferroni over the profile rows (two-sided), the mass row and the Chernoff rows of the open-ended ones.
  const chernoff = rows.filter((r) => r.hi === Infinity).reduce((n, r) => n + (r.observed === 0 ? 1 : 2), 0);
  const tail = alpha / (2 * (rows.length + 1) + chernoff);
  // A grid 2% apart cannot reproduce every profile exactly: a little slack for it.
  // When copies move in batches, keys come and go with their pages by the page-full: every row's
  // Poisson limits are taken on observed/design and scaled back (quasi-Poisson).
  const band = rows.map((r) => {
    const d = Math.max(1, design);
    return { lo: Math.max(0, d * poissonLower(r.observed / d, tail) * 0.995 - 0.5), hi: d * poissonUpper(r.observed / d, tail) * 1.005 + 0.5 };
  });
  const lp: ProfileLp = { tail, design, grid, expect, rows, band, mass: clumps };
  const h = (objective: (m: number) => number, sign: 1 | -1) => solveBand(lp, (m) => sign * objective(m));
  const fit = fitProfile(lp);
  const fitted = figuresOf(grid, fit);
  const exMax = h((m) => m - 1, 1);
  const exMin = h((m) => m - 1, -1);
  const dMax = h(() => 1, 1);
  const dMin = h(() => 1, -1);
  const gMax = h((m) => (m >= 2 ? 1 : 0), 1);
  const gMin = h((m) => (m >= 2 ? 1 : 0), -1);
  const val = (x: number[] | undefined, f: (m: number) => number, fallback: number) => (x ? grid.reduce((s, m, j) => s + f(m) * x[j], 0) : fallback);
  const certainExcess = sampled - seen;
  const certainGroups = profile.filter((p) => p.k > 1).reduce((s, p) => s + p.keys, 0);
  // Infeasible bands (a profile no histogram explains within them: only when the sampling model
  // itself fails) fall back to what is certain and what the mass allows.
  const excess = interval(fitted.excess, Math.max(certainExcess, val(exMin, (m) => m - 1, certainExcess)), val(exMax, (m) => m - 1, clumps.hi - seen));
  const distinct = interval(fitted.distinct, Math.max(seen, val(dMin, () => 1, seen)), val(dMax, () => 1, clumps.hi));
  const groups = interval(fitted.groups, Math.max(certainGroups, val(gMin, (m) => (m >= 2 ? 1 : 0), certainGroups)), val(gMax, (m) => (m >= 2 ? 1 : 0), clumps.hi / 2));
  return { excess, distinct, groups, maxSize: fitted.maxSize };
}

const pt = (v: number): Interval => ({ point: v, low: v, high: v });

function interval(point: number, low: number, high: number): Interval {
  const lo = Math.max(0, low);
  const hi = Math.max(lo, high);
  return { point: Math.min(hi, Math.max(lo, point)), low: lo, high: hi };
}

/**
 * Variables: u_j = keys of size grid[j] × size / mass point (each key's share of the clumps), so
 * every coefficient is of order 1. Rows: each profile row within its band, the mass within its band.
 */
function bandConstraints(lp: ProfileLp): { A: number[][]; b: number[] } {
  const A: number[][] = [];
  const b: number[] = [];
  const M = lp.mass.point;
  lp.rows.forEach((_, r) => {
    const scale = Math.max(1, (lp.band[r].hi - lp.band[r].lo) / 2);
    const coef = lp.grid.map((m, j) => (M * lp.expect[r][j]) / m / scale);
    A.push(coef); b.push(lp.band[r].hi / scale);
    A.push(coef.map((v) => -v)); b.push(-lp.band[r].lo / scale);
  });
  A.push(lp.grid.map(() => 1)); b.push(lp.mass.hi / M);
  A.push(lp.grid.map(() => -1)); b.push(-lp.mass.lo / M);
  // The Poisson band is the worst case of many keys each rarely seen; a few keys almost surely seen
  // (hundreds of copies) cannot hide behind it. Chernoff's lower tail for a sum of independent
  // indicators, P(X ≤ x) ≤ exp(t x) Π (1 - p_j (1 - e^-t)) for every t > 0, is linear in the keys
  // per size: Σ_m h_m · -ln(1 - p_m (1 - e^-t)) ≤ ln(1/tail) + t x. Taken for the keys seen twice or
  // more and for the tail beyond the largest count seen. Keys that come and go by the page-full
  // count as batches of `design` keys (a batch is seen or not as one).
  const d = Math.max(1, lp.design);
  lp.rows.forEach((row, r) => {
    if (row.hi !== Infinity) return;
    for (const t of row.observed === 0 ? [30] : [1, 3]) {
      const shrink = 1 - Math.exp(-t);
      const coef = lp.grid.map((m, j) => Math.min(60, -Math.log(Math.max(1e-300, 1 - lp.expect[r][j] * shrink))) / d);
      const rhs = Math.log(1 / lp.tail) + (t * row.observed) / d;
      A.push(coef.map((c, j) => (c * M) / lp.grid[j] / rhs)); b.push(1);
    }
  });
  return { A, b };
}

/** Keys per size (h) maximizing Σ objective(m) h_m within the bands; undefined when the bands admit no histogram. */
function solveBand(lp: ProfileLp, objective: (m: number) => number): number[] | undefined {
  const { A, b } = bandConstraints(lp);
  const M = lp.mass.point;
  const c = lp.grid.map((m) => objective(m) / m);
  const r = maximize(c, A, b);
  return r?.x.map((u, j) => (u * M) / lp.grid[j]);
}

/**
 * The histogram closest to the observed profile: least Σ |expected - observed| / sqrt(observed + 1)
 * (each row's deviation in Poisson standard deviations), the mass held at its point by a heavy weight.
 */
function fitProfile(lp: ProfileLp): number[] {
  const M = lp.mass.point;
  const n = lp.grid.length;
  const R = lp.rows.length;
  // Variables: u (n), then one deviation bound r_k per row, then the mass deviation.
  const width = n + R + 1;
  const A: number[][] = [];
  const b: number[] = [];
  lp.rows.forEach((row, r) => {
    const s = Math.sqrt(row.observed + 1);
    const coef = new Array<number>(width).fill(0);
    lp.grid.forEach((m, j) => { coef[j] = (M * lp.expect[r][j]) / m / s; });
    // |coef·u - observed/s| ≤ r_k as two rows with r_k on the same side.
    const up = coef.slice(); up[n + r] = -1;
    const down = coef.map((v) => -v); down[n + r] = -1;
    A.push(up); b.push(row.observed / s);
    A.push(down); b.push(-row.observed / s);
  });
  const up = new Array<number>(width).fill(0);
  for (let j = 0; j < n; j++) up[j] = 1;
  const down = up.map((v) => -v);
  up[width - 1] = -1; down[width - 1] = -1;
  A.push(up); b.push(1);
  A.push(down); b.push(-1);
  const c = new Array<number>(width).fill(0);
  for (let j = n; j < n + R; j++) c[j] = -1;
  c[width - 1] = -1000;
  // A small preference for fewer keys breaks ties toward the simplest explanation (Valiant's second step).
  for (let j = 0; j < n; j++) c[j] = -1e-6 / lp.grid[j];
  const r = maximize(c, A, b);
  if (!r) return lp.grid.map((m) => (m === 1 ? M : 0));
  return r.x.slice(0, n).map((u, j) => (u * M) / lp.grid[j]);
}

// ---------------------------------------------------------------------------------------------
// The whole estimate

/** Every figure of a check from one page sample. */
export function estimateFromSample(s: SampleSummary, opts: EstimateOptions = {}): DuplicateEstimate {
  const alpha = opts.alpha ?? 0.05;
  const q = Math.min(1, Math.max(1e-9, s.rate));
  const seenKeys = s.profile.reduce((t, p) => t + p.keys, 0);
  const sampleExcess = s.rows - seenKeys;
  if (q >= 1) {
    // Every page read: the sample is the table.
    const groups = s.dupKeys;
    return { rows: pt(s.rows), distinct: pt(seenKeys), groups: pt(groups), excess: pt(sampleExcess), maxCopies: pt(s.rows ? s.maxRows : 0) };
  }
  // α split: 0.8 for the profile's bands (cross part and mass), 0.2 for the within-page total.
  const aCross = alpha * 0.8;
  const aWithin = alpha * 0.2;
  const zMass = normalQuantile(1 - aCross / (2 * 10));
  const clumpsSampled = s.profile.reduce((t, p) => t + p.k * p.keys, 0);
  // Horvitz-Thompson totals over Bernoulli(q) pages: Σ y / q, variance (1 - q)/q² Σ y².
  const ht = (total: number, sq: number) => ({ point: total / q, se: Math.sqrt((1 - q) * sq) / q });
  const rowsHt = ht(s.rows, s.rowsSq);
  const rowsPoint = opts.rows !== undefined && opts.rows > 0 ? opts.rows : rowsHt.point;
  const clumpsHt = ht(clumpsSampled, s.clumpsSq);
  const withinHt = ht(s.within, s.withinSq);
  // The clumps of the table: rows minus within-page excess. A row count the caller knows (the
  // catalog's, kept current by VACUUM and ANALYZE) is taken as exact: the sample's own estimate of it
  // varies by page far more than the excess does. Without one, the sample's band.
  const known = opts.rows !== undefined && opts.rows > 0;
  const clumpsPoint = known ? Math.max(clumpsSampled, opts.rows! - withinHt.point) : clumpsHt.point;
  const spread = known ? zMass * withinHt.se : zMass * clumpsHt.se;
  const clumps = {
    point: Math.max(1, clumpsPoint),
    lo: Math.max(clumpsSampled, clumpsPoint - spread),
    hi: Math.max(clumpsSampled, clumpsPoint + spread),
  };
  // Which pages the sample kept varies the number of rows it holds far beyond what the profile's
  // Poisson bands allow (a page carries ~100 keys at once). Given the rows it holds, a sample of pages
  // whose keys are laid out independently of each other keeps each clump with probability
  // (clumps sampled)/(clumps): that realized rate is the one the profile follows.
  const rate = known ? Math.min(1, clumpsSampled / clumps.point) : q;
  if (known) { clumps.lo = clumps.point; clumps.hi = clumps.point; }
  const cross = profileBounds(s.profile, rate, clumps, aCross, s.design ?? 1);
  // Within-page excess: certain in the sample, scaled by 1/q; a quasi-Poisson band (the dispersion
  // Σy²/Σy scales the Poisson limits) holds when only a few pages carry it.
  const within = withinInterval(s.within, s.withinSq, q, aWithin, s.rowsPerPage ?? 1);
  const withinGroups = withinInterval(s.withinKeys, s.withinKeys, q, aWithin);
  const excess = interval(cross.excess.point + within.point, Math.max(sampleExcess, cross.excess.low + within.low), cross.excess.high + within.high);
  // The catalog's count is itself an estimate (VACUUM and ANALYZE extrapolate from the pages they
  // read): the rows' interval spans it and the sample's own band, and so does the keys' interval.
  const rowsHigh = Math.max(rowsPoint, rowsHt.point + zMass * rowsHt.se);
  const rowsLow = Math.max(s.rows, Math.min(rowsPoint, rowsHt.point - zMass * rowsHt.se));
  const distinct = interval(rowsPoint - excess.point, Math.max(seenKeys, rowsLow - excess.high), Math.max(seenKeys, rowsHigh - excess.low));
  const groups = interval(cross.groups.point + withinGroups.point, Math.max(s.dupKeys, cross.groups.low), cross.groups.high + withinGroups.high);
  // Never more groups than excess rows, nor than keys.
  groups.high = Math.max(groups.low, Math.min(groups.high, excess.high, distinct.high));
  groups.point = Math.min(groups.high, Math.max(groups.low, groups.point));
  // The key with the most sampled rows is the luckiest of up to distinct.high keys.
  const maxCopies = maxCopiesInterval(s, rate, cross.maxSize * (clumps.point > 0 ? rowsPoint / clumps.point : 1), Math.max(1, distinct.high), excess.high, alpha);
  return { rows: { point: rowsPoint, low: rowsLow, high: rowsHigh }, distinct, groups, excess, maxCopies };
}

function withinInterval(total: number, sq: number, q: number, alpha: number, perPage = 1): Interval {
  // None seen: a page holds at most perPage - 1 excess rows, and pages are kept with probability q.
  if (total <= 0) return { point: 0, low: 0, high: perPage > 1 ? ((perPage - 1) * poissonUpper(0, alpha / 2)) / q : 0 };
  const phi = Math.max(1, sq / total);
  return { point: total / q, low: (phi * poissonLower(total / phi, alpha / 2)) / q, high: (phi * poissonUpper(total / phi, alpha / 2)) / q };
}

/**
 * Most copies of one key. The key with the most sampled rows (K, in clumps of squared sum S) has a
 * size whose sample count is a sum of Bernoulli(q) clumps: quasi-Poisson limits with dispersion S/K.
 * Upper: the largest key cannot have shown fewer than K rows unless it is small enough (one-sided
 * 2.5%). Lower: the most-sampled key may be the luckiest of `candidates` keys, so its lower limit is
 * taken at 2.5% / candidates (Bonferroni).
 */
function maxCopiesInterval(s: SampleSummary, q: number, fitted: number, candidates: number, excessHigh: number, alpha: number): Interval {
  if (s.rows === 0) return { point: 0, low: 0, high: Math.max(1, excessHigh + 1) };
  const K = s.maxRows;
  const phi = Math.max(1, s.maxRowsSq / Math.max(1, K));
  // A page sample keeps a key's copies page by page: a key whose copies fill whole pages shows at
  // most its pages, so the bound is taken in pages of copies.
  const perPage = Math.max(phi, s.rowsPerPage ?? 1);
  const high = Math.max(K, Math.min(excessHigh + 1, (perPage * poissonUpper(K / phi, alpha / 2)) / q));
  const low = Math.max(K, K > 1 ? (phi * poissonLower(K / phi, alpha / 2 / candidates)) / q : 1);
  const point = fitted > 0 ? fitted : K / q;
  return { point: Math.round(Math.min(high, Math.max(low, point))), low: Math.floor(low), high: Math.ceil(Math.max(low, high)) };
}

// ---------------------------------------------------------------------------------------------
// Statistics only (no sample): the weakest estimate

export interface StatisticsInput {
  /** pg_class.reltuples. */
  rows: number;
  /** Each key column's distinct count from pg_stats (made absolute). */
  columns: number[];
  /** n_distinct of a CREATE STATISTICS (ndistinct) object over exactly these columns, when one exists. */
  extended?: number;
  /** Rows ANALYZE sampled (300 × statistics target). */
  analyzed?: number;
}

/**
 * Figures from the planner's statistics alone. The point is the extended statistics' count when
 * there is one, else the product of the columns' counts (copies share every column, so the keys
 * number at most that product and at least the largest column's count). ANALYZE computed those counts
 * from a sample of `analyzed` rows: the interval widens the bounds by sqrt(N/n), the ratio error that
 * GEE guarantees and that no estimator from such a sample can beat in general (Charikar et al. 2000).
 */
export function estimateFromStatistics(s: StatisticsInput): DuplicateEstimate {
  const N = Math.max(0, Math.round(s.rows));
  const n = Math.max(1, Math.min(N, s.analyzed ?? 30_000));
  const r = Math.sqrt(Math.max(1, N / n));
  const largest = Math.max(1, ...s.columns);
  const product = s.columns.reduce((a, b) => a * Math.max(1, b), 1);
  const point = Math.max(1, Math.min(N, s.extended ?? (s.columns.length === 1 ? s.columns[0] : product)));
  const dLow = Math.max(1, Math.min(N, largest / r));
  const dHigh = Math.max(dLow, Math.min(N, Math.max(point, s.extended ?? product) * r));
  const distinct = interval(point, dLow, dHigh);
  const excess = interval(N - distinct.point, N - distinct.high, N - distinct.low);
  const groups = interval(excess.point > 0 ? Math.min(distinct.point, excess.point) : 0, 0, Math.min(distinct.high, excess.high));
  const maxCopies = interval(excess.point > 0 ? Math.max(2, Math.round(N / distinct.point)) : 1, 1, excess.high + 1);
  return { rows: pt(N), distinct, groups, excess, maxCopies };
}

/**
 * The sampling rate that lets a sample with no copy in it bound the excess below `threshold` rows:
 * a key spread over m ≥ 2 pages shows twice with probability at least q² (m = 2 is the hardest), so
 * with the profile's Bonferroni band (about 6.7 keys when none is seen) the bound is near 7/q².
 */
export function rateToExclude(threshold: number): number {
  return Math.min(1, Math.sqrt(7 / Math.max(1, threshold)));
}

// ---------------------------------------------------------------------------------------------
// Index probe: each sampled row's copies counted exactly

/**
 * What quick.ts reads from an index probe: a two-stage sample (pages kept with probability `q` by
 * TABLESAMPLE SYSTEM, then rows of a kept page with probability `s`), each sampled row's key counted
 * in the whole table through a btree index led by the key (m: its group's size, counted up to `cap`).
 * Per row, y = (m - 1)/m sums over the table to the excess rows, g = [m ≥ 2]/m to the groups with
 * copies; the sums below are over the sampled rows, and over their pages of the page's sum squared.
 */
export interface ProbeSummary {
  q: number;
  s: number;
  /** Most rows one page of the table holds (about): how many rows with copies one unsampled page can hide. */
  rowsPerPage: number;
  /** Sampled rows, Σ over pages of (rows on the page)². */
  rows: number;
  rowsPage2: number;
  /** Σ y, Σ over pages of (Σ y on the page)², Σ y². */
  y: number;
  yPage2: number;
  ySq: number;
  g: number;
  gPage2: number;
  gSq: number;
  /** Sampled rows whose key has copies, and the pages they are on. */
  dupRows: number;
  dupPages: number;
  /**
   * Σ 1/m over the sampled rows whose count stopped at the cap (the lookup read only the first rows
   * of the index's key): their group holds at least m rows, so y lies in [(m - 1)/m, 1) and g in (0, 1/m].
   */
  cappedSlack: number;
  /** The largest group seen (its size, exact unless it reached `cap`). */
  maxM: number;
}

/**
 * Figures from an index probe, with 95% intervals. The totals are Horvitz-Thompson sums over the
 * two-stage sample (inclusion probability q·s per row), their variance the two-stage estimator
 * (1 - q)/q² Σ_p (Ŷ_p)² + (1 - s)/(q s²) Σ y² (Särndal, Swensson & Wretman, Model Assisted Survey
 * Sampling, 4.3), the interval normal. With few pages holding rows with copies the normal
 * approximation fails, and an unseen page could hold a page-full of them: the upper ends then also
 * take the worst layout, every row with copies packed in full pages, each page found with
 * probability q·(1 - (1 - s)^rowsPerPage), the found pages' count bounded by its exact Poisson limit.
 * That bound is what lets a sample with no copy in it clear a table: N·(1 - 0.05^(1/n)) for a row
 * sample of n, rowsPerPage·3.7/q rows for a page sample.
 */
export function estimateFromProbe(p: ProbeSummary, opts: EstimateOptions = {}): DuplicateEstimate {
  const alpha = opts.alpha ?? 0.05;
  const z = normalQuantile(1 - alpha / 2);
  const q = Math.min(1, Math.max(1e-9, p.q));
  const s = Math.min(1, Math.max(1e-9, p.s));
  const pi = q * s;
  const variance = (page2: number, sq: number) => ((1 - q) / (q * q)) * (page2 / (s * s)) + ((1 - s) / (q * s * s)) * sq;
  const total = (sum: number, page2: number, sq: number) => ({ point: sum / pi, se: Math.sqrt(Math.max(0, variance(page2, sq))) });
  const rowsHt = total(p.rows, p.rowsPage2, p.rows);
  const known = opts.rows !== undefined && opts.rows > 0;
  const rowsPoint = known ? opts.rows! : rowsHt.point;
  const rows = { point: rowsPoint, low: Math.max(p.rows, Math.min(rowsPoint, rowsHt.point - z * rowsHt.se)), high: Math.max(rowsPoint, rowsHt.point + z * rowsHt.se) };
  // A row counted up to the cap belongs to a group of at least `cap` rows: y within [(cap-1)/cap, 1), g within (0, 1/cap].
  const capShare = p.cappedSlack / pi;
  const ex = total(p.y, p.yPage2, p.ySq);
  const gr = total(p.g, p.gPage2, p.gSq);
  // The worst layout: rows with copies packed by the page-full (see above).
  const packed = p.dupPages < 30 ? packedBound(p.dupPages, p.dupRows, q, s, p.rowsPerPage, alpha / 2) : 0;
  const certainExcess = p.maxM >= 2 ? p.maxM - 1 : 0;
  const excessHigh = Math.min(rows.high, Math.max(ex.point + z * ex.se + capShare, packed, certainExcess));
  const excess = interval(ex.point, Math.max(certainExcess, ex.point - z * ex.se), excessHigh);
  // Groups: at most half the rows with copies.
  const groupsHigh = Math.min(excess.high, Math.max(gr.point + z * gr.se, packed / 2, p.maxM >= 2 ? 1 : 0));
  const groups = interval(gr.point, Math.max(p.maxM >= 2 ? 1 : 0, gr.point - z * gr.se - capShare), groupsHigh);
  const distinct = interval(rows.point - excess.point, Math.max(p.rows > 0 ? 1 : 0, rows.low - excess.high), rows.high - excess.low);
  // The largest group seen is a lower bound (exact unless capped); a larger one would add its rows to the excess.
  const maxLow = Math.max(p.rows > 0 ? 1 : 0, p.maxM);
  const maxCopies = { point: maxLow, low: maxLow, high: Math.max(maxLow, Math.floor(excess.high) + 1) };
  return { rows, distinct, groups, excess, maxCopies };
}

/**
 * The most rows with copies a probe that found `pages` pages (`rows` rows) holding some can miss, at
 * one-sided level `tail`. A page holding r of them is found with probability
 * q·(1 - (1 - s)^r), concave in r: the worst layout packs them by the page-full. None found: exactly,
 * P(none) = Π (1 - q(1 - (1 - s)^r_p)) ≥ tail bounds Σ r_p by ln(1/tail)·perPage / -ln(1 - q(1 - (1 - s)^perPage))
 * (with every page read, q = 1, that is the row sample's ln(1/tail)/-ln(1 - s)). Some found: the
 * count of pages found is a sum of independent indicators, its mean bounded by the exact Poisson
 * limit (Hoeffding 1956); with every page read, of rows found.
 */
export function packedBound(pages: number, rows: number, q: number, s: number, rowsPerPage: number, tail: number): number {
  const perPage = Math.max(1, rowsPerPage);
  const found = q * (1 - Math.pow(1 - s, perPage));
  if (pages <= 0) return (Math.log(1 / tail) * perPage) / Math.max(1e-12, -Math.log1p(-Math.min(1 - 1e-12, found)));
  if (q >= 1) return poissonUpper(rows, tail) / Math.max(1e-12, s);
  return (poissonUpper(pages, tail) * perPage) / Math.max(1e-12, found);
}

/**
 * The page rate and the row rate within kept pages of a probe that, seeing no row with copies, bounds
 * the excess rows below `threshold` (with a 15% margin, packedBound), probing about `probeRows` rows
 * (rates capped at 1).
 */
export function probeRates(threshold: number, rows: number, rowsPerPage: number, probeRows: number, alpha = 0.05): { q: number; s: number } {
  const perPage = Math.max(1, rowsPerPage);
  const c = (1.15 * Math.log(2 / alpha) * perPage) / Math.max(1, threshold);
  // -ln(1 - q·found) ≥ c, found ≈ 1 first, then with the row rate that probes probeRows rows.
  let q = Math.min(1, 1 - Math.exp(-c));
  let s = Math.min(1, probeRows / Math.max(1, q * rows));
  q = Math.min(1, (1 - Math.exp(-c)) / Math.max(1e-9, 1 - Math.pow(1 - s, perPage)));
  s = Math.min(1, probeRows / Math.max(1, q * rows));
  // Every page read and still short: more rows of each (-perPage·ln(1 - s) ≥ c).
  if (q >= 1) s = Math.max(s, Math.min(1, 1 - Math.exp(-c / perPage)));
  return { q, s };
}
