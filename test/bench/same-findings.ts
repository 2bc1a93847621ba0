/**
 * Findings are byte-identical before and after a performance change: `dupguard lint --format json`
 * of an earlier commit (the baseline, built by ./baseline.ts) and of this checkout, on every corpus
 * folder (../shared/corpus: migrations, pg-regress, dumps, ts-real) and on the 20 MB file of
 * bench:cli, in each of the new code's modes (--cache cold, warm, and with only the schema
 * cached). Prints one line per input and mode; exits 1 on any difference, with the first
 * differing line.
 *
 *   npx tsx test/bench/same-findings.ts [--baseline <git ref>] [--only migrations,pg-regress,dumps,ts-real,20mb] [--modes default,...]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBaseline } from './baseline';

const root = path.resolve(__dirname, '../..');
const corpus = path.resolve(root, '../shared/corpus');
/** The last commit before the lint performance work. */
const DEFAULT_BASELINE = '74639fa81b57b6fb072d0e46c35e196fbb6a6eb1';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Mode {
  name: string;
  args: string[];
  env: Record<string, string>;
  /** Runs before the mode's lint (e.g. a cold cache run). */
  before?: (target: string, cwd: string) => void;
}

function lint(cli: string, target: string, cwd: string, args: string[] = [], env: Record<string, string> = {}): { stdout: string; status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'lint', '--format', 'json', ...args, target], {
    cwd, encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, ...env },
  });
  return { stdout: r.stdout, status: r.status, stderr: r.stderr };
}

function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}:\n    before: ${(la[i] ?? '(none)').slice(0, 300)}\n    after:  ${(lb[i] ?? '(none)').slice(0, 300)}`;
  }
  return '(none)';
}

function main(): void {
  if (!fs.existsSync(corpus)) {
    console.log(`note: ${corpus} is absent: nothing compared`);
    return;
  }
  const only = arg('--only')?.split(',');
  const build = spawnSync(process.execPath, [path.join(root, 'esbuild.js')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-same-'));
  let differences = 0;
  try {
    const before = buildBaseline(arg('--baseline') ?? DEFAULT_BASELINE, scratch);
    const after = path.join(root, 'dist', 'cli.js');
    const work = path.join(scratch, 'work');
    fs.mkdirSync(work);
    const targets: string[] = [];
    for (const name of ['migrations', 'pg-regress', 'dumps', 'ts-real']) {
      if (only && !only.includes(name)) continue;
      fs.cpSync(path.join(corpus, name), path.join(work, name), { recursive: true });
      targets.push(name);
    }
    if (!only || only.includes('20mb')) {
      // as bench:cli builds it: pg_dump output, then the migrations, to 20 MB
      const fd = fs.openSync(path.join(work, '20mb.sql'), 'w');
      let written = 0;
      const list = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.sql')).sort().map((f) => path.join(dir, f));
      const dumps = list(path.join(corpus, 'dumps'));
      const migrations = list(path.join(corpus, 'migrations'));
      const put = (f: string) => {
        const b = Buffer.concat([fs.readFileSync(f), Buffer.from('\n;\n')]);
        fs.writeSync(fd, b);
        written += b.length;
      };
      for (const f of dumps) put(f);
      for (let i = 0; written < 20_000_000; i = (i + 1) % migrations.length) put(migrations[i]);
      fs.closeSync(fd);
      targets.push('20mb.sql');
    }
    const cacheDir = path.join(work, 'node_modules', '.cache', 'dupguard');
    const modes: Mode[] = [
      { name: 'default', args: [], env: {} },
      { name: '--cache cold', args: ['--cache'], env: {}, before: () => fs.rmSync(cacheDir, { recursive: true, force: true }) },
      { name: '--cache warm', args: ['--cache'], env: {} },
      {
        // the schema read back from the cache, every file analyzed against it
        name: '--cache schema only', args: ['--cache'], env: {},
        before: () => {
          const file = path.join(cacheDir, 'lint-cache.json');
          const c = JSON.parse(fs.readFileSync(file, 'utf8'));
          c.files = {};
          fs.writeFileSync(file, JSON.stringify(c));
        },
      },
    ];
    const onlyModes = arg('--modes')?.split(',');
    if (onlyModes) modes.splice(0, modes.length, ...modes.filter((m) => onlyModes.includes(m.name)));
    for (const t of targets) {
      const ref = lint(before, t, work);
      console.log(`${t}: before: exit ${ref.status}, ${ref.stdout.length} bytes of JSON`);
      for (const m of modes) {
        m.before?.(t, work);
        const got = lint(after, t, work, m.args, m.env);
        const same = got.stdout === ref.stdout && got.status === ref.status;
        if (!same) differences++;
        console.log(`  ${m.name.padEnd(24)} ${same ? 'identical' : `DIFFERENT (exit ${got.status})\n    ${firstDifference(ref.stdout, got.stdout)}\n    stderr: ${got.stderr.slice(0, 300)}`}`);
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  console.log(differences ? `${differences} difference(s)` : 'every output identical');
  if (differences) process.exitCode = 1;
}

main();
