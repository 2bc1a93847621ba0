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
import type { PanelView } from '../harness/panelPage';
import { codeActions, codeOf, createFile, dataCheckUntil, pageAction, pageActionData, setSetting, waitFor } from './helpers';
import { test } from './runner';

const TABLE = 'public.task_requirements';
const RULE = 'unique-constraint-violated-by-data';

type Rendered = PanelView;
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

/** What the panel shows now, read from its DOM by the harness (the extension has no test hook). */
async function panelState(): Promise<Rendered> {
  const { data } = await pageActionData('panel-state', JSON.stringify({ panel: 'state' }), 20_000);
  return JSON.parse(data) as Rendered;
}

/** Polls what the panel drew until `pred` holds. */
async function panelUntil(what: string, pred: (s: Rendered) => boolean, timeoutMs = 30_000): Promise<Rendered> {
  const t0 = Date.now();
  let last: Rendered | undefined;
  let error: unknown;
  for (;;) {
    try {
      last = await panelState();
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

/** Clicks an element of the panel as a mouse would (the harness clicks in the webview's frame). */
async function click(selector: string): Promise<void> {
  await pageAction('panel-click', JSON.stringify({ panel: 'click', selector }));
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

/** The text of every element of the page matching `selector` (notifications, dialogs). */
async function pageTexts(selector: string): Promise<string[]> {
  const { data } = await pageActionData('texts', JSON.stringify({ texts: selector }));
  return JSON.parse(data) as string[];
}

/** The notification toasts on screen. */
const TOASTS = '.notifications-toasts .notification-list-item-message';
/** The quick pick widget, while shown. */
const QUICK_PICK = '.quick-input-widget:not([style*="display: none"])';

/** A migration file written for `table` into the workspace's `migrations/`, open in an editor, not among `before`. */
function migrationFile(table: string, before: Set<vscode.TextDocument> = new Set()): vscode.TextDocument | undefined {
  const name = new RegExp(`/migrations/\\d{8}_\\d{6}_dedup_${table.replace('.', '_')}\\.sql$`);
  return vscode.window.visibleTextEditors.map((e) => e.document).find((d) => !before.has(d) && d.uri.scheme !== 'untitled' && name.test(d.uri.path));
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
  // the chart says what its colours mean
  assert.deepEqual(state.legend, ['declared or configured key, whole-row copies']);
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

test('Generate migration in the panel writes the dedup script and its rollback as two files of migrations/, named with a timestamp and the table', async () => {
  await click(`button[data-action="generate"][data-check="${TABLE}#0"]`);
  const doc = await acceptQuickPickUntil('the generated migration file', () => migrationFile(TABLE));
  const text = doc.getText();
  assert.match(text, /^-- backup: public\.task_requirements_dupguard_\w+$/m);
  assert.match(text, /task_pk, requirement_id|"task_pk", "requirement_id"/);
  // on disk, beside its rollback
  assert.equal(fs.readFileSync(doc.uri.fsPath, 'utf8'), text);
  const rollback = doc.uri.fsPath.replace(/\.sql$/, '_rollback.sql');
  assert.ok(fs.existsSync(rollback), `no rollback file ${rollback}`);
  assert.match(fs.readFileSync(rollback, 'utf8'), /public\.task_requirements_dupguard_\w+/);
  assert.notEqual(fs.readFileSync(rollback, 'utf8'), text);
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
    void panelState().then((x) => { last = x; }, () => {});
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
  assert.ok(s.dryRuns[`${TABLE}#0`], 'the dry run of the previous test is shown');
  await click('button[data-action="rescan-quick"]');
  s = await panelUntil('the quick estimate drawn', (x) => x.stats.some((t) => t.endsWith(' quick scan')));
  // the dry run belonged to the run it was made in
  assert.deepEqual(s.dryRuns, {});
  // every estimated figure says so
  assert.ok(s.stats.some((t) => /^≈ [\d,]+ excess rows$/.test(t)), JSON.stringify(s.stats));
  assert.deepEqual(s.buttons, ['Rescan', 'Exact scan']);
  // the duplicated table is still found, its figures marked as estimates
  const bar = s.bars.find((b) => b.label === TABLE);
  assert.ok(bar, `no bar for ${TABLE} in the quick estimate: ${JSON.stringify(s.bars)}`);
  assert.match(bar.value, /^≈ /);
  assert.ok(s.legend.includes('≈ estimated'), JSON.stringify(s.legend));
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

    // the same actions as every rule's, and the one that needs the database
    const titles = (await codeActions(uri, d.range)).map((a) => a.title);
    for (const t of [`Ignore ${RULE} for this statement`, `Ignore ${RULE} for this file`, `Show documentation for ${RULE}`, 'Generate dedup migration first']) {
      assert.ok(titles.includes(t), `no "${t}" among ${JSON.stringify(titles)}`);
    }
    const fix = (await codeActions(uri, d.range)).find((a) => a.title === 'Generate dedup migration first');
    assert.ok(fix?.command, 'no "Generate dedup migration first" quick fix');
    const [req] = fix.command.arguments as [{ schema: string; table: string; key: string[] }];
    assert.deepEqual([req.schema, req.table, req.key], ['public', 'task_requirements', ['task_pk', 'requirement_id']]);
    // The command waits for the keep-policy answer: answer it while it runs.
    const before = new Set(vscode.workspace.textDocuments);
    const running = vscode.commands.executeCommand(fix.command.command, ...(fix.command.arguments ?? []));
    const doc = await acceptQuickPickUntil('the migration from the quick fix', () => migrationFile(TABLE, before));
    await running;
    // in the folder of the migration that asked, keeping the constraint that migration declares (it adds it)
    assert.equal(path.dirname(doc.uri.fsPath), path.dirname(uri.fsPath));
    assert.match(doc.getText(), /your own migration \(migrations\/002_task_requirements_unique\.sql:2\) adds task_requirements_task_req_key/);
    assert.doesNotMatch(doc.getText(), /ADD CONSTRAINT/);
    assert.ok(fs.existsSync(doc.uri.fsPath.replace(/\.sql$/, '_rollback.sql')));

    // An ignore comment silences it as it does any rule's finding, after the next check too.
    const ignore = (await codeActions(uri, d.range)).find((a) => a.title === `Ignore ${RULE} for this statement`);
    assert.ok(ignore?.edit);
    const seen = (await dataCheckUntil(uri, 'the last check', () => true)).seq;
    await vscode.workspace.applyEdit(ignore.edit);
    await editor.document.save();
    const again = await dataCheckUntil(uri, 'the check after the ignore comment', (x) => x.outcome === 'checked', seen);
    assert.equal(again.keys?.filter((k) => k.status === 'counted' && (k.duplicateGroups ?? 0) > 0).length, 1, 'the copies are still counted');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(vscode.languages.getDiagnostics(uri).filter((x) => codeOf(x) === RULE || codeOf(x) === 'unused-suppression').map((x) => x.message), []);

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
    // (the panel showed another database before: no complete results of this one to keep)
    const s = await panelUntil('the panel to show the cancelled scan', (x) => x.rows.length === 1);
    assert.deepEqual(s.rows.map((r) => r.name), ['public.big']);
    assert.ok(s.banners.some((b) => /cancelled/.test(b)), JSON.stringify(s.banners));
    const said = (await pageTexts(TOASTS)).filter((t) => /cancelled/i.test(t));
    assert.equal(said.length, 1, JSON.stringify(said));
    assert.equal(said[0].match(/cancel/gi)?.length, 1, said[0]);
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

test('a server that cannot be reached: a clear error, and another database\'s results do not stay under it', async () => {
  const r = await vscode.commands.executeCommand('dupguard.scanDatabase', { url: 'postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable' });
  assert.equal(r, undefined);
  const s = await panelUntil('the failure banner', (x) => x.banners.some((b) => b.startsWith('Cannot scan')));
  assert.match(s.banners.join('\n'), /Cannot scan postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere\?sslmode=disable: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere: connection refused/);
  assert.deepEqual(s.rows, [], 'the results of the database scanned before still show under this one\'s error');
  assert.deepEqual(s.empty, ['No results: the scan could not run (see above).']);
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
    await vscode.commands.executeCommand('notifications.clearAll');
    await pageAction('escape-password', JSON.stringify({ waitFor: PASSWORD_BOX, focus: true, press: 'Escape' }));
    assert.equal(await third, undefined);
    // Escape is a choice, not a failure: no error toast, no red banner, no advice to put a password in settings.
    await new Promise((r) => setTimeout(r, 1500));
    const toasts = await pageTexts(TOASTS);
    assert.deepEqual(toasts.filter((t) => /cannot scan|failed|password/i.test(t)), [], JSON.stringify(toasts));
    const s = await panelState();
    assert.deepEqual(s.banners.filter((b) => /cannot|password/i.test(b)), []);
    assert.ok(!JSON.stringify(s).includes('settings'), JSON.stringify(s.banners));
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


/** The quick pick on screen: its title and items. */
async function quickPick(): Promise<{ title: string; items: string[] }> {
  const [title] = await pageTexts(`${QUICK_PICK} .quick-input-title`);
  return { title: title ?? '', items: title ? await pageTexts(`${QUICK_PICK} .quick-input-list .monaco-list-row`) : [] };
}

/**
 * Answers the keep-policy pick (its first item) until the question whose title matches `question`
 * is on screen; returns it, unanswered. (Modal dialogs are refused in an extension-test window:
 * dupguard's questions are quick picks, answered by keyboard.)
 */
async function questionAfterKeepPick(what: string, question: RegExp): Promise<{ title: string; items: string[] }> {
  const t0 = Date.now();
  for (;;) {
    const q = await quickPick();
    if (question.test(q.title)) return q;
    if (/which copy/.test(q.title)) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    if (Date.now() - t0 > 45_000) throw new Error(`timed out waiting for ${what}; on screen: ${JSON.stringify(q)} (screenshot: ${await screenshot('question-timeout')})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Picks the second item of the quick pick on screen (the questions' "yes"). */
async function answerYes(): Promise<void> {
  await pageAction('answer-yes', JSON.stringify({ waitFor: `${QUICK_PICK} input`, focus: true, press: 'ArrowDown' }));
  await pageAction('answer-yes-enter', JSON.stringify({ press: 'Enter' }));
}

/** The key of the first check of `table` whose badges include `badge`. */
function checkWith(s: Rendered, table: string, badge: string): string {
  const key = Object.keys(s.badges).find((k) => k.startsWith(`${table}#`) && s.badges[k].includes(badge));
  assert.ok(key, `no ${badge} check of ${table}: ${JSON.stringify(s.badges)}`);
  return key;
}

async function expand(table: string): Promise<Rendered> {
  const now = await panelState();
  if (!now.expanded.includes(table)) await click(`tr[data-table="${table}"]`);
  return panelUntil(`${table} expanded`, (x) => x.expanded.includes(table));
}

test('cancelling a rescan keeps the previous complete results, marked as such, and says "cancelled" once; one scan runs at a time', async () => {
  const c = await admin();
  try {
    await ensureBigTable(c);
    const first = await vscode.commands.executeCommand<ScanReportLike | undefined>('dupguard.scanDatabase', { url: dbUrl, tables: ['public.customers', 'public.events'] });
    assert.equal(first?.complete, true);
    let s = await panelUntil('the complete results', (x) => x.rows.length === 2 && x.disabled.length === 0);
    await vscode.commands.executeCommand('notifications.clearAll');
    // Rescan (every table, public.big among them) from the panel.
    await click('button[data-action="rescan"]');
    s = await panelUntil('the rescan buttons disabled while it runs', (x) => x.disabled.includes('Rescan') && x.disabled.includes('Quick estimate'));
    assert.match(s.subtitle, /^Scanning /);
    // A second scan while one runs is refused, not run in parallel.
    const second = await vscode.commands.executeCommand('dupguard.scanDatabase', { url: dbUrl, tables: ['public.customers'] });
    assert.equal(second, undefined);
    await scanRunning(c);
    await pageAction('cancel-rescan', JSON.stringify({ click: '.notifications-toasts .notification-toast:has-text("scanning") .monaco-button:has-text("Cancel")' }));
    s = await panelUntil('the previous results kept after the cancel', (x) => x.banners.some((b) => /rescan was cancelled/.test(b)) && x.disabled.length === 0);
    assert.deepEqual(s.rows.map((r) => r.name).sort(), ['public.customers', 'public.events']);
    assert.match(s.banners.find((b) => /cancelled/.test(b))!, /previous complete results/);
    assert.deepEqual(s.rows.find((r) => r.name === 'public.events')?.cells.slice(0, 3), ['54', '1', '43']);
    await new Promise((r) => setTimeout(r, 1000));
    const said = (await pageTexts(TOASTS)).filter((t) => /cancelled/i.test(t));
    assert.equal(said.length, 1, JSON.stringify(said));
    assert.equal(said[0].match(/cancel/gi)?.length, 1, said[0]);
    assert.match(said[0], /keeps the previous complete results/);
  } finally {
    await c.end();
  }
}, 180_000);

test('beside the editor at 500 px nothing is cut off (screenshot); open sample groups and the scroll position survive a re-render', async () => {
  await vscode.commands.executeCommand('dupguard.scanDatabase', { url: dbUrl, tables: [TABLE, 'public.events', 'public.customers'] });
  await closeTextEditors();
  await vscode.commands.executeCommand('workbench.action.closeSidebar');
  await vscode.commands.executeCommand('workbench.action.closePanel');
  await vscode.commands.executeCommand('notifications.clearAll');
  const group = panelGroup();
  assert.ok(group, 'no editor group shows the panel');
  const doc = await vscode.workspace.openTextDocument({ language: 'sql', content: 'select 1;' });
  await vscode.window.showTextDocument(doc, { viewColumn: group.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One, preserveFocus: true });
  await vscode.commands.executeCommand('workbench.action.evenEditorWidths');
  let s = await panelUntil('the panel beside the editor', (x) => x.rows.length === 3);
  // Size the window so that the panel, half of the editor area, is 500 px wide.
  let viewport = 1280;
  for (let i = 0; i < 3 && Math.abs(s.width - 500) > 12; i++) {
    viewport += 2 * (500 - s.width);
    await pageAction('viewport', JSON.stringify({ viewport: { width: viewport, height: 700 } }));
    await vscode.commands.executeCommand('workbench.action.evenEditorWidths');
    await new Promise((r) => setTimeout(r, 500));
    s = await panelState();
  }
  try {
    assert.ok(Math.abs(s.width - 500) <= 12, `the panel is ${s.width} px wide`);
    s = await expand(TABLE);
    await click(`[data-check="${TABLE}#0"] details.samples summary`);
    s = await panelUntil('the sample groups open', (x) => x.openSamples.includes(`${TABLE}#0`));
    assert.deepEqual(s.overflowing, [], 'elements whose content is cut off at 500 px');
    assert.equal(s.pageScrollsSideways, false, 'the panel scrolls sideways at 500 px');
    const png = await screenshot('panel-500px');
    assert.ok(fs.statSync(png).size > 10_000, 'the screenshot is empty');
    console.log(`screenshot of the duplicates panel at ${s.width} px: ${png}`);

    await pageAction('panel-scroll', JSON.stringify({ panel: 'scroll', top: 180 }));
    const before = await panelState();
    assert.ok(before.scrollY > 50, `the panel does not scroll (${before.scrollY})`);
    // A rescan of the same database draws everything again.
    await vscode.commands.executeCommand('dupguard.scanDatabase', { url: dbUrl, tables: [TABLE, 'public.events', 'public.customers'] });
    s = await panelUntil('the rescan drawn', (x) => x.disabled.length === 0 && x.rows.length === 3);
    assert.deepEqual(s.openSamples, [`${TABLE}#0`]);
    assert.deepEqual(s.expanded, [TABLE]);
    assert.ok(Math.abs(s.scrollY - before.scrollY) <= 2, `scrolled from ${before.scrollY} to ${s.scrollY}`);
    // closed stays closed
    await click(`[data-check="${TABLE}#0"] details.samples summary`);
    await panelUntil('the sample groups closed', (x) => !x.openSamples.length);
    await vscode.commands.executeCommand('dupguard.scanDatabase', { url: dbUrl, tables: [TABLE, 'public.events', 'public.customers'] });
    s = await panelUntil('the rescan drawn', (x) => x.disabled.length === 0 && x.rows.length === 3);
    assert.deepEqual(s.openSamples, []);
  } finally {
    await pageAction('viewport-back', JSON.stringify({ viewport: { width: 1280, height: 800 } }));
    await closeTextEditors();
  }
}, 180_000);

test('a guessed key: no primary button, and Generate migration asks first with the rows it deletes and their share; NULL holes get their own NULLS NOT DISTINCT migration', async () => {
  const c = await admin();
  try {
    await c.query(`
      CREATE TABLE subscribers (id serial PRIMARY KEY, email text NOT NULL, name text);
      INSERT INTO subscribers (email, name) SELECT 'u' || (g % 5) || '@example.com', 'n' || g FROM generate_series(1, 20) g;
      CREATE TABLE memberships (id serial PRIMARY KEY, org integer NOT NULL, ext text, UNIQUE (org, ext));
      INSERT INTO memberships (org, ext) VALUES (1, NULL), (1, NULL), (1, NULL), (2, 'a');
      ANALYZE subscribers; ANALYZE memberships;`);
  } finally {
    await c.end();
  }
  await vscode.commands.executeCommand('dupguard.scanDatabase', { url: dbUrl, tables: ['public.subscribers', 'public.memberships'] });
  await expand('public.subscribers');
  let s = await expand('public.memberships');
  const guess = checkWith(s, 'public.subscribers', 'inferred');
  assert.deepEqual(s.actions[guess], ['Generate migration…', 'Dry run', 'Copy query'], 'a guessed key has no primary button');
  const holes = checkWith(s, 'public.memberships', 'unique index');
  assert.ok(s.actions[holes].includes('*Generate NULLS NOT DISTINCT migration'), JSON.stringify(s.actions[holes]));

  await vscode.commands.executeCommand('notifications.clearAll');
  await click(`button[data-action="generate"][data-check="${guess}"]`);
  const question = await questionAfterKeepPick('the question before a migration on a guessed key', /is a guess/);
  assert.match(question.title, /the key \(email\) of public\.subscribers is a guess from column names/);
  assert.match(question.items.join('\n'), /deletes 15 of 20 rows \(75% of the table\)/);
  // the safe answer comes first: Enter declines
  assert.match(question.items[0], /^Cancel/);
  await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(migrationFile('public.subscribers'), undefined, 'a migration was written although the user declined');

  await click(`button[data-action="generate-nulls"][data-check="${holes}"]`);
  const doc = await acceptQuickPickUntil('the NULLS NOT DISTINCT migration', () => migrationFile('public.memberships'));
  assert.match(doc.getText(), /UNIQUE NULLS NOT DISTINCT \("?org"?, "?ext"?\)/);
  // It replaces the plain UNIQUE with the hole under the same name: never a second unique key on (org, ext).
  assert.match(doc.getText(), /^-- Constraint: memberships_org_ext_key replaces the plain unique constraint memberships_org_ext_key on \(org, ext\) under the same name, as UNIQUE NULLS NOT DISTINCT/m);
  assert.match(doc.getText(), /^ALTER TABLE public\.memberships DROP CONSTRAINT memberships_org_ext_key;$/m);
  await closeTextEditors();
}, 150_000);

test('Generate migration asks before re-pointing references, naming the child rows, and merges them only when told to', async () => {
  const c = await admin();
  try {
    await c.query(`
      CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL);
      INSERT INTO authors (name) VALUES ('ann'), ('ann'), ('bob');
      CREATE TABLE books (id serial PRIMARY KEY, author_id integer REFERENCES authors (id), title text);
      INSERT INTO books (author_id, title) VALUES (1, 'a'), (2, 'b'), (2, 'c'), (3, 'd');
      ANALYZE authors; ANALYZE books;`);
  } finally {
    await c.end();
  }
  await setSetting('naturalKeys', { [TABLE]: ['task_pk', 'requirement_id'], 'public.authors': ['name'] });
  await vscode.commands.executeCommand('dupguard.scanDatabase', { url: dbUrl, tables: ['public.authors'] });
  const s = await expand('public.authors');
  const key = checkWith(s, 'public.authors', 'configured');
  await vscode.commands.executeCommand('notifications.clearAll');
  // declined: nothing written
  await click(`button[data-action="generate"][data-check="${key}"]`);
  const question = await questionAfterKeepPick('the question before re-pointing references', /re-points/);
  assert.match(question.title, /re-points 2 child rows from 1 removed copy to the kept rows: 2 rows of public\.books/);
  assert.match(question.items[0], /^Cancel/);
  await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(migrationFile('public.authors'), undefined, 'a migration was written although the user declined');
  // accepted: the script moves them
  await click(`button[data-action="generate"][data-check="${key}"]`);
  await questionAfterKeepPick('the question before re-pointing references', /re-points/);
  await answerYes();
  const doc = await waitFor('the migration with merged references', () => migrationFile('public.authors'), 45_000);
  assert.match(doc.getText(), /books/);
  await closeTextEditors();
}, 150_000);

test('Cancel in the dry run\'s progress notification stops it on the server: nothing kept, no lock left, no result shown', async () => {
  const c = await admin();
  try {
    await ensureBigTable(c);
    await setSetting('naturalKeys', { [TABLE]: ['task_pk', 'requirement_id'], 'public.big': ['a', 'b'] });
    await vscode.commands.executeCommand('dupguard.scanDatabase', { url: dbUrl, tables: ['public.big'] });
    const s = await expand('public.big');
    const key = checkWith(s, 'public.big', 'configured');
    let onServer = false;
    await vscode.commands.executeCommand('notifications.clearAll');
    await click(`button[data-action="dryrun"][data-check="${key}"]`);
    // the keep-policy pick, then the dry run's progress with its Cancel button
    // the keep-policy pick (its first item), then the dry run's progress notification
    const t0 = Date.now();
    while (!(await pageTexts(TOASTS)).some((t) => /dry run of the dedup/.test(t))) {
      assert.ok(Date.now() - t0 < 45_000, 'the dry run did not start');
      if (/which copy|dry run the dedup/.test((await quickPick()).title)) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((r) => setTimeout(r, 300));
    }
    // Let it reach the server (it holds the table's lock while it runs).
    await waitFor('the dry run on the server', () => {
      void c.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'dupguard' AND state = 'active'`).then((r) => { onServer ||= r.rows.length > 0; }, () => {});
      return onServer;
    }, 30_000);
    const clickedAt = await pageAction('cancel-dry-run', JSON.stringify({ click: '.notifications-toasts .notification-toast:has-text("dry run") .monaco-button:has-text("Cancel")' }));
    const after = await panelUntil('the dry run over', (x) => !x.actions[key]?.some((a) => a.endsWith('!')), 30_000);
    assert.ok(Date.now() - clickedAt < 15_000, `the dry run ended ${Date.now() - clickedAt} ms after Cancel`);
    assert.equal(after.dryRuns[key], undefined, 'a cancelled dry run shows a result');
    assert.equal((await c.query('SELECT count(*)::int AS n FROM big')).rows[0].n, 2_000_000);
    // The server ends the cancelled transaction (and drops its lock) a moment after the client is
    // told: what must hold is that nothing lingers, so both are polled for a few seconds.
    const settled = async (sql: string): Promise<unknown[]> => {
      let rows: unknown[] = [];
      for (const t1 = Date.now(); Date.now() - t1 < 10_000; await new Promise((r) => setTimeout(r, 100))) {
        rows = (await c.query(sql)).rows;
        if (rows.length === 0) break;
      }
      return rows;
    };
    assert.deepEqual(await settled(`SELECT l.mode FROM pg_locks l JOIN pg_class r ON r.oid = l.relation WHERE r.relname = 'big' AND l.pid <> pg_backend_pid()`), [], 'a lock on the table is still held 10 s after Cancel');
    assert.deepEqual(await settled(`SELECT query FROM pg_stat_activity WHERE application_name = 'dupguard' AND state = 'active'`), [], 'a dry-run statement still runs on the server 10 s after Cancel');
  } finally {
    await setSetting('naturalKeys', { [TABLE]: ['task_pk', 'requirement_id'] });
    await c.end();
  }
}, 180_000);

test('an empty scan says why: no table in the chosen schemas that the role can see', async () => {
  const c = await admin();
  try {
    await c.query('CREATE SCHEMA IF NOT EXISTS nothing_here');
  } finally {
    await c.end();
  }
  const u = new URL(dbUrl);
  await setSetting('connections', [{ name: 'empty schema', host: u.hostname, port: Number(u.port), database: u.pathname.slice(1), user: 'postgres', sslmode: 'disable', schemas: ['nothing_here'] }]);
  try {
    const r = await vscode.commands.executeCommand<ScanReportLike | undefined>('dupguard.scanDatabase', { profile: 'empty schema' });
    assert.equal(r?.complete, true);
    assert.deepEqual(r?.tables, []);
    const s = await panelUntil('the empty state', (x) => x.empty.length > 0 && x.disabled.length === 0);
    assert.deepEqual(s.rows, []);
    assert.deepEqual(s.empty, ['No table to scan: none in the chosen schemas (nothing_here) that postgres can see.']);
  } finally {
    await setSetting('connections', undefined);
  }
}, 120_000);
