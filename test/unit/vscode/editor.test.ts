/** The editor layer's vscode-free parts: manifest vs command table, settings vs analyzer, snippets, ignore placement. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyzeText } from '../../../src/vscode/analyzeText';
import { stripSnippet } from '../../../src/core/fixes';
import { CATEGORY, COMMANDS } from '../../../src/vscode/commandTable';
import { LANGUAGE_IDS, sourceLanguage, statementStart } from '../../../src/vscode/languages';
import { rules } from '../../../src/rules/index';
import { EXCLUDE_GLOBS, INCLUDE_GLOB, languageFromPath, LINTED_EXTENSIONS, SKIPPED_DIRS } from '../../../src/core/languages';
import { SKIPPED_DIRS as CLI_SKIPPED } from '../../../src/cli/files';

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'));

test('every command of the table is contributed with its title and category, internal ones hidden from the palette', () => {
  const contributed = new Map<string, { title: string; category: string }>(manifest.contributes.commands.map((c: { command: string }) => [c.command, c]));
  const hidden = new Set((manifest.contributes.menus?.commandPalette ?? []).filter((m: { when: string }) => m.when === 'false').map((m: { command: string }) => m.command));
  for (const c of Object.values(COMMANDS)) {
    const m = contributed.get(c.id);
    assert.ok(m, `${c.id} is not in package.json contributes.commands`);
    assert.equal(m.title, c.title);
    assert.equal(m.category, CATEGORY);
    assert.equal(hidden.has(c.id), !c.palette, `${c.id} palette visibility`);
  }
  assert.equal(COMMANDS.scanDatabase.title, 'Scan DB for duplicates');
});

test('activation events cover every language the extension reads, and nothing else', () => {
  const langs = manifest.activationEvents.filter((e: string) => e.startsWith('onLanguage:')).map((e: string) => e.slice('onLanguage:'.length));
  assert.deepEqual([...langs].sort(), [...LANGUAGE_IDS].sort());
  for (const id of ['sql', 'pgsql', 'postgres', 'postgresql', 'psql']) assert.equal(sourceLanguage(id), 'sql');
  assert.equal(sourceLanguage('typescriptreact'), 'typescriptreact');
  assert.equal(sourceLanguage('markdown'), undefined);
});

test('one list of extensions and skipped folders: the CLI walk, the editor defaults and package.json agree', () => {
  const props = manifest.contributes.configuration.properties;
  assert.deepEqual(props['dupguard.include'].default, [INCLUDE_GLOB]);
  assert.deepEqual(props['dupguard.exclude'].default, [...EXCLUDE_GLOBS]);
  assert.equal(CLI_SKIPPED, SKIPPED_DIRS);
  // the CLI once skipped .cache but not build/ and coverage/, the editor the other way round
  for (const d of ['node_modules', '.git', 'dist', 'out', 'build', 'coverage', '.cache']) assert.ok(SKIPPED_DIRS.has(d), d);
  for (const e of LINTED_EXTENSIONS) {
    assert.ok(languageFromPath(`a${e}`), e);
    assert.ok(INCLUDE_GLOB.includes(e.slice(1)), e);
  }
  assert.equal(languageFromPath('a.constructor'), undefined);
});

test('every setting has a markdownDescription, and the rules setting lists every rule', () => {
  const props = manifest.contributes.configuration.properties as Record<string, { markdownDescription?: string; properties?: Record<string, unknown> }>;
  for (const key of ['enable', 'rules', 'embedded.tags', 'embedded.functions', 'naturalKeys', 'include', 'exclude', 'connections']) {
    assert.ok(props[`dupguard.${key}`]?.markdownDescription, `dupguard.${key} has no markdownDescription`);
  }
  const listed = Object.keys(props['dupguard.rules'].properties ?? {});
  for (const r of rules) assert.ok(listed.includes(r.id), `rule ${r.id} missing from the dupguard.rules setting schema`);
});

test('rule settings: "off" drops the finding, a severity replaces the rule\'s', () => {
  const text = 'INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING;\n';
  const base = analyzeText({ text, language: 'sql', config: {} });
  assert.equal(base.length, 1);
  assert.equal(base[0].rule, 'on-conflict-without-target');
  assert.equal(text.slice(base[0].start, base[0].end), 'ON CONFLICT DO NOTHING');
  assert.equal(analyzeText({ text, language: 'sql', config: { rules: { 'on-conflict-without-target': 'error' } } })[0].severity, 'error');
  assert.equal(analyzeText({ text, language: 'sql', config: { rules: { 'on-conflict-without-target': 'off' } } }).length, 0);
});

test('snippet placeholders become their default text for edits that cannot be snippets', () => {
  assert.equal(stripSnippet(' (${1:key_column})'), ' (key_column)');
  assert.equal(stripSnippet('a $1 b ${2} c $0'), 'a  b  c ');
  assert.equal(stripSnippet('cost \\$5 and \\}'), 'cost $5 and }');
  assert.equal(stripSnippet('SELECT $$body$$'), 'SELECT $$body$$');
});

test('ignore comments go above the statement start in SQL, above the embedded SQL in TS', () => {
  const sql = '-- header\nSELECT 1;\n\nINSERT INTO t (a)\nVALUES (1)\nON CONFLICT DO NOTHING;\n';
  assert.equal(statementStart(sql, sql.indexOf('ON CONFLICT'), 'sql', {}), sql.indexOf('INSERT'));
  assert.equal(statementStart(sql, sql.indexOf('SELECT') + 3, 'sql', {}), sql.indexOf('SELECT'));
  const withComment = 'SELECT 1; /* note */ -- why\nINSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;';
  assert.equal(statementStart(withComment, withComment.indexOf('ON CONFLICT'), 'sql', {}), withComment.indexOf('INSERT'));
  const ts = 'await db.query(\n  `INSERT INTO t (a)\n   VALUES ($1) ON CONFLICT DO NOTHING`,\n  [1],\n);\n';
  assert.equal(statementStart(ts, ts.indexOf('ON CONFLICT'), 'typescript', {}), ts.indexOf('`') + 1);
});

test('the ignore comment of an ORM finding goes above the start of its call chain, not inside it', () => {
  const ts = "import { users } from './schema';\nexport async function f(db, email) {\n  await db\n    .insert(users)\n    .values({ email })\n    .onConflictDoNothing();\n}\n";
  assert.equal(statementStart(ts, ts.indexOf('onConflictDoNothing'), 'typescript', {}), ts.indexOf('db\n'));
  const js = "async function r(knex) {\n  await knex('accounts').insert({ a: 1 })\n    .onConflict()\n    .ignore();\n}\n";
  assert.equal(statementStart(js, js.indexOf('onConflict'), 'javascript', {}), js.indexOf("knex('"));
  // outside any call or SQL: the offset itself
  assert.equal(statementStart(ts, ts.indexOf('export'), 'typescript', {}), ts.indexOf('export'));
});
