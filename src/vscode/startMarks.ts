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

/**
 * The same mark in a timer set now, so after every timer set before it: after a publication, when its
 * diagnostics have left the extension host for the window (it sends them in such a timer).
 */
export function markAfterTimers(name: string): void {
  if (on) setTimeout(() => performance.mark(`dupguard:${name}`), 0);
}
