/**
 * Which files `dupguard lint` reads: paths and globs (`*`, `**`, `?`, `[abc]`, `{a,b}`) expanded
 * against the file system, directories walked for SQL and TS/JS files, generated and vendored
 * folders skipped, config `exclude` globs applied. Paths come back absolute and sorted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { languageFromPath, LINTED_EXTENSIONS, SKIPPED_DIRS } from '../core/languages';

// Folders never walked into (they can still be linted by naming a path inside them), and the file
// extensions read when walking a directory or expanding a glob: the one list in core/languages.ts.
export { LINTED_EXTENSIONS, SKIPPED_DIRS };

/** A path argument that names nothing, or cannot be read: the CLI exits 2 with this message. */
export class FileArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileArgumentError';
  }
}

export interface ExpandOptions {
  cwd: string;
  /** Globs of files to leave out, relative to `excludeBase`. */
  exclude?: string[];
  /** Directory the exclude globs are relative to (the config file's folder); defaults to cwd. */
  excludeBase?: string;
}

/** True for glob syntax (an unescaped `*`, `?`, `[` or `{`). */
export function isGlob(p: string): boolean {
  return /[*?[{]/.test(p);
}

/** Absolute paths of every file the arguments name (default `.`), each once, sorted. Throws FileArgumentError. */
export function expandPaths(args: readonly string[], options: ExpandOptions): string[] {
  const { cwd } = options;
  const excluded = compileExcludes(options.exclude ?? [], options.excludeBase ?? cwd);
  const out = new Set<string>();
  const add = (abs: string) => {
    if (!excluded(abs)) out.add(abs);
  };
  for (const arg of args.length ? args : ['.']) {
    if (arg === '') throw new FileArgumentError('an empty path was given');
    if (isGlob(arg) && !fs.existsSync(path.resolve(cwd, arg))) {
      const matches = expandGlob(arg, cwd);
      if (matches.length === 0) throw new FileArgumentError(`no files match '${arg}'`);
      matches.forEach(add);
      continue;
    }
    const abs = path.resolve(cwd, arg);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new FileArgumentError(code === 'ENOENT' ? `${arg}: no such file or directory` : `${arg}: cannot read (${code ?? String(e)})`);
    }
    if (st.isDirectory()) {
      walk(abs, (f) => add(f));
    } else if (st.isFile()) {
      if (!languageFromPath(abs)) {
        throw new FileArgumentError(`${arg}: not a file dupguard reads (it lints ${LINTED_EXTENSIONS.join(' ')})`);
      }
      add(abs);
    } else {
      throw new FileArgumentError(`${arg}: not a regular file or directory`);
    }
  }
  return [...out].sort(comparePaths);
}

/** Files under `pattern` (relative to cwd or absolute) that dupguard reads. */
export function expandGlob(pattern: string, cwd: string): string[] {
  const normalized = toSlash(pattern).replace(/^(\.\/)+/, '');
  const segments = normalized.split('/');
  let i = 0;
  while (i < segments.length - 1 && !isGlob(segments[i])) i++;
  const baseRel = segments.slice(0, i).join('/');
  const base = path.resolve(cwd, baseRel === '' && normalized.startsWith('/') ? '/' : baseRel || '.');
  const matcher = globToRegExp(segments.slice(i).join('/'));
  const out: string[] = [];
  if (!isDirectory(base)) return out;
  walk(base, (f) => {
    if (matcher.test(toSlash(path.relative(base, f)))) out.push(f);
  }, !segments.slice(i).some((s) => SKIPPED_DIRS.has(s)));
  return out;
}

/**
 * A glob as a RegExp over forward-slash relative paths: `**` spans folders (also none), `*` and `?`
 * stay within one name, `[abc]` and `{a,b}` as in shells. Names starting with a dot match too.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          // `**/` matches zero or more folders; a trailing `**` matches everything below.
          if (i + 2 === glob.length) re += '.*';
          else re += '(?:[^/]*/)*';
          i += 2;
          continue;
        }
        i++;
      }
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
      } else {
        let body = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (body[0] === '!') body = `^${body.slice(1)}`;
        re += `[${body}]`;
        i = close;
      }
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) {
      re += '|';
    } else if (c === '\\' && i + 1 < glob.length) {
      re += escapeRegExp(glob[++i]);
    } else {
      re += escapeRegExp(c);
    }
  }
  re += ')'.repeat(braces);
  return new RegExp(`^${re}$`);
}

/** Walks `dir` calling `onFile` for every linted file; skips SKIPPED_DIRS and never follows directory symlinks. */
function walk(dir: string, onFile: (abs: string) => void, skip = true): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new FileArgumentError(`${dir}: cannot list folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!(skip && SKIPPED_DIRS.has(e.name))) walk(abs, onFile, skip);
    } else if (e.isFile() || (e.isSymbolicLink() && isFile(abs))) {
      if (languageFromPath(e.name)) onFile(abs);
    }
  }
}

function compileExcludes(globs: string[], base: string): (abs: string) => boolean {
  if (globs.length === 0) return () => false;
  const matchers = globs.map((g) => {
    const s = toSlash(g).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    // A name without a slash matches at any depth, as in .gitignore.
    return globToRegExp(s.includes('/') ? s : `**/${s}`);
  });
  return (abs) => {
    const rel = toSlash(path.relative(base, abs));
    if (rel.startsWith('../')) return false;
    // Excluding a folder excludes what is inside it.
    const parts = rel.split('/');
    for (let n = parts.length; n > 0; n--) {
      const prefix = parts.slice(0, n).join('/');
      if (matchers.some((m) => m.test(prefix))) return true;
    }
    return false;
  };
}

/** `p` relative to cwd with forward slashes, as reports show it. */
export function displayPath(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  return toSlash(rel === '' ? path.basename(abs) : rel);
}

function toSlash(p: string): string {
  return p.split(path.sep).join('/');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
