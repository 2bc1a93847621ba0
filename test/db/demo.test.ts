/**
 * `dupguard demo` end to end on the embedded PGlite (no server): the scan must find every planted
 * duplicate at the incidents' ratios. Slow-ish (PGlite starts in 5-15 s), so one test covers it all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main';
import { DEMO_TABLES } from '../../src/db/demo-data';
import type { ScanReport } from '../../src/db/report';

test('demo: embedded database seeded with the incidents, scanned, every ratio found', async () => {
  let out = '';
  let err = '';
  const code = await main(['demo', '--format', 'json', '--no-lint'], { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, cwd: process.cwd(), env: {} });
  assert.equal(code, 0, err);
  const report = JSON.parse(out) as ScanReport;
  assert.equal(report.server?.engine, 'pglite');
  assert.equal(report.complete, true);
  const find = (schema: string, table: string) => report.tables.find((t) => t.schema === schema && t.table === table)!;
  const req = find('breezeway', 'task_requirements').checks.find((c) => c.source === 'config')!;
  assert.deepEqual([req.rows, req.distinct, req.maxCopies], [60 * 909, 60, 909]);
  const photos = find('breezeway', 'property_photos').checks.find((c) => c.source === 'config')!;
  assert.deepEqual([photos.rows, photos.distinct, photos.maxCopies], [40 * 632, 40, 632]);
  const guests = find('breezeway', 'reservation_guests').checks.find((c) => c.kind === 'unique-nulls')!;
  assert.deepEqual([guests.duplicateGroups, guests.excessRows], [20, 20]);
  const time = find('public', 'time_entries').checks.find((c) => c.kind === 'exact-row')!;
  assert.deepEqual([time.rows, time.distinct, time.excessRows, time.maxCopies], [45_000, 1_000, 44_000, 45]);
  assert.deepEqual(time.ignoredColumns?.map((i) => i.name), ['id', 'date_entered']);
  assert.ok(find('breezeway', 'task_tags').checks.every((c) => c.duplicateGroups === 0));
  assert.equal(report.tables.length, DEMO_TABLES.length);
  assert.match(err, /Scan found every planted duplicate at the incidents' ratios/);
});
