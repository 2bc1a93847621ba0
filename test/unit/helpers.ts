/**
 * Rule test helpers in the style of squawk's lint_ok / lint_errors: assert the count first, with a
 * message that says which one the test meant, then look at the result.
 */
import * as assert from 'node:assert/strict';
import { analyze, type AnalyzeInput } from '../../src/engine/analyze';
import type { Finding, Fix } from '../../src/core/types';

type Options = Omit<AnalyzeInput, 'text'>;

function render(sql: string, findings: Finding[]): string {
  return findings.map((f) => `  ${f.rule} [${f.start},${f.end}) ${JSON.stringify(sql.slice(f.start, f.end))}: ${f.message}`).join('\n');
}

/** All findings for `sql` (a .sql file unless `options.path`/`language` says otherwise). */
export function lint(sql: string, options: Options = {}): Finding[] {
  return analyze({ path: 'test.sql', ...options, text: sql }).findings;
}

/** Asserts that `sql` produces no finding at all (or none of `options.rule`, when given). */
export function lintOk(sql: string, options: Options & { rule?: string } = {}): void {
  const { rule, ...rest } = options;
  const found = lint(sql, rest).filter((f) => rule === undefined || f.rule === rule);
  assert.equal(found.length, 0, `expected lintOk (no ${rule ?? ''} findings), got ${found.length}:\n${render(sql, found)}`);
}

/** Asserts that `sql` has exactly `count` (default 1) findings of `rule` and returns them. */
export function lintErrors(sql: string, rule: string, options: Options & { count?: number } = {}): Finding[] {
  const { count = 1, ...rest } = options;
  const all = lint(sql, rest);
  const found = all.filter((f) => f.rule === rule);
  assert.equal(found.length, count,
    `expected ${count} ${rule} finding(s) (lintErrors), got ${found.length}:\n${render(sql, all) || '  (none)'}`);
  return found;
}

/** Applies a fix's edits (host offsets) to text; snippet placeholders `${1:x}` become `x`. */
export function applyEdits(text: string, fix: Fix): string {
  const edits = [...fix.edits].sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) {
    const newText = fix.snippet ? e.newText.replace(/\$\{\d+:([^}]*)\}/g, '$1') : e.newText;
    out = out.slice(0, e.start) + newText + out.slice(e.end);
  }
  return out;
}

/** Applies the preferred (or `index`-th) fix of the single `rule` finding of `sql`; returns the new text. */
export function applyFix(sql: string, rule: string, options: Options & { index?: number } = {}): string {
  const { index, ...rest } = options;
  const [f] = lintErrors(sql, rule, rest);
  assert.ok(f.fixes.length > 0, `expected ${rule} to offer a fix`);
  const fix = index !== undefined ? f.fixes[index] : f.fixes.find((x) => x.preferred) ?? f.fixes[0];
  assert.ok(fix, `no fix #${index} for ${rule} (has ${f.fixes.length})`);
  return applyEdits(sql, fix);
}
