/**
 * What `dupguard lint` of a big SQL file leaves held once it is done (its own process: nothing
 * lexed before it): the buffers outside the JS heap (token arrays) are back to about what the loaded
 * parser holds, not sized by the file. The lexer's scratch arrays kept 9 bytes per token of the
 * longest file lexed (up to 9 MB) for the rest of the run, through the analysis of every later file.
 * Not a timing: it counts bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { run } from '../../../src/cli/lint';
import type { CliIO } from '../../../src/cli/io';
import { ensureParser } from '../../../src/core/schema/pg';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** About `size` characters of DDL and upserts, many tokens per line. */
function bigScript(size: number): string {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const cols = Array.from({ length: 20 }, (_, c) => `c${c} ${c % 3 ? 'text' : 'int'}`).join(', ');
    const rows = Array.from({ length: 30 }, (_, r) => `(${r}, 'v${r}', ${r * 7})`).join(', ');
    const part = `CREATE TABLE t${i} (id bigint PRIMARY KEY, ${cols}, UNIQUE (c1, c2));\nINSERT INTO t${i} (id, c1, c2) VALUES ${rows} ON CONFLICT (id) DO UPDATE SET c1 = EXCLUDED.c1;\n`;
    parts.push(part);
    n += part.length;
  }
  return parts.join('');
}

test('lint of a 3 MB file: the token buffers it needed are not held once the run is over', async () => {
  await ensureParser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-retained-'));
  try {
    const text = bigScript(3_000_000);
    fs.writeFileSync(path.join(dir, 'big.sql'), text);
    fs.writeFileSync(path.join(dir, '.dupguard.json'), '{}');
    let stdout = '';
    const io: CliIO = { stdout: (s) => { stdout += s; }, stderr: () => {}, cwd: dir, env: {} };
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const status = await run(['--format', 'json', 'big.sql'], io);
    assert.ok(status === 0 || status === 1, `exit ${status}`);
    assert.ok((JSON.parse(stdout) as { summary: { findings: number } }).summary.findings > 0, 'findings were made');
    stdout = '';
    gc();
    const held = process.memoryUsage().arrayBuffers - before;
    console.log(`# ${(text.length / 1e6).toFixed(1)} MB: buffers held after the run grew by ${(held / 1e6).toFixed(2)} MB`);
    // (a MB or so comes and goes with the runtime's own buffers; the scratch arrays held 9.4 MB)
    assert.ok(held < 3e6, `${(held / 1e6).toFixed(1)} MB of buffers held after the run: token arrays sized by the file outlive it`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
