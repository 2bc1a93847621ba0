import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/cli/args';
import { splitNames } from '../../../src/cli/migrate';

test('--table and --key names: bare parts as typed, quoted parts exact with doubled quotes', () => {
  assert.deepEqual(splitNames('public.task_photos', '.'), [{ name: 'public', quoted: false }, { name: 'task_photos', quoted: false }]);
  assert.deepEqual(splitNames('etl."Task.Req ""x"""', '.'), [{ name: 'etl', quoted: false }, { name: 'Task.Req "x"', quoted: true }]);
  assert.deepEqual(splitNames('task_pk, "Photo,Id" ,Upper', ','), [
    { name: 'task_pk', quoted: false }, { name: 'Photo,Id', quoted: true }, { name: 'Upper', quoted: false },
  ]);
  assert.deepEqual(splitNames('a,,b', ',').map((p) => p.name), ['a', '', 'b']);
  assert.throws(() => splitNames('"open', '.'), (e: Error) => e instanceof UsageError && /unbalanced double quote/.test(e.message));
});
