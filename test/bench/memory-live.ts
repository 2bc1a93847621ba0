/**
 * What a lint of one SQL file holds live, part by part, for the work on peak memory (bench:memory
 * gives the peaks; this says what they are made of). In this process, from the sources: the text, the
 * document the lexer and splitter make (statement objects in the heap, token arrays outside it), the
 * facts the rules read (every statement's settled), then `dupguard lint` of the file with the live heap
 * taken after a full collection every 500 parse trees (its peak, and when). A benchmark, never a test.
 *
 *   npx tsx test/bench/memory-live.ts <file.sql>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { run } from '../../src/cli/lint';
import { CLI_V8_FLAGS } from '../../src/cli/v8Flags';
import { parseDocument } from '../../src/core/facts';
import { ensureParser, observeParseTrees } from '../../src/core/schema/pg';
import { sizeForCliRun } from '../../src/engine/caches';

// as a CLI run (its young generation, compilers and heap growth), then what the counts need
v8.setFlagsFromString(CLI_V8_FLAGS);
v8.setFlagsFromString('--expose-gc');
// (dead buffers freed before a count is read, as in the memory tests)
v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');
const gc = vm.runInNewContext('gc') as () => void;
const mb = (x: number) => `${(x / 1e6).toFixed(1)} MB`;

function live(): { heap: number; buffers: number } {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

/** Reads every fact a rule reads, of every statement (in a function of its own: the loop's iterator, left in a register, would hold the document). */
function settleAll(doc: ReturnType<typeof parseDocument>): void {
  for (const s of doc.all) { void s.inserts; void s.createTable; void s.copy; void s.merge; void s.delete; void s.update; void s.keyword; }
}

/**
 * The text, the document and its facts of `file`, each as live heap and buffers; returns the bytes of
 * buffer reserved but never written for the document's tokens (a long range's token arrays are
 * views of one buffer with room for a token per character: memory only where written).
 */
function measureDocument(file: string, bytes: number): number {
  const m0 = live();
  const text = fs.readFileSync(file, 'utf8');
  const m1 = live();
  // (V8 keeps a string at one byte a character only when every character is below U+0100)
  let wide = false;
  for (let i = 0; i < text.length && !wide; i++) wide = text.charCodeAt(i) > 0xff;
  console.log(`${path.basename(file)}: ${mb(bytes)} on disk, ${(text.length / 1e6).toFixed(1)} M characters at ${wide ? 'two bytes' : 'one byte'} each: heap +${mb(m1.heap - m0.heap)}`);
  const doc = parseDocument(text);
  const m2 = live();
  const n = doc.all.length;
  const t = doc.tokens;
  const written = t.types.byteLength + t.starts.byteLength + t.ends.byteLength + t.bounds.byteLength;
  const reserved = m2.buffers - m1.buffers;
  console.log(`document: ${n} statements, heap +${mb(m2.heap - m1.heap)} (${((m2.heap - m1.heap) / Math.max(1, n)).toFixed(0)} bytes a statement), token arrays ${mb(written)} written (buffers +${mb(reserved)} reserved)`);
  settleAll(doc);
  const m3 = live();
  // (the document read after the count: unread, V8 may collect it before)
  console.log(`facts, every statement's settled: heap +${mb(m3.heap - m2.heap)}, buffers +${mb(m3.buffers - m2.buffers)} (${doc.all.length} statements)`);
  return Math.max(0, reserved - written);
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: memory-live.ts <file.sql>');
  await ensureParser();
  sizeForCliRun();
  const bytes = fs.statSync(file).size;
  const unwritten = measureDocument(file, bytes);
  // (the document measured in a function of its own: values a frame leaves in its registers would hold it)
  const base = live();
  let trees = 0;
  let peak = 0;
  let at = 0;
  observeParseTrees(() => {
    if (++trees % 500 !== 0) return;
    const m = live();
    const h = m.heap + m.buffers - base.heap - base.buffers;
    if (h > peak) { peak = h; at = trees; }
  });
  let out = '';
  try {
    await run(['--format', 'json', path.resolve(file)], { stdout: (s) => { out += s; }, stderr: () => {}, cwd: path.dirname(path.resolve(file)), env: {} });
  } finally {
    observeParseTrees();
  }
  const findings = (JSON.parse(out) as { summary: { findings: number } }).summary.findings;
  // (the lint's document reserves the same token room as the one measured above, unwritten alike)
  const inMemory = Math.max(0, peak - unwritten);
  console.log(`dupguard lint: ${findings} findings; live heap and buffers at most +${mb(inMemory)} in memory (${(inMemory / bytes).toFixed(1)} bytes per input byte; +${mb(peak)} with the token room reserved but not written), at parse tree ${at} of ${trees}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
