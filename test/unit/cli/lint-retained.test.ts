/**
 * What `dupguard lint` of a big SQL file leaves held once it is done (its own process: nothing
 * lexed before it): the buffers outside the JS heap (token arrays) are back to about what the loaded
 * parser holds, not sized by the file. The lexer's scratch arrays kept 9 bytes per token of the
 * longest file lexed (up to 9 MB) for the rest of the run, through the analysis of every later file.
 * Not a timing: it counts bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureParser } from '../../../src/core/schema/pg';
import { bigScript, gc, lintBigFile } from './bigLint';

test('lint of a 3 MB file: the token buffers it needed are not held once the run is over', async () => {
  await ensureParser();
  const text = bigScript(3_000_000);
  gc();
  const before = process.memoryUsage().arrayBuffers;
  const { status, findings } = await lintBigFile(text);
  assert.ok(status === 0 || status === 1, `exit ${status}`);
  assert.ok(findings > 0, 'findings were made');
  gc();
  const held = process.memoryUsage().arrayBuffers - before;
  console.log(`# ${(text.length / 1e6).toFixed(1)} MB: buffers held after the run grew by ${(held / 1e6).toFixed(2)} MB`);
  // (a MB or so comes and goes with the runtime's own buffers; the scratch arrays held 9.4 MB)
  assert.ok(held < 3e6, `${(held / 1e6).toFixed(1)} MB of buffers held after the run: token arrays sized by the file outlive it`);
});
