/**
 * What the scan is sure of, and one set of totals (issue 16, section 1), on real PostgreSQL:
 * - whole-row copies behind an id that foreign keys reference are look-alike rows ("referenced
 *   separately"), reported as lower-confidence notes, never in the exit status or the totals;
 * - every check has a confidence class, in JSON, text and Markdown;
 * - per-table totals are the table's strongest counted check, the same numbers in every format;
 * - a check that counts only some rows says so; samples tell '' from NULL.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/db/connect';
import { scan } from '../../src/db/scan';
import { migrationAction, tableTotals, type ScanReport } from '../../src/db/report';
import { freshDb, runCli } from './_db';

let url: string;

const cli = (args: string[]) => runCli(args);

before(async () => {
  const db = await freshDb(`
    -- Copies of a film in a store: separate things, each rented on its own (pagila's inventory).
    CREATE TABLE stock (stock_id serial PRIMARY KEY, film int NOT NULL, store int NOT NULL, last_update timestamptz NOT NULL DEFAULT now());
    CREATE TABLE loans (loan_id serial PRIMARY KEY, stock_id int NOT NULL REFERENCES stock);
    INSERT INTO stock (film, store) SELECT f, s FROM generate_series(1, 50) f, generate_series(1, 2) s, generate_series(1, 3) c;
    INSERT INTO loans (stock_id) SELECT stock_id FROM stock WHERE stock_id % 2 = 0;
    -- The same shape that nothing references: copies of one import, likely duplicates.
    CREATE TABLE imported (id serial PRIMARY KEY, film int NOT NULL, store int NOT NULL);
    INSERT INTO imported (film, store) SELECT f, 1 FROM generate_series(1, 20) f, generate_series(1, 2) c;
    -- Duplicates only under an inferred key; and an inferred key over a column that is always NULL.
    CREATE TABLE members (id serial PRIMARY KEY, email text, note text, a_id int, b_id int);
    INSERT INTO members (email, note, a_id) SELECT 'm' || (g % 900) || '@x', 'n' || g, g FROM generate_series(1, 1000) g;
    -- '' and NULL in a configured key: different groups, told apart in the sample.
    CREATE TABLE codes (id serial PRIMARY KEY, k int NOT NULL, c text);
    INSERT INTO codes (k, c) VALUES (300, ''), (300, ''), (300, NULL), (300, NULL), (301, 'NULL'), (301, 'NULL');
    ANALYZE;
  `, 'dgconf');
  url = db.url;
  await db.session.close();
});

test('whole-row copies behind a referenced id are look-alike rows: reported, not counted, no primary migration', async () => {
  const s = await connect(url, { env: {} });
  let r: ScanReport;
  try { r = await scan(s, { tables: ['stock', 'imported'] }); } finally { await s.close(); }
  const stock = r.tables.find((t) => t.table === 'stock')!;
  const row = stock.checks.find((c) => c.kind === 'exact-row')!;
  assert.deepEqual([row.confidence, row.duplicateGroups, row.excessRows], ['lookalike', 100, 200]);
  assert.deepEqual(row.referencedBy, ['public.loans.loans_stock_id_fkey']);
  assert.match(row.reason ?? '', /^rows that look alike, referenced separately: rows equal in every column except stock_id, last_update, but foreign key public\.loans\.loans_stock_id_fkey references this table's rows/);
  assert.equal(migrationAction(row), 'confirm');
  const imported = r.tables.find((t) => t.table === 'imported')!;
  const copy = imported.checks.find((c) => c.kind === 'exact-row')!;
  assert.deepEqual([copy.confidence, copy.excessRows, copy.referencedBy], ['likely', 20, undefined]);
  assert.equal(migrationAction(copy), 'primary');
  // Inferred (film, store)? No: neither column is id-like; the guesses are elsewhere (members).
  assert.deepEqual(r.summary, {
    tablesScanned: 2, tablesWithDuplicates: 1, checks: 2, duplicateGroups: 20, excessRows: 20,
    reclaimableBytes: imported.checks[0].reclaimableBytes, lowerConfidenceTables: 1,
  });
  assert.deepEqual(tableTotals(stock), { check: -1, duplicateGroups: 0, excessRows: 0, reclaimableBytes: 0, note: 0 });

  const alone = await cli(['scan', '--url', url, '--table', 'stock']);
  assert.equal(alone.code, 0, 'look-alike rows alone: exit 0');
  assert.match(alone.out, /^ {3}\? whole row \(all columns except stock_id, last_update\): 200 excess rows in 100 groups/m);
  assert.match(alone.out, /^ {6}confidence: look-alike, not counted$/m);
  assert.match(alone.out, /1 table\(s\) scanned, 0 with duplicates, 0 excess rows, ~0 B reclaimable, 1 more with lower-confidence notes only/);
  const both = await cli(['scan', '--url', url, '--table', 'stock', '--table', 'imported']);
  assert.equal(both.code, 1, 'likely copies count');
  assert.match(both.out, /^ {2}DUP whole row \(all columns except id\): 20 excess rows in 20 groups/m);
  assert.match(both.out, /^ {6}confidence: likely \(whole-row copies behind an id nothing references\)$/m);
});

test('one set of totals: the same figures in JSON, text and Markdown, from the strongest counted check of each table', async () => {
  const args = ['scan', '--url', url, '--key', 'codes=k,c'];
  const json = await cli([...args, '--format', 'json']);
  const r = JSON.parse(json.out) as ScanReport;
  assert.equal(json.code, 1);
  for (const t of r.tables) for (const c of t.checks) assert.ok(['certain', 'likely', 'lookalike', 'guess'].includes(c.confidence ?? ''), `${t.table}: ${c.kind}`);
  // Per table: the strongest counted check, never a sum over the table's checks.
  let groups = 0;
  let excess = 0;
  let tables = 0;
  for (const t of r.tables) {
    const tot = tableTotals(t);
    if (tot.check < 0) continue;
    tables++;
    groups += t.checks[tot.check].duplicateGroups;
    excess += t.checks[tot.check].excessRows;
  }
  assert.deepEqual([r.summary.tablesWithDuplicates, r.summary.duplicateGroups, r.summary.excessRows], [tables, groups, excess]);
  assert.ok(r.summary.duplicateGroups <= r.summary.excessRows, 'groups never exceed excess rows');
  // codes (certain: 3 groups, 3 excess) and imported (likely: 20, 20); members' copies are a guess, stock's look-alike.
  assert.deepEqual([r.summary.tablesWithDuplicates, r.summary.duplicateGroups, r.summary.excessRows, r.summary.lowerConfidenceTables], [2, 23, 23, 2]);
  const members = r.tables.find((t) => t.table === 'members')!;
  assert.equal(members.checks.find((c) => c.columns.join() === 'email')!.confidence, 'guess');
  const codes = r.tables.find((t) => t.table === 'codes')!;
  assert.equal(codes.checks.find((c) => c.source === 'config')!.confidence, 'certain');

  const text = await cli(args);
  assert.match(text.out, /5 table\(s\) scanned, 2 with duplicates, 23 excess rows, ~[^,]+ reclaimable, 2 more with lower-confidence notes only/);
  const md = await cli([...args, '--format', 'md']);
  assert.match(md.out, /5 table\(s\) scanned, 2 with duplicates, 23 excess rows/);
  assert.match(md.out, /^\| public\.codes \| key \(k, c\) \| config \| 6 \| 3 \| \*\*3\*\* \| 3 \| 2 \| [^|]* \| certain \|$/m);
  assert.match(md.out, /^\| public\.stock \| whole row \(all columns except stock\\_id, last\\_update\) \| all-columns \| 300 \| 100 \| \*\*100\*\* \| 200 \| 3 \| [^|]* \| look-alike \(not counted\) \|$/m);
  assert.match(md.out, /^Confidence: guess, not counted$/m);
});

test('a check over some rows says which; samples show \'\' and NULL distinctly', async () => {
  const text = await cli(['scan', '--url', url, '--key', 'codes=k,c', '--table', 'members', '--table', 'codes']);
  // members: b_id is NULL everywhere, so the inferred (a_id, b_id) counts no row of 1,000.
  assert.match(text.out, /^ {2}ok {2}inferred key \(a_id, b_id\): no duplicates in 0 rows with no NULL in a_id, b_id \(of 1,000\)$/m);
  assert.match(text.out, /^ {6}\(300, ''\) × 2 lowest id|^ {6}\(300, ''\) × 2 id 1, 2$/m);
  assert.match(text.out, /^ {6}\(300, NULL\) × 2 id 3, 4$/m);
  assert.match(text.out, /^ {6}\(301, 'NULL'\) × 2 id 5, 6$/m);
  assert.doesNotMatch(text.out, /\(300, \) × 2/);
  assert.doesNotMatch(text.out, /\\x0a/, 'no line break escaped into a line');
});
