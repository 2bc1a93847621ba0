/**
 * A minimal test runner for the extension host (mocha is not a dependency): tests run in order, each
 * with a time limit; results go to the file named by DUPGUARD_TEST_REPORT (the harness prints it) and
 * to the console. run() rejects when any test failed, which makes VS Code exit with code 1.
 */
import * as fs from 'node:fs';

type Fn = () => Promise<void> | void;
interface Case { name: string; fn: Fn; timeoutMs: number }

const cases: Case[] = [];
/** True once runAll() started: tests are registered when their module loads, never from a running test. */
let running = false;

/** Registers a test. */
export function test(name: string, fn: Fn, timeoutMs = 60_000): void {
  // (a test() call inside a helper would register one more case each time the helper runs)
  if (running) throw new Error(`test('${name}') was called while the tests run: register tests at the top level of a module`);
  cases.push({ name, fn, timeoutMs });
}

function write(line: string): void {
  const file = process.env.DUPGUARD_TEST_REPORT;
  if (file) fs.appendFileSync(file, `${line}\n`);
  console.log(line);
}

/** Adds a comment line to the report (measurements worth seeing in CI output). */
export function note(text: string): void {
  write(`# ${text}`);
}

/** Records a figure for the harness (e.g. activation time), as `name=value`. */
export function figure(name: string, value: number): void {
  write(`# ${name}=${value.toFixed(1)}`);
}

export async function runAll(): Promise<void> {
  let failed = 0;
  const t0 = Date.now();
  // DUPGUARD_TEST_GREP narrows a run by hand while working on one test; CI never sets it.
  const grep = process.env.DUPGUARD_TEST_GREP ? new RegExp(process.env.DUPGUARD_TEST_GREP) : undefined;
  running = true;
  const selected = grep ? cases.filter((c) => grep.test(c.name)) : [...cases];
  // The first line tells the harness that the extension host started the tests (see harness/run.ts).
  write(`# running ${selected.length} extension tests`);
  if (grep) write(`# DUPGUARD_TEST_GREP=${grep.source}: ${selected.length} of ${cases.length} tests`);
  for (const c of selected) {
    const start = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(c.fn),
        new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out after ${c.timeoutMs} ms`)), c.timeoutMs); }),
      ]);
      write(`ok - ${c.name} (${Date.now() - start} ms)`);
    } catch (e) {
      failed++;
      const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
      write(`not ok - ${c.name} (${Date.now() - start} ms)\n${msg.split('\n').map((l) => `    ${l}`).join('\n')}`);
    } finally {
      clearTimeout(timer);
    }
  }
  write(`# ${selected.length - failed}/${selected.length} passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (failed) throw new Error(`${failed} of ${selected.length} extension tests failed`);
}
