/**
 * Builds the extension into a staging folder (manifest, bundle, WASM, docs) so the harness never
 * rewrites the repository's dist/ while other test files may be using dist/cli.js.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './install';

const COPY = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore', 'media', path.join('docs', 'rules')];

/** A folder laid out like the extension root, with a fresh dist/extension.js. */
export function stageExtension(production: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dupguard-ext-${production ? 'prod' : 'dev'}-`));
  for (const rel of COPY) {
    const src = path.join(repoRoot, rel);
    if (fs.existsSync(src)) fs.cpSync(src, path.join(dir, rel), { recursive: true });
  }
  const esbuild = require('esbuild') as typeof import('esbuild');
  // Same options as esbuild.js's extension entry.
  esbuild.buildSync({
    entryPoints: [path.join(repoRoot, 'src', 'vscode', 'extension.ts')],
    outfile: path.join(dir, 'dist', 'extension.js'),
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'pg-native'],
    minify: production, sourcemap: !production, sourcesContent: false, logLevel: 'error',
  });
  fs.copyFileSync(require.resolve('libpg-query/wasm/libpg-query.wasm'), path.join(dir, 'dist', 'libpg-query.wasm'));
  // The duplicates panel's webview script, as esbuild.js's browser entry.
  const panel = path.join(repoRoot, 'media', 'panel.ts');
  if (fs.existsSync(panel)) {
    esbuild.buildSync({
      entryPoints: [panel], outfile: path.join(dir, 'dist', 'media', 'panel.js'), bundle: true, platform: 'browser', format: 'iife',
      target: 'es2022', minify: production, sourcemap: !production, sourcesContent: false, logLevel: 'error',
    });
  }
  return dir;
}
