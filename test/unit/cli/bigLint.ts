/**
 * For the tests that count the bytes a `dupguard lint` of a big SQL file holds (lint-memory,
 * lint-retained): the generated file, the run in a folder of its own, and a full collection on demand.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { run } from '../../../src/cli/lint';
import type { CliIO } from '../../../src/cli/io';

v8.setFlagsFromString('--expose-gc');
// The backing stores of dead buffers are freed after a collection, on a helper thread unless this
// is off: on a loaded machine a count read right after gc() still held megabytes about to be freed.
v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');
/** A full garbage collection; the buffers it finds dead are freed before it returns. */
export const gc = vm.runInNewContext('gc') as () => void;

/** About `size` characters of DDL and upserts whose parse trees are many times their text. */
export function bigScript(size: number): string {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const cols = Array.from({ length: 40 }, (_, c) => `c${c} ${c % 3 ? 'text' : 'int'}${c % 5 ? '' : ' NOT NULL'}`).join(',\n  ');
    const ddl = `CREATE TABLE t${i} (\n  id bigint PRIMARY KEY,\n  ${cols},\n  UNIQUE (c0, c1),\n  CHECK (c2 IS NOT NULL OR c3 IS NOT NULL)\n);\n`;
    const rows = Array.from({ length: 60 }, (_, r) => `(${r}, 'v${r}', ${r * 7}, 'w${r}')`).join(',\n  ');
    const dml = `INSERT INTO t${i} (id, c1, c3, c4) VALUES\n  ${rows}\nON CONFLICT (id) DO UPDATE SET c1 = EXCLUDED.c1;\n`;
    parts.push(ddl, dml);
    n += ddl.length + dml.length;
  }
  return parts.join('');
}

/** `dupguard lint --format json big.sql` of `text`, alone in a temporary folder (removed after). */
export async function lintBigFile(text: string): Promise<{ status: number; findings: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-big-lint-'));
  try {
    fs.writeFileSync(path.join(dir, 'big.sql'), text);
    fs.writeFileSync(path.join(dir, '.dupguard.json'), '{}');
    let stdout = '';
    const io: CliIO = { stdout: (s) => { stdout += s; }, stderr: () => {}, cwd: dir, env: {} };
    const status = await run(['--format', 'json', 'big.sql'], io);
    return { status, findings: (JSON.parse(stdout) as { summary: { findings: number } }).summary.findings };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
