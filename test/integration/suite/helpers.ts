/** Shared helpers of the extension-host tests. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'dupguard.dupguard';

export function workspaceUri(rel: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, rel);
}

/** dupguard's diagnostics for a file, in document order. */
export function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri)
    .filter((d) => d.source === 'dupguard')
    .sort((a, b) => a.range.start.compareTo(b.range.start));
}

export function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' && d.code ? String(d.code.value) : String(d.code);
}

/** Polls `fn` until it returns something truthy; fails with `what` and the last value seen. */
export async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    const v = fn();
    if (v) return v;
    last = v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** Waits until a file has exactly `n` dupguard diagnostics and returns them. */
export function diagnosticsCount(uri: vscode.Uri, n: number, timeoutMs = 20_000): Promise<vscode.Diagnostic[]> {
  return waitFor(`${n} dupguard diagnostics on ${vscode.workspace.asRelativePath(uri)} (now: ${describe(ours(uri))})`, () => {
    const d = ours(uri);
    return d.length === n ? d : undefined;
  }, timeoutMs);
}

export function describe(ds: vscode.Diagnostic[]): string {
  return `[${ds.map((d) => `${codeOf(d)}@${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}/${vscode.DiagnosticSeverity[d.severity]}`).join(', ')}]`;
}

export async function openFile(rel: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(workspaceUri(rel));
  return vscode.window.showTextDocument(doc);
}

/** Writes a new file into the scratch workspace and opens it. */
export async function createFile(rel: string, text: string): Promise<vscode.TextEditor> {
  const uri = workspaceUri(rel);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc);
}

/** Code actions VS Code would show at `range` (runs every provider, as the light bulb does). */
export async function codeActions(uri: vscode.Uri, range: vscode.Range, kind?: string): Promise<vscode.CodeAction[]> {
  const all = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, range, kind);
  return (all ?? []).filter((a): a is vscode.CodeAction => 'title' in a && !('command' in a && typeof a.command === 'string'));
}

export async function setSetting(key: string, value: unknown, section = 'dupguard'): Promise<void> {
  await vscode.workspace.getConfiguration(section).update(key, value, vscode.ConfigurationTarget.Workspace);
}

interface Exports {
  services: {
    schema: { ready(): Promise<void> };
    database: { uniqueCheck: { state(uri: string): DataCheckState | undefined } };
  };
}

/** The running extension's API (what activate() returned). */
export async function extensionApi(): Promise<Exports> {
  const ext = vscode.extensions.getExtension<Exports>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** Waits until the workspace schema index is built (schema-aware findings and fixes depend on it). */
export async function schemaReady(): Promise<void> {
  await (await extensionApi()).services.schema.ready();
}

/**
 * Asks the harness (which drives the browser) for a page action: a screenshot path or JSON such as
 * `{"waitFor": selector, "press": key}` (see harness/screenshots.ts). Returns when it was done (epoch ms).
 */
export async function pageAction(name: string, body: string, timeoutMs = 60_000): Promise<number> {
  return (await pageActionData(name, body, timeoutMs)).at;
}

let actionSeq = 0;

/** A page action that answers with data (JSON after the `ok@` line): the panel's state, for one. */
export async function pageActionData(name: string, body: string, timeoutMs = 60_000): Promise<{ at: number; data: string }> {
  name = `${name}-${++actionSeq}`;
  const dir = process.env.DUPGUARD_TEST_SCREENSHOTS;
  assert.ok(dir, 'the harness did not pass DUPGUARD_TEST_SCREENSHOTS');
  fs.mkdirSync(dir, { recursive: true });
  const done = path.join(dir, `${name}.done`);
  fs.rmSync(done, { force: true });
  // Written whole, then renamed: the harness never reads a half-written request.
  fs.writeFileSync(path.join(dir, `${name}.tmp`), body);
  fs.renameSync(path.join(dir, `${name}.tmp`), path.join(dir, `${name}.request`));
  const answer = await waitFor(`the page action ${name}`, () => fs.existsSync(done) && fs.readFileSync(done, 'utf8'), timeoutMs);
  const m = /^ok@(\d+)(?:\n([\s\S]*))?$/.exec(answer);
  assert.ok(m, `page action ${name}: ${answer}`);
  return { at: Number(m[1]), data: m[2] ?? '' };
}

/** The data check's last outcome for a document (uniqueCheck.ts CheckState), if any. */
export interface DataCheckState {
  outcome: 'untrusted' | 'not-enabled' | 'checked' | 'failed';
  connection?: string;
  keys?: { status: string; table?: string; note?: string; duplicateGroups?: number }[];
  seq: number;
}

export async function dataCheckState(uri: vscode.Uri): Promise<DataCheckState | undefined> {
  return (await extensionApi()).services.database.uniqueCheck.state(uri.toString());
}

/** Waits until the data check recorded an outcome for `uri` newer than `afterSeq` that satisfies `pred`. */
export async function dataCheckUntil(uri: vscode.Uri, what: string, pred: (s: DataCheckState) => boolean, afterSeq = 0, timeoutMs = 45_000): Promise<DataCheckState> {
  let last: DataCheckState | undefined;
  await waitFor(`${what} (last data-check state: ${JSON.stringify(last)})`, () => {
    void dataCheckState(uri).then((s) => { last = s; });
    return last && last.seq > afterSeq && pred(last);
  }, timeoutMs);
  return last!;
}
