/**
 * The editor's two phases (issue 17): right after start-up it publishes what an analysis without the
 * PostgreSQL parser (and with the workspace schema still being built) finds, then, once both are in,
 * the full set. Through the engine API with an injected parser loader held back: every finding of
 * the early analysis that is not `unconfirmed` must be in the final set exactly as it is there (range,
 * severity, message, fixes, related locations), or, for a lexer-certain finding whose words come from
 * what was missing, at the same place with a severity at least as high: nothing published early is
 * later withdrawn or demoted; and the final analysis equals today's one-shot analysis. On the rule fixtures and the real
 * corpora (../shared/corpus, skipped with a note when absent).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { AnalysisCaches, analyze, pgParser, type AnalyzeInput, type ParserLoader } from '../../../src/engine/analyze';
import { buildSchemaFromDdl, ensureParser } from '../../../src/core/schema/ddl';
import type { SchemaModel } from '../../../src/core/schema';
import type { Finding } from '../../../src/core/types';
import { rules } from '../../../src/rules/index';
import type { Rule } from '../../../src/rules/rule';
import { corpusDir } from '../../support/corpus';

const repo = path.resolve(__dirname, '..', '..', '..');

/** A parser whose load is held back until the test lets it go. */
function heldParser(): ParserLoader & { release(): void } {
  let loaded = false;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  return {
    ready: () => loaded,
    load: () => gate.then(() => ensureParser()).then(() => { loaded = true; }),
    release,
  };
}

before(async () => {
  // the real parser is in the process; the held one decides what the early analyses may read
  await ensureParser();
});

const key = (f: Finding) => JSON.stringify(f);

interface Totals { files: number; early: number; confirmed: number; exact: number; refined: number; unconfirmed: number; final: number; }

const RANK: Record<string, number> = { info: 0, warning: 1, error: 2 };
const totalsOf = (): Totals => ({ files: 0, early: 0, confirmed: 0, exact: 0, refined: 0, unconfirmed: 0, final: 0 });

/**
 * Early analysis of `text` with the parser held back (and the schema pending when `schema` is
 * given), final one with both: the early confirmed findings must be final findings, unchanged.
 */
function checkPhases(text: string, file: string, schema: SchemaModel | undefined, totals: Totals): void {
  const parser = heldParser();
  const base: AnalyzeInput = { text, path: file };
  const early = analyze({ ...base, parser, schemaPending: schema !== undefined, caches: new AnalysisCaches() });
  const final = analyze({ ...base, schema, caches: new AnalysisCaches() });
  assert.equal(final.unconfirmed, undefined, `${file}: the analysis with the parser and schema lacks nothing`);
  const finalKeys = new Set(final.findings.map(key));
  const unconfirmed = new Set(early.unconfirmed ?? []);
  for (const f of early.findings) {
    if (unconfirmed.has(f)) continue;
    if (finalKeys.has(key(f))) {
      totals.exact++;
      continue;
    }
    // a lexer-certain finding whose words come from the schema or parse trees: the squiggle stays, refined
    const same = final.findings.find((g) => g.rule === f.rule && g.start === f.start && g.end === f.end);
    assert.ok(same, `${file}: an early finding that is later withdrawn: ${key(f)}`);
    assert.ok(RANK[f.severity] <= RANK[same.severity], `${file}: an early finding promised more than the final one: ${f.severity} then ${same.severity} (${f.rule})`);
    totals.refined++;
  }
  assert.ok((early.unconfirmed ?? []).every((f) => early.findings.includes(f)), `${file}: unconfirmed findings are findings`);
  totals.files++;
  totals.early += early.findings.length;
  totals.confirmed += early.findings.length - unconfirmed.size;
  totals.unconfirmed += unconfirmed.size;
  totals.final += final.findings.length;
}

function filesUnder(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, ext));
    else if (ext.test(e.name)) out.push(p);
  }
  return out.sort();
}

const SOURCE = /\.(sql|ts|tsx|js|jsx|mjs|cjs|prisma)$/;

test('phases: a finding published before the parser is in is never withdrawn or changed after (rule fixtures, fixture workspace)', () => {
  const totals = totalsOf();
  const ws = path.join(repo, 'test', 'fixtures', 'workspace');
  const ddl = filesUnder(ws, /\.sql$/).map((p) => ({ path: p, text: fs.readFileSync(p, 'utf8') }));
  const schema = buildSchemaFromDdl(ddl);
  for (const file of filesUnder(path.join(repo, 'test', 'fixtures'), SOURCE)) {
    const text = fs.readFileSync(file, 'utf8');
    checkPhases(text, file, undefined, totals);
    checkPhases(text, file, schema, totals);
  }
  console.log(`fixtures: ${JSON.stringify(totals)}`);
  assert.ok(totals.files > 20, 'the fixtures were read');
  // the early phase is not empty: findings that need neither parser nor schema are published at once
  assert.ok(totals.confirmed > 0, 'some findings are final before the parser is in');
  assert.ok(totals.final > totals.confirmed, 'some findings wait for the parser or the schema');
});

test('phases: the same on the real corpora, each migration project with its own schema', { timeout: 600_000 }, () => {
  if (!fs.existsSync(corpusDir)) {
    console.log(`note: ${corpusDir} is absent: corpus phases skipped`);
    return;
  }
  const totals = totalsOf();
  const migrations = path.join(corpusDir, 'migrations');
  for (const project of fs.readdirSync(migrations).sort()) {
    const files = filesUnder(path.join(migrations, project), /\.sql$/).map((p) => ({ path: p, text: fs.readFileSync(p, 'utf8') }));
    const schema = buildSchemaFromDdl(files);
    for (const f of files) checkPhases(f.text, f.path, schema, totals);
  }
  for (const file of filesUnder(path.join(corpusDir, 'ts-real'), SOURCE)) {
    checkPhases(fs.readFileSync(file, 'utf8'), file, undefined, totals);
  }
  console.log(`corpus: ${JSON.stringify(totals)}`);
  assert.ok(totals.confirmed > 0 && totals.final > totals.confirmed);
});

test('phases: once the held-back parser is loaded the analysis is complete and equal to the one-shot analysis', async () => {
  const text = `CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t (id, v) VALUES (1, 'a'), (1, 'b') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v;
INSERT INTO t (id, v) VALUES (2, 'c') ON CONFLICT DO NOTHING;
`;
  const parser = heldParser();
  const before = analyze({ text, path: 'a.sql', parser, schemaPending: true, caches: new AnalysisCaches() });
  assert.ok(before.unconfirmed, 'without the parser, the checks that read parse trees are not final');
  let loaded = false;
  const loading = parser.load().then(() => { loaded = true; });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(loaded, false, 'the load waits for the test');
  assert.equal(parser.ready(), false);
  parser.release();
  await loading;
  const schema = buildSchemaFromDdl([{ path: 'a.sql', text }]);
  const after = analyze({ text, path: 'a.sql', parser, schema, caches: new AnalysisCaches() });
  const oneShot = analyze({ text, path: 'a.sql', parser: pgParser, schema, caches: new AnalysisCaches() });
  assert.equal(after.unconfirmed, undefined);
  assert.deepEqual(after.findings, oneShot.findings);
  // the duplicate key in VALUES needs the parse tree: found only after the load
  assert.ok(!before.findings.some((f) => f.rule === 'duplicate-keys-in-values'));
  assert.ok(after.findings.some((f) => f.rule === 'duplicate-keys-in-values'), JSON.stringify(after.findings.map((f) => f.rule)));
  // the targetless DO NOTHING is lexer-certain: at once, then with the words the table's key gives
  const early = before.findings.find((f) => f.rule === 'on-conflict-without-target');
  const late = after.findings.find((f) => f.rule === 'on-conflict-without-target');
  assert.ok(early && late && !before.unconfirmed!.includes(early));
  assert.deepEqual([early.start, early.end], [late.start, late.end]);
  assert.match(early.message, /if t has no unique key/);
  assert.match(late.message, /happens to have one unique key/);
});

test('phases: a timestamped staging table name in TS is final before the parser is in', () => {
  const text = "const t = `staging_${Date.now()}`;\nawait db.query(`CREATE TABLE ${t} (id int)`);\n";
  const before = analyze({ text, path: 'load.ts', parser: heldParser(), schemaPending: true, caches: new AnalysisCaches() });
  const after = analyze({ text, path: 'load.ts', caches: new AnalysisCaches() });
  const f = before.findings.find((x) => x.rule === 'timestamp-staging-table-name');
  assert.ok(f, JSON.stringify(before.findings));
  assert.ok(!(before.unconfirmed ?? []).includes(f));
  assert.ok(after.findings.some((g) => key(g) === key(f)));
});

test('phases: a finding whose check read a missing parse tree is unconfirmed, and one that read nothing missing is final', () => {
  // a probe rule: flags every INSERT, and "no parse tree" where the grammar gives none
  const probe: Rule = {
    id: 'probe', severity: 'error', description: 'probe', docs: 'https://example.invalid/probe', reads: [], kinds: ['insert'],
    statement(stmt, ctx) {
      ctx.report({ start: stmt.start, end: stmt.start + 6, message: 'an insert' });
      if (!ctx.ast(stmt)) ctx.report({ start: stmt.start, end: stmt.start + 6, message: 'no parse tree', severity: 'error' });
    },
  };
  const plain: Rule = {
    id: 'plain', severity: 'error', description: 'plain', docs: 'https://example.invalid/plain', reads: [], kinds: ['insert'],
    statement(stmt, ctx) {
      ctx.report({ start: stmt.start, end: stmt.start + 6, message: 'an insert' });
    },
  };
  const text = 'INSERT INTO t VALUES (1);\n';
  const early = analyze({ text, rules: [probe, plain], parser: heldParser(), caches: new AnalysisCaches() });
  const final = analyze({ text, rules: [probe, plain], caches: new AnalysisCaches() });
  assert.deepEqual(early.findings.map((f) => `${f.rule}: ${f.message}`), ['plain: an insert', 'probe: an insert', 'probe: no parse tree']);
  // the probe's check asked for the parse tree: both its findings wait (one of them goes)
  assert.deepEqual(early.unconfirmed!.map((f) => `${f.rule}: ${f.message}`), ['probe: an insert', 'probe: no parse tree']);
  assert.deepEqual(final.findings.map((f) => `${f.rule}: ${f.message}`), ['plain: an insert', 'probe: an insert']);
  assert.equal(final.unconfirmed, undefined);
  // a pending schema read makes a check's findings wait the same way
  const reader: Rule = { ...plain, id: 'reader', statement(stmt, ctx) { if (!ctx.schema) ctx.report({ start: stmt.start, end: stmt.start + 6, message: 'no schema' }); } };
  const pending = analyze({ text, rules: [reader, plain], schemaPending: true, caches: new AnalysisCaches() });
  assert.deepEqual(pending.unconfirmed!.map((f) => `${f.rule}: ${f.message}`), ['reader: no schema']);
  // a bare dupguard-ignore that silenced nothing may yet silence a finding of a check that lacked something
  const ignored = analyze({ text: `-- dupguard-ignore probe\n${text}`, rules: [probe, ...rules.filter((r) => r.id === 'unused-suppression')], parser: heldParser(), caches: new AnalysisCaches() });
  assert.ok(ignored.unconfirmed!.length === 0 || ignored.unconfirmed!.every((f) => ignored.findings.includes(f)));
});
