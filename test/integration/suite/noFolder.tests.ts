/**
 * A window with no folder open (a single file opened from the command line): no workspace, so no
 * schema index. The checks that read PostgreSQL's parse trees still run: the grammar loads anyway.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { codeOf, EXTENSION_ID, ours, waitFor } from './helpers';
import { test } from './runner';

test('no folder open: an untitled TS file gets check-then-insert-race, which needs the SQL parser', async () => {
  assert.equal(vscode.workspace.workspaceFolders, undefined, 'this window has no folder');
  const doc = await vscode.workspace.openTextDocument({
    language: 'typescript',
    content: [
      "import { Pool } from 'pg';",
      'const pool = new Pool();',
      'export async function ensureUser(email: string) {',
      "  const { rows } = await pool.query('SELECT id FROM users WHERE email = $1', [email]);",
      "  if (rows.length === 0) await pool.query('INSERT INTO users (email) VALUES ($1)', [email]);",
      '}',
      '',
    ].join('\n'),
  });
  await vscode.window.showTextDocument(doc);
  await waitFor('the extension to activate', () => vscode.extensions.getExtension(EXTENSION_ID)?.isActive);
  const race = await waitFor('a check-then-insert-race diagnostic', () => ours(doc.uri).find((d) => codeOf(d) === 'check-then-insert-race'), 30_000);
  assert.equal(race.range.start.line, 4);
  assert.equal(doc.getText(race.range), 'INSERT INTO users');
});
