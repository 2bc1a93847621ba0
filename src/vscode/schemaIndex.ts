/**
 * The workspace's schema, built from its .sql files (migrations in name order) and kept current by a
 * file watcher. The schema-aware rules read it for every open SQL/TS/JS document, each document the
 * model of its own scope (its package's DDL, or its `.dupguard.json` `schema` globs), scoped the way
 * the CLI scopes (src/config/schemaScope.ts). Built on first use, not at activation.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SchemaModel } from '../core/schema';
import { ConfigFiles } from '../config/dupguardJson';
import type { ScopedSchemas } from '../config/schemaScope';
import { Config } from './config';
import { startMark } from './startMarks';

export interface DdlFile {
  path: string;
  text: string;
}

/** The file's workspace folder (or the first one): the scope of a file under no package.json. */
function fallbackRoot(file: string): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file)) ?? vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.fsPath ?? path.dirname(file);
}

/**
 * Builds the scoped models from DDL files and ORM schema files (each scope reads its own package's);
 * the parser (WASM) and the builder load on first use.
 */
async function buildModels(files: DdlFile[], naturalKeys: Record<string, string[]>, configs: ConfigFiles, ormFiles: DdlFile[] = []): Promise<ScopedSchemas> {
  const [{ ensureParser }, { ScopedSchemas }] = await Promise.all([import('../core/schema/ddl'), import('../config/schemaScope')]);
  await ensureParser();
  return new ScopedSchemas(files.map((f) => ({ abs: f.path, path: f.path, text: f.text })), {
    fallbackRoot,
    naturalKeys,
    setting: (abs) => {
      const found = configs.forFile(abs);
      return found.path && found.config.schema?.length ? { base: path.dirname(found.path), globs: found.config.schema } : undefined;
    },
    ormFiles: ormFiles.map((f) => ({ abs: f.path, path: f.path, text: f.text })),
  });
}

/** ORM schema files the index reads besides .sql: Prisma schemas, and TS/JS under schema, entity, model, migration or db names. */
const ORM_GLOB = '**/*.{prisma,ts,mts,cts,js,mjs,cjs}';

const REBUILD_DELAY_MS = 300;
/**
 * The largest .sql file read into the index, and the most read in all: a workspace decides what its
 * files hold, so an untrusted one gets a small budget (a repository cannot make the editor read and
 * parse gigabytes just by being opened); trusting it rebuilds the index with the full one.
 */
export const INDEX_LIMITS = {
  trusted: { fileBytes: 8 * 1024 * 1024, totalBytes: 64 * 1024 * 1024 },
  untrusted: { fileBytes: 256 * 1024, totalBytes: 4 * 1024 * 1024 },
} as const;

export class SchemaIndex implements vscode.Disposable {
  private model: ScopedSchemas | undefined;
  private readonly configs = new ConfigFiles();
  private fingerprint = '';
  private building: Promise<void> | undefined;
  /** A rebuild was asked for while one ran: it runs when that one ends (one at a time, see rebuild). */
  private again = false;
  private disposed = false;
  private started = false;
  private startTimer: NodeJS.Timeout | undefined;
  /** The first build has ended (built or failed). */
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private ormWatcher: vscode.FileSystemWatcher | undefined;
  /** The ORM schema files of the last build (fsPath), and what was read of every TS/JS file (by mtime and size). */
  private ormPaths = new Set<string>();
  private ormSeen = new Map<string, { mtime: number; size: number; declares: boolean }>();
  /** package.json and .dupguard.json move the scopes' borders. */
  private scopeWatcher: vscode.FileSystemWatcher | undefined;
  private trustGrant: vscode.Disposable | undefined;
  /** Files the last build left out for their size (workspace-relative), for the log and tests. */
  skipped: string[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after the model was rebuilt. */
  readonly onDidChange = this.changed.event;
  /** Number of .sql files the current model was built from (for the log and the status bar tooltip). */
  fileCount = 0;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /**
   * The current model of the file at `file` (a file system path; possibly undefined), starting the
   * index after the caller's task on the first call. Without a file: the scope of the first workspace folder.
   */
  current(file?: string): SchemaModel | undefined {
    this.startSoon();
    const target = file ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!this.model || target === undefined) return undefined;
    try {
      return this.model.forFile(file ?? path.join(target, '_'));
    } catch {
      return undefined;
    }
  }

  /**
   * True until the first build has ended in a window with a folder: the model `current()` gives is
   * not the workspace's yet (the build fires onDidChange when it ends, whatever it found).
   */
  pending(): boolean {
    this.startSoon();
    return !this.settled && !!vscode.workspace.workspaceFolders?.length;
  }

  /** Resolves once the first build (or the pending rebuild) has finished. */
  async ready(): Promise<void> {
    this.startNow();
    while (this.building) await this.building;
  }

  /** Starts the index now unless it has started (activation calls it once the first lint's diagnostics are out). */
  startNow(): void {
    if (!this.started) this.start();
  }

  /**
   * Starts the index once the caller's task is done, two timers later: the first lint calls current()
   * before it publishes, and what it publishes leaves the extension host in a timer set at publication.
   * The second timer is set after that one, so listing the workspace and loading the parser (tens of
   * milliseconds of the event loop, more on a busy machine) never hold back the first squiggle.
   */
  private startSoon(): void {
    if (this.started || this.startTimer) return;
    this.startTimer = setTimeout(() => {
      this.startTimer = setTimeout(() => {
        this.startTimer = undefined;
        if (!this.started) this.start();
      }, 0);
    }, 0);
  }

  private start(): void {
    this.started = true;
    clearTimeout(this.startTimer);
    this.startTimer = undefined;
    startMark('index-start');
    if (!vscode.workspace.workspaceFolders?.length) return;
    this.watcher = vscode.workspace.createFileSystemWatcher('**/*.{sql,pgsql,psql}');
    const soon = () => this.scheduleRebuild();
    this.watcher.onDidCreate(soon);
    this.watcher.onDidChange(soon);
    this.watcher.onDidDelete(soon);
    // ORM schema files (Drizzle tables, Prisma models, entities, migrations) feed the model too
    this.ormWatcher = vscode.workspace.createFileSystemWatcher(ORM_GLOB);
    // a file that was a schema file, or whose text now declares ORM tables (the CLI's test: mayDeclareOrmSchema)
    const ormSoon = (uri: vscode.Uri) => void (async () => {
      if (this.ormPaths.has(uri.fsPath)) return this.scheduleRebuild();
      const { mayDeclareOrmSchema } = await import('../embedded/orm/model');
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      if (mayDeclareOrmSchema(uri.path, text)) this.scheduleRebuild();
    })().catch(() => undefined);
    this.ormWatcher.onDidCreate(ormSoon);
    this.ormWatcher.onDidChange(ormSoon);
    this.ormWatcher.onDidDelete((uri) => { if (this.ormPaths.has(uri.fsPath)) this.scheduleRebuild(); });
    this.scopeWatcher = vscode.workspace.createFileSystemWatcher('**/{package.json,.dupguard.json}');
    const rescope = () => {
      this.configs.invalidate();
      this.scheduleRebuild();
    };
    this.scopeWatcher.onDidCreate(rescope);
    this.scopeWatcher.onDidChange(rescope);
    this.scopeWatcher.onDidDelete(rescope);
    // Trust granted: the files left out under the untrusted budget are read now.
    this.trustGrant = vscode.workspace.onDidGrantWorkspaceTrust(soon);
    this.rebuild();
  }

  /** Called when settings change: natural keys and include/exclude feed the model. */
  scheduleRebuild(): void {
    if (!this.started) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.rebuild(), REBUILD_DELAY_MS);
  }

  /**
   * Builds the model from the files as they are now. One build at a time: one asked for while another
   * runs starts when that one ends. Two at once could end in either order (listing the workspace
   * takes seconds on a busy machine), and a build that listed the files before a change, ending
   * after the one that saw it, left the model as it was before the change.
   */
  private rebuild(): void {
    if (this.building) {
      this.again = true;
      return;
    }
    const run = (async (): Promise<boolean> => {
      const t0 = Date.now();
      try {
        // The parser (WASM) loads while both kinds of files are listed and read: in a timer, set after
        // the one that sends the listing requests (loading it holds the event loop).
        setTimeout(() => void import('../core/schema/pg').then((pg) => pg.ensureParser()).catch(() => {}), 0);
        const [files, ormFiles] = await Promise.all([this.readDdlFiles(), this.readOrmFiles()]);
        const read = Date.now() - t0;
        startMark('index-read');
        this.configs.invalidate();
        const model = await buildModels(files, new Config().naturalKeys, this.configs, ormFiles);
        startMark('index-built');
        const tables = model.everyTable();
        const ormPrint = createHash('sha1');
        for (const f of ormFiles) ormPrint.update(f.path).update('\0').update(f.text).update('\0');
        // Most saved .sql files hold no DDL: re-lint open documents only when the model differs
        // (origins included, so related-information positions stay right).
        const fingerprint = JSON.stringify(tables) + ormPrint.digest('hex');
        const differs = fingerprint !== this.fingerprint || (model === undefined) !== (this.model === undefined);
        this.model = model;
        this.fingerprint = fingerprint;
        this.fileCount = files.length;
        this.log.info(`schema index: ${tables.length} tables from ${files.length} .sql files in ${Date.now() - t0} ms (files listed and read in ${read} ms)${differs ? '' : ' (unchanged)'}`);
        return differs;
      } catch (e) {
        this.log.warn(`schema index: build failed: ${e instanceof Error ? e.message : String(e)}`);
        return false;
      }
    })();
    const done: Promise<void> = run.then((differs) => {
      this.building = undefined;
      const first = !this.settled;
      this.settled = true;
      if (differs || first) this.changed.fire();
      // (set before ready()'s loop looks again: it waits for this one too)
      if (this.again && !this.disposed) {
        this.again = false;
        this.rebuild();
      }
    });
    this.building = done;
  }

  private async readDdlFiles(): Promise<DdlFile[]> {
    const cfg = new Config();
    const exclude = cfg.exclude.length ? `{${cfg.exclude.join(',')}}` : undefined;
    const uris = await vscode.workspace.findFiles('**/*.{sql,pgsql,psql}', exclude, 5000);
    // Migration order is file-name order within the workspace.
    uris.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const out: DdlFile[] = [];
    const trusted = vscode.workspace.isTrusted;
    const limits = trusted ? INDEX_LIMITS.trusted : INDEX_LIMITS.untrusted;
    const skipped: string[] = [];
    let total = 0;
    for (const uri of uris) {
      try {
        const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        // The size is known before reading: a file over the budget is never read.
        const size = open ? open.getText().length : (await vscode.workspace.fs.stat(uri)).size;
        if (size > limits.fileBytes || total + size > limits.totalBytes) {
          skipped.push(vscode.workspace.asRelativePath(uri));
          continue;
        }
        const text = open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
        total += size;
        out.push({ path: uri.fsPath, text });
      } catch {
        // A file deleted between listing and reading is simply not part of the schema.
      }
    }
    this.skipped = skipped;
    if (skipped.length) {
      this.log.info(`schema index: ${skipped.length} .sql file(s) left out for their size (over ${(limits.fileBytes / 1024).toFixed(0)} KiB each or ${(limits.totalBytes / 1048576).toFixed(0)} MiB in all${trusted ? '' : ', the budget of an untrusted workspace'}): ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', ...' : ''}`);
    }
    return out;
  }

  /**
   * ORM schema files: the TS/JS and Prisma files whose text may declare ORM tables (the CLI's test,
   * mayDeclareOrmSchema, on the content and not the folder names), under the same size budget as the
   * .sql files (a workspace decides what they hold). A file whose mtime and size are those of the last
   * read, and which declared nothing then, is not read again.
   */
  private async readOrmFiles(): Promise<DdlFile[]> {
    const { mayDeclareOrmSchema } = await import('../embedded/orm/model');
    const cfg = new Config();
    const exclude = `{${['**/node_modules/**', ...cfg.exclude].join(',')}}`;
    const uris = await vscode.workspace.findFiles(ORM_GLOB, exclude, 20000);
    uris.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const limits = vscode.workspace.isTrusted ? INDEX_LIMITS.trusted : INDEX_LIMITS.untrusted;
    const out: DdlFile[] = [];
    const seen = new Map<string, { mtime: number; size: number; declares: boolean }>();
    let total = 0;
    for (const uri of uris) {
      if (out.length >= 2000) break;
      try {
        const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        const stat = open ? undefined : await vscode.workspace.fs.stat(uri);
        const size = open ? open.getText().length : stat!.size;
        if (size > limits.fileBytes) continue;
        const before = stat && this.ormSeen.get(uri.fsPath);
        if (stat && before && !before.declares && before.mtime === stat.mtime && before.size === stat.size) {
          seen.set(uri.fsPath, before);
          continue;
        }
        const text = open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
        const declares = mayDeclareOrmSchema(uri.path, text);
        if (stat) seen.set(uri.fsPath, { mtime: stat.mtime, size: stat.size, declares });
        if (!declares || total + size > limits.totalBytes) continue;
        total += size;
        out.push({ path: uri.fsPath, text });
      } catch {
        // a file gone between listing and reading is not part of the schema
      }
    }
    this.ormSeen = seen;
    this.ormPaths = new Set(out.map((f) => f.path));
    return out;
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    clearTimeout(this.startTimer);
    this.watcher?.dispose();
    this.ormWatcher?.dispose();
    this.scopeWatcher?.dispose();
    this.trustGrant?.dispose();
    this.changed.dispose();
  }
}
