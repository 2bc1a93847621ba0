/**
 * The layers of src/ (STYLE.md) import only what they may: the analyzer (core, embedded, rules,
 * engine, migrate) is pure TypeScript with no Node built-ins, no `vscode` and no `pg`; only src/vscode imports
 * `vscode`; only src/db imports `pg` and the embedded PostgreSQL; the edges are not imported from below.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import { test } from 'node:test';

const src = path.resolve(__dirname, '../../src');

interface Import { file: string; spec: string; line: number }

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier of static imports and exports, `import()` and `require()`, with its line. */
function importsOf(file: string): Import[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: Import[] = [];
  const re = /\b(?:from|import|require)\s*\(?\s*(['"])([^'"\n]+)\1/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ file: path.relative(src, file), spec: m[2], line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

/** The src/ folder a relative import of `from` lands in ('core', 'db', ...), or undefined for packages. */
function layerOf(imp: Import): string | undefined {
  if (!imp.spec.startsWith('.')) return undefined;
  const target = path.relative(src, path.resolve(src, path.dirname(imp.file), imp.spec));
  return target.startsWith('..') ? '(outside src)' : target.split(path.sep)[0];
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const all = sourceFiles(src).flatMap(importsOf);
const layer = (imp: Import) => imp.file.split(path.sep)[0];
const where = (imp: Import) => `src/${imp.file}:${imp.line} imports '${imp.spec}'`;

test('the import scan sees the project (a scan that finds nothing would pass every rule below)', () => {
  assert.ok(all.length > 200, `${all.length} imports found`);
  assert.ok(all.some((i) => i.spec === 'vscode'), 'some file imports vscode');
  assert.ok(all.some((i) => i.spec === 'pg'), 'some file imports pg');
});

test('only src/vscode imports vscode', () => {
  assert.deepEqual(all.filter((i) => i.spec === 'vscode' && layer(i) !== 'vscode').map(where), []);
});

test('only src/db imports pg and the embedded PostgreSQL', () => {
  const dbOnly = (spec: string) => spec === 'pg' || spec.startsWith('pg-') || spec.startsWith('@electric-sql/');
  assert.deepEqual(all.filter((i) => dbOnly(i.spec) && layer(i) !== 'db').map(where), []);
});

test('the analyzer (core, rules, embedded, engine, migrate) is pure: no Node built-ins, no database, no edge', () => {
  const pure = new Set(['core', 'rules', 'embedded', 'engine', 'migrate']);
  const bad = all.filter((i) => pure.has(layer(i)) && (builtins.has(i.spec) || ['db', 'cli', 'vscode', '(outside src)'].includes(layerOf(i) ?? '')));
  assert.deepEqual(bad.map(where), []);
});

test('the edges are not imported from below: db imports neither cli nor vscode, cli does not import vscode', () => {
  const bad = all.filter((i) => (layer(i) === 'db' && ['cli', 'vscode'].includes(layerOf(i) ?? '')) || (layer(i) === 'cli' && layerOf(i) === 'vscode'));
  assert.deepEqual(bad.map(where), []);
});

/** Folder → the folders its files import (relative imports between top-level folders of src/). */
function folderGraph(imports: Import[]): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const i of imports) {
    const to = layerOf(i);
    const from = layer(i);
    if (to === undefined || to === from || to === '(outside src)' || from.endsWith('.ts')) continue;
    if (!g.has(from)) g.set(from, new Set());
    g.get(from)!.add(to);
  }
  return g;
}

/** Every import circle between folders, as `a -> b -> a` (one per circle, from its smallest folder). */
function folderCycles(g: Map<string, Set<string>>): string[] {
  const out = new Set<string>();
  const walk = (start: string, at: string, path: string[]) => {
    for (const next of g.get(at) ?? []) {
      if (next === start) out.add([...path, start].join(' -> '));
      else if (!path.includes(next) && next > start) walk(start, next, [...path, next]);
    }
  };
  for (const f of [...g.keys()].sort()) walk(f, f, [f]);
  return [...out];
}

test('no import circle between folders of src/ (data flows one way: core -> embedded -> rules -> engine -> edges)', () => {
  const g = folderGraph(all);
  assert.ok(g.get('engine')?.has('rules'), 'the scan sees the engine importing the rules');
  assert.deepEqual(folderCycles(g), [], 'import circles between folders');
});

test('the circle check finds a circle (a check that cannot fail proves nothing)', () => {
  const imp = (file: string, spec: string): Import => ({ file, spec, line: 1 });
  const g = folderGraph([...all, imp(path.join('core', 'x.ts'), '../engine/analyze'), imp(path.join('rules', 'y.ts'), '../engine/caches')]);
  assert.ok(folderCycles(g).includes('core -> engine -> core'), folderCycles(g).join('\n'));
  assert.ok(folderCycles(g).includes('engine -> rules -> engine'), folderCycles(g).join('\n'));
});

test('the layers, lowest first: a folder imports only from folders below it', () => {
  const order = ['core', 'migrate', 'embedded', 'rules', 'engine', 'config', 'db', 'cli', 'eslint', 'vscode'];
  const rank = (f: string) => order.indexOf(f);
  const bad = all.filter((i) => {
    const to = layerOf(i);
    if (to === undefined || to === layer(i) || to === '(outside src)') return false;
    return rank(layer(i)) < 0 || rank(to) < 0 || rank(to) > rank(layer(i));
  });
  assert.deepEqual(bad.map(where), []);
});
