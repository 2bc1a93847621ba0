/** Linting TS/JS with a schema read from ORM schema files (as the CLI and the editor build it), and reading the findings. */
import assert from 'node:assert/strict';
import { analyze } from '../../../src/engine/analyze';
import { withOrmSchema, type OrmSourceFile } from '../../../src/embedded/orm/model';
import type { Finding } from '../../../src/core/types';
import { applyEdits } from '../helpers';

/** Findings of one TS/JS file, with the schema its project's ORM schema files declare. */
export function lintTs(text: string, schema: OrmSourceFile[] = [], file = 'src/app.ts'): Finding[] {
  return analyze({ text, path: file, schema: withOrmSchema(undefined, schema), reuse: false }).findings;
}

/** The findings of one rule, asserting how many there are. */
export function only(findings: Finding[], rule: string, count = 1): Finding[] {
  const found = findings.filter((f) => f.rule === rule);
  assert.equal(found.length, count, `expected ${count} ${rule}, got:\n${findings.map((f) => `${f.rule}: ${f.message}`).join('\n') || '(none)'}`);
  return found;
}

/** The title of a finding's preferred fix (asserting it has one). */
export function preferred(f: Finding): string {
  const fix = f.fixes.find((x) => x.preferred);
  assert.ok(fix, `a preferred fix for ${f.rule}: ${JSON.stringify(f.fixes)}`);
  return fix.title;
}

/** The text with a finding's preferred fix applied. */
export function fixed(text: string, f: Finding): string {
  return applyEdits(text, f.fixes.find((x) => x.preferred)!);
}
