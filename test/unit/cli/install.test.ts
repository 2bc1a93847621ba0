/**
 * The README's Install section as a new user follows it, outside the checkout: the packed tarballs
 * (`npm pack`, as `npm run package` does) installed into a fresh project with npm offline and an empty
 * cache (so a runtime dependency fetched from the registry fails the test), then the very commands the
 * README shows. Uses the bundles of dist/ (built by `npm test`, or `node esbuild.js`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const installSection = readme.slice(readme.indexOf('\n## Install'), readme.indexOf('\n## ', readme.indexOf('\n## Install') + 5));

let scratch = '';
let packDir = '';
/** npm with no registry: offline, a cache of its own (nothing warm to fall back on). */
let npmEnv: NodeJS.ProcessEnv = {};

function sh(command: string, cwd: string, timeout = 120_000) {
  const r = spawnSync('sh', ['-c', command], { cwd, env: npmEnv, encoding: 'utf8', timeout });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', all: `$ ${command}\n${r.stdout}${r.stderr}` };
}

/** `npm pack` of the repository (the CLI) and of the ESLint plugin's folder, into packDir. */
function pack(dir: string): { file: string; files: string[] } {
  const r = spawnSync('npm', ['pack', dir, '--json', '--pack-destination', packDir], { cwd: root, env: npmEnv, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `npm pack ${dir} failed:\n${r.stdout}${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { file: path.join(packDir, info.filename), files: info.files.map((f) => f.path).sort() };
}

before(() => {
  assert.ok(fs.existsSync(path.join(root, 'dist', 'cli.js')), 'dist/cli.js is missing: run `node esbuild.js` first');
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-install-'));
  packDir = path.join(scratch, 'packs');
  fs.mkdirSync(packDir);
  npmEnv = {
    ...process.env,
    npm_config_offline: 'true',
    npm_config_cache: path.join(scratch, 'npm-cache'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  // The user's project: a package.json, a migration with a hazard, nothing of the checkout beside it.
  for (const dir of ['project', 'one-off']) {
    const p = path.join(scratch, dir);
    fs.mkdirSync(path.join(p, 'migrations'), { recursive: true });
    fs.writeFileSync(path.join(p, 'migrations', '001_orders.sql'),
      'CREATE TABLE orders (id bigserial, customer_id int NOT NULL, external_ref text NOT NULL);\n'
      + "INSERT INTO orders (customer_id, external_ref) VALUES (1, 'A-1') ON CONFLICT DO NOTHING;\n");
  }
  fs.writeFileSync(path.join(scratch, 'project', 'package.json'), JSON.stringify({ name: 'shop', version: '1.0.0', private: true }));
});

after(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('the README names the tarballs of this version, and every Install command below is shown in it', () => {
  assert.ok(installSection.length > 200, 'README has no "## Install" section');
  for (const cmd of [
    'npm run package',
    'code --install-extension dist/dupguard.vsix',
    `npm install --save-dev ./dupguard-${version}.tgz`,
    'npx dupguard lint',
    'npx dupguard scan --help',
    'npx dupguard migrate --help',
    `npx --yes --package ./dupguard-${version}.tgz dupguard lint`,
  ]) assert.ok(installSection.includes(cmd), `README Install section does not show: ${cmd}`);
});

test('the CLI tarball holds only what runs, and declares no dependency to fetch', () => {
  const { file, files } = pack('.');
  assert.equal(path.basename(file), `dupguard-${version}.tgz`);
  for (const must of ['package.json', 'README.md', 'LICENSE', 'dist/cli.js', 'dist/cli-main.js', 'dist/cli-main.cache', 'dist/libpg-query.wasm', 'docs/rules/on-conflict-without-target.md']) {
    assert.ok(files.includes(must), `${must} missing from the tarball: ${files.join(', ')}`);
  }
  const stray = files.filter((f) => !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/cli\.js|dist\/cli-main\.(js|cache)|dist\/libpg-query\.wasm|docs\/rules\/[a-z-]+\.md)$/.test(f));
  assert.deepEqual(stray, [], 'sources, tests, maps or caches in the tarball');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: object; bin: Record<string, string> };
  // Everything the CLI runs is in its bundle: a runtime dependency would be fetched for nothing.
  assert.deepEqual(Object.keys(manifest.dependencies ?? {}), []);
  assert.equal(manifest.bin.dupguard, './dist/cli.js');
});

test('installed into a project with npm offline: npx dupguard lint finds the hazard (exit 1), scan and migrate answer --help', { timeout: 300_000 }, () => {
  const { file } = pack('.');
  const project = path.join(scratch, 'project');
  fs.copyFileSync(file, path.join(project, path.basename(file)));
  const install = sh(`npm install --save-dev ./dupguard-${version}.tgz`, project);
  assert.equal(install.code, 0, install.all);
  assert.deepEqual(fs.readdirSync(path.join(project, 'node_modules')).filter((d) => !d.startsWith('.')), ['dupguard'], 'only dupguard itself is installed');
  assert.ok(!fs.existsSync(path.join(project, 'node_modules', 'dupguard', 'src')), 'sources were installed');

  const lint = sh('npx dupguard lint', project);
  assert.equal(lint.code, 1, lint.all);
  assert.match(lint.stdout, /migrations\/001_orders\.sql:2:\d+\s+error\s+ON CONFLICT DO NOTHING never fires/);
  assert.match(lint.stdout, /on-conflict-without-target/);

  const scan = sh('npx dupguard scan --help', project);
  assert.equal(scan.code, 0, scan.all);
  assert.match(scan.stdout, /^Usage: dupguard scan/);
  const migrate = sh('npx dupguard migrate --help', project);
  assert.equal(migrate.code, 0, migrate.all);
  assert.match(migrate.stdout, /^Usage: dupguard migrate/);
});

test('as a one-off with npx --package, in a folder with no package.json', { timeout: 300_000 }, () => {
  const { file } = pack('.');
  const dir = path.join(scratch, 'one-off');
  fs.copyFileSync(file, path.join(dir, path.basename(file)));
  const r = sh(`npx --yes --package ./dupguard-${version}.tgz dupguard lint`, dir);
  assert.equal(r.code, 1, r.all);
  assert.match(r.stdout, /migrations\/001_orders\.sql:2:\d+\s+error\s+ON CONFLICT DO NOTHING never fires/);
  assert.ok(!fs.existsSync(path.join(dir, 'node_modules')), 'the one-off installed into the folder');
});
