/**
 * eslint-plugin-dupguard as a user gets it: `npm pack` of dist/eslint-plugin-dupguard (as `npm run
 * package` does), installed into a fresh project with npm offline and an empty cache (the plugin
 * fetches nothing), then real `eslint` runs on that project: the recommended config, findings with
 * dupguard's ids and messages, `--fix`. Uses the bundle of dist/ (built by `npm test` or `node esbuild.js`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';

const root = path.resolve(__dirname, '../../..');
const pluginDir = path.join(root, 'dist', 'eslint-plugin-dupguard');
const eslintBin = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

let scratch = '';
let project = '';
let env: NodeJS.ProcessEnv = {};

const LOADER_TS = `import type { Pool } from 'pg';

// Re-run after a failure: every row inserted again, the table has no key to conflict on.
export async function importEvents(pool: Pool, rows: Array<{ orderId: number; kind: string }>) {
  for (const r of rows) {
    await pool.query(\`INSERT INTO order_events (order_id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING\`, [r.orderId, r.kind]);
  }
}

export async function importOrder(pool: Pool, ref: string) {
  await pool.query('INSERT INTO orders (external_ref) VALUES ($1) ON CONFLICT DO NOTHING', [ref]);
}
`;

interface EslintMessage { ruleId: string; message: string; line: number; column: number; severity: number }

function eslint(args: string[]) {
  const r = spawnSync(process.execPath, [eslintBin, ...args], { cwd: project, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

before(() => {
  assert.ok(fs.existsSync(path.join(pluginDir, 'index.cjs')), 'dist/eslint-plugin-dupguard is missing: run `node esbuild.js` first');
  scratch = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-eslint-packed-')));
  env = { ...process.env, npm_config_offline: 'true', npm_config_cache: path.join(scratch, 'npm-cache'), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  project = path.join(scratch, 'shop');
  fs.mkdirSync(path.join(project, 'db'), { recursive: true });
  fs.mkdirSync(path.join(project, 'src'));
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'shop', version: '1.0.0', private: true, type: 'module' }));
  fs.writeFileSync(path.join(project, 'db', 'schema.sql'),
    'CREATE TABLE orders (id bigserial PRIMARY KEY, external_ref text NOT NULL UNIQUE);\nCREATE TABLE order_events (order_id bigint NOT NULL, kind text NOT NULL);\n');
  fs.writeFileSync(path.join(project, 'src', 'loader.ts'), LOADER_TS);
  fs.writeFileSync(path.join(project, 'src', 'clean.js'), "export const q = (pool) => pool.query('SELECT 1');\n");
  // The README's config as written; only the TypeScript parser (not what is tested) comes from this checkout.
  const config = /```js\n(import dupguard from 'eslint-plugin-dupguard';[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(config, 'README shows no eslint.config.js importing eslint-plugin-dupguard');
  const tsParser = path.join(root, 'node_modules', '@typescript-eslint', 'parser', 'dist', 'index.js');
  fs.writeFileSync(path.join(project, 'eslint.config.js'), config.replace("'@typescript-eslint/parser'", JSON.stringify(tsParser)));
});

after(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('the plugin tarball holds the bundle, the WASM parser and the manifest, and installs offline', { timeout: 180_000 }, () => {
  const pack = spawnSync('npm', ['pack', pluginDir, '--json', '--pack-destination', scratch], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(pack.status, 0, pack.stderr);
  const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  assert.equal(info.filename, `eslint-plugin-dupguard-${version}.tgz`);
  assert.deepEqual(info.files.map((f) => f.path).sort(), ['LICENSE', 'README.md', 'index.cjs', 'index.mjs', 'libpg-query.wasm', 'package.json']);
  // As the README says: the tarball copied into the project, installed from there.
  assert.ok(readme.includes(`npm install --save-dev ./${info.filename}`), 'README does not show the install command of this version');
  fs.copyFileSync(path.join(scratch, info.filename), path.join(project, info.filename));
  const install = spawnSync('sh', ['-c', `npm install --save-dev ./${info.filename}`], { cwd: project, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(install.status, 0, `${install.stdout}${install.stderr}`);
  assert.deepEqual(fs.readdirSync(path.join(project, 'node_modules')).filter((d) => !d.startsWith('.')), ['eslint-plugin-dupguard']);
});

test('eslint with the recommended config reports what dupguard lint reports, and --fix applies the preferred fixes', { timeout: 180_000 }, async () => {
  const r = eslint(['--format', 'json', '.']);
  // recommended keeps this rule at warn (ESLint has one severity per rule; dupguard's error depends on the table).
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  const results = JSON.parse(r.stdout) as Array<{ filePath: string; messages: EslintMessage[] }>;
  const loader = results.find((x) => x.filePath.endsWith(path.join('src', 'loader.ts')))!;
  assert.deepEqual(results.find((x) => x.filePath.endsWith('clean.js'))?.messages, []);

  let out = '';
  await main(['lint', '--format', 'json'], { stdout: (s) => { out += s; }, stderr: () => {}, cwd: project, env: {} });
  const cli = (JSON.parse(out) as { files: Array<{ path: string; findings: Array<{ rule: string; message: string; line: number; column: number }> }> })
    .files.find((f) => f.path === 'src/loader.ts')!.findings;
  assert.deepEqual(cli.map((f) => f.rule), ['on-conflict-without-target', 'on-conflict-without-target']);
  assert.deepEqual(loader.messages.map((m) => [m.ruleId, m.message, m.line, m.column]), cli.map((f) => [`dupguard/${f.rule}`, f.message, f.line, f.column]));
  // The first has no key to name (an error for dupguard, warn in recommended); the second names the one unique key.
  assert.deepEqual(loader.messages.map((m) => m.severity), [1, 1]);
  assert.match(loader.messages[0].message, /never fires: public\.order_events has no primary key or unique constraint/);

  const fixed = eslint(['--fix', 'src/loader.ts']);
  assert.equal(fixed.code, 0, `${fixed.stdout}${fixed.stderr}`);
  assert.equal(fs.readFileSync(path.join(project, 'src', 'loader.ts'), 'utf8'),
    LOADER_TS.replace("VALUES ($1) ON CONFLICT DO NOTHING", 'VALUES ($1) ON CONFLICT (external_ref) DO NOTHING'));
  // Left: the finding whose fix needs a key typed in (a suggestion in the editor).
  assert.match(fixed.stdout, /1 problem \(0 errors, 1 warning\)/);
});
