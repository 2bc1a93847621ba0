/**
 * The same extension-host suite in desktop VS Code through @vscode/test-electron, for machines that
 * can download VS Code (`npm run test:electron`). CI here has no such download and uses code-server
 * (vscode.test.ts). Set DUPGUARD_VSCODE_EXECUTABLE to use an installed VS Code instead of downloading.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { buildSuite, fixtureWorkspace } from './harness/run';
import { repoRoot } from './harness/install';
import { stageExtension } from './harness/stage';

async function main(): Promise<number> {
  const ext = stageExtension(false);
  buildSuite();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-electron-'));
  const ws = path.join(scratch, 'workspace');
  fs.cpSync(fixtureWorkspace, ws, { recursive: true });
  const report = path.join(scratch, 'report.txt');
  try {
    const code = await runTests({
      version: '1.100.3',
      vscodeExecutablePath: process.env.DUPGUARD_VSCODE_EXECUTABLE,
      extensionDevelopmentPath: ext,
      extensionTestsPath: path.join(repoRoot, 'out', 'integration', 'suite.js'),
      extensionTestsEnv: { DUPGUARD_TEST_REPORT: report, DUPGUARD_TEST_WORKSPACE: ws },
      launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes',
        '--user-data-dir', path.join(scratch, 'user-data')],
    });
    if (fs.existsSync(report)) process.stdout.write(fs.readFileSync(report, 'utf8'));
    return code;
  } finally {
    fs.rmSync(ext, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`VS Code tests could not run (no VS Code download here? set DUPGUARD_VSCODE_EXECUTABLE, or use npm run test:integration): ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  },
);
