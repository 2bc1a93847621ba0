/** The rule list a reader sees (README) and the one the engine runs (src/rules/index.ts) are the same list. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { rules } from '../../../src/rules/index';

const root = path.resolve(__dirname, '../../..');

/** The rule ids of the README's "## Rules" table, in order. */
export function readmeRules(readme: string): string[] {
  const section = /^## Rules\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
  return [...section.matchAll(/^\| \[`([a-z-]+)`\]\(docs\/rules\/\1\.md\)/gm)].map((m) => m[1]);
}

test('the README lists the rules of the registry, in its order', () => {
  const listed = readmeRules(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
  assert.ok(listed.length > 5, `found ${listed.length} rules in the README's table`);
  assert.deepEqual(listed, rules.map((r) => r.id));
});

test('the comparison fails on a README that lists a rule the registry lacks', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const extra = readme.replace(/^(\| \[`unused-suppression`\])/m, '| [`not-a-rule`](docs/rules/not-a-rule.md) | info | x |\n$1');
  assert.notDeepEqual(readmeRules(extra), rules.map((r) => r.id));
});

test('every rule of the registry has its documentation page', () => {
  for (const r of rules) assert.ok(fs.existsSync(path.join(root, 'docs', 'rules', `${r.id}.md`)), `docs/rules/${r.id}.md`);
});
