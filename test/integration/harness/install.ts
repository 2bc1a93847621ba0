/**
 * Installs code-server 4.100.3 (VS Code 1.100.3 with a Node extension host) into a git-ignored
 * cache folder, once. Later runs reuse it. Only the npm registry is contacted.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';
export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const cacheDir = path.join(repoRoot, '.cache', 'code-server');

/** The code-server entry script inside the cache, whether or not it is installed yet. */
export function codeServerBin(): string {
  return path.join(cacheDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

function installedVersion(): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(cacheDir, 'node_modules', 'code-server', 'package.json'), 'utf8'));
    return fs.existsSync(codeServerBin()) && fs.existsSync(path.join(cacheDir, '.complete')) ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/** Is registry.npmjs.org (or the configured registry) reachable? Lets an install failure say why. */
export function registryReachable(): boolean {
  const r = spawnSync('npm', ['ping', '--fetch-retries=1', '--fetch-timeout=15000'], { encoding: 'utf8', timeout: 40_000 });
  return r.status === 0;
}

/**
 * @vscode/ripgrep's postinstall downloads `rg` from GitHub; it first looks for the archive in
 * $TMPDIR/vscode-ripgrep-cache-<ver>/. Offer it Debian's rg packed the same way.
 */
function prepareRipgrepCache(tmp: string): void {
  const rg = ['/usr/bin/rg', '/usr/local/bin/rg'].find((p) => fs.existsSync(p));
  if (!rg) throw new Error('ripgrep is not installed (Debian package `ripgrep`; test/setup/system.sh installs it)');
  const dir = path.join(tmp, 'vscode-ripgrep-cache-1.15.11');
  fs.mkdirSync(dir, { recursive: true });
  const stage = fs.mkdtempSync(path.join(tmp, 'rg-'));
  fs.copyFileSync(rg, path.join(stage, 'rg'));
  fs.chmodSync(path.join(stage, 'rg'), 0o755);
  const tgz = path.join(dir, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz');
  const r = spawnSync('tar', ['-czf', tgz, '-C', stage, 'rg']);
  if (r.status !== 0) throw new Error(`could not pack rg: ${r.stderr}`);
}

export interface InstallResult {
  bin: string;
  cached: boolean;
  seconds: number;
}

/** Ensures code-server is in the cache; installs it when missing (~3 min cold). */
export async function ensureCodeServer(log: (s: string) => void = () => {}, timeoutMs = 12 * 60_000): Promise<InstallResult> {
  const t0 = Date.now();
  if (installedVersion() === CODE_SERVER_VERSION) return { bin: codeServerBin(), cached: true, seconds: 0 };
  if (!registryReachable()) throw new Error('the npm registry is unreachable (npm ping failed)');

  fs.rmSync(cacheDir, { recursive: true, force: true });
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(path.join(cacheDir, 'package.json'), JSON.stringify({ name: 'dupguard-code-server-cache', private: true }));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-cs-install-'));
  prepareRipgrepCache(tmp);

  const args = ['install', '--prefix', cacheDir, `code-server@${CODE_SERVER_VERSION}`, '--no-audit', '--no-fund', '--no-save'];
  if (process.getuid?.() === 0) args.push('--unsafe-perm');
  log(`installing code-server@${CODE_SERVER_VERSION} into ${path.relative(repoRoot, cacheDir)} (about 3 minutes the first time)`);
  const env = { ...process.env, TMPDIR: tmp, npm_config_yes: 'true' };
  let output = '';
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('npm', args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => {
      output += `\n[dupguard] timed out after ${timeoutMs / 1000}s`;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, timeoutMs);
    child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  fs.rmSync(tmp, { recursive: true, force: true });
  if (code !== 0 || !fs.existsSync(codeServerBin())) {
    if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH/.test(output) && !registryReachable()) {
      throw new Error(`npm registry became unreachable during install:\n${output.slice(-2000)}`);
    }
    throw new Error(`code-server install failed (exit ${code}):\n${output.slice(-4000)}`);
  }
  fs.writeFileSync(path.join(cacheDir, '.complete'), CODE_SERVER_VERSION);
  return { bin: codeServerBin(), cached: false, seconds: (Date.now() - t0) / 1000 };
}

if (require.main === module) {
  ensureCodeServer((s) => console.log(s)).then(
    (r) => console.log(r.cached ? `code-server ${CODE_SERVER_VERSION} already in the cache` : `installed in ${r.seconds.toFixed(0)} s`),
    (e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); },
  );
}
