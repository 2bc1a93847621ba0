import assert from 'node:assert/strict';
import { test } from 'node:test';
import { languageFromPath } from '../../../src/core/languages';

/** The rule languageFromPath implements: the ASCII letters after the last dot, in lower case, are a linted extension. */
function reference(p: string): string | undefined {
  const m = /\.([a-z]+)$/i.exec(p);
  return m ? languageFromPath(`x.${m[1].toLowerCase()}`) : undefined;
}

test('languageFromPath: the extension after the last dot, in any case; nothing for other names', () => {
  assert.equal(languageFromPath('/a/b/001_init.sql'), 'sql');
  assert.equal(languageFromPath('C:\\proj\\Q.PgSQL'), 'sql');
  assert.equal(languageFromPath('src/types.d.ts'), 'typescript');
  assert.equal(languageFromPath('App.TSX'), 'typescriptreact');
  assert.equal(languageFromPath('x.cjs'), 'javascript');
  assert.equal(languageFromPath('.sql'), 'sql');
  for (const p of ['a.sql.bak', 'README', 'a.', 'dir.sql/file', 'dir.sql\\file', 'a.sql ', 'a.s_l', 'a.ſql', 'a.K', 'schema.prisma', '', '.', 'a..sql.', 'x.sql1']) {
    assert.equal(languageFromPath(p), undefined, p);
  }
  const exts = ['sql', 'SQL', 'Sql', 'psql', 'pgsql', 'ts', 'tsx', 'mts', 'cts', 'js', 'jsx', 'mjs', 'cjs', 'md', 'json', 'prisma', 'ſql', 'sq', 'sqll', '', 's.ql', 'ts1'];
  for (const stem of ['', 'a', 'a.b', 'dir/x', 'dir.sql/x', '..', 'C:\\d\\x']) {
    for (const ext of exts) {
      for (const p of [`${stem}.${ext}`, `${stem}${ext}`]) {
        assert.equal(languageFromPath(p), reference(p), p);
      }
    }
  }
});
