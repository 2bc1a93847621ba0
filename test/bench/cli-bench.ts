/**
 * `dupguard lint` against the two PostgreSQL linters users already have, as whole processes on the
 * same files (issue 17): squawk-cli and @postgres-language-server/cli (`check --disable-db`), installed
 * on first use (installPeers below); their native binaries come inside their npm packages. Each run is timed by
 * /usr/bin/time: CPU = user + sys of the process and its children, peak = maximum resident set size.
 * Runs are interleaved (round r runs every tool on every input, in rotated order) so that the load of
 * a shared machine falls on all of them alike; the medians and the ratios are printed. A benchmark,
 * never a test: nothing here fails on a figure.
 *
 * Inputs, built in a temporary folder from ../shared/corpus:
 *   migrations   the corpus's real app migrations (a folder of files)
 *   pg-regress   PostgreSQL's regression SQL (a folder of files)
 *   20mb         pg_dump output (dumps) followed by the migrations concatenated, to 20 MB, one file
 *   small        one short migration: the cold start
 * squawk 2.66's parser gets stuck on some files (psql `:VAR` placeholders, some regression files:
 * it panics after seconds and gigabytes, and one panic ends its whole run), and on pg_dump's COPY
 * data: the folders hold only the files squawk lints alone (each is tried first, 3 s at most), so
 * every tool reads the same files, and squawk is not run on the 20 MB file.
 *
 *   npm run bench:cli [-- --runs 5] [--baseline <git ref>] [--only migrations,pg-regress,20mb,small] [--no-peers] [--cache]
 *
 * --baseline builds dupguard's CLI as it was at that commit (git archive into a temporary folder,
 * bundled with this checkout's node_modules) and runs it as one more tool: before/after in one run.
 * --cache adds `dupguard lint --cache` with its cache filled beforehand (a re-run with nothing changed).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBaseline } from './baseline';
import { listSqlFiles, writeBigSqlFile } from '../support/corpus';

/**
 * The peers, installed on first use into node_modules/.cache (not dev dependencies: their packages list
 * a binary per platform as optional dependencies, and a registry without the other platforms' packages
 * makes `npm ci` of the project fail). Exact versions, as the issue measured.
 */
const PEERS = ['squawk-cli@2.66.0', '@postgres-language-server/cli@0.25.5'];
function installPeers(): string {
  const dir = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'dupguard-bench-peers');
  const stamp = path.join(dir, 'installed.json');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === JSON.stringify(PEERS)) return dir;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{"private": true}\n');
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, ...PEERS], { stdio: 'inherit' });
  if (r.status === 0) fs.writeFileSync(stamp, JSON.stringify(PEERS));
  else console.log('note: the peer linters did not install; measured without them');
  return dir;
}

const root = path.resolve(__dirname, '../..');
const corpus = path.resolve(root, '../shared/corpus');
const TIME = '/usr/bin/time';
const BIG_BYTES = 20_000_000;

interface Tool {
  name: string;
  /** Command line for a target (a folder, or one file); undefined when the tool does not take it. */
  command(target: Target): string[] | undefined;
}
interface Target {
  name: string;
  /** A folder, or one file. */
  path: string;
  /** Every .sql file under it (squawk takes files, not folders). */
  files: string[];
  bytes: number;
}
interface Sample { cpu: number; wall: number; peakKb: number; exit: number | null }

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function copyTree(files: string[], from: string, to: string): string[] {
  return files.map((f) => {
    const dest = path.join(to, path.relative(from, f));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(f, dest);
    return dest;
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs one command under /usr/bin/time; stdout goes to a file (read by nobody: it is not measured). */
function measure(cmd: string[], cwd: string, scratch: string): Sample {
  const timeFile = path.join(scratch, 'time.txt');
  const out = fs.openSync(path.join(scratch, 'stdout.txt'), 'w');
  const err = fs.openSync(path.join(scratch, 'stderr.txt'), 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '%U %S %M', '-o', timeFile, ...cmd], { cwd, stdio: ['ignore', out, err] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.closeSync(out);
  fs.closeSync(err);
  // the last line: a command killed by a signal gets a "Command terminated..." line first
  const last = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
  const [user, sys, peakKb] = last.split(/\s+/).map(Number);
  return { cpu: user + sys, wall, peakKb, exit: r.status };
}

function main(): void {
  if (!fs.existsSync(corpus)) {
    console.log(`note: ${corpus} is absent: the CLI benchmark needs the corpus, nothing measured`);
    return;
  }
  if (!fs.existsSync(TIME)) {
    console.log(`note: ${TIME} is absent (Debian package "time"): nothing measured`);
    return;
  }
  const runs = Number(arg('--runs') ?? 5);
  const only = arg('--only')?.split(',');
  const baselineRef = arg('--baseline');
  const peers = !process.argv.includes('--no-peers');

  const build = spawnSync(process.execPath, [path.join(root, 'esbuild.js')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-clibench-'));
  try {
    const inputs = path.join(scratch, 'inputs');
    const targets: Target[] = [];
    const add = (name: string, p: string, files: string[]) => {
      if (only && !only.includes(name)) return;
      targets.push({ name, path: p, files, bytes: files.reduce((n, f) => n + fs.statSync(f).size, 0) });
    };
    const migrations = listSqlFiles(path.join(corpus, 'migrations'));
    const regress = listSqlFiles(path.join(corpus, 'pg-regress'));
    const dumps = listSqlFiles(path.join(corpus, 'dumps'));
    const peerDir = peers ? installPeers() : '';
    const squawk = path.join(peerDir, 'node_modules/@squawk-cli/linux-x64/bin/squawk');
    const pls = path.join(peerDir, 'node_modules/@postgres-language-server/cli-x86_64-linux-gnu/postgres-language-server');
    const hasSquawk = peers && fs.existsSync(squawk);
    /** The files squawk lints alone (exit 0 or 1 within 3 s): the others would end its whole run. */
    const squawkable = (files: string[]): string[] => {
      if (!hasSquawk) return files;
      const ok = files.filter((f) => {
        const r = spawnSync(squawk, [f], { stdio: 'ignore', timeout: 3000 });
        return r.status === 0 || r.status === 1;
      });
      if (ok.length < files.length) console.log(`squawk cannot lint ${files.length - ok.length} of ${files.length} files (left out for every tool): ${files.filter((f) => !ok.includes(f)).map((f) => path.relative(corpus, f)).join(', ')}`);
      return ok;
    };
    const folder = (name: string, files: string[]) => {
      if (only && !only.includes(name)) return;
      add(name, path.join(inputs, name), copyTree(squawkable(files), path.join(corpus, name), path.join(inputs, name)));
    };
    folder('migrations', migrations);
    folder('pg-regress', regress);
    if (!only || only.includes('20mb')) {
      const big = path.join(inputs, 'big', 'big.sql');
      writeBigSqlFile(big, BIG_BYTES, corpus);
      add('20mb', big, [big]);
    }
    {
      // a short migration with a table, a key and an upsert: the whole start-up of a small run
      const small = migrations.find((f) => /insert/i.test(fs.readFileSync(f, 'utf8')) && fs.statSync(f).size < 2000) ?? migrations[0];
      const dest = path.join(inputs, 'small', path.basename(small));
      copyTree([small], path.dirname(small), path.dirname(dest));
      add('small', dest, [dest]);
    }

    const dupguard = (name: string, cli: string): Tool => ({
      name,
      command: (t) => [process.execPath, cli, 'lint', '--format', 'json', t.path],
    });
    const tools: Tool[] = [dupguard('dupguard', path.join(root, 'dist', 'cli.js'))];
    if (process.argv.includes('--cache')) {
      // a CI or editor re-run with nothing changed: the cache (one per input) filled before the rounds
      const cli = path.join(root, 'dist', 'cli.js');
      const location = (t: Target) => path.join(scratch, 'caches', `${t.name}.json`);
      tools.push({ name: 'dupguard --cache', command: (t) => [process.execPath, cli, 'lint', '--format', 'json', '--cache', '--cache-location', location(t), t.path] });
      for (const t of targets) spawnSync(process.execPath, [cli, 'lint', '--format', 'json', '--cache', '--cache-location', location(t), t.path], { cwd: scratch, stdio: 'ignore' });
    }
    if (baselineRef) tools.push(dupguard(`dupguard@${baselineRef.slice(0, 10)}`, buildBaseline(baselineRef, scratch)));
    if (peers) {
      if (hasSquawk) tools.push({ name: 'squawk', command: (t) => (t.name === '20mb' ? undefined : [squawk, '--reporter', 'gcc', ...t.files]) });
      else console.log('note: squawk-cli has no binary for this platform here; measured without it');
      // --files-max-size: its default (1 MiB) would skip the 20 MB file and measure nothing
      if (fs.existsSync(pls)) tools.push({ name: 'pgls', command: (t) => [pls, 'check', '--disable-db', '--files-max-size=1000000000', '--diagnostic-level=info', t.path] });
      else console.log('note: @postgres-language-server/cli has no binary for this platform here; measured without it');
    }

    console.log(`inputs: ${targets.map((t) => `${t.name} ${t.files.length} file(s) ${(t.bytes / 1e6).toFixed(1)} MB`).join(', ')}`);
    console.log(`tools: ${tools.map((t) => t.name).join(', ')}; ${runs} interleaved rounds; ${os.cpus().length} cores; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const samples = new Map<string, Sample[]>();
    const key = (tool: string, target: string) => `${tool}\u0000${target}`;
    for (let r = 0; r < runs; r++) {
      for (const t of targets) {
        // rotate the order each round: no tool always runs first (warm page cache, quiet machine)
        for (let k = 0; k < tools.length; k++) {
          const tool = tools[(k + r) % tools.length];
          const cmd = tool.command(t);
          if (!cmd) continue;
          const s = measure(cmd, scratch, scratch);
          let list = samples.get(key(tool.name, t.name));
          if (!list) samples.set(key(tool.name, t.name), (list = []));
          list.push(s);
        }
      }
      process.stdout.write(`round ${r + 1}/${runs} done (load ${os.loadavg()[0].toFixed(2)})\n`);
    }
    console.log(`load at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log('');
    const cpu = (tool: string, target: string) => median((samples.get(key(tool, target)) ?? []).map((s) => s.cpu));
    const col = (s: string, w: number) => s.padStart(w);
    console.log(`${'input'.padEnd(12)}${tools.map((t) => col(`${t.name} CPU s`, 24) + col('peak MB', 9) + col('wall s', 8)).join('')}`);
    for (const t of targets) {
      let line = t.name.padEnd(12);
      for (const tool of tools) {
        const list = samples.get(key(tool.name, t.name));
        if (!list?.length) { line += col('-', 24) + col('-', 9) + col('-', 8); continue; }
        const exits = [...new Set(list.map((s) => s.exit))].join('/');
        line += col(`${median(list.map((s) => s.cpu)).toFixed(2)} (exit ${exits})`, 24)
          + col((median(list.map((s) => s.peakKb)) * 1024 / 1e6).toFixed(0), 9)
          + col(median(list.map((s) => s.wall)).toFixed(2), 8);
      }
      console.log(line);
    }
    console.log('');
    console.log('CPU ratios (dupguard / other; below 1: dupguard uses less):');
    for (const t of targets) {
      const mine = cpu('dupguard', t.name);
      const parts = tools.slice(1).map((o) => `${o.name} ${samples.get(key(o.name, t.name))?.length ? `${(mine / cpu(o.name, t.name)).toFixed(2)}x` : '-'}`);
      console.log(`  ${t.name.padEnd(12)}${parts.join('   ')}`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main();
