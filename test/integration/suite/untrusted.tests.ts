/**
 * The fixture workspace opened with workspace trust on and not trusted (restricted mode): the data
 * check sends nothing to a connected database, even when turned on for the connection, until the user
 * trusts the workspace through VS Code's own Workspace Trust editor; then it runs at once.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { createTestDatabase } from '../../support/postgres';
import { startCountingProxy } from './countingProxy';
import { codeOf, createFile, dataCheckUntil, EXTENSION_ID, pageAction, waitFor } from './helpers';
import { test } from './runner';

const RULE = 'unique-constraint-violated-by-data';

interface SchemaApi { services: { schema: { skipped: string[]; current(): { lookup(name: string): unknown } | undefined } } }

test('the window opened the workspace untrusted (restricted mode)', () => {
  assert.equal(vscode.workspace.isTrusted, false, 'the harness was meant to open this folder untrusted');
});

test('untrusted: no query reaches the database, even with the check turned on; trusting the workspace runs it', async () => {
  const dbUrl = await createTestDatabase('untrusted');
  const { Client } = await import('pg');
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  try {
    await c.query('CREATE TABLE orders (id serial PRIMARY KEY, ref int); INSERT INTO orders (ref) SELECT g % 5 FROM generate_series(1, 20) g;');
  } finally {
    await c.end();
  }
  const real = new URL(dbUrl);
  const proxy = await startCountingProxy({ host: real.hostname, port: Number(real.port) });
  try {
    // A URL typed by the user may be scanned in restricted mode (it does not come from the workspace).
    const url = `postgres://postgres@127.0.0.1:${proxy.port}${real.pathname}?sslmode=disable`;
    const report = await vscode.commands.executeCommand<{ complete: boolean } | undefined>('dupguard.scanDatabase', { url, tables: ['public.orders'] });
    assert.equal(report?.complete, true);
    assert.equal(await vscode.commands.executeCommand('dupguard.enableDataCheck'), true);
    const connections = proxy.connections();
    const statements = proxy.statements.length;

    // A .sql file over the untrusted budget of the schema index (256 KiB) is not read while untrusted.
    const padding = `-- ${'x'.repeat(96)}\n`.repeat(4000);
    await createFile('migrations/000_big.sql', `CREATE TABLE big_ddl (id int PRIMARY KEY);\n${padding}`);
    const schema = await waitFor('the extension API', () => vscode.extensions.getExtension<SchemaApi>(EXTENSION_ID)?.exports?.services?.schema);
    await waitFor('the schema index to leave the big file out', () => schema.skipped.includes('migrations/000_big.sql'), 30_000);
    assert.equal(schema.current()?.lookup('big_ddl'), undefined);

    const editor = await createFile('migrations/010_orders_ref.sql', 'ALTER TABLE orders ADD CONSTRAINT orders_ref_key UNIQUE (ref);\n');
    const uri = editor.document.uri;
    const untrusted = await dataCheckUntil(uri, 'the check to decline in restricted mode', (x) => x.outcome === 'untrusted');
    await editor.document.save();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(proxy.connections(), connections, 'a connection was opened from an untrusted workspace');
    assert.deepEqual(proxy.statements.slice(statements), []);
    assert.equal(vscode.languages.getDiagnostics(uri).filter((d) => codeOf(d) === RULE).length, 0);

    // The user trusts the workspace in VS Code's Workspace Trust editor: the open migration is checked then.
    await vscode.commands.executeCommand('workbench.trust.manage');
    await pageAction('grant-trust', JSON.stringify({ click: '.workspace-trust-editor .workspace-trust-buttons-row .monaco-button' }));
    await waitFor('the workspace to be trusted', () => vscode.workspace.isTrusted, 30_000);
    const checked = await dataCheckUntil(uri, 'the check after trust was granted', (x) => x.outcome === 'checked', untrusted.seq);
    assert.deepEqual(checked.keys?.map((k) => [k.status, k.duplicateGroups]), [['counted', 5]]);
    const d = await waitFor(`a ${RULE} diagnostic`, () => vscode.languages.getDiagnostics(uri).find((x) => codeOf(x) === RULE), 30_000);
    assert.match(d.message, /5 key values are held by more than one row \(15 excess rows, up to 4 copies/);
    assert.ok(proxy.connections() > connections);
    // and the schema index reads the big file with the trusted budget
    await waitFor('the schema index to read the big file once trusted', () => schema.current()?.lookup('big_ddl'), 30_000);
    assert.deepEqual(schema.skipped, []);
  } finally {
    await proxy.close();
  }
}, 150_000);
