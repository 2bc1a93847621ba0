import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseForeignKey, withReferencedTable } from '../../../src/migrate/fk';
import { commentSafe, dollarQuote, makeName, quoteIdent, quoteLiteral, quoteQualified, truncateIdent } from '../../../src/core/quote';

test('quoteIdent leaves plain lower-case names bare and quotes everything else', () => {
  assert.equal(quoteIdent('task_photos'), 'task_photos');
  assert.equal(quoteIdent('_x1'), '_x1');
  assert.equal(quoteIdent('TaskPhotos'), '"TaskPhotos"');
  assert.equal(quoteIdent('key col'), '"key col"');
  assert.equal(quoteIdent('a"b'), '"a""b"');
  assert.equal(quoteIdent('1st'), '"1st"');
  assert.equal(quoteIdent('täble'), '"täble"');
  assert.equal(quoteIdent('a$b'), '"a$b"');
  for (const kw of ['select', 'user', 'order', 'table', 'group', 'limit', 'primary', 'timestamp', 'values']) {
    assert.equal(quoteIdent(kw), `"${kw}"`, kw);
  }
  assert.equal(quoteQualified('Odd "S"', 'select'), '"Odd ""S"""."select"');
});

test('quoteLiteral doubles quotes and uses E-strings only for backslashes', () => {
  assert.equal(quoteLiteral("it's"), "'it''s'");
  assert.equal(quoteLiteral('a\\b'), "E'a\\\\b'");
  assert.equal(quoteLiteral("a\\'b"), "E'a\\\\''b'");
  assert.equal(quoteLiteral(''), "''");
});

test('commentSafe keeps a line break in a name from ending a comment', () => {
  assert.equal(commentSafe('new\nline'), 'new\\u000aline');
  assert.equal(commentSafe('a\r\u2028b'), 'a\\u000d\\u2028b');
  assert.equal(commentSafe('plain "x"'), 'plain "x"');
});

test('dollarQuote picks a tag absent from the body', () => {
  assert.equal(dollarQuote(' BEGIN END '), '$dg$ BEGIN END $dg$');
  assert.equal(dollarQuote("x '$dg$' y"), "$dg0$x '$dg$' y$dg0$");
  assert.equal(dollarQuote('$dg$ $dg0$'), '$dg1$$dg$ $dg0$$dg1$');
});

test('identifiers are cut to 63 bytes on character boundaries; makeName keeps the suffix and avoids taken names', () => {
  const long = 'ü'.repeat(40); // 80 bytes
  const cut = truncateIdent(long);
  assert.equal(new TextEncoder().encode(cut).length, 62);
  assert.equal(cut, 'ü'.repeat(31));
  const name = makeName('x'.repeat(70), '_dupguard_20261123_1700');
  assert.equal(name.length, 63);
  assert.ok(name.endsWith('_dupguard_20261123_1700'));
  assert.equal(makeName('t_a', '_key', ['t_a_key']), 't_a_key1');
  assert.equal(makeName('t_a', '_key', ['t_a_key', 't_a_key1']), 't_a_key2');
});

test('parseForeignKey reads both column lists from pg_get_constraintdef text', () => {
  const a = parseForeignKey('FOREIGN KEY (photo) REFERENCES task_photos(id) ON DELETE CASCADE');
  assert.deepEqual(a && { c: a.columns, r: a.refColumns }, { c: ['photo'], r: ['id'] });
  const b = parseForeignKey('FOREIGN KEY ("Ref, ""Order""", b) REFERENCES "Odd ""S"""."T (x)"("Order", "B") MATCH FULL NOT VALID');
  assert.deepEqual(b && { c: b.columns, r: b.refColumns }, { c: ['Ref, "Order"', 'b'], r: ['Order', 'B'] });
  assert.equal(withReferencedTable('FOREIGN KEY (photo) REFERENCES task_photos(id) ON DELETE CASCADE', a!, 'app.task_photos'),
    'FOREIGN KEY (photo) REFERENCES app.task_photos(id) ON DELETE CASCADE');
  assert.equal(withReferencedTable('FOREIGN KEY ("Ref, ""Order""", b) REFERENCES "Odd ""S"""."T (x)"("Order", "B") MATCH FULL NOT VALID', b!, 's.t'),
    'FOREIGN KEY ("Ref, ""Order""", b) REFERENCES s.t("Order", "B") MATCH FULL NOT VALID');
  assert.equal(parseForeignKey('CHECK (x > 0)'), undefined);
  assert.equal(parseForeignKey('FOREIGN KEY (a, b) REFERENCES t(x)'), undefined, 'column counts differ');
  assert.equal(parseForeignKey('FOREIGN KEY (a REFERENCES t(x)'), undefined);
});
