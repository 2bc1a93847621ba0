import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { byteToUtf16Mapper, ensureParser, MAX_PARSE_CHARS, oversizedStatements, parseRange, parserReady, parseSelected, parseSql, pgAccepts, splitSql } from '../../../src/core/schema/pg';

const root = path.resolve(__dirname, '../../..');

before(async () => { await ensureParser(); });

test('parses, reports errors with a UTF-16 offset, never throws', () => {
  assert.equal(parserReady(), true);
  const ok = parseSql('insert into t (a) values (1) on conflict (a) do nothing');
  assert.ok(ok && ok.ok && ok.stmts[0].stmt.InsertStmt.onConflictClause);
  const bad = parseSql("select 'é', from");
  assert.ok(bad && !bad.ok);
  if (bad && !bad.ok) {
    assert.match(bad.message, /syntax error/);
    assert.equal(bad.offset, "select 'é', ".length);
  }
  const astral = parseSql("select '😀😀', from");
  assert.equal(astral && !astral.ok && astral.offset, "select '😀😀', ".length);
  assert.equal(pgAccepts('select 1; select 2'), true);
  assert.equal(pgAccepts('\\set x 1'), false);
});

test('byte offsets become UTF-16 offsets (2-, 3- and 4-byte characters)', () => {
  const toUtf16 = byteToUtf16Mapper('aé€😀b');
  assert.deepEqual([0, 1, 3, 6, 11].map((b) => toUtf16(b)), [0, 1, 2, 3, 6]);
  const sql = "select '😀', x from é";
  const file = `${'-'.repeat(100)}${sql}`;
  const [p] = parseRange(file, 100, file.length);
  const from = p.stmt.SelectStmt.fromClause[0].RangeVar;
  assert.equal(p.offset(from.location), 100 + sql.indexOf('é'));
});

test('loads its WASM from beside an esbuild bundle (as dist/cli.js does)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-pg-'));
  try {
    const entry = path.join(dir, 'entry.ts');
    fs.writeFileSync(entry, `import { ensureParser, parserReady, parseSql } from ${JSON.stringify(path.join(root, 'src/core/schema/pg'))};
ensureParser().then(() => { const r = parseSql('select 1'); console.log(JSON.stringify({ ok: parserReady(), parsed: !!(r && r.ok) })); });\n`);
    const esbuild = require('esbuild');
    esbuild.buildSync({ entryPoints: [entry], outfile: path.join(dir, 'out', 'cli.js'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent' });
    fs.copyFileSync(require.resolve('libpg-query/wasm/libpg-query.wasm'), path.join(dir, 'out', 'libpg-query.wasm'));
    const r = spawnSync(process.execPath, [path.join(dir, 'out', 'cli.js')], { cwd: os.tmpdir(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { ok: true, parsed: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the built dist/cli.js has the WASM beside it', { skip: !fs.existsSync(path.join(root, 'dist/cli.js')) && 'dist not built (npm run build)' }, () => {
  assert.ok(fs.existsSync(path.join(root, 'dist/libpg-query.wasm')));
});

test('the statements too long to parse are the same whether the schema build split the text just before or not', () => {
  const long = `insert into a values ('${'x'.repeat(MAX_PARSE_CHARS + 10)}')`;
  const text = `create table a (x text);\n${long};\n${'create table b (y int);\n'.repeat(40_000)}${long}`;
  const fresh = splitSql(text).filter(([s, e]) => e - s > MAX_PARSE_CHARS);
  assert.equal(fresh.length, 2);
  assert.deepEqual(oversizedStatements(text), fresh);
  // as lint does: the schema build parses the file statement by statement, then the report asks
  assert.ok([...parseSelected(text, () => true)].length >= 40_000);
  assert.deepEqual(oversizedStatements(text), fresh);
  assert.deepEqual(oversizedStatements(text), fresh, 'asked again');
  const other = `${text};`;
  assert.deepEqual(oversizedStatements(other), splitSql(other).filter(([s, e]) => e - s > MAX_PARSE_CHARS), 'another text');
  assert.equal(oversizedStatements(text, 20).length, splitSql(text).filter(([s, e]) => e - s > 20).length, 'another limit');
});

test('splitSql skips the data of COPY ... FROM stdin after leading comments and white space, and only there', () => {
  const ranges = (text: string) => splitSql(text).map(([s, e]) => text.slice(s, e));
  // a `--` comment and white space before COPY: the data lines are no statements
  assert.deepEqual(ranges('-- load\n  \tCOPY t (a) FROM stdin;\n1\tx;y\n2\tz\n\\.\nselect 1;'), ['COPY t (a) FROM stdin', 'select 1']);
  assert.deepEqual(ranges('copy"t" from STDIN;\na;b\n\\.\n'), ['copy"t" from STDIN']);
  // not COPY as the first word: its "data" is SQL (the `\.` line a psql command of its own)
  assert.deepEqual(ranges("select 'copy t from stdin';\na;b\n"), ["select 'copy t from stdin'", 'a', 'b\n']);
  assert.deepEqual(ranges('copyright from stdin;\na;\n'), ['copyright from stdin', 'a']);
  assert.deepEqual(ranges('/* c */ copy t from stdin;\na;\n'), ['copy t from stdin', 'a']);
});
