import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeSource, expandPaths, FileArgumentError, globToRegExp, readSource } from '../../../src/cli/files';
import { ConfigError, findConfig, jsonErrorOffset, loadConfig, parseConfig } from '../../../src/config/dupguardJson';

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-files-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const files = {
  'a.sql': '', 'b.psql': '', 'c.pgsql': '', 'readme.md': '', 'notes.txt': '',
  'src/x.ts': '', 'src/y.tsx': '', 'src/z.js': '', 'src/w.jsx': '', 'src/m.mjs': '', 'src/c.cjs': '', 'src/t.mts': '', 'src/u.cts': '',
  'src/deep/er/q.sql': '', 'src/types.d.ts': '',
  'node_modules/pkg/index.js': '', 'dist/cli.js': '', 'out/x.js': '', '.git/hooks/h.js': '', '.cache/c.sql': '',
  'lib/node_modules/inner.js': '', 'migrations/001_a.sql': '', 'migrations/002_b.sql': '', 'migrations/010_c.sql': '',
};
const rel = (root: string, list: string[]) => list.map((f) => path.relative(root, f).split(path.sep).join('/'));

test('a folder walks every SQL and TS/JS extension and skips node_modules, dist, out, .git, .cache at any depth', () => {
  const root = tree(files);
  assert.deepEqual(rel(root, expandPaths([], { cwd: root })), [
    'a.sql', 'b.psql', 'c.pgsql', 'migrations/001_a.sql', 'migrations/002_b.sql', 'migrations/010_c.sql',
    'src/c.cjs', 'src/deep/er/q.sql', 'src/m.mjs', 'src/t.mts', 'src/types.d.ts', 'src/u.cts', 'src/w.jsx', 'src/x.ts', 'src/y.tsx', 'src/z.js',
  ]);
});

test('globs: *, **, ?, braces; relative and absolute; matches are deduplicated and sorted', () => {
  const root = tree(files);
  const ex = (...args: string[]) => rel(root, expandPaths(args, { cwd: root }));
  assert.deepEqual(ex('*.sql'), ['a.sql']);
  assert.deepEqual(ex('**/*.sql'), ['a.sql', 'migrations/001_a.sql', 'migrations/002_b.sql', 'migrations/010_c.sql', 'src/deep/er/q.sql']);
  assert.deepEqual(ex('migrations/00?_*.sql'), ['migrations/001_a.sql', 'migrations/002_b.sql']);
  assert.deepEqual(ex('src/*.{ts,tsx}'), ['src/types.d.ts', 'src/x.ts', 'src/y.tsx']);
  assert.deepEqual(ex('./src/**'), ex('src'));
  assert.deepEqual(ex(`${root}/migrations/*.sql`, 'migrations/001_a.sql'), ['migrations/001_a.sql', 'migrations/002_b.sql', 'migrations/010_c.sql']);
  // Naming a skipped folder in the pattern or as a path opts in.
  assert.deepEqual(ex('node_modules/**/*.js'), ['node_modules/pkg/index.js']);
  assert.deepEqual(ex('dist'), ['dist/cli.js']);
});

test('errors name the argument: missing path, unmatched glob, unsupported file', () => {
  const root = tree(files);
  const err = (args: string[], re: RegExp) =>
    assert.throws(() => expandPaths(args, { cwd: root }), (e: unknown) => e instanceof FileArgumentError && re.test(e.message));
  err(['nope.sql'], /^nope\.sql: no such file or directory$/);
  err(['**/*.nothing'], /^no files match '\*\*\/\*\.nothing'$/);
  err(['notes.txt'], /^notes\.txt: not a file dupguard reads \(it lints \.sql .*\.cjs\)$/);
  err([''], /empty path/);
});

test('config exclude: bare names match at any depth, paths from the config folder, folders exclude their contents', () => {
  const root = tree(files);
  const ex = (exclude: string[]) => rel(root, expandPaths(['src', 'migrations'], { cwd: root, exclude, excludeBase: root }));
  assert.deepEqual(ex(['deep']), ex(['src/deep']));
  assert.ok(!ex(['deep']).includes('src/deep/er/q.sql'));
  assert.deepEqual(ex(['*.d.ts', 'migrations/0?0_*.sql', 'src/*.{js,jsx,mjs,cjs}']), [
    'migrations/001_a.sql', 'migrations/002_b.sql', 'src/deep/er/q.sql', 'src/t.mts', 'src/u.cts', 'src/x.ts', 'src/y.tsx',
  ]);
});

test('globToRegExp: ** spans zero or more folders, * and ? stay inside a name', () => {
  const m = (g: string, p: string) => globToRegExp(g).test(p);
  assert.ok(m('**/*.sql', 'a.sql'));
  assert.ok(m('**/*.sql', 'x/y/a.sql'));
  assert.ok(!m('*.sql', 'x/a.sql'));
  assert.ok(m('a/**/b.sql', 'a/b.sql'));
  assert.ok(m('a/**/b.sql', 'a/x/y/b.sql'));
  assert.ok(!m('a?.sql', 'a/.sql'));
  assert.ok(m('[ab].sql', 'b.sql') && !m('[!ab].sql', 'b.sql'));
  assert.ok(m('x.(1).sql', 'x.(1).sql') && !m('x.(1).sql', 'xx(1)xsql'));
});

test('config: found from the working folder upward; explicit path; none is empty', () => {
  const root = tree({ '.dupguard.json': '{"rules":{"on-conflict-without-target":"error"}}', 'a/b/c.sql': '' });
  assert.equal(findConfig(path.join(root, 'a/b')), path.join(root, '.dupguard.json'));
  const loaded = loadConfig(path.join(root, 'a/b'));
  assert.equal(loaded.base, root);
  assert.deepEqual(loaded.config, { rules: { 'on-conflict-without-target': 'error' } });
  assert.throws(() => loadConfig(root, 'missing.json'), /^ConfigError: missing\.json: cannot read config file \(no such file\)$|missing\.json: cannot read config file \(no such file\)/);
  assert.throws(() => loadConfig(root, 'a'), /a: cannot read config file \(it is a folder\)/);
});

test('config: invalid JSON names the file, line and column', () => {
  const bad = (text: string, re: RegExp) =>
    assert.throws(() => parseConfig(text, 'cfg.json'), (e: unknown) => e instanceof ConfigError && re.test(e.message));
  bad('{\n  "rules": {\n    "a": "error",\n  }\n}', /^cfg\.json:4:3: invalid JSON: /);
  bad('{\n  "rules": }', /^cfg\.json:2:12: invalid JSON: Unexpected token/);
  bad('', /^cfg\.json:1:1: invalid JSON/);
  bad('{"a": 1} x', /^cfg\.json:1:10: invalid JSON/);
  assert.equal(jsonErrorOffset('{"a": [1, 2.5e3, true, null, "\\u00e9"]}'), undefined);
});

test('config: wrong shapes are errors naming the key; unknown keys are warnings', () => {
  const bad = (v: unknown, re: RegExp) => assert.throws(() => parseConfig(JSON.stringify(v), 'c.json'), re);
  bad([], /c\.json: the config must be a JSON object/);
  bad({ rules: { x: 'fatal' } }, /c\.json: "rules"\."x" must be "error", "warning", "info" or "off" \(got "fatal"\)/);
  bad({ rules: [] }, /"rules" must be an object/);
  bad({ naturalKeys: { 'public.t': 'id' } }, /"naturalKeys"\."public\.t" must be an array of non-empty strings/);
  bad({ naturalKeys: { t: [] } }, /must name at least one column/);
  bad({ embedded: { tags: [1] } }, /"embedded"\."tags" must be an array/);
  bad({ exclude: 'x' }, /"exclude" must be an array/);
  const { config, warnings } = parseConfig(
    JSON.stringify({ rulez: {}, embedded: { tag: [] }, rules: { a: 'off' }, naturalKeys: { 'public.t': ['a', 'b'] }, include: ['db/**'] }),
    'c.json',
  );
  assert.deepEqual(config, { rules: { a: 'off' }, naturalKeys: { 'public.t': ['a', 'b'] }, embedded: {}, include: ['db/**'] });
  assert.deepEqual(warnings, [
    "c.json: unknown key 'rulez' ignored (known: rules, naturalKeys, embedded, include, exclude, schema)",
    "c.json: unknown key 'embedded.tag' ignored (known: tags, functions, expectedOutput)",
  ]);
});

test('a folder that cannot be listed is reported and skipped: the rest is linted, exit 2 at the end', () => {
  // As root every folder is readable: the CLI then runs as the unprivileged user `nobody`.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-locked-'));
  fs.writeFileSync(path.join(root, '.dupguard.json'), '{}');
  fs.mkdirSync(path.join(root, 'ok'));
  fs.writeFileSync(path.join(root, 'ok', 'a.sql'), 'CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;\n');
  fs.mkdirSync(path.join(root, 'locked'));
  fs.writeFileSync(path.join(root, 'locked', 'b.sql'), 'SELECT 1;\n');
  fs.chmodSync(root, 0o755);
  fs.chmodSync(path.join(root, 'ok'), 0o755);
  fs.chmodSync(path.join(root, 'ok', 'a.sql'), 0o644);
  fs.chmodSync(path.join(root, '.dupguard.json'), 0o644);
  fs.chmodSync(path.join(root, 'locked'), 0o000);
  const asRoot = process.getuid?.() === 0;
  const repo = path.resolve(__dirname, '../../..');
  const main = path.join(repo, 'src/cli/main.ts');
  const tsx = pathToFileURL(path.join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
  const r = spawnSync(process.execPath, ['--import', tsx, main, 'lint', '--format', 'json', '.'], {
    cwd: root, encoding: 'utf8', timeout: 120_000, ...(asRoot ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: os.tmpdir() } } : {}),
  });
  fs.chmodSync(path.join(root, 'locked'), 0o755);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /dupguard lint: locked: cannot list folder \(EACCES\); not linted/);
  const report = JSON.parse(r.stdout) as { files: { path: string; findings: { rule: string }[] }[] };
  assert.deepEqual(report.files.map((f) => f.path), ['ok/a.sql']);
  assert.deepEqual(report.files[0].findings.map((f) => f.rule), ['on-conflict-without-target']);

  // The library call without a handler still throws, naming the folder.
  const seen: string[] = [];
  const list = expandPaths([], { cwd: path.join(root, 'ok'), onUnreadable: (p) => seen.push(p) });
  assert.deepEqual(rel(root, list), ['ok/a.sql']);
  assert.deepEqual(seen, []);
});

test('readSource reads a file as decodeSource decodes its bytes: byte order mark, bytes that are not UTF-8, a real U+FFFD', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-read-'));
  try {
    const cases: Array<[string, Buffer]> = [
      ['plain', Buffer.from('create table t (a int);\n')],
      ['empty', Buffer.alloc(0)],
      ['bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('select 1; -- é €\n')])],
      ['bom only', Buffer.from([0xef, 0xbb, 0xbf])],
      ['two boms', Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x61])],
      ['latin-1', Buffer.from('insert into t values (\'caf\xe9\');\n', 'latin1')],
      ['bom then invalid', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0x61, 0xc3, 0x28, 0x62])])],
      ['cut sequence at the end', Buffer.from([0x61, 0xe2, 0x82])],
      ['replacement character', Buffer.from('select \'\ufffd\';\n')],
      ['astral', Buffer.from('select \'😀\';\n')],
      ['real U+FFFD, then invalid', Buffer.concat([Buffer.from('select \'é\ufffd\'; -- 😀 '), Buffer.from([0xff, 0x61])])],
      ['many real U+FFFD, then invalid', Buffer.concat([Buffer.from('\ufffd'.repeat(100)), Buffer.from([0xe9])])],
      ['many real U+FFFD', Buffer.from('\ufffd'.repeat(100))],
      ['invalid inside the byte order mark', Buffer.from([0xef, 0xbb, 0x61])],
    ];
    for (const [name, bytes] of cases) {
      const file = path.join(root, `${name}.sql`);
      fs.writeFileSync(file, bytes);
      assert.deepEqual(readSource(file), decodeSource(fs.readFileSync(file)), name);
    }
    assert.deepEqual(readSource(path.join(root, 'bom.sql')), { text: 'select 1; -- é €\n', bom: true });
    assert.equal(readSource(path.join(root, 'latin-1.sql')).invalidUtf8At, 'insert into t values (\'caf'.length);
    assert.equal(readSource(path.join(root, 'replacement character.sql')).invalidUtf8At, undefined);
    assert.equal(readSource(path.join(root, 'real U+FFFD, then invalid.sql')).invalidUtf8At, Buffer.byteLength('select \'é\ufffd\'; -- 😀 '));
    assert.equal(readSource(path.join(root, 'many real U+FFFD, then invalid.sql')).invalidUtf8At, 300);
    assert.throws(() => readSource(path.join(root, 'missing.sql')), { code: 'ENOENT' });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
