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
import { ensureParser, observeParseTrees } from '../../../src/core/schema/pg';
import { bigScript, gc, lintBigFile } from './bigLint';

test('lint of a 3 MB file: the live heap stays well below what holding every statement\'s tree takes', async () => {
  await ensureParser();
  const text = bigScript(3_000_000);
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
  let result: { status: number; findings: number };
  try {
    result = await lintBigFile(text);
  } finally {
    observeParseTrees();
  }
  assert.ok(result.status === 0 || result.status === 1, `exit ${result.status}`);
  // the rules did read the trees: each table's composite key and each upsert's VALUES
  assert.ok(result.findings > 0, 'findings were made');
  assert.ok(trees > 1000, `${trees} trees made`);
  const perByte = peak / text.length;
  console.log(`# ${(text.length / 1e6).toFixed(1)} MB, ${trees} trees: live heap grew by at most ${(peak / 1e6).toFixed(1)} MB (${perByte.toFixed(1)} bytes per input byte)`);
  assert.ok(perByte < 37, `live heap grew by ${perByte.toFixed(1)} bytes per input byte: parse trees are held beyond their statement`);
});

test('lint keeps no parse tree for a later analysis (a run reads each file once)', async () => {
  await ensureParser();
  const text = bigScript(300_000);
  let made = 0;
  let collected = 0;
  // (a WeakRef would keep every tree alive until the synchronous run is over)
  const registry = new FinalizationRegistry<number>(() => { collected++; });
  observeParseTrees((tree) => registry.register(tree, made++));
  try {
    const { findings } = await lintBigFile(text);
    assert.ok(findings > 0, 'findings were made');
  } finally {
    observeParseTrees();
  }
  for (let i = 0; i < 5 && collected < made; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  console.log(`# ${made} trees made, ${made - collected} still held after the run`);
  assert.ok(made > 200, `${made} trees made`);
  assert.equal(made - collected, 0, 'parse trees are held after the run: a cache keeps them for an analysis that never comes');
});
