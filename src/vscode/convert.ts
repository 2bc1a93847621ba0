/**
 * The one place where analyzer offsets become editor positions (and findings become diagnostics).
 * Offsets are UTF-16 code units, as both the analyzer and VS Code count them.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LineIndex } from '../core/positions';
import type { Finding, Location, Severity } from '../core/types';

/** Anything that can turn an offset into a position: an open TextDocument or a TextPositions. */
export interface PositionSource {
  positionAt(offset: number): vscode.Position;
}

/** Offset → position for text that is not open in an editor (Lint Workspace), via the core's line index. */
export class TextPositions implements PositionSource {
  private readonly index: LineIndex;

  constructor(text: string) {
    this.index = new LineIndex(text);
  }

  positionAt(offset: number): vscode.Position {
    const p = this.index.position(offset);
    return new vscode.Position(p.line - 1, p.column - 1);
  }
}

export function toRange(doc: PositionSource, start: number, end: number): vscode.Range {
  return new vscode.Range(doc.positionAt(start), doc.positionAt(Math.max(start, end)));
}

export function toSeverity(s: Severity): vscode.DiagnosticSeverity {
  switch (s) {
    case 'error': return vscode.DiagnosticSeverity.Error;
    case 'warning': return vscode.DiagnosticSeverity.Warning;
    default: return vscode.DiagnosticSeverity.Information;
  }
}

/** A Location from another file (1-based lines/columns) as an editor location; relative paths resolve against `base`. */
export function toLocation(loc: Location, base: vscode.Uri | undefined): vscode.Location {
  let uri: vscode.Uri;
  if (path.isAbsolute(loc.path)) uri = vscode.Uri.file(loc.path);
  else if (base) uri = vscode.Uri.joinPath(base, loc.path);
  else uri = vscode.Uri.file(path.resolve(loc.path));
  const range = new vscode.Range(
    Math.max(0, loc.line - 1), Math.max(0, loc.column - 1),
    Math.max(0, loc.endLine - 1), Math.max(0, loc.endColumn - 1),
  );
  return new vscode.Location(uri, range);
}

export const DIAGNOSTIC_SOURCE = 'dupguard';

/** A finding as a diagnostic: source, code with docs link, related information. */
export function toDiagnostic(
  doc: PositionSource, f: Finding, docsUri: (rule: string) => vscode.Uri, base: vscode.Uri | undefined,
): vscode.Diagnostic {
  const d = new vscode.Diagnostic(toRange(doc, f.start, f.end), f.message, toSeverity(f.severity));
  d.source = DIAGNOSTIC_SOURCE;
  d.code = { value: f.rule, target: docsUri(f.rule) };
  if (f.related?.length) {
    d.relatedInformation = f.related.map((r) => new vscode.DiagnosticRelatedInformation(toLocation(r.location, base), r.message));
  }
  return d;
}

/** The rule id of a dupguard diagnostic, or undefined for anyone else's. */
export function ruleOf(d: vscode.Diagnostic): string | undefined {
  if (d.source !== DIAGNOSTIC_SOURCE) return undefined;
  const c = d.code;
  if (typeof c === 'object' && c !== null) return String(c.value);
  return c === undefined ? undefined : String(c);
}
