/**
 * `dupguard scan` on an untouched, well-modelled database: pagila (../shared/corpus/dumps), loaded
 * with psql into a database of its own. Its inventory holds several physical copies of a film per
 * store, each referenced by rentals: rows that look alike, not copies. The scan exits 0 and reports
 * them only as lower-confidence notes (issue 16). Skipped, with a note, when the dump is absent.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pg from 'pg';
import type { ScanReport } from '../../src/db/report';
import { createTestDatabase, runPsqlFile } from '../support/postgres';
import { runCli } from './_db';

const dumps = path.resolve(__dirname, '../../../shared/corpus/dumps');
const schemaFile = path.join(dumps, 'pagila-schema.sql');
const dataFile = path.join(dumps, 'pagila-data.sql');
const present = fs.existsSync(schemaFile) && fs.existsSync(dataFile);
if (!present) console.log(`scan-pagila: skipped: ${schemaFile} and ${dataFile} not found (the shared corpus is absent)`);

let url: string;

const cli = (args: string[]) => runCli(args);

before(async () => {
  if (!present) return;
  url = await createTestDatabase('dgpagila');
  const t0 = Date.now();
  for (const file of [schemaFile, dataFile]) {
    const r = runPsqlFile(url, file);
    assert.equal(r.status, 0, `psql ${path.basename(file)}: ${r.stderr}`);
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try { await c.query('ANALYZE'); } finally { await c.end(); }
  console.log(`scan-pagila: pagila loaded and analyzed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test('untouched pagila: exit 0; inventory\'s look-alike rows are a lower-confidence note, in no total', { skip: !present && 'pagila dump absent' }, async () => {
  const json = await cli(['scan', '--url', url, '--format', 'json']);
  assert.equal(json.code, 0, json.err);
  const r = JSON.parse(json.out) as ScanReport;
  assert.equal(r.complete, true);
  assert.deepEqual(r.errors, []);
  const inventory = r.tables.find((t) => t.table === 'inventory')!;
  const row = inventory.checks.find((c) => c.kind === 'exact-row')!;
  assert.deepEqual([row.confidence, row.duplicateGroups, row.excessRows, row.maxCopies], ['lookalike', 1521, 3060, 4]);
  assert.deepEqual(row.referencedBy, ['public.rental.rental_inventory_id_fkey']);
  // Nothing that counts: no table with duplicates, no excess rows; the notes are counted apart.
  const counted = r.tables.flatMap((t) => t.checks.filter((c) => c.duplicateGroups > 0 && (c.confidence === 'certain' || c.confidence === 'likely')).map((c) => `${t.table}: ${c.kind} (${c.columns.join(', ')})`));
  assert.deepEqual(counted, []);
  assert.deepEqual([r.summary.tablesWithDuplicates, r.summary.duplicateGroups, r.summary.excessRows], [0, 0, 0]);
  assert.ok((r.summary.lowerConfidenceTables ?? 0) >= 1);

  const text = await cli(['scan', '--url', url, '--table', 'inventory']);
  assert.equal(text.code, 0);
  assert.match(text.out, /^ {3}\? whole row \(all columns except inventory_id, last_update\): 3,060 excess rows in 1,521 groups/m);
  assert.match(text.out, /rows that look alike, referenced separately: .*public\.rental\.rental_inventory_id_fkey references this table's rows/);
  assert.match(text.out, /1 table\(s\) scanned, 0 with duplicates, 0 excess rows, ~0 B reclaimable, 1 more with lower-confidence notes only/);
});
