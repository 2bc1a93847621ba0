/**
 * The lint report every output format renders: the JSON contract (`--format json`) plus what the
 * richer formats need (related locations). Built once from analyzer findings; offsets become
 * 1-based lines and UTF-16 columns here, in one place.
 */
import { stripSnippet } from '../../core/fixes';
import { LineIndex } from '../../core/positions';
import type { Finding, Severity } from '../../core/types';

export interface ReportEdit {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  newText: string;
}

export interface ReportFix {
  title: string;
  edits: ReportEdit[];
}

export interface ReportRelated {
  message: string;
  path: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface ReportFinding {
  rule: string;
  severity: Severity;
  message: string;
  line: number;
  column: number;
  endLine: number;
  /** Exclusive: the column just after the range, as SARIF and editors count. */
  endColumn: number;
  fixes: ReportFix[];
  /** The other half of the story ("created here", "declared here"); in the JSON contract only when there is some. */
  related?: ReportRelated[];
}

export interface ReportFile {
  /** Relative to the working directory, forward slashes. */
  path: string;
  findings: ReportFinding[];
}

export interface ReportSummary {
  files: number;
  findings: number;
  errors: number;
  warnings: number;
  infos: number;
}

/** Every linted file is listed, also those without findings, so consumers see what was covered. */
export interface LintReport {
  version: 1;
  files: ReportFile[];
  summary: ReportSummary;
}

/** What the rule list of a SARIF run needs to know about each rule. */
export interface RuleInfo {
  id: string;
  description: string;
  docs: string;
  severity: Severity;
}

/** Converts one file's findings (host offsets) into report findings (lines and columns). */
export function reportFile(path: string, text: string, findings: readonly Finding[], relatedPath: (p: string) => string): ReportFile {
  // (made for the first finding: most files of a run have none)
  let lines: LineIndex | undefined;
  const range = (start: number, end: number) => {
    const index = (lines ??= new LineIndex(text));
    const a = index.position(start);
    const b = index.position(Math.max(start, end));
    return { line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  };
  return {
    path,
    findings: findings.map((f) => {
      const out: ReportFinding = {
        rule: f.rule,
        severity: f.severity,
        message: f.message,
        ...range(f.start, f.end),
        fixes: f.fixes.map((x) => ({
          title: x.title,
          edits: x.edits.map((e) => ({ ...range(e.start, e.end), newText: x.snippet ? stripSnippet(e.newText) : e.newText })),
        })),
      };
      if (f.related?.length) {
        out.related = f.related.map((r) => ({
          message: r.message,
          path: relatedPath(r.location.path),
          line: r.location.line,
          column: r.location.column,
          endLine: r.location.endLine,
          endColumn: r.location.endColumn,
        }));
      }
      return out;
    }),
  };
}

/** Totals over the files, counting the findings they list. */
export function summarize(files: readonly ReportFile[]): ReportSummary {
  const s: ReportSummary = { files: files.length, findings: 0, errors: 0, warnings: 0, infos: 0 };
  for (const f of files) {
    for (const x of f.findings) {
      s.findings++;
      if (x.severity === 'error') s.errors++;
      else if (x.severity === 'warning') s.warnings++;
      else s.infos++;
    }
  }
  return s;
}


/** The report restricted to the JSON contract's keys, in the contract's order. */
export function toJsonContract(report: LintReport): LintReport {
  return {
    version: 1,
    files: report.files.map((f) => ({
      path: f.path,
      findings: f.findings.map((x) => ({
        rule: x.rule,
        severity: x.severity,
        message: x.message,
        line: x.line,
        column: x.column,
        endLine: x.endLine,
        endColumn: x.endColumn,
        fixes: x.fixes.map((fx) => ({
          title: fx.title,
          edits: fx.edits.map((e) => ({ line: e.line, column: e.column, endLine: e.endLine, endColumn: e.endColumn, newText: e.newText })),
        })),
        // added in version 1 (additive): present only on findings that have related locations
        ...(x.related?.length
          ? { related: x.related.map((r) => ({ message: r.message, path: r.path, line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn })) }
          : {}),
      })),
    })),
    summary: { ...report.summary },
  };
}
