/**
 * The one list of what dupguard reads: file extensions and their languages, the editor's language
 * ids, and the folders nobody lints (dependencies, build output, caches). The CLI's folder walk, its
 * globs, the editor's include/exclude defaults (package.json repeats them; a unit test keeps both
 * equal) and Lint Workspace all read it from here.
 */
import type { SourceLanguage } from './types';

/** File extension (lower case, without the dot) → language. */
const BY_EXTENSION: ReadonlyMap<string, SourceLanguage> = new Map([
  ['sql', 'sql'], ['psql', 'sql'], ['pgsql', 'sql'],
  ['ts', 'typescript'], ['tsx', 'typescriptreact'], ['mts', 'typescript'], ['cts', 'typescript'],
  ['js', 'javascript'], ['jsx', 'javascriptreact'], ['mjs', 'javascript'], ['cjs', 'javascript'],
]);

/** File extensions dupguard reads, with their dot. */
export const LINTED_EXTENSIONS: readonly string[] = [...BY_EXTENSION.keys()].map((e) => `.${e}`);

/** Folders never walked or linted, at any depth: dependencies, VCS data, build output, caches. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['node_modules', '.git', 'dist', 'out', 'build', 'coverage', '.cache']);

/** The language a file name implies, or undefined for files dupguard does not read. */
export function languageFromPath(path: string): SourceLanguage | undefined {
  // what follows the last dot, when it is ASCII letters only (called for every file a run walks and reads)
  const ext = path.slice(path.lastIndexOf('.') + 1);
  if (ext.length === path.length) return undefined;
  return BY_EXTENSION.get(ext) ?? (/^[a-z]+$/i.test(ext) ? BY_EXTENSION.get(ext.toLowerCase()) : undefined);
}

/** SQL language ids: VS Code's own plus those SQL extensions contribute. */
export const SQL_LANGUAGE_IDS = ['sql', 'pgsql', 'postgres', 'postgresql', 'psql'] as const;
export const SCRIPT_LANGUAGE_IDS = ['typescript', 'javascript', 'typescriptreact', 'javascriptreact'] as const;
/** Every editor language id dupguard reads (package.json's activation events list the same). */
export const LANGUAGE_IDS: readonly string[] = [...SQL_LANGUAGE_IDS, ...SCRIPT_LANGUAGE_IDS];

/** The analyzer language for an editor language id, or undefined when dupguard does not read it. */
export function languageFromId(languageId: string): SourceLanguage | undefined {
  if ((SQL_LANGUAGE_IDS as readonly string[]).includes(languageId)) return 'sql';
  if ((SCRIPT_LANGUAGE_IDS as readonly string[]).includes(languageId)) return languageId as SourceLanguage;
  return undefined;
}

/** Glob of every linted file (the editor's default `include`). */
export const INCLUDE_GLOB = `**/*.{${[...BY_EXTENSION.keys()].join(',')}}`;

/** Globs of the skipped folders (the editor's default `exclude`). */
export const EXCLUDE_GLOBS: readonly string[] = [...SKIPPED_DIRS].map((d) => `**/${d}/**`);
