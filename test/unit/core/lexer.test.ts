import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { BIG_RANGE, lex, LEX_SKIM, T, TOKEN_NAMES, type Tokens } from '../../../src/core/lexer';

/** [kind, text] of every token. */
function toks(sql: string): Array<[string, string]> {
  const t = lex(sql);
  const out: Array<[string, string]> = [];
  for (let i = 0; i < t.count; i++) out.push([TOKEN_NAMES[t.types[i]], sql.slice(t.starts[i], t.ends[i])]);
  return out;
}
function kinds(sql: string): string[] {
  return toks(sql).map(([k]) => k);
}
function only(sql: string, kind: string): string[] {
  return toks(sql).filter(([k]) => k === kind).map(([, s]) => s);
}

test('words, numbers, punctuation and casts with exact offsets', () => {
  const sql = 'SELECT a.b, 1.5e-3::numeric FROM "T" WHERE x >= $1;';
  assert.deepEqual(toks(sql), [
    ['word', 'SELECT'], ['word', 'a'], ['dot', '.'], ['word', 'b'], ['comma', ','], ['number', '1.5e-3'], ['cast', '::'],
    ['word', 'numeric'], ['word', 'FROM'], ['qident', '"T"'], ['word', 'WHERE'], ['word', 'x'], ['operator', '>='],
    ['param', '$1'], ['semi', ';'],
  ]);
  const t = lex(sql);
  assert.equal(t.starts[5], sql.indexOf('1.5e-3'));
  assert.equal(t.ends[5], sql.indexOf('::'));
});

test("single quotes with '' doubling", () => {
  assert.deepEqual(only("select 'it''s; fine', 'x'", 'string'), ["'it''s; fine'", "'x'"]);
  // Standard strings: a backslash is just a character.
  assert.deepEqual(only("select 'a\\', 'b'", 'string'), ["'a\\'", "'b'"]);
});

test("E'' strings with backslash escapes", () => {
  assert.deepEqual(only("select E'it\\'s; \\\\', e'x''y' ;", 'string'), ["E'it\\'s; \\\\'", "e'x''y'"]);
  assert.deepEqual(kinds("select E'a\\'b';"), ['word', 'string', 'semi']);
});

test("U&'' strings, U&\"\" identifiers, B'' X'' N''", () => {
  assert.deepEqual(toks(`U&'d\\0061t''a' U&"d!0061t" B'101' X'1F' N'n'`), [
    ['string', "U&'d\\0061t''a'"], ['qident', 'U&"d!0061t"'], ['string', "B'101'"], ['string', "X'1F'"], ['string', "N'n'"],
  ]);
  // A word ending in e/b/x/n before a quote is still a word.
  assert.deepEqual(kinds("some'x'"), ['word', 'string']);
});

test('quoted identifiers with "" doubling', () => {
  assert.deepEqual(only('select "a""b;c" from "Weird"."T"', 'qident'), ['"a""b;c"', '"Weird"', '"T"']);
});

test('dollar quotes with and without tags, nested tags, $ inside identifiers', () => {
  const sql = 'select $$a;b$$, $fn$ x $$ inner $$ y $fn$, a$b, $1;';
  assert.deepEqual(toks(sql), [
    ['word', 'select'], ['dollar', '$$a;b$$'], ['comma', ','], ['dollar', '$fn$ x $$ inner $$ y $fn$'], ['comma', ','],
    ['word', 'a$b'], ['comma', ','], ['param', '$1'], ['semi', ';'],
  ]);
});

test('nested block comments and line comments', () => {
  const sql = 'a /* x /* y; */ z; */ b -- c; d\ne';
  assert.deepEqual(toks(sql), [
    ['word', 'a'], ['block-comment', '/* x /* y; */ z; */'], ['word', 'b'], ['line-comment', '-- c; d'], ['word', 'e'],
  ]);
  // Operators stop before a comment start.
  assert.deepEqual(kinds('a +-- c\nb'), ['word', 'operator', 'line-comment', 'word']);
});

test('psql meta-commands run to end of line; psql variables', () => {
  const sql = "\\set x 'a;b'\nselect :x, :'v', :\"id\" \\gset\n\\if :ok\nselect 1;";
  assert.deepEqual(toks(sql), [
    ['psql-meta', "\\set x 'a;b'"], ['word', 'select'], ['psql-var', ':x'], ['comma', ','], ['psql-var', ":'v'"],
    ['comma', ','], ['psql-var', ':"id"'], ['psql-meta', '\\gset'], ['psql-meta', '\\if :ok'], ['word', 'select'],
    ['number', '1'], ['semi', ';'],
  ]);
});

test('COPY FROM stdin data is one opaque token up to \\.', () => {
  const sql = "COPY t (a, b) FROM stdin;\n1\tx;y\\\\;'\n2\t$$ /* --\n\\.\nselect 1;";
  const t = toks(sql);
  assert.deepEqual(t.map(([k]) => k), ['word', 'word', 'lparen', 'word', 'comma', 'word', 'rparen', 'word', 'word', 'semi', 'copy-data', 'word', 'number', 'semi']);
  assert.equal(t[10][1], "1\tx;y\\\\;'\n2\t$$ /* --\n\\.\n");
});

test('COPY data: case, options, CRLF, no terminator, COPY TO has none', () => {
  assert.equal(only('copy t from STDIN with (format csv);\r\na,b\r\n\\.\r\nselect 1;', 'copy-data')[0], 'a,b\r\n\\.\r\n');
  assert.equal(only('COPY t FROM stdin;\n1\n2', 'copy-data')[0], '1\n2');
  assert.deepEqual(only("COPY t TO stdout;\nselect 1;", 'copy-data'), []);
  assert.deepEqual(only("COPY t FROM '/x';\nselect 1;", 'copy-data'), []);
  assert.deepEqual(only('COPY (select 1 from x) TO stdout;\nselect 1;', 'copy-data'), []);
  // A COPY the server rejects never reads data: psql goes on with the next line as SQL.
  assert.deepEqual(only('COPY t FROM stdin WITH (bad);\nROLLBACK;\nselect 1;', 'copy-data'), []);
});

test('psql \\copy ... from stdin carries inline data too', () => {
  const sql = '\\copy t from stdin\n1\n\\.\nselect 1;';
  assert.deepEqual(kinds(sql), ['psql-meta', 'copy-data', 'word', 'number', 'semi']);
});

test('template placeholders are opaque tokens', () => {
  assert.deepEqual(toks('insert into {{ index .Options "Namespace" }}.users select ${ a.b({c: 1}) } ;'), [
    ['word', 'insert'], ['word', 'into'], ['template', '{{ index .Options "Namespace" }}'], ['dot', '.'], ['word', 'users'],
    ['word', 'select'], ['template', '${ a.b({c: 1}) }'], ['semi', ';'],
  ]);
  // Python-format placeholders, as in seed 002's ETL code.
  assert.deepEqual(only('INSERT INTO {schema}.{table_name} ({columns_str}) VALUES %s', 'template'), ['{schema}', '{table_name}', '{columns_str}']);
  assert.deepEqual(kinds('{ a }'), ['other', 'word', 'other']);
  // A lone `{{` without a close is not a template.
  assert.deepEqual(kinds('a {{ b'), ['word', 'other', 'other', 'word']);
});

test('unterminated constructs run to the end and never throw', () => {
  for (const sql of ["select 'abc", 'select "abc', 'select $$abc', 'select /* a /* b */', "select E'\\", 'U&', '$', ':', '\\', 'COPY t FROM stdin;']) {
    const t = lex(sql);
    assert.ok(t.count >= 1, sql);
    assert.equal(t.ends[t.count - 1], sql.length, `last token of ${JSON.stringify(sql)} reaches the end`);
  }
});

test('lexing a sub-range keeps file offsets', () => {
  const sql = "xx $$ insert into t values ('a') $$ yy";
  const from = sql.indexOf('insert'), to = sql.lastIndexOf(' $$');
  const t: Tokens = lex(sql, from, to);
  assert.equal(t.types[0], T.Word);
  assert.equal(t.starts[0], from);
  assert.equal(t.ends[t.count - 1], to);
  assert.equal(sql.slice(t.starts[t.count - 2], t.ends[t.count - 2]), "'a'");
});

test('non-ASCII identifiers and whitespace', () => {
  assert.deepEqual(toks('select café,\u00a0"ü" from tä'), [['word', 'select'], ['word', 'café'], ['comma', ','], ['qident', '"ü"'], ['word', 'from'], ['word', 'tä']]);
});

test('token arrays of small results share slabs without overlapping: every kept result stays as lexed', () => {
  // Small results are views into shared slabs; enough of them to fill several slabs, of every size up to the share limit.
  const kept: Array<{ text: string; t: ReturnType<typeof lex> }> = [];
  for (let k = 0; k < 3000; k++) {
    const text = `INSERT INTO t${k} VALUES ${Array.from({ length: k % 400 }, (_, j) => `(${j}, 'v${j}')`).join(', ')}; -- c\nSELECT ${k};`;
    kept.push({ text, t: lex(text) });
  }
  for (const { text, t } of kept) {
    const again = lex(text);
    assert.equal(t.count, again.count);
    assert.equal(t.boundCount, again.boundCount);
    assert.deepEqual([...t.starts], [...again.starts]);
    assert.deepEqual([...t.ends], [...again.ends]);
    assert.deepEqual([...t.types], [...again.types]);
    assert.deepEqual([...t.bounds], [...again.bounds]);
  }
});

test('a range of BIG_RANGE characters or more is lexed into arrays made once for it: the same tokens as a shorter range', () => {
  const unit = "insert into t (a, b) values (1, 'x;y'), ($$q$$, E'\\\\''); -- c\nselect \"A\"\"b\" from u where v = 'é';\n/* block */ copy t from stdin;\n1\t2\n\\.\n";
  const text = unit.repeat(Math.ceil((BIG_RANGE + 1000) / unit.length));
  // the longest prefix under BIG_RANGE that ends between two units: lexed the usual way
  const cut = Math.floor((BIG_RANGE - 1) / unit.length) * unit.length;
  for (const flags of [0, LEX_SKIM]) {
    const big = lex(text, 0, text.length, flags);
    const small = lex(text, 0, cut, flags);
    assert.ok(small.count > 0 && big.count > small.count, 'both ranges hold tokens');
    const same = (a: ArrayLike<number>, b: ArrayLike<number>, n: number, what: string) => {
      for (let i = 0; i < n; i++) if (a[i] !== b[i]) assert.fail(`${what}[${i}]: ${a[i]} != ${b[i]} (flags ${flags})`);
    };
    same(big.types, small.types, small.count, 'types');
    same(big.starts, small.starts, small.count, 'starts');
    same(big.ends, small.ends, small.count, 'ends');
    same(big.bounds, small.bounds, small.boundCount, 'bounds');
    // exact lengths, as every lex() result has
    assert.equal(big.types.length, big.count);
    assert.equal(big.starts.length, big.count);
    assert.equal(big.ends.length, big.count);
    assert.equal(big.bounds.length, big.boundCount);
    assert.equal(big.boundCount, small.boundCount * (text.length / unit.length) / (cut / unit.length));
  }
});
