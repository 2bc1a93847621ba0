import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import jsTokens = require('js-tokens');
import { extractEmbeddedSql, placeholderFor } from '../../../src/embedded/extract';
import { handTokens } from '../../../src/embedded/scanner';
import type { EmbeddedSql } from '../../../src/embedded/types';
import type { SourceLanguage } from '../../../src/engine/analyze';

/**
 * Checks the offset map of one extraction against its host: every SQL code unit maps to the same
 * code unit in the host, except inside padded placeholders (`$`, `{`, `_`, `}` over the expression),
 * cooked escapes (map to their backslash) and template CR LF (maps to the CR).
 */
function assertExactMap(host: string, e: EmbeddedSql): void {
  assert.equal(e.toHost(0), e.hostStart);
  let prev = -1;
  for (let i = 0; i <= e.text.length; i++) {
    const h = e.toHost(i);
    assert.ok(h >= prev, `toHost is monotonic at ${i}`);
    prev = h;
    if (i === e.text.length) break;
    const inPlaceholder = e.placeholders.some(([s, t]) => i >= s && i < t);
    if (inPlaceholder) {
      const [s, t] = e.placeholders.find(([a, b]) => i >= a && i < b)!;
      assert.equal(e.toHost(i) - e.toHost(s), i - s, 'placeholders map one to one');
      assert.equal(host.slice(e.toHost(s), e.toHost(s) + 2), '${');
      if (e.toHost(t) < host.length) assert.equal(host[e.toHost(t - 1)], '}');
      continue;
    }
    const ok = host[h] === e.text[i] || host[h] === '\\' || (host[h] === '\r' && e.text[i] === '\n');
    assert.ok(ok, `text[${i}] ${JSON.stringify(e.text[i])} maps to host[${h}] ${JSON.stringify(host[h])}`);
  }
}

function extract(host: string, language: SourceLanguage = 'typescript', options?: { tags?: string[]; functions?: string[] }): EmbeddedSql[] {
  const out = extractEmbeddedSql(host, language, options);
  for (const e of out) assertExactMap(host, e);
  return out;
}

/** Host text covered by an extraction, from its first code unit to its closing delimiter. */
const covered = (host: string, e: EmbeddedSql) => host.slice(e.toHost(0), e.toHost(e.text.length));

test('tagged template: simple placeholders keep their text, the map is exact', () => {
  const host = 'const rows = await sql`INSERT INTO users (id, email) VALUES (${id}, ${user.email}) ON CONFLICT DO NOTHING`;';
  const [e, ...rest] = extract(host);
  assert.equal(rest.length, 0);
  assert.equal(e.via, 'tag');
  assert.equal(e.name, 'sql');
  assert.equal(e.text, 'INSERT INTO users (id, email) VALUES (${id}, ${user.email}) ON CONFLICT DO NOTHING');
  assert.equal(e.hostStart, host.indexOf('INSERT'));
  assert.deepEqual(e.placeholders.map(([s, t]) => e.text.slice(s, t)), ['${id}', '${user.email}']);
  const conflict = e.text.indexOf('ON CONFLICT');
  assert.equal(host.slice(e.toHost(conflict), e.toHost(e.text.length)), 'ON CONFLICT DO NOTHING');
  assert.equal(host[e.toHost(e.text.length)], '`');
});

test('placeholders with braces, quotes, backticks or line breaks are padded to the same length', () => {
  const host = 'sql`INSERT INTO t VALUES (${fn({ a: 1 })}, ${`x`}, ${"q"}, ${a\n  + b}) ON CONFLICT DO NOTHING`';
  const [e] = extract(host);
  const originals = ['${fn({ a: 1 })}', '${`x`}', '${"q"}', '${a\n  + b}'];
  const holes = e.placeholders.map(([s, t]) => e.text.slice(s, t));
  assert.deepEqual(holes, originals.map((o) => `\${${'_'.repeat(o.length - 3)}}`));
  for (const [s, t] of e.placeholders) {
    assert.equal(host.slice(e.toHost(s), e.toHost(t)).length, t - s);
    assert.equal(host.slice(e.toHost(s), e.toHost(s) + 2), '${');
  }
  assert.equal(e.text.length, host.length - 'sql``'.length);
  assert.equal(placeholderFor('${x}'), '${x}');
  assert.equal(placeholderFor('${a}b}'), '${___}');
});

test('member tags and Prisma raw tags', () => {
  const host = [
    'const a = Prisma.sql`INSERT INTO a (x) VALUES (1)`;',
    'const b = this.db.sql`SELECT 1`;',
    'await prisma.$executeRaw`INSERT INTO b (x) VALUES (${x})`;',
    'const c = sql.unsafe`INSERT INTO c VALUES (1)`;',
    'const d = html`<b>INSERT INTO d (x) VALUES (1)</b>`;',
    'const e = await sql<User[]>`SELECT * FROM users`;',
    'const f = await sql<Map<string, Array<number>>>`UPDATE e SET x = 1`;',
    'const g = await pool.query(sql.type(Row)`INSERT INTO g (x) VALUES (${x})`);',
    'const h = await fetchIt(url)`INSERT INTO h (x) VALUES (1)`;',
  ].join('\n');
  const got = extract(host).map((e) => [e.via, e.name, e.text.slice(0, 13)]);
  assert.deepEqual(got, [
    ['tag', 'Prisma.sql', 'INSERT INTO a'],
    ['tag', 'this.db.sql', 'SELECT 1'],
    ['tag', 'prisma.$executeRaw', 'INSERT INTO b'],
    ['tag', 'sql.unsafe', 'INSERT INTO c'],
    ['tag', 'sql', 'SELECT * FROM'],
    ['tag', 'sql', 'UPDATE e SET '],
    ['tag', 'sql.type', 'INSERT INTO g'],
    ['literal', undefined, 'INSERT INTO h'],
  ]);
});

test('first arguments of query calls, on any object, with generics and the { text } form', () => {
  const host = [
    "await client.query('SELECT * FROM t WHERE id = $1', [id]);",
    'await pool.query(`UPDATE t SET a = $1`, [a]);',
    "await db.none('DELETE FROM t');",
    'await t.oneOrNone("select 1");',
    "await prisma.$executeRawUnsafe('INSERT INTO t (a) VALUES ($1)', a);",
    "const r = await client.query<Row>('SELECT a FROM t');",
    "await client.query({ text: 'UPDATE u SET b = 1', values: [] });",
    "const stream = client.query(copyFrom('COPY t (a, b) FROM STDIN'));",
    'await sql.unsafe(`TRUNCATE t`);',
    "await pg.exec('CREATE TABLE t (id int)');",
    "await db.execute('SELECT 1');",
  ].join('\n');
  const got = extract(host).map((e) => [e.via, e.name, e.text]);
  assert.deepEqual(got, [
    ['call', 'query', 'SELECT * FROM t WHERE id = $1'],
    ['call', 'query', 'UPDATE t SET a = $1'],
    ['call', 'none', 'DELETE FROM t'],
    ['call', 'oneOrNone', 'select 1'],
    ['call', '$executeRawUnsafe', 'INSERT INTO t (a) VALUES ($1)'],
    ['call', 'query', 'SELECT a FROM t'],
    ['call', 'query', 'UPDATE u SET b = 1'],
    ['call', 'copyFrom', 'COPY t (a, b) FROM STDIN'],
    ['call', 'unsafe', 'TRUNCATE t'],
    ['call', 'exec', 'CREATE TABLE t (id int)'],
    ['call', 'execute', 'SELECT 1'],
  ]);
});

test('query-function names used for other things are left alone', () => {
  const host = [
    "const xs = Array.from('abc');",
    "cache.one('hello world');",
    "const q = router.query('page');",
    "items.any('INSERT coins to continue');",
    'function query(s = "x") {}',
    "child_process.exec('ls -la');",
    "const m = /x/.exec('hello');",
  ].join('\n');
  assert.deepEqual(extract(host), []);
});

test('literals that start like a data-changing statement are found anywhere; prose is not', () => {
  const host = [
    "const a = 'INSERT INTO t (a) VALUES (1)';",
    'const b = `\n  -- load\n  COPY staging.items FROM STDIN WITH (FORMAT csv)`;',
    "const c = { sql: 'MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id)' };",
    'const d = "WITH n AS (SELECT 1) INSERT INTO t SELECT * FROM n";',
    "const e = 'insert into public.\"Items\" select * from x';",
    "const f = 'Insert into the cart';",
    "const g = 'Copy the file from disk';",
    "const h = 'WITH a AS (SELECT 1) SELECT * FROM a';",
    "const i = 'merge into main';",
    "const j = 'INSERT INTO';",
  ].join('\n');
  const got = extract(host).map((e) => [e.via, e.text.trim().slice(0, 10)]);
  assert.deepEqual(got, [
    ['literal', 'INSERT INT'],
    ['literal', '-- load\n  '],
    ['literal', 'MERGE INTO'],
    ['literal', 'WITH n AS '],
    ['literal', 'insert int'],
    ['literal', 'merge into'],
  ]);
});

test('string escapes: the text is the cooked value and every offset still maps exactly', () => {
  const host = String.raw`client.query('INSERT INTO it\'s (a, b) VALUES (\'x\', E\'\\n\')\n ON CONFLICT DO NOTHING \u0041\x42\u{1F600}!');`;
  const [e] = extract(host);
  assert.equal(e.text, "INSERT INTO it's (a, b) VALUES ('x', E'\\n')\n ON CONFLICT DO NOTHING AB\u{1F600}!");
  const q = e.text.indexOf("'");
  assert.equal(host.slice(e.toHost(q), e.toHost(q) + 2), "\\'");
  const conflict = e.text.indexOf('ON CONFLICT DO NOTHING');
  assert.equal(host.slice(e.toHost(conflict), e.toHost(conflict + 'ON CONFLICT DO NOTHING'.length)), 'ON CONFLICT DO NOTHING');
  const emoji = e.text.indexOf('\u{1F600}');
  assert.equal(e.toHost(emoji), e.toHost(emoji + 1));
  assert.equal(host.slice(e.toHost(emoji), e.toHost(emoji + 2)), '\\u{1F600}');
  assert.equal(host[e.toHost(e.text.length)], "'");
});

test('line continuations vanish from the text and the map skips them', () => {
  const host = "q = 'INSERT INTO t \\\nVALUES (1)';";
  const [e] = extract(host);
  assert.equal(e.text, 'INSERT INTO t VALUES (1)');
  assert.equal(host.slice(e.toHost(e.text.indexOf('VALUES')), e.toHost(e.text.length)), 'VALUES (1)');
});

test('multi-line templates with CRLF: the text has LF, offsets point at the host CR', () => {
  const host = 'await sql`\r\n  INSERT INTO t (a)\r\n  VALUES (${a})\r\n  ON CONFLICT DO NOTHING\r\n`;\r\n';
  const [e] = extract(host);
  assert.equal(e.text, '\n  INSERT INTO t (a)\n  VALUES (${a})\n  ON CONFLICT DO NOTHING\n');
  const nl = e.text.indexOf('\n', 3);
  assert.equal(host.slice(e.toHost(nl), e.toHost(nl + 1)), '\r\n');
  const at = e.text.indexOf('ON CONFLICT');
  assert.equal(host.slice(e.toHost(at), e.toHost(at + 11)), 'ON CONFLICT');
  const [s, t] = e.placeholders[0];
  assert.equal(host.slice(e.toHost(s), e.toHost(t)), '${a}');
});

test('unicode before and inside the SQL: offsets are UTF-16 code units', () => {
  const host = "// 🎉 café\nconst label = '✓ done 👍';\nclient.query(`INSERT INTO café (naïve) VALUES ('😀') ON CONFLICT DO NOTHING`);";
  const [e] = extract(host);
  assert.equal(e.hostStart, host.indexOf('INSERT'));
  const at = e.text.indexOf('ON CONFLICT');
  assert.equal(e.toHost(at), host.indexOf('ON CONFLICT'));
  assert.equal(host.slice(e.toHost(e.text.indexOf('😀')), e.toHost(e.text.indexOf('😀') + 2)), '😀');
});

test('nested templates: the outer and each inner SQL template are found once each', () => {
  const host = 'sql`INSERT INTO t (a) ${cond ? sql`VALUES (${x})` : sql`SELECT ${`y${z}`}`} ON CONFLICT DO NOTHING`';
  const got = extract(host);
  assert.deepEqual(got.map((e) => e.text), [
    `INSERT INTO t (a) \${${'_'.repeat('${cond ? sql`VALUES (${x})` : sql`SELECT ${`y${z}`}`}'.length - 3)}} ON CONFLICT DO NOTHING`,
    'VALUES (${x})',
    'SELECT ${_______}',
  ]);
  assert.equal(covered(host, got[1]), 'VALUES (${x})');
  assert.equal(host.slice(got[0].toHost(got[0].text.indexOf('ON')), got[0].toHost(got[0].text.length)), 'ON CONFLICT DO NOTHING');
});

test('SQL in comments, regex literals and JSX text is not extracted', () => {
  const ts = [
    "// client.query('INSERT INTO a (x) VALUES (1)')",
    "/* const q = 'INSERT INTO b (x) VALUES (1)'; */",
    "const re = /'INSERT INTO c (x) VALUES (1)'/g, n = a / b / 'INSERT INTO d (x) VALUES (1)'.length;",
    "const m = x.replace(/`/g, '');",
    "const e = 'INSERT INTO e (x) VALUES (1)';",
  ].join('\n');
  assert.deepEqual(extract(ts).map((e) => e.text), ['INSERT INTO d (x) VALUES (1)', 'INSERT INTO e (x) VALUES (1)']);
  // Keywords open an expression (a regex may follow), the same words as property names do not.
  const kw = [
    "export default /'INSERT INTO f (x) VALUES (1)'/;",
    "const n = m.default / 2 / 'INSERT INTO g (x) VALUES (1)'.length;",
    "function* f() { yield /`/; return 'INSERT INTO h (x) VALUES (1)'; }",
  ].join('\n');
  assert.deepEqual(extract(kw).map((e) => e.text), ['INSERT INTO g (x) VALUES (1)', 'INSERT INTO h (x) VALUES (1)']);
  const tsx = [
    'export const Help = () => (',
    "  <p title='INSERT INTO f (x) VALUES (1)'>Don't INSERT INTO g (x) VALUES (1) by hand</p>",
    ');',
    "const q = 'INSERT INTO h (x) VALUES (1)';",
  ].join('\n');
  assert.deepEqual(extract(tsx, 'typescriptreact').map((e) => e.text), ['INSERT INTO h (x) VALUES (1)']);
  // React code in a .js file: JSX text with a backtick must not open a template that swallows the SQL.
  const js = [
    'export const Tip = () => <p>Press ` for the console; don\'t INSERT INTO i (x) VALUES (1) by hand</p>;',
    "export const save = (c) => c.query('INSERT INTO j (x) VALUES (1) ON CONFLICT DO NOTHING');",
    'export const done = `done`;',
  ].join('\n');
  assert.deepEqual(extract(js, 'javascript').map((e) => e.text), ['INSERT INTO j (x) VALUES (1) ON CONFLICT DO NOTHING']);
});

test('one-hop constant: found once, as the call it is passed to', () => {
  const host = [
    'const q = `INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING`;',
    'await client.query(q, [a]);',
    "const upd: string = 'UPDATE t SET a = 1';",
    'await pool.query(upd);',
    "let other = 'hello';",
    'await pool.query(other);',
  ].join('\n');
  const got = extract(host);
  assert.deepEqual(got.map((e) => [e.via, e.name, e.hostStart]), [
    ['call', 'query', host.indexOf('INSERT')],
    ['call', 'query', host.indexOf('UPDATE')],
  ]);
});

test('the same literal is never extracted twice', () => {
  const host = "const q = 'INSERT INTO t (a) VALUES (1)'; client.query(q); pool.query(q); db.none(q);";
  assert.equal(extract(host).length, 1);
});

test('concatenated literals become one piece mapped across the gap', () => {
  const host = "await db.none('INSERT INTO t (a) ' +\n  \"VALUES (1) \" + `ON CONFLICT DO NOTHING`);";
  const [e, ...rest] = extract(host);
  assert.equal(rest.length, 0);
  assert.equal(e.text, 'INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING');
  const at = e.text.indexOf('ON CONFLICT');
  assert.equal(host.slice(e.toHost(at), e.toHost(e.text.length)), 'ON CONFLICT DO NOTHING');
  assert.equal(host.slice(e.toHost(e.text.indexOf('VALUES')), e.toHost(e.text.indexOf('VALUES')) + 6), 'VALUES');
  // A method call binds to the last literal only: the chain stops before it.
  const [f] = extract("const s = 'INSERT INTO t (a) ' + 'VALUES (1)'.trim();");
  assert.equal(f.text, 'INSERT INTO t (a) ');
});

test('configured tags and functions are added to the defaults', () => {
  const host = 'const a = q`INSERT INTO t VALUES (1)`; runSql(\'DELETE FROM t\'); client.query(\'SELECT 1\');';
  // Unconfigured, the q`...` template is still found by its shape, runSql's argument is not.
  assert.deepEqual(extract(host).map((e) => [e.via, e.name]), [['literal', undefined], ['call', 'query']]);
  assert.deepEqual(extract(host, 'typescript', { tags: ['q'], functions: ['runSql'] }).map((e) => e.name), ['q', 'runSql', 'query']);
});

test('sql files are one piece covering the whole text', () => {
  const [e] = extractEmbeddedSql('INSERT INTO t VALUES (1);', 'sql');
  assert.equal(e.text, 'INSERT INTO t VALUES (1);');
  assert.equal(e.toHost(5), 5);
});

test('broken code: unclosed strings and templates never throw and still map inside the text', () => {
  for (const host of ['client.query(`INSERT INTO t VALUES (${x', "client.query('INSERT INTO t", 'sql`a ${ `b ${ c', '}`${', '`\\', "'\\"]) {
    const got = extract(host);
    for (const e of got) assert.ok(e.toHost(e.text.length) <= host.length);
  }
  const [e] = extract('client.query(`INSERT INTO t VALUES (${x');
  assert.equal(e.text, 'INSERT INTO t VALUES (${}');
  assert.deepEqual(e.placeholders, [[22, 25]]);
});

test('fuzz: random and mutated sources never throw and every map is exact', () => {
  const seeds = [
    'await sql`INSERT INTO t (a) VALUES (${a}) ON CONFLICT DO NOTHING`;',
    "client.query('INSERT INTO it\\'s VALUES (\\n)', [x]) // sql`x`\n/re`/.test(s)",
    "const q = \"COPY t FROM STDIN\"; pool.query(q); <div>it's</div>",
  ];
  const langs: SourceLanguage[] = ['typescript', 'javascript', 'typescriptreact', 'javascriptreact'];
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: fc.constantFrom('`', '$', '{', '}', "'", '"', '\\', '/', '*', '\n', '\r', 'sql', 'INSERT INTO t ', '(', ')', 'query', '.', '<', '>', ' ', '😀', 'a') , maxLength: 60 }),
        fc.tuple(fc.constantFrom(...seeds), fc.nat(80), fc.nat(10), fc.string({ maxLength: 4 })).map(([s, at, del, ins]) => s.slice(0, at) + ins + s.slice(at + del)),
      ),
      fc.constantFrom(...langs),
      (host, lang) => {
        extract(host, lang);
      },
    ),
    { numRuns: 400 },
  );
});

const pgLib = path.resolve(__dirname, '../../../node_modules/pg/lib');
test('the hand-written scanner agrees with js-tokens on every literal of real code (node_modules/pg/lib)', () => {
  const files = fs.readdirSync(pgLib).filter((f) => f.endsWith('.js'));
  assert.ok(files.length >= 5);
  let literals = 0;
  for (const f of files) {
    const text = fs.readFileSync(path.join(pgLib, f), 'utf8');
    const kinds = (it: Iterable<{ type: string; value: string }>) => {
      const out: string[] = [];
      let pos = 0;
      let joined = '';
      for (const t of it) {
        if (/String|Template|RegularExpression|Comment/.test(t.type)) out.push(`${pos}:${t.type}:${t.value.length}`);
        pos += t.value.length;
        joined += t.value;
      }
      assert.equal(joined, text, `tokens of ${f} cover the text`);
      return out;
    };
    const a = kinds(jsTokens(text));
    assert.deepEqual(kinds(handTokens(text)), a, f);
    literals += a.length;
  }
  assert.ok(literals > 500);
});

test('long runs of white space, comments and dotted names before or inside a literal are handled (no regex backtracking blow-up)', { timeout: 60_000 }, () => {
  const n = 20_000;
  const sp = ' '.repeat(n);
  const nl = '\\n'.repeat(n);
  const cases: Array<[string, string[]]> = [
    [`x = '${sp}insert x'; y = \`${sp}with ${sp}\`;`, []],
    [`x = '${nl}insert into ${sp}!';`, []],
    [`x = '${nl}-- c\\n${sp}insert into t values (1)';`, ['insert into t values (1)']],
    [`x = \`/*${sp}*/ ${'\n'.repeat(n)}COPY t FROM STDIN\`;`, ['COPY t FROM STDIN']],
    [`x = 'insert into a${'.a'.repeat(n)}!'; y = 'with a${' . a'.repeat(n)} !';`, []],
    [`client.query('${'('.repeat(n)}select 1')`, ['select 1']],
  ];
  for (const [host, want] of cases) {
    assert.deepEqual(extract(host).map((e) => e.text.trim().slice(-want[0]?.length || 0)), want);
  }
});

test('a template whose text starts with a line continuation: hostStart is where text[0] stands (found by the fuzz test)', () => {
  for (const host of ['sql`\\\n', 'sql`\\\nINSERT INTO t VALUES (1)`', 'sql`\\\r\nSELECT 1`']) {
    for (const e of extract(host)) assert.equal(e.hostStart, e.toHost(0), JSON.stringify(host));
  }
});
