/**
 * `npm run bench`: throughput of the SQL engine over the real corpus (../shared/corpus), each stage
 * against a bare charCodeAt loop over the same strings in the same process (the ratio is what
 * matters; absolute MB/s depend on the machine). Several warmed iterations, median reported.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyze } from '../../src/core/analyze';
import { parseDocument, splitStatements } from '../../src/core/facts';
import { lex } from '../../src/core/lexer';
import { rules } from '../../src/rules/index';

const dir = path.resolve(__dirname, '../../../shared/corpus');
if (!fs.existsSync(dir)) {
  console.log('corpus absent: ../shared/corpus; nothing to measure');
  process.exit(0);
}

function listSql(d: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) out.push(...listSql(p));
    else if (e.name.endsWith('.sql')) out.push(p);
  }
  return out.sort();
}

const texts = listSql(dir).map((f) => fs.readFileSync(f, 'utf8'));
const chars = texts.reduce((n, t) => n + t.length, 0);
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
let sink = 0;
// The engine's own two rules; the others are measured together in the last row.
const CORE = new Set(['on-conflict-without-target', 'copy-without-resume-strategy', 'unused-suppression']);
const coreOnly = { rules: Object.fromEntries(rules.filter((r) => !CORE.has(r.id)).map((r) => [r.id, 'off' as const])) };

const stages: Record<string, (t: string) => void> = {
  'bare charCodeAt loop': (t) => {
    let h = 0;
    for (let i = 0; i < t.length; i++) h = (h + t.charCodeAt(i)) | 0;
    sink ^= h;
  },
  lexer: (t) => { sink ^= lex(t).count; },
  'lexer+split': (t) => { sink ^= splitStatements(lex(t)).length; },
  'lexer+split+facts': (t) => { sink ^= parseDocument(t).all.length; },
  'lexer+split+facts+core rules': (t) => { sink ^= analyze({ text: t, path: 'bench.sql', config: coreOnly }).findings.length; },
  'analyze, every rule': (t) => { sink ^= analyze({ text: t, path: 'bench.sql' }).findings.length; },
};

const ITER = Number(process.env.BENCH_ITER ?? 9);
const WARM = 2;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const results: Array<{ stage: string; ms: number; mbs: number }> = [];
// Interleave the stages within each iteration so that machine noise hits them alike.
const times: Record<string, number[]> = {};
for (let it = 0; it < WARM + ITER; it++) {
  for (const [name, fn] of Object.entries(stages)) {
    const t0 = process.hrtime.bigint();
    for (const t of texts) fn(t);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (it >= WARM) (times[name] ??= []).push(ms);
  }
}
for (const name of Object.keys(stages)) {
  const ms = median(times[name]);
  results.push({ stage: name, ms, mbs: bytes / 1e6 / (ms / 1000) });
}
const base = results[0].mbs;
console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs (ratios are robust to load, MB/s are not)`);
console.log(`corpus: ${texts.length} files, ${(bytes / 1e6).toFixed(1)} MB (${chars} UTF-16 units); ${ITER} iterations after ${WARM} warm-up, median`);
console.log('');
console.log(`${'stage'.padEnd(36)} ${'ms'.padStart(8)} ${'MB/s'.padStart(8)} ${'ratio'.padStart(7)}`);
for (const r of results) {
  console.log(`${r.stage.padEnd(36)} ${r.ms.toFixed(1).padStart(8)} ${r.mbs.toFixed(0).padStart(8)} ${(r.mbs / base).toFixed(2).padStart(7)}`);
}
console.log('');
console.log(`target ratio >= 0.5: lexer ${(results[1].mbs / base).toFixed(2)}, lexer+split ${(results[2].mbs / base).toFixed(2)}, with facts ${(results[3].mbs / base).toFixed(2)}, with core rules ${(results[4].mbs / base).toFixed(2)}`);
if (sink === 0.5) console.log(''); // keep the work observable
