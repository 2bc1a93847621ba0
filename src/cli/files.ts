/**
 * Which files `dupguard lint` reads: paths and globs (`*`, `**`, `?`, `[abc]`, `{a,b}`) expanded
 * against the file system, directories walked for SQL and TS/JS files, generated and vendored
 * folders skipped, config `exclude` globs applied. Paths come back absolute and sorted.
 */
import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { languageFromPath, LINTED_EXTENSIONS, SKIPPED_DIRS } from '../core/languages';
import { globToRegExp } from '../config/glob';

// Folders never walked into (they can still be linted by naming a path inside them), and the file
// extensions read when walking a directory or expanding a glob: the one list in core/languages.ts.
export { LINTED_EXTENSIONS, SKIPPED_DIRS };
// The glob syntax of include/exclude/schema settings and arguments: one copy, in src/config/glob.ts.
export { globToRegExp };

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
  /**
   * Called for a folder met while walking that cannot be listed (permissions): the walk goes on with
   * the rest. Without it, such a folder throws FileArgumentError.
   */
  onUnreadable?: (abs: string, code: string) => void;
  /** Called for each ORM schema file that is not linted (`*.prisma`) met while walking folders: it feeds the schema model. */
  onSchemaFile?: (abs: string) => void;
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
      const matches = expandGlob(arg, cwd, options.onUnreadable);
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
      walk(abs, (f) => add(f), true, options.onUnreadable, options.onSchemaFile && ((f) => { if (!excluded(f)) options.onSchemaFile!(f); }));
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
export function expandGlob(pattern: string, cwd: string, onUnreadable?: (abs: string, code: string) => void): string[] {
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
  }, !segments.slice(i).some((s) => SKIPPED_DIRS.has(s)), onUnreadable);
  return out;
}

/** Walks `dir` calling `onFile` for every linted file; skips SKIPPED_DIRS and never follows directory symlinks. */
function walk(dir: string, onFile: (abs: string) => void, skip = true, onUnreadable?: (abs: string, code: string) => void, onSchemaFile?: (abs: string) => void): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    if (onUnreadable) { onUnreadable(dir, code); return; }
    throw new FileArgumentError(`${dir}: cannot list folder (${code})`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // `dir` is absolute and normalized (resolved, or joined here): the name is appended as path.join would
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  for (const e of entries) {
    const abs = prefix + e.name;
    if (e.isDirectory()) {
      if (!(skip && SKIPPED_DIRS.has(e.name))) walk(abs, onFile, skip, onUnreadable, onSchemaFile);
    } else if (e.isFile() || (e.isSymbolicLink() && isFile(abs))) {
      if (languageFromPath(e.name)) onFile(abs);
      else if (onSchemaFile && /\.prisma$/i.test(e.name)) onSchemaFile(abs);
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

/** A source file's text, as read for linting. */
export interface SourceText {
  /** The text without its byte order mark. */
  text: string;
  bom: boolean;
  /** Byte offset of the first byte that is not valid UTF-8 (the text then holds U+FFFD there), if any. */
  invalidUtf8At?: number;
}

/** Reads a file as decodeSource decodes its bytes: as text in one call; its bytes, where the text holds U+FFFD, a few at a time. */
export function readSource(file: string): SourceText {
  const decoded = fs.readFileSync(file, 'utf8');
  return sourceText(decoded, () => firstInvalidInFile(file, decoded));
}

/** Decodes a file's bytes as UTF-8, noting a byte order mark and where the bytes stop being UTF-8. */
export function decodeSource(bytes: Uint8Array): SourceText {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return sourceText(raw.toString('utf8'), () => invalidUtf8At(raw));
}

/**
 * A file's SourceText from its UTF-8 decoding (byte order mark included) and, asked only when the text
 * holds U+FFFD, where its bytes stop being UTF-8 (undefined: each U+FFFD is written in the file). The
 * text is never decoded again (a second copy of a big file's text was garbage the size of the text).
 */
function sourceText(decoded: string, firstInvalid: () => number | undefined): SourceText {
  const out: SourceText = decoded.charCodeAt(0) === 0xfeff ? { text: decoded.slice(1), bom: true } : { text: decoded, bom: false };
  if (decoded.includes('\ufffd')) {
    const at = firstInvalid();
    if (at !== undefined) out.invalidUtf8At = at;
  }
  return out;
}

/** Real U+FFFD characters looked at in the file before its bytes are read whole instead. */
const FFFD_PEEKS = 64;

/**
 * Where the bytes of `file`, decoded as `decoded`, stop being UTF-8, or undefined: from each U+FFFD of
 * the text in turn, the 3 bytes at its offset (the text before it came from well-formed bytes, so its
 * UTF-8 length is that offset) say whether it is written in the file (EF BF BD) or replaced bytes that
 * are not UTF-8. The whole file is not read a second time: a 12 MB Latin-1 file read again for its
 * bytes left 12 MB in the allocator's heap for the rest of the run.
 */
function firstInvalidInFile(file: string, decoded: string): number | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const peek = Buffer.alloc(3);
    let byte = 0;
    let from = 0;
    for (let i = decoded.indexOf('\ufffd'), k = 0; i >= 0; i = decoded.indexOf('\ufffd', from), k++) {
      if (k === FFFD_PEEKS) return invalidUtf8At(fs.readFileSync(file));
      byte += Buffer.byteLength(decoded.slice(from, i));
      const n = fs.readSync(fd, peek, 0, 3, byte);
      if (n < 3 || peek[0] !== 0xef || peek[1] !== 0xbf || peek[2] !== 0xbd) return byte;
      byte += 3;
      from = i + 1;
    }
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Where `bytes` stop being UTF-8, or undefined when they are UTF-8 throughout. */
function invalidUtf8At(bytes: Uint8Array): number | undefined {
  return isUtf8(bytes) ? undefined : firstInvalidUtf8(bytes);
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n = 0;
    let min = 0;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000; }
    else return i;
    if (i + n >= b.length) return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if ((x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}

/**
 * Writes `text` (UTF-8) over `file` whole: into a new temporary file beside the real file, created
 * exclusively under a random name (a planted file or link at a guessable name cannot receive the
 * write), then renamed over it. A symbolic link is followed: its target gets the new content and the
 * link stays a link. The file's permission bits are kept; a read-only file fails as a plain write would.
 */
export function writeFileWhole(file: string, text: string): void {
  const target = fs.realpathSync(file);
  fs.accessSync(target, fs.constants.W_OK);
  const mode = fs.statSync(target).mode & 0o7777;
  // required here: only --fix writes, and loading crypto costs every run's start-up
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.dupguard-${randomBytes(8).toString('hex')}.tmp`);
  let fd: number | undefined;
  let created = false;
  try {
    fd = fs.openSync(tmp, 'wx', 0o600);
    created = true;
    fs.writeFileSync(fd, text);
    fs.fchmodSync(fd, mode);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    if (created) fs.rmSync(tmp, { force: true });
    throw e;
  }
}
