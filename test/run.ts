/**
 * The one test command (`npm test`): installs the system packages the suites need (as root, on a
 * fresh Debian), builds the bundles, type-checks, starts one real PostgreSQL for the run, then runs
 * every test file in a single `node --test` so that its closing summary counts all of them.
 *
 *   npm test                 every suite
 *   npm test -- unit db      only those suites (unit, db, integration)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startPostgres } from './support/postgres';

const root = path.resolve(__dirname, '..');
const suites = ['unit', 'db', 'integration'] as const;
type Suite = (typeof suites)[number];

function listTests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTests(p));
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

function step(title: string, cmd: string, args: string[]): void {
  console.log(`\n== ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${title} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((a) => (suites as readonly string[]).includes(a)) as Suite[];
  const run: Suite[] = asked.length ? asked : [...suites];
  const needsServer = run.includes('db') || run.includes('integration');

  if (needsServer) step('system packages', 'bash', ['test/setup/system.sh']);
  step('build', process.execPath, ['esbuild.js']);
  step('type check', process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', '.']);

  const files = run.flatMap((s) => listTests(path.join(root, 'test', s)));
  const env: NodeJS.ProcessEnv = { ...process.env };
  let stop = () => {};
  if (needsServer) {
    const server = await startPostgres();
    env.DUPGUARD_TEST_PG_URL = server.url;
    stop = server.stop;
    console.log(`\n== PostgreSQL test server on 127.0.0.1:${server.port}`);
  }
  console.log(`\n== ${files.length} test files (${run.join(', ')})`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
    cwd: root, stdio: 'inherit', env,
  });
  stop();
  process.exit(r.status ?? 1);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
