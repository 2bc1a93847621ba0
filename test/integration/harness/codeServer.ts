/** Starts code-server on a free loopback port with scratch HOME/TMPDIR/XDG folders. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { codeServerBin } from './install';
import { freePort, startGroup, within, type Started } from './processes';

export interface CodeServer {
  port: number;
  url: string;
  /** Scratch folder holding every directory this instance writes to. */
  scratch: string;
  env: NodeJS.ProcessEnv;
  extensionsDir: string;
  userDataDir: string;
  output(): string;
  stop(): Promise<void>;
}

/** Environment for code-server and Chromium: nothing of the real user's home leaks in. */
export function scratchEnv(scratch: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const dirs = { HOME: 'home', TMPDIR: 'tmp', XDG_CONFIG_HOME: 'config', XDG_DATA_HOME: 'data', XDG_CACHE_HOME: 'cache' };
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: 'C.UTF-8', ...extra };
  if (process.env.DUPGUARD_TEST_GREP) env.DUPGUARD_TEST_GREP = process.env.DUPGUARD_TEST_GREP;
  for (const [k, d] of Object.entries(dirs)) {
    env[k] = path.join(scratch, d);
    fs.mkdirSync(env[k]!, { recursive: true });
  }
  return env;
}

const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'git.enabled': false,
  'typescript.tsserver.experimental.enableProjectDiagnostics': false,
  'window.restoreWindows': 'none',
  'chat.disableAIFeatures': true,
};

/** Installs a .vsix into the extensions folder with code-server's own CLI. */
export function installVsix(scratch: string, vsix: string): { ms: number; output: string } {
  const env = scratchEnv(scratch);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [codeServerBin(), '--extensions-dir', path.join(scratch, 'extensions'),
    '--user-data-dir', path.join(scratch, 'user-data'), '--install-extension', vsix, '--force'], { env, encoding: 'utf8', timeout: 120_000 });
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`code-server --install-extension failed (exit ${r.status ?? r.signal}):\n${output}`);
  return { ms: Date.now() - t0, output };
}

/**
 * Starts code-server on `folder`. With `workspaceTrust`, workspace trust is on and the folder opens
 * untrusted (restricted mode, no startup prompt) until a test grants trust through the UI.
 */
export async function startCodeServer(scratch: string, folder: string, extraEnv: NodeJS.ProcessEnv = {}, opts: { workspaceTrust?: boolean } = {}): Promise<CodeServer> {
  const port = await freePort();
  const env = scratchEnv(scratch, extraEnv);
  const userDataDir = path.join(scratch, 'user-data');
  const extensionsDir = path.join(scratch, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  const settings = opts.workspaceTrust
    ? { ...USER_SETTINGS, 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false }
    : USER_SETTINGS;
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const args = [codeServerBin(), '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
    '--disable-update-check', ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override',
    '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, folder];
  const proc: Started = startGroup(process.execPath, args, env);
  const url = `http://127.0.0.1:${port}`;
  try {
    await within((async () => {
      for (;;) {
        if (proc.child.exitCode !== null) throw new Error(`code-server exited (${proc.child.exitCode}):\n${proc.output()}`);
        try {
          const r = await fetch(`${url}/healthz`);
          if (r.ok) return;
        } catch { /* not listening yet */ }
        await new Promise((r) => setTimeout(r, 200));
      }
    })(), 30_000, `code-server did not answer ${url}/healthz within 30 s`);
  } catch (e) {
    const out = proc.output();
    await proc.stop();
    throw new Error(`${e instanceof Error ? e.message : e}\n--- code-server output ---\n${out.slice(-3000)}`);
  }
  return { port, url, scratch, env, extensionsDir, userDataDir, output: proc.output, stop: proc.stop };
}
