/**
 * Peak memory of `dupguard lint` per input byte, on the corpus (../shared/corpus): the shipped CLI
 * (dist/cli.js, built first) and a baseline's (`--baseline <git ref>`, default main, built by
 * ./baseline.ts) run in a child process per input, interleaved; each one's peak resident set size
 * (process.resourceUsage().maxRSS at exit, WASM memory included) is compared with a run on an empty
 * file in the same session (the baseline: node, the bundle and the parser). Also checks that stdout
 * is the report alone (it parses as JSON) whatever the parser prints.
 *
 * Then the big files, with this checkout's CLI and a baseline's (`--baseline <git ref>`, default
 * main, built by ./baseline.ts) in the same run, interleaved: the 20 MB file of bench:cli (pg_dump
 * output, then the migrations, to 20 MB) and the same built to 37.5 MB (the size where the parser ran
 * out of memory). Each line: peak RSS, bytes of peak memory per input byte, whether stdout is the JSON
 * report alone, the exit status, and whether both CLIs printed the same report. `--runs n` (default
 * 1) takes the median peak of n runs each (V8 collects garbage when its own heuristics say so: one
 * run's peak can differ from the next by a tenth or more).
 *
 *   npm run bench:memory           (or: npx tsx test/bench/memory.ts [--quick] [--baseline <ref>] [--runs n] [--no-big])
 *
 * What a peak is made of (the text, the statement objects, the token arrays, the facts, the live heap
 * of a lint at its most): `npx tsx test/bench/memory-live.ts <file.sql>`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listSqlFiles, writeBigSqlFile } from '../support/corpus';
import { buildBaseline } from './baseline';

const root = path.resolve(__dirname, '../..');
const corpus = path.resolve(root, '../shared/corpus');
const cli = path.join(root, 'dist', 'cli.js');

interface Run { name: string; bytes: number; peakKb: number; ms: number; exit: number | null; json: boolean; findings: number; errors: number; stderr: string; stdout: string }

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function lint(name: string, target: string, bytes: number, scratch: string, cliPath = cli): Run {
  const rssFile = path.join(scratch, `${name.replace(/[^\w.-]+/g, "_")}.rss`);
  // Preloaded into the CLI's process: writes its peak RSS (KiB) when it exits.
  const preload = path.join(scratch, 'peak.js');
  fs.writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(process.env.DUPGUARD_PEAK_FILE, String(process.resourceUsage().maxRSS)));\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--require', preload, cliPath, 'lint', '--format', 'json', target], {
    cwd: scratch, encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, DUPGUARD_PEAK_FILE: rssFile },
  });
  const ms = Date.now() - t0;
  let json = false;
  let findings = 0;
  let errors = 0;
  try {
    const report = JSON.parse(r.stdout) as { summary: { findings: number; errors: number } };
    json = true;
    findings = report.summary.findings;
    errors = report.summary.errors;
  } catch { /* reported below */ }
  const peakKb = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, 'utf8')) : NaN;
  return { name, bytes, peakKb, ms, exit: r.status, json, findings, errors, stderr: r.stderr.slice(0, 400), stdout: r.stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** This checkout's CLI and the baseline's on the big files, interleaved, `runs` times each. */
function bigFiles(scratch: string, baseline: string, ref: string, runs: number): boolean {
  let ok = true;
  console.log(`\nbig files: this checkout and ${ref} (median of ${runs} run${runs === 1 ? '' : 's'} each)`);
  console.log('input     CLI        peak MB  bytes/input byte  time s  stdout JSON  exit  same report');
  for (const [name, size] of [['20 MB', 20_000_000], ['37.5 MB', 37_500_000]] as const) {
    const file = path.join(scratch, `big-${size}.sql`);
    const bytes = writeBigSqlFile(file, size, corpus);
    const samples: Record<'new' | 'base', Run[]> = { new: [], base: [] };
    for (let i = 0; i < runs; i++) {
      samples.base.push(lint(`${name} base`, file, bytes, scratch, baseline));
      samples.new.push(lint(`${name} new`, file, bytes, scratch));
    }
    const same = samples.new[0].stdout === samples.base[0].stdout && samples.new[0].exit === samples.base[0].exit;
    const peaks: Record<string, number> = {};
    for (const who of ['base', 'new'] as const) {
      const rs = samples[who];
      const peak = median(rs.map((r) => r.peakKb)) * 1024;
      peaks[who] = peak;
      const r = rs[0];
      console.log(`${name.padEnd(9)} ${(who === 'new' ? 'this' : ref).padEnd(10)} ${(peak / 1e6).toFixed(0).padStart(7)} ${(peak / bytes).toFixed(1).padStart(17)} ${(median(rs.map((x) => x.ms)) / 1000).toFixed(1).padStart(7)} ${String(rs.every((x) => x.json)).padStart(12)} ${String(r.exit).padStart(5)} ${(who === 'new' ? String(same) : '').padStart(12)}`);
      if (!rs.every((x) => x.json)) console.log(`  stdout is not the JSON report; stderr: ${rs.find((x) => !x.json)!.stderr}`);
      // the report is the JSON alone, and the exit status says what it holds (1: error-level findings, else 0)
      const wrongExit = rs.filter((x) => x.exit !== (x.errors > 0 ? 1 : 0));
      if (wrongExit.length) console.log(`  exit ${wrongExit[0].exit} for a report with ${wrongExit[0].errors} error(s)`);
      if (who === 'new' && (!rs.every((x) => x.json) || wrongExit.length)) ok = false;
    }
    console.log(`${name.padEnd(9)} peak memory ${(peaks.new / peaks.base).toFixed(2)}x ${ref}'s`);
    fs.rmSync(file, { force: true });
  }
  return ok;
}

function main(): void {
  if (!fs.existsSync(corpus)) {
    console.log(`note: ${corpus} is absent: the memory benchmark needs the corpus, nothing measured`);
    return;
  }
  const quick = process.argv.includes('--quick');
  const build = spawnSync(process.execPath, [path.join(root, 'esbuild.js')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-membench-'));
  try {
    const inputs: { name: string; file: string; bytes: number }[] = [];
    const write = (name: string, parts: string[], times = 1) => {
      const file = path.join(scratch, `${name}.sql`);
      const fd = fs.openSync(file, 'w');
      for (let i = 0; i < times; i++) for (const p of parts) fs.writeSync(fd, fs.readFileSync(p));
      fs.closeSync(fd);
      inputs.push({ name, file, bytes: fs.statSync(file).size });
    };
    write('empty', []);
    const dumps = listSqlFiles(path.join(corpus, 'dumps'));
    const migrations = listSqlFiles(path.join(corpus, 'migrations'));
    const regress = listSqlFiles(path.join(corpus, 'pg-regress'));
    // Each corpus folder as one file, then repeated: pg_dump output ×5 is 35.5 MB (the size that
    // broke), the migrations ×20 are 16 MB of DDL. The growth between the two sizes of one input is
    // the memory a further input byte costs, free of the fixed part (node, bundle, parser, caches).
    const pairs: [string, string][] = [];
    const both = (name: string, parts: string[], times: number) => {
      write(name, parts);
      if (!quick) { write(`${name} x${times}`, parts, times); pairs.push([name, `${name} x${times}`]); }
    };
    both('migrations', migrations, 20);
    both('pg-regress', regress, 3);
    both('dumps', dumps, 5);
    const ref = arg('--baseline') ?? 'main';
    const baseline = buildBaseline(ref, scratch);
    // the baseline's CLI on the same inputs, interleaved with this checkout's: before and after in one run
    const baseRuns: Run[] = [];
    const runs = inputs.map((i) => {
      baseRuns.push(lint(`${i.name} base`, i.file, i.bytes, scratch, baseline));
      return lint(i.name, i.file, i.bytes, scratch);
    });
    // The TS/JS part of the corpus as a folder (many files in one run).
    const tsReal = path.join(corpus, 'ts-real');
    const tsBytes = (fs.readdirSync(tsReal, { recursive: true }) as string[]).map((f) => path.join(tsReal, f)).filter((f) => fs.statSync(f).isFile()).reduce((n, f) => n + fs.statSync(f).size, 0);
    baseRuns.push(lint('ts-real (folder) base', tsReal, tsBytes, scratch, baseline));
    runs.push(lint('ts-real (folder)', tsReal, tsBytes, scratch));
    const base = runs[0].peakKb * 1024;
    console.log(`empty file: peak ${(base / 1e6).toFixed(0)} MB (${ref}: ${(baseRuns[0].peakKb * 1024 / 1e6).toFixed(0)} MB)`);
    console.log(`input                    MB   peak MB  bytes/input byte  above empty  time s  stdout JSON  exit  | ${ref}: peak MB  bytes/input byte  same report`);
    for (let k = 1; k < runs.length; k++) {
      const r = runs[k];
      const b = baseRuns[k];
      const peak = r.peakKb * 1024;
      const bPeak = b.peakKb * 1024;
      console.log(`${r.name.padEnd(22)} ${(r.bytes / 1e6).toFixed(1).padStart(6)} ${(peak / 1e6).toFixed(0).padStart(8)} ${(peak / r.bytes).toFixed(1).padStart(17)} ${(Math.max(0, peak - base) / r.bytes).toFixed(1).padStart(12)} ${(r.ms / 1000).toFixed(1).padStart(7)} ${String(r.json).padStart(12)} ${String(r.exit).padStart(5)}  | ${(bPeak / 1e6).toFixed(0).padStart(12)} ${(bPeak / r.bytes).toFixed(1).padStart(17)} ${String(b.stdout === r.stdout).padStart(12)}`);
      if (!r.json) console.log(`  stdout is not the JSON report; stderr: ${r.stderr}`);
    }
    let worst = 0;
    for (const [a, b] of pairs) {
      const x = runs.find((r) => r.name === a)!;
      const y = runs.find((r) => r.name === b)!;
      const slope = (y.peakKb - x.peakKb) * 1024 / (y.bytes - x.bytes);
      worst = Math.max(worst, slope);
      console.log(`${b}: each further input byte costs ${slope.toFixed(1)} bytes of peak memory`);
    }
    if (pairs.length) console.log(`worst: ${worst.toFixed(1)} bytes of peak memory per further input byte`);
    // The fixed part (node, the bundle, the parser: the empty file's run) is no input's doing; on an
    // input of a few hundred KB it alone is tens of bytes per input byte.
    const sized = runs.slice(1).filter((r) => r.bytes >= 1e6);
    const above = (r: Run) => Math.max(0, r.peakKb * 1024 - base) / r.bytes;
    const worstAbove = sized.reduce<Run | undefined>((w, r) => (w === undefined || above(r) > above(w) ? r : w), undefined);
    if (worstAbove) console.log(`worst peak above the empty file's, per input byte, of the inputs of 1 MB or more: ${above(worstAbove).toFixed(1)} (${worstAbove.name})`);
    if (runs.some((r) => !r.json)) process.exitCode = 1;
    if (!process.argv.includes('--no-big')) {
      if (!bigFiles(scratch, baseline, ref, Math.max(1, Number(arg('--runs') ?? 1)))) process.exitCode = 1;
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main();
