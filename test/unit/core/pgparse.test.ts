import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { byteToUtf16, loadPgParser, locationsToUtf16, parseSql, pgAccepts, pgParserReady } from '../../../src/core/pgparse';

const root = path.resolve(__dirname, '../../..');

before(async () => { assert.equal(await loadPgParser(), true); });

test('parses, reports errors with a UTF-16 offset, never throws', () => {
  assert.equal(pgParserReady(), true);
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
  const text = 'aé€😀b';
  assert.deepEqual([0, 1, 3, 6, 10, 11].map((b) => byteToUtf16(text, b)), [0, 1, 2, 3, 5, 6]);
  const sql = "select '😀', x from é";
  const r = parseSql(sql);
  assert.ok(r && r.ok);
  const tree = locationsToUtf16(r.tree, sql, 100);
  const from = tree.stmts[0].stmt.SelectStmt.fromClause[0].RangeVar;
  assert.equal(from.location, 100 + sql.indexOf('é'));
});

test('loads its WASM from beside an esbuild bundle (as dist/cli.js does)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-pg-'));
  try {
    const entry = path.join(dir, 'entry.ts');
    fs.writeFileSync(entry, `import { loadPgParser, parseSql } from ${JSON.stringify(path.join(root, 'src/core/pgparse'))};
loadPgParser().then((ok) => { const r = parseSql('select 1'); console.log(JSON.stringify({ ok, parsed: !!(r && r.ok) })); });\n`);
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
