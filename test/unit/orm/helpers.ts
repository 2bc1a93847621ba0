/** Shared helpers of the ORM layer's tests: recognise, find the one targetless write, apply a fix and read it again. */
import assert from 'node:assert/strict';
import { applyFixes } from '../../../src/core/fixes';
import { recogniseOrm, type RecogniseOptions } from '../../../src/embedded/orm/recognise';
import { targetFix } from '../../../src/embedded/orm/fix';
import type { OrmFileFacts, OrmWrite } from '../../../src/embedded/orm/types';

export function facts(text: string, options?: RecogniseOptions): OrmFileFacts {
  return recogniseOrm(text, options);
}

/** Writes whose conflict clause is a targetless DO NOTHING. */
export function targetless(text: string, options?: RecogniseOptions): OrmWrite[] {
  return facts(text, options).writes.filter((w) => w.conflict?.target.kind === 'none' && w.conflict.action === 'nothing');
}

/** Exactly one targetless write; its clause covers exactly `clauseText` (first occurrence at or after `from`). */
export function oneTargetless(text: string, clauseText: string, from = 0, options?: RecogniseOptions): OrmWrite {
  const ws = targetless(text, options);
  assert.equal(ws.length, 1, `one targetless write expected, found ${ws.length}`);
  const start = text.indexOf(clauseText, from);
  assert.ok(start >= 0, `clause text ${clauseText} in the snippet`);
  assert.deepEqual(ws[0].conflict!.clause, { start, end: start + clauseText.length }, `clause is ${text.slice(ws[0].conflict!.clause.start, ws[0].conflict!.clause.end)}`);
  return ws[0];
}

/** Applies the preferred fix naming `key`, and checks the result reads back as targeted on `key`. */
export function fixAndReread(text: string, w: OrmWrite, key: string[], expectColumns = key): string {
  const fix = targetFix(text, w, key);
  assert.ok(fix, 'a fix is offered');
  const fixed = applyFixes(text, [fix]);
  assert.equal(targetless(fixed).length, targetless(text).length - 1, `one targetless write less in:\n${fixed}`);
  const again = facts(fixed).writes.find((x) => x.call.start === w.call.start)!;
  assert.ok(again?.conflict, 'the fixed call still has its conflict clause');
  const t = again.conflict!.target;
  assert.equal(t.kind, 'columns');
  if (t.kind === 'columns') assert.deepEqual(t.columns, expectColumns);
  assert.equal(again.conflict!.action, 'nothing');
  return fixed;
}
