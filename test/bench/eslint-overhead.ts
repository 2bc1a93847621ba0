/**
 * What eslint-plugin-dupguard adds to an `eslint` run on real TypeScript/JavaScript
 * (../shared/corpus/ts-real, its .sql files giving the schema): the ESLint CLI run in a fresh process
 * with @typescript-eslint/parser alone, then with the plugin's recommended config as well, in
 * alternation (baseline just before each plugin run), five pairs; medians and their ratio.
 * A benchmark, not a test: `npm run bench:eslint` (builds first).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { corpusDir } from '../support/corpus';

const root = path.resolve(__dirname, '../..');
const corpus = path.join(corpusDir, 'ts-real');
if (!fs.existsSync(corpus)) {
  console.log(`eslint overhead: skipped, no corpus at ${corpus}`);
  process.exit(0);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-eslint-bench-'));
fs.cpSync(corpus, path.join(dir, 'ts-real'), { recursive: true });
const tsParser = JSON.stringify(path.join(root, 'node_modules', '@typescript-eslint', 'parser', 'dist', 'index.js'));
const plugin = JSON.stringify(path.join(root, 'dist', 'eslint-plugin-dupguard', 'index.mjs'));
const base = `{ files: ['**/*.{ts,tsx,mts,cts,js,mjs,cjs}'], languageOptions: { parser: tsParser } }`;
fs.writeFileSync(path.join(dir, 'baseline.config.mjs'), `import tsParser from ${tsParser};\nexport default [${base}];\n`);
fs.writeFileSync(path.join(dir, 'plugin.config.mjs'), `import tsParser from ${tsParser};\nimport dupguard from ${plugin};\nexport default [${base}, dupguard.configs.recommended];\n`);

const eslint = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
interface Pass { parse: { total: number }; rules?: Record<string, { total: number }>; total: number }
function run(config: string): { ms: number; problems: number; files: number; parseMs: number; dupguardMs: number; lintMs: number } {
  const t0 = process.hrtime.bigint();
  // --stats: ESLint's own per-file times (parse, each rule) inside the same run.
  const r = spawnSync(process.execPath, [eslint, '--config', config, '--format', 'json', '--stats', '--no-warn-ignored', 'ts-real'], { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`eslint failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
  const results = JSON.parse(r.stdout) as Array<{ messages: Array<{ ruleId: string | null }>; stats?: { times: { passes: Pass[] } } }>;
  let parseMs = 0;
  let dupguardMs = 0;
  let lintMs = 0;
  for (const x of results) {
    for (const p of x.stats?.times.passes ?? []) {
      parseMs += p.parse.total;
      lintMs += p.total;
      for (const [id, t] of Object.entries(p.rules ?? {})) if (id.startsWith('dupguard/')) dupguardMs += t.total;
    }
  }
  return { ms, files: results.length, parseMs, dupguardMs, lintMs, problems: results.reduce((n, x) => n + x.messages.filter((m) => m.ruleId?.startsWith('dupguard/')).length, 0) };
}

const PAIRS = Number(process.env.PAIRS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const baseline: number[] = [];
const withPlugin: number[] = [];
let files = 0;
let problems = 0;
const inRun: Array<{ parseMs: number; dupguardMs: number; lintMs: number }> = [];
for (let i = 0; i < PAIRS; i++) {
  const b = run('baseline.config.mjs');
  const p = run('plugin.config.mjs');
  baseline.push(b.ms);
  withPlugin.push(p.ms);
  files = p.files;
  problems = p.problems;
  inRun.push(p);
}
const b = median(baseline);
const p = median(withPlugin);
console.log(`eslint on ${files} files of ts-real (${(fs.readdirSync(corpus).length)} folders), fresh process per run, ${PAIRS} alternating pairs:`);
console.log(`  @typescript-eslint/parser alone:     median ${b.toFixed(0)} ms (${baseline.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`  + dupguard recommended (${problems} findings): median ${p.toFixed(0)} ms (${withPlugin.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`  overhead: +${(p - b).toFixed(0)} ms, ${(p / b).toFixed(2)}x the baseline; ${((p - b) / files).toFixed(2)} ms per file`);
const mid = inRun.sort((x, y) => x.dupguardMs - y.dupguardMs)[Math.floor(inRun.length / 2)];
console.log(`  inside the plugin runs (eslint --stats, median run): parsing ${mid.parseMs.toFixed(0)} ms, dupguard rules ${mid.dupguardMs.toFixed(0)} ms`
  + ` (${(mid.dupguardMs / files).toFixed(2)} ms per file, ${((100 * mid.dupguardMs) / mid.lintMs).toFixed(0)}% of the linting time ESLint counts)`);
fs.rmSync(dir, { recursive: true, force: true });
