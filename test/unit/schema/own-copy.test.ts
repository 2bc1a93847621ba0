/**
 * ownCopy (the cache keys' copies of statement texts) must keep no reference to the document the
 * text was sliced from: a cache holding slices would keep every old version of an edited document.
 * Checked in a child process with --expose-gc: a 24 MB document is freed once only copies remain.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { ownCopy } from '../../../src/core/schema/pg';

test('ownCopy returns the same text', () => {
  for (const s of ['', 'a', 'exactly12chr', 'thirteen char', 'x'.repeat(100_001), 'ünï\u{1F600}code ' + 'é'.repeat(40), '\ud800 lone surrogate kept as is']) {
    assert.equal(ownCopy(s), s);
  }
});

test('ownCopy keeps no reference to the document it was sliced from (a slice does)', () => {
  const pg = path.resolve(__dirname, '../../../src/core/schema/pg.ts');
  const script = `
    const { ownCopy } = require(${JSON.stringify(pg)});
    const freed = (keep) => {
      // built by appending, as an edited text is (the first slice flattens it into one string)
      let doc = '';
      for (let i = 0; i < 400000; i++) doc += 'CREATE TABLE t' + i + ' (id int);\\n';
      const kept = keep(doc);
      gc(); gc();
      const before = process.memoryUsage().heapUsed;
      doc = null;
      gc(); gc();
      const mb = (before - process.memoryUsage().heapUsed) / 1e6;
      return [mb, kept.length];
    };
    const slice = (d) => [d.slice(1000, 1200)];
    const copy = (d) => [ownCopy(d.slice(1000, 1200))];
    const copies = (d) => Array.from({ length: 50 }, (_, i) => ownCopy(d.slice(i * 1000, i * 1000 + 300)));
    console.log(JSON.stringify({ slice: freed(slice)[0], copy: freed(copy)[0], copies: freed(copies)[0] }));
  `;
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const mb = JSON.parse(r.stdout.trim().split('\n').pop()!);
  // the document is about 12 M chars (24 MB as UTF-16, or 12 MB one-byte): a slice keeps it all
  assert.ok(mb.slice < 1, `a slice kept the document alive: ${mb.slice.toFixed(1)} MB freed (expected ~0)`);
  assert.ok(mb.copy > 8, `one copy kept the document alive: only ${mb.copy.toFixed(1)} MB freed`);
  assert.ok(mb.copies > 8, `fifty copies kept the document alive: only ${mb.copies.toFixed(1)} MB freed`);
});
