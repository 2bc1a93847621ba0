/**
 * Quick fixes for SQL inside JS string literals must keep the literal valid and its value the fixed
 * SQL: a quoted identifier inside "...", a backslash, a backtick inside a template.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeForHost } from '../../../src/engine/analyze';
import { loadSchemaFromDdl } from '../../../src/core/schema/ddl';
import { applyFix } from '../helpers';

const ddl = 'CREATE TABLE "Order" (id serial PRIMARY KEY, "externalRef" text NOT NULL, CONSTRAINT order_ref UNIQUE ("externalRef"));';

/** The value of the first string literal passed to query(...) in `ts`, as JavaScript reads it. */
function queryArgument(ts: string): string {
  const captured: string[] = [];
  new Function('client', ts)({ query: (s: string) => captured.push(s) });
  assert.equal(captured.length, 1, 'the fixed code still runs and calls query once');
  return captured[0];
}

for (const [quote, literal] of [
  ['"', '"INSERT INTO \\"Order\\" (\\"externalRef\\") VALUES ($1) ON CONFLICT DO NOTHING"'],
  ["'", `'INSERT INTO "Order" ("externalRef") VALUES ($1) ON CONFLICT DO NOTHING'`],
  ['`', '`INSERT INTO "Order" ("externalRef") VALUES ($1) ON CONFLICT DO NOTHING`'],
] as const) {
  test(`the conflict-target fix inside a ${quote}-quoted JS literal keeps the code valid and the SQL right`, async () => {
    const schema = await loadSchemaFromDdl([{ path: 'm/001.sql', text: ddl }]);
    const ts = `client.query(${literal});\n`;
    const fixed = applyFix(ts, 'on-conflict-without-target', { path: 'a.ts', schema });
    assert.equal(queryArgument(fixed), 'INSERT INTO "Order" ("externalRef") VALUES ($1) ON CONFLICT ("externalRef") DO NOTHING');
  });
}

test('escapeForHost: quotes, backslashes and line breaks per delimiter; snippets untouched', () => {
  assert.equal(escapeForHost(`a "b" 'c' \\ d\n`, '"'), `a \\"b\\" 'c' \\\\ d\\n`);
  assert.equal(escapeForHost(`a "b" 'c'`, "'"), `a "b" \\'c\\'`);
  assert.equal(escapeForHost('a `b` ${1:key}', '`'), 'a \\`b\\` ${1:key}');
  assert.equal(escapeForHost('a "b"', undefined), 'a "b"');
});
