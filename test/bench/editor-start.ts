/**
 * Editor start-up in a real VS Code (a script, not a test; issue 17): how long after a .sql file is
 * opened in a fresh window the first dupguard squiggle appears, and when the diagnostics reach their
 * final, parser-confirmed set (PostgreSQL's grammar in WASM and the workspace schema index loaded).
 * Two builds in the same run, interleaved: `before` (the merge base with main, or --base REF) and
 * `after` (this working tree). Each round starts code-server 4.100.3 + Chromium twice per build: cold
 * (fresh user data, first start) and warm (the same user data again). Prints medians and the
 * after/before ratios, and whether the final diagnostics of every run are the same.
 * "first squiggle" is the extension host's onDidChangeDiagnostics (VS Code debounces it by 50 ms, and
 * any work holding the extension host's event loop delays it); "drawn" is when the page first shows a
 * squiggle (a MutationObserver in the workbench, on the same wall clock as the probe's open), which is
 * what the user sees and includes the browser's own work; "sent" is when the extension host sent them
 * to the window (dupguard's start-up marks, DUPGUARD_PERF_MARKS: a build without them prints NaN).
 *
 *   npm run bench:editor-start [-- --rounds 3] [-- --base main] [-- --file queries/import_orders.sql] [-- --verbose]
 * (--verbose prints dupguard's output channel, performance marks and the extension host's event-loop
 * stalls of each window; --profile DIR writes a CPU profile of the extension host per window.)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openBrowser } from '../integration/harness/browser';
import { startCodeServer, type CodeServer } from '../integration/harness/codeServer';
import { ensureCodeServer, repoRoot } from '../integration/harness/install';
import { within } from '../integration/harness/processes';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const rounds = Number(arg('rounds', '3'));
const file = arg('file', 'queries/import_orders.sql');
const baseRef = arg('base', '');
const fixtureWorkspace = path.join(repoRoot, 'test', 'fixtures', 'workspace');
const probeOut = path.join(repoRoot, 'out', 'bench', 'editor-start-probe.js');

const log = (s: string) => process.stdout.write(`${s}\n`);
const verbose = process.argv.includes('--verbose');
/** --profile DIR: a CPU profile of the extension host per window (open to settled), for Chrome DevTools. */
const profileDir = arg('profile', '') ? path.resolve(arg('profile', '')) : '';
let profileCount = 0;

/** dupguard's output channel files under a logs folder, newest session last. */
function logsOf(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /dupguard\.log$/.test(e.name)) out.push(path.join(e.parentPath, e.name));
  }
  return out.sort().slice(-1);
}

/** The source tree of `ref`, extracted under .cache (inside the repository, so node_modules resolve). */
function checkout(ref: string): string {
  const sha = execFileSync('git', ['rev-parse', ref], { cwd: repoRoot, encoding: 'utf8' }).trim();
  const dir = path.join(repoRoot, '.cache', 'bench-editor-start', sha.slice(0, 12));
  if (!fs.existsSync(path.join(dir, 'package.json'))) {
    fs.mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', sha, 'src', 'media', 'docs/rules', 'package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore'], { cwd: repoRoot, maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  }
  return dir;
}

/** An extension folder built from the tree at `root`, as esbuild.js builds it (development build, as the integration tests). */
function stage(root: string, tag: string): { dir: string; bundleBytes: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dupguard-bench-${tag}-`));
  for (const rel of ['package.json', 'README.md', 'LICENSE', 'media', path.join('docs', 'rules')]) {
    const src = path.join(root, rel);
    if (fs.existsSync(src)) fs.cpSync(src, path.join(dir, rel), { recursive: true });
  }
  const esbuild = require('esbuild') as typeof import('esbuild');
  esbuild.buildSync({
    entryPoints: [path.join(root, 'src', 'vscode', 'extension.ts')], outfile: path.join(dir, 'dist', 'extension.js'),
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'pg-native'],
    minify: true, sourcemap: false, logLevel: 'error',
  });
  fs.copyFileSync(require.resolve('libpg-query/wasm/libpg-query.wasm'), path.join(dir, 'dist', 'libpg-query.wasm'));
  let bundleBytes = 0;
  for (const f of fs.readdirSync(path.join(dir, 'dist'))) if (f.endsWith('.js')) bundleBytes += fs.statSync(path.join(dir, 'dist', f)).size;
  return { dir, bundleBytes };
}

interface Probe {
  error?: string;
  active: number;
  schemaReady: number;
  first?: number;
  confirmed?: number;
  published: { t: number; n: number }[];
  final: string[];
  /** Date.now() at the open, and when the window first drew a squiggle (ms since the open). */
  wall0: number;
  screen?: number;
  /** Event-loop gaps over 20 ms in the extension host, and dupguard's performance marks (ms since the open). */
  stalls?: { at: number; ms: number }[];
  marks?: string[];
}

/** One window: code-server on `scratch` (kept for the warm start), the probe as the extension tests. */
async function runOnce(ext: string, scratch: string): Promise<Probe> {
  const ws = path.join(scratch, 'workspace');
  if (!fs.existsSync(ws)) fs.cpSync(fixtureWorkspace, ws, { recursive: true });
  const report = path.join(scratch, 'probe.json');
  fs.rmSync(report, { force: true });
  let server: CodeServer | undefined;
  let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
  try {
    const cpu = profileDir ? path.join(profileDir, `${path.basename(scratch)}-${profileCount++}.cpuprofile`) : undefined;
    server = await startCodeServer(scratch, ws, { DUPGUARD_BENCH_REPORT: report, DUPGUARD_BENCH_FILE: file, DUPGUARD_PERF_MARKS: '1', ...(cpu ? { DUPGUARD_BENCH_PROFILE: cpu } : {}) });
    browser = await openBrowser(server.env);
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server!.port}${p}`;
    const payload = [['extensionDevelopmentPath', remote(ext)], ['extensionTestsPath', remote(probeOut)]];
    let exited!: (code: number) => void;
    const done = new Promise<number>((r) => { exited = r; });
    await browser.page.exposeFunction('codeAutomationExit', (code: number) => exited(Number(code)));
    // when the page first draws a squiggle (wall clock, as the probe's open time): what the user sees
    await browser.page.addInitScript(() => {
      const w = window as unknown as { __dgSquiggle?: number };
      new MutationObserver((_, obs) => {
        if (w.__dgSquiggle === undefined && document.querySelector('.squiggly-warning, .squiggly-error, .squiggly-info')) {
          w.__dgSquiggle = Date.now();
          obs.disconnect();
        }
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
    });
    await browser.page.goto(`${server.url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`, { timeout: 60_000 });
    await within(done, 180_000, 'the probe did not finish within 180 s');
    const r = JSON.parse(fs.readFileSync(report, 'utf8')) as Probe;
    if (r.error) throw new Error(r.error);
    const drawn = await browser.page.evaluate(() => (window as unknown as { __dgSquiggle?: number }).__dgSquiggle);
    if (drawn !== undefined) r.screen = drawn - r.wall0;
    if (verbose) for (const f of logsOf(path.join(scratch, 'user-data', 'logs'))) log(fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => `    ${l}`).join('\n'));
    return r;
  } finally {
    await browser?.close();
    await server?.stop();
  }
}

/** The first dupguard performance mark `name` of a window (ms since the open); NaN for a build without marks. */
const markAt = (r: Probe, name: string) => {
  const m = (r.marks ?? []).find((x) => x.startsWith(`${name}@`));
  return m ? Number(m.slice(name.length + 1)) : NaN;
};

const median = (all: number[]) => {
  const xs = all.filter((x) => !Number.isNaN(x));
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

async function main(): Promise<void> {
  await ensureCodeServer(log);
  const esbuild = require('esbuild') as typeof import('esbuild');
  esbuild.buildSync({
    entryPoints: [path.join(__dirname, 'editor-start', 'probe.ts')], outfile: probeOut, bundle: true, platform: 'node',
    format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'error',
  });
  const base = baseRef || execFileSync('git', ['merge-base', 'HEAD', 'main'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  const builds = { before: stage(checkout(base), 'before'), after: stage(repoRoot, 'after') };
  log(`editor start-up: ${file}, ${rounds} rounds; before = ${base.slice(0, 12)} (bundle ${(builds.before.bundleBytes / 1024).toFixed(0)} KiB), after = working tree (bundle ${(builds.after.bundleBytes / 1024).toFixed(0)} KiB); load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  type Key = `${'before' | 'after'} ${'cold' | 'warm'}`;
  const results = new Map<Key, Probe[]>();
  const finals = new Set<string>();
  try {
    for (let round = 0; round < rounds; round++) {
      // interleaved, and which build goes first alternates
      const order: ('before' | 'after')[] = round % 2 ? ['after', 'before'] : ['before', 'after'];
      for (const which of order) {
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `dupguard-bench-start-${which}-`));
        try {
          for (const temp of ['cold', 'warm'] as const) {
            const r = await runOnce(builds[which].dir, scratch);
            const key: Key = `${which} ${temp}`;
            results.set(key, [...(results.get(key) ?? []), r]);
            finals.add(JSON.stringify(r.final));
            log(`round ${round + 1} ${key}: active ${r.active.toFixed(0)} ms, first squiggle ${r.first?.toFixed(0) ?? '-'} ms (drawn ${r.screen?.toFixed(0) ?? '-'} ms), final ${r.confirmed?.toFixed(0) ?? '-'} ms (schema ready ${r.schemaReady.toFixed(0)} ms); published ${r.published.map((p) => `${p.n}@${p.t}`).join(' ')}`);
            if (verbose) log(`    marks ${(r.marks ?? []).join(' ')}\n    event-loop stalls ${(r.stalls ?? []).map((x) => `${x.ms}ms@${x.at}`).join(' ')}`);
          }
        } finally {
          fs.rmSync(scratch, { recursive: true, force: true });
        }
      }
    }
  } finally {
    for (const b of Object.values(builds)) fs.rmSync(b.dir, { recursive: true, force: true });
  }
  log('\nmedians, ms since the file was opened (activation included)   before   after   after/before');
  for (const temp of ['cold', 'warm'] as const) {
    const b = results.get(`before ${temp}`) ?? [];
    const a = results.get(`after ${temp}`) ?? [];
    for (const [label, pick] of [
      ['extension active', (r: Probe) => r.active],
      ['first squiggle', (r: Probe) => r.first ?? NaN],
      ['first squiggle after activation', (r: Probe) => (r.first ?? NaN) - r.active],
      ['first squiggle sent to the window', (r: Probe) => markAt(r, 'sent')],
      ['first squiggle sent after activation', (r: Probe) => markAt(r, 'sent') - r.active],
      ['first squiggle drawn in the window', (r: Probe) => r.screen ?? NaN],
      ['first squiggle drawn after activation', (r: Probe) => (r.screen ?? NaN) - r.active],
      ['parser-confirmed (final) diagnostics', (r: Probe) => r.confirmed ?? NaN],
      ['final diagnostics after activation', (r: Probe) => (r.confirmed ?? NaN) - r.active],
    ] as const) {
      const mb = median(b.map(pick));
      const ma = median(a.map(pick));
      log(`  ${temp.padEnd(5)} ${label.padEnd(40)} ${mb.toFixed(0).padStart(7)} ${ma.toFixed(0).padStart(7)}   ${(ma / mb).toFixed(2)}`);
    }
  }
  log(`\nfinal diagnostics identical in every run: ${finals.size === 1 ? 'yes' : `NO (${finals.size} different sets)`}`);
  for (const f of finals) log(`  ${f}`);
  if (finals.size !== 1) process.exitCode = 1;
}

if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
main().catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
