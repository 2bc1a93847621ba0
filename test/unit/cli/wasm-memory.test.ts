/**
 * The WASM parser esbuild.js ships beside the bundles starts with less memory than libpg-query's own
 * copy (48 MiB, not 128: V8 starts a full garbage collection at start-up for more than 64 MiB of
 * external memory), still holds its data and stack, and grows when a long statement needs more.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';

const root = path.resolve(__dirname, '../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { withSmallerInitialMemory } = require(path.join(root, 'esbuild.js')) as { withSmallerInitialMemory(wasm: Buffer): Buffer };
const original = fs.readFileSync(require.resolve('libpg-query/wasm/libpg-query.wasm'));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-wasm-memory-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** The limits (in bytes) of the memory a module declares, once V8 has validated the module. */
function memoryOf(wasm: Buffer): { min: number; max?: number } {
  const mod = new WebAssembly.Module(new Uint8Array(wasm));
  const exported = WebAssembly.Module.exports(mod).find((e) => e.kind === 'memory');
  assert.ok(exported, 'the module exports its memory');
  // instantiating needs the imports; the limits are read from the binary's memory section instead
  const u8 = new Uint8Array(wasm);
  const leb = (at: number) => {
    let value = 0;
    let shift = 0;
    let i = at;
    for (;; i++) {
      value += (u8[i] & 0x7f) * 2 ** shift;
      shift += 7;
      if (u8[i] < 0x80) return { value, end: i + 1 };
    }
  };
  for (let at = 8; at < u8.length;) {
    const size = leb(at + 1);
    if (u8[at] === 5) {
      const limits = leb(size.end).end;
      const min = leb(limits + 1);
      return { min: min.value * 65536, max: u8[limits] & 1 ? leb(min.end).value * 65536 : undefined };
    }
    at = size.end + size.value;
  }
  throw new Error('no memory section');
}

test('the shipped WASM starts with 48 MiB (libpg-query declares 128), the same maximum, and is otherwise the same bytes', () => {
  const shipped = withSmallerInitialMemory(original);
  const before = memoryOf(original);
  const now = memoryOf(shipped);
  assert.equal(now.min, 48 * 1024 * 1024);
  assert.ok(now.min < 64 * 1024 * 1024, 'under the 64 MiB of external memory that starts a full GC');
  assert.equal(now.max, before.max);
  assert.equal(shipped.length, original.length);
  const differ = [...shipped.keys()].filter((i) => shipped[i] !== original[i]);
  assert.ok(differ.length > 0 && differ.length <= 5, `only the memory's minimum changes (${differ.length} bytes)`);
  assert.equal(withSmallerInitialMemory(shipped), shipped, 'a module that already starts small is left as it is');
  assert.throws(() => withSmallerInitialMemory(Buffer.from('not wasm at all')), /not a WebAssembly module/);
  const built = path.join(root, 'dist', 'libpg-query.wasm');
  if (fs.existsSync(built)) assert.ok(fs.readFileSync(built).equals(shipped), 'esbuild.js ships this copy in dist/');
});

test('with the shipped WASM a statement of a megabyte parses, the memory growing as it needs', () => {
  const dir = path.join(scratch, 'grow');
  const entry = path.join(scratch, 'entry.ts');
  fs.writeFileSync(entry, `import { ensureParser, parseSql } from ${JSON.stringify(path.join(root, 'src/core/schema/pg'))};
let grown = 0;
const grow = WebAssembly.Memory.prototype.grow;
WebAssembly.Memory.prototype.grow = function (delta: number) { grown += delta; return grow.call(this, delta); };
ensureParser().then(() => {
  const rows = Array.from({ length: 50000 }, (_, i) => \`(\${i}, 'v\${i}')\`).join(',');
  const r: any = parseSql(\`insert into t (a, b) values \${rows} on conflict do nothing\`);
  const small: any = parseSql('insert into t (a) values (1)');
  console.log(JSON.stringify({
    rows: r && r.ok ? r.stmts[0].stmt.InsertStmt.selectStmt.SelectStmt.valuesLists.length : r,
    after: !!(small && small.ok),
    grown,
  }));
});\n`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('esbuild').buildSync({ entryPoints: [entry], outfile: path.join(dir, 'cli.js'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent' });
  fs.writeFileSync(path.join(dir, 'libpg-query.wasm'), withSmallerInitialMemory(original));
  const r = spawnSync(process.execPath, [path.join(dir, 'cli.js')], { cwd: os.tmpdir(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { rows: number; after: boolean; grown: number };
  assert.equal(out.rows, 50000);
  assert.equal(out.after, true, 'the parser works after growing');
  assert.ok(out.grown > 0, 'the memory grew past its 48 MiB start');
});
