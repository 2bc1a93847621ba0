import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildSchemaFromDdl, ensureParser } from '../../../src/core/schema/ddl';

before(async () => {
  await ensureParser();
});

const FRAGMENTS = [
  'create table t (a int primary key, b text unique);', 'create table u (like t including all);', 'alter table t drop constraint t_pkey;',
  'alter table t rename to t2;', 'alter table t2 rename column a to z;', 'drop table t2;', 'create unique index i on t (lower(b)) where a > 0;',
  'drop index i;', 'alter table t add constraint c unique using index i;', 'create schema s;', 'alter table t set schema s;',
  'set search_path to s, public;', 'do $$ begin alter table t add unique (b); end $$;', '\\set x 1\n', "copy t from stdin;\n1\t'x'\n\\.\n",
  'create table p (a int) partition by range (a);', 'create table p1 partition of p for values from (1) to (2);', '{{ .X }}', ':VAR', '$$', "'", '"', '/*', '--', ';',
  'create table "Q" ("A" int, primary key ("A"));', 'alter table t alter column b set not null;', 'alter table t add column c serial;',
];

test('the schema model never throws, whatever the DDL (fragments in any order, cut anywhere)', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 12 }), fc.nat(400), (parts, cut) => {
      const text = parts.join('\n');
      for (const t of [text, text.slice(0, cut)]) {
        const m = buildSchemaFromDdl([{ path: 'f.sql', text: t }]);
        for (const table of m.tables()) {
          assert.equal(typeof table.name, 'string');
          for (const k of table.keys) assert.ok(Array.isArray(k.columns));
        }
      }
    }),
    { numRuns: 150 },
  );
});

test('the schema model never throws on arbitrary text', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      buildSchemaFromDdl([{ path: 'x.sql', text }, { path: 'y.sql', text: `create table x (a int); ${text}` }]);
    }),
    { numRuns: 200 },
  );
});
