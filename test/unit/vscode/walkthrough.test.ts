/**
 * The Getting Started walkthrough (contributes.walkthroughs): every completion event names a command
 * the extension registers (its command table, or a `registerCommand` of a named constant in
 * src/vscode) or a setting it contributes; every command link does too; its files exist and are in
 * what vsce packages (`vsce ls`: .vscodeignore is an allow-list).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { COMMANDS } from '../../../src/vscode/commandTable';

const root = path.resolve(__dirname, '../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
interface Step { id: string; title: string; description: string; media: { markdown?: string; image?: string }; completionEvents?: string[] }
const walkthroughs = (manifest.contributes.walkthroughs ?? []) as Array<{ id: string; steps: Step[] }>;
const steps = walkthroughs.flatMap((w) => w.steps);

/** Command ids src/vscode registers: the command table, plus `const X = 'dupguard.y'` passed to registerCommand(X, ...). */
/** Context keys the extension sets to true (setContext with a literal key). */
function contextKeysSet(): Set<string> {
  const keys = new Set<string>();
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  for (const file of walk(path.join(root, 'src', 'vscode'))) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/'setContext', '(dupguard\.[\w.]+)', true\)/g)) keys.add(m[1]);
  }
  return keys;
}

function registeredCommands(): Set<string> {
  const ids = new Set<string>(Object.values(COMMANDS).map((c) => c.id));
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  for (const file of walk(path.join(root, 'src', 'vscode'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/const (\w+) = '(dupguard\.[\w.]+)'/g)) {
      if (text.includes(`registerCommand(${m[1]},`)) ids.add(m[2]);
    }
  }
  return ids;
}

test('the walkthrough has the steps of a first run, each with a completion event', () => {
  assert.equal(walkthroughs.length, 1);
  assert.deepEqual(steps.map((s) => s.id), ['find', 'connect', 'scan', 'migrate']);
  for (const s of steps) assert.ok(s.completionEvents?.length, `step ${s.id} has no completion event`);
});

test('every completion event and command link names a command the extension registers, or a setting it contributes', () => {
  const commands = registeredCommands();
  const contributed = new Set<string>(manifest.contributes.commands.map((c: { command: string }) => c.command));
  const settings = new Set(Object.keys(manifest.contributes.configuration.properties));
  assert.ok(commands.has('dupguard.generateDedupMigration'), 'the scan of src/vscode found the registered constants');
  for (const s of steps) {
    for (const e of s.completionEvents ?? []) {
      const [kind, arg] = [e.slice(0, e.indexOf(':')), e.slice(e.indexOf(':') + 1)];
      if (kind === 'onCommand') assert.ok(commands.has(arg), `step ${s.id}: ${e} is no command the extension registers`);
      else if (kind === 'onSettingChanged') assert.ok(settings.has(arg), `step ${s.id}: ${e} is no contributed setting`);
      else if (kind === 'onContext') assert.ok(contextKeysSet().has(arg), `step ${s.id}: ${e} is no context key the extension sets`);
      else assert.fail(`step ${s.id}: unexpected completion event ${e}`);
    }
    for (const m of s.description.matchAll(/\(command:([\w.]+)/g)) {
      const id = m[1];
      // Built-in commands are VS Code's own; ours must be registered and contributed.
      if (id.startsWith('dupguard.')) assert.ok(commands.has(id) && contributed.has(id), `step ${s.id} links to ${id}, which is not registered and contributed`);
      else assert.ok(['workbench.action.openSettings'].includes(id), `step ${s.id} links to an unexpected command ${id}`);
    }
  }
});

test("the walkthrough's files exist and vsce packages them", () => {
  const files = steps.flatMap((s) => [s.media.markdown, s.media.image].filter((x): x is string => !!x));
  files.push('media/walkthrough/example.sql');
  for (const f of files) assert.ok(fs.existsSync(path.join(root, f)), `${f} is missing`);
  const ls = spawnSync(process.execPath, [path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(ls.status, 0, ls.stderr);
  const packaged = new Set(ls.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
  for (const f of files) assert.ok(packaged.has(f), `${f} is not in the .vsix (.vscodeignore allow-list)`);
});

test('the example the first step opens holds the hazards its text promises', async () => {
  const { analyze } = await import('../../../src/engine/analyze');
  const { ensureParser, loadSchemaFromDdl } = await import('../../../src/core/schema/ddl');
  await ensureParser();
  const text = fs.readFileSync(path.join(root, 'media', 'walkthrough', 'example.sql'), 'utf8');
  const schema = await loadSchemaFromDdl([{ path: 'example.sql', text }]);
  const findings = analyze({ text, path: 'example.sql', schema }).findings;
  const conflict = findings.filter((f) => f.rule === 'on-conflict-without-target');
  assert.equal(conflict.length, 2);
  assert.ok(conflict[0].fixes.some((x) => x.preferred && x.title.startsWith('Add conflict target (external_ref)')), conflict[0].fixes.map((x) => x.title).join(' | '));
  assert.equal(conflict[1].severity, 'error');
});
