/**
 * dist/cli.js, the `dupguard` command: loads the CLI bundle (dist/cli-main.js, src/cli/main.ts) with
 * V8's code cache for it (dist/cli-main.cache, made by esbuild.js from one lint of an example), so
 * that a `dupguard lint` run does not compile the 1.1 MB bundle and the functions a lint calls again: a third of
 * the CPU of a small file's lint (bench:cli). The cache holds the build id the bundle's first line
 * names (esbuild.js writes both): a cache of another build is not used, and V8 itself rejects one
 * made by another V8 or with other flags, and compiles as require() would. No cache (a watch
 * build): the bundle is required as usual.
 */
import * as fs from 'node:fs';
import { createRequire, wrap } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { setCliV8Flags } from './v8Flags';

/** The bundle's first line, as esbuild.js writes it (BUILD_LINE there): this prefix, then the build id (16 hex digits). */
const BUILD_LINE = '// dupguard-build ';
const BUILD_ID_LENGTH = 16;

const bundle = path.join(__dirname, 'cli-main.js');
const cacheFile = path.join(__dirname, 'cli-main.cache');
/** Set by esbuild.js only: where to write the code cache when this run ends. */
const writeTo = process.env.DUPGUARD_WRITE_CODE_CACHE;

/** The build id the bundle's first line names (empty when it names none). */
function buildId(source: string): string {
  return source.startsWith(BUILD_LINE) ? source.slice(BUILD_LINE.length, BUILD_LINE.length + BUILD_ID_LENGTH) : '';
}

/** The cache's V8 data when it was made for this very bundle text, else undefined. */
function cacheFor(source: string): Buffer | undefined {
  const id = buildId(source);
  if (!id) return undefined;
  let data: Buffer;
  try {
    data = fs.readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  return data.toString('latin1', 0, BUILD_ID_LENGTH) === id ? data.subarray(BUILD_ID_LENGTH) : undefined;
}

function launch(): void {
  let source: string | undefined;
  let cachedData: Buffer | undefined;
  // `lint` only: its start-up is what a cache saves in CI and hooks, and V8 loses the dynamic-import
  // hook of a script read from a cache (Node 20), which `demo` needs for the embedded PostgreSQL
  if (process.argv[2] === 'lint' && (writeTo || fs.existsSync(cacheFile))) {
    source = fs.readFileSync(bundle, 'utf8');
    cachedData = cacheFor(source);
  }
  if (source === undefined || (cachedData === undefined && !writeTo)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(bundle) as typeof import('./main')).start();
    return;
  }
  // V8 takes a code cache only under the flags it was made with: the ones start() sets, set first.
  // Node's own modules loaded after that do not take Node's code cache of them either (made under the
  // default flags) and are compiled from source: stdout and stderr, which every run writes, are made
  // first (a pipe's: `net` and what it loads, 6% of a small file's lint).
  void process.stdout;
  void process.stderr;
  // and those the options will load: --cache's hashes (crypto: 7% of a small file's run), --changed's git
  const args = process.argv.slice(3);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (args.includes('--cache')) require('node:crypto');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (args.some((a) => a === '--changed' || a.startsWith('--changed='))) require('node:child_process');
  setCliV8Flags();
  const script = new vm.Script(wrap(source), { filename: bundle, cachedData });
  const mod = { exports: {} as typeof import('./main') };
  (script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, __dirname);
  if (writeTo) {
    const id = buildId(source);
    process.on('exit', () => fs.writeFileSync(writeTo, Buffer.concat([Buffer.from(id, 'latin1'), script.createCachedData()])));
  }
  mod.exports.start();
}

launch();
