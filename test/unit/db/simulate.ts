/**
 * A table in memory, for the estimator's tests: keys with their copies laid out on heap pages, and a
 * TABLESAMPLE SYSTEM draw over it (each page kept with probability q) summarized as quick.ts does.
 */
import type { SampleSummary } from '../../../src/db/estimate';

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimTable {
  /** pages[p] = key ids of the rows on page p. */
  pages: Int32Array[];
  truth: { rows: number; distinct: number; groups: number; excess: number; maxCopies: number };
}

/**
 * `sizes[i]` copies of key i; rows shuffled over pages of `perPage` rows, except that `clustered`
 * keys keep their copies next to each other (a batch inserted twice in a row).
 */
export function makeTable(sizes: number[], perPage: number, seed: number, clustered = 0, batched = false): SimTable {
  const r = rng(seed);
  const rows: number[] = [];
  if (batched) {
    // Loads repeated in order: the i-th copy of every key comes in the i-th pass, keys in the same order.
    const most = sizes.reduce((a, b) => Math.max(a, b), 0);
    for (let pass = 0; pass < most; pass++) sizes.forEach((n, key) => { if (n > pass) rows.push(key); });
  } else {
    const blocks: number[][] = [];
    sizes.forEach((n, key) => {
      if (r() < clustered) blocks.push(new Array(n).fill(key));
      else for (let i = 0; i < n; i++) blocks.push([key]);
    });
    for (let i = blocks.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [blocks[i], blocks[j]] = [blocks[j], blocks[i]]; }
    for (const b of blocks) rows.push(...b);
  }
  const pages: Int32Array[] = [];
  for (let i = 0; i < rows.length; i += perPage) pages.push(Int32Array.from(rows.slice(i, i + perPage)));
  const total = sizes.reduce((a, b) => a + b, 0);
  return {
    pages,
    truth: { rows: total, distinct: sizes.length, groups: sizes.filter((n) => n > 1).length, excess: total - sizes.length, maxCopies: sizes.reduce((a, b) => Math.max(a, b), 0) },
  };
}

/** One TABLESAMPLE SYSTEM draw at rate q, summarized as quick.ts does (with the design effect from the page pairs keys link). */
export function sample(t: SimTable, q: number, seed: number): SampleSummary {
  const r = rng(seed);
  let rows = 0; let rowsSq = 0; let clumpsSq = 0; let within = 0; let withinSq = 0;
  const perKey = new Map<number, { pages: number; rows: number; sq: number; lo: number; hi: number }>();
  for (let p = 0; p < t.pages.length; p++) {
    const page = t.pages[p];
    if (r() >= q) continue;
    const here = new Map<number, number>();
    for (const k of page) here.set(k, (here.get(k) ?? 0) + 1);
    rows += page.length; rowsSq += page.length ** 2; clumpsSq += here.size ** 2;
    const w = page.length - here.size;
    within += w; withinSq += w * w;
    for (const [k, c] of here) {
      const e = perKey.get(k) ?? { pages: 0, rows: 0, sq: 0, lo: p, hi: p };
      e.pages++; e.rows += c; e.sq += c * c; e.hi = p;
      perKey.set(k, e);
    }
  }
  const prof = new Map<number, number>();
  let withinKeys = 0; let maxRows = 0; let maxRowsSq = 0; let dupKeys = 0; let crossKeys = 0;
  const links = new Set<string>();
  for (const e of perKey.values()) {
    prof.set(e.pages, (prof.get(e.pages) ?? 0) + 1);
    if (e.pages === 1 && e.rows > 1) withinKeys++;
    if (e.rows > 1) dupKeys++;
    if (e.pages > 1) { crossKeys++; links.add(`${e.lo},${e.hi}`); }
    if (e.rows > maxRows) { maxRows = e.rows; maxRowsSq = e.sq; }
  }
  const perPage = t.truth.rows / Math.max(1, t.pages.length);
  return {
    rate: q, rows, rowsSq, clumpsSq, within, withinSq, withinKeys, maxRows, maxRowsSq, dupKeys,
    profile: [...prof].map(([k, keys]) => ({ k, keys })).sort((a, b) => a.k - b.k),
    design: perPage <= 1 ? 1 : crossKeys ? Math.max(1, crossKeys / links.size) : perPage,
    rowsPerPage: perPage <= 1 ? undefined : Math.round(perPage),
  };
}

/** Key sizes: `keys` keys of `copies` rows each, plus `singles` keys of one row. */
export function sizesOf(...parts: [keys: number, copies: number][]): number[] {
  const out: number[] = [];
  for (const [keys, copies] of parts) for (let i = 0; i < keys; i++) out.push(copies);
  return out;
}
