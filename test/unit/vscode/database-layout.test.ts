/**
 * The editor's own layout (issue: the database wiring was a circle of files around a singleton):
 * no import circle between files of src/vscode (dynamic imports included), no module-level
 * singleton getter, and every command registered from the command table.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { COMMANDS } from '../../../src/vscode/commandTable';

const root = path.resolve(__dirname, '../../../src/vscode');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** file → the files of src/vscode it imports at run time (static and dynamic imports; `import type` is erased). */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files(root)) {
    const text = fs.readFileSync(f, 'utf8');
    const out: string[] = [];
    for (const m of text.replace(/^import type [^;]+;/gm, '').matchAll(/\b(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = path.resolve(path.dirname(f), m[1]) + '.ts';
      if (target.startsWith(root + path.sep) && fs.existsSync(target)) out.push(target);
    }
    g.set(f, out);
  }
  return g;
}

function cycles(g: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const n of g.get(f) ?? []) {
      if (state.get(n) === 'open') found.push([...stack.slice(stack.indexOf(n)), n].map((x) => path.relative(root, x)).join(' -> '));
      else if (!state.has(n)) visit(n);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...g.keys()].sort()) if (!state.has(f)) visit(f);
  return found;
}

test('the import scan sees the editor files, the database folder among them', () => {
  const g = graph();
  assert.ok(g.size > 20, `${g.size} files`);
  assert.ok([...g.keys()].some((f) => f.includes(`${path.sep}database${path.sep}ctx.ts`)));
  assert.ok([...g.values()].flat().some((f) => f.endsWith(`database${path.sep}connections.ts`)), 'some file imports database/connections');
});

test('no import circle between the files of src/vscode', () => {
  assert.deepEqual(cycles(graph()), []);
});

test('the circle check finds a circle', () => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]].map(([k, v]) => [path.join(root, k as string), (v as string[]).map((x) => path.join(root, x))]));
  assert.deepEqual(cycles(g), ['a -> b -> c -> a']);
});

test('every command is registered from the command table: no command id literal elsewhere in src/vscode', () => {
  const ids = new Set<string>(Object.values(COMMANDS).map((c) => c.id));
  const stray: string[] = [];
  for (const f of files(root)) {
    if (f.endsWith('commandTable.ts')) continue;
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/registerCommand\(\s*'([^']+)'/g)) stray.push(`${path.relative(root, f)}: registerCommand('${m[1]}')`);
    for (const m of text.matchAll(/'(_?dupguard\.[A-Za-z]+)'/g)) if (ids.has(m[1]) || m[1].startsWith('_dupguard.')) stray.push(`${path.relative(root, f)}: '${m[1]}'`);
  }
  assert.deepEqual(stray, []);
});

test('no module-level singleton of the database features', () => {
  for (const f of files(root)) assert.doesNotMatch(fs.readFileSync(f, 'utf8'), /export function getDatabase\b/, path.relative(root, f));
});
