import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineIndex, positionAt } from '../../../src/core/positions';

test('offsets to 1-based line/column in UTF-16 units and back, across \\n, \\r\\n and \\r', () => {
  const text = 'ab\r\ncé😀d\re\n';
  const idx = new LineIndex(text);
  assert.equal(idx.lineCount, 4);
  assert.deepEqual(idx.position(0), { line: 1, column: 1 });
  assert.deepEqual(idx.position(2), { line: 1, column: 3 });
  assert.deepEqual(idx.position(4), { line: 2, column: 1 });
  // The emoji is two UTF-16 units: `d` is column 5.
  assert.deepEqual(idx.position(text.indexOf('d')), { line: 2, column: 5 });
  assert.deepEqual(idx.position(text.indexOf('e')), { line: 3, column: 1 });
  assert.deepEqual(idx.position(text.length), { line: 4, column: 1 });
  for (let o = 0; o <= text.length; o++) {
    const p = idx.position(o);
    if (text[o - 1] === '\r' && text[o] === '\n') continue; // between \r and \n is not a position of its own
    assert.equal(idx.offset(p.line, p.column), o, `round trip at ${o}`);
  }
  assert.equal(idx.offset(1, 99), 2, 'clamped to the end of the line');
  assert.equal(idx.offset(99, 1), text.length);
  assert.deepEqual(positionAt('x\ny', 2), { line: 2, column: 1 });
  assert.deepEqual(idx.position(-5), { line: 1, column: 1 });
});

test('line starts of \\n-only texts, counted then written, are every \\n\'s next offset', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let n = 0; n < 300; n++) {
    let text = '';
    const len = Math.floor(rnd() * 40);
    for (let i = 0; i < len; i++) text += rnd() < 0.3 ? '\n' : 'ab😀'[Math.floor(rnd() * 3)];
    const idx = new LineIndex(text);
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
    assert.equal(idx.lineCount, starts.length, JSON.stringify(text));
    starts.forEach((s, k) => assert.equal(idx.lineStart(k + 1), s, JSON.stringify(text)));
  }
});
