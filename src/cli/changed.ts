/**
 * `dupguard lint --changed [<base-ref>]`: which files a pull request changed. The base is the merge
 * base of HEAD with the given ref, else with the pull request's base branch (GITHUB_BASE_REF), else
 * with the default branch (origin/HEAD, origin/main, origin/master, main, master). Changed means
 * added, copied, modified, renamed or retyped between that commit and the working tree, plus
 * untracked files that are not ignored. Only the listing lives here: lint still reads the whole
 * project for its schema.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './args';

/** `--changed` as given: `base` is the ref named after it, if any. */
export interface ChangedOption {
  base?: string;
}

/** The files to lint and how the base was found (for the note on stderr). */
export interface ChangedFiles {
  /** Real (symlink-free) absolute paths of the changed files. */
  files: Set<string>;
  /** The ref the merge base was taken with, e.g. `origin/main`. */
  ref: string;
  /** The merge base commit, abbreviated. */
  mergeBase: string;
}

/** git is missing, this is no repository, the base cannot be found: the CLI exits 2 with this message. */
export class ChangedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChangedError';
  }
}

/**
 * Takes `--changed`, `--changed=<ref>` or `--changed <ref>` out of argv. After `--changed`, the next
 * argument is the base ref when it is no option and git resolves it to a commit (a path otherwise,
 * as git itself tells refs from paths); `--changed=<ref>` is never ambiguous.
 */
export function takeChangedFlag(argv: readonly string[], cwd: string): { argv: string[]; changed?: ChangedOption } {
  const rest: string[] = [];
  let changed: ChangedOption | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--changed' || a.startsWith('--changed=')) {
      if (changed) throw new UsageError(`option '--changed' was given twice`);
      if (a.startsWith('--changed=')) {
        const base = a.slice('--changed='.length);
        if (!base) throw new UsageError(`option '--changed=' needs a git ref after the '=' (or use '--changed' alone)`);
        changed = { base };
      } else {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('-') && resolvesToCommit(next, cwd)) {
          changed = { base: next };
          i++;
        } else {
          changed = {};
        }
      }
      continue;
    }
    rest.push(a);
  }
  return { argv: rest, changed };
}

/** The files changed against the merge base (see the module comment). Throws ChangedError. */
export function changedFiles(cwd: string, option: ChangedOption, env: NodeJS.ProcessEnv = process.env): ChangedFiles {
  const top = gitTop(cwd);
  const ref = option.base ?? defaultBase(top, env);
  if (!resolvesToCommit(ref, top)) {
    throw new ChangedError(option.base
      ? `--changed: '${ref}' is not a branch, tag or commit of this repository${shallow(top) ? ' (the clone is shallow: fetch it, e.g. git fetch origin ' + ref.replace(/^origin\//, '') + ')' : ''}`
      : `--changed: no base to compare with: '${ref}' is not in this clone; name one (dupguard lint --changed origin/main) or fetch it`);
  }
  const mb = git(['merge-base', ref, 'HEAD'], top);
  if (mb.status !== 0) {
    const hint = shallow(top)
      ? ' The clone is shallow and their common history is not in it: fetch the whole history (actions/checkout with fetch-depth: 0) or deepen it (git fetch --deepen=200).'
      : '';
    throw new ChangedError(`--changed: HEAD and '${ref}' have no common commit.${hint}`);
  }
  const base = mb.stdout.trim();
  const diff = git(['diff', '--name-only', '-z', '--no-renames', '--diff-filter=ACMRT', base, '--'], top);
  if (diff.status !== 0) throw new ChangedError(`--changed: git diff failed: ${diff.stderr.trim()}`);
  const untracked = git(['ls-files', '-z', '--others', '--exclude-standard'], top);
  const files = new Set<string>();
  for (const rel of [...diff.stdout.split('\0'), ...(untracked.status === 0 ? untracked.stdout.split('\0') : [])]) {
    if (rel) files.add(realpath(path.join(top, rel)));
  }
  return { files, ref, mergeBase: base.slice(0, 12) };
}

/** A path as `changedFiles` lists it (symlinks resolved), to compare with. */
export function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function defaultBase(top: string, env: NodeJS.ProcessEnv): string {
  // In a pull request's workflow, the branch it will merge into.
  if (env.GITHUB_BASE_REF) return `origin/${env.GITHUB_BASE_REF}`;
  const head = git(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], top);
  if (head.status === 0 && head.stdout.trim()) return head.stdout.trim();
  for (const ref of ['origin/main', 'origin/master', 'main', 'master']) {
    if (resolvesToCommit(ref, top)) return ref;
  }
  return 'origin/main';
}

function gitTop(cwd: string): string {
  const r = git(['rev-parse', '--show-toplevel'], cwd);
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new ChangedError(code === 'ENOENT' ? '--changed needs git, and git is not installed (or not on PATH)' : `--changed: cannot run git (${code ?? r.error.message})`);
  }
  if (r.status !== 0) throw new ChangedError(`--changed needs a git repository, and ${cwd} is not in one`);
  return r.stdout.trim();
}

function shallow(top: string): boolean {
  return git(['rev-parse', '--is-shallow-repository'], top).stdout.trim() === 'true';
}

function resolvesToCommit(ref: string, cwd: string): boolean {
  return git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], cwd).status === 0;
}

function git(args: string[], cwd: string) {
  // required here: `lint` without --changed never loads child_process (start-up time)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}
