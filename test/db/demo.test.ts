/**
 * `dupguard demo` end to end on the embedded PGlite (no server), in one run (PGlite starts in 5-60 s
 * depending on the machine's load): `--format json` puts the first scan's report on stdout and the
 * story a user reads on stderr. The scan must find every planted duplicate at its planted ratio; the
 * story must fit one screen, speak without internal names, and tell each step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main';
import { DEMO_TABLES } from '../../src/db/demo-data';
import type { ScanReport } from '../../src/db/report';

test('demo: planted, linted, scanned, dry-run, migrated and scanned again, told on one screen', async () => {
  let out = '';
  let err = '';
  const code = await main(['demo', '--format', 'json'], { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, cwd: process.cwd(), env: {} });
  assert.equal(code, 0, err);
  const report = JSON.parse(out) as ScanReport;
  assert.equal(report.server?.engine, 'pglite');
  assert.equal(report.complete, true);
  const find = (schema: string, table: string) => report.tables.find((t) => t.schema === schema && t.table === table)!;
  const req = find('rentals', 'task_requirements').checks.find((c) => c.source === 'config')!;
  assert.deepEqual([req.rows, req.distinct, req.maxCopies], [60 * 909, 60, 909]);
  const photos = find('rentals', 'property_photos').checks.find((c) => c.source === 'config')!;
  assert.deepEqual([photos.rows, photos.distinct, photos.maxCopies], [40 * 632, 40, 632]);
  const guests = find('rentals', 'reservation_guests').checks.find((c) => c.kind === 'unique-nulls')!;
  assert.deepEqual([guests.duplicateGroups, guests.excessRows], [20, 20]);
  const time = find('public', 'time_entries').checks.find((c) => c.kind === 'exact-row')!;
  assert.deepEqual([time.rows, time.distinct, time.excessRows, time.maxCopies], [45_000, 1_000, 44_000, 45]);
  assert.deepEqual(time.ignoredColumns?.map((i) => i.name), ['id', 'date_entered']);
  assert.ok(find('rentals', 'task_tags').checks.every((c) => c.duplicateGroups === 0));
  assert.equal(report.tables.length, DEMO_TABLES.length);

  // The story: one screen (24 lines of at most 100 columns), in plain words.
  const lines = err.trimEnd().split('\n');
  assert.ok(lines.length <= 24, `${lines.length} lines:\n${err}`);
  assert.deepEqual(lines.filter((l) => l.length > 100), [], 'lines wider than 100 columns');
  assert.doesNotMatch(err, /seed \d|breezeway|incident|sitetechnology|#\d+/i, 'internal names in the demo output');
  assert.match(err, /^Planted 8 tables, 151,797 rows/m);
  assert.match(err, /^Lint of the code that wrote them \(docs\/examples\): 3 problems in 2 files\.$/m);
  assert.match(err, /^ {2}2x ON CONFLICT DO NOTHING with no conflict target: etl\/loader\.ts:11, etl\/upsert_children\.sql:6$/m);
  assert.match(err, /^Scan \(read-only, as `dupguard scan`\): 7 of 8 tables hold copies, 147,840 rows too many/m);
  assert.match(err, /^ {2}rentals\.task_requirements +54,540 rows, 60 distinct by \(task_pk, requirement_id\): 909 copies$/m);
  assert.match(err, /^Migration for rentals\.task_requirements, dry run \(in a transaction, rolled back\)/m);
  assert.match(err, /deletes 54,480 of 54,540,$/m);
  assert.match(err, /^Applied here \(a throwaway database\), scanned again: 60 rows, no copies left\.$/m);
  assert.match(err, /^Done in \d+\.\d s\./m);
});
