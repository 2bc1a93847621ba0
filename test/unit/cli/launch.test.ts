/**
 * The `dupguard` command (dist/cli.js, src/cli/launch.ts) loads the CLI bundle with the V8 code cache
 * esbuild.js made for it: same findings as the bundle run alone, and a cache made for another build of
 * the bundle is never used (V8 itself would take it when the two texts have the same length).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { bundleStale } from '../../support/bundle';

const root = path.resolve(__dirname, '../../..');
const dist = path.join(root, 'dist');
const example = path.join(root, 'media', 'walkthrough', 'example.sql');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-launch-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A copy of the built CLI (command, bundle, cache, WASM) in a folder of its own. */
function copyOfDist(name: string): string {
  if (bundleStale(path.join(dist, 'cli.js'))) {
    const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  }
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  for (const f of ['cli.js', 'cli-main.js', 'cli-main.cache', 'libpg-query.wasm']) fs.copyFileSync(path.join(dist, f), path.join(dir, f));
  return dir;
}

function lint(script: string): { stdout: string; status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [script, 'lint', '--format', 'json', path.basename(example)], { cwd: path.dirname(example), encoding: 'utf8' });
  return { stdout: r.stdout, status: r.status, stderr: r.stderr };
}

const BUILD_LINE = '// dupguard-build ';

test('the code cache is made for the bundle beside it, and the command lints as the bundle run alone does', () => {
  const dir = copyOfDist('same');
  const bundle = fs.readFileSync(path.join(dir, 'cli-main.js'), 'utf8');
  assert.ok(bundle.startsWith(BUILD_LINE), 'the bundle names its build');
  const id = bundle.slice(BUILD_LINE.length, BUILD_LINE.length + 16);
  assert.match(id, /^[0-9a-f]{16}$/);
  assert.notEqual(id, '0'.repeat(16), 'the build id is stamped');
  const cache = fs.readFileSync(path.join(dir, 'cli-main.cache'));
  assert.equal(cache.toString('latin1', 0, 16), id);
  assert.ok(cache.length > 100_000, `a cache of the compiled functions (${cache.length} bytes)`);
  const launched = lint(path.join(dir, 'cli.js'));
  const alone = lint(path.join(dir, 'cli-main.js'));
  assert.equal(launched.status, 1, launched.stderr);
  assert.equal(launched.stderr, '');
  assert.equal(launched.stdout, alone.stdout);
  assert.equal(launched.status, alone.status);
});

test('a bundle built again (another build id) runs as it is written, not from the cache of the one before', () => {
  const dir = copyOfDist('rebuilt');
  const file = path.join(dir, 'cli-main.js');
  const before = fs.readFileSync(file, 'utf8');
  const was = 'has no primary key or unique constraint';
  const now = 'has NO primary key or unique constraint';
  assert.ok(before.includes(was));
  assert.ok(lint(path.join(dir, 'cli.js')).stdout.includes(was));
  // the same length: V8's own check of a cache (the source's length) cannot tell the two apart
  const edited = before.replaceAll(was, now);
  fs.writeFileSync(file, BUILD_LINE + 'f'.repeat(16) + edited.slice(BUILD_LINE.length + 16));
  const r = lint(path.join(dir, 'cli.js'));
  assert.equal(r.stderr, '');
  assert.ok(r.stdout.includes(now), 'the findings come from the bundle as it is now');
  assert.ok(!r.stdout.includes(was));
});

test('a cache V8 rejects (damaged) leaves the command working, compiling as it goes', () => {
  const dir = copyOfDist('damaged');
  const cacheFile = path.join(dir, 'cli-main.cache');
  const cache = fs.readFileSync(cacheFile);
  cache.fill(7, 16);
  fs.writeFileSync(cacheFile, cache);
  const r = lint(path.join(dir, 'cli.js'));
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, lint(path.join(dir, 'cli-main.js')).stdout);
});

test("Node's own modules a run loads take Node's code cache: stdout and stderr (pipes), and crypto for --cache, are loaded before the CLI changes V8's flags", (t) => {
  const dir = copyOfDist('node-cache');
  const runs: Array<[string, string[]]> = [['cli.js', []], ['cli-main.js', []], ['cli.js', ['--cache', '--cache-location', path.join(dir, 'lint-cache')]]];
  for (const [script, options] of runs) {
    // Node prints, for each of its modules it compiles, whether V8 took its code cache
    const r = spawnSync(process.execPath, [path.join(dir, script), 'lint', '--format', 'json', ...options, path.basename(example)], {
      cwd: path.dirname(example), encoding: 'utf8', env: { ...process.env, NODE_DEBUG_NATIVE: 'CODE_CACHE' },
    });
    assert.equal(r.status, 1, r.stderr);
    const verdicts = r.stderr.split('\n').filter((l) => /^Code cache of \S+ .* is (accepted|rejected)/.test(l));
    if (verdicts.length === 0) {
      t.skip(`this Node (${process.version}) does not report its code cache (NODE_DEBUG_NATIVE=CODE_CACHE)`);
      return;
    }
    assert.deepEqual(verdicts.filter((l) => l.endsWith('is rejected')), [], `${script} ${options.join(' ')}: compiled from source`);
    assert.ok(verdicts.some((l) => /^Code cache of net /.test(l)), `${script}: a pipe's stream was made (net)`);
    if (options.includes('--cache')) assert.ok(verdicts.some((l) => /^Code cache of crypto /.test(l)), '--cache hashes with crypto');
  }
});

test('a `dupguard lint` run keeps its young generation at its start-up size (src/cli/v8Flags.ts); a run of the same lint without its flags grows it', () => {
  const dir = copyOfDist('young-generation');
  const sql = path.join(dir, 'big.sql');
  // statements that survive their first collections: what makes V8 grow the young generation
  fs.writeFileSync(sql, Array.from({ length: 40_000 }, (_, i) => `insert into t${i % 50} (a, b) values (${i}, 'v${i}');\nselect ${i};\n`).join(''));
  const preload = path.join(dir, 'young.js');
  fs.writeFileSync(preload, "process.on('exit', () => process.stderr.write(`young ${require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size}\\n`));\n");
  const young = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--require', preload, ...args, 'lint', '--format', 'json', sql], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const m = /young (\d+)/.exec(r.stderr);
    assert.ok(m, r.stderr);
    return Number(m[1]);
  };
  const withFlags = young([path.join(dir, 'cli.js')]);
  assert.ok(withFlags <= 4 << 20, `the young generation grew to ${withFlags} bytes`);
  // the same CLI source, run without start() setting the flags
  const tsx = require.resolve('tsx');
  const plain = young(['--import', tsx, '-e', `require(${JSON.stringify(path.join(root, 'src/cli/lint.ts'))}).run(process.argv.slice(2), { stdout: () => {}, stderr: (s) => process.stderr.write(s), cwd: process.cwd(), env: {} })`, '--']);
  assert.ok(plain > 4 * withFlags, `without the flags: ${plain} bytes, with them: ${withFlags}`);
});
