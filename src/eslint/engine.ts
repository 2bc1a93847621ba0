/**
 * The ESLint plugin's only door into dupguard: the analyzer's entry point, the project's
 * `.dupguard.json` and its schema (the project's .sql files), as the CLI reads them. Everything else
 * in src/eslint speaks to this file only, so a change of the engine's API is adapted here alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../engine/analyze';
import { languageFromPath } from '../core/languages';
import type { SourceLanguage } from '../core/types';
import type { SchemaModel } from '../core/schema';
import { ensureParser, parserReady } from '../core/schema/ddl';
import { ScopedSchemas } from '../config/schemaScope';
import type { Finding, Fix, Severity } from '../core/types';
import { rules } from '../rules/index';
import { docsUrl } from '../rules/rule';
import { loadConfig, type DupguardConfig } from '../config/dupguardJson';
import { expandPaths } from '../cli/files';
import { stripSnippet } from '../core/fixes';

export type { Finding, Fix, Severity };

/** What ESLint needs to know of a dupguard rule. */
export interface RuleInfo {
  id: string;
  description: string;
  docs: string;
  severity: Severity;
}

/**
 * Every rule that can report in a TS/JS file: all of them read SQL embedded there (unused-suppression
 * included), except those that need the live database (the editor fills that in).
 */
export const RULES: readonly RuleInfo[] = [
  ...rules.filter((r) => !r.reads.includes('catalog')).map((r) => ({ id: r.id, description: r.description, docs: r.docs, severity: r.severity })),
];

/** Loads PostgreSQL's grammar (WASM): the checks that read parse trees find nothing before it. */
export function loadParser(): Promise<void> {
  return ensureParser().then(() => undefined);
}

/** Whether the grammar is loaded (checks reading parse trees are on). */
export function parserLoaded(): boolean {
  return parserReady();
}

/** A fix's text with snippet placeholders replaced by their default text (ESLint writes plain text). */
export function plainFix(fix: Fix): Fix {
  return fix.snippet ? { ...fix, edits: fix.edits.map((e) => ({ ...e, newText: stripSnippet(e.newText) })) } : fix;
}

interface Loaded {
  config: DupguardConfig;
  /** Folder the project's .sql files are looked for in (the config's, else ESLint's cwd). */
  base: string;
  checked: number;
}

interface Schema {
  schema?: ScopedSchemas;
  /** The .sql files (path, mtime, size) it was built from, and the natural keys. */
  signature: string;
  checked: number;
}

/** Re-read configs and the .sql file list when older than this (an editor keeps the process for hours). */
const RECHECK_MS = 1000;
const configs = new Map<string, Loaded>();
const schemas = new Map<string, Schema>();

/**
 * The findings of dupguard in one TS/JS file, with the nearest `.dupguard.json` above it (rules set
 * to "off", natural keys, embedded tags and functions) and the schema built from the project's .sql
 * files (its `include` globs, else every .sql file under the config's folder or ESLint's cwd).
 * Throws a clear Error when the config file is broken (ESLint shows it as a fatal error).
 */
export function findingsFor(text: string, filename: string, cwd: string): Finding[] {
  const known = languageFromPath(filename);
  if (known === 'sql') return [];
  const language: SourceLanguage = known ?? 'typescript';
  const { config, base } = configFor(path.isAbsolute(filename) ? path.dirname(filename) : cwd, cwd);
  const scoped = schemaFor(config, base);
  let schema: SchemaModel | undefined;
  try {
    schema = scoped?.forFile(path.resolve(cwd, filename));
  } catch {
    schema = undefined;
  }
  return analyze({ text, path: filename, language, schema, config: { rules: config.rules, naturalKeys: config.naturalKeys, embedded: config.embedded } }).findings;
}

function configFor(dir: string, cwd: string): Loaded {
  const now = Date.now();
  const cached = configs.get(dir);
  if (cached && now - cached.checked < RECHECK_MS) return cached;
  let loaded;
  try {
    loaded = loadConfig(dir);
  } catch (e) {
    throw new Error(`eslint-plugin-dupguard: ${e instanceof Error ? e.message : String(e)}`);
  }
  const out = { config: loaded.config, base: loaded.path ? loaded.base : cwd, checked: now };
  configs.set(dir, out);
  return out;
}

function schemaFor(config: DupguardConfig, base: string): ScopedSchemas | undefined {
  const now = Date.now();
  const cached = schemas.get(base);
  if (cached && now - cached.checked < RECHECK_MS) return cached.schema;
  const sqlFiles = projectSqlFiles(config, base);
  const signature = `${JSON.stringify(config.naturalKeys ?? {})}\n${sqlFiles.map((f) => `${f.path}:${f.mtimeMs}:${f.size}`).join('\n')}`;
  if (cached && cached.signature === signature) {
    cached.checked = now;
    return cached.schema;
  }
  // Before the grammar is loaded (a CommonJS config) no schema can be built: try again next time.
  if ((!sqlFiles.length && !config.naturalKeys) || !parserReady()) return undefined;
  const files = sqlFiles.flatMap((f) => {
    try {
      return [{ abs: f.path, path: path.relative(base, f.path).split(path.sep).join('/'), text: fs.readFileSync(f.path, 'utf8').replace(/^\ufeff/, '') }];
    } catch {
      return [];
    }
  });
  let schema: ScopedSchemas | undefined;
  try {
    // each file sees its own package's DDL, as in `dupguard lint` and the editor
    const setting = config.schema?.length ? { base, globs: config.schema } : undefined;
    schema = new ScopedSchemas(files, { fallbackRoot: () => base, naturalKeys: config.naturalKeys, setting: () => setting });
  } catch {
    // No schema: the rules still run, without schema-aware findings (as `dupguard lint` does).
    schema = undefined;
  }
  schemas.set(base, { schema, signature, checked: now });
  return schema;
}

function projectSqlFiles(config: DupguardConfig, base: string): Array<{ path: string; mtimeMs: number; size: number }> {
  let files: string[];
  try {
    const globs = [...(config.include ?? []), ...(config.schema ?? [])];
    const args = globs.length ? globs.map((g) => path.resolve(base, g)) : [base];
    files = expandPaths(args, { cwd: base, exclude: config.exclude, excludeBase: base });
  } catch {
    files = [];
  }
  const out: Array<{ path: string; mtimeMs: number; size: number }> = [];
  for (const f of files) {
    if (languageFromPath(f) !== 'sql') continue;
    try {
      const st = fs.statSync(f);
      out.push({ path: f, mtimeMs: st.mtimeMs, size: st.size });
    } catch {
      // Gone since it was listed.
    }
  }
  return out;
}
