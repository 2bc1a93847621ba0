import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lint } from '../helpers';
import { applyEdits } from '../helpers';
import { extractEmbeddedSql } from '../../../src/embedded/extract';
import { tryParse, neutralizePlaceholders } from '../../../src/core/schema/pg';
import { loadParsers } from './schemaHelpers';

const RULE = 'timestamp-staging-table-name';

before(loadParsers);

const own = (ts: string) => lint(ts, { path: 'loader.ts' }).filter((f) => f.rule === RULE);

/** Every SQL region of the fixed file still parses (interpolations stand in as identifiers). */
function assertSqlParses(ts: string): void {
  for (const r of extractEmbeddedSql(ts, 'typescript')) {
    assert.ok(tryParse(neutralizePlaceholders(r.text).text), `expected valid SQL: ${r.text}`);
  }
}

function fixOnce(ts: string): string {
  const [f] = own(ts);
  assert.ok(f, 'expected a finding');
  assert.ok(f.fixes[0], 'expected a fix');
  return applyEdits(ts, f.fixes[0]);
}

describe(RULE, () => {
  test('template interpolation of Date.now() in CREATE TABLE (seed 001)', () => {
    const ts = 'await client.query(`CREATE TABLE time_entries_staging_${Date.now()} (LIKE time_entries)`);';
    const [f] = own(ts);
    assert.equal(f.severity, 'warning');
    assert.equal(ts.slice(f.start, f.end), 'Date.now()');
    assert.match(f.message, /44 loaders/);
    assert.doesNotMatch(f.message, /seed/, 'no internal words in user-facing text');
    const fixed = fixOnce(ts);
    assert.equal(fixed, "await client.query(`CREATE TABLE time_entries_staging_${crypto.randomUUID().replaceAll('-', '')} (LIKE time_entries)`);");
    assertSqlParses(fixed);
    assert.deepEqual(own(fixed), []);
  });

  test('one hop through a const; the fix goes into the const', () => {
    const ts = [
      'export async function load(client: Client) {',
      '  const staging = `orders_staging_${new Date().getTime()}`;',
      '  await client.query(`CREATE TABLE ${staging} (LIKE orders)`);',
      '  await client.query(`INSERT INTO orders SELECT * FROM ${staging} ON CONFLICT (id) DO NOTHING`);',
      '}',
    ].join('\n');
    const found = own(ts);
    assert.equal(found.length, 1, 'one finding per time expression');
    assert.equal(ts.slice(found[0].start, found[0].end), 'new Date().getTime()');
    const fixed = fixOnce(ts);
    assert.match(fixed, /const staging = `orders_staging_\$\{crypto\.randomUUID\(\)\.replaceAll\('-', ''\)\}`;/);
    assertSqlParses(fixed);
    assert.deepEqual(own(fixed), []);
  });

  test('one name used by two queries is one finding (one hover, one menu entry), not one per query', () => {
    const ts = [
      'async function load(client) {',
      '  const staging = `time_entries_staging_${Date.now()}`;',
      '  await client.query(`CREATE TABLE ${staging} AS SELECT * FROM time_entries WITH NO DATA`);',
      '  await client.query(`INSERT INTO ${staging} SELECT * FROM src`);',
      '}',
    ].join('\n');
    const found = own(ts);
    assert.equal(found.length, 1, JSON.stringify(found.map((f) => [f.start, f.end])));
  });

  test('string concatenation', () => {
    const ts = "await db.query('INSERT INTO tmp_load_' + Date.now() + ' SELECT * FROM src');";
    const [f] = own(ts);
    assert.ok(f);
    const fixed = fixOnce(ts);
    assert.equal(fixed, "await db.query('INSERT INTO tmp_load_' + crypto.randomUUID().replaceAll('-', '') + ' SELECT * FROM src');");
    assert.deepEqual(own(fixed), []);
  });

  test('timestamps as values, random names, plain names, .sql files: no finding', () => {
    assert.deepEqual(own('await db.query(`INSERT INTO events (id, at) VALUES ($1, ${Date.now()})`);'), []);
    assert.deepEqual(own("await db.query(`CREATE TABLE stage_${crypto.randomUUID().replaceAll('-', '')} (LIKE t)`);"), []);
    assert.deepEqual(own('const t = Date.now(); await db.query(`CREATE TEMP TABLE stage (LIKE t)`);'), []);
    assert.deepEqual(own('const name = `stage_${id}`; await db.query(`CREATE TABLE ${name} (a int)`);'), []);
    assert.deepEqual(lint('CREATE TABLE stage_1700000000 (a int);').filter((f) => f.rule === RULE), []);
  });
  test('a name held in a const: each query finds the declaration before it (the last one), type annotations included', () => {
    const ts = [
      'let count: number;',
      'const staging = `orders_staging_${Date.now()}`;',
      ...Array.from({ length: 40 }, (_, i) => `await client.query(\`INSERT INTO \${staging} (id) VALUES (${i})\`);`),
      'const other: string = `t_${new Date().getTime()}`;',
      'await client.query(`CREATE TABLE ${other} (id int)`);',
      'await client.query(`CREATE TABLE ${missing} (id int)`);',
    ].join('\n');
    const found = own(ts);
    // the clock in each declaration is one finding, however many queries use the name; none for `missing`
    assert.equal(found.length, 2);
    assert.ok(found[0].start === ts.indexOf('Date.now()') && ts.slice(found[0].start, found[0].end) === 'Date.now()');
    assert.equal(ts.slice(found[1].start, found[1].end), 'new Date().getTime()');
  });
});
