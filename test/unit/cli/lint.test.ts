import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import type { CliIO } from '../../../src/cli/io';
import { defaultDeps, run, type LintDeps } from '../../../src/cli/lint';
import { escapeData, escapeProperty } from '../../../src/cli/format/github';
import { stripSnippet } from '../../../src/core/fixes';
import { LineIndex } from '../../../src/core/positions';
import type { AnalyzeInput, AnalyzeResult } from '../../../src/engine/analyze';
import type { Finding } from '../../../src/core/types';
import { rules } from '../../../src/rules/index';
import { bundleStale } from '../../support/bundle';

const root = path.resolve(__dirname, '../../..');
const fixtures = path.join(root, 'test/fixtures/cli');
const clean = path.join(fixtures, 'clean');
/**
 * A copy of fixtures/cli/basic whose config turns off every rule but on-conflict-without-target, so
 * that the exact outputs below do not change each time a rule is added.
 */
let basic = '';
before(() => {
  basic = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-basic-'));
  fs.cpSync(path.join(fixtures, 'basic'), basic, { recursive: true });
  const configPath = path.join(basic, '.dupguard.json');
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  config.rules = Object.fromEntries(rules.filter((r) => r.id !== 'on-conflict-without-target').map((r) => [r.id, 'off']));
  fs.writeFileSync(configPath, JSON.stringify(config));
});

interface Ran { code: number; stdout: string; stderr: string }

async function lint(args: string[], cwd: string, deps?: LintDeps): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, cwd, env: {} };
  const code = deps ? await run(args, io, deps) : await main(['lint', ...args], io);
  return { code, stdout, stderr };
}

function tmp(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-lint-'));
  // Stops the upward config search at the temporary folder.
  if (!('.dupguard.json' in files)) fs.writeFileSync(path.join(dir, '.dupguard.json'), '{}');
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** A fake analyzer: the findings `make` returns for each file's text. */
function fake(make: (input: AnalyzeInput) => Finding[], seen: AnalyzeInput[] = []): LintDeps {
  return {
    ...defaultDeps,
    analyze: (input: AnalyzeInput): AnalyzeResult => {
      seen.push(input);
      return { findings: make(input) };
    },
  };
}

const at = (text: string, needle: string) => text.indexOf(needle);
const finding = (rule: string, severity: Finding['severity'], message: string, start: number, end: number, fixes: Finding['fixes'] = []): Finding =>
  ({ rule, severity, message, start, end, fixes });

test('text: one line per finding, grouped by file, related locations, then the summary (real rules, schema from the migrations)', async () => {
  const r = await lint([], basic);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^migrations\/002_seed\.sql:1:50  error  ON CONFLICT DO NOTHING never fires: public\.items has no primary key .*  on-conflict-without-target$/);
  assert.match(lines[1], /^ +migrations\/001_items\.sql:2:1: public\.items is created here$/);
  assert.equal(lines[2], '');
  assert.match(lines[3], /^src\/repo\.ts:6:70  warning  ON CONFLICT DO NOTHING names no conflict target.*  on-conflict-without-target$/);
  assert.equal(lines[4], '');
  assert.equal(lines[5], '2 problems (1 error, 1 warning, 0 infos) in 4 files.');
  assert.equal(lines.length, 7);
  assert.doesNotMatch(r.stdout, /legacy/, 'the config excludes legacy/');
});

test('json: the exact contract; every range covers the offending clause in its file', async () => {
  const r = await lint(['--format', 'json'], basic);
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(report), ['version', 'files', 'summary']);
  assert.equal(report.version, 1);
  assert.deepEqual(report.summary, { files: 4, findings: 2, errors: 1, warnings: 1, infos: 0 });
  assert.deepEqual(report.files.map((f: { path: string }) => f.path), ['migrations/001_items.sql', 'migrations/002_seed.sql', 'src/clean.ts', 'src/repo.ts']);
  let n = 0;
  const related: string[] = [];
  for (const file of report.files) {
    assert.deepEqual(Object.keys(file), ['path', 'findings']);
    const text = fs.readFileSync(path.join(basic, file.path), 'utf8');
    const index = new LineIndex(text);
    for (const f of file.findings) {
      n++;
      // `related` (version 1, additive): only on findings with related locations, each a place in a file
      assert.deepEqual(Object.keys(f), ['rule', 'severity', 'message', 'line', 'column', 'endLine', 'endColumn', 'fixes', ...(f.related ? ['related'] : [])]);
      for (const r of f.related ?? []) {
        assert.deepEqual(Object.keys(r), ['message', 'path', 'line', 'column', 'endLine', 'endColumn']);
        related.push(`${r.path}:${r.line}:${r.column}-${r.endLine}:${r.endColumn} ${r.message}`);
      }
      assert.ok(['error', 'warning', 'info'].includes(f.severity));
      assert.equal(text.slice(index.offset(f.line, f.column), index.offset(f.endLine, f.endColumn)), 'ON CONFLICT DO NOTHING');
      assert.ok(f.fixes.length > 0);
      for (const fix of f.fixes) {
        assert.deepEqual(Object.keys(fix), ['title', 'edits']);
        for (const e of fix.edits) assert.deepEqual(Object.keys(e), ['line', 'column', 'endLine', 'endColumn', 'newText']);
      }
    }
  }
  assert.equal(n, 2);
  // the text format shows where the table is created; so does the JSON report
  assert.ok(related.some((r) => /^migrations\/001_items\.sql:\d+:\d+-\d+:\d+ .* is created here$/.test(r)), related.join('\n'));
});

test('columns count UTF-16 code units (an emoji is two), lines are 1-based, CRLF ends a line', async () => {
  const text = "-- first\r\nSELECT '😀', bad_thing;\n";
  const dir = tmp({ 'q.sql': text });
  const start = text.indexOf('bad_thing');
  const r = await lint(['--format', 'json'], dir, fake(() => [finding('x', 'error', 'm', start, start + 9)]));
  const f = JSON.parse(r.stdout).files[0].findings[0];
  assert.deepEqual([f.line, f.column, f.endLine, f.endColumn], [2, 14, 2, 23]);
});

test('sarif: valid SARIF 2.1.0 structure as GitHub code scanning reads it', async () => {
  const r = await lint(['--format=sarif'], basic);
  assert.equal(r.code, 1);
  const log = JSON.parse(r.stdout);
  validateSarif(log);
  const run0 = log.runs[0];
  assert.equal(run0.tool.driver.name, 'dupguard');
  const ids = run0.tool.driver.rules.map((x: { id: string }) => x.id);
  assert.ok(ids.includes('on-conflict-without-target') && ids.includes('copy-without-resume-strategy'));
  for (const rule of run0.tool.driver.rules) assert.match(rule.helpUri, /^https:\/\/.+\/docs\/rules\/[a-z-]+\.md$/);
  assert.equal(run0.results.length, 2);
  const [first, second] = run0.results;
  assert.equal(first.ruleId, 'on-conflict-without-target');
  assert.equal(run0.tool.driver.rules[first.ruleIndex].id, first.ruleId);
  assert.equal(first.level, 'error');
  assert.equal(second.level, 'warning');
  assert.deepEqual(first.locations[0].physicalLocation, {
    artifactLocation: { uri: 'migrations/002_seed.sql', uriBaseId: '%SRCROOT%' },
    region: { startLine: 1, startColumn: 50, endLine: 1, endColumn: 72 },
  });
  assert.equal(first.relatedLocations[0].physicalLocation.artifactLocation.uri, 'migrations/001_items.sql');
  assert.equal(run0.originalUriBaseIds['%SRCROOT%'].uri, `file://${basic}/`);
  assert.ok(first.fixes[0].artifactChanges[0].replacements[0].insertedContent.text.length > 0);
});

test('sarif: paths with spaces and # are URI-encoded; info becomes note', async () => {
  const dir = tmp({ 'my dir/a#1.sql': 'x' });
  const r = await lint(['--format', 'sarif'], dir, fake(() => [finding('unused-suppression', 'info', 'm', 0, 1)]));
  const log = JSON.parse(r.stdout);
  validateSarif(log);
  assert.equal(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri, 'my%20dir/a%231.sql');
  assert.equal(log.runs[0].results[0].level, 'note');
  assert.equal(r.code, 0);
});

test('github: workflow annotations with the rule as title; data and properties escaped', async () => {
  const r = await lint(['--format', 'github'], basic);
  assert.equal(r.code, 1);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^::error file=migrations\/002_seed\.sql,line=1,col=50,endLine=1,endColumn=72,title=on-conflict-without-target::ON CONFLICT DO NOTHING never fires/);
  assert.match(lines[1], /^::warning file=src\/repo\.ts,line=6,col=70,endLine=6,endColumn=92,title=on-conflict-without-target::/);
  assert.equal(lines[2], '2 problems (1 error, 1 warning, 0 infos) in 4 files.');

  const dir = tmp({ 'we,ird:name.sql': 'x' });
  const g = await lint(['--format', 'github'], dir, fake(() => [finding('a:b,c', 'info', '100% sure:\r\nline two, really', 0, 1)]));
  assert.equal(g.stdout.split('\n')[0], '::notice file=we%2Cird%3Aname.sql,line=1,col=1,endLine=1,endColumn=2,title=a%3Ab%2Cc::100% sure:%0D%0Aline two, really'.replace('100%', '100%25'));
  assert.equal(escapeData('a%b\nc:d,e'), 'a%25b%0Ac:d,e');
  assert.equal(escapeProperty('a%b\nc:d,e'), 'a%25b%0Ac%3Ad%2Ce');
});

test('exit 0 on a clean tree (and on warnings only); 1 on errors; config can raise a rule to error', async () => {
  const ok = await lint([], clean);
  assert.deepEqual(ok, { code: 0, stdout: 'No problems in 1 file.\n', stderr: '' });
  const warnOnly = await lint(['src/repo.ts'], basic);
  assert.equal(warnOnly.code, 0);
  assert.match(warnOnly.stdout, /1 problem \(0 errors, 1 warning, 0 infos\) in 1 file\./);
  const dir = tmp({ '.dupguard.json': '{"rules":{"on-conflict-without-target":"error"}}', 'a.sql': 'INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING;\n' });
  const raised = await lint([], dir);
  assert.equal(raised.code, 1);
  assert.match(raised.stdout, /^a\.sql:1:30  error  .*on-conflict-without-target$/m);
  const off = await lint(['--config', path.join(basic, '.dupguard.json'), 'a.sql'], dir);
  assert.equal(off.code, 0);
});

test('exit 2 with a clear message: bad path, unmatched glob, unknown option, bad format, unreadable or invalid config', async () => {
  const cases: Array<[string[], string, RegExp]> = [
    [['nope.sql'], basic, /^dupguard lint: nope\.sql: no such file or directory\n$/],
    [['db/**/*.sql'], basic, /^dupguard lint: no files match 'db\/\*\*\/\*\.sql'\n$/],
    [['--fromat', 'json'], basic, /^dupguard lint: unknown option '--fromat' \(did you mean '--format'\?\).*\nRun 'dupguard lint --help' for the options\.\n$/],
    [['--format', 'xml'], basic, /^dupguard lint: option '--format' must be one of text, json, sarif, github \(got 'xml'\)/],
    [['--max-warnings', '1.5'], basic, /needs a whole number/],
    [['--config', 'missing.json'], basic, /^dupguard lint: missing\.json: cannot read config file \(no such file\)\n$/],
  ];
  for (const [args, cwd, re] of cases) {
    const r = await lint(args, cwd);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
  }
  const bad = tmp({ '.dupguard.json': '{\n  "rules": {\n    "on-conflict-without-target": "error",\n  }\n}\n', 'a.sql': '' });
  const r = await lint([], bad);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^dupguard lint: \.dupguard\.json:4:3: invalid JSON: /);
  const wrong = tmp({ '.dupguard.json': '{"rules":{"on-conflict-without-target":"fatal"}}', 'a.sql': '' });
  assert.match((await lint([], wrong)).stderr, /"rules"\."on-conflict-without-target" must be "error", "warning", "info" or "off" \(got "fatal"\)/);
});

test('nothing to lint: exit 0, an empty report, and a warning on stderr', async () => {
  const dir = tmp({ 'docs/readme.md': '# hi' });
  const r = await lint(['--format', 'json', 'docs'], dir);
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.stdout), { version: 1, files: [], summary: { files: 0, findings: 0, errors: 0, warnings: 0, infos: 0 } });
  assert.equal(r.stderr, "dupguard lint: warning: no .sql or TS/JS files to lint in 'docs'\n");
});

test('--help prints usage with every option and exits 0', async () => {
  const r = await lint(['--help'], basic);
  assert.equal(r.code, 0);
  for (const flag of ['--format', '--config', '--max-warnings', '--quiet', '--no-schema']) assert.ok(r.stdout.includes(flag), flag);
});

test('--quiet reports errors only; --max-warnings counts warnings even when quiet', async () => {
  const q = await lint(['--quiet', '--format', 'json'], basic);
  const report = JSON.parse(q.stdout);
  assert.deepEqual(report.summary, { files: 4, findings: 1, errors: 1, warnings: 0, infos: 0 });
  const w = await lint(['src/repo.ts', '--max-warnings', '0', '--quiet'], basic);
  assert.equal(w.code, 1);
  assert.equal(w.stdout, 'No problems in 1 file.\n');
  assert.equal(w.stderr, 'dupguard lint: 1 warning, more than --max-warnings 0\n');
  assert.equal((await lint(['src/repo.ts', '--max-warnings', '1'], basic)).code, 0);
});

test('the analyzer gets relative paths, languages, config and the schema built from the linted SQL files in name order', async () => {
  const seen: AnalyzeInput[] = [];
  let ddl: string[] = [];
  let keys: unknown;
  const deps: LintDeps = {
    ...fake(() => [], seen),
    loadSchemas: async (files, options) => {
      ddl = files.map((f) => f.path);
      keys = options.naturalKeys;
      const model = { lookup: () => undefined, tables: () => [] };
      return { forFile: () => model };
    },
  };
  const dir = tmp({
    '.dupguard.json': JSON.stringify({ naturalKeys: { 'public.t': ['a'] }, embedded: { tags: ['q'] }, rules: { x: 'off' } }),
    'db/010_b.sql': '', 'db/002_a.sql': '', 'app/x.tsx': '', 'app/y.mjs': '',
  });
  const r = await lint([], dir, deps);
  assert.equal(r.code, 0);
  assert.deepEqual(ddl, ['db/002_a.sql', 'db/010_b.sql']);
  assert.deepEqual(keys, { 'public.t': ['a'] });
  assert.deepEqual(seen.map((s) => [s.path, s.language]), [['app/x.tsx', 'typescriptreact'], ['app/y.mjs', 'javascript'], ['db/002_a.sql', 'sql'], ['db/010_b.sql', 'sql']]);
  assert.ok(seen.every((s) => s.schema !== undefined));
  assert.deepEqual(seen[0].config, { rules: { x: 'off' }, naturalKeys: { 'public.t': ['a'] }, embedded: { tags: ['q'] } });
  await lint(['--no-schema'], dir, deps);
  assert.equal(seen[seen.length - 1].schema, undefined);
});

test('config include globs are the default paths', async () => {
  const dir = tmp({ '.dupguard.json': '{"include":["db/**/*.sql"]}', 'db/a.sql': '', 'src/b.ts': '' });
  const r = await lint(['--format', 'json'], path.join(dir, 'db'));
  assert.deepEqual(JSON.parse(r.stdout).files.map((f: { path: string }) => f.path), ['a.sql']);
  const all = await lint(['--format', 'json', '..'], path.join(dir, 'db'));
  assert.deepEqual(JSON.parse(all.stdout).files.map((f: { path: string }) => f.path), ['a.sql', '../src/b.ts']);
});

test('snippet fixes lose their placeholders in plain edits', () => {
  assert.equal(stripSnippet('ON CONFLICT (${1:key}) DO NOTHING$0'), 'ON CONFLICT (key) DO NOTHING');
  assert.equal(stripSnippet('${1:a ${2:b}} \\$x ${3}'), 'a b $x ');
});

test('the built bundle (node dist/cli.js) lints with the real rules and the WASM parser, same output as in process', async (t) => {
  const cli = path.join(root, 'dist/cli.js');
  // `npm test` builds first; rebuilding then would race other test files that run the bundle.
  if (bundleStale(cli)) {
    const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  }
  assert.ok(fs.existsSync(path.join(root, 'dist/libpg-query.wasm')), 'the WASM parser ships next to the bundle');
  const r = spawnSync(process.execPath, [cli, 'lint', '--format', 'json'], { cwd: basic, encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.status, 1);
  const inProcess = await lint(['--format', 'json'], basic);
  assert.equal(r.stdout, inProcess.stdout);
  const usage = spawnSync(process.execPath, [cli, 'lint', 'nope'], { cwd: basic, encoding: 'utf8' });
  assert.equal(usage.status, 2);
  assert.equal(usage.stderr, 'dupguard lint: nope: no such file or directory\n');
  t.diagnostic(`bundle: ${(fs.statSync(cli).size / 1e6).toFixed(1)} MB`);
});

/** The parts of the SARIF 2.1.0 schema a consumer relies on: required properties, enums, no unknown properties. */
function validateSarif(log: Record<string, any>): void {
  const only = (o: Record<string, unknown>, allowed: string[], what: string) => {
    for (const k of Object.keys(o)) assert.ok(allowed.includes(k), `${what}: property '${k}' is not in the SARIF 2.1.0 schema`);
  };
  const message = (m: any, what: string) => {
    assert.equal(typeof m?.text, 'string', `${what}.text`);
    only(m, ['text', 'markdown', 'id', 'arguments'], what);
  };
  const region = (r: any, what: string) => {
    only(r, ['startLine', 'startColumn', 'endLine', 'endColumn', 'charOffset', 'charLength', 'byteOffset', 'byteLength', 'snippet', 'message', 'sourceLanguage'], what);
    assert.ok(Number.isInteger(r.startLine) && r.startLine >= 1, `${what}.startLine`);
    assert.ok(Number.isInteger(r.startColumn) && r.startColumn >= 1, `${what}.startColumn`);
    assert.ok(Number.isInteger(r.endLine) && r.endLine >= r.startLine, `${what}.endLine`);
    assert.ok(Number.isInteger(r.endColumn) && r.endColumn >= 1, `${what}.endColumn`);
    if (r.endLine === r.startLine) assert.ok(r.endColumn >= r.startColumn, `${what}: endColumn before startColumn`);
  };
  const artifactLocation = (a: any, what: string) => {
    only(a, ['uri', 'uriBaseId', 'index', 'description', 'properties'], what);
    assert.equal(typeof a.uri, 'string');
    assert.doesNotThrow(() => new URL(a.uri, 'file:///base/'), `${what}.uri is a URI reference`);
    assert.doesNotMatch(a.uri, /[ \\#?]/, `${what}.uri is encoded`);
  };
  const physicalLocation = (p: any, what: string) => {
    only(p, ['address', 'artifactLocation', 'region', 'contextRegion', 'properties'], what);
    assert.ok(p.artifactLocation || p.address, `${what} needs artifactLocation or address`);
    artifactLocation(p.artifactLocation, `${what}.artifactLocation`);
    region(p.region, `${what}.region`);
  };
  only(log, ['$schema', 'version', 'runs', 'inlineExternalProperties', 'properties'], 'sarifLog');
  assert.equal(log.version, '2.1.0');
  assert.equal(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
  assert.ok(Array.isArray(log.runs) && log.runs.length === 1);
  const run0 = log.runs[0];
  only(run0, ['tool', 'results', 'artifacts', 'originalUriBaseIds', 'columnKind', 'invocations', 'properties'], 'run');
  assert.ok(['utf16CodeUnits', 'unicodeCodePoints'].includes(run0.columnKind));
  const driver = run0.tool?.driver;
  only(run0.tool, ['driver', 'extensions', 'properties'], 'tool');
  assert.equal(typeof driver?.name, 'string');
  only(driver, ['name', 'version', 'semanticVersion', 'informationUri', 'rules', 'fullName', 'organization', 'properties'], 'driver');
  assert.match(driver.informationUri, /^https:\/\//);
  const ruleIds = new Set<string>();
  for (const [i, rule] of driver.rules.entries()) {
    only(rule, ['id', 'name', 'shortDescription', 'fullDescription', 'help', 'helpUri', 'defaultConfiguration', 'properties'], `rules[${i}]`);
    assert.equal(typeof rule.id, 'string');
    assert.ok(!ruleIds.has(rule.id), `rule ${rule.id} listed once`);
    ruleIds.add(rule.id);
    message(rule.shortDescription, `rules[${i}].shortDescription`);
    message(rule.fullDescription, `rules[${i}].fullDescription`);
    message(rule.help, `rules[${i}].help`);
    assert.ok(['none', 'note', 'warning', 'error'].includes(rule.defaultConfiguration.level));
  }
  for (const [uriBase, v] of Object.entries<any>(run0.originalUriBaseIds ?? {})) {
    assert.match(v.uri, /^file:\/\/\/.*\/$/, `${uriBase} is an absolute file URI ending in /`);
  }
  for (const a of run0.artifacts ?? []) artifactLocation(a.location, 'artifact.location');
  assert.ok(Array.isArray(run0.results));
  for (const [i, r] of run0.results.entries()) {
    const what = `results[${i}]`;
    only(r, ['ruleId', 'ruleIndex', 'level', 'message', 'locations', 'relatedLocations', 'fixes', 'partialFingerprints', 'properties'], what);
    assert.ok(ruleIds.has(r.ruleId), `${what}.ruleId is a listed rule`);
    assert.equal(driver.rules[r.ruleIndex].id, r.ruleId);
    assert.ok(['none', 'note', 'warning', 'error'].includes(r.level), `${what}.level`);
    message(r.message, `${what}.message`);
    assert.equal(r.locations.length, 1);
    only(r.locations[0], ['id', 'physicalLocation', 'message', 'logicalLocations', 'properties'], `${what}.locations[0]`);
    physicalLocation(r.locations[0].physicalLocation, `${what}.locations[0].physicalLocation`);
    for (const rel of r.relatedLocations ?? []) {
      only(rel, ['id', 'physicalLocation', 'message', 'properties'], `${what}.relatedLocations`);
      assert.ok(Number.isInteger(rel.id) && rel.id >= 0);
      message(rel.message, `${what}.relatedLocations.message`);
      physicalLocation(rel.physicalLocation, `${what}.relatedLocations.physicalLocation`);
    }
    for (const fix of r.fixes ?? []) {
      only(fix, ['description', 'artifactChanges', 'properties'], `${what}.fixes`);
      message(fix.description, `${what}.fixes.description`);
      assert.ok(fix.artifactChanges.length >= 1);
      for (const ch of fix.artifactChanges) {
        only(ch, ['artifactLocation', 'replacements', 'properties'], `${what}.artifactChange`);
        artifactLocation(ch.artifactLocation, `${what}.artifactChange.artifactLocation`);
        assert.ok(ch.replacements.length >= 1);
        for (const rep of ch.replacements) {
          only(rep, ['deletedRegion', 'insertedContent', 'properties'], `${what}.replacement`);
          region(rep.deletedRegion, `${what}.replacement.deletedRegion`);
          if (rep.insertedContent) only(rep.insertedContent, ['text', 'binary', 'rendered', 'properties'], `${what}.insertedContent`);
        }
      }
    }
  }
}

test('a TS-only project (no .sql file, no schema) gets the checks that read parse trees: the parser loads in every run', (t) => {
  const cli = path.join(root, 'dist/cli.js');
  if (bundleStale(cli)) {
    const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  }
  const dir = tmp({ 'src/users.ts': fs.readFileSync(path.join(root, 'test/fixtures/race/users.ts'), 'utf8') });
  // a fresh process: nothing else has loaded the grammar in it (in this test file, other tests do)
  for (const extra of [[], ['--no-schema']]) {
    const r = spawnSync(process.execPath, [cli, 'lint', 'src', '--format', 'json', ...extra], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.stderr, '');
    const rules = JSON.parse(r.stdout).files.flatMap((f: { findings: Array<{ rule: string; line: number }> }) => f.findings.map((x) => `${x.rule}:${x.line}`));
    assert.deepEqual(rules, ['check-then-insert-race:7'], `lint src ${extra.join(' ')}`);
  }
  t.diagnostic('check-then-insert-race found in a TS-only folder, with and without --no-schema');
});

test('a parser that fails to load: a warning, and the lint goes on with the checks that need none', async () => {
  const dir = tmp({ 'a.sql': 'INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING;\n' });
  const r = await lint(['a.sql', '--no-schema'], dir, { ...defaultDeps, loadParser: async () => { throw new Error('no WASM here'); } });
  assert.equal(r.stderr, 'dupguard lint: warning: the SQL parser did not load (no WASM here); checks that read parse trees are off\n');
  assert.match(r.stdout, /on-conflict-without-target/);
  assert.equal(r.code, 0);
});

test('a .dupguard.json nearer to a file applies to it: one folder of the project turns a rule off', async () => {
  const bad = 'INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING;\n';
  const dir = tmp({ 'a.sql': bad, 'legacy/.dupguard.json': '{ "rules": { "on-conflict-without-target": "off" } }', 'legacy/b.sql': bad });
  try {
    const r = await lint(['--format', 'json', '.'], dir);
    const out = JSON.parse(r.stdout) as { files: Array<{ path: string; findings: unknown[] }> };
    assert.deepEqual(out.files.map((f) => [f.path, f.findings.length]), [['a.sql', 1], ['legacy/b.sql', 0]]);
    // --config names the one config for every file
    const all = JSON.parse((await lint(['--format', 'json', '--config', '.dupguard.json', '.'], dir)).stdout) as typeof out;
    assert.deepEqual(all.files.map((f) => [f.path, f.findings.length]), [['a.sql', 1], ['legacy/b.sql', 1]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('lint: ORM schema files feed the schema (a Drizzle table in TS, a Prisma schema met while walking) and the Prisma schema is linted for its keys; --no-schema leaves the ORM tables unknown', async () => {
  const dir = tmp({
    'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n\nmodel Price {\n  id        String  @id @default(cuid())\n  projectId String?\n  modelName String\n  @@unique([projectId, modelName])\n}\n',
    'src/db/schema.ts': "import { pgTable, text, uuid, unique } from 'drizzle-orm/pg-core';\nexport const tag = pgTable('tag', {\n  id: uuid('id').primaryKey().defaultRandom(),\n  name: text('name').notNull(),\n}, (t) => [unique('tag_name').on(t.name)]);\n",
    'src/app.ts': "import { db } from './db';\nimport { tag } from './db/schema';\nexport async function add(names: string[]) {\n  await db.insert(tag).values(names.map((name) => ({ name }))).onConflictDoNothing();\n}\n",
  });
  const r = await lint(['--format', 'json', '.'], dir);
  const report = JSON.parse(r.stdout) as { files: Array<{ path: string; findings: Array<{ rule: string; line: number; message: string; fixes?: unknown }> }> };
  const byFile = new Map(report.files.map((f) => [f.path.split(path.sep).join('/'), f.findings]));
  assert.deepEqual(byFile.get('prisma/schema.prisma')?.map((f) => [f.rule, f.line]), [['unique-key-allows-null-duplicates', 10]]);
  const app = byFile.get('src/app.ts') ?? [];
  assert.deepEqual(app.map((f) => f.rule), ['on-conflict-without-target']);
  assert.match(app[0].message, /unique constraint tag_name \(name\)/);
  const bare = JSON.parse((await lint(['--format', 'json', '--no-schema', '.'], dir)).stdout) as typeof report;
  const appBare = bare.files.find((f) => f.path.split(path.sep).join('/') === 'src/app.ts')!.findings;
  assert.doesNotMatch(appBare[0].message, /tag_name/);
});
