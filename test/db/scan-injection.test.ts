/**
 * Names and values cannot change what the scan's SQL means, whatever standard_conforming_strings the
 * database sets: with it off, `\'` inside a '...' literal is a quote that ends the literal. A schema,
 * a table and a column named `\';commit;create table pwned_...();--`, and sampled key values holding
 * `'`, `\` and the same payload, go through every path that once spliced a value into SQL text
 * (hash candidates, a key's duplicate groups narrowing the whole-row pass, ids read back by value,
 * extended statistics in quick mode). Nothing may be created, and the counts must be right.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as pg from 'pg';
import { connect, type DbSession } from '../../src/db/connect';
import { scan } from '../../src/db/scan';
import { freshDb } from './_db';
import { recordSql } from './scan-record';

const payload = (what: string) => `\\';commit;create table pwned_${what}();--`;
const SCHEMA = `s${payload('schema')}`;
const TABLE = `t${payload('table')}`;
const INDEXED = `i${payload('indexed')}`;
const COLUMN = `c${payload('column')}`;
const VALUES = ["it's", 'back\\slash', payload('value'), `x${payload('value2')}\\`];
const id = (s: string) => pg.escapeIdentifier(s);

let url: string;
let admin: DbSession;
let dbname: string;

before(async () => {
  ({ url, session: admin } = await freshDb('', 'dginject'));
  dbname = new URL(url).pathname.slice(1);
  const rel = `${id(SCHEMA)}.${id(TABLE)}`;
  const indexed = `${id(SCHEMA)}.${id(INDEXED)}`;
  await admin.client.query(`CREATE SCHEMA ${id(SCHEMA)}`);
  for (const [t, index] of [[rel, false], [indexed, true]] as const) {
    await admin.client.query(`CREATE TABLE ${t} (id serial PRIMARY KEY, ${id(COLUMN)} text NOT NULL, n int NOT NULL)`);
    if (index) await admin.client.query(`CREATE INDEX ON ${t} (${id(COLUMN)})`);
    // Near-distinct and wide (the hash pass, narrowing; ids read back by value when indexed).
    await admin.client.query(`INSERT INTO ${t} (${id(COLUMN)}, n) SELECT 'row number ' || g || ' of the table', 1 FROM generate_series(1, 110000) g`);
    // Each odd value three times: 4 groups, 8 excess rows, in the key and in whole rows.
    await admin.client.query(`INSERT INTO ${t} (${id(COLUMN)}, n) SELECT v, 7 FROM unnest($1::text[]) v, generate_series(1, 3)`, [VALUES]);
  }
  await admin.client.query(`CREATE TABLE ${id(SCHEMA)}."stats ${payload('stats')}" (a int, b int)`);
  await admin.client.query(`INSERT INTO ${id(SCHEMA)}."stats ${payload('stats')}" SELECT g % 10, g % 10 FROM generate_series(1, 1000) g`);
  await admin.client.query(`CREATE STATISTICS ${id(SCHEMA)}.st ON a, b FROM ${id(SCHEMA)}."stats ${payload('stats')}"`);
  await admin.client.query('ANALYZE');
});

after(async () => {
  await admin.client.query(`ALTER DATABASE ${id(dbname)} RESET standard_conforming_strings`).catch(() => {});
  await admin.close();
});

for (const scs of ['off', 'on']) {
  test(`standard_conforming_strings=${scs} for the database: odd names and values create nothing, counts are right, no value in any SQL text`, { timeout: 120_000 }, async () => {
    await admin.client.query(`ALTER DATABASE ${id(dbname)} SET standard_conforming_strings = ${scs}`);
    const plain = new pg.Client({ connectionString: url });
    await plain.connect();
    const seen = (await plain.query('SHOW standard_conforming_strings')).rows[0].standard_conforming_strings;
    await plain.end();
    assert.equal(seen, scs, 'the database setting reaches new sessions');

    const s = await connect(url, { env: {} });
    const sent = recordSql(s);
    try {
      let inside: Promise<string> | undefined;
      const keys = { [`${SCHEMA}.${TABLE}`]: [`"${COLUMN}"`], [`${SCHEMA}.${INDEXED}`]: [`"${COLUMN}"`] };
      const exact = await scan(s, {
        schemas: [SCHEMA], naturalKeys: keys, sampleSize: 10, inferKeys: false,
        onProgress: () => { inside ??= s.client.query('SHOW standard_conforming_strings').then((r) => r.rows[0].standard_conforming_strings); },
      });
      assert.equal(await inside, 'on', 'the scan session reads literals the standard way');
      // The statistics path (the one that looks the table up by name in pg_stats_ext) is taken for every size here.
      const quick = await scan(s, { schemas: [SCHEMA], mode: 'quick', naturalKeys: { [`${SCHEMA}.stats ${payload('stats')}`]: ['a', 'b'] }, inferKeys: false, quickTuning: { statisticsAboveRows: 0 } });
      assert.deepEqual(exact.errors, []);
      assert.deepEqual(quick.errors, []);
      for (const name of [TABLE, INDEXED]) {
        const t = exact.tables.find((x) => x.table === name)!;
        assert.equal(t.schema, SCHEMA);
        assert.equal(t.rows, 110000 + 12);
        const key = t.checks.find((c) => c.source === 'config')!;
        assert.deepEqual([key.columns, key.duplicateGroups, key.excessRows, key.maxCopies], [[COLUMN], 4, 8, 3], name);
        assert.deepEqual(key.sample.map((g) => g.values[0]).sort(), [...VALUES].sort());
        assert.ok(key.sample.every((g) => g.ids?.length === 2 && g.count === 3), JSON.stringify(key.sample));
        const whole = t.checks.find((c) => c.kind === 'exact-row')!;
        assert.deepEqual([whole.duplicateGroups, whole.excessRows], [4, 8], name);
      }
      const st = quick.tables.find((x) => x.table === `stats ${payload('stats')}`)!;
      const est = st.checks.find((c) => c.source === 'config')!;
      assert.equal(est.distinct, 10, 'read from the extended statistics, looked up by the table\'s odd name');
      assert.equal(est.estimateMethod, 'statistics');
    } finally {
      await s.close();
    }
    const pwned = await admin.client.query(`SELECT relname FROM pg_class WHERE relname LIKE 'pwned%'`);
    assert.deepEqual(pwned.rows, []);
    for (const v of [...VALUES, 'pwned_value']) {
      const spliced = sent.filter((x) => x.text.includes(v));
      assert.deepEqual(spliced.map((x) => x.text.slice(0, 200)), [], `the value ${JSON.stringify(v)} travels as a bind parameter only`);
    }
    assert.ok(sent.filter((x) => !x.text.startsWith('SHOW')).every((x) => x.extended), 'every statement through the extended protocol (one statement each)');
    assert.ok(sent.some((x) => x.values.some((v) => Array.isArray(v) ? v.includes(VALUES[2]) : v === VALUES[2])), 'the values were sent, as parameters');
  });
}
