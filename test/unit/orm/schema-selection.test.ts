/**
 * Which files feed the schema model as ORM schema files: one decision (mayDeclareOrmSchema), made
 * from the file's text and not its folder names, for the CLI (lint, --changed, --fix) and the editor's
 * index alike. On ../shared/corpus/ts-real: every TS/JS schema file of the schema/ folder is chosen
 * (recall), and the choice prints how many of the chosen files declare tables.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ormSchemaSources } from '../../../src/cli/lint';
import { mayDeclareOrmSchema } from '../../../src/embedded/orm/model';
import { mayDeclareOrmTables, readOrmSchema } from '../../../src/embedded/orm/schema';
import { parseCorpusReadme } from '../../support/accuracy';
import { corpusDir } from '../../support/corpus';

const drizzle = `import { pgTable, text, unique } from 'drizzle-orm/pg-core';
export const users = pgTable('users', { email: text('email').notNull().unique() });
`;
const plain = `export function add(a: number, b: number) { return a + b; }\n`;

test('an ORM schema file is chosen by what it declares, wherever it lives', () => {
  for (const p of ['src/lib/auth.ts', 'packages/core/src/index.ts', 'db/schema.ts', 'lib/entities.mjs']) {
    assert.equal(mayDeclareOrmSchema(p, drizzle), true, `${p} declaring a pgTable`);
  }
  // a folder named db/ or schema/ holding no declaration is not one
  for (const p of ['db/schema.ts', 'src/models/index.ts', 'migrations/helpers.js']) assert.equal(mayDeclareOrmSchema(p, plain), false, p);
  // Prisma schemas always are; other languages never
  assert.equal(mayDeclareOrmSchema('prisma/schema.prisma', 'model User { id Int @id }'), true);
  assert.equal(mayDeclareOrmSchema('db/schema.sql', drizzle), false);
});

test('the content test is what the schema reader itself starts with: each declaration form passes it, look-alikes do not', () => {
  const yes = [
    'export const t = pgTable("t", {})', 'const t = mysqlTable("t", {})', 'sqliteTable("t", {})', 'const c = pgTableCreator((n) => n)',
    'onchainTable("t", (p) => ({}))', 'db.schema.createTable("t").execute()', 'const s = pgSchema("app")',
    '@Entity()\nclass A {}', '@Table({ name: "a" })\nclass A {}', 'knex.schema.table("t", (t) => {})',
    'import { Sequelize } from "sequelize";\nsequelize.define("User", {})', 'const { Sequelize } = require("sequelize"); User.init({}, { sequelize })',
  ];
  for (const t of yes) assert.equal(mayDeclareOrmTables(t), true, t);
  const no = [
    'const xpgTable = 1; const Table = 2', 'pgTable_old()', 'createTableName()', '$pgSchemaX', '@Entityish', 'a.tables(', 'define(init)',
    'SEQUELIZE define', 'const Schema = z.object({})',
  ];
  for (const t of no) assert.equal(mayDeclareOrmTables(t), false, t);
});

test('lint reads as ORM schema sources only the TS/JS files that may declare tables, and every Prisma schema', () => {
  const texts = [
    { abs: '/p/src/lib/auth.ts', rel: 'src/lib/auth.ts', text: drizzle },
    { abs: '/p/db/schema.ts', rel: 'db/schema.ts', text: plain },
    { abs: '/p/prisma/schema.prisma', rel: 'prisma/schema.prisma', text: 'model U { id Int @id }' },
    { abs: '/p/m/001.sql', rel: 'm/001.sql', text: 'CREATE TABLE pgTable (a int);' },
  ];
  assert.deepEqual(ormSchemaSources(texts).map((f) => f.path), ['src/lib/auth.ts', 'prisma/schema.prisma']);
});

const tsReal = path.join(corpusDir, 'ts-real');
const absent = !fs.existsSync(path.join(tsReal, 'README.md')) && 'corpus absent: ../shared/corpus/ts-real';
if (absent) console.log(`# note: ${absent}; ORM schema recall on the corpus skipped`);

/** Schema files of a form the ORM schema reader does not read (choosing them would add nothing), with why. */
const UNREAD_FORMS: Record<string, string> = {
  'schema/medusajs__medusa__packages__modules__notification__src__models__notification.ts': "Medusa's DML (`model.define` from @medusajs/framework), not one of the ORMs read",
};

test('ts-real: every ORM schema file of schema/ is chosen (recall), by content only', { skip: absent }, () => {
  const files = parseCorpusReadme(fs.readFileSync(path.join(tsReal, 'README.md'), 'utf8')).filter((f) => !f.name.endsWith('.sql'));
  const schemaFolder = files.filter((f) => f.name.startsWith('schema/'));
  assert.ok(schemaFolder.length >= 15, `${schemaFolder.length} schema files`);
  const missed: string[] = [];
  for (const f of schemaFolder) {
    const text = fs.readFileSync(path.join(tsReal, f.name), 'utf8');
    // the same text under a name that says nothing chooses alike: no folder name decides
    if (!mayDeclareOrmSchema(f.originalPath, text) || !mayDeclareOrmSchema(`src/x${path.extname(f.originalPath)}`, text)) missed.push(f.name);
    else assert.ok(readOrmSchema(f.originalPath, text).tables.length > 0, `${f.name}: chosen, and its tables read`);
  }
  let chosen = 0;
  let declaring = 0;
  for (const f of files) {
    const text = fs.readFileSync(path.join(tsReal, f.name), 'utf8');
    if (!mayDeclareOrmSchema(f.originalPath, text)) continue;
    chosen++;
    const s = readOrmSchema(f.originalPath, text);
    if (s.tables.length || s.dialect) declaring++;
  }
  console.log(`# ORM schema files on ts-real: schema/ recall ${schemaFolder.length - missed.length}/${schemaFolder.length} `
    + `(not chosen: ${missed.map((m) => `${m}: ${UNREAD_FORMS[m] ?? 'a form the reader knows'}`).join('; ') || 'none'}); `
    + `${chosen} of ${files.length} TS/JS/Prisma files chosen, ${declaring} of them declare tables or a dialect`);
  assert.deepEqual(missed.filter((m) => !UNREAD_FORMS[m]), [], 'schema files of a form the reader knows, not chosen');
});
