/**
 * Which DDL a linted file sees (docs/schema-model.md, "Which DDL a file sees"). The CLI and the editor
 * both build their schema models here, so that they scope the same way:
 *
 * - a `schema` list of globs in the file's `.dupguard.json` names the files exactly (relative to the
 *   config's folder);
 * - otherwise the file's own package (the nearest folder holding a `package.json`, else the folder
 *   linted or the workspace folder): its migrations and schema files first, then its own test
 *   fixtures, then the other packages' migrations (for the tables its own DDL does not define);
 * - another package's test fixtures are never read.
 *
 * Each package's migrations and fixtures are parsed once, however many scopes use them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LayeredSchemaModel, type SchemaLayer, type SchemaModel } from '../core/schema';
import { buildSchemaFromDdl, type DdlSchemaModel } from '../core/schema/ddl';
import { withOrmSchema } from '../embedded/orm/model';
import { sharedCaches } from '../engine/caches';
import { globToRegExp } from './glob';
import { relativeInside } from './paths';

/** One SQL file that may hold DDL: its absolute path, the path findings show, its text. */
export interface ScopeFile {
  abs: string;
  path: string;
  text: string;
}

/** A `schema` setting that applies to a file: its globs and the folder they are relative to. */
export interface SchemaSetting {
  base: string;
  globs: string[];
}

/** The DDL scope of one file. */
export interface SchemaScope {
  /** Same key, same model. */
  key: string;
  /** The package root (or the `schema` setting's folder). */
  root: string;
  setting?: SchemaSetting;
}

/** Folders whose SQL is test data, not the schema the application runs against. */
const FIXTURE_DIR = /^(tests?|__tests__|specs?|fixtures?|__fixtures__|testdata|test[-_]data|e2e|examples?|samples?|mocks?|__mocks__|__snapshots__|benchmarks?)$/i;
const FIXTURE_FILE = /[._-](test|spec|fixtures?)\.(sql|pgsql|psql)$/i;

/** True for a SQL file that is a test fixture (under a test/fixtures/examples folder, or named *.test.sql). */
export function isFixturePath(relPath: string): boolean {
  const parts = relPath.split(/[\\/]/);
  if (FIXTURE_FILE.test(parts[parts.length - 1] ?? '')) return true;
  return parts.slice(0, -1).some((p) => FIXTURE_DIR.test(p));
}

/** Nearest folder from `dir` upward holding a `package.json`, or undefined. Answers are cached per folder. */
export class PackageRoots {
  private readonly cache = new Map<string, string | null>();

  constructor(private readonly exists: (file: string) => boolean = fs.existsSync) {}

  of(dir: string): string | undefined {
    const chain: string[] = [];
    let cur = path.resolve(dir);
    let found: string | null | undefined;
    for (;;) {
      found = this.cache.get(cur);
      if (found !== undefined) break;
      chain.push(cur);
      if (this.exists(path.join(cur, 'package.json'))) { found = cur; break; }
      const parent = path.dirname(cur);
      if (parent === cur) { found = null; break; }
      cur = parent;
    }
    for (const c of chain) this.cache.set(c, found);
    return found ?? undefined;
  }
}

export interface ScopeOptions {
  /** The root of a file under no package.json: the folder linted, or the workspace folder holding it. */
  fallbackRoot(file: string): string;
  /** The `schema` setting of the `.dupguard.json` that applies to a file, if it has one. */
  setting?(file: string): SchemaSetting | undefined;
  roots?: PackageRoots;
}

/** The DDL scope of the file `abs`. */
export function schemaScopeOf(abs: string, options: ScopeOptions): SchemaScope {
  const setting = options.setting?.(abs);
  if (setting) return { key: `schema:${setting.base}\0${setting.globs.join('\0')}`, root: setting.base, setting };
  const root = (options.roots ?? defaultRoots).of(path.dirname(abs)) ?? options.fallbackRoot(abs);
  return { key: `package:${root}`, root };
}

const defaultRoots = new PackageRoots();

function within(root: string, abs: string): boolean {
  const rel = path.relative(root, abs);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function toSlash(p: string): string {
  return p.split(path.sep).join('/');
}


export interface ScopedSchemaOptions extends ScopeOptions {
  naturalKeys?: Record<string, string[]>;
  /**
   * More sources for a scope, asked after its DDL layers (an ORM schema file's tables, say): called
   * once per scope, each layer with its provenance.
   */
  extraLayers?(scope: SchemaScope): SchemaLayer[];
  /**
   * TS/JS and Prisma files that may declare ORM tables (src/embedded/orm/model.ts): each scope reads
   * those of its own package, after its SQL DDL (the migrations an ORM generates are what runs).
   */
  ormFiles?: readonly ScopeFile[];
}

/**
 * The schema models of every scope of a set of SQL files, built on first request. The SQL parser
 * must be loaded (`ensureParser`). Files are applied in name order within a package (migration order).
 */
export class ScopedSchemas {
  private readonly models = new Map<string, SchemaModel | undefined>();
  private readonly parts = new Map<string, DdlSchemaModel>();
  private readonly roots: PackageRoots;
  /** Each file's package root (the fallback root for a file under none), and whether it is a fixture. */
  private readonly placed: Array<{ file: ScopeFile; root: string; fixture: boolean }>;

  constructor(files: readonly ScopeFile[], private readonly options: ScopedSchemaOptions) {
    this.roots = options.roots ?? new PackageRoots();
    this.placed = [...files]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((file) => {
        const root = this.roots.of(path.dirname(file.abs)) ?? options.fallbackRoot(file.abs);
        return { file, root, fixture: isFixturePath(toSlash(relativeInside(root, file.abs))) };
      });
  }

  /** The scope of a file. */
  scopeOf(abs: string): SchemaScope {
    return schemaScopeOf(abs, { ...this.options, roots: this.roots });
  }

  /** The model the file `abs` is analyzed against, or undefined when its scope has no DDL at all. */
  forFile(abs: string): SchemaModel | undefined {
    const scope = this.scopeOf(abs);
    if (this.models.has(scope.key)) return this.models.get(scope.key);
    const model = this.build(scope);
    this.models.set(scope.key, model);
    return model;
  }

  /**
   * Every table of every package's DDL (each package's migrations, then its fixtures, each parsed
   * once): what changes when any scope's model changes.
   */
  everyTable(): unknown[] {
    const out: unknown[] = [];
    for (const root of [...new Set(this.placed.map((p) => p.root))].sort()) {
      for (const fixture of [false, true]) {
        const files = this.placed.filter((p) => p.root === root && p.fixture === fixture).map((p) => p.file);
        if (files.length) out.push(root, fixture, [...this.part(`pkg:${root}\0${fixture ? 'f' : 'm'}`, files).tables()]);
      }
    }
    return out;
  }

  private part(key: string, files: ScopeFile[]): DdlSchemaModel {
    let m = this.parts.get(key);
    if (!m) this.parts.set(key, (m = buildSchemaFromDdl(files.map((f) => ({ path: f.path, text: f.text })), { naturalKeys: this.options.naturalKeys })));
    return m;
  }

  private build(scope: SchemaScope): SchemaModel | undefined {
    const layers: SchemaLayer[] = [];
    const add = (key: string, files: ScopeFile[], provenance: SchemaLayer['provenance']) => {
      if (files.length) layers.push({ model: this.part(key, files), provenance });
    };
    if (scope.setting) {
      const matchers = scope.setting.globs.map((g) => globToRegExp(toSlash(g).replace(/^(\.\/)+/, '')));
      const named = this.placed.filter((p) => {
        if (!within(scope.setting!.base, p.file.abs)) return false;
        const rel = toSlash(path.relative(scope.setting!.base, p.file.abs));
        return matchers.some((m) => m.test(rel));
      });
      add(`${scope.key}\0m`, named.filter((p) => !p.fixture).map((p) => p.file), 'project');
      add(`${scope.key}\0f`, named.filter((p) => p.fixture).map((p) => p.file), 'fixture');
    } else {
      add(`pkg:${scope.root}\0m`, this.placed.filter((p) => p.root === scope.root && !p.fixture).map((p) => p.file), 'project');
      add(`pkg:${scope.root}\0f`, this.placed.filter((p) => p.root === scope.root && p.fixture).map((p) => p.file), 'fixture');
      const others = [...new Set(this.placed.filter((p) => p.root !== scope.root && !p.fixture).map((p) => p.root))].sort();
      for (const r of others) add(`pkg:${r}\0m`, this.placed.filter((p) => p.root === r && !p.fixture).map((p) => p.file), 'elsewhere');
    }
    layers.push(...(this.options.extraLayers?.(scope) ?? []));
    const model = layers.length ? new LayeredSchemaModel(layers) : undefined;
    const orm = this.options.ormFiles?.filter((f) => (this.roots.of(path.dirname(f.abs)) ?? this.options.fallbackRoot(f.abs)) === scope.root);
    return orm?.length ? withOrmSchema(model, orm.map((f) => ({ path: f.path, text: f.text })), (text, jsx) => sharedCaches.streams.of(text, jsx), sharedCaches.streams.hints) : model;
  }
}
