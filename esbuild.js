// Bundles one program per entry: the CLI, the extension host code, the webview script, and the
// ESLint plugin (dist/eslint-plugin-dupguard/, laid out as the npm package `npm run package` packs).
// Type checking is separate (`npm run typecheck`); esbuild only strips types.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Prints errors in the `file:line:col: message` form VS Code's esbuild problem matcher reads. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => { if (watch) console.log('[watch] build started'); });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (watch) console.log('[watch] build finished');
    });
  },
};

/** libpg-query loads its WASM from beside the bundle, so ship it there (with the initial memory below). */
function copyWasm() {
  fs.mkdirSync('dist', { recursive: true });
  const wasm = fs.readFileSync(require.resolve('libpg-query/wasm/libpg-query.wasm'));
  let shipped = wasm;
  try {
    shipped = withSmallerInitialMemory(wasm);
  } catch (e) {
    console.error(`esbuild.js: the WASM's initial memory is left as it is (${e.message})`);
  }
  fs.writeFileSync(path.join('dist', 'libpg-query.wasm'), shipped);
}

const WASM_PAGE = 64 * 1024;
const MIB = 1024 * 1024;

/**
 * libpg-query's WASM declares 128 MiB of memory at start (its data and 32 MiB stack end at 33 MiB).
 * V8 counts a WebAssembly memory as external memory, and more than 64 MiB of it starts a full
 * garbage collection while the program starts: a fifth of the instructions of a small file's lint.
 * The shipped copy starts with what its data and stack take plus 8 MiB for the heap, rounded up to
 * 16 MiB (48 MiB today); the memory still grows to the same maximum (1 GiB) when a parse needs more.
 * Returns a new buffer (the input when it already starts as small); throws on a module it cannot read.
 */
function withSmallerInitialMemory(wasm) {
  const out = Buffer.from(wasm);
  const leb = (at) => {
    let value = 0;
    let shift = 0;
    for (let i = at; ; i++) {
      if (i >= out.length || shift > 28) throw new Error('bad LEB128');
      value += (out[i] & 0x7f) * 2 ** shift;
      shift += 7;
      if (out[i] < 0x80) return { value, end: i + 1 };
    }
  };
  if (out.readUInt32LE(0) !== 0x6d736100 || out.readUInt32LE(4) !== 1) throw new Error('not a WebAssembly module');
  let memoryMin;
  let used = 0;
  for (let at = 8; at < out.length;) {
    const id = out[at];
    const size = leb(at + 1);
    const body = size.end;
    if (id === 5) {
      const count = leb(body);
      if (count.value !== 1) throw new Error(`${count.value} memories`);
      const flags = out[count.end];
      if (flags & ~1) throw new Error('a shared or 64-bit memory');
      memoryMin = { at: count.end + 1, ...leb(count.end + 1) };
    } else if (id === 6) {
      // the highest address a global starts at: emscripten's stack pointer, the stack's top
      let p = leb(body).end;
      for (let n = leb(body).value; n > 0; n--) {
        if (out[p] !== 0x7f || out[p + 2] !== 0x41) throw new Error('a global that is not an i32 constant');
        const init = leb(p + 3);
        if (out[init.end] !== 0x0b) throw new Error('a global initialised by an expression');
        // (a signed LEB128: the last byte's 0x40 bit set is a negative constant, not an address)
        if (!(out[init.end - 1] & 0x40)) used = Math.max(used, init.value);
        p = init.end + 1;
      }
    }
    at = body + size.value;
  }
  if (!memoryMin) throw new Error('no memory section');
  if (used === 0) throw new Error('no stack pointer');
  const pages = Math.ceil((used + 8 * MIB) / (16 * MIB)) * (16 * MIB) / WASM_PAGE;
  if (pages >= memoryMin.value) return wasm;
  // the same number of bytes (a padded LEB128), so that no section size changes
  const width = memoryMin.end - memoryMin.at;
  for (let i = 0, v = pages; i < width; i++, v = Math.floor(v / 128)) out[memoryMin.at + i] = (v & 0x7f) | (i < width - 1 ? 0x80 : 0);
  return out;
}

/** The ESLint plugin's folder: its manifest (version from package.json), ESM entry, WASM, readme and licence. */
const PLUGIN_DIR = path.join('dist', 'eslint-plugin-dupguard');
function stagePlugin() {
  fs.mkdirSync(PLUGIN_DIR, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join('src', 'eslint', 'manifest.json'), 'utf8'));
  manifest.version = require('./package.json').version;
  fs.writeFileSync(path.join(PLUGIN_DIR, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.copyFileSync(path.join('src', 'eslint', 'index.mjs'), path.join(PLUGIN_DIR, 'index.mjs'));
  fs.copyFileSync(path.join('src', 'eslint', 'README.md'), path.join(PLUGIN_DIR, 'README.md'));
  fs.copyFileSync('LICENSE', path.join(PLUGIN_DIR, 'LICENSE'));
  fs.copyFileSync(path.join('dist', 'libpg-query.wasm'), path.join(PLUGIN_DIR, 'libpg-query.wasm'));
}

/**
 * The CLI bundle's first line: this prefix and a build id, the hash of the bundle (written after it is
 * built, over a placeholder of the same length: the source map's lines stay). The code cache starts
 * with the id of the bundle it was made for; src/cli/launch.ts uses it only for that bundle.
 */
const BUILD_LINE = '// dupguard-build ';
const UNSTAMPED = '0'.repeat(16);
const CLI_BUNDLE = path.join('dist', 'cli-main.js');
const CODE_CACHE = path.join('dist', 'cli-main.cache');

/**
 * Stamps the CLI bundle with its build id, then lints the walkthrough's example once with
 * DUPGUARD_WRITE_CODE_CACHE set: the launcher writes V8's code cache of the bundle as it stands after
 * that run (the functions a lint calls compiled). Without a cache the CLI still runs, compiling as it goes.
 */
function makeCodeCache() {
  const text = fs.readFileSync(CLI_BUNDLE, 'utf8');
  const id = require('crypto').createHash('sha256').update(text.slice(BUILD_LINE.length + UNSTAMPED.length)).digest('hex').slice(0, UNSTAMPED.length);
  fs.writeFileSync(CLI_BUNDLE, BUILD_LINE + id + text.slice(BUILD_LINE.length + UNSTAMPED.length));
  const r = require('child_process').spawnSync(process.execPath, [path.join('dist', 'cli.js'), 'lint', path.join('media', 'walkthrough', 'example.sql')], {
    env: { ...process.env, DUPGUARD_WRITE_CODE_CACHE: CODE_CACHE }, stdio: 'ignore',
  });
  if (!fs.existsSync(CODE_CACHE)) console.error(`esbuild.js: no code cache for the CLI (the example lint exited ${r.status}); it runs without one`);
}

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'silent',
  plugins: [problemMatcher],
};

const entries = [
  // the CLI: its bundle, and the `dupguard` command that loads it with V8's code cache (src/cli/launch.ts).
  // The bundle without blanks and comments, in ASCII (names kept, the source map maps it back): a third
  // smaller, and read as one-byte text, at every start.
  { entryPoints: ['src/cli/main.ts'], outfile: CLI_BUNDLE, platform: 'node', format: 'cjs', target: 'node20',
    external: ['pg-native', '@electric-sql/pglite', '@electric-sql/pglite-socket'],
    banner: { js: `${BUILD_LINE}${UNSTAMPED}` }, charset: 'ascii', minifyWhitespace: true },
  { entryPoints: ['src/cli/launch.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20',
    banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20',
    external: ['vscode', 'pg-native'] },
  { entryPoints: ['src/eslint/index.ts'], outfile: `${PLUGIN_DIR}/index.cjs`, platform: 'node', format: 'cjs', target: 'node20',
    external: ['pg-native'] },
  { entryPoints: ['media/panel.ts'], outfile: 'dist/media/panel.js', platform: 'browser', format: 'iife', target: 'es2022' },
].filter((e) => fs.existsSync(e.entryPoints[0]));

async function main() {
  copyWasm();
  // a cache of the bundle being replaced would not be used (its build id differs); gone, it is not read
  fs.rmSync(CODE_CACHE, { force: true });
  if (fs.existsSync('src/eslint/index.ts')) stagePlugin();
  const contexts = await Promise.all(entries.map((e) => esbuild.context({ ...common, ...e })));
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
  } else {
    await Promise.all(contexts.map((c) => c.rebuild()));
    await Promise.all(contexts.map((c) => c.dispose()));
    if (fs.existsSync('dist/cli.js')) {
      fs.chmodSync('dist/cli.js', 0o755);
      makeCodeCache();
    }
  }
}

if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });

module.exports = { withSmallerInitialMemory };
