/**
 * The same code actions for every rule, as ESLint offers them: the rule's own fixes (preferred one
 * marked), ignore for this statement, ignore for this file, show documentation; plus
 * `source.fixAll.dupguard` which applies every preferred fix (fix-on-save).
 */
import * as vscode from 'vscode';
import { preferredFixes } from '../core/fixes';
import type { Finding, Fix } from '../core/types';
import { stripSnippet } from '../core/fixes';
import { COMMANDS } from './commandTable';
import { Config } from './config';
import { ruleOf, toRange } from './convert';
import type { DiagnosticsController } from './diagnostics';
import { lineComment, sourceLanguage, statementStart } from './languages';

export const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('dupguard');
export const SHOW_DOCS_COMMAND = COMMANDS.showRuleDocumentation.id;

/** A line inserted above the one holding `offset`, same indentation; `reason` becomes a tab stop. */
function insertCommentAbove(doc: vscode.TextDocument, offset: number, comment: string, reason: string): vscode.SnippetTextEdit {
  const line = doc.lineAt(doc.positionAt(offset).line);
  const indent = line.text.slice(0, line.firstNonWhitespaceCharacterIndex);
  const eol = doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  const snippet = new vscode.SnippetString().appendText(`${indent}${comment}: `).appendPlaceholder(reason).appendText(eol);
  return vscode.SnippetTextEdit.insert(line.range.start, snippet);
}

/** Where a file-wide ignore goes: after a shebang and a leading "use strict"/comment header is not required. */
function fileCommentPosition(doc: vscode.TextDocument): vscode.Position {
  return doc.lineCount > 0 && doc.lineAt(0).text.startsWith('#!') ? new vscode.Position(1, 0) : new vscode.Position(0, 0);
}

/** The analyzer's edits for one fix, as a workspace edit (snippets stay snippets when allowed). */
export function fixEdit(doc: vscode.TextDocument, fix: Fix, allowSnippet: boolean): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  if (fix.snippet && allowSnippet && fix.edits.length === 1) {
    const e = fix.edits[0];
    edit.set(doc.uri, [new vscode.SnippetTextEdit(toRange(doc, e.start, e.end), new vscode.SnippetString(e.newText))]);
  } else {
    for (const e of fix.edits) edit.replace(doc.uri, toRange(doc, e.start, e.end), fix.snippet ? stripSnippet(e.newText) : e.newText);
  }
  return edit;
}

function sameDiagnostic(d: vscode.Diagnostic, f: Finding, range: vscode.Range): boolean {
  return ruleOf(d) === f.rule && d.range.isEqual(range);
}

export class DupguardCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, FIX_ALL_KIND],
  };

  constructor(private readonly diagnostics: DiagnosticsController) {}

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const language = sourceLanguage(doc.languageId);
    if (!language) return [];
    const only = context.only;
    if (only && FIX_ALL_KIND.intersects(only) && !vscode.CodeActionKind.QuickFix.intersects(only)) {
      const all = this.fixAll(doc);
      return all ? [all] : [];
    }
    if (only && !vscode.CodeActionKind.QuickFix.intersects(only)) return [];

    const ours = context.diagnostics.filter((d) => ruleOf(d) !== undefined);
    if (!ours.length) return [];
    const findings = this.diagnostics.findings(doc);
    const actions: vscode.CodeAction[] = [];
    const ignored = new Set<string>();
    for (const f of findings) {
      const fRange = toRange(doc, f.start, f.end);
      const diag = ours.find((d) => sameDiagnostic(d, f, fRange));
      if (!diag) continue;
      for (const fix of f.fixes) {
        const a = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        a.edit = fixEdit(doc, fix, true);
        a.diagnostics = [diag];
        a.isPreferred = !!fix.preferred;
        actions.push(a);
      }
      const comment = lineComment(language);
      const stmt = new vscode.CodeAction(`Ignore ${f.rule} for this statement`, vscode.CodeActionKind.QuickFix);
      stmt.edit = new vscode.WorkspaceEdit();
      stmt.edit.set(doc.uri, [insertCommentAbove(doc, statementStart(doc.getText(), f.start, language, this.diagnostics.project.analyzer(doc.uri)), `${comment} dupguard-ignore ${f.rule}`, 'reason')]);
      stmt.diagnostics = [diag];
      actions.push(stmt);
      if (ignored.has(f.rule)) continue;
      ignored.add(f.rule);
      const file = new vscode.CodeAction(`Ignore ${f.rule} for this file`, vscode.CodeActionKind.QuickFix);
      file.edit = new vscode.WorkspaceEdit();
      const eol = doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
      file.edit.insert(doc.uri, fileCommentPosition(doc), `${comment} dupguard-ignore-file ${f.rule}${eol}`);
      file.diagnostics = ours.filter((d) => ruleOf(d) === f.rule);
      actions.push(file);
      const docs = new vscode.CodeAction(`Show documentation for ${f.rule}`, vscode.CodeActionKind.QuickFix);
      docs.command = { command: SHOW_DOCS_COMMAND, title: 'Show documentation', arguments: [f.rule] };
      actions.push(docs);
    }
    return actions;
  }

  /** One edit with every finding's preferred fix; overlapping fixes after the first are left for the next save. */
  fixAll(doc: vscode.TextDocument): vscode.CodeAction | undefined {
    // the choice `dupguard lint --fix` makes; a snippet's placeholders are written as their default text
    const chosen = preferredFixes(this.diagnostics.findings(doc), { snippets: true });
    this.diagnostics.log.info(`fix-all ${vscode.workspace.asRelativePath(doc.uri)} v${doc.version}: ${chosen.length} preferred fixes`);
    if (!chosen.length) return undefined;
    const action = new vscode.CodeAction('Fix all dupguard problems', FIX_ALL_KIND);
    action.edit = new vscode.WorkspaceEdit();
    for (const fix of chosen) {
      for (const e of fix.edits) action.edit.replace(doc.uri, toRange(doc, e.start, e.end), fix.snippet ? stripSnippet(e.newText) : e.newText);
    }
    return action;
  }
}
