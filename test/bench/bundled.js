// Runs a benchmark the way the product ships: bundled by esbuild into one CommonJS file (as
// esbuild.js bundles the CLI and the extension), then run by plain node. Under tsx every module is
// transformed alone, so each cross-module read (an imported function, a const enum) goes through an
// export getter that the shipped bundle does not have; measuring that would measure the dev loader.
//
//   node test/bench/bundled.js test/bench/bench.ts [args...]
//
// The bundle is written to out/bench/<name>.cjs: two folders below the repository, as the sources in
// test/<dir>/ are, so paths made from __dirname (../shared/corpus) resolve the same.
const esbuild = require('esbuild');
const path = require('path');
const { spawnSync } = require('child_process');

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node test/bench/bundled.js <entry.ts> [args...]');
  process.exit(2);
}
const root = path.resolve(__dirname, '..', '..');
const outfile = path.join(root, 'out', 'bench', `${path.basename(entry, '.ts')}.cjs`);
esbuild.buildSync({
  entryPoints: [path.resolve(root, entry)], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
  // libpg-query finds its WASM beside its own package files; pg and PGlite load native/optional parts.
  external: ['libpg-query', 'pg-native', '@electric-sql/pglite', '@electric-sql/pglite-socket'],
  sourcemap: 'linked', logLevel: 'warning',
});
const r = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
