/**
 * Lints open documents as the user types: debounced per document, re-analyzed only when the document's
 * version (or the settings / schema generation) changed. Keeps each document's findings so code
 * actions apply the analyzer's own edits.
 */
import * as vscode from 'vscode';
import type { Finding } from '../core/types';
import type { CatalogFacts } from '../rules/rule';
import { analyzeFinal } from './analyzeText';
import { Config } from './config';
import { toDiagnostic, type PositionSource } from './convert';
import type { RuleDocs } from './docs';
import { sourceLanguage } from './languages';
import type { ProjectConfig } from './projectConfig';
import type { SchemaIndex } from './schemaIndex';
import { markAfterTimers, startMark } from './startMarks';

export const DEBOUNCE_MS = 150;

interface Analyzed {
  version: number;
  generation: number;
  findings: Finding[];
  /** How long the analysis took: big documents wait longer before the next one (see lintSoon). */
  ms: number;
  /**
   * False while the parser or the workspace schema was missing: `findings` are the final ones known
   * so far (more come when the parser loads or the schema is built, both of which re-lint).
   */
  complete: boolean;
}

/** The longest a change waits for its diagnostics, however slow the last analysis was. */
const MAX_DEBOUNCE_MS = 1000;

/** Schemes of documents that are the user's files (not git originals, output channels, ...). */
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs']);

export class DiagnosticsController implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('dupguard');
  private readonly analyzed = new Map<string, Analyzed>();
  /** The live database's facts per document version (the data check fills them; rules that read the catalog use them). */
  private readonly catalog = new Map<string, { version: number; facts: CatalogFacts }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Files whose diagnostics came from Lint Workspace: closing them keeps their problems listed. */
  readonly fromWorkspaceLint = new Set<string>();
  /** Bumped when settings or the schema change: every document must be re-analyzed. */
  private generation = 0;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document's diagnostics were replaced. */
  readonly onDidUpdate = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    readonly log: vscode.LogOutputChannel,
    private readonly docs: RuleDocs,
    private readonly schema: SchemaIndex,
    /** Each document's analyzer config: its .dupguard.json with the settings layered over it. */
    readonly project: ProjectConfig,
  ) {
    this.subscriptions.push(
      this.collection,
      this.changed,
      vscode.workspace.onDidOpenTextDocument((d) => this.lintNow(d)),
      vscode.workspace.onDidChangeTextDocument((e) => { if (e.contentChanges.length) this.lintSoon(e.document); }),
      vscode.workspace.onDidCloseTextDocument((d) => this.closed(d)),
      schema.onDidChange(() => this.relintAll()),
      project.onDidChange(() => this.relintAll()),
      // Problems of files that are gone must go too (Lint Workspace lists files that are not open):
      // deleted or renamed in the editor, or behind its back (git checkout, a terminal)...
      vscode.workspace.onDidDeleteFiles((e) => { for (const uri of e.files) this.forget(uri); }),
      vscode.workspace.onDidRenameFiles((e) => { for (const f of e.files) void this.renamed(f.oldUri, f.newUri); }),
    );
    const files = vscode.workspace.createFileSystemWatcher('**/*', false, true, false);
    this.subscriptions.push(files, files.onDidDelete((uri) => this.forget(uri)), files.onDidCreate((uri) => this.madeAgain(uri)));
  }

  /** File creations seen (a drop decided from a stat that began before one looks again). */
  private creations = 0;

  /**
   * A file made again where a document VS Code still holds was (its editor closed a moment ago, its
   * folder removed): opened, that document comes back with no open event, and with no change event
   * when the text is the same, while the delete took its problems. Such documents are analyzed again.
   */
  private madeAgain(uri: vscode.Uri): void {
    this.creations++;
    const made = uri.toString();
    const inside = made.endsWith('/') ? made : `${made}/`;
    for (const d of vscode.workspace.textDocuments) {
      const k = d.uri.toString();
      if ((k === made || k.startsWith(inside)) && !this.analyzed.has(k)) this.lintNow(d);
    }
  }

  /**
   * Drops the problems listed for `uri` and, for a folder, for every file in it. A document with
   * unsaved changes keeps its own (they follow its text, which may yet be saved again); any other
   * document VS Code still holds is analyzed again if it is edited.
   */
  private forget(uri: vscode.Uri): string[] {
    const gone = uri.toString();
    const inside = gone.endsWith('/') ? gone : `${gone}/`;
    const open = new Set(vscode.workspace.textDocuments.filter((d) => d.isDirty).map((d) => d.uri.toString()));
    const listed: string[] = [];
    const stale: vscode.Uri[] = [];
    this.collection.forEach((u) => {
      const k = u.toString();
      if (k === gone || k.startsWith(inside)) stale.push(u);
    });
    for (const k of this.fromWorkspaceLint) {
      if (k !== gone && !k.startsWith(inside)) continue;
      listed.push(k);
      this.fromWorkspaceLint.delete(k);
    }
    for (const u of stale) {
      if (open.has(u.toString())) continue;
      void this.dropIfGone(u);
    }
    return listed;
  }

  /**
   * Drops the problems of a file the file system says is gone. A delete event tells what happened a
   * moment ago: a folder removed and made again at once (a script, a checkout, a test) has its delete
   * event arrive after the new files were opened and linted, and their problems must stay.
   */
  private async dropIfGone(uri: vscode.Uri): Promise<void> {
    // (a few times at most: a build writing files all the while must not keep this going)
    for (let tries = 0; tries < 5; tries++) {
      const seen = this.creations;
      try {
        await vscode.workspace.fs.stat(uri);
        return;
      } catch {
        // gone (or unreadable): its problems go, unless a file was made while the stat ran (then it
        // is asked again: made again, the file keeps its problems, and madeAgain saw them still there)
      }
      if (this.creations === seen) break;
    }
    this.analyzed.delete(uri.toString());
    this.collection.delete(uri);
    this.changed.fire(uri);
  }

  /** A renamed file's problems move with it: the old name's go, and what Lint Workspace had listed is linted at the new name. */
  private async renamed(from: vscode.Uri, to: vscode.Uri): Promise<void> {
    const listed = this.forget(from);
    if (!listed.length) return;
    const { lintFileOnDisk, notExcluded } = await import('./lintWorkspace');
    const prefix = from.toString();
    const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    for (const k of listed) {
      // the same file, or a file of a renamed folder, at its new place
      const uri = k === prefix ? to : vscode.Uri.parse(to.toString() + k.slice(prefix.length));
      // an open document is linted by onDidOpen; an excluded one was not Lint Workspace's to list
      if (open.has(uri.toString()) || !(await notExcluded(uri))) continue;
      if (await lintFileOnDisk(uri, this, this.schema, this.log)) this.fromWorkspaceLint.add(uri.toString());
    }
  }

  /** Should dupguard read this document at all? */
  accepts(doc: vscode.TextDocument): boolean {
    if (!SCHEMES.has(doc.uri.scheme) || !sourceLanguage(doc.languageId)) return false;
    const cfg = new Config(doc);
    if (!cfg.enable) return false;
    return !cfg.exclude.some((pattern) => vscode.languages.match({ pattern }, doc) > 0);
  }

  /**
   * Sets (or, without `facts`, drops) what the live database says about a document's version, and
   * analyzes it again: its findings then go through the same path as every rule's (severity,
   * suppressions, code actions). An edit makes them stale until the next check.
   */
  setCatalog(uri: vscode.Uri, facts?: { version: number; facts: CatalogFacts }): void {
    const key = uri.toString();
    if (facts) this.catalog.set(key, facts);
    else if (!this.catalog.delete(key)) return;
    this.analyzed.delete(key);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (doc) this.lintNow(doc);
  }

  /** Lints every open document (after activation, a settings change or a schema change). */
  relintAll(): void {
    this.generation++;
    for (const d of vscode.workspace.textDocuments) this.lintNow(d);
  }

  /** The document version whose findings are published (undefined before the first analysis). */
  analyzedVersion(uri: vscode.Uri): number | undefined {
    const a = this.analyzed.get(uri.toString());
    return a && a.generation === this.generation ? a.version : undefined;
  }

  /** False while the published findings of the document are only those final before the parser and schema are in. */
  complete(uri: vscode.Uri): boolean | undefined {
    const a = this.analyzed.get(uri.toString());
    return a && a.generation === this.generation ? a.complete : undefined;
  }

  /** The findings for the document's current version, analyzing now if they are stale. */
  findings(doc: vscode.TextDocument): Finding[] {
    if (!this.accepts(doc)) return [];
    const key = doc.uri.toString();
    const a = this.analyzed.get(key);
    if (a && a.version === doc.version && a.generation === this.generation) return a.findings;
    return this.lintNow(doc);
  }

  private lintSoon(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    // While someone types in a file whose analysis is slow, wait for a longer pause so that the
    // extension host is not kept busy analyzing versions that are already outdated.
    const last = this.analyzed.get(key)?.ms ?? 0;
    const delay = Math.min(MAX_DEBOUNCE_MS, Math.max(DEBOUNCE_MS, 2 * last));
    this.timers.set(key, setTimeout(() => { this.timers.delete(key); this.lintNow(doc); }, delay));
  }

  /** Analyzes the document unless its current version was already analyzed; returns its findings. */
  lintNow(doc: vscode.TextDocument): Finding[] {
    const key = doc.uri.toString();
    if (doc.isClosed) return [];
    if (!this.accepts(doc)) {
      if (this.analyzed.delete(key) || this.collection.has(doc.uri)) {
        this.collection.delete(doc.uri);
        this.changed.fire(doc.uri);
      }
      return [];
    }
    const prev = this.analyzed.get(key);
    if (prev && prev.version === doc.version && prev.generation === this.generation) return prev.findings;
    const t0 = performance.now();
    const live = this.catalog.get(key);
    const file = doc.uri.scheme === 'file' ? doc.uri.fsPath : undefined;
    const { findings, complete } = analyzeFinal({
      catalog: live && live.version === doc.version ? live.facts : undefined,
      text: doc.getText(),
      language: sourceLanguage(doc.languageId)!,
      path: doc.uri.fsPath,
      schema: this.schema.current(file),
      schemaPending: this.schema.pending(),
      config: this.project.analyzer(doc.uri),
    });
    const ms = performance.now() - t0;
    this.analyzed.set(key, { version: doc.version, generation: this.generation, findings, ms, complete });
    this.publish(doc.uri, doc, findings);
    this.log.trace(`analyzed ${vscode.workspace.asRelativePath(doc.uri)} v${doc.version}: ${findings.length} findings${complete ? '' : ' (more once the parser and schema are in)'} in ${ms.toFixed(1)} ms`);
    return findings;
  }

  /** Replaces the diagnostics of one file (open or not). */
  publish(uri: vscode.Uri, positions: PositionSource, findings: Finding[]): void {
    const base = vscode.workspace.getWorkspaceFolder(uri)?.uri;
    this.collection.set(uri, findings.map((f) => toDiagnostic(positions, f, (r) => this.docs.webUri(r), base)));
    startMark('publish');
    markAfterTimers('sent');
    this.changed.fire(uri);
  }

  private closed(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.analyzed.delete(key);
    this.catalog.delete(key);
    // Problems found by Lint Workspace stay listed; those of a file merely opened go with it, as in ESLint.
    if (!this.fromWorkspaceLint.has(key)) {
      this.collection.delete(doc.uri);
      this.changed.fire(doc.uri);
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.subscriptions) s.dispose();
  }
}
