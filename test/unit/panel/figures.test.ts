import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScanCheck, ScanTable } from '../../../src/db/report';
import { duplicateQuery, formatBytes, formatPercent, headlineCheck, tableFigures } from '../../../src/vscode/database/figures';
import { checkKey } from '../../../src/vscode/database/messages';
import { ensureParser, parserReady, parseSql } from '../../../src/core/schema/pg';

function check(over: Partial<ScanCheck>): ScanCheck {
  return { kind: 'key', columns: ['a'], source: 'config', rows: 100, distinct: 100, duplicateGroups: 0, excessRows: 0, maxCopies: 1, estimated: false, sample: [], ...over };
}

function table(checks: ScanCheck[], over: Partial<ScanTable> = {}): ScanTable {
  return { schema: 'public', table: 't', rows: 100, checks, ...over };
}

test('a table line takes its figures from the declared check with the most excess rows', () => {
  const t = table([
    check({ kind: 'exact-row', source: 'all-columns', duplicateGroups: 2, excessRows: 3, reclaimableBytes: 300 }),
    check({ duplicateGroups: 10, excessRows: 40, reclaimableBytes: 4000 }),
    check({ source: 'inferred', duplicateGroups: 50, excessRows: 90 }),
  ]);
  const f = tableFigures(t);
  assert.equal(f.headline, 1);
  assert.deepEqual([f.duplicateGroups, f.excessRows, f.percentExcess, f.reclaimableBytes, f.inferred], [10, 40, 40, 4000, false]);
});

test('an inferred key heads the line only when no declared check found copies; failed checks never do', () => {
  assert.equal(headlineCheck(table([check({}), check({ source: 'inferred', excessRows: 5, duplicateGroups: 1 })])), 1);
  assert.equal(tableFigures(table([check({}), check({ source: 'inferred', excessRows: 5, duplicateGroups: 1 })])).inferred, true);
  assert.equal(headlineCheck(table([check({}), check({ source: 'inferred' })])), 0);
  assert.equal(headlineCheck(table([check({ error: 'permission denied', excessRows: 9 })])), -1);
  const none = tableFigures(table([], { rows: 0, errors: ['permission denied on public.t'] }));
  assert.deepEqual([none.excessRows, none.percentExcess, none.errors.length], [0, 0, 1]);
});

test('sizes, shares and check keys print as the panel shows them', () => {
  assert.deepEqual([formatBytes(0), formatBytes(512), formatBytes(46182), formatBytes(5 * 1024 ** 3)], ['0 B', '512 B', '45.1 kB', '5.0 GB']);
  assert.deepEqual([formatPercent(0), formatPercent(0.01), formatPercent(2.345), formatPercent(96.3)], ['0%', '<0.1%', '2.3%', '96%']);
  assert.equal(checkKey({ schema: 'public', table: 'orders', check: 2 }), 'public.orders#2');
});

test('Copy query: quoted names, text comparison, NULL filters as each check counts them', () => {
  const q = duplicateQuery({ schema: 'My Schema', table: 'order' }, check({ columns: ['Ref', 'doc'], comparedAsText: ['doc'] }), 'id');
  assert.match(q, /^SELECT "Ref", doc::text,$/m);
  assert.match(q, /FROM "My Schema"\."order"$/m);
  assert.match(q, /GROUP BY "Ref", doc::text$/m);
  assert.match(q, /\(array_agg\(id ORDER BY id\)\)\[1:10\] AS ids/);
  assert.match(duplicateQuery({ schema: 's', table: 't' }, check({ kind: 'unique-nulls', source: 'unique-index', columns: ['a', 'b'] })), /WHERE \(a IS NULL OR b IS NULL\)/);
  assert.match(duplicateQuery({ schema: 's', table: 't' }, check({ source: 'inferred', columns: ['a', 'b'] })), /WHERE a IS NOT NULL\n {3}AND b IS NOT NULL/);
  assert.doesNotMatch(duplicateQuery({ schema: 's', table: 't' }, check({})), /WHERE/);
});

test('Copy query: a name holding a line break stays inside the comment (it once became an executable DROP TABLE)', async () => {
  await ensureParser(); assert.ok(parserReady());
  const evil = 'x\nDROP TABLE important; --';
  for (const q of [
    duplicateQuery({ schema: 'public', table: evil }, check({ columns: ['a'] })),
    duplicateQuery({ schema: evil, table: 't' }, check({ columns: [evil, 'b\r\nDELETE FROM t;'] })),
    duplicateQuery({ schema: 's', table: 't' }, check({ kind: 'exact-row', source: 'all-columns', columns: ['a'], ignoredColumns: [{ name: 'u\nDROP TABLE x;', reason: 'serial' } as never] })),
  ]) {
    // The comment is one line, and the whole text is one SELECT as PostgreSQL's grammar reads it.
    assert.match(q.split('\n')[0], /^-- dupguard: duplicate groups of .*; largest first\. Read-only\.$/);
    const parsed = parseSql(q);
    assert.ok(parsed?.ok, q);
    assert.equal(parsed.stmts.length, 1, q);
    assert.ok(parsed.stmts[0].stmt.SelectStmt, q);
  }
});
