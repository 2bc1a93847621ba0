/**
 * Every quick fix of every schema-aware rule, on the seed scenarios: the fixed text still parses
 * with PostgreSQL's grammar, and linting it again shows one finding fewer for that rule.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits, lint } from '../helpers';
import type { SchemaModel } from '../../../src/core/schema';
import { extractEmbeddedSql } from '../../../src/embedded/extract';
import { neutralizePlaceholders, tryParse } from '../../../src/core/schema/pg';
import { ddl, loadParsers } from './schemaHelpers';

before(loadParsers);

const seedSchema = () =>
  ddl(
    `create table users (id serial primary key, slack_id text unique, discipline text, name text);
     create table sprints (id serial primary key, sprint_index int, starts date);
     create table articles (article_id text primary key, title text, ts_ms bigint);
     create table article_events (article_id text, title text, ts_ms bigint);
     create table tags (task_pk int not null, tag_pk int not null, email text);`,
    `alter table users drop constraint users_slack_id_key;
     alter table users add constraint users_slack_discipline_unique unique (slack_id, discipline);
     create unique index idx_sprints_active_unique on sprints (sprint_index) where sprint_index is not null;
     alter table tags add constraint task_tags_unique unique (task_pk, tag_pk);`,
  );

interface Scenario {
  rule: string;
  text: string;
  path?: string;
  schema?: () => SchemaModel;
  config?: { naturalKeys?: Record<string, string[]> };
}

const scenarios: Scenario[] = [
  { rule: 'on-conflict-target-without-unique-index', schema: seedSchema, text: "INSERT INTO users (slack_id, discipline, name) VALUES ($1, $2, $3) ON CONFLICT (slack_id) DO UPDATE SET name = excluded.name;" },
  { rule: 'on-conflict-target-without-unique-index', schema: seedSchema, text: 'INSERT INTO sprints (sprint_index) VALUES (3) ON CONFLICT (sprint_index) DO NOTHING;' },
  { rule: 'on-conflict-target-without-unique-index', schema: seedSchema, text: 'INSERT INTO tags (task_pk, tag_pk) VALUES (1, 2) ON CONFLICT ON CONSTRAINT tags_pkey DO NOTHING;' },
  { rule: 'duplicate-keys-in-values', schema: seedSchema, text: "INSERT INTO articles (article_id, title, ts_ms) VALUES ('a', 'x', 1), ('b', 'y', 1), ('a', 'z', 2) ON CONFLICT (article_id) DO UPDATE SET title = excluded.title WHERE excluded.ts_ms > articles.ts_ms;" },
  { rule: 'duplicate-keys-in-values', schema: seedSchema, text: 'INSERT INTO tags (task_pk, tag_pk) VALUES (1, 2), (1, 2) ON CONFLICT (task_pk, tag_pk) DO NOTHING;' },
  { rule: 'duplicate-keys-in-values', schema: seedSchema, text: "INSERT INTO articles (article_id) VALUES ('q'), ('q');" },
  { rule: 'duplicate-keys-in-values', schema: seedSchema, text: "MERGE INTO articles t USING (VALUES ('a', 1), ('a', 2)) AS s(article_id, ts_ms) ON t.article_id = s.article_id WHEN MATCHED AND s.ts_ms > t.ts_ms THEN UPDATE SET ts_ms = s.ts_ms;" },
  { rule: 'upsert-without-ordering-guard', schema: seedSchema, text: 'INSERT INTO articles (article_id, title, ts_ms) VALUES ($1, $2, $3) ON CONFLICT (article_id) DO UPDATE SET title = excluded.title, ts_ms = excluded.ts_ms;' },
  { rule: 'upsert-without-ordering-guard', schema: seedSchema, text: 'MERGE INTO articles t USING article_events s ON t.article_id = s.article_id WHEN MATCHED THEN UPDATE SET ts_ms = s.ts_ms WHEN NOT MATCHED THEN DO NOTHING;' },
  { rule: 'merge-source-not-deduplicated', schema: seedSchema, text: 'MERGE INTO articles t USING article_events s ON t.article_id = s.article_id WHEN MATCHED AND s.ts_ms > t.ts_ms THEN UPDATE SET ts_ms = s.ts_ms WHEN NOT MATCHED THEN INSERT VALUES (s.article_id, s.title, s.ts_ms);' },
  { rule: 'merge-source-not-deduplicated', text: 'MERGE INTO tgt t USING (SELECT * FROM src) s ON t.k = s.k WHEN MATCHED THEN DELETE;' },
  { rule: 'merge-source-not-deduplicated', schema: seedSchema, text: 'CREATE TEMP TABLE st (article_id text, ts_ms bigint); INSERT INTO articles (article_id, ts_ms) SELECT article_id, ts_ms FROM st ON CONFLICT (article_id) DO UPDATE SET ts_ms = excluded.ts_ms WHERE excluded.ts_ms > articles.ts_ms;' },
  { rule: 'unique-key-allows-null-duplicates', text: 'CREATE TABLE o (s int NOT NULL, r text, CONSTRAINT o_u UNIQUE (s, r));' },
  { rule: 'unique-key-allows-null-duplicates', text: 'CREATE TABLE p (s int NOT NULL, r text); CREATE UNIQUE INDEX p_u ON p USING btree (s, r) WHERE s > 0;' },
  { rule: 'table-without-unique-key', text: 'CREATE TABLE task_photos (task_pk int, url text);' },
  { rule: 'table-without-unique-key', config: { naturalKeys: { task_photos: ['task_pk', 'url'] } }, text: 'CREATE TABLE task_photos (task_pk int, url text)' },
  { rule: 'timestamp-staging-table-name', path: 'load.ts', text: 'await c.query(`CREATE TABLE s_${Date.now()} (LIKE t)`); await c.query(`COPY s_${Date.now()} FROM STDIN`);' },
  { rule: 'check-then-insert-race', path: 'users.ts', text: "async function add(db, id) { const r = await db.query('SELECT 1 FROM users WHERE slack_id = $1', [id]); if (!r.rowCount) await db.query('INSERT INTO users (slack_id) VALUES ($1) RETURNING id', [id]); }" },
];

function parses(text: string, path: string | undefined): boolean {
  if (!path || path.endsWith('.sql')) return !!tryParse(text);
  return extractEmbeddedSql(text, 'typescript').every((r) => !!tryParse(neutralizePlaceholders(r.text).text));
}

test('every fix of every finding parses and removes its finding', () => {
  let fixesChecked = 0;
  for (const sc of scenarios) {
    const opts = { path: sc.path ?? 'q.sql', schema: sc.schema?.(), config: sc.config };
    const before = lint(sc.text, opts).filter((f) => f.rule === sc.rule);
    assert.ok(before.length > 0, `scenario should trigger ${sc.rule}: ${sc.text}`);
    for (const f of before) {
      assert.ok(f.fixes.length > 0, `${sc.rule} offers a fix`);
      assert.equal(f.fixes.filter((x) => x.preferred).length, 1, `${sc.rule}: exactly one preferred fix: ${sc.text}`);
      for (const fix of f.fixes) {
        const fixed = applyEdits(sc.text, fix);
        assert.ok(parses(fixed, sc.path), `${sc.rule} / ${fix.title}: fixed text must parse:\n${fixed}`);
        const after = lint(fixed, { ...opts, schema: sc.schema?.() }).filter((x) => x.rule === sc.rule);
        assert.equal(after.length, before.length - 1, `${sc.rule} / ${fix.title}: one finding fewer after the fix:\n${fixed}`);
        fixesChecked++;
      }
    }
  }
  assert.equal(fixesChecked, 22, "every scenario's fixes were exercised");
});
