/**
 * `.dupguard.json`: rule severities, natural keys, where SQL hides in TS/JS, include/exclude globs.
 * The one loader the CLI and the editor share: a file's config is the nearest `.dupguard.json` from
 * its folder upward (so each folder of a multi-root workspace, or a nested project, has its own), and
 * the editor's settings layer over it (`layered`). Malformed files are errors that name the file and
 * the place (line:column), never silently ignored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AnalyzerConfig } from '../core/types';
import { isResolved } from './paths';
import type { Severity } from '../core/types';

export const CONFIG_FILE_NAME = '.dupguard.json';

export interface DupguardConfig extends AnalyzerConfig {
  /** Globs linted when no paths are given (relative to the config file's folder). */
  include?: string[];
  /** Globs never linted (relative to the config file's folder; a bare name matches at any depth). */
  exclude?: string[];
  /**
   * Globs of the SQL files that define the schema of the files under this config (relative to the
   * config file's folder; migrations are applied before test fixtures). Unset: the nearest package root.
   */
  schema?: string[];
}

export interface LoadedConfig {
  config: DupguardConfig;
  /** Absolute path of the file read, or undefined when none was found. */
  path?: string;
  /** Folder relative globs resolve against. */
  base: string;
  /** Non-fatal remarks (unknown keys) to print on stderr. */
  warnings: string[];
}

/** A config file that cannot be used: the CLI exits 2 with this message. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const KNOWN_KEYS = new Set(['$schema', 'rules', 'naturalKeys', 'embedded', 'include', 'exclude', 'schema']);
const LEVELS = new Set<string>(['error', 'warning', 'info', 'off']);

/** The nearest `.dupguard.json` from `dir` upward, or undefined. */
export function findConfig(dir: string): string | undefined {
  let cur = path.resolve(dir);
  for (;;) {
    const candidate = path.join(cur, CONFIG_FILE_NAME);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(cur);
    if (parent === cur) return undefined;
    cur = parent;
  }
}

/** Reads the explicit config file, or the nearest one above cwd; none found is an empty config. */
export function loadConfig(cwd: string, explicit?: string): LoadedConfig {
  const file = explicit !== undefined ? path.resolve(cwd, explicit) : findConfig(cwd);
  if (file === undefined) return { config: {}, base: cwd, warnings: [] };
  const shown = path.relative(cwd, file) || file;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`${shown}: cannot read config file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code ?? String(e)})`);
  }
  const { config, warnings } = parseConfig(text, shown);
  return { config, path: file, base: path.dirname(file), warnings };
}

/** Parses and validates config text; `shown` names the file in messages. Throws ConfigError. */
export function parseConfig(text: string, shown: string): { config: DupguardConfig; warnings: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    // V8's message sometimes quotes the whole text and omits the place: find the place ourselves.
    const msg = (e instanceof Error ? e.message : String(e)).replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
    const at = jsonErrorOffset(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    const where = at === undefined ? '' : `:${lineColumn(text, at)}`;
    throw new ConfigError(`${shown}${where}: invalid JSON: ${msg}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${shown}: the config must be a JSON object like { "rules": { ... } }`);
  }
  const o = raw as Record<string, unknown>;
  const warnings: string[] = [];
  for (const k of Object.keys(o)) {
    if (!KNOWN_KEYS.has(k)) warnings.push(`${shown}: unknown key '${k}' ignored (known: ${[...KNOWN_KEYS].filter((x) => x !== '$schema').join(', ')})`);
  }
  const config: DupguardConfig = {};
  if (o.rules !== undefined) {
    const rules = object(o.rules, `${shown}: "rules"`);
    config.rules = {};
    for (const [id, level] of Object.entries(rules)) {
      if (typeof level !== 'string' || !LEVELS.has(level)) {
        throw new ConfigError(`${shown}: "rules"."${id}" must be "error", "warning", "info" or "off" (got ${JSON.stringify(level)})`);
      }
      config.rules[id] = level as Severity | 'off';
    }
  }
  if (o.naturalKeys !== undefined) {
    const keys = object(o.naturalKeys, `${shown}: "naturalKeys"`);
    config.naturalKeys = {};
    for (const [table, cols] of Object.entries(keys)) {
      config.naturalKeys[table] = strings(cols, `${shown}: "naturalKeys"."${table}"`, true);
    }
  }
  if (o.embedded !== undefined) {
    const e = object(o.embedded, `${shown}: "embedded"`);
    config.embedded = {};
    for (const k of Object.keys(e)) {
      if (k !== 'tags' && k !== 'functions' && k !== 'expectedOutput') warnings.push(`${shown}: unknown key 'embedded.${k}' ignored (known: tags, functions, expectedOutput)`);
    }
    if (e.expectedOutput !== undefined) {
      if (typeof e.expectedOutput !== 'boolean') throw new ConfigError(`${shown}: "embedded"."expectedOutput" must be true or false`);
      config.embedded.expectedOutput = e.expectedOutput;
    }
    if (e.tags !== undefined) config.embedded.tags = strings(e.tags, `${shown}: "embedded"."tags"`);
    if (e.functions !== undefined) config.embedded.functions = strings(e.functions, `${shown}: "embedded"."functions"`);
  }
  if (o.include !== undefined) config.include = strings(o.include, `${shown}: "include"`);
  if (o.exclude !== undefined) config.exclude = strings(o.exclude, `${shown}: "exclude"`);
  if (o.schema !== undefined) config.schema = strings(o.schema, `${shown}: "schema"`);
  return { config, warnings };
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`${what} must be an object`);
  return v as Record<string, unknown>;
}

function strings(v: unknown, what: string, nonEmpty = false): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) {
    throw new ConfigError(`${what} must be an array of non-empty strings`);
  }
  if (nonEmpty && v.length === 0) throw new ConfigError(`${what} must name at least one column`);
  return v as string[];
}

function lineColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return `${line}:${offset - start + 1}`;
}

/** Offset of the first JSON syntax error in `text` (strict JSON), or undefined when it is valid. */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        fail();
      }
    }
    if (c === '"') return str();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m![0].length;
  };
  const str = (): void => {
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 34) { i++; return; }
      if (c < 32) fail();
      if (c === 92) {
        const n = text[i + 1];
        if (n === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : !'"\\/bfnrt'.includes(n ?? 'x')) { i++; fail(); }
        i += n === 'u' ? 6 : 2;
        continue;
      }
      i++;
    }
    fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return undefined;
  } catch (at) {
    if (typeof at === 'number') return Math.min(at, text.length);
    throw at;
  }
}

/** The part of a config the analyzer reads. */
export function analyzerPart(config: DupguardConfig): AnalyzerConfig {
  const out: AnalyzerConfig = {};
  if (config.rules) out.rules = config.rules;
  if (config.naturalKeys) out.naturalKeys = config.naturalKeys;
  if (config.embedded) out.embedded = config.embedded;
  return out;
}

/**
 * `over` layered over `base` (editor settings over `.dupguard.json`): a rule level or natural key
 * set in `over` wins, the others of `base` stay; extra tags and query functions add up.
 */
export function layered(base: AnalyzerConfig, over: AnalyzerConfig): AnalyzerConfig {
  const out: AnalyzerConfig = {};
  if (base.rules || over.rules) out.rules = { ...base.rules, ...over.rules };
  if (base.naturalKeys || over.naturalKeys) out.naturalKeys = { ...base.naturalKeys, ...over.naturalKeys };
  const tags = union(base.embedded?.tags, over.embedded?.tags);
  const functions = union(base.embedded?.functions, over.embedded?.functions);
  const expectedOutput = over.embedded?.expectedOutput ?? base.embedded?.expectedOutput;
  if (tags || functions || expectedOutput !== undefined) {
    out.embedded = { tags, functions };
    if (expectedOutput !== undefined) out.embedded.expectedOutput = expectedOutput;
  }
  return out;
}

function union(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (!a) return b;
  if (!b) return a;
  return [...new Set([...a, ...b])];
}

/** The config that applies to one file: found (or not), or the error that makes it unusable. */
export interface FileConfig {
  config: DupguardConfig;
  /** The `.dupguard.json` read, if one was found. */
  path?: string;
  warnings: string[];
  /** Why the file found could not be used (its config is then empty). */
  error?: string;
}

/**
 * Each file's nearest `.dupguard.json`, read once: the editor asks on every analysis. `invalidate()`
 * forgets everything (a `.dupguard.json` was created, changed or deleted).
 */
export class ConfigFiles {
  /** Folder → the config file that applies there ('' for none). */
  private readonly nearest = new Map<string, string>();
  private readonly read = new Map<string, FileConfig>();

  /** `show` names a config file in messages (default: its path as given). */
  constructor(private readonly show: (file: string) => string = (f) => f) {}

  /** The config of the file at `file` (an absolute path). Never throws. */
  forFile(file: string): FileConfig {
    const dir = path.dirname(isResolved(file) ? file : path.resolve(file));
    let found = this.nearest.get(dir);
    if (found === undefined) this.nearest.set(dir, (found = findConfig(dir) ?? ''));
    if (found === '') return NONE;
    let r = this.read.get(found);
    if (!r) this.read.set(found, (r = readConfig(found, this.show(found))));
    return r;
  }

  invalidate(): void {
    this.nearest.clear();
    this.read.clear();
  }
}

const NONE: FileConfig = { config: {}, warnings: [] };

function readConfig(file: string, shown: string): FileConfig {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const { config, warnings } = parseConfig(text, shown);
    return { config, path: file, warnings };
  } catch (e) {
    return { config: {}, path: file, warnings: [], error: e instanceof Error ? e.message : String(e) };
  }
}
