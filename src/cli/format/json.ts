/** `--format json`: the machine-readable contract (see LintReport). */
import { toJsonContract, type LintReport } from './report';

export function formatJson(report: LintReport): string {
  return `${JSON.stringify(toJsonContract(report), null, 2)}\n`;
}
