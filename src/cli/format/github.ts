/**
 * `--format github`: GitHub Actions workflow commands, one annotation per finding
 * (`::error file=...,line=...,col=...,endLine=...,endColumn=...,title=<rule>::message`).
 */
import type { LintReport } from './report';
import { summaryLine } from './text';

const LEVEL = { error: 'error', warning: 'warning', info: 'notice' } as const;

export function formatGithub(report: LintReport): string {
  let out = '';
  for (const f of report.files) {
    for (const x of f.findings) {
      const props = [
        `file=${escapeProperty(f.path)}`,
        `line=${x.line}`,
        `col=${x.column}`,
        `endLine=${x.endLine}`,
        `endColumn=${x.endColumn}`,
        `title=${escapeProperty(x.rule)}`,
      ].join(',');
      out += `::${LEVEL[x.severity]} ${props}::${escapeData(x.message)}\n`;
    }
  }
  return `${out}${summaryLine(report.summary)}\n`;
}

/** Message text of a workflow command: %, CR and LF are percent-encoded (as @actions/core does). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Property values additionally encode `:` and `,`, which would end the value. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
