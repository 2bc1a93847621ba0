/**
 * `npm run bench` (bundled by esbuild, as the product ships: test/bench/bundled.js): throughput of the SQL engine over the real corpus (../shared/corpus), each stage
 * against a bare charCodeAt loop over the same strings in the same process (the ratio is what
 * matters; absolute MB/s depend on the machine). Each stage's run is paired with a run of the bare
 * loop just before it, and the ratio is taken per pair: on a shared VM the speed of the same loop
 * drifts by up to 2x within seconds, and a pair sees the same conditions. Several warmed iterations;
 * the median of the pairs' ratios is reported, from the process's CPU time (robust when other
 * processes compete for the cores) and, for comparison, from wall time.
 *
 * Analyses run as `dupguard lint` runs them: each file once, with no reports kept for a next
 * analysis (AnalyzeInput.reuse false; the editor's re-analysis is `npm run bench:editor`).
 *
 * Phase 1 runs without the SQL parser loaded (the editor before the WASM is ready):
 * the lexer path. Phase 2 loads libpg-query and measures the full analysis again (statements the
 * lexer flags are confirmed by the parser; informational, no target).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyze } from '../../src/engine/analyze';
import { parseDocument, splitStatements } from '../../src/core/facts';
import { lex } from '../../src/core/lexer';
import { ensureParser } from '../../src/core/schema/pg';
import { rules } from '../../src/rules/index';
import { corpusDir, listSqlFiles } from '../support/corpus';

const dir = corpusDir;
if (!fs.existsSync(dir)) {
  console.log('corpus absent: ../shared/corpus; nothing to measure');
  process.exit(0);
}


const texts = listSqlFiles(dir).map((f) => fs.readFileSync(f, 'utf8'));
const chars = texts.reduce((n, t) => n + t.length, 0);
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
let sink = 0;
// The engine's own two rules; the others are measured together in the next row.
const CORE = new Set(['on-conflict-without-target', 'copy-without-resume-strategy', 'unused-suppression']);
const coreOnly = { rules: Object.fromEntries(rules.filter((r) => !CORE.has(r.id)).map((r) => [r.id, 'off' as const])) };

type Stage = (t: string) => void;
const bare: Stage = (t) => {
  let h = 0;
  for (let i = 0; i < t.length; i++) h = (h + t.charCodeAt(i)) | 0;
  sink ^= h;
};
const everyRule: Stage = (t) => { sink ^= analyze({ text: t, path: 'bench.sql', reuse: false }).findings.length; };

const ITER = Math.max(1, Number(process.env.BENCH_ITER ?? 25));
const WARM = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface Row { stage: string; wall: number; cpu: number; ratio: number; wallRatio: number }

/** One pass of `fn` over the corpus: wall and CPU milliseconds. */
function run(fn: Stage): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const t of texts) fn(t);
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

/**
 * Runs the stages in turn, WARM + ITER times, each right after a run of the bare loop; per stage the
 * median wall and CPU milliseconds and the median of the pairs' ratios (bare loop time / stage time).
 */
function measure(stages: Record<string, Stage>): Row[] {
  const acc: Record<string, { wall: number[]; cpu: number[]; ratio: number[]; wallRatio: number[] }> = {};
  const names = ['bare charCodeAt loop', ...Object.keys(stages)];
  for (let it = 0; it < WARM + ITER; it++) {
    for (const [name, fn] of Object.entries(stages)) {
      const b = run(bare);
      const s = run(fn);
      if (it < WARM) continue;
      const a = (acc[name] ??= { wall: [], cpu: [], ratio: [], wallRatio: [] });
      a.wall.push(s.wall); a.cpu.push(s.cpu); a.ratio.push(b.cpu / s.cpu); a.wallRatio.push(b.wall / s.wall);
      const base = (acc[names[0]] ??= { wall: [], cpu: [], ratio: [], wallRatio: [] });
      base.wall.push(b.wall); base.cpu.push(b.cpu); base.ratio.push(1); base.wallRatio.push(1);
    }
  }
  return names.map((stage) => {
    const a = acc[stage];
    return { stage, wall: median(a.wall), cpu: median(a.cpu), ratio: median(a.ratio), wallRatio: median(a.wallRatio) };
  });
}

function print(title: string, rows: Row[]): void {
  console.log(title);
  console.log(`${'stage'.padEnd(40)} ${'wall ms'.padStart(8)} ${'cpu ms'.padStart(8)} ${'MB/s'.padStart(6)} ${'ratio'.padStart(6)} ${'(wall)'.padStart(7)}`);
  for (const r of rows) {
    const mbs = bytes / 1e6 / (r.cpu / 1000);
    console.log(
      `${r.stage.padEnd(40)} ${r.wall.toFixed(1).padStart(8)} ${r.cpu.toFixed(1).padStart(8)} ${mbs.toFixed(0).padStart(6)} ` +
      `${r.ratio.toFixed(2).padStart(6)} ${r.wallRatio.toFixed(2).padStart(7)}`,
    );
  }
  console.log('');
}

async function main(): Promise<void> {
  console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
  console.log(`corpus: ${texts.length} files, ${(bytes / 1e6).toFixed(1)} MB (${chars} UTF-16 units); ${ITER} iterations after ${WARM} warm-up, median`);
  console.log('ratio = bare loop time / stage time (1.00 = as fast as reading every char once), median over runs each paired with a bare loop run; from CPU time, wall time in parentheses');
  console.log('');
  const lexerPath = measure({
    lexer: (t) => { sink ^= lex(t).count; },
    'lexer+split': (t) => { sink ^= splitStatements(lex(t)).length; },
    'lexer+split+facts': (t) => { sink ^= parseDocument(t).all.length; },
    'lexer+split+facts+core rules': (t) => { sink ^= analyze({ text: t, path: 'bench.sql', config: coreOnly, reuse: false }).findings.length; },
    'lexer+split+facts+every rule': everyRule,
  });
  print('Phase 1: SQL parser not loaded (lexer path)', lexerPath);
  const ratio = (i: number) => lexerPath[i].ratio.toFixed(2);
  console.log(`target ratio >= 0.5: lexer ${ratio(1)}, lexer+split ${ratio(2)}, +facts ${ratio(3)}, +core rules ${ratio(4)}, +every rule ${ratio(5)}`);
  console.log('');

  await ensureParser();
  const parsed = measure({ 'lexer+split+facts+every rule, parser on': everyRule });
  print('Phase 2: libpg-query loaded (rules confirm with the parser; no target)', parsed);
  if (sink === 0.5) console.log(''); // keep the work observable
}

void main();
