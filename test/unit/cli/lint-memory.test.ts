/**
 * `dupguard lint` of a big SQL file does not hold every statement's parse tree: the document's own
 * DDL model is applied statement by statement, the rules of a statement run together and its tree is
 * let go, and the parse caches keep about a file's worth of statements. Measured on a generated 3 MB
 * file whose statements make big trees (many-column tables, long VALUES lists, both read by rules):
 * the live heap (after a full collection, taken every few hundred trees the parser makes) grew by 45
 * bytes per input byte when every tree was held, 30 now (the rest: the text, its tokens, each
 * statement's lexer facts, the schema models, the findings). Not a timing: it counts bytes.
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
import { ensureParser, observeParseTrees } from '../../../src/core/schema/pg';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** About `size` characters of DDL and upserts whose parse trees are many times their text. */
function bigScript(size: number): string {
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

test('lint of a 3 MB file: the live heap stays well below what holding every statement\'s tree takes', async () => {
  await ensureParser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-memory-'));
  try {
    const text = bigScript(3_000_000);
    fs.writeFileSync(path.join(dir, 'big.sql'), text);
    fs.writeFileSync(path.join(dir, '.dupguard.json'), '{}');
    let stdout = '';
    const io: CliIO = { stdout: (s) => { stdout += s; }, stderr: () => {}, cwd: dir, env: {} };
    gc();
    const before = process.memoryUsage();
    const base = before.heapUsed + before.arrayBuffers;
    let trees = 0;
    let peak = 0;
    observeParseTrees(() => {
      if (++trees % 300 !== 0) return;
      gc();
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers - base);
    });
    let status: number;
    try {
      status = await run(['--format', 'json', 'big.sql'], io);
    } finally {
      observeParseTrees();
    }
    const report = JSON.parse(stdout) as { summary: { findings: number } };
    assert.ok(status === 0 || status === 1, `exit ${status}`);
    // the rules did read the trees: each table's composite key and each upsert's VALUES
    assert.ok(report.summary.findings > 0, 'findings were made');
    assert.ok(trees > 1000, `${trees} trees made`);
    const perByte = peak / text.length;
    console.log(`# ${(text.length / 1e6).toFixed(1)} MB, ${trees} trees: live heap grew by at most ${(peak / 1e6).toFixed(1)} MB (${perByte.toFixed(1)} bytes per input byte)`);
    assert.ok(perByte < 37, `live heap grew by ${perByte.toFixed(1)} bytes per input byte: parse trees are held beyond their statement`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
