/**
 * Runs dupguard inside a real VS Code (code-server 4.100.3 + Debian Chromium):
 *
 *  1. extension tests: the extension-host suite (test/integration/suite) against the dev folder,
 *     passed through the workbench URL payload; the exit code comes back through codeAutomationExit;
 *  2. packaged artifact: `vsce package` → install the .vsix into code-server → open a file through the
 *     UI (Ctrl+P) → a squiggle appears → open the quick-fix menu and take a screenshot.
 *
 * `npx tsx test/integration/harness/run.ts [suite|vsix]` runs it by hand; vscode.test.ts runs it in CI.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openBrowser } from './browser';
import { installVsix, startCodeServer, type CodeServer } from './codeServer';
import { ensureCodeServer, repoRoot } from './install';
import { within } from './processes';
import { serveScreenshots } from './screenshots';
import { stageExtension } from './stage';

export const fixtureWorkspace = path.join(repoRoot, 'test', 'fixtures', 'workspace');
export const resultsDir = path.join(repoRoot, 'test-results');
/**
 * The extension-host suites: the main one in a window on the fixture workspace, and a short one in a
 * window with no folder open (no workspace, so no schema index).
 */
export type SuiteVariant = 'workspace' | 'no-folder' | 'untrusted';
const suites: Record<SuiteVariant, { entry: string; out: string }> = {
  workspace: { entry: 'index.ts', out: path.join(repoRoot, 'out', 'integration', 'suite.js') },
  'no-folder': { entry: 'noFolder.ts', out: path.join(repoRoot, 'out', 'integration', 'suite-no-folder.js') },
  // The fixture workspace opened with workspace trust on: restricted mode until a test trusts it.
  untrusted: { entry: 'untrusted.ts', out: path.join(repoRoot, 'out', 'integration', 'suite-untrusted.js') },
};

export interface SuiteRun {
  exitCode: number;
  /** What the extension-host tests wrote (one line per test, then a summary). */
  report: string;
  seconds: number;
  /** Time from the page load to the extension's activate() return, measured in the extension host. */
  activationMs?: number;
  /** The first analysis of the documents open at activation (WASM-free lexer path). */
  firstLintMs?: number;
  /** From opening the first SQL file to the extension being active (bundle load + activate()). */
  openToActiveMs?: number;
}

function log(s: string): void {
  process.stdout.write(`[vscode] ${s}\n`);
}

/** A scratch copy of the fixture workspace: the tests edit files and settings in it. */
function copyWorkspace(scratch: string): string {
  const dest = path.join(scratch, 'workspace');
  fs.cpSync(fixtureWorkspace, dest, { recursive: true });
  return dest;
}

/** Bundles the extension-host suite (it runs inside VS Code, so tsx cannot load it there). */
export function buildSuite(variant: SuiteVariant = 'workspace'): void {
  const esbuild = require('esbuild') as typeof import('esbuild');
  esbuild.buildSync({
    entryPoints: [path.join(repoRoot, 'test', 'integration', 'suite', suites[variant].entry)],
    outfile: suites[variant].out, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    external: ['vscode'], sourcemap: 'inline', logLevel: 'error',
  });
}


function scratchDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dupguard-vscode-${tag}-`));
}

/** A failure of the machinery (code-server, Chromium, the workbench), not of a test: worth one retry. */
export class InfraError extends Error {}

/**
 * Runs `attempt`; when it fails for an infrastructure reason (InfraError), says so and runs it once
 * more. A failed assertion is never retried.
 */
export async function retryInfraOnce<T>(what: string, attempt: (n: number) => Promise<T>): Promise<T> {
  try {
    return await attempt(1);
  } catch (e) {
    if (!(e instanceof InfraError)) throw e;
    log(`NOTE: ${what}: infrastructure failure, retrying once (not a test failure):\n${e.message.split('\n').slice(0, 12).join('\n')}`);
    return attempt(2);
  }
}

/** Runs `step`; any error becomes an InfraError naming `what`. */
async function infra<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    throw new InfraError(`${what}: ${e instanceof Error ? e.message : e}`);
  }
}

/** How long the extension host may take from the page load to its first test (slow on a loaded machine). */
const START_TIMEOUT_MS = 150_000;

/**
 * Opens the workbench with the test payload and waits for the exit code VS Code reports. Starting
 * code-server, Chromium and the extension host is retried once when it fails; the tests are not.
 */
export async function runSuite(timeoutMs = 360_000, variant: SuiteVariant = 'workspace'): Promise<SuiteRun> {
  const t0 = Date.now();
  buildSuite(variant);
  const r = await retryInfraOnce(`extension tests (${variant})`, () => runSuiteOnce(timeoutMs, variant));
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}

async function runSuiteOnce(timeoutMs: number, variant: SuiteVariant): Promise<SuiteRun> {
  const t0 = Date.now();
  const ext = stageExtension(false);
  const scratch = scratchDir('suite');
  const reportFile = path.join(scratch, 'report.txt');
  const ws = copyWorkspace(scratch);
  let server: CodeServer | undefined;
  let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
  let stopShots = () => {};
  const output = () => fs.existsSync(reportFile) ? fs.readFileSync(reportFile, 'utf8') : '';
  const diagnostics = () => `--- test output so far ---\n${output() || '(no test output)'}\n--- browser console (last 40) ---\n${browser?.console.slice(-40).join('\n') ?? ''}\n--- code-server (last 2000 chars) ---\n${server?.output().slice(-2000) ?? ''}`;
  try {
    const shots = path.join(scratch, 'screenshots');
    // The panel tests scan the run's PostgreSQL (test/run.ts) and ask for screenshots of the page.
    const pg = process.env.DUPGUARD_TEST_PG_URL ? { DUPGUARD_TEST_PG_URL: process.env.DUPGUARD_TEST_PG_URL } : {};
    server = await infra('starting code-server', () => startCodeServer(scratch, ws, { DUPGUARD_TEST_REPORT: reportFile, DUPGUARD_TEST_WORKSPACE: ws, DUPGUARD_TEST_SCREENSHOTS: shots, DUPGUARD_TEST_RESULTS: resultsDir, ...pg }, { workspaceTrust: variant === 'untrusted' }));
    log(`code-server on ${server.url}`);
    browser = await infra('starting Chromium', () => openBrowser(server!.env));
    const page = browser.page;
    stopShots = serveScreenshots(page, shots);
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server!.port}${p}`;
    const payload = [['extensionDevelopmentPath', remote(ext)], ['extensionTestsPath', remote(suites[variant].out)]];
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((r) => { resolveExit = r; });
    const crashed = new Promise<never>((_, rej) => {
      page.once('crash', () => rej(new InfraError('the Chromium page crashed')));
      browser!.browser.once('disconnected', () => rej(new InfraError('Chromium went away')));
    });
    crashed.catch(() => {});
    await infra('loading the workbench', async () => {
      await page.exposeFunction('codeAutomationExit', (code: number) => { resolveExit(Number(code)); });
      // code-server reopens its default folder unless told otherwise: ew=true is its empty window
      const folder = variant !== 'no-folder' ? `folder=${encodeURIComponent(ws)}&` : 'ew=true&';
      await page.goto(`${server!.url}/?${folder}payload=${encodeURIComponent(JSON.stringify(payload))}`, { timeout: 60_000 });
    });
    // The runner writes its first line before the first test: until then, any stall is the machinery's.
    const started = (async () => {
      while (!output()) await new Promise((r) => setTimeout(r, 250));
    })();
    try {
      await within(Promise.race([started, exited, crashed]), START_TIMEOUT_MS, `the extension host did not start the tests within ${START_TIMEOUT_MS / 1000} s`);
    } catch (e) {
      throw new InfraError(`${e instanceof Error ? e.message : e}\n${diagnostics()}`);
    }
    let exitCode: number;
    try {
      exitCode = await within(Promise.race([exited, crashed]), timeoutMs, `the extension tests did not finish within ${timeoutMs / 1000} s`);
    } catch (e) {
      fs.mkdirSync(resultsDir, { recursive: true });
      await page.screenshot({ path: path.join(resultsDir, 'timeout.png') }).catch(() => {});
      // Once tests ran, a stall is reported as it is (their output says which test hung); a browser
      // crash is the machinery's.
      const message = `${e instanceof Error ? e.message : e}\n${diagnostics()}`;
      throw e instanceof InfraError ? new InfraError(message) : new Error(message);
    }
    const report = output() || '(the suite wrote no report)';
    const m = /activationMs=([\d.]+)/.exec(report);
    const f = /firstLintMs=([\d.]+)/.exec(report);
    const o = /openToActiveMs=([\d.]+)/.exec(report);
    return { exitCode, report, seconds: (Date.now() - t0) / 1000, activationMs: m ? Number(m[1]) : undefined, firstLintMs: f ? Number(f[1]) : undefined, openToActiveMs: o ? Number(o[1]) : undefined };
  } finally {
    stopShots();
    await browser?.close();
    await server?.stop();
    fs.rmSync(ext, { recursive: true, force: true });
    if (process.env.DUPGUARD_KEEP_SCRATCH) log(`scratch kept: ${scratch}`);
    else fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export interface VsixRun {
  vsix: string;
  bytes: number;
  installMs: number;
  /** Files inside the .vsix. */
  entries: string[];
  squiggles: number;
  /** The status bar item's text and icon class, e.g. `dupguard: 1 problem` with `codicon-warning`. */
  statusText: string;
  statusIcon: string;
  screenshot: string;
  quickFixTitles: string[];
  seconds: number;
}

/** File names in a .vsix (zip names are stored uncompressed in its central directory). */
export function vsixEntries(vsix: string): string[] {
  const names = new Set<string>();
  const buf = fs.readFileSync(vsix);
  // Central directory file headers: signature PK\x01\x02, name length at +28, name at +46.
  for (let i = buf.indexOf('PK\x01\x02', 0, 'latin1'); i >= 0; i = buf.indexOf('PK\x01\x02', i + 4, 'latin1')) {
    const len = buf.readUInt16LE(i + 28);
    names.add(buf.toString('utf8', i + 46, i + 46 + len));
  }
  return [...names].sort();
}

/** Packages the extension with vsce, as `npm run package` does, from a staged production build. */
export function packageVsix(): string {
  fs.mkdirSync(resultsDir, { recursive: true });
  const vsix = path.join(resultsDir, 'dupguard.vsix');
  fs.rmSync(vsix, { force: true });
  const ext = stageExtension(true);
  try {
    const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
    const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '-o', vsix],
      { cwd: ext, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0 || !fs.existsSync(vsix)) throw new Error(`vsce package failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
    return vsix;
  } finally {
    fs.rmSync(ext, { recursive: true, force: true });
  }
}

/** The shipped artifact in a plain code-server: install, open a file through the UI, see a squiggle. */
export async function runVsix(file = 'queries/import_orders.sql', expectFix = 'Add conflict target (external_ref)', timeoutMs = 120_000): Promise<VsixRun> {
  const t0 = Date.now();
  const vsix = packageVsix();
  const r = await retryInfraOnce('packaged .vsix', () => runVsixOnce(vsix, file, expectFix, timeoutMs));
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}

async function runVsixOnce(vsix: string, file: string, expectFix: string, timeoutMs: number): Promise<VsixRun> {
  const t0 = Date.now();
  const scratch = scratchDir('vsix');
  const ws = copyWorkspace(scratch);
  const installed = await infra('installing the .vsix into code-server', async () => installVsix(scratch, vsix));
  let server: CodeServer | undefined;
  let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
  const screenshot = path.join(resultsDir, 'editor.png');
  fs.mkdirSync(resultsDir, { recursive: true });
  try {
    server = await infra('starting code-server', () => startCodeServer(scratch, ws));
    browser = await infra('starting Chromium', () => openBrowser(server!.env));
    const page = browser.page;
    const step = async <T>(what: string, p: Promise<T>, ms = 30_000): Promise<T> => {
      try {
        return await within(p, ms, `timed out after ${ms / 1000} s: ${what}`);
      } catch (e) {
        await page.screenshot({ path: path.join(resultsDir, 'vsix-failure.png') }).catch(() => {});
        throw new Error(`${e instanceof Error ? e.message : e} (screenshot: test-results/vsix-failure.png)\n--- browser console (last 30) ---\n${browser!.console.slice(-30).join('\n')}`);
      }
    };
    await infra('loading the workbench', async () => {
      await page.goto(`${server!.url}/?folder=${encodeURIComponent(ws)}`, { timeout: 60_000 });
      await step('the workbench loads', page.waitForSelector('.monaco-workbench .part.editor', { timeout: timeoutMs }), timeoutMs);
      await step('the explorer shows the workspace', page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60_000 }), 60_000);
    });
    await page.keyboard.press('Control+P');
    await step('quick open appears', page.waitForSelector('.quick-input-widget:not([style*="display: none"]) input', { timeout: 30_000 }));
    await page.keyboard.type(path.basename(file));
    // Enter only once the file is listed: earlier, the list may hold other entries (or none).
    await step(`quick open lists ${file}`, page.waitForSelector(`.quick-input-list .monaco-list-row:has-text("${path.basename(file)}")`, { timeout: 30_000 }));
    await page.keyboard.press('Enter');
    const squiggle = '.monaco-editor .squiggly-warning, .monaco-editor .squiggly-error';
    await step('a dupguard squiggle in the editor', page.waitForSelector(squiggle, { timeout: 45_000 }), 45_000);
    const squiggles = await page.locator(squiggle).count();
    // The status bar item: `$(warning) dupguard: 1 problem` renders as a codicon followed by the words.
    const status = page.locator('.statusbar-item[id="dupguard.dupguard.dupguard.status"]');
    await step('the dupguard status bar item shows the count', status.filter({ hasText: `dupguard: ${squiggles} problem` }).waitFor({ timeout: 30_000 }));
    const statusText = (await status.innerText()).trim();
    const statusIcon = await status.locator('.codicon').first().getAttribute('class');
    // Hovering the squiggle shows the message with its rule code; clicking puts the cursor on it for Ctrl+.
    // The text layer sits above the decorations: click where the squiggle is drawn, then Ctrl+. for
    // the quick fixes. The schema-aware fix (the key from the workspace DDL, parsed by the WASM
    // parser shipped in the .vsix) appears once the schema index is built: retry until it does.
    let quickFixTitles: string[] = [];
    const t1 = Date.now();
    for (;;) {
      const box = await step('the squiggle has a position', page.locator(squiggle).first().boundingBox());
      if (!box) throw new Error('the squiggle is not rendered');
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await page.keyboard.press('Control+.');
      // Ctrl+. before the extension host answers shows "No code actions available" once: ask again.
      const opened = await page.waitForSelector('.action-widget .monaco-list-row', { timeout: 5_000 }).then(() => true, () => false);
      if (!opened) {
        if (Date.now() - t1 > 60_000) {
          await page.screenshot({ path: path.join(resultsDir, 'vsix-failure.png') });
          throw new Error('timed out after 60 s: the quick-fix menu never opened (screenshot: test-results/vsix-failure.png)');
        }
        await page.keyboard.press('Escape');
        await page.waitForTimeout(1_000);
        continue;
      }
      quickFixTitles = (await page.locator('.action-widget .monaco-list-row').allInnerTexts()).map((s) => s.trim()).filter(Boolean);
      if (quickFixTitles.some((t) => t.includes(expectFix)) || Date.now() - t1 > 60_000) break;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
    if (!quickFixTitles.some((t) => t.includes(expectFix))) {
      await page.screenshot({ path: path.join(resultsDir, 'vsix-failure.png') });
      throw new Error(`the quick-fix menu never offered "${expectFix}": ${quickFixTitles.join(' | ')} (screenshot: test-results/vsix-failure.png)`);
    }
    await page.waitForTimeout(300);
    await page.screenshot({ path: screenshot });
    await page.keyboard.press('Escape');
    return { vsix, bytes: fs.statSync(vsix).size, entries: vsixEntries(vsix), installMs: installed.ms, squiggles, statusText, statusIcon: statusIcon ?? '', screenshot, quickFixTitles, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await browser?.close();
    await server?.stop();
    if (process.env.DUPGUARD_KEEP_SCRATCH) log(`scratch kept: ${scratch}`);
    else fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const which = process.argv.slice(2);
  const all = which.length === 0;
  const inst = await ensureCodeServer(log);
  log(inst.cached ? 'code-server from the cache' : `code-server installed in ${inst.seconds.toFixed(0)} s`);
  let failed = false;
  if (all || which.includes('suite')) {
    const r = await runSuite();
    process.stdout.write(r.report);
    log(`extension tests: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s`);
    failed ||= r.exitCode !== 0;
  }
  if (all || which.includes('no-folder')) {
    const r = await runSuite(120_000, 'no-folder');
    process.stdout.write(r.report);
    log(`extension tests with no folder open: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s`);
    failed ||= r.exitCode !== 0;
  }
  if (all || which.includes('untrusted')) {
    const r = await runSuite(180_000, 'untrusted');
    process.stdout.write(r.report);
    log(`extension tests in an untrusted workspace: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s`);
    failed ||= r.exitCode !== 0;
  }
  if (all || which.includes('vsix')) {
    const r = await runVsix();
    log(`vsix ${path.relative(repoRoot, r.vsix)}: ${(r.bytes / 1024).toFixed(0)} KiB, installed in ${r.installMs} ms, ${r.squiggles} squiggles, quick fixes: ${r.quickFixTitles.join(' | ')}`);
    log(`screenshot: ${r.screenshot}`);
  }
  process.exit(failed ? 1 : 0);
}

if (require.main === module) {
  main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
}
