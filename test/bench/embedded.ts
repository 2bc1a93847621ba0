/**
 * Embedded-SQL tokenizer benchmark: js-tokens against the hand-written scanner in src/embedded/scanner
 * (the faster one, used for non-JSX files), and the whole extractor, on real JavaScript/TypeScript from node_modules.
 * Ratios are against a bare char-code loop over the same text in the same process.
 *
 *   npx tsx test/bench/embedded.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import jsTokens = require('js-tokens');
import { extractEmbeddedSql } from '../../src/embedded/extract';
import { handTokens, scanJs } from '../../src/embedded/scanner';

const root = path.resolve(__dirname, '../..');
const nm = path.join(root, 'node_modules');

function collect(): Array<{ name: string; text: string }> {
  const files: string[] = [path.join(nm, 'typescript/lib/typescript.js')];
  for (const dir of ['pg/lib', 'pg-protocol/dist', 'pg-pool', 'node-sql-parser/build']) {
    const d = path.join(nm, dir);
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d)) if (/\.(js|ts)$/.test(f) && fs.statSync(path.join(d, f)).size < 3e6) files.push(path.join(d, f));
  }
  return files.filter((f) => fs.existsSync(f)).map((f) => ({ name: path.relative(nm, f), text: fs.readFileSync(f, 'utf8') }));
}

function time(fn: () => number, repeat = 3): { ms: number; out: number } {
  let best = Infinity;
  let out = 0;
  for (let r = 0; r < repeat; r++) {
    const t0 = process.hrtime.bigint();
    out = fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: best, out };
}

const inputs = collect();
const bytes = inputs.reduce((a, f) => a + f.text.length, 0);
const mb = bytes / 1e6;

const bare = time(() => {
  let h = 0;
  for (const f of inputs) for (let i = 0; i < f.text.length; i++) h = (h + f.text.charCodeAt(i)) | 0;
  return h;
});
const js = time(() => {
  let n = 0;
  for (const f of inputs) for (const _ of jsTokens(f.text)) n++;
  return n;
});
const hand = time(() => {
  let n = 0;
  for (const f of inputs) scanJs(f.text, () => { n++; });
  return n;
});
const extract = time(() => {
  let n = 0;
  for (const f of inputs) n += extractEmbeddedSql(f.text, 'javascript').length;
  return n;
});

// Agreement: where do the two tokenizers disagree on string/template/regex tokens?
let disagreements = 0;
for (const f of inputs) {
  const kinds = (it: Iterable<{ type: string; value: string }>) => {
    const out: string[] = [];
    let pos = 0;
    for (const t of it) {
      if (/String|Template|RegularExpression/.test(t.type)) out.push(`${pos}:${t.type}`);
      pos += t.value.length;
    }
    return out;
  };
  const a = kinds(jsTokens(f.text));
  const b = new Set(kinds(handTokens(f.text)));
  for (const k of a) if (!b.has(k)) disagreements++;
}

const row = (name: string, r: { ms: number; out: number }) =>
  console.log(`${name.padEnd(22)} ${(mb / (r.ms / 1000)).toFixed(1).padStart(7)} MB/s  ratio to bare loop ${(bare.ms / r.ms).toFixed(3)}  (${r.out} items)`);
console.log(`${inputs.length} files, ${mb.toFixed(1)} M UTF-16 code units of real JS from node_modules`);
row('bare char loop', bare);
row('js-tokens', js);
row('hand-written', hand);
row('extractEmbeddedSql', extract);
console.log(`string/template/regex tokens of js-tokens the hand-written tokenizer got differently: ${disagreements}`);

// The ORM layer (src/embedded/orm): its pass against the embedded-SQL pass on the same files, here and
// on the TS/JS of ../shared/corpus/ts-real when present (ORM-heavy code). Issue 15's limit: +25%.
import { recogniseOrm } from '../../src/embedded/orm/recognise';

function ormVsExtract(label: string, files: Array<{ text: string }>): void {
  // paired runs, best of several, so that load on the machine hits both alike
  let sql = Infinity;
  let orm = Infinity;
  let writes = 0;
  let pieces = 0;
  for (let r = 0; r < 7; r++) {
    let t0 = process.hrtime.bigint();
    pieces = 0;
    for (const f of files) pieces += extractEmbeddedSql(f.text, 'typescript').length;
    sql = Math.min(sql, Number(process.hrtime.bigint() - t0) / 1e6);
    t0 = process.hrtime.bigint();
    writes = 0;
    for (const f of files) writes += recogniseOrm(f.text).writes.length;
    orm = Math.min(orm, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(`${label}: embedded SQL ${sql.toFixed(1)} ms (${pieces} pieces), ORM pass ${orm.toFixed(1)} ms (${writes} writes): ORM adds ${(100 * orm / sql).toFixed(1)}% to the embedded-SQL pass (limit 25%)`);
}

ormVsExtract(`node_modules JS (${inputs.length} files)`, inputs);
const tsReal = path.resolve(root, '../shared/corpus/ts-real');
if (fs.existsSync(tsReal)) {
  const files: Array<{ text: string }> = [];
  for (const d of fs.readdirSync(tsReal)) {
    const dir = path.join(tsReal, d);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const f of fs.readdirSync(dir)) if (/\.[cm]?[jt]sx?$/.test(f)) files.push({ text: fs.readFileSync(path.join(dir, f), 'utf8') });
  }
  ormVsExtract(`ts-real corpus TS/JS (${files.length} files)`, files);
} else {
  console.log('ts-real corpus absent (../shared/corpus): ORM pass measured on node_modules only');
}
