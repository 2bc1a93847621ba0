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

/** libpg-query loads its WASM from beside the bundle, so ship it there. */
function copyWasm() {
  fs.mkdirSync('dist', { recursive: true });
  const wasm = require.resolve('libpg-query/wasm/libpg-query.wasm');
  fs.copyFileSync(wasm, path.join('dist', 'libpg-query.wasm'));
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

main().catch((e) => { console.error(e); process.exit(1); });
