/**
 * dupguard's CLI as it was at an earlier commit, for the benchmarks and comparisons that run the old
 * and the new code side by side: `git archive <ref>` into a temporary folder, bundled there with this
 * checkout's node_modules (esbuild.js of that commit), so nothing in the working tree changes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** Builds the CLI of `ref` under `scratch`/baseline; returns the path of its dist/cli.js. */
export function buildBaseline(ref: string, scratch: string): string {
  const dir = path.join(scratch, 'baseline');
  fs.mkdirSync(dir);
  const archive = spawnSync('git', ['archive', '--format=tar', ref], { cwd: root, maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new Error(`git archive ${ref}: ${archive.stderr}`);
  const tar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: dir, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`building ${ref} failed`);
  return path.join(dir, 'dist', 'cli.js');
}
