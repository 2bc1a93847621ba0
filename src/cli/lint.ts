/**
 * `dupguard lint [paths or globs...]`: finds the files, reads the config, builds the schema model
 * from the linted SQL files (migrations in name order) plus configured natural keys, analyzes each
 * file and prints the findings in the chosen format. Exit 0: no error-level finding; 1: some (or
 * more warnings than --max-warnings); 2: usage, config or I/O error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isOrmSchemaPath, mayDeclareOrmSchema, ormSchemaOf } from '../embedded/orm/model';
import { analyze as realAnalyze, type AnalyzeInput, type AnalyzeResult } from '../engine/analyze';
import { sizeForCliRun } from '../engine/caches';
import { languageFromPath } from '../core/languages';
import { applyFixes, lineBreakOf, preferredFixes } from '../core/fixes';
import type { SchemaModel } from '../core/schema';
import { ensureParser } from '../core/schema/ddl';
import { schemaScopeOf, ScopedSchemas, type SchemaSetting, type ScopeFile, type ScopedSchemaOptions } from '../config/schemaScope';
import { MAX_PARSE_CHARS, oversizedStatements } from '../core/schema/pg';
import type { Finding } from '../core/types';
import { rules } from '../rules/index';
import { docsUrl } from '../rules/rule';
import { formatHelp, parseArgs, UsageError } from './args';
import { ChangedError, changedFiles, realpath, takeChangedFlag, type ChangedFiles } from './changed';
import { analyzerPart, ConfigError, ConfigFiles, loadConfig, type DupguardConfig } from '../config/dupguardJson';
import type { AnalyzerConfig } from '../core/types';
import { displayPath, expandGlob, expandPaths, FileArgumentError, readSource, SKIPPED_DIRS, writeFileWhole } from './files';
import { formatGithub } from './format/github';
import { formatJson } from './format/json';
import { reportFile, summarize, type LintReport, type RuleInfo } from './format/report';
import { formatSarif } from './format/sarif';
import { formatText } from './format/text';
import type { CliIO } from './io';
import { DEFAULT_CACHE_LOCATION, hashOf, LintCache } from './cache';

/** Passes of --fix per file, as ESLint does: a fix may make room for another, or another finding. */
const MAX_FIX_PASSES = 10;

export const FLAGS = {
  format: { type: 'string', short: 'f', choices: ['text', 'json', 'sarif', 'github'], default: 'text', description: 'output format' },
  config: { type: 'string', short: 'c', valueName: 'file', description: `config file (default: nearest .dupguard.json from the working folder up)` },
  'max-warnings': { type: 'number', valueName: 'n', description: 'exit 1 when there are more than n warnings' },
  quiet: { type: 'boolean', short: 'q', description: 'report errors only' },
  'no-schema': { type: 'boolean', description: 'do not build a schema model from the linted .sql files' },
  fix: { type: 'boolean', description: "apply each finding's preferred fix to the files (not those that need a name typed in), then report what is left" },
  'fix-dry-run': { type: 'boolean', description: 'as --fix, but write nothing: report what would be left, and the files that would change' },
  cache: { type: 'boolean', description: `keep the schema and each file's findings for the next run (by content hash, in ${DEFAULT_CACHE_LOCATION}); only what changed is read again. Not with --fix` },
  'cache-location': { type: 'string', valueName: 'file', description: `where --cache keeps them (default ${DEFAULT_CACHE_LOCATION}, from the working folder)` },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const;

const USAGE = `Usage: dupguard lint [paths or globs...] [options]

Lints .sql/.psql/.pgsql files and SQL embedded in .ts/.tsx/.js/.jsx/.mjs/.cjs/.mts/.cts files.
Folders are walked (${[...SKIPPED_DIRS].join(', ')} are skipped); globs support *, ** and ?.
Default path: the config's "include" globs, else the working folder.

Options:
${formatHelp(FLAGS)}
      --changed [<base-ref>]             lint only the files changed since the merge base with <base-ref> (default: the pull
                                         request's base branch, else the default branch); the schema still comes from every file

--fix runs up to ${MAX_FIX_PASSES} passes per file (fixes that touch the same text wait for the next pass); each file is
written whole (a new temporary file renamed over it), keeping its byte order mark and line breaks; a symbolic link's
target is written, and a file that is not valid UTF-8 is linted but never fixed.

A folder or file that cannot be read is reported and skipped; the rest is linted and the exit status is 2.

Exit status: 0 no error-level findings, 1 error-level findings (or too many warnings), 2 usage or I/O error.`;


/** The note on a statement the parser is not given (longer than MAX_PARSE_CHARS). */
export const STATEMENT_TOO_LARGE = 'statement-too-large';

/** Info findings for the statements of a SQL file too long to parse (memory stays bounded by the limit). */
function oversizedFindings(text: string): Finding[] {
  return oversizedStatements(text).map(([start, end]): Finding => {
    const lineEnd = text.indexOf('\n', start);
    return {
      rule: STATEMENT_TOO_LARGE, severity: 'info', fixes: [],
      message: `This statement is ${((end - start) / 1e6).toFixed(1)} million characters, over the ${(MAX_PARSE_CHARS / 1e6).toFixed(1)} million the SQL parser is given at once: the checks that read its parse tree skip it (the others still run). Split it into smaller statements to have it checked.`,
      start, end: lineEnd > start && lineEnd < end ? lineEnd : Math.min(end, start + 200),
    };
  });
}

/** What lint needs from the analyzer; tests inject fakes, the CLI uses the real ones. */
export interface LintDeps {
  analyze(input: AnalyzeInput): AnalyzeResult;
  /**
   * Loads PostgreSQL's grammar (libpg-query): the rules that read a statement's parse tree (SELECT
   * filters for check-then-insert-race, MERGE sources, upsert guards, VALUES keys...) find nothing without it.
   */
  loadParser(): Promise<void>;
  /**
   * The schema models of the linted SQL files (and those a `schema` setting names), one per scope:
   * each file sees its own package's DDL (src/config/schemaScope.ts).
   */
  loadSchemas(files: ScopeFile[], options: ScopedSchemaOptions): Promise<{ forFile(abs: string): SchemaModel | undefined }>;
  /** Rule metadata for SARIF. */
  rules: readonly RuleInfo[];
  /** Writes a fixed file whole (--fix); tests inject failures. */
  writeFile?(file: string, text: string): void;
}

export const defaultDeps: LintDeps = {
  analyze: realAnalyze,
  loadParser: ensureParser,
  loadSchemas: async (files, options) => {
    await ensureParser();
    return new ScopedSchemas(files, options);
  },
  rules: [
    ...rules.map((r) => ({ id: r.id, description: r.description, docs: r.docs, severity: r.severity })),
    {
      id: STATEMENT_TOO_LARGE,
      description: 'A statement too long for the SQL parser: the checks that read parse trees skip it.',
      docs: docsUrl(STATEMENT_TOO_LARGE),
      severity: 'info',
    },
  ],
};

/**
 * The files whose ORM declarations (Drizzle tables, Prisma models, Kysely/knex migrations, entities)
 * feed the schema model: the Prisma schemas, and the TS/JS files read for linting whose text may
 * declare tables (`mayDeclareOrmSchema`, the editor's test too).
 */
export function ormSchemaSources(texts: ReadonlyArray<{ abs: string; rel: string; text: string }>): ScopeFile[] {
  return texts.filter((t) => languageFromPath(t.abs) !== 'sql' && mayDeclareOrmSchema(t.rel, t.text)).map((t) => ({ abs: t.abs, path: t.rel, text: t.text }));
}

/**
 * The content hash of a schema model, for the --cache keys: its tables (keys, origins and all) and,
 * when ORM schema files feed it, their texts (the ORM's own names live there).
 */
export function schemaFingerprintOf(model: SchemaModel | undefined, ormTexts: ReadonlyMap<string, string>): string {
  if (!model) return 'none';
  const orm = ormSchemaOf(model);
  const ormFiles = orm ? orm.orm.files.map((f) => [f.path, ormTexts.get(f.path) ?? '']) : [];
  return hashOf(JSON.stringify([...model.tables()]), JSON.stringify(ormFiles));
}

/** Runs `dupguard lint`; returns the exit code. */
export async function run(argv: string[], io: CliIO, deps: LintDeps = defaultDeps): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`dupguard lint: ${message}\n`);
    return 2;
  };
  let parsed;
  let changedOption;
  try {
    ({ argv, changed: changedOption } = takeChangedFlag(argv, io.cwd));
    parsed = parseArgs(argv, FLAGS);
  } catch (e) {
    if (e instanceof UsageError) return fail(`${e.message}\nRun 'dupguard lint --help' for the options.`);
    throw e;
  }
  const { flags, positionals } = parsed;
  // each file is read once (no parse tree kept); --fix reads a file again after each pass of fixes
  sizeForCliRun(!!(flags.fix || flags['fix-dry-run']));
  if (flags.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const maxWarnings = flags['max-warnings'];
  if (maxWarnings !== undefined && (!Number.isInteger(maxWarnings) || maxWarnings < 0)) {
    return fail(`option '--max-warnings' needs a whole number of 0 or more, got '${maxWarnings}'`);
  }

  /** I/O problems that do not stop the run (it lints the rest and exits 2 at the end). */
  const ioProblems: string[] = [];
  const ioProblem = (message: string) => {
    ioProblems.push(message);
    io.stderr(`dupguard lint: ${message}\n`);
  };
  let config: DupguardConfig;
  let loaded: ReturnType<typeof loadConfig>;
  const nearest = new ConfigFiles((f) => path.relative(io.cwd, f) || f);
  let files: string[];
  /** Prisma schemas met while walking: they feed the schema model and are linted for the keys they declare. */
  const prismaFiles: string[] = [];
  // Each file's analyzer config: the nearest .dupguard.json from its folder up (--config: that one for all)
  const configs = new Map<string, AnalyzerConfig>();
  try {
    loaded = loadConfig(io.cwd, flags.config);
    for (const w of loaded.warnings) io.stderr(`dupguard lint: warning: ${w}\n`);
    config = loaded.config;
    const useInclude = positionals.length === 0 && (config.include?.length ?? 0) > 0;
    // `include` globs are relative to the config file's folder.
    const args = useInclude ? config.include!.map((g) => path.resolve(loaded.base, g)) : positionals;
    // An unreadable folder is reported and skipped: the rest is linted, the run ends with exit 2.
    files = expandPaths(args, {
      cwd: io.cwd, exclude: config.exclude, excludeBase: loaded.base,
      onSchemaFile: (abs) => prismaFiles.push(abs),
      onUnreadable: (abs, code) => ioProblem(`${displayPath(abs, io.cwd)}: cannot list folder (${code}); not linted`),
    });
    if (prismaFiles.length) files = [...files, ...prismaFiles].sort();
    const own = analyzerPart(config);
    const warned = new Set<string>();
    for (const abs of files) {
      const found = flags.config === undefined ? nearest.forFile(abs) : undefined;
      // no config above the file (it lies outside the project): the working folder's applies
      if (!found?.path || found.path === loaded.path) {
        configs.set(abs, own);
        continue;
      }
      if (found.error) throw new ConfigError(found.error);
      if (!warned.has(found.path)) for (const w of found.warnings) io.stderr(`dupguard lint: warning: ${w}\n`);
      warned.add(found.path);
      configs.set(abs, analyzerPart(found.config));
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof FileArgumentError) return fail(e.message);
    throw e;
  }
  // --changed: every file still feeds the schema, only the changed ones are linted (and read, if not SQL).
  let since: ChangedFiles | undefined;
  if (changedOption) {
    try {
      since = changedFiles(io.cwd, changedOption, io.env);
    } catch (e) {
      if (e instanceof ChangedError) return fail(e.message);
      throw e;
    }
    const changed = since.files;
    io.stderr(`dupguard lint: --changed: ${files.filter((f) => changed.has(realpath(f))).length} file(s) to lint changed since ${since.ref} (merge base ${since.mergeBase})\n`);
    // TS/JS files that did not change are read only to see whether they declare ORM tables (below)
    files = files.filter((f) => changed.has(realpath(f)) || languageFromPath(f) === 'sql' || isOrmSchemaPath(f));
  }

  if (files.length === 0 && !since) {
    // Not an error (an empty folder is clean), but a CI job pointed at the wrong folder should notice.
    io.stderr(`dupguard lint: warning: no .sql or TS/JS files to lint in ${positionals.length ? positionals.map((p) => `'${p}'`).join(', ') : 'the working folder'}\n`);
  }

  const texts: Array<{ abs: string; rel: string; text: string; bom: boolean; invalidUtf8At?: number }> = [];
  for (const abs of files) {
    const rel = displayPath(abs, io.cwd);
    try {
      const source = readSource(abs);
      // --changed: a file that is not linted is kept only for the schema it declares
      if (since && !since.files.has(realpath(abs)) && languageFromPath(abs) !== 'sql' && !mayDeclareOrmSchema(rel, source.text)) continue;
      texts.push({ abs, rel, ...source });
    } catch (e) {
      ioProblem(`${rel}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)}); not linted`);
    }
  }

  // --cache: what the last run computed, by content hash (not with --fix: its passes rewrite the texts)
  const cache = flags.cache && !flags.fix && !flags['fix-dry-run'] ? LintCache.open(flags['cache-location'] ?? DEFAULT_CACHE_LOCATION, io.cwd) : undefined;
  let parserAsked = false;
  let parserFailed = false;
  const loadParser = async () => {
    if (parserAsked) return;
    parserAsked = true;
    try {
      await deps.loadParser();
    } catch (e) {
      parserFailed = true;
      io.stderr(`dupguard lint: warning: the SQL parser did not load (${e instanceof Error ? e.message : String(e)}); checks that read parse trees are off\n`);
    }
  };
  // Every run needs the grammar, not only one that builds a schema (a TS-only project, --no-schema);
  // with --cache, only one that computes something.
  if (texts.length && !cache) await loadParser();

  // A `schema` setting names more SQL files than the linted ones, maybe outside the linted paths.
  const settingOf = (abs: string): SchemaSetting | undefined => {
    if (flags.config !== undefined) return config.schema?.length ? { base: loaded.base, globs: config.schema } : undefined;
    const found = nearest.forFile(abs);
    const c = found.path ? found.config : config;
    const base = found.path ? path.dirname(found.path) : loaded.base;
    return c.schema?.length ? { base, globs: c.schema } : undefined;
  };
  const extraDdl = new Map<string, ScopeFile>();
  for (const t of texts) {
    const setting = settingOf(t.abs);
    if (!setting) continue;
    for (const g of setting.globs) {
      let found: string[] = [];
      try {
        found = expandGlob(path.resolve(setting.base, g), setting.base);
      } catch {
        found = [];
      }
      for (const abs of found) {
        if (extraDdl.has(abs) || languageFromPath(abs) !== 'sql' || texts.some((x) => x.abs === abs)) continue;
        try {
          extraDdl.set(abs, { abs, path: displayPath(abs, io.cwd), text: readSource(abs).text });
        } catch (e) {
          ioProblem(`${displayPath(abs, io.cwd)}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)}); not part of the schema`);
        }
      }
    }
  }
  const sqlFiles: ScopeFile[] = texts.filter((t) => languageFromPath(t.abs) === 'sql').map((t) => ({ abs: t.abs, path: t.rel, text: t.text }));
  sqlFiles.push(...extraDdl.values());
  // the ORM schema files of the texts as they are (each text tested once; --fix forgets them when it rewrites a text)
  let ormSources: ScopeFile[] | undefined;
  const schemaOptions = (): ScopedSchemaOptions => ({ fallbackRoot: () => io.cwd, setting: settingOf, naturalKeys: config.naturalKeys, ormFiles: (ormSources ??= ormSchemaSources(texts)) });
  const loadSchema = async (): Promise<{ forFile(abs: string): SchemaModel | undefined } | undefined> => {
    const options = schemaOptions();
    if (flags['no-schema'] || (sqlFiles.length === 0 && !options.ormFiles?.length && !config.naturalKeys)) return undefined;
    await loadParser();
    try {
      return await deps.loadSchemas(sqlFiles, options);
    } catch (e) {
      // Without a schema the rules still run; they just make no schema-aware findings.
      io.stderr(`dupguard lint: warning: no schema model (${e instanceof Error ? e.message : String(e)}); schema-aware checks are off\n`);
      return undefined;
    }
  };
  // (with --cache, the schema is made only when a fingerprint or a finding must be computed)
  let schemas: Awaited<ReturnType<typeof loadSchema>> | null = cache ? null : await loadSchema();
  const schemaOf = (abs: string): SchemaModel | undefined => {
    try {
      return schemas?.forFile(abs);
    } catch {
      return undefined;
    }
  };

  const linted = since ? texts.filter((t) => since!.files.has(realpath(t.abs))) : texts;
  if (flags.fix || flags['fix-dry-run']) {
    const dry = !flags.fix;
    let fixed = 0;
    const changed: string[] = [];
    let ormSchemaFixed = false;
    for (const t of linted) {
      const language = languageFromPath(t.abs);
      const lineBreak = lineBreakOf(t.text);
      let text = t.text;
      let count = 0;
      for (let pass = 0; pass < MAX_FIX_PASSES; pass++) {
        const fixes = preferredFixes(deps.analyze({ text, path: t.rel, language, schema: schemaOf(t.abs), config: configs.get(t.abs) }).findings);
        if (fixes.length === 0) break;
        const next = applyFixes(text, fixes, lineBreak);
        if (next === text) break;
        text = next;
        count += fixes.length;
      }
      if (count === 0) continue;
      if (t.invalidUtf8At !== undefined) {
        // Writing the decoded text back would turn every byte that is not UTF-8 into U+FFFD.
        io.stderr(`dupguard lint: ${t.rel}: not fixed: not valid UTF-8 (byte ${t.invalidUtf8At}); save it as UTF-8 to let --fix write it (its findings are reported below)\n`);
        continue;
      }
      if (!dry) {
        try {
          (deps.writeFile ?? writeFileWhole)(t.abs, (t.bom ? '\ufeff' : '') + text);
        } catch (e) {
          return fail(`${t.rel}: cannot write the fixed file (${(e as NodeJS.ErrnoException).code ?? String(e)}); it is left as it was${changed.length ? `; fixed before it: ${changed.join(', ')}` : ''}`);
        }
      }
      if (mayDeclareOrmSchema(t.rel, t.text) || mayDeclareOrmSchema(t.rel, text)) ormSchemaFixed = true;
      t.text = text;
      ormSources = undefined;
      fixed += count;
      changed.push(t.rel);
    }
    if (changed.length) {
      io.stderr(`dupguard lint: ${dry ? 'would fix' : 'fixed'} ${fixed} problem${fixed === 1 ? '' : 's'} in ${changed.length} file${changed.length === 1 ? '' : 's'}: ${changed.join(', ')}\n`);
      // Fixes may add keys (a UNIQUE constraint): the findings below are made against the fixed files.
      if (ormSchemaFixed || changed.some((p) => languageFromPath(p) === 'sql')) schemas = await loadSchema();
    }
  }
  // --cache: each file's findings by its text, config and the fingerprint of the schema model it sees
  // (its scope's); the schema is made again only when its inputs changed, the parser loads only for a miss
  const fileKeys: Array<string | undefined> = [];
  let prints: Record<string, string> | undefined;
  if (cache) {
    const scopeOf = (abs: string) => (flags['no-schema'] ? 'none' : schemaScopeOf(abs, schemaOptions()).key);
    const ormFiles = schemaOptions().ormFiles ?? [];
    const inputKey = cache.schemaKey([...sqlFiles, ...ormFiles], { naturalKeys: config.naturalKeys ?? null, scopes: linted.map((t) => [t.rel, scopeOf(t.abs)]), noSchema: !!flags['no-schema'] });
    prints = cache.prints(inputKey);
    if (!prints) {
      schemas ??= await loadSchema();
      const made: Record<string, string> = {};
      const textOf = new Map(ormFiles.map((f) => [f.path, f.text]));
      for (const t of linted) {
        const scope = scopeOf(t.abs);
        if (made[scope] === undefined) made[scope] = schemaFingerprintOf(schemaOf(t.abs), textOf);
      }
      prints = cache.putPrints(inputKey, made);
    } else {
      cache.keepPrints(inputKey, prints);
    }
    const p = prints;
    const keys = linted.map((t) => cache.fileKey(t.rel, languageFromPath(t.abs) ?? '', t.text, configs.get(t.abs), p[scopeOf(t.abs)] ?? 'unknown'));
    fileKeys.push(...keys);
  }
  const cached = linted.map((t, i) => (fileKeys[i] === undefined ? undefined : cache!.findings(t.abs, fileKeys[i]!)));
  if (cached.some((c) => c === undefined)) {
    await loadParser();
    schemas ??= await loadSchema();
  }
  // --max-warnings counts the warnings found, also when --quiet hides them.
  let warnings = 0;
  const reportFiles = linted.map((t, i) => {
    // Each file is read once here (after --fix, its text as fixed: the fix passes' reports are worth replaying).
    const reuse = !!(flags.fix || flags['fix-dry-run']);
    const language = languageFromPath(t.abs);
    const fileConfig = configs.get(t.abs);
    let findings = cached[i];
    if (findings === undefined) {
      const analyzed = deps.analyze({ text: t.text, path: t.rel, language, schema: schemaOf(t.abs), config: fileConfig, reuse }).findings;
      findings = language === 'sql' && fileConfig?.rules?.[STATEMENT_TOO_LARGE] !== 'off' ? [...analyzed, ...oversizedFindings(t.text)] : analyzed;
      // (findings made without the parser are not what the next run would find)
      if (fileKeys[i] !== undefined && !parserFailed) cache!.putFindings(t.abs, fileKeys[i]!, findings);
    }
    warnings += findings.filter((f) => f.severity === 'warning').length;
    const kept = flags.quiet ? findings.filter((f) => f.severity === 'error') : findings;
    return reportFile(t.rel, t.text, kept, (p) => displayPath(path.resolve(io.cwd, p), io.cwd));
  });
  const report: LintReport = { version: 1, files: reportFiles, summary: summarize(reportFiles) };
  cache?.save();

  switch (flags.format) {
    case 'json': io.stdout(formatJson(report)); break;
    case 'sarif':
      io.stdout(formatSarif(report, { rules: deps.rules, toolVersion: toolVersion(), informationUri: 'https://github.com/dupguard/dupguard', cwd: io.cwd }));
      break;
    case 'github': io.stdout(formatGithub(report)); break;
    default: io.stdout(formatText(report));
  }

  if (ioProblems.length) {
    io.stderr(`dupguard lint: ${ioProblems.length} path${ioProblems.length === 1 ? '' : 's'} could not be read (listed above); the rest was linted\n`);
    return 2;
  }
  if (report.summary.errors > 0) return 1;
  if (maxWarnings !== undefined && warnings > maxWarnings) {
    io.stderr(`dupguard lint: ${warnings} warning${warnings === 1 ? '' : 's'}, more than --max-warnings ${maxWarnings}\n`);
    return 1;
  }
  return 0;
}

function toolVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
