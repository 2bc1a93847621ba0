/**
 * dupguard in a real VS Code (code-server 4.100.3 + Debian Chromium, see harness/run.ts): the
 * extension-host suite against the development build, then the packaged .vsix through the UI.
 * Never skips: without code-server (not cached, registry unreachable) the run fails and says why.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ensureCodeServer, repoRoot } from './harness/install';
import { runSuite, runVsix } from './harness/run';

test('code-server 4.100.3 is installed (or taken from .cache/code-server)', { timeout: 13 * 60_000 }, async (t) => {
  const r = await ensureCodeServer((s) => t.diagnostic(s));
  const note = r.cached ? 'code-server taken from the cache' : `code-server installed in ${r.seconds.toFixed(0)} s`;
  t.diagnostic(note);
  console.log(`[vscode] ${note}`);
});

test('extension-host suite passes inside VS Code', { timeout: 16 * 60_000 }, async () => {
  // 42 tests, the panel's in real PostgreSQL: about 6 minutes on a loaded 2-core machine.
  const r = await runSuite(720_000);
  console.log(r.report.trimEnd());
  console.log(`[vscode] extension tests: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s; activate() ${r.activationMs?.toFixed(1)} ms, open-to-active ${r.openToActiveMs?.toFixed(0)} ms, first lint ${r.firstLintMs?.toFixed(1)} ms`);
  assert.equal(r.exitCode, 0, `the extension tests failed inside VS Code (their output is printed above)`);
  assert.match(r.report, /# (\d+)\/\1 passed/);
});

test('a window with no folder open: the checks that need the SQL parser run in it too', { timeout: 5 * 60_000 }, async () => {
  const r = await runSuite(120_000, 'no-folder');
  console.log(r.report.trimEnd());
  console.log(`[vscode] no-folder window: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s`);
  assert.equal(r.exitCode, 0, 'the no-folder extension test failed inside VS Code (its output is printed above)');
  assert.match(r.report, /# (\d+)\/\1 passed/);
});

test('an untrusted workspace: the data check sends nothing until trust is granted', { timeout: 6 * 60_000 }, async () => {
  const r = await runSuite(180_000, 'untrusted');
  console.log(r.report.trimEnd());
  console.log(`[vscode] untrusted window: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s`);
  assert.equal(r.exitCode, 0, 'the untrusted-workspace extension tests failed inside VS Code (their output is printed above)');
  assert.match(r.report, /# (\d+)\/\1 passed/);
});

test('the packaged .vsix installs into code-server and shows a diagnostic and its quick fixes', { timeout: 8 * 60_000 }, async () => {
  const r = await runVsix();
  console.log(`[vscode] ${path.relative(repoRoot, r.vsix)}: ${(r.bytes / 1024).toFixed(0)} KiB; installed in ${r.installMs} ms; ${r.squiggles} squiggle(s); run ${r.seconds.toFixed(1)} s`);
  console.log(`[vscode] quick fixes: ${r.quickFixTitles.join(' | ')}`);
  console.log(`[vscode] screenshot of the editor with the quick-fix menu: ${r.screenshot}`);
  assert.ok(r.squiggles >= 1);
  // says what it counts, not a bare number beside VS Code's own problem counter
  assert.equal(r.statusText, `dupguard: ${r.squiggles} problem${r.squiggles === 1 ? '' : 's'}`, 'status bar count');
  assert.match(r.statusIcon, /codicon-warning/);
  assert.ok(r.quickFixTitles.some((s) => s.startsWith('Ignore on-conflict-without-target for this statement')), r.quickFixTitles.join(' | '));
  assert.ok(fs.statSync(r.screenshot).size > 10_000, 'screenshot is empty');
  for (const must of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/libpg-query.wasm', 'extension/docs/rules/on-conflict-without-target.md',
    'extension/media/walkthrough/find.md', 'extension/media/walkthrough/example.sql']) {
    assert.ok(r.entries.includes(must), `${must} missing from the .vsix: ${r.entries.join(', ')}`);
  }
  const stray = r.entries.filter((e) => /\.map$|\.ts$|node_modules|(^|\/)(src|test)\//.test(e));
  assert.deepEqual(stray, [], 'sources, maps or node_modules in the .vsix');
  // Bundle + WASM parser + manifest: anything much larger means node_modules or maps slipped in.
  assert.ok(r.bytes < 2 * 1024 * 1024, `.vsix is ${r.bytes} bytes`);
});
