/**
 * `dupguard lint --changed` and the README's GitHub Actions workflow: its `run:` steps are executed as
 * written (`npx dupguard` resolves to this build through the project's node_modules/.bin) in a clone
 * laid out as actions/checkout leaves it for a pull request: origin/main fetched, the branch checked
 * out. The migration that creates the table is not changed, so the finding in the changed file is
 * one only the whole project's schema can make.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as Sarif from 'sarif';
import { main } from '../../../src/cli/main';
import { takeChangedFlag } from '../../../src/cli/changed';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist', 'cli.js');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

let scratch = '';
let clone = '';

function git(args: string[], cwd: string): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: gitEnv() });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function gitEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env, GIT_AUTHOR_NAME: 'dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'dev',
    GIT_COMMITTER_EMAIL: 'dev@example.com', GIT_CONFIG_NOSYSTEM: '1', HOME: scratch,
  };
}

function write(dir: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
}

/** The workflow block of the README and its `run:` commands, in order. */
function workflow(): { yaml: string; runs: string[] } {
  const m = /```yaml\n(name: dupguard\n[\s\S]*?)```/.exec(readme);
  assert.ok(m, 'README shows no workflow file starting with "name: dupguard"');
  const runs = [...m[1].matchAll(/^\s*(?:- )?run: (.+)$/gm)].map((r) => r[1]);
  return { yaml: m[1], runs };
}

async function lint(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(['lint', ...args], { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, cwd, env });
  return { code, stdout, stderr };
}

before(() => {
  assert.ok(fs.existsSync(cli), 'dist/cli.js is missing: run `node esbuild.js` first');
  scratch = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-changed-')));
  // The project on main: a migration with the table's key, an old loader with a hazard nobody touches.
  const work = path.join(scratch, 'work');
  fs.mkdirSync(work);
  git(['init', '-q', '-b', 'main'], work);
  write(work, 'package.json', JSON.stringify({ name: 'shop', private: true }));
  write(work, '.gitignore', 'node_modules/\n*.sarif\n');
  write(work, 'migrations/001_orders.sql',
    'CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, external_ref text NOT NULL,\n'
    + '  CONSTRAINT orders_ref UNIQUE (external_ref));\n');
  write(work, 'legacy/old_import.sql', 'CREATE TABLE staging_rows (a int);\nINSERT INTO staging_rows (a) VALUES (1) ON CONFLICT DO NOTHING;\n');
  write(work, 'src/report.ts', 'export const q = sql`SELECT count(*) FROM orders`;\n');
  git(['add', '-A'], work);
  git(['commit', '-q', '-m', 'base'], work);
  // The remote, and the clone actions/checkout makes (fetch-depth: 0): origin/main is there.
  const origin = path.join(scratch, 'origin.git');
  git(['clone', '-q', '--bare', work, origin], scratch);
  clone = path.join(scratch, 'clone');
  git(['clone', '-q', origin, clone], scratch);
  // The pull request: a new loader whose conflict target is no unique key of orders (42P10 at run time).
  git(['checkout', '-q', '-b', 'feature'], clone);
  write(clone, 'src/import.ts',
    "import type { PoolClient } from 'pg';\n"
    + 'export async function importOrder(client: { query(q: string, v: unknown[]): Promise<unknown> }, o: { customer: number; ref: string }) {\n'
    + '  await client.query(`INSERT INTO orders (customer_id, external_ref) VALUES ($1, $2) ON CONFLICT (customer_id) DO NOTHING`, [o.customer, o.ref]);\n'
    + '}\n');
  write(clone, 'src/report.ts', 'export const q = sql`SELECT count(*) FROM orders WHERE customer_id > 0`;\n');
  git(['add', '-A'], clone);
  git(['commit', '-q', '-m', 'import orders'], clone);
  // `npm ci` of the workflow: dupguard in node_modules/.bin (this build).
  fs.mkdirSync(path.join(clone, 'node_modules', '.bin'), { recursive: true });
  fs.symlinkSync(cli, path.join(clone, 'node_modules', '.bin', 'dupguard'));
});

after(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('the README workflow: its steps run as written on a pull request and report the changed file only', { timeout: 120_000 }, () => {
  const { yaml, runs } = workflow();
  assert.match(yaml, /fetch-depth: 0/, 'the checkout must fetch the history --changed needs');
  assert.match(yaml, /uses: github\/codeql-action\/upload-sarif@v\d+[\s\S]*sarif_file: dupguard\.sarif/);
  const lintRuns = runs.filter((r) => r.startsWith('npx dupguard'));
  assert.deepEqual(lintRuns, ['npx dupguard lint --changed --format github', 'npx dupguard lint --changed --format sarif > dupguard.sarif']);
  assert.ok(runs.includes('npm ci'));
  // As GitHub Actions runs a pull_request job: GITHUB_BASE_REF names the branch merged into.
  const env = { ...process.env, GITHUB_BASE_REF: 'main', GITHUB_ACTIONS: 'true', npm_config_offline: 'true', npm_config_update_notifier: 'false' };
  const run = (cmd: string) => spawnSync('sh', ['-c', cmd], { cwd: clone, env, encoding: 'utf8', timeout: 60_000 });

  const annotations = run(lintRuns[0]);
  assert.equal(annotations.status, 1, `${annotations.stdout}${annotations.stderr}`);
  assert.match(annotations.stdout, /^::error file=src\/import\.ts,line=3,.*title=on-conflict-target-without-unique-index::/m);
  assert.doesNotMatch(annotations.stdout, /legacy\/old_import\.sql/, 'an unchanged file was linted');
  assert.match(annotations.stderr, /--changed: 2 file\(s\) to lint changed since origin\/main/);

  const sarif = run(lintRuns[1]);
  assert.equal(sarif.status, 1, sarif.stderr);
  const log = JSON.parse(fs.readFileSync(path.join(clone, 'dupguard.sarif'), 'utf8')) as Sarif.Log;
  assert.equal(log.version, '2.1.0');
  const uris = log.runs[0].results!.map((r) => r.locations![0].physicalLocation!.artifactLocation!.uri);
  assert.deepEqual([...new Set(uris)], ['src/import.ts']);
  assert.deepEqual(log.runs[0].results!.map((r) => r.ruleId), ['on-conflict-target-without-unique-index']);
});

test('--changed with an explicit base, --changed=<ref>, and paths after it', async () => {
  const explicit = await lint(['--changed', 'origin/main', '--format', 'json'], clone);
  assert.equal(explicit.code, 1, explicit.stderr);
  assert.deepEqual((JSON.parse(explicit.stdout) as { files: Array<{ path: string }> }).files.map((f) => f.path), ['src/import.ts', 'src/report.ts']);
  const eq = await lint(['--changed=origin/main', 'legacy', '--format', 'json'], clone);
  assert.equal(eq.code, 0, eq.stderr);
  assert.deepEqual((JSON.parse(eq.stdout) as { files: unknown[] }).files, []);
  // A path right after --changed is a path, not a ref (git cannot resolve it to a commit).
  const p = takeChangedFlag(['--changed', 'src', '-q'], clone);
  assert.deepEqual(p, { argv: ['src', '-q'], changed: {} });
  assert.deepEqual(takeChangedFlag(['--changed', 'origin/main', 'src'], clone), { argv: ['src'], changed: { base: 'origin/main' } });
  // Without GITHUB_BASE_REF the default branch is origin/HEAD (origin/main in this clone).
  const dflt = await lint(['--changed'], clone);
  assert.equal(dflt.code, 1);
  assert.match(dflt.stderr, /changed since origin\/main/);
  // Untracked files count as changed, ignored ones do not.
  write(clone, 'src/draft.ts', 'export const d = sql`INSERT INTO orders (customer_id, external_ref) VALUES (1, $1) ON CONFLICT DO NOTHING`;\n');
  try {
    const draft = await lint(['--changed', '--format', 'json'], clone);
    assert.deepEqual((JSON.parse(draft.stdout) as { files: Array<{ path: string }> }).files.map((f) => f.path), ['src/draft.ts', 'src/import.ts', 'src/report.ts']);
  } finally {
    fs.rmSync(path.join(clone, 'src/draft.ts'));
  }
});

test('--changed explains what it cannot do: no repository, an unknown base, a shallow clone', async () => {
  const plain = path.join(scratch, 'plain');
  write(plain, 'a.sql', 'SELECT 1;\n');
  const none = await lint(['--changed'], plain);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--changed needs a git repository, and .* is not in one/);

  const unknown = await lint(['--changed=origin/nope'], clone);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /'origin\/nope' is not a branch, tag or commit of this repository/);

  // actions/checkout's default (fetch-depth: 1) after main moved on: the branch point is not in the clone.
  const work = path.join(scratch, 'work');
  write(work, 'migrations/002_customers.sql', 'CREATE TABLE customers (id bigserial PRIMARY KEY);\n');
  git(['add', '-A'], work);
  git(['commit', '-q', '-m', 'customers'], work);
  git(['push', '-q', path.join(scratch, 'origin.git'), 'main'], work);
  git(['push', '-q', path.join(scratch, 'origin.git'), 'feature'], clone);
  const shallow = path.join(scratch, 'shallow');
  git(['clone', '-q', '--depth', '1', '--no-single-branch', `file://${path.join(scratch, 'origin.git')}`, shallow], scratch);
  git(['checkout', '-q', 'feature'], shallow);
  const r = await lint(['--changed'], shallow, { GITHUB_BASE_REF: 'main' });
  assert.equal(r.code, 2, r.stdout);
  assert.match(r.stderr, /The clone is shallow and their common history is not in it: fetch the whole history \(actions\/checkout with fetch-depth: 0\)/);
});

test('--changed: an unchanged ORM schema file feeds the model wherever it lives (chosen by its text, not its folder)', async () => {
  const repo = path.join(scratch, 'orm-app');
  fs.mkdirSync(repo);
  git(['init', '-q', '-b', 'main'], repo);
  write(repo, 'package.json', JSON.stringify({ name: 'app', private: true }));
  // no folder or file name says "schema", "db" or "model"
  write(repo, 'src/lib/auth.ts',
    "import { pgTable, serial, text } from 'drizzle-orm/pg-core';\n"
    + "export const users = pgTable('users', { id: serial('id').primaryKey(), email: text('email').notNull().unique(), name: text('name').notNull() });\n");
  write(repo, 'src/util.ts', 'export const one = 1;\n');
  git(['add', '-A'], repo);
  git(['commit', '-q', '-m', 'base'], repo);
  git(['checkout', '-q', '-b', 'feature'], repo);
  write(repo, 'src/signup.ts',
    "import { drizzle } from 'drizzle-orm/node-postgres';\nimport { users } from './lib/auth';\nconst db = drizzle(process.env.DATABASE_URL!);\n"
    + 'export async function signup(name: string, email: string) {\n  await db.insert(users).values({ name, email }).onConflictDoNothing({ target: users.name });\n}\n');
  git(['add', '-A'], repo);
  git(['commit', '-q', '-m', 'signup'], repo);
  const r = await lint(['--changed', 'main', '--format', 'json'], repo);
  assert.notEqual(r.code, 2, r.stderr);
  const files = (JSON.parse(r.stdout) as { files: Array<{ path: string; findings: Array<{ rule: string; line: number }> }> }).files;
  assert.deepEqual(files.map((f) => [f.path, f.findings.map((x) => `${x.rule}:${x.line}`)]), [['src/signup.ts', ['on-conflict-target-without-unique-index:5']]]);
});
