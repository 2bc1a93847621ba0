/**
 * A window with no folder open (a single file opened from the command line): no workspace, so no
 * schema index. The checks that read PostgreSQL's parse trees still run: the grammar loads anyway.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { codeOf, EXTENSION_ID, ours, waitFor } from './helpers';
import { test } from './runner';

test('no folder open: an untitled TS file gets check-then-insert-race, which needs the SQL parser', async () => {
  assert.equal(vscode.workspace.workspaceFolders, undefined, 'this window has no folder');
  // (the suite runs from out/integration: the repository is two folders up)
  const content = fs.readFileSync(path.resolve(__dirname, '../../test/fixtures/race/users.ts'), 'utf8');
  const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content });
  await vscode.window.showTextDocument(doc);
  await waitFor('the extension to activate', () => vscode.extensions.getExtension(EXTENSION_ID)?.isActive);
  const race = await waitFor('a check-then-insert-race diagnostic', () => ours(doc.uri).find((d) => codeOf(d) === 'check-then-insert-race'), 30_000);
  assert.equal(race.range.start.line, 6);
  assert.equal(doc.getText(race.range), 'INSERT INTO users');
});
