/**
 * Whether the built bundles are older than the sources: tests that run `dist/` rebuild first when
 * they are (the one staleness check the test suites share).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** True when `bundle` or the parser's WASM is missing, or a file under src/ or package.json is newer than it. */
export function bundleStale(bundle: string): boolean {
  if (!fs.existsSync(bundle) || !fs.existsSync(path.join(root, 'dist/libpg-query.wasm'))) return true;
  const built = fs.statSync(bundle).mtimeMs;
  const newer = (dir: string): boolean =>
    fs.readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? newer(p) : fs.statSync(p).mtimeMs > built;
    });
  return newer(path.join(root, 'src')) || fs.statSync(path.join(root, 'package.json')).mtimeMs > built;
}
