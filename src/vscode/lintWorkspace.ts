/**
 * "Lint Workspace": every matching file in the workspace, open or not, with a cancellable progress
 * notification; results go to the Problems panel.
 */
import * as vscode from 'vscode';
import { languageFromPath } from '../core/languages';
import type { Finding } from '../core/types';
import { analyzeText } from './analyzeText';
import { Config } from './config';
import { TextPositions } from './convert';
import type { DiagnosticsController } from './diagnostics';
import type { SchemaIndex } from './schemaIndex';

export interface LintSummary {
  files: number;
  findings: number;
  filesWithFindings: number;
  cancelled: boolean;
  ms: number;
}

const MAX_FILES = 20_000;
/** Larger files are generated or dumps; reading them would stall the extension host. */
const MAX_BYTES = 5 * 1024 * 1024;

function braces(patterns: string[]): string | undefined {
  if (!patterns.length) return undefined;
  return patterns.length === 1 ? patterns[0] : `{${patterns.join(',')}}`;
}

/**
 * Lints one file that is not open, from its content on disk, and publishes its problems. Undefined
 * when dupguard does not read that kind of file, or it is too big or unreadable.
 */
export async function lintFileOnDisk(
  uri: vscode.Uri, diagnostics: DiagnosticsController, schema: SchemaIndex, log: vscode.LogOutputChannel,
): Promise<Finding[] | undefined> {
  const language = languageFromPath(uri.path);
  if (!language) return undefined;
  let text: string;
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.size > MAX_BYTES) { log.info(`lint workspace: skipped ${vscode.workspace.asRelativePath(uri)} (${stat.size} bytes)`); return undefined; }
    text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch (e) {
    log.warn(`lint workspace: cannot read ${vscode.workspace.asRelativePath(uri)}: ${e instanceof Error ? e.message : e}`);
    return undefined;
  }
  const findings = analyzeText({ text, language, path: uri.fsPath, schema: schema.current(uri.fsPath), config: diagnostics.project.analyzer(uri) });
  diagnostics.publish(uri, new TextPositions(text), findings);
  return findings;
}

/** True when no exclude glob of the settings matches `uri` (a file Lint Workspace may read). */
export async function notExcluded(uri: vscode.Uri): Promise<boolean> {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) return false;
  const cfg = new Config(uri);
  if (!cfg.enable) return false;
  // the file itself, glob characters in its name escaped
  const rel = vscode.workspace.asRelativePath(uri, false).replace(/[[\]{}*?]/g, '[$&]');
  return (await vscode.workspace.findFiles(new vscode.RelativePattern(folder, rel), braces(cfg.exclude), 1)).length > 0;
}

export async function lintWorkspace(
  diagnostics: DiagnosticsController, schema: SchemaIndex, log: vscode.LogOutputChannel,
): Promise<LintSummary> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'dupguard: linting workspace', cancellable: true },
    async (progress, token) => {
      const t0 = Date.now();
      const cfg = new Config();
      if (!cfg.enable) {
        log.info('lint workspace: dupguard is disabled (dupguard.enable)');
        return { files: 0, findings: 0, filesWithFindings: 0, cancelled: false, ms: 0 };
      }
      const exclude = braces(cfg.exclude);
      const seen = new Map<string, vscode.Uri>();
      for (const include of cfg.include) {
        for (const uri of await vscode.workspace.findFiles(include, exclude, MAX_FILES, token)) seen.set(uri.toString(), uri);
      }
      const uris = [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
      await schema.ready();
      const summary: LintSummary = { files: 0, findings: 0, filesWithFindings: 0, cancelled: false, ms: 0 };
      const open = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.toString(), d]));
      let lastYield = Date.now();
      for (const uri of uris) {
        if (token.isCancellationRequested) { summary.cancelled = true; break; }
        progress.report({ message: vscode.workspace.asRelativePath(uri), increment: 100 / uris.length });
        const key = uri.toString();
        const doc = open.get(key);
        let findings;
        if (doc) {
          findings = diagnostics.lintNow(doc);
        } else {
          findings = await lintFileOnDisk(uri, diagnostics, schema, log);
          if (!findings) continue;
        }
        diagnostics.fromWorkspaceLint.add(key);
        summary.files++;
        summary.findings += findings.length;
        if (findings.length) summary.filesWithFindings++;
        // Let the extension host breathe (typing, cancel) on big workspaces.
        if (Date.now() - lastYield > 50) { await new Promise((r) => setImmediate(r)); lastYield = Date.now(); }
      }
      summary.ms = Date.now() - t0;
      log.info(`lint workspace: ${summary.findings} findings in ${summary.filesWithFindings} of ${summary.files} files, ${summary.ms} ms${summary.cancelled ? ' (cancelled)' : ''}`);
      return summary;
    },
  );
}
