import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFix, lint, lintErrors } from '../helpers';
import { assertParses, ddl, loadParsers } from './schemaHelpers';

const RULE = 'merge-source-not-deduplicated';

before(loadParsers);

// seed 004: a CDC batch (several events per article) merged into articles
const schema = () =>
  ddl(`create table articles (article_id text primary key, title text, ts_ms bigint);
       create table article_events (article_id text, title text, ts_ms bigint);
       create table article_snapshot (article_id text primary key, title text, ts_ms bigint);`);
const own = (sql: string) => lint(sql, { schema: schema() }).filter((f) => f.rule === RULE);

const merge = (using: string) => `MERGE INTO articles t
USING ${using} ON t.article_id = s.article_id
WHEN MATCHED AND s.ts_ms > t.ts_ms THEN UPDATE SET title = s.title, ts_ms = s.ts_ms
WHEN NOT MATCHED THEN INSERT (article_id, title, ts_ms) VALUES (s.article_id, s.title, s.ts_ms);`;

describe(RULE, () => {
  test('MERGE from an event table with no key on article_id', () => {
    const sql = merge('article_events s');
    const [f] = lintErrors(sql, RULE, { schema: schema() });
    assert.equal(f.severity, 'warning');
    assert.equal(sql.slice(f.start, f.end), 'article_events s');
    assert.match(f.message, /cannot affect row a second time/);
    const fixed = applyFix(sql, RULE, { schema: schema() });
    assert.match(fixed, /USING \(SELECT DISTINCT ON \(article_id\) \* FROM article_events ORDER BY article_id, ts_ms DESC\) AS s ON/);
    assertParses(fixed);
    assert.deepEqual(own(fixed), []);
  });

  test('MERGE from a subquery without dedup; the fix wraps it', () => {
    const sql = merge("(SELECT * FROM article_events WHERE ts_ms > 0) AS s");
    const [f] = own(sql);
    assert.ok(f);
    const fixed = applyFix(sql, RULE, { schema: schema() });
    assert.match(fixed, /FROM \(SELECT \* FROM article_events WHERE ts_ms > 0\) AS dedup ORDER BY/);
    assertParses(fixed);
    assert.deepEqual(own(fixed), []);
  });

  test('deduplicated sources are fine: DISTINCT ON, ROW_NUMBER, GROUP BY, keyed table, CTE', () => {
    assert.deepEqual(own(merge('(SELECT DISTINCT ON (article_id) * FROM article_events ORDER BY article_id, ts_ms DESC) s')), []);
    assert.deepEqual(own(merge('(SELECT * FROM (SELECT e.*, row_number() OVER (PARTITION BY article_id ORDER BY ts_ms DESC) rn FROM article_events e) x WHERE rn = 1) s')), []);
    assert.deepEqual(own(merge('(SELECT article_id, max(title) title, max(ts_ms) ts_ms FROM article_events GROUP BY article_id) s')), []);
    assert.deepEqual(own(merge('article_snapshot s')), []);
    assert.deepEqual(own(merge("(SELECT $1::text AS article_id, $2::text AS title, $3::bigint AS ts_ms) s")), [], 'one row');
    assert.deepEqual(own(merge('(SELECT x::text AS article_id, null AS title, 0 AS ts_ms FROM generate_series(1, 9) x) s')), [], 'series');
    assert.equal(own(merge("(SELECT unnest($1::text[]) AS article_id, 't' AS title, 0 AS ts_ms) s")).length, 1, 'unnest can repeat');
    assert.deepEqual(own(`WITH latest AS (SELECT DISTINCT ON (article_id) * FROM article_events ORDER BY article_id, ts_ms DESC) ${merge('latest s')}`), []);
  });

  test('an unknown source table is reported as info only', () => {
    const [f] = own(merge('somewhere_else s'));
    assert.equal(f.severity, 'info');
  });

  test('INSERT ... SELECT ... ON CONFLICT DO UPDATE from a keyless staging table', () => {
    const sql = `CREATE TEMP TABLE stage (article_id text, title text, ts_ms bigint) ON COMMIT DROP;
INSERT INTO articles (article_id, title, ts_ms) SELECT article_id, title, ts_ms FROM stage ON CONFLICT (article_id) DO UPDATE SET title = excluded.title WHERE excluded.ts_ms > articles.ts_ms;`;
    const [f] = lintErrors(sql, RULE, { schema: schema() });
    assert.match(f.message, /stage has no unique key/);
    const fixed = applyFix(sql, RULE, { schema: schema() });
    assert.match(fixed, /SELECT DISTINCT ON \(article_id\) article_id, title, ts_ms FROM stage ORDER BY article_id, ts_ms DESC ON CONFLICT/);
    assertParses(fixed);
    assert.deepEqual(own(fixed), []);
    // DO NOTHING keeps the first row per key: not this rule's business; unknown sources are not guessed
    assert.deepEqual(own(sql.replace(/DO UPDATE[^;]*/, 'DO NOTHING')), []);
    assert.deepEqual(own('INSERT INTO articles (article_id, title) SELECT article_id, title FROM elsewhere ON CONFLICT (article_id) DO UPDATE SET title = excluded.title;'), []);
  });
});
