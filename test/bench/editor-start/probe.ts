/**
 * Runs inside the VS Code extension host (loaded through `extensionTestsPath` by editor-start.ts):
 * opens one file of the workspace, which activates dupguard, and records when its diagnostics change
 * until they settle. Writes one JSON line to DUPGUARD_BENCH_REPORT: the times (ms since the open),
 * and the final diagnostics so the two builds can be compared.
 */
import * as fs from 'node:fs';
import { Session } from 'node:inspector';
import * as vscode from 'vscode';

interface Change { t: number; diags: string[] }

function ours(uri: vscode.Uri): string[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'dupguard').map((d) =>
    `${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${d.severity} ${typeof d.code === 'object' ? d.code.value : d.code} ${d.message}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<void> {
  const out = process.env.DUPGUARD_BENCH_REPORT!;
  const rel = process.env.DUPGUARD_BENCH_FILE ?? 'queries/import_orders.sql';
  try {
    const ext = vscode.extensions.getExtension<any>('dupguard.dupguard');
    if (!ext) throw new Error('dupguard is not loaded');
    if (ext.isActive) throw new Error('dupguard was active before the file was opened');
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, rel);
    // a window that has finished starting, as when someone opens a file in it
    await sleep(Number(process.env.DUPGUARD_BENCH_SETTLE_MS ?? 3000));
    const changes: Change[] = [];
    let t0 = 0;
    // With DUPGUARD_BENCH_PROFILE (a file path), a CPU profile of the extension host from the open to the end.
    const profile = process.env.DUPGUARD_BENCH_PROFILE;
    const session = profile ? new Session() : undefined;
    const post = (method: string, params?: object) => new Promise<any>((ok, ko) => session!.post(method, params ?? {}, (e, r) => (e ? ko(e) : ok(r))));
    if (session) {
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
    }
    // The extension host's event loop: every gap of more than 20 ms between two 5 ms ticks (when and how long).
    const stalls: { at: number; ms: number }[] = [];
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      if (now - last > 20) stalls.push({ at: Math.round(last - t0), ms: Math.round(now - last) });
      last = now;
    }, 5);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) changes.push({ t: performance.now() - t0, diags: ours(uri) });
    });
    t0 = performance.now();
    // when the extension became active (the open activates it; showing the editor takes longer)
    let active = NaN;
    const poll = setInterval(() => { if (ext.isActive && Number.isNaN(active)) active = performance.now() - t0; }, 2);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const api = await ext.activate();
    clearInterval(poll);
    if (Number.isNaN(active)) active = performance.now() - t0;
    // The parser and the schema index: ready() awaits both (the index loads the parser). Asked only
    // once the first lint's diagnostics are out (or half a second after it found nothing): asking at
    // activation would start both before that lint, which a user's window does not do.
    const asked = performance.now() + 10_000;
    while (!changes.length && performance.now() < asked) {
      if (api.firstLintMs !== undefined && performance.now() - t0 - active > 500) break;
      await sleep(5);
    }
    await api.services.schema.ready();
    const schemaReady = performance.now() - t0;
    // then quiet: no change for 2 s (60 s at most)
    const deadline = performance.now() + 60_000;
    let seen = -1;
    while (performance.now() < deadline) {
      seen = changes.length;
      await sleep(2_000);
      if (changes.length === seen) break;
    }
    sub.dispose();
    clearInterval(ticker);
    if (session) {
      const { profile: cpu } = await post('Profiler.stop');
      fs.writeFileSync(profile!, JSON.stringify(cpu));
      session.disconnect();
    }
    // the extension's own start-up marks (performance.mark('dupguard:...')), ms since the open
    const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('dupguard:'))
      .map((m) => `${m.name.slice('dupguard:'.length)}@${Math.round(m.startTime - t0)}`);
    const final = ours(uri);
    const key = (d: string[]) => JSON.stringify(d);
    const first = changes.find((c) => c.diags.length > 0);
    // the first change from which the diagnostics stayed the final ones
    let settled = changes.length;
    while (settled > 0 && key(changes[settled - 1].diags) === key(final)) settled--;
    const confirmed = changes[settled];
    fs.writeFileSync(out, `${JSON.stringify({
      file: rel, wall0: performance.timeOrigin + t0, active, schemaReady, first: first?.t, confirmed: confirmed?.t,
      activationMs: api.activationMs, firstLintMs: api.firstLintMs,
      published: changes.map((c) => ({ t: Math.round(c.t), n: c.diags.length })), final,
      stalls: stalls.filter((x) => x.at < 5000), marks,
    })}\n`);
    // a warm start must not reopen the file before the probe does
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  } catch (e) {
    fs.writeFileSync(out, `${JSON.stringify({ error: e instanceof Error ? e.stack ?? e.message : String(e) })}\n`);
  }
}
