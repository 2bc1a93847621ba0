/**
 * The one .dupguard.json loader of the CLI and the editor: a file's config is the nearest one from its
 * folder upward, editor settings layer over it, and it is read again after invalidate().
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyzerPart, ConfigFiles, layered } from '../../../src/config/dupguardJson';

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-config-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

test("each file reads its nearest .dupguard.json (one per folder of a multi-root workspace), re-read after invalidate()", () => {
  const dir = tree({
    'a/.dupguard.json': '{ "rules": { "table-without-unique-key": "off" } }',
    'a/sql/x.sql': '',
    'b/.dupguard.json': '{ "naturalKeys": { "orders": ["ref"] } }',
    'b/y.sql': '',
    'c/z.sql': '',
  });
  try {
    const files = new ConfigFiles();
    assert.deepEqual(files.forFile(path.join(dir, 'a/sql/x.sql')).config, { rules: { 'table-without-unique-key': 'off' } });
    assert.equal(files.forFile(path.join(dir, 'a/sql/x.sql')).path, path.join(dir, 'a/.dupguard.json'));
    assert.deepEqual(files.forFile(path.join(dir, 'b/y.sql')).config, { naturalKeys: { orders: ['ref'] } });
    assert.equal(files.forFile(path.join(dir, 'c/z.sql')).path, undefined);
    fs.writeFileSync(path.join(dir, 'a/.dupguard.json'), '{ "rules": { "table-without-unique-key": "error" } }');
    assert.deepEqual(files.forFile(path.join(dir, 'a/sql/x.sql')).config.rules, { 'table-without-unique-key': 'off' }, 'read once');
    files.invalidate();
    assert.deepEqual(files.forFile(path.join(dir, 'a/sql/x.sql')).config.rules, { 'table-without-unique-key': 'error' });
    fs.writeFileSync(path.join(dir, 'c/.dupguard.json'), '{ "rules": [] }');
    files.invalidate();
    const bad = files.forFile(path.join(dir, 'c/z.sql'));
    assert.deepEqual(bad.config, {});
    assert.match(bad.error ?? '', /"rules" must be an object/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('settings layer over the file: their rule levels and natural keys win, the others stay, extra tags add up', () => {
  const file = analyzerPart({
    rules: { a: 'off', b: 'error' }, naturalKeys: { orders: ['ref'], users: ['email'] }, embedded: { tags: ['sql'] }, include: ['x'],
  });
  assert.deepEqual(file, { rules: { a: 'off', b: 'error' }, naturalKeys: { orders: ['ref'], users: ['email'] }, embedded: { tags: ['sql'] } });
  assert.deepEqual(layered(file, { rules: { b: 'info' }, naturalKeys: { orders: ['id'] }, embedded: { tags: ['db.sql', 'sql'] } }), {
    rules: { a: 'off', b: 'info' }, naturalKeys: { orders: ['id'], users: ['email'] }, embedded: { tags: ['sql', 'db.sql'], functions: undefined },
  });
  assert.deepEqual(layered({}, { rules: {} }), { rules: {} });
});
