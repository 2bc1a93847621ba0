/** Lint Workspace lists files that are not open: their problems must go when the files do. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { test } from './runner';
import { codeOf, diagnosticsCount, ours, workspaceUri } from './helpers';

const SQL = "-- written by the test, never opened\nINSERT INTO events (happened_at, kind) VALUES (now(), 'x') ON CONFLICT DO NOTHING;\n";

async function write(rel: string): Promise<vscode.Uri> {
  const uri = workspaceUri(rel);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(SQL));
  return uri;
}

test('Lint Workspace problems go with a file deleted or renamed in the editor, or deleted behind its back', async () => {
  const deleted = await write('gone/deleted.sql');
  const renamed = await write('gone/renamed.sql');
  const behind = await write('gone/behind.sql');
  const inFolder = await write('gone/folder/inside.sql');
  for (const uri of [deleted, renamed, behind, inFolder]) {
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString()), `${uri.path} is open`);
  }
  await vscode.commands.executeCommand('dupguard.lintWorkspace');
  for (const uri of [deleted, renamed, behind, inFolder]) assert.equal(codeOf((await diagnosticsCount(uri, 1))[0]), 'on-conflict-without-target');

  // deleted in the editor (the explorer and refactorings apply a workspace edit)
  const del = new vscode.WorkspaceEdit();
  del.deleteFile(deleted);
  assert.ok(await vscode.workspace.applyEdit(del), 'delete applied');
  await diagnosticsCount(deleted, 0);

  // renamed in the editor: the problem moves to the new name
  const to = workspaceUri('gone/renamed-later.sql');
  const ren = new vscode.WorkspaceEdit();
  ren.renameFile(renamed, to);
  assert.ok(await vscode.workspace.applyEdit(ren), 'rename applied');
  await diagnosticsCount(renamed, 0);
  const [moved] = await diagnosticsCount(to, 1);
  assert.deepEqual([moved.range.start.line, codeOf(moved)], [1, 'on-conflict-without-target']);

  // deleted behind the editor's back (a terminal, git checkout): the file watcher sees it
  await vscode.workspace.fs.delete(behind);
  await diagnosticsCount(behind, 0, 30_000);

  // a whole folder deleted behind its back
  await vscode.workspace.fs.delete(workspaceUri('gone/folder'), { recursive: true });
  await diagnosticsCount(inFolder, 0, 30_000);

  // the untouched renamed file keeps its problem, until it goes too
  assert.equal(ours(to).length, 1);
  await vscode.workspace.fs.delete(workspaceUri('gone'), { recursive: true });
  await diagnosticsCount(to, 0, 30_000);
}, 180_000);

test('a file made again with the same text after its folder was removed gets its problems back when opened', async () => {
  // VS Code holds a document for a while after its editor closes: made again with the same text, it
  // hands that document back with no open or change event, while the delete had taken its problems
  const rel = 'again/made-twice.sql';
  const uri = workspaceUri(rel);
  for (let round = 0; round < 3; round++) {
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(SQL));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    assert.equal(codeOf((await diagnosticsCount(uri, 1))[0]), 'on-conflict-without-target', `round ${round}`);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await vscode.workspace.fs.delete(workspaceUri('again'), { recursive: true });
    await diagnosticsCount(uri, 0, 30_000);
  }
}, 180_000);
