/**
 * ORM calls in the editor, as SQL: the squiggle on the call, its quick fix in the library's syntax and
 * the ignore comment, with the keys read from the ORM's own schema files (Drizzle tables, knex
 * migrations) that the workspace schema index reads beside the .sql files. Every test waits for what
 * only that index can tell (the key of a table declared in another file), so each fails without it.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { test } from './runner';
import { codeActions, codeOf, createFile, describe, diagnosticsCount, ours, waitFor, workspaceUri } from './helpers';

const RULE = 'on-conflict-without-target';

async function write(rel: string, text: string): Promise<vscode.Uri> {
  const uri = workspaceUri(rel);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  return uri;
}

async function remove(rel: string): Promise<void> {
  await vscode.workspace.fs.delete(workspaceUri(rel), { recursive: true, useTrash: false }).then(undefined, () => undefined);
}

/** Waits for the one finding of `uri` whose message matches `re` (the other findings it had are shown on failure). */
function findingMatching(uri: vscode.Uri, re: RegExp, timeoutMs = 60_000): Promise<vscode.Diagnostic> {
  return waitFor(`a ${RULE} finding matching ${re} on ${vscode.workspace.asRelativePath(uri)}`,
    () => {
      const ds = ours(uri);
      return ds.length === 1 && codeOf(ds[0]) === RULE && re.test(ds[0].message) ? ds[0] : undefined;
    }, timeoutMs).catch((e: Error) => {
    // what the file had when the wait ended
    throw new Error(`${e.message}; at the end: ${describe(ours(uri))} ${ours(uri).map((d) => d.message).join(' | ')}`);
  });
}

const rangeOf = (d: vscode.Diagnostic) => [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character];

/** A Drizzle project of its own (its package.json is a schema scope): the table in db/schema.ts, the insert in another file. */
const DRIZZLE = 'orm-drizzle';
const drizzleSchema = (unique: boolean) => [
  "import { pgTable, serial, text } from 'drizzle-orm/pg-core';",
  '',
  "export const users = pgTable('users', {",
  "  id: serial('id').primaryKey(),",
  `  email: text('email').notNull()${unique ? '.unique()' : ''},`,
  "  name: text('name'),",
  '});',
  '',
].join('\n');
const SIGNUP = [
  "import { db } from './db/client';",
  "import { users } from './db/schema';",
  '',
  'export async function signUp(email: string, name: string): Promise<void> {',
  '  await db',
  '    .insert(users)',
  '    .values({ email, name })',
  '    .onConflictDoNothing();',
  '}',
  '',
].join('\n');
/** The message when the index knows users' one unique key (without it, the message only guesses). */
const KNOWS_EMAIL = /public\.users happens to have one unique key \(unique constraint \(email\)\)/;

async function drizzleProject(): Promise<void> {
  await write(`${DRIZZLE}/package.json`, JSON.stringify({ name: 'orm-drizzle', private: true, dependencies: { 'drizzle-orm': '^0.44.0', pg: '^8.0.0' } }, null, 2));
  await write(`${DRIZZLE}/src/db/schema.ts`, drizzleSchema(true));
}

test('ORM: a Drizzle .onConflictDoNothing() is squiggled on the call, with the key from the schema file, and the quick fix names it', async () => {
  await drizzleProject();
  try {
    const editor = await createFile(`${DRIZZLE}/src/signup.ts`, SIGNUP);
    const d = await findingMatching(editor.document.uri, KNOWS_EMAIL);
    // on `onConflictDoNothing()`, the call that emits the targetless ON CONFLICT
    assert.deepEqual(rangeOf(d), [7, 5, 7, 26]);
    assert.equal(editor.document.getText(d.range), 'onConflictDoNothing()');
    assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
    // the related information points into the schema file: the table, and the unique column
    const related = (d.relatedInformation ?? []).map((r) => `${vscode.workspace.asRelativePath(r.location.uri)}:${r.location.range.start.line}`);
    assert.ok(related.includes(`${DRIZZLE}/src/db/schema.ts:4`), JSON.stringify(related));

    const actions = await codeActions(editor.document.uri, d.range, vscode.CodeActionKind.QuickFix.value);
    const preferred = actions.filter((a) => a.isPreferred);
    assert.equal(preferred.length, 1, JSON.stringify(actions.map((a) => a.title)));
    assert.match(preferred[0].title, /target: users\.email/);
    assert.ok(await vscode.workspace.applyEdit(preferred[0].edit!));
    assert.equal(editor.document.lineAt(7).text, '    .onConflictDoNothing({ target: users.email });');
    await diagnosticsCount(editor.document.uri, 0);
  } finally {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await remove(DRIZZLE);
  }
}, 120_000);

test('ORM: "Ignore for this statement" above a Drizzle chain silences its finding', async () => {
  await drizzleProject();
  try {
    const editor = await createFile(`${DRIZZLE}/src/signup_ignored.ts`, SIGNUP);
    const d = await findingMatching(editor.document.uri, KNOWS_EMAIL);
    const ignore = (await codeActions(editor.document.uri, d.range)).find((a) => a.title === `Ignore ${RULE} for this statement`);
    assert.ok(ignore?.edit, 'no ignore action');
    assert.ok(await vscode.workspace.applyEdit(ignore.edit));
    // above the whole chain, not between its lines
    assert.equal(editor.document.lineAt(4).text, `  // dupguard-ignore ${RULE}: reason`);
    assert.equal(editor.document.lineAt(5).text, '  await db');
    await diagnosticsCount(editor.document.uri, 0);
  } finally {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await remove(DRIZZLE);
  }
}, 120_000);

test('ORM: editing the Drizzle schema file (its unique key removed, then back) changes the finding of the insert in another file', async () => {
  await drizzleProject();
  try {
    const editor = await createFile(`${DRIZZLE}/src/signup_edits.ts`, SIGNUP);
    const uri = editor.document.uri;
    await findingMatching(uri, KNOWS_EMAIL);
    // the schema file changes on disk (saved elsewhere, a git checkout): the index follows it
    await write(`${DRIZZLE}/src/db/schema.ts`, drizzleSchema(false));
    const never = await findingMatching(uri, /never fires here: public\.users's only unique key is primary key \(id\)/);
    assert.equal(never.severity, vscode.DiagnosticSeverity.Error);
    assert.deepEqual(rangeOf(never), [7, 5, 7, 26]);
    await write(`${DRIZZLE}/src/db/schema.ts`, drizzleSchema(true));
    const back = await findingMatching(uri, KNOWS_EMAIL);
    assert.equal(back.severity, vscode.DiagnosticSeverity.Warning);
  } finally {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await remove(DRIZZLE);
  }
}, 120_000);

test('ORM: a knex .onConflict().ignore() in a JS file, keyed by a knex migration, is fixed with the migration\'s columns', async () => {
  const KNEX = 'orm-knex';
  await write(`${KNEX}/package.json`, JSON.stringify({ name: 'orm-knex', private: true, dependencies: { knex: '^3.1.0', pg: '^8.0.0' } }, null, 2));
  await write(`${KNEX}/migrations/20240101_accounts.js`, [
    'exports.up = function (knex) {',
    "  return knex.schema.createTable('accounts', (table) => {",
    "    table.increments('id');",
    "    table.string('tenant').notNullable();",
    "    table.string('handle').notNullable();",
    "    table.unique(['tenant', 'handle']);",
    '  });',
    '};',
    '',
    'exports.down = function (knex) {',
    "  return knex.schema.dropTable('accounts');",
    '};',
    '',
  ].join('\n'));
  try {
    const editor = await createFile(`${KNEX}/src/accounts.js`, [
      "const knex = require('knex')({ client: 'pg' });",
      '',
      'async function register(tenant, handle) {',
      "  await knex('accounts')",
      '    .insert({ tenant, handle })',
      '    .onConflict()',
      '    .ignore();',
      '}',
      '',
      'module.exports = { register };',
      '',
    ].join('\n'));
    assert.equal(editor.document.languageId, 'javascript');
    const d = await findingMatching(editor.document.uri, /public\.accounts happens to have one unique key \(unique constraint \(tenant, handle\)\)/);
    // from the method that emits the clause to the one that completes it
    assert.equal(editor.document.getText(d.range), 'onConflict()\n    .ignore()');
    assert.deepEqual(rangeOf(d), [5, 5, 6, 13]);
    const fix = (await codeActions(editor.document.uri, d.range, vscode.CodeActionKind.QuickFix.value)).find((a) => a.isPreferred);
    assert.ok(fix?.edit, 'no preferred fix');
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(editor.document.lineAt(5).text, "    .onConflict(['tenant', 'handle'])");
    await diagnosticsCount(editor.document.uri, 0);
  } finally {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await remove(KNEX);
  }
}, 120_000);
