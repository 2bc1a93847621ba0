/** dupguard inside a real VS Code: what a user sees in the editor, Problems panel and palette. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { figure, note, test } from './runner';
import {
  codeActions, codeOf, createFile, describe, diagnosticsCount, EXTENSION_ID, extensionApi, openFile, ours, pageAction, schemaReady, setSetting, waitFor, workspaceUri,
} from './helpers';

const RULE = 'on-conflict-without-target';
const DOCS = `https://github.com/dupguard/dupguard/blob/main/docs/rules/${RULE}.md`;

interface Api { activationMs: number; firstLintMs?: number }

/** Every set of diagnostics published for the first file opened, from before activation on. */
const firstFile: { ds: vscode.Diagnostic[] }[] = [];

test('the extension activates lazily, on the first SQL file, and reports its activation time', async () => {
  const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  assert.equal(ext.isActive, false, 'active before any SQL/TS/JS file was opened');
  const uri = workspaceUri('queries/import_orders.sql');
  const sub = vscode.languages.onDidChangeDiagnostics((e) => {
    if (e.uris.some((u) => u.toString() === uri.toString())) firstFile.push({ ds: ours(uri) });
  });
  setTimeout(() => sub.dispose(), 60_000);
  const t0 = performance.now();
  await openFile('queries/import_orders.sql');
  const api = await waitFor('activation', () => ext.isActive && ext.exports);
  // Module loading + activate(), as seen from the extension host.
  figure('openToActiveMs', performance.now() - t0);
  assert.equal(typeof api.activationMs, 'number');
  figure('activationMs', api.activationMs);
  figure('firstLintMs', await waitFor('the first lint', () => api.firstLintMs));
});

test('start-up in two phases: the lexer-certain squiggle before the parser and schema are in, then the confirmed one at the same place, nothing withdrawn', async () => {
  await schemaReady();
  const uri = workspaceUri('queries/import_orders.sql');
  const final = await waitFor('the schema-aware message', () => {
    const ds = ours(uri);
    return ds.length === 1 && /happens to have one unique key/.test(ds[0].message) ? ds : undefined;
  }, 30_000);
  const [d] = final;
  assert.ok(firstFile.length >= 2, `published ${firstFile.length} time(s): ${JSON.stringify(firstFile.map((p) => describe(p.ds)))}`);
  // the first lint runs before the parser and the schema index: only what needs neither
  const [early] = firstFile[0].ds;
  assert.equal(firstFile[0].ds.length, 1, describe(firstFile[0].ds));
  assert.equal(codeOf(early), RULE);
  assert.match(early.message, /if public\.orders has no unique key|if orders has no unique key/);
  // every squiggle shown on the way is in the final set, at the same place, never more severe
  for (const p of firstFile) {
    for (const x of p.ds) {
      const same = final.find((f) => f.range.isEqual(x.range) && codeOf(f) === codeOf(x));
      assert.ok(same, `withdrawn later: ${describe([x])}`);
      assert.ok(x.severity >= same.severity, `more severe early than final: ${describe([x])}`);
    }
  }
  assert.deepEqual([d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character], [5, 0, 5, 22]);
  const api = await extensionApi();
  const diagnostics = (api.services as unknown as { diagnostics: { complete(u: vscode.Uri): boolean | undefined } }).diagnostics;
  assert.equal(diagnostics.complete(uri), true, 'the analysis published last had the parser and the schema');
});

test('"Scan DB for duplicates" and the other commands are in the command palette', async () => {
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
  const manifest = ext.packageJSON as { contributes: { commands: { command: string; title: string; category: string }[]; menus?: { commandPalette?: { command: string; when: string }[] } } };
  const hidden = new Set((manifest.contributes.menus?.commandPalette ?? []).filter((m) => m.when === 'false').map((m) => m.command));
  const palette = manifest.contributes.commands.filter((c) => !hidden.has(c.command));
  const scan = palette.find((c) => c.title === 'Scan DB for duplicates');
  assert.ok(scan, `no palette entry titled "Scan DB for duplicates": ${JSON.stringify(palette)}`);
  assert.equal(scan.category, 'Dupguard');
  const titles = palette.map((c) => `${c.category}: ${c.title}`);
  for (const t of ['Dupguard: Lint Workspace', 'Dupguard: Scan DB for duplicates', 'Dupguard: Show Output']) {
    assert.ok(titles.includes(t), `${t} missing from the palette: ${JSON.stringify(titles)}`);
  }
  assert.ok(!titles.includes('Dupguard: Show Rule Documentation'), 'internal command listed in the palette');
  const registered = new Set(await vscode.commands.getCommands(true));
  for (const c of manifest.contributes.commands) assert.ok(registered.has(c.command), `${c.command} is not registered`);
});

test('a .sql file shows the ON CONFLICT finding with code, docs link, range and severity', async () => {
  await schemaReady();
  const editor = await openFile('queries/import_orders.sql');
  const [d] = await diagnosticsCount(editor.document.uri, 1);
  assert.equal(d.source, 'dupguard');
  assert.equal(codeOf(d), RULE);
  assert.equal(typeof d.code === 'object' && d.code.target.toString(), DOCS);
  // `ON CONFLICT DO NOTHING` on line 6: the clause, not the whole statement.
  assert.deepEqual([d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character], [5, 0, 5, 22]);
  assert.equal(editor.document.getText(d.range), 'ON CONFLICT DO NOTHING');
  // orders has one unique key the INSERT supplies (external_ref): a warning, not an error.
  assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
  assert.match(d.message, /orders/);
});

test('schema from the workspace DDL: a table without unique key is an error pointing at its CREATE TABLE', async () => {
  const editor = await createFile('queries/events.sql', "INSERT INTO events (happened_at, kind)\nVALUES (now(), 'login')\nON CONFLICT DO NOTHING;\n");
  const [d] = await waitFor('an error-level finding from the schema', () => {
    const ds = ours(editor.document.uri);
    return ds.length === 1 && ds[0].severity === vscode.DiagnosticSeverity.Error ? ds : undefined;
  }, 30_000);
  assert.match(d.message, /never fires/);
  const rel = d.relatedInformation?.[0];
  assert.ok(rel, 'no related information');
  assert.equal(vscode.workspace.asRelativePath(rel.location.uri), 'migrations/001_orders.sql');
  assert.equal(rel.location.range.start.line, 14, `related range ${JSON.stringify(rel.location.range)}`);
});

test('the schema index follows DDL files on disk (file watcher): a new unique key changes the finding', async () => {
  const events = workspaceUri('queries/events.sql');
  await waitFor('events.sql as an error', () => ours(events)[0]?.severity === vscode.DiagnosticSeverity.Error);
  const migration = workspaceUri('migrations/002_events_key.sql');
  // Written behind the editor's back, as a git pull or a generator would.
  await vscode.workspace.fs.writeFile(migration, new TextEncoder().encode('ALTER TABLE events ADD CONSTRAINT events_natural_key UNIQUE (happened_at, kind);\n'));
  try {
    const [d] = await waitFor('a warning naming the new key', () => {
      const ds = ours(events);
      return ds.length === 1 && ds[0].severity === vscode.DiagnosticSeverity.Warning ? ds : undefined;
    }, 30_000);
    assert.match(d.message, /events_natural_key/);
  } finally {
    await vscode.workspace.fs.delete(migration);
  }
  await waitFor('events.sql back to an error once the migration is gone', () => ours(events)[0]?.severity === vscode.DiagnosticSeverity.Error, 30_000);
});

test('a .ts file shows embedded SQL findings at the exact host range', async () => {
  await schemaReady();
  const editor = await openFile('src/orders.ts');
  const [d] = await diagnosticsCount(editor.document.uri, 1);
  assert.equal(codeOf(d), RULE);
  assert.deepEqual([d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character], [6, 25, 6, 47]);
  assert.equal(editor.document.getText(d.range), 'ON CONFLICT DO NOTHING');
});

test('diagnostics follow typing (debounced, per version)', async () => {
  const editor = await createFile('queries/typing.sql', 'SELECT 1;\n');
  await diagnosticsCount(editor.document.uri, 0);
  await editor.edit((b) => b.insert(new vscode.Position(1, 0), 'INSERT INTO orders (external_ref, customer_id, total_cents) VALUES (\'X\', 1, 2) ON CONFLICT DO NOTHING;\n'));
  const [d] = await diagnosticsCount(editor.document.uri, 1);
  assert.equal(d.range.start.line, 1);
  await editor.edit((b) => b.replace(d.range, 'ON CONFLICT (external_ref) DO NOTHING'));
  await diagnosticsCount(editor.document.uri, 0);
});

test('the editor reads the .dupguard.json nearest to a file, settings over it, and re-reads it when it changes', async () => {
  const config = workspaceUri('legacy/.dupguard.json');
  const write = (json: unknown) => vscode.workspace.fs.writeFile(config, new TextEncoder().encode(JSON.stringify(json)));
  await write({ rules: { [RULE]: 'off' } });
  try {
    const editor = await createFile('legacy/old.sql', "INSERT INTO audit_log (msg) VALUES ('x') ON CONFLICT DO NOTHING;\n");
    const uri = editor.document.uri;
    // the file's own folder turns the rule off: no finding (the editor used to ignore the file)
    await diagnosticsCount(uri, 0);
    // the setting layers over it
    await setSetting('rules', { [RULE]: 'error' });
    const [d] = await diagnosticsCount(uri, 1);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    await setSetting('rules', undefined);
    await diagnosticsCount(uri, 0);
    // edited on disk: read again
    await write({ rules: { [RULE]: 'info' } });
    await waitFor('the finding at the level the edited file sets', () => ours(uri).find((x) => x.severity === vscode.DiagnosticSeverity.Information));
  } finally {
    await vscode.workspace.fs.delete(config);
  }
  await waitFor('the default level once the file is gone', () => ours(workspaceUri('legacy/old.sql')).find((x) => x.severity === vscode.DiagnosticSeverity.Warning));
});

interface DiagnosticsApi { onDidUpdate: vscode.Event<vscode.Uri>; analyzedVersion(uri: vscode.Uri): number | undefined }

test('a change re-analyzes only the changed document, once per settled version', async () => {
  // Keys typed as they are, without closing brackets or quotes and suggestion widgets in the way.
  const editorSettings: Record<string, unknown> = {
    autoClosingBrackets: 'never', autoClosingQuotes: 'never', quickSuggestions: { other: 'off', comments: 'off', strings: 'off' },
    suggestOnTriggerCharacters: false, wordBasedSuggestions: 'off',
  };
  for (const [k, v] of Object.entries(editorSettings)) await setSetting(k, v, 'editor');
  const ext = vscode.extensions.getExtension<{ firstLintMs?: number; services: { diagnostics: DiagnosticsApi } }>(EXTENSION_ID)!;
  const api = ext.isActive ? ext.exports : await ext.activate();
  // Activation's first lint and the schema index's first build re-lint every document: not part of this.
  await waitFor('the first lint after activation', () => api.firstLintMs !== undefined);
  await schemaReady();
  const diagnostics = api.services.diagnostics;
  // Each analysis publishes the document's diagnostics: counted per document from here on.
  const counts = new Map<string, number>();
  const counting = diagnostics.onDidUpdate((u) => counts.set(u.toString(), (counts.get(u.toString()) ?? 0) + 1));
  const arrivals: number[] = [];
  let listening: vscode.Disposable | undefined;
  const typed = "INSERT INTO orders (external_ref, customer_id, total_cents) VALUES ('Z', 1, 1) ON CONFLICT DO NOTHING;";
  let other: vscode.TextEditor;
  let editor: vscode.TextEditor;
  let before: { other: number; self: number };
  let after: { other: number; self: number };
  try {
    other = await openFile('queries/import_orders.sql');
    await diagnosticsCount(other.document.uri, 1);
    editor = await createFile('queries/burst.sql', 'SELECT 1;\n');
    const uri = editor.document.uri;
    await diagnosticsCount(uri, 0);
    editor.selection = new vscode.Selection(1, 0, 1, 0);
    // Keys go where the focus is: in this editor, not in a notification or the panel.
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    before = { other: counts.get(other.document.uri.toString()) ?? 0, self: counts.get(uri.toString()) ?? 0 };
    // When each change reaches the extension host (this listener runs right after the extension's):
    // the debounce may only let an analysis through where the changes paused for its delay.
    listening = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.toString() === uri.toString() && e.contentChanges.length) arrivals.push(performance.now());
    });
    // A burst of typing in the editor, one key every 15 ms (the browser keeps the cadence).
    await pageAction('burst', JSON.stringify({ waitFor: '.editor-instance .monaco-editor.focused', type: typed, delay: 15 }), 120_000);
    await waitFor('the typed line in the document', () => editor.document.lineCount > 1 && editor.document.lineAt(1).text === typed, 20_000)
      .catch((e: Error) => { throw new Error(`${e.message}: the document holds ${JSON.stringify(editor.document.getText())}`); });
    // The settled version is analyzed, and its finding is on the completed line.
    await waitFor('the analysis of the settled version', () => diagnostics.analyzedVersion(uri) === editor.document.version, 20_000);
    const [d] = await diagnosticsCount(uri, 1, 20_000);
    assert.equal(editor.document.getText(d.range), 'ON CONFLICT DO NOTHING');
    after = { other: counts.get(other.document.uri.toString()) ?? 0, self: counts.get(uri.toString()) ?? 0 };
  } finally {
    listening?.dispose();
    counting.dispose();
    for (const k of Object.keys(editorSettings)) await setSetting(k, undefined, 'editor');
  }
  const self = after.self - before.self;
  // A pause of the debounce delay (150 ms; counted from 100 ms, for the jitter of the way from the
  // browser) lets one analysis through, and the light bulb may then ask for the code actions of a
  // newer version (one more). Typed without pauses, the whole burst is analyzed once.
  const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
  const pauses = gaps.filter((g) => g >= 100).length;
  const longest = Math.max(0, ...gaps).toFixed(0);
  const figures = `${typed.length} keys typed, ${arrivals.length} changes, ${pauses} pause(s) of 100 ms or more (longest ${longest} ms), ${self} analyses`;
  note(`burst: ${figures}`);
  assert.ok(arrivals.length >= typed.length / 2, `the typing arrived as ${arrivals.length} changes: ${figures}`);
  assert.ok(self >= 1, `the settled version was not analyzed: ${figures}`);
  assert.ok(self <= 1 + 2 * pauses, `the debounce did not collapse the burst: ${figures}`);
  assert.equal(after.other, before.other, 'the unchanged document was analyzed again');
});

test('the preferred quick fix adds the conflict target and the diagnostic disappears', async () => {
  await schemaReady();
  const editor = await createFile('queries/quickfix.sql', "INSERT INTO orders (customer_id, external_ref, total_cents)\nVALUES (2, 'B-7', 990)\nON CONFLICT DO NOTHING;\n");
  const [d] = await diagnosticsCount(editor.document.uri, 1);
  const actions = await codeActions(editor.document.uri, d.range, vscode.CodeActionKind.QuickFix.value);
  const titles = actions.map((a) => a.title);
  assert.ok(titles.includes(`Ignore ${RULE} for this statement`), JSON.stringify(titles));
  assert.ok(titles.includes(`Ignore ${RULE} for this file`), JSON.stringify(titles));
  assert.ok(titles.includes(`Show documentation for ${RULE}`), JSON.stringify(titles));
  const preferred = actions.filter((a) => a.isPreferred);
  assert.equal(preferred.length, 1, `one preferred fix expected: ${JSON.stringify(titles)}`);
  assert.match(preferred[0].title, /external_ref/);
  assert.ok(await vscode.workspace.applyEdit(preferred[0].edit!));
  assert.equal(editor.document.lineAt(2).text, 'ON CONFLICT (external_ref) DO NOTHING;');
  await diagnosticsCount(editor.document.uri, 0);
});

test('with no key known, the quick fix is a snippet whose placeholder the user types over', async () => {
  const editor = await createFile('queries/snippet.sql', "INSERT INTO audit_log (msg) VALUES ('x') ON CONFLICT DO NOTHING;\n");
  const [d] = await diagnosticsCount(editor.document.uri, 1);
  const fix = (await codeActions(editor.document.uri, d.range)).find((a) => a.isPreferred);
  assert.ok(fix?.edit, 'no preferred fix');
  assert.ok(await vscode.workspace.applyEdit(fix.edit));
  assert.equal(editor.document.lineAt(0).text, "INSERT INTO audit_log (msg) VALUES ('x') ON CONFLICT (key_column) DO NOTHING;");
  // The placeholder is selected in the editor, ready to be typed over.
  assert.equal(editor.document.getText(editor.selection), 'key_column');
  await diagnosticsCount(editor.document.uri, 0);
});

test('"Ignore for this statement" puts the comment above the statement and silences only that finding', async () => {
  const text = [
    '-- two imports',
    "INSERT INTO orders (customer_id, external_ref, total_cents)",
    "VALUES (3, 'C-1', 100)",
    'ON CONFLICT DO NOTHING;',
    "INSERT INTO orders (customer_id, external_ref, total_cents) VALUES (4, 'C-2', 200) ON CONFLICT DO NOTHING;",
    '',
  ].join('\n');
  const editor = await createFile('queries/ignore.sql', text);
  const [first] = await diagnosticsCount(editor.document.uri, 2);
  const ignore = (await codeActions(editor.document.uri, first.range)).find((a) => a.title === `Ignore ${RULE} for this statement`);
  assert.ok(ignore?.edit, 'no ignore action');
  assert.ok(await vscode.workspace.applyEdit(ignore.edit));
  assert.equal(editor.document.lineAt(1).text, `-- dupguard-ignore ${RULE}: reason`);
  assert.equal(editor.document.lineAt(2).text, 'INSERT INTO orders (customer_id, external_ref, total_cents)');
  const [left] = await diagnosticsCount(editor.document.uri, 1);
  assert.equal(left.range.start.line, 5);
});

test('"Ignore for this statement" in TS goes above the embedded SQL, never inside the template', async () => {
  const source = new TextDecoder().decode(await vscode.workspace.fs.readFile(workspaceUri('src/orders.ts')));
  const editor = await createFile('src/orders_ignored.ts', source);
  const [d] = await diagnosticsCount(editor.document.uri, 1);
  const ignore = (await codeActions(editor.document.uri, d.range)).find((a) => a.title === `Ignore ${RULE} for this statement`);
  assert.ok(ignore?.edit, 'no ignore action');
  assert.ok(await vscode.workspace.applyEdit(ignore.edit));
  assert.equal(editor.document.lineAt(5).text, `    // dupguard-ignore ${RULE}: reason`);
  assert.equal(editor.document.lineAt(6).text, '    `INSERT INTO orders (customer_id, external_ref, total_cents)');
  await diagnosticsCount(editor.document.uri, 0);
});

test('"Ignore for this file" silences every finding of the rule in the file', async () => {
  const editor = await createFile('queries/ignore_file.sql', [
    "INSERT INTO orders (customer_id, external_ref, total_cents) VALUES (6, 'E-1', 1) ON CONFLICT DO NOTHING;",
    "INSERT INTO customers (email) VALUES ('e@example.com') ON CONFLICT DO NOTHING;",
    '',
  ].join('\n'));
  const [d] = await diagnosticsCount(editor.document.uri, 2);
  const ignore = (await codeActions(editor.document.uri, d.range)).find((a) => a.title === `Ignore ${RULE} for this file`);
  assert.ok(ignore?.edit, 'no ignore-file action');
  assert.ok(await vscode.workspace.applyEdit(ignore.edit));
  assert.equal(editor.document.lineAt(0).text, `-- dupguard-ignore-file ${RULE}`);
  await diagnosticsCount(editor.document.uri, 0);
});

test('an ignore comment in TS silences one finding', async () => {
  const text = [
    'declare const db: { query(sql: string): Promise<void> };',
    'export async function a() {',
    '  // dupguard-ignore on-conflict-without-target: append-only log, duplicates are harmless',
    "  await db.query(`INSERT INTO events (happened_at, kind) VALUES (now(), 'a') ON CONFLICT DO NOTHING`);",
    "  await db.query(`INSERT INTO events (happened_at, kind) VALUES (now(), 'b') ON CONFLICT DO NOTHING`);",
    '}',
    '',
  ].join('\n');
  const editor = await createFile('src/ignored.ts', text);
  const [d] = await diagnosticsCount(editor.document.uri, 1);
  assert.equal(d.range.start.line, 4, describe(ours(editor.document.uri)));
});

test('"Show documentation" opens the rule\'s page shipped with the extension', async () => {
  await vscode.commands.executeCommand('dupguard.showRuleDocumentation', RULE);
  const tab = await waitFor('a Markdown preview tab of the rule page', () =>
    vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label.includes(`${RULE}.md`)));
  assert.match(tab.label, /Preview/);
  await vscode.window.tabGroups.close(tab);
});

test('fix-all on save applies the preferred fixes (editor.codeActionsOnSave)', async () => {
  await schemaReady();
  await setSetting('codeActionsOnSave', { 'source.fixAll.dupguard': 'explicit' }, 'editor');
  try {
    const editor = await createFile('queries/onsave.sql', [
      "INSERT INTO orders (customer_id, external_ref, total_cents) VALUES (5, 'D-1', 1) ON CONFLICT DO NOTHING;",
      "INSERT INTO customers (email) VALUES ('d@example.com') ON CONFLICT DO NOTHING;",
      '',
    ].join('\n'));
    await diagnosticsCount(editor.document.uri, 2);
    await editor.edit((b) => b.insert(new vscode.Position(2, 0), '-- edited\n'));
    await vscode.commands.executeCommand('workbench.action.files.save');
    await waitFor('the document saved', () => !editor.document.isDirty);
    assert.equal(editor.document.lineAt(0).text, "INSERT INTO orders (customer_id, external_ref, total_cents) VALUES (5, 'D-1', 1) ON CONFLICT (external_ref) DO NOTHING;");
    assert.equal(editor.document.lineAt(1).text, "INSERT INTO customers (email) VALUES ('d@example.com') ON CONFLICT (email) DO NOTHING;");
    await diagnosticsCount(editor.document.uri, 0);
    const onDisk = new TextDecoder().decode(await vscode.workspace.fs.readFile(editor.document.uri));
    assert.match(onDisk, /ON CONFLICT \(email\) DO NOTHING/);
  } finally {
    await setSetting('codeActionsOnSave', undefined, 'editor');
  }
});

test('changing a rule severity setting takes effect at once, "off" removes it', async () => {
  const editor = await openFile('queries/import_orders.sql');
  const uri = editor.document.uri;
  await diagnosticsCount(uri, 1);
  try {
    await setSetting('rules', { [RULE]: 'error' });
    await waitFor('severity error', () => ours(uri)[0]?.severity === vscode.DiagnosticSeverity.Error);
    await setSetting('rules', { [RULE]: 'info' });
    await waitFor('severity information', () => ours(uri)[0]?.severity === vscode.DiagnosticSeverity.Information);
    await setSetting('rules', { [RULE]: 'off' });
    await diagnosticsCount(uri, 0);
  } finally {
    await setSetting('rules', undefined);
  }
  const [d] = await diagnosticsCount(uri, 1);
  assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
});

test('"Lint Workspace" reports files that are not open in the Problems panel', async () => {
  const unopened = workspaceUri('queries/unopened.sql');
  assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === unopened.toString()), 'unopened.sql is open');
  assert.equal(ours(unopened).length, 0);
  const summary = await vscode.commands.executeCommand<{ files: number; findings: number }>('dupguard.lintWorkspace');
  assert.ok(summary && summary.files >= 4, `summary ${JSON.stringify(summary)}`);
  const [d] = await diagnosticsCount(unopened, 1);
  assert.equal(codeOf(d), RULE);
  assert.deepEqual([d.range.start.line, d.range.start.character], [1, 64]);
  assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
}, 120_000);

test('"dupguard.enable": false clears the diagnostics of open files', async () => {
  const editor = await openFile('src/orders.ts');
  await diagnosticsCount(editor.document.uri, 1);
  try {
    await setSetting('enable', false);
    await diagnosticsCount(editor.document.uri, 0);
  } finally {
    await setSetting('enable', undefined);
  }
  await diagnosticsCount(editor.document.uri, 1);
});
