/**
 * The schema-aware rules on real code nobody here wrote: every migration project of the corpus is
 * linted against the schema built from its own migrations. Counts are exact so that a new false
 * positive (or a lost true positive) shows up as a failure to review.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../../src/engine/analyze';
import { buildSchemaFromDdl } from '../../../src/core/schema/ddl';
import { loadParsers } from './schemaHelpers';

const corpus = path.resolve(__dirname, '../../../../shared/corpus');
const skip = !fs.existsSync(path.join(corpus, 'migrations')) && 'corpus absent: ../shared/corpus';

const RULES = [
  'on-conflict-target-without-unique-index', 'duplicate-keys-in-values', 'upsert-without-ordering-guard',
  'merge-source-not-deduplicated', 'unique-key-allows-null-duplicates', 'table-without-unique-key',
  'timestamp-staging-table-name', 'check-then-insert-race',
];

before(loadParsers);

function lintProject(name: string, searchPath: string[]): Array<{ file: string; rule: string; text: string }> {
  const dir = path.join(corpus, 'migrations', name);
  const files = fs.readdirSync(dir).sort().map((f) => ({ path: path.join(dir, f), text: fs.readFileSync(path.join(dir, f), 'utf8') }));
  const schema = buildSchemaFromDdl(files, { searchPath });
  const out: Array<{ file: string; rule: string; text: string }> = [];
  for (const f of files) {
    for (const x of analyze({ path: f.path, text: f.text, schema }).findings) {
      if (RULES.includes(x.rule)) out.push({ file: path.basename(f.path), rule: x.rule, text: f.text.slice(x.start, x.end) });
    }
  }
  return out;
}

test('migrations: only the reviewed composite keys over nullable scoping columns are reported', { skip }, () => {
  const found = [
    ...lintProject('graphile-worker', ['graphile_worker']),
    ...lintProject('supabase-auth', ['auth']),
    ...lintProject('supabase-postgres', ['public']),
    ...lintProject('supabase-storage', ['public']),
    ...lintProject('trigger-dev', ['public']),
  ];
  const summary = found.map((f) => `${f.rule} ${f.file}`).sort();
  assert.deepEqual(summary, [
    'unique-key-allows-null-duplicates 20230426150713_add_support_for_projects__migration.sql',
    'unique-key-allows-null-duplicates 20250114153223_task_run_waitpoint_unique_constraint_added_batch_index__migration.sql',
    'unique-key-allows-null-duplicates 20260306102053_error_group_state__migration.sql',
    'unique-key-allows-null-duplicates 20260310155049_add_llm_pricing_tables__migration.sql',
    'unique-key-allows-null-duplicates migrations__db__init-scripts__00000000000002-storage-schema.sql',
    'unique-key-allows-null-duplicates migrations__multitenant__0008-tenants-s3-credentials.sql',
    'unique-key-allows-null-duplicates migrations__multitenant__0026-improve-shard-reservation-partial-index.sql',
    'unique-key-allows-null-duplicates migrations__tenant__0002-storage-schema.sql',
  ], summary.join('\n'));
  // every ON CONFLICT target in these migrations matches a real key of the built schema
  assert.ok(!found.some((f) => f.rule === 'on-conflict-target-without-unique-index'));
  const s3 = found.find((f) => f.file.includes('tenants-s3-credentials'));
  assert.equal(s3?.text, 'CREATE UNIQUE INDEX IF NOT EXISTS tenants_s3_credentials_access_key_idx ON tenants_s3_credentials(tenant_id, access_key)');
});

test('pg_dump output (pagila, neon samples): every table is keyed, nothing reported', { skip: !fs.existsSync(path.join(corpus, 'dumps')) && 'corpus absent: ../shared/corpus' }, () => {
  for (const f of fs.readdirSync(path.join(corpus, 'dumps'))) {
    const text = fs.readFileSync(path.join(corpus, 'dumps', f), 'utf8');
    const mine = analyze({ path: f, text }).findings.filter((x) => RULES.includes(x.rule));
    assert.deepEqual(mine.map((x) => `${x.rule}: ${text.slice(x.start, x.end)}`), [], f);
  }
});
