/** The scan's text rendering helpers (src/cli/scan.ts), without a database. */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleValue } from '../../../src/cli/scan';

test('sample values: NULL bare, an empty string as \'\', look-alikes of either quoted', () => {
  assert.equal(sampleValue(null), 'NULL');
  assert.equal(sampleValue(''), "''");
  assert.equal(sampleValue('NULL'), "'NULL'");
  assert.equal(sampleValue('null'), "'null'");
  assert.equal(sampleValue("''"), "''''''");
  assert.equal(sampleValue(' x'), "' x'");
  assert.equal(sampleValue('Smith, John'), "'Smith, John'");
  assert.equal(sampleValue('300'), '300');
  assert.equal(sampleValue('x'.repeat(50)), `${'x'.repeat(37)}...`);
});
