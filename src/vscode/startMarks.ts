/**
 * Start-up marks for bench:editor-start: with DUPGUARD_PERF_MARKS=1 in the extension host's
 * environment, `performance.mark('dupguard:NAME')` at the steps of the first lint, the parser load and
 * the schema index build; the benchmark's probe (same process) reads them. Off otherwise: no entries
 * pile up in a long session.
 */
const on = process.env.DUPGUARD_PERF_MARKS === '1';

export function startMark(name: string): void {
  if (on) performance.mark(`dupguard:${name}`);
}
