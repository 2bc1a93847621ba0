/**
 * The database side in a real VS Code: "Scan DB for duplicates" against the run's PostgreSQL (the
 * harness passes DUPGUARD_TEST_PG_URL to code-server), the duplicates panel's rendered table, chart,
 * sorting and Generate migration button (driven inside the webview), the data-dependent UNIQUE
 * diagnostic and its quick fix, workspace trust and connection profiles, and a screenshot of the panel.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readProfiles } from '../../../src/vscode/database/connections';
import { saveProfile } from '../../../src/vscode/database/profiles';
import { createTestDatabase } from '../../support/postgres';
import { startPasswordProxy } from './panelPasswordProxy';
import { startCountingProxy } from './countingProxy';
import { codeActions, codeOf, createFile, dataCheckUntil, pageAction, setSetting, waitFor } from './helpers';
import { test } from './runner';

const TABLE = 'public.task_requirements';
const RULE = 'unique-constraint-violated-by-data';

interface Rendered {
  rows: { name: string; cells: string[] }[];
  bars: { label: string; value: string }[];
  sort: { column: string; descending: boolean };
  expanded: string[];
  banners: string[];
  dryRuns: Record<string, string>;
  stats: string[];
  buttons: string[];
}
interface ScanReportLike {
  mode: 'exact' | 'quick';
  complete: boolean;
  tables: { schema: string; table: string; rows: number; checks: { kind: string; source: string; duplicateGroups: number; excessRows: number }[] }[];
}

let dbUrl = '';

/** Seed 002 in small (1 000 link rows over 37 (task, requirement) pairs), seed 001's 44 copies of one event, a clean table. */
async function seed(): Promise<string> {
  const url = await createTestDatabase('panel');
  const { Client } = await import('pg');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`
      CREATE TABLE task_requirements (
        id serial PRIMARY KEY,
        task_pk integer NOT NULL,
        requirement_id integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO task_requirements (task_pk, requirement_id, created_at)
        SELECT g % 37, (g % 37) * 3, timestamptz '2024-01-01' + g * interval '1 minute' FROM generate_series(1, 1000) g;
      CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL);
      INSERT INTO customers (email) SELECT 'c' || g || '@example.com' FROM generate_series(1, 50) g;
      -- Seed 001: the same event stored 44 times, each copy with its own id and insert time.
      CREATE TABLE events (id bigserial PRIMARY KEY, kind text NOT NULL, payload text, created_at timestamptz NOT NULL DEFAULT now());
      INSERT INTO events (kind, payload) SELECT 'signup', '{"user": 7}' FROM generate_series(1, 44);
      INSERT INTO events (kind, payload) SELECT 'login', '{"user": ' || g || '}' FROM generate_series(1, 10) g;
      ANALYZE;`);
  } finally {
    await c.end();
  }
  return url;
}

async function panelState(fresh = false): Promise<Rendered> {
  const r = await vscode.commands.executeCommand<Rendered | undefined>('_dupguard.panelState', fresh);
  assert.ok(r, 'the duplicates panel is not open');
  return r;
}

/** Polls what the panel drew until `pred` holds. */
async function panelUntil(what: string, pred: (s: Rendered) => boolean, timeoutMs = 30_000): Promise<Rendered> {
  const t0 = Date.now();
  let last: Rendered | undefined;
  let error: unknown;
  for (;;) {
    try {
      last = await panelState(true);
      if (pred(last)) return last;
    } catch (e) {
      error = e;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}: last drawn ${JSON.stringify(last)} ${error ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The editor group showing the duplicates panel. */
function panelGroup(): vscode.TabGroup | undefined {
  return vscode.window.tabGroups.all.find((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('dupguard.duplicates')));
}

/** Closes every editor but the panel (closing the panel would dispose it and its state). */
async function closeTextEditors(): Promise<void> {
  for (const tab of vscode.window.tabGroups.all.flatMap((g) => g.tabs.filter((t) => !(t.input instanceof vscode.TabInputWebview)))) {
    // Untitled documents would ask whether to save: revert them first.
    if (tab.input instanceof vscode.TabInputText && tab.input.uri.scheme === 'untitled') {
      await vscode.window.showTextDocument(tab.input.uri, { viewColumn: tab.group.viewColumn });
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    } else {
      await vscode.window.tabGroups.close(tab);
    }
  }
}

async function click(selector: string): Promise<void> {
  const found = await vscode.commands.executeCommand<boolean | undefined>('_dupguard.panelClick', selector);
  assert.equal(found, true, `nothing in the panel matches ${selector}`);
}

/** The password box dupguard opens (title "dupguard: password for ..."), once it is on screen. */
const PASSWORD_BOX = '.quick-input-widget:has(.quick-input-title:has-text("password for")) input[type="password"]';

/** A screenshot of the whole page, saved under test-results/. */
async function screenshot(name: string): Promise<string> {
  const results = process.env.DUPGUARD_TEST_RESULTS;
  assert.ok(results, 'the harness did not pass DUPGUARD_TEST_RESULTS');
  const target = path.join(results, `${name}.png`);
  await pageAction(name, target);
  return target;
}

/** Accepts the quick pick an action opens (the keep-policy question) once it is shown. */
async function acceptQuickPickUntil<T>(what: string, fn: () => T | undefined): Promise<T> {
  return waitFor(what, () => {
    const v = fn();
    if (!v) void vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    return v;
  }, 45_000);
}

/** An untitled SQL document holding `text`, shown in an editor, not among `before`. */
function untitledWith(text: string, before: Set<vscode.TextDocument> = new Set()): vscode.TextDocument | undefined {
  return vscode.window.visibleTextEditors.map((e) => e.document)
    .find((d) => d.isUntitled && d.languageId === 'sql' && !before.has(d) && d.getText().includes(text));
}

test('Scan DB for duplicates scans the database given by URL and the panel shows the table with its counts', async () => {
  dbUrl = await seed();
  await setSetting('naturalKeys', { [TABLE]: ['task_pk', 'requirement_id'] });
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  const report = await vscode.commands.executeCommand<ScanReportLike | undefined>('dupguard.scanDatabase', { url: dbUrl });
  assert.ok(report, 'the scan command returned no report');
  assert.equal(report.complete, true);
  const t = report.tables.find((x) => `${x.schema}.${x.table}` === TABLE);
  assert.ok(t, `no ${TABLE} in ${JSON.stringify(report.tables.map((x) => x.table))}`);
  const key = t.checks.find((c) => c.source === 'config');
  assert.ok(key);
  assert.equal(key.duplicateGroups, 37);
  assert.equal(key.excessRows, 963);

  const state = await panelUntil('the panel to draw the report', (x) => x.rows.length === 3);
  const row = state.rows.find((r) => r.name === TABLE);
  assert.ok(row, `the panel has no row for ${TABLE}: ${JSON.stringify(state.rows)}`);
  // rows, duplicate groups, excess rows, % excess, reclaimable
  assert.deepEqual(row.cells.slice(0, 4).map((c) => c.trim()), ['1,000', '37', '963', '96%']);
  assert.match(row.cells[0], /1,000/);
  assert.match(row.cells[4], /\d+(\.\d)? (B|kB)/);
  const clean = state.rows.find((r) => r.name === 'public.customers');
  assert.ok(clean);
  assert.deepEqual(clean.cells.slice(0, 3), ['50', '0', '0']);
  // Largest excess first by default; the chart lists only tables with duplicates.
  assert.equal(state.rows[0].name, TABLE);
  assert.deepEqual(state.bars, [{ label: TABLE, value: '963' }, { label: 'public.events', value: '43' }]);
  const events = state.rows.find((r) => r.name === 'public.events');
  assert.deepEqual(events?.cells.slice(0, 3), ['54', '1', '43']);
}, 120_000);

test('the panel sorts by a column header, expands a table and keeps that state when hidden and shown again', async () => {
  await click('th[data-sort="table"]');
  let s = await panelUntil('sorted by name', (x) => x.sort.column === 'table');
  assert.deepEqual(s.sort, { column: 'table', descending: false });
  assert.deepEqual(s.rows.map((r) => r.name), ['public.customers', 'public.events', TABLE]);
  await click('th[data-sort="excess"]');
  await click(`tr[data-table="${TABLE}"]`);
  s = await panelUntil('the table expanded', (x) => x.expanded.length > 0);
  assert.deepEqual(s.sort, { column: 'excess', descending: true });
  assert.deepEqual(s.expanded, [TABLE]);

  // Hide the panel behind an editor in its group, show it again: the webview is rebuilt and its UI state comes from getState.
  const group = panelGroup();
  assert.ok(group, 'no editor group shows the panel');
  const doc = await vscode.workspace.openTextDocument({ language: 'sql', content: 'select 1;' });
  await vscode.window.showTextDocument(doc, { viewColumn: group.viewColumn });
  await waitFor('the panel to be hidden', () => !panelGroup()?.activeTab?.input || !(panelGroup()!.activeTab!.input instanceof vscode.TabInputWebview));
  await vscode.commands.executeCommand('dupguard.scanDatabase', { url: dbUrl });
  s = await panelUntil('the re-shown panel', (x) => x.rows.length === 3);
  assert.deepEqual(s.expanded, [TABLE]);
  assert.deepEqual(s.sort, { column: 'excess', descending: true });
  // Only the panel on screen for the picture (closing it would dispose it, and its state with it).
  await closeTextEditors();
  await vscode.commands.executeCommand('workbench.action.closeSidebar');
  await vscode.commands.executeCommand('workbench.action.closePanel');
  await vscode.commands.executeCommand('notifications.clearAll');
  s = await panelUntil('the panel after closing the other editors', (x) => x.rows.length === 3);
  assert.deepEqual(s.expanded, [TABLE]);
  // Open the sample groups of the key check for the picture.
  await click(`[data-check="${TABLE}#0"] details.samples summary`);
  await new Promise((r) => setTimeout(r, 400));
  const png = await screenshot('panel');
  assert.ok(fs.statSync(png).size > 10_000, 'the screenshot is empty');
  console.log(`screenshot of the duplicates panel: ${png}`);
}, 120_000);

test('Generate migration in the panel opens an untitled SQL document with the dedup script', async () => {
  await click(`button[data-action="generate"][data-check="${TABLE}#0"]`);
  const doc = await acceptQuickPickUntil('the generated migration document', () => untitledWith('-- backup: public.task_requirements_dupguard_'));
  const text = doc.getText();
  assert.match(text, /^-- backup: public\.task_requirements_dupguard_\w+$/m);
  assert.match(text, /task_pk, requirement_id|"task_pk", "requirement_id"/);
  await closeTextEditors();
}, 120_000);

test('Copy query puts a read-only query on the clipboard that lists the duplicate groups', async () => {
  await vscode.env.clipboard.writeText('');
  await click(`button[data-action="copy"][data-check="${TABLE}#0"]`);
  let text = '';
  await waitFor('the clipboard to hold the query', () => { void vscode.env.clipboard.readText().then((t) => { text = t; }); return text.includes('GROUP BY'); });
  assert.match(text, /FROM public\.task_requirements/);
  const { Client } = await import('pg');
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const r = await c.query<{ task_pk: number; copies: string; ids: number[] }>(text);
    assert.equal(r.rows.length, 37);
    assert.deepEqual([r.rows[0].task_pk, Number(r.rows[0].copies), r.rows[0].ids.slice(0, 3)], [1, 28, [1, 38, 75]]);
  } finally {
    await c.end();
  }
});

test('Dry run asks which copy stays, runs the migration rolled back and shows the result in the panel', async () => {
  await click(`button[data-action="dryrun"][data-check="${TABLE}#0"]`);
  // The confirmation is the keep-policy quick pick: its first item is accepted below.
  const s = await acceptQuickPickUntil('the dry-run result in the panel', () => {
    void panelState(true).then((x) => { last = x; }, () => {});
    return last?.dryRuns[`${TABLE}#0`];
  });
  assert.match(s, /the dedup and the constraint both work/);
  assert.match(s, /rows before: 1,000, distinct keys: 37, duplicate groups: 37/);
  assert.match(s, /rows after: 37 \(963 copies removed\)/);
  // Rolled back: the table still holds every copy.
  const { Client } = await import('pg');
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  try {
    assert.equal((await c.query('SELECT count(*)::int AS n FROM task_requirements')).rows[0].n, 1000);
  } finally {
    await c.end();
  }
}, 120_000);

let last: Rendered | undefined;

test('Quick estimate rescans from statistics and a sample, Exact scan counts again, and dupguard.scan.mode picks the command\'s way', async () => {
  const exactRow = (x: Rendered) => x.rows.find((r) => r.name === TABLE)?.cells.slice(0, 4).map((c) => c.trim());
  let s = await panelUntil('an exact report with a Quick estimate button', (x) => x.stats.some((t) => t.endsWith(' exact scan')) && x.buttons.includes('Quick estimate'));
  assert.deepEqual(exactRow(s), ['1,000', '37', '963', '96%']);
  await click('button[data-action="rescan-quick"]');
  s = await panelUntil('the quick estimate drawn', (x) => x.stats.some((t) => t.endsWith(' quick scan')));
  assert.deepEqual(s.buttons, ['Rescan', 'Exact scan']);
  // the duplicated table is still found, its figures marked as estimates
  const bar = s.bars.find((b) => b.label === TABLE);
  assert.ok(bar, `no bar for ${TABLE} in the quick estimate: ${JSON.stringify(s.bars)}`);
  assert.match(bar.value, /≈$/);
  await click('button[data-action="rescan-exact"]');
  s = await panelUntil('exact counts again', (x) => x.stats.some((t) => t.endsWith(' exact scan')));
  assert.deepEqual(exactRow(s), ['1,000', '37', '963', '96%']);
  assert.deepEqual(s.buttons, ['Rescan', 'Quick estimate']);
  // the command without a mode: the setting's
  await setSetting('scan.mode', 'quick');
  try {
    const r = await vscode.commands.executeCommand<ScanReportLike | undefined>('dupguard.scanDatabase', { url: dbUrl });
    assert.equal(r?.mode, 'quick');
  } finally {
    await setSetting('scan.mode', undefined);
  }
  const back = await vscode.commands.executeCommand<ScanReportLike | undefined>('dupguard.scanDatabase', { url: dbUrl });
  assert.equal(back?.mode, 'exact');
  await panelUntil('the exact report again', (x) => x.stats.some((t) => t.endsWith(' exact scan')));
}, 120_000);

test('a migration adding UNIQUE: nothing is sent until the check is turned on for the connection; then the data-dependent error with the real counts, and its quick fix', async () => {
  // Every statement a client sends to the database passes through this proxy, and is counted.
  const real = new URL(dbUrl);
  const proxy = await startCountingProxy({ host: real.hostname, port: Number(real.port) });
  try {
    const url = `postgres://postgres@127.0.0.1:${proxy.port}${real.pathname}?sslmode=disable`;
    await vscode.commands.executeCommand('dupguard.scanDatabase', { url, tables: ['public.customers'] });
    await closeTextEditors();
    const connectionsBefore = proxy.connections();
    const statementsBefore = proxy.statements.length;
    const editor = await createFile('migrations/002_task_requirements_unique.sql', [
      '-- Stop the copies for good.',
      'ALTER TABLE task_requirements ADD CONSTRAINT task_requirements_task_req_key UNIQUE (task_pk, requirement_id);',
      'CREATE UNIQUE INDEX customers_email_key ON public.customers (email);',
      "CREATE UNIQUE INDEX task_requirements_live ON task_requirements (task_pk) WHERE CASE WHEN pg_terminate_backend(pg_backend_pid()) THEN true END;",
      '',
    ].join('\n'));
    const uri = editor.document.uri;
    // Not turned on for this connection (the default): the check stops before connecting.
    const off = await dataCheckUntil(uri, 'the check to decline (not turned on)', (x) => x.outcome === 'not-enabled');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(proxy.connections(), connectionsBefore, 'a connection was opened for a check that is off');
    assert.deepEqual(proxy.statements.slice(statementsBefore), []);
    assert.equal(vscode.languages.getDiagnostics(uri).filter((x) => codeOf(x) === RULE).length, 0);

    // The clear way to turn it on: the question shown once per connection, answered through the UI.
    await pageAction('turn-on-data-check', JSON.stringify({ click: '.notifications-toasts .monaco-button:has-text("Turn On")' }));
    const on = await dataCheckUntil(uri, 'the check to run', (x) => x.outcome === 'checked', off.seq);
    assert.deepEqual(on.keys?.map((k) => k.status), ['counted', 'counted', 'skipped']);
    assert.match(on.keys![2].note!, /not evaluated/);
    const sent = proxy.statements.slice(statementsBefore);
    assert.ok(sent.length > 0);
    for (const text of sent) assert.ok(!/terminate|;/.test(text), `sent: ${text}`);
    const [d] = await waitFor(`a ${RULE} diagnostic`, () => {
      const ds = vscode.languages.getDiagnostics(uri).filter((x) => codeOf(x) === RULE);
      return ds.length ? ds : undefined;
    }, 45_000);
    assert.equal(vscode.languages.getDiagnostics(uri).filter((x) => codeOf(x) === RULE).length, 1, 'customers.email holds no duplicates: one diagnostic only');
    assert.equal(d.source, 'dupguard');
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(d.range.start.line, 1);
    assert.match(d.message, /public\.task_requirements/);
    assert.match(d.message, /37 key values are held by more than one row \(963 excess rows, up to 28 copies/);

    const fix = (await codeActions(uri, d.range)).find((a) => a.title === 'Generate dedup migration first');
    assert.ok(fix?.command, 'no "Generate dedup migration first" quick fix');
    const [req] = fix.command.arguments as [{ schema: string; table: string; key: string[] }];
    assert.deepEqual([req.schema, req.table, req.key], ['public', 'task_requirements', ['task_pk', 'requirement_id']]);
    // The command waits for the keep-policy answer: answer it while it runs.
    const before = new Set(vscode.workspace.textDocuments);
    const running = vscode.commands.executeCommand(fix.command.command, ...(fix.command.arguments ?? []));
    const doc = await acceptQuickPickUntil('the migration from the quick fix', () => untitledWith('-- backup: public.task_requirements_dupguard_', before));
    await running;
    assert.match(doc.getText(), /UNIQUE/);

    // Turned off again: nothing more is sent, the finding goes.
    await vscode.commands.executeCommand('dupguard.disableDataCheck');
    const stopped = proxy.connections();
    await editor.document.save();
    await waitFor('the finding to go', () => vscode.languages.getDiagnostics(uri).filter((x) => codeOf(x) === RULE).length === 0);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(proxy.connections(), stopped);
    await closeTextEditors();
  } finally {
    await proxy.close();
  }
}, 150_000);

/** A table big enough that each scan check runs for a while (about a second per pass here). */
async function admin(): Promise<import('pg').Client> {
  const { Client } = await import('pg');
  const c = new Client({ connectionString: dbUrl, application_name: 'dupguard-test-admin' });
  await c.connect();
  return c;
}

let bigReady = false;
async function ensureBigTable(c: import('pg').Client): Promise<void> {
  if (bigReady) return;
  await c.query(`CREATE TABLE big AS SELECT g % 1000 AS a, g % 777 AS b, g::text AS note FROM generate_series(1, 2000000) g`);
  bigReady = true;
}

/** Waits until the scan's session runs one of its GROUP BY passes; returns its backend pid. */
async function scanRunning(c: import('pg').Client): Promise<number> {
  let pid = 0;
  await waitFor('the scan to run a check', () => {
    void c.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'dupguard' AND state = 'active' AND query ILIKE '%group by%'`)
      .then((r) => { pid = r.rows[0]?.pid ?? 0; }, () => {});
    return pid;
  }, 30_000);
  return pid;
}

test('Cancel in the progress notification stops the scan at once; the panel says so', async () => {
  const c = await admin();
  try {
    await ensureBigTable(c);
    const running = vscode.commands.executeCommand<{ complete: boolean; cancelled?: boolean; errors: { message: string }[] } | undefined>(
      'dupguard.scanDatabase', { url: dbUrl, tables: ['public.big'] });
    const pid = await scanRunning(c);
    const clickedAt = await pageAction('cancel-scan', JSON.stringify({ click: '.notifications-toasts .monaco-button:has-text("Cancel")' }));
    const report = await running;
    assert.ok(report);
    // At once: the running GROUP BY is cancelled on the server (not left to finish), so the session
    // is idle right after the report, and the report came well within one pass of the check.
    const after = await c.query<{ state: string | null }>('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]);
    assert.ok(after.rows.length === 0 || after.rows[0].state !== 'active', `the scan's query still runs on the server: ${JSON.stringify(after.rows)}`);
    assert.ok(Date.now() - clickedAt < 10_000, `cancel took ${Date.now() - clickedAt} ms after the click`);
    assert.equal(report.cancelled, true);
    assert.match(report.errors[0].message, /scan cancelled during public\.big/);
    const s = await panelUntil('the panel to show the cancelled scan', (x) => x.rows.length === 1);
    assert.deepEqual(s.rows.map((r) => r.name), ['public.big']);
    assert.ok(s.banners.some((b) => /cancelled/.test(b)), JSON.stringify(s.banners));
  } finally {
    await c.end();
  }
}, 120_000);

test('a connection dropped mid-scan is reported naming the table and what was done', async () => {
  const c = await admin();
  try {
    await ensureBigTable(c);
    const running = vscode.commands.executeCommand<{ complete: boolean; errors: { message: string }[] } | undefined>(
      'dupguard.scanDatabase', { url: dbUrl, tables: ['public.big', 'public.customers'] });
    const pid = await scanRunning(c);
    await c.query('SELECT pg_terminate_backend($1)', [pid]);
    const report = await running;
    assert.ok(report);
    assert.equal(report.complete, false);
    const messages = report.errors.map((e) => e.message).join('\n');
    // Usually during public.big; on a slow machine its last check may end between finding the
    // session and ending it, and the loss then hits public.customers: the report must say which.
    const m = /connection lost while scanning public\.(big|customers) \((\d+) of (\d+) checks done there; (\d) of 2 tables finished before it\)/.exec(messages);
    assert.ok(m, messages);
    assert.equal(Number(m[4]), m[1] === 'big' ? 0 : 1, messages);
    assert.ok(Number(m[2]) < Number(m[3]), messages);
  } finally {
    await c.end();
  }
}, 120_000);

test('a server that cannot be reached: a clear error, and the panel keeps the last results', async () => {
  const r = await vscode.commands.executeCommand('dupguard.scanDatabase', { url: 'postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable' });
  assert.equal(r, undefined);
  const s = await panelUntil('the failure banner', (x) => x.banners.some((b) => b.startsWith('Cannot scan')));
  assert.match(s.banners.join('\n'), /Cannot scan postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere\?sslmode=disable: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere: connection refused/);
  assert.ok(s.rows.length > 0, 'the previous results are gone');
}, 60_000);

test('a URL holding a password: neither the panel, its title nor the error shows it', async () => {
  const r = await vscode.commands.executeCommand('dupguard.scanDatabase', { url: 'postgres://postgres:hunter2secret@127.0.0.1:1/nowhere?sslmode=disable' });
  assert.equal(r, undefined);
  const s = await panelUntil('the failure banner', (x) => x.banners.some((b) => b.startsWith('Cannot scan postgres://postgres:***@127.0.0.1:1/nowhere')));
  assert.ok(!JSON.stringify(s).includes('hunter2secret'), JSON.stringify(s.banners));
  const titles = vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label);
  assert.ok(!titles.some((t) => t.includes('hunter2secret')), titles.join(' | '));
}, 60_000);

test('the password is asked once, kept in the secret storage, used without asking again, and forgotten on request', async () => {
  const real = new URL(dbUrl);
  const proxy = await startPasswordProxy({ host: real.hostname, port: Number(real.port) }, 's3cret pass');
  const url = `postgres://postgres@127.0.0.1:${proxy.port}${real.pathname}?sslmode=disable`;
  type R = { complete: boolean; tables: { table: string }[] } | undefined;
  try {
    const first = vscode.commands.executeCommand<R>('dupguard.scanDatabase', { url, tables: ['public.customers'] });
    await waitFor('the password request', () => proxy.waiting() > 0 || proxy.passwords.length > 0, 20_000);
    // The password box: type as a user would, once it is on screen (keys sent earlier would go to the editor).
    await pageAction('type-password', JSON.stringify({ waitFor: PASSWORD_BOX, focus: true, type: 's3cret pass', press: 'Enter' }));
    const r1 = await first;
    assert.equal(r1?.complete, true, 'the scan with the typed password failed');
    assert.equal(proxy.passwords.at(-1), 's3cret pass');

    // Second time: straight from the secret storage, no box (nothing answers one: it would hang and time out).
    const seen = proxy.passwords.length;
    const r2 = await vscode.commands.executeCommand<R>('dupguard.scanDatabase', { url, tables: ['public.customers'] });
    assert.equal(r2?.complete, true);
    // Every connection since (the scan's, and the UNIQUE check's of open migrations) sent the saved password at once.
    assert.ok(proxy.passwords.length > seen);
    assert.deepEqual([...new Set(proxy.passwords.slice(seen))], ['s3cret pass']);

    // Forgotten: the next connection asks again; Escape in the box ends the scan with a clear error and no report.
    // The background UNIQUE checks of open migrations (started by the first connection) may still be
    // connecting with the saved password they read before the forget: wait until none is mid-handshake.
    await waitFor('no connection to the proxy in its password exchange', () => proxy.waiting() === 0 && proxy.handshaking() === 0, 20_000);
    await vscode.commands.executeCommand('dupguard.forgetPassword');
    const mark = proxy.passwords.length;
    const third = vscode.commands.executeCommand<R>('dupguard.scanDatabase', { url, tables: ['public.customers'] });
    // Without a password node-postgres answers the server's request with an empty one; then the box
    // opens. It opening at all shows the saved password was not used (the scan would have succeeded).
    await pageAction('escape-password', JSON.stringify({ waitFor: PASSWORD_BOX, focus: true, press: 'Escape' }));
    assert.equal(await third, undefined);
    assert.ok(!proxy.passwords.slice(mark).includes('s3cret pass'), `the forgotten password was sent again: ${JSON.stringify(proxy.passwords.slice(mark))}`);
  } finally {
    await proxy.close();
  }
}, 120_000);

test('a saved connection profile is offered first in the connection pick and scans its schemas', async () => {
  const u = new URL(dbUrl);
  await setSetting('connections', [{ name: 'panel test db', host: u.hostname, port: Number(u.port), database: u.pathname.slice(1), user: 'postgres', sslmode: 'disable', schemas: ['public'] }]);
  try {
    const running = vscode.commands.executeCommand<{ complete: boolean; target?: string; tables: { table: string }[] } | undefined>('dupguard.scanDatabase');
    let report: { complete: boolean; target?: string; tables: { table: string }[] } | undefined;
    void running.then((r) => { report = r; });
    await acceptQuickPickUntil('the scan through the picked profile', () => report);
    assert.equal(report!.complete, true);
    assert.equal(report!.target, `postgres://postgres@${u.hostname}:${u.port}${u.pathname}`);
    assert.ok(report!.tables.some((t) => t.table === 'task_requirements'));
    const s = await panelUntil('the panel titled with the profile', (x) => x.rows.length >= 3);
    assert.ok(s.rows.length >= 3);
  } finally {
    await setSetting('connections', undefined);
  }
}, 120_000);

test('untrusted workspaces use only the connection profiles of the user settings', async () => {
  await vscode.workspace.getConfiguration('dupguard').update('connections', [{ name: 'mine', host: '127.0.0.1' }], vscode.ConfigurationTarget.Global);
  await setSetting('connections', [{ name: 'from-the-repo', host: 'evil.example.com' }]);
  try {
    const trusted = readProfiles(true);
    assert.deepEqual(trusted.profiles.map((p) => `${p.profile.name}:${p.origin}`), ['mine:user', 'from-the-repo:workspace']);
    const untrusted = readProfiles(false);
    assert.deepEqual(untrusted.profiles.map((p) => p.profile.name), ['mine']);
    assert.equal(untrusted.ignored, 1);
  } finally {
    await vscode.workspace.getConfiguration('dupguard').update('connections', undefined, vscode.ConfigurationTarget.Global);
    await setSetting('connections', undefined);
  }
});

test('a connection profile added is written only where the user chose: the user\'s own profiles are not copied into the workspace', async () => {
  const cfg = () => vscode.workspace.getConfiguration('dupguard');
  await cfg().update('connections', [{ name: 'mine', host: 'db.internal' }], vscode.ConfigurationTarget.Global);
  try {
    const added = { name: 'added', host: 'localhost', port: 5432, database: 'app', user: 'app' };
    await saveProfile(added, vscode.ConfigurationTarget.Workspace);
    let info = cfg().inspect<unknown[]>('connections');
    assert.deepEqual(info?.workspaceValue, [added]);
    assert.deepEqual(info?.globalValue, [{ name: 'mine', host: 'db.internal' }]);
    // the same name again replaces it there; the user's list is still untouched
    await saveProfile({ ...added, port: 6543 }, vscode.ConfigurationTarget.Workspace);
    info = cfg().inspect<unknown[]>('connections');
    assert.deepEqual(info?.workspaceValue, [{ ...added, port: 6543 }]);
    assert.deepEqual(info?.globalValue, [{ name: 'mine', host: 'db.internal' }]);
  } finally {
    await cfg().update('connections', undefined, vscode.ConfigurationTarget.Global);
    await setSetting('connections', undefined);
  }
});
