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
// Each file's fastest of several paired runs is summed, so that load on a shared machine hits neither
// side more than the other. The embedded-SQL pass is the file's one tokenization (the engine's token
// stream) and the extraction on it; the ORM pass is its walk of that same stream (recogniseOrmTokens,
// callsOnly: its gate on the identifiers, then the walk of the files that pass), as the engine runs it.
// "Own tokenization": the ORM pass tokenizing the file again, for comparison.
import { recogniseOrm, recogniseOrmTokens } from '../../src/embedded/orm/recognise';
import { TokenStream } from '../../src/embedded/orm/stream';

function ormVsExtract(label: string, texts: string[], rounds: number): void {
  const sql = new Array<number>(texts.length).fill(Infinity);
  const orm = new Array<number>(texts.length).fill(Infinity);
  const walk = new Array<number>(texts.length).fill(Infinity);
  let writes = 0;
  let walked = 0;
  for (let r = 0; r < rounds; r++) {
    writes = 0;
    walked = 0;
    for (let i = 0; i < texts.length; i++) {
      let t0 = process.hrtime.bigint();
      const s = new TokenStream(texts[i], false);
      extractEmbeddedSql(texts[i], 'typescript', undefined, s);
      sql[i] = Math.min(sql[i], Number(process.hrtime.bigint() - t0) / 1e6);
      t0 = process.hrtime.bigint();
      const facts = recogniseOrmTokens(s, { callsOnly: true });
      if (facts.writes.length || facts.reads.length) walked++;
      writes += facts.writes.length;
      walk[i] = Math.min(walk[i], Number(process.hrtime.bigint() - t0) / 1e6);
      t0 = process.hrtime.bigint();
      recogniseOrm(texts[i]);
      orm[i] = Math.min(orm[i], Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  const sum = (x: number[]) => x.reduce((a, b) => a + b, 0);
  const pct = (x: number) => `${(100 * x / sum(sql)).toFixed(1)}%`;
  console.log(`${label}: embedded SQL (tokenization + extraction) ${sum(sql).toFixed(1)} ms; ORM pass on the same token stream ${sum(walk).toFixed(1)} ms = +${pct(sum(walk))} `
    + `(limit +25%; on its own tokenization +${pct(sum(orm))}); ${walked} files with ORM calls, ${writes} writes`);
}

ormVsExtract(`node_modules JS (${inputs.length} files)`, inputs.map((f) => f.text), 3);
const tsReal = path.resolve(root, '../shared/corpus/ts-real');
if (fs.existsSync(tsReal)) {
  const texts: string[] = [];
  for (const d of fs.readdirSync(tsReal)) {
    const dir = path.join(tsReal, d);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const f of fs.readdirSync(dir)) if (/\.[cm]?[jt]sx?$/.test(f)) texts.push(fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  ormVsExtract(`ts-real corpus TS/JS (${texts.length} files)`, texts, 15);
} else {
  console.log('ts-real corpus absent (../shared/corpus): ORM pass measured on node_modules only');
}

// The wired layer, A/B in the same run: `analyze()` of each TS/JS file as the CLI runs it, with the
// rules as they are (A: ORM calls read, ORM schema files feeding the model) against the same rules
// without their ORM side (B: what the embedded-SQL pass cost before the ORM layer was wired in: the
// SQL regions, and the host hooks that read them, check-then-insert-race's and timestamp-staging-table-name's). A also pays for reading the files whose
// text may declare ORM tables (mayDeclareOrmSchema) as ORM schemas (withOrmSchema), once per run, as
// `dupguard lint` does.
import { analyze } from '../../src/engine/analyze';
import { AnalysisCaches, sharedCaches } from '../../src/engine/caches';
import { mayDeclareOrmSchema, withOrmSchema } from '../../src/embedded/orm/model';
import { rules } from '../../src/rules/index';
import type { Rule } from '../../src/rules/rule';
import { ensureParser } from '../../src/core/schema/ddl';

/** The one host hook that reads ORM schema files (not ORM calls): the ORM side as a whole. */
const ORM_SCHEMA_HOOKS = new Set(['unique-key-allows-null-duplicates']);
const withoutOrm: Rule[] = rules.map((r) => {
  if (!r.host) return r;
  if (ORM_SCHEMA_HOOKS.has(r.id)) return { ...r, host: undefined };
  // the host hooks that read the SQL regions (check-then-insert-race, timestamp-staging-table-name) ran
  // before the ORM layer: they run here with no ORM facts, and the hooks that read only those return at once
  return { ...r, host: (ctx) => r.host!({ ...ctx, orm: () => undefined }) };
});

async function engineAB(label: string, files: Array<{ path: string; text: string }>, rounds: number): Promise<void> {
  await ensureParser();
  // each file's fastest of several paired runs (A and B alternate), summed: load on a shared machine hits neither side more.
  // Token streams as in one `dupguard lint` run: A's analyses find the streams its schema read of that
  // run made (the engine's cache, emptied before each run), B's find none (emptied before each analysis).
  const a = new Array<number>(files.length).fill(Infinity);
  const b = new Array<number>(files.length).fill(Infinity);
  const bCaches = new AnalysisCaches();
  let schemaMs = Infinity;
  let findingsA = 0;
  let findingsB = 0;
  const schemaFiles = () => files.filter((f) => mayDeclareOrmSchema(f.path, f.text));
  const streamOf = (text: string, jsx: boolean) => sharedCaches.streams.of(text, jsx);
  let schema = withOrmSchema(undefined, schemaFiles(), streamOf);
  for (let r = 0; r < rounds; r++) {
    sharedCaches.streams.clear();
    const s0 = process.hrtime.bigint();
    schema = withOrmSchema(undefined, schemaFiles(), streamOf, sharedCaches.streams.hints);
    schemaMs = Math.min(schemaMs, Number(process.hrtime.bigint() - s0) / 1e6);
    findingsA = 0;
    findingsB = 0;
    files.forEach((f, i) => {
      const sides = r % 2 ? ['b', 'a'] : ['a', 'b'];
      for (const side of sides) {
        if (side === 'a') {
          const t0 = process.hrtime.bigint();
          findingsA += analyze({ text: f.text, path: f.path, schema, reuse: false }).findings.length;
          a[i] = Math.min(a[i], Number(process.hrtime.bigint() - t0) / 1e6);
        } else {
          bCaches.streams.clear();
          const t0 = process.hrtime.bigint();
          findingsB += analyze({ text: f.text, path: f.path, reuse: false, rules: withoutOrm, caches: bCaches }).findings.length;
          b[i] = Math.min(b[i], Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }
    });
  }
  const sum = (x: number[]) => x.reduce((p, q) => p + q, 0);
  const sa = sum(a) + schemaMs;
  const sb = sum(b);
  console.log(`${label}: analyze() without the ORM side ${sb.toFixed(1)} ms (${findingsB} findings), with it ${sa.toFixed(1)} ms (${findingsA} findings; reading the ${schemaFiles().length} files that may declare ORM tables as ORM schemas, once per run: ${schemaMs.toFixed(1)} ms of it) = +${(100 * (sa - sb) / sb).toFixed(1)}% (limit +25%)`);
}

// The lint plan (src/embedded/plan.ts: execution and dialect of each region, branch variants, the
// host shapes the extractor misses) against extraction alone, and against a whole analysis, on the
// TS/JS of ../shared/corpus/ts-real (real SQL-bearing code) and on node_modules JS. Fastest of
// several paired runs per file, summed.
import { planHost } from '../../src/embedded/plan';

function planCost(label: string, texts: string[], rounds: number): void {
  const ext = new Array<number>(texts.length).fill(Infinity);
  const plan = new Array<number>(texts.length).fill(Infinity);
  const full = new Array<number>(texts.length).fill(Infinity);
  let regions = 0;
  let variants = 0;
  for (let r = 0; r < rounds; r++) {
    regions = 0;
    variants = 0;
    for (let i = 0; i < texts.length; i++) {
      let t0 = process.hrtime.bigint();
      regions += extractEmbeddedSql(texts[i], 'typescript').length;
      ext[i] = Math.min(ext[i], Number(process.hrtime.bigint() - t0) / 1e6);
      t0 = process.hrtime.bigint();
      variants += planHost(texts[i], 'typescript').regions.length;
      plan[i] = Math.min(plan[i], Number(process.hrtime.bigint() - t0) / 1e6);
      t0 = process.hrtime.bigint();
      analyze({ text: texts[i], path: 'bench.ts', reuse: false });
      full[i] = Math.min(full[i], Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  const sum = (x: number[]) => x.reduce((a, b) => a + b, 0);
  const added = sum(plan) - sum(ext);
  console.log(`${label}: extraction ${sum(ext).toFixed(1)} ms, lint plan ${sum(plan).toFixed(1)} ms (plan/extraction ${(sum(plan) / sum(ext)).toFixed(2)}x); `
    + `whole analysis ${sum(full).toFixed(1)} ms, of which the plan adds ${added.toFixed(1)} ms = ${(100 * added / sum(full)).toFixed(1)}%; ${regions} regions -> ${variants} linted texts`);
}

(async () => {
  // Load the PostgreSQL parser first, so that the analysis is timed as a lint run sees it.
  const { parserReady } = await import('../../src/core/schema/pg');
  for (let i = 0; i < 100 && !parserReady(); i++) {
    analyze({ text: 'SELECT 1', path: 'warm.sql' });
    await new Promise((r) => setTimeout(r, 50));
  }
  if (fs.existsSync(tsReal)) {
    const texts: string[] = [];
    for (const d of fs.readdirSync(tsReal)) {
      const dir = path.join(tsReal, d);
      if (!fs.statSync(dir).isDirectory()) continue;
      for (const f of fs.readdirSync(dir)) if (/\.[cm]?[jt]sx?$/.test(f)) texts.push(fs.readFileSync(path.join(dir, f), 'utf8'));
    }
    planCost(`ts-real corpus TS/JS (${texts.length} files)`, texts, 5);
  }
  planCost(`node_modules JS (${inputs.length} files, almost no SQL)`, inputs.map((f) => f.text), 2);
  const files: Array<{ path: string; text: string }> = [];
  if (fs.existsSync(tsReal)) {
    for (const d of fs.readdirSync(tsReal)) {
      const dir = path.join(tsReal, d);
      if (!fs.statSync(dir).isDirectory()) continue;
      for (const f of fs.readdirSync(dir)) if (/\.[cm]?[jt]sx?$/.test(f)) files.push({ path: `${d}/${f}`, text: fs.readFileSync(path.join(dir, f), 'utf8') });
    }
    await engineAB(`engine A/B, ts-real corpus TS/JS (${files.length} files)`, files, 9);
  }
  await engineAB(`engine A/B, node_modules JS (${inputs.length} files)`, inputs.map((f) => ({ path: f.name, text: f.text })), 3);
})();
