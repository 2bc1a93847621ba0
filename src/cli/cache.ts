/**
 * `dupguard lint --cache` (ESLint's convention): what a run computed, kept for the next one in
 * `node_modules/.cache/dupguard/lint-cache.json` (or `--cache-location`), keyed by content hashes:
 *
 * - the schema model, by the linted SQL files (paths and texts, in order), the natural keys and
 *   this build of dupguard; kept as plain data, with a fingerprint of its content;
 * - each file's findings, by its path, language, text, analyzer config, the schema's fingerprint
 *   and this build. A SQL file edited without changing the model (an INSERT added) leaves every
 *   other file's findings valid; a change to a table or key invalidates every file's.
 *
 * A cache that cannot be read or written is ignored (never an error): the run computes everything.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../core/types';

/** Where `--cache` keeps its file when no `--cache-location` is given (relative to the working folder). */
export const DEFAULT_CACHE_LOCATION = path.join('node_modules', '.cache', 'dupguard', 'lint-cache.json');
const FORMAT = 2;

interface CacheFile {
  format: number;
  build: string;
  schema?: { key: string; prints: Record<string, string> };
  files: Record<string, { key: string; findings: Finding[] }>;
}

/** A hex digest of the parts (each length-prefixed, so no two lists of parts collide). */
export function hashOf(...parts: string[]): string {
  // required here: only --cache hashes, and loading crypto costs every run's start-up
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.length}:`).update(p);
  return h.digest('hex');
}

let buildId: string | undefined;
/** This build of dupguard: the running bundle's (or source module's) content and the version. */
function thisBuild(): string {
  if (buildId === undefined) {
    let code = '';
    try {
      code = fs.readFileSync(__filename, 'utf8');
    } catch {
      // no file to read (an unusual loader): the version alone
    }
    let version = '0.0.0';
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      version = (require('../../package.json') as { version: string }).version;
    } catch {
      // as in toolVersion()
    }
    buildId = hashOf(version, code);
  }
  return buildId;
}

/** The lint cache of one run: read once at the start, written once at the end. */
export class LintCache {
  private readonly old: CacheFile;
  private readonly next: CacheFile;

  private constructor(private readonly file: string, old: CacheFile | undefined) {
    const build = thisBuild();
    this.old = old && old.format === FORMAT && old.build === build ? old : { format: FORMAT, build, files: {} };
    this.next = { format: FORMAT, build, files: {} };
  }

  /** Opens the cache at `location` (relative to `cwd`); an unreadable or foreign file counts as empty. */
  static open(location: string, cwd: string): LintCache {
    const file = path.resolve(cwd, location);
    let old: CacheFile | undefined;
    try {
      old = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
      if (typeof old !== 'object' || old === null || typeof old.files !== 'object' || old.files === null) old = undefined;
    } catch {
      old = undefined;
    }
    return new LintCache(file, old);
  }

  /** The key of the schema inputs: the SQL and ORM schema files, and what else decides the models (natural keys, each file's scope). */
  schemaKey(files: ReadonlyArray<{ path: string; text: string }>, decides: unknown): string {
    return hashOf(JSON.stringify(decides ?? null), ...files.flatMap((f) => [f.path, f.text]));
  }

  /** The fingerprints of the models (by scope) made from the inputs `key`, if the last run made them. */
  prints(key: string): Record<string, string> | undefined {
    const s = this.old.schema;
    return s && s.key === key && typeof s.prints === 'object' && s.prints !== null ? s.prints : undefined;
  }

  /** Keeps the fingerprints made for `key`; returns them. */
  putPrints(key: string, prints: Record<string, string>): Record<string, string> {
    this.next.schema = { key, prints };
    return prints;
  }

  /** Keeps fingerprints read from this cache for the next run. */
  keepPrints(key: string, prints: Record<string, string>): void {
    this.next.schema = { key, prints };
  }

  /** The key of a file's findings. */
  fileKey(rel: string, language: string, text: string, config: unknown, schemaFingerprint: string): string {
    return hashOf(rel, language, JSON.stringify(config ?? null), schemaFingerprint, text);
  }

  /** The findings cached for `abs` under `key` (kept for the next run), if any. */
  findings(abs: string, key: string): Finding[] | undefined {
    const e = this.old.files[abs];
    if (!e || e.key !== key) return undefined;
    this.next.files[abs] = e;
    return e.findings;
  }

  putFindings(abs: string, key: string, findings: Finding[]): void {
    this.next.files[abs] = { key, findings };
  }

  /** Writes what this run keeps (only the files it linted): a new file renamed over the old one. */
  save(): void {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(this.next));
      fs.renameSync(tmp, this.file);
    } catch {
      // a read-only or missing node_modules: the next run computes again
    }
  }
}
