/**
 * How quick estimates read, in the panel and the CLI: every figure with its interval, and never
 * "no duplicates" for a sample that saw none.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReport, parseQuickThreshold } from '../../../src/cli/scan';
import type { ScanCheck, ScanReport } from '../../../src/db/report';
import { describeEstimate, formatEstimate, tableFigures } from '../../../src/vscode/database/figures';

const base: ScanCheck = {
  kind: 'key', columns: ['guest_id', 'reservation_pk'], source: 'config', rows: 3_000_000, distinct: 2_970_000, duplicateGroups: 30_000,
  excessRows: 30_000, maxCopies: 2, estimated: true, estimateMethod: 'tablesample', sample: [],
  excessRowsLow: 12_000, excessRowsHigh: 61_000, duplicateGroupsLow: 1_800, duplicateGroupsHigh: 41_000,
  distinctLow: 2_939_000, distinctHigh: 2_988_000, maxCopiesLow: 2, maxCopiesHigh: 130, sampledRows: 165_730, quickThresholdRows: 3_000,
};
const none: ScanCheck = { ...base, distinct: 3_000_000, duplicateGroups: 0, excessRows: 0, maxCopies: 1, excessRowsLow: 0, excessRowsHigh: 1_679, duplicateGroupsLow: 0, duplicateGroupsHigh: 1_679 };
const open: ScanCheck = { ...none, excessRowsHigh: 36_900, inconclusive: true };

function report(...checks: ScanCheck[]): ScanReport {
  return {
    version: 1, mode: 'quick', startedAt: '2026-01-01T00:00:00Z', durationMs: 1000, complete: true, errors: [],
    tables: [{ schema: 'public', table: 'stays', rows: 3_000_000, rowsEstimated: true, checks }],
    summary: { tablesScanned: 1, tablesWithDuplicates: 0, checks: checks.length, duplicateGroups: 0, excessRows: 0, reclaimableBytes: 0 },
  };
}

test('figures with their 95% interval: ≈ 30,000 (12,000–61,000)', () => {
  assert.equal(formatEstimate(30_000, 12_000, 61_000), '≈ 30,000 (12,000–61,000)');
  assert.equal(formatEstimate(30_000), '30,000');
  assert.match(describeEstimate(base), /≈ 30,000 \(1,800–41,000\) duplicate groups, ≈ 30,000 \(12,000–61,000\) excess rows/);
  const f = tableFigures(report(base).tables[0]);
  assert.equal(f.excessLow, 12_000);
  assert.equal(f.inconclusive, false);
});

test('a sample with no copy: "none found; could still hold up to N", and whether the threshold clears it', () => {
  assert.match(describeEstimate(none), /^None found in a sample of 165,730 of ≈ 3,000,000 rows; could still hold up to 1,679 excess rows \(95%\), below the threshold of 3,000\.$/);
  assert.match(describeEstimate(open), /cannot exclude duplicates \(run an Exact scan\)/);
  assert.equal(tableFigures(report(open).tables[0]).inconclusive, true);
  const text = formatReport(report(none, open), 'text');
  assert.doesNotMatch(text, /no duplicates/);
  assert.match(text, /ok +key \(guest_id, reservation_pk\): none found in a sample of 165,730 of ~3,000,000 rows; could still hold up to 1,679 excess rows/);
  assert.match(text, / \?\? key \(guest_id, reservation_pk\): none found .*the estimate cannot exclude duplicates/);
  assert.match(text, /1 that the estimate cannot clear/);
  const md = formatReport(report(base, open), 'md');
  assert.match(md, /≈ 30,000 \(12,000–61,000\)/);
  assert.match(md, /\*\*cannot exclude\*\*/);
});

test('--quick-threshold: a share with %, or whole rows', () => {
  assert.deepEqual(parseQuickThreshold('0.1%'), { share: 0.001 });
  assert.deepEqual(parseQuickThreshold('500'), { rows: 500 });
  assert.throws(() => parseQuickThreshold('0.1'), /expected a share of rows such as 0\.1%/);
  assert.throws(() => parseQuickThreshold('150%'));
});
