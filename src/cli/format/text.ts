/** `--format text`: one line per finding (`path:line:col  severity  message  rule`), grouped by file, then a summary. */
import type { LintReport, ReportSummary } from './report';

export function formatText(report: LintReport): string {
  const blocks: string[] = [];
  for (const f of report.files) {
    if (f.findings.length === 0) continue;
    const rows = f.findings.map((x) => [`${f.path}:${x.line}:${x.column}`, x.severity, oneLine(x.message), x.rule]);
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    const lines = rows.map((r, i) => {
      const head = `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}  ${r[3]}`;
      const related = f.findings[i].related ?? [];
      return [head, ...related.map((rel) => `${' '.repeat(w0 + 2)}${rel.path}:${rel.line}:${rel.column}: ${oneLine(rel.message)}`)].join('\n');
    });
    blocks.push(lines.join('\n'));
  }
  const summary = summaryLine(report.summary);
  return blocks.length ? `${blocks.join('\n\n')}\n\n${summary}\n` : `${summary}\n`;
}

/** `3 problems (1 error, 2 warnings, 0 infos) in 5 files` or `No problems in 5 files.` */
export function summaryLine(s: ReportSummary): string {
  const files = `${s.files} file${s.files === 1 ? '' : 's'}`;
  if (s.findings === 0) return `No problems in ${files}.`;
  const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;
  return `${n(s.findings, 'problem')} (${n(s.errors, 'error')}, ${n(s.warnings, 'warning')}, ${n(s.infos, 'info')}) in ${files}.`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\r?\n\s*/g, ' ');
}
