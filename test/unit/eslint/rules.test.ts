/**
 * eslint-plugin-dupguard under ESLint's RuleTester, on a real-shaped project (a migration with the
 * tables, a .dupguard.json with a natural key, a TypeScript data layer parsed by @typescript-eslint/parser):
 * each rule reports what `dupguard lint` reports on the same project (id, message, range), its
 * preferred fix is the ESLint fix and the other fixes are suggestions; .dupguard.json is honoured.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RuleTester, type Linter } from 'eslint';
import plugin = require('../../../src/eslint/index');
import { main } from '../../../src/cli/main';
import { analyze } from '../../../src/engine/analyze';
import { ensureParser, loadSchemaFromDdl } from '../../../src/core/schema/ddl';
import { applyFixes } from '../../../src/core/fixes';
import { stripSnippet } from '../../../src/core/fixes';
import type { Finding } from '../../../src/core/types';

// (Its package types need node16 module resolution; the parser object is all RuleTester takes.)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tsParser = require('@typescript-eslint/parser') as Linter.Parser;
const project = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-eslint-rules-')));
const MIGRATION = `CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer_id int NOT NULL,
  external_ref text NOT NULL,
  total numeric(10,2),
  CONSTRAINT orders_external_ref_key UNIQUE (external_ref)
);
CREATE TABLE order_events (order_id bigint NOT NULL, kind text NOT NULL, at timestamptz NOT NULL);
`;
const ORDERS_TS = `import type { Pool } from 'pg';

export async function importOrder(pool: Pool, o: { customer: number; ref: string; total: number }) {
  await pool.query(
    \`INSERT INTO orders (customer_id, external_ref, total) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING\`,
    [o.customer, o.ref, o.total],
  );
}

export async function recordEvent(pool: Pool, orderId: number, kind: string) {
  await pool.query(\`INSERT INTO order_events (order_id, kind, at) VALUES ($1, $2, now()) ON CONFLICT DO NOTHING\`, [orderId, kind]);
}

export async function loadBatch(pool: Pool) {
  const staging = \`orders_staging_\${Date.now()}\`;
  await pool.query(\`CREATE TABLE \${staging} (LIKE orders)\`);
}

export async function addCustomer(pool: Pool, ref: string) {
  const found = await pool.query('SELECT id FROM orders WHERE external_ref = $1', [ref]);
  if (found.rowCount === 0) {
    await pool.query('INSERT INTO orders (customer_id, external_ref) VALUES (0, $1)', [ref]);
  }
}
`;
const CONFIG = { naturalKeys: { 'public.order_events': ['order_id', 'kind'] } };
fs.mkdirSync(path.join(project, 'migrations'));
fs.mkdirSync(path.join(project, 'src'));
fs.writeFileSync(path.join(project, 'migrations', '001_orders.sql'), MIGRATION);
fs.writeFileSync(path.join(project, '.dupguard.json'), JSON.stringify(CONFIG));
fs.writeFileSync(path.join(project, 'src', 'orders.ts'), ORDERS_TS);
const filename = path.join(project, 'src', 'orders.ts');

after(() => fs.rmSync(project, { recursive: true, force: true }));

// ESLint lints files under its cwd only (others get no config): work in the project, as a user does.
// RuleTester's own describe/it run each case inline (throwing), inside the node:test tests below,
// once the expectations are computed and the plugin's parser is loaded.
process.chdir(project);
const tester = new RuleTester({ languageOptions: { parser: tsParser, ecmaVersion: 2022, sourceType: 'module' } });

/** What `dupguard lint` reports for src/orders.ts, the whole project linted (its schema from the migration). */
interface CliFinding { rule: string; message: string; line: number; column: number; endLine: number; endColumn: number }
let cli: CliFinding[] = [];
/** The analyzer's findings with their fixes (offsets), to know each finding's preferred fix. */
let findings: Finding[] = [];

before(async () => {
  await plugin.ready();
  let out = '';
  const code = await main(['lint', '--format', 'json'], { stdout: (s) => { out += s; }, stderr: () => {}, cwd: project, env: {} });
  assert.equal(code, 1);
  cli = (JSON.parse(out) as { files: Array<{ path: string; findings: CliFinding[] }> }).files.find((f) => f.path === 'src/orders.ts')!.findings;
  await ensureParser();
  const schema = await loadSchemaFromDdl([{ path: 'migrations/001_orders.sql', text: MIGRATION }], { naturalKeys: CONFIG.naturalKeys });
  findings = analyze({ text: ORDERS_TS, path: filename, language: 'typescript', schema, config: CONFIG }).findings;
});

test('the plugin has one rule per dupguard rule that reads TS/JS, and a recommended flat config', () => {
  assert.deepEqual(Object.keys(plugin.rules ?? {}), [
    'on-conflict-without-target', 'copy-without-resume-strategy', 'on-conflict-target-without-unique-index', 'duplicate-keys-in-values',
    'upsert-without-ordering-guard', 'merge-source-not-deduplicated', 'unique-key-allows-null-duplicates', 'table-without-unique-key',
    'timestamp-staging-table-name', 'check-then-insert-race', 'unused-suppression',
  ]);
  const rec = plugin.configs.recommended;
  assert.equal(rec.plugins?.dupguard, plugin);
  assert.equal(rec.rules?.['dupguard/on-conflict-target-without-unique-index'], 'error');
  assert.equal(rec.rules?.['dupguard/on-conflict-without-target'], 'warn');
  for (const [id, r] of Object.entries(plugin.rules ?? {})) {
    assert.match(String((r as { meta?: { docs?: { url?: string } } }).meta?.docs?.url), new RegExp(`/docs/rules/${id}\\.md$`));
  }
});

test('the project and the CLI agree on the findings the cases below expect', () => {
  assert.deepEqual(cli.map((f) => f.rule), ['on-conflict-without-target', 'on-conflict-without-target', 'timestamp-staging-table-name', 'check-then-insert-race']);
  assert.deepEqual(findings.map((f) => f.rule), cli.map((f) => f.rule));
});

/** The suggestions ESLint must offer for a finding: every fix but the unattended preferred one, placeholders as their defaults. */
function suggestionsOf(code: string, f: Finding) {
  const preferred = f.fixes.find((x) => x.preferred && !x.snippet);
  return f.fixes.filter((x) => x !== preferred).map((x) => ({
    desc: x.title,
    output: applyFixes(code, [{ ...x, edits: x.edits.map((e) => ({ ...e, newText: stripSnippet(e.newText) })) }]),
  }));
}

/** The RuleTester error for each CLI finding of `rule`: same message and range; suggestions from the other fixes. */
function errorsOf(rule: string) {
  return cli.flatMap((c, i) => (c.rule !== rule ? [] : [{
    message: c.message, line: c.line, column: c.column, endLine: c.endLine, endColumn: c.endColumn, suggestions: suggestionsOf(ORDERS_TS, findings[i]),
  }]));
}

test('on-conflict-without-target: messages and ranges as the CLI, the preferred fix as ESLint fix, the others as suggestions', () => {
  tester.run('on-conflict-without-target', plugin.rules!['on-conflict-without-target'], {
    valid: [
      { filename, code: 'await pool.query(`INSERT INTO orders (customer_id, external_ref) VALUES ($1, $2) ON CONFLICT (external_ref) DO NOTHING`);' },
      { filename, code: "const label = `ON CONFLICT DO NOTHING is what we avoid`;" },
      { filename, code: '// dupguard-ignore on-conflict-without-target: the import table dedupes later\nawait pool.query(`INSERT INTO order_events (order_id, kind, at) VALUES (1, $1, now()) ON CONFLICT DO NOTHING`);' },
    ],
    invalid: [
      {
        filename,
        code: ORDERS_TS,
        // The preferred fix (the table's one unique key) is ESLint's fix, as `dupguard lint --fix` applies
        // it. The configured natural key of order_events has no unique index in the DDL: naming it would
        // fail with 42P10 (and on-conflict-target-without-unique-index would say so), so it is not offered.
        output: ORDERS_TS.replace('$3) ON CONFLICT DO NOTHING', '$3) ON CONFLICT (external_ref) DO NOTHING'),
        errors: errorsOf('on-conflict-without-target'),
      },
    ],
  });
});

test('timestamp-staging-table-name and check-then-insert-race: host-code rules, their fixes', () => {
  tester.run('timestamp-staging-table-name', plugin.rules!['timestamp-staging-table-name'], {
    valid: [{ filename, code: 'const staging = `orders_staging_${crypto.randomUUID().replaceAll("-", "")}`;\nawait pool.query(`CREATE TABLE ${staging} (LIKE orders)`);' }],
    invalid: [{ filename, code: ORDERS_TS, output: ORDERS_TS.replace('${Date.now()}', "${crypto.randomUUID().replaceAll('-', '')}"), errors: errorsOf('timestamp-staging-table-name') }],
  });
  tester.run('check-then-insert-race', plugin.rules!['check-then-insert-race'], {
    valid: [{ filename, code: "async function f(pool, ref) { await pool.query('INSERT INTO orders (customer_id, external_ref) VALUES (0, $1) ON CONFLICT (external_ref) DO NOTHING', [ref]); }" }],
    invalid: [{
      filename,
      code: ORDERS_TS,
      output: ORDERS_TS.replace("VALUES (0, $1)'", "VALUES (0, $1) ON CONFLICT (external_ref) DO NOTHING'"),
      errors: errorsOf('check-then-insert-race'),
    }],
  });
});

test('.dupguard.json is honoured: the nearest one above the file turns a rule off and adds a function', () => {
  // A sub-project whose config turns the rule off and names a function whose argument is SQL.
  const quiet = path.join(project, 'legacy');
  fs.mkdirSync(quiet, { recursive: true });
  fs.writeFileSync(path.join(quiet, '.dupguard.json'), JSON.stringify({ rules: { 'on-conflict-without-target': 'off' }, embedded: { functions: ['runSql'] } }));
  const quietFile = path.join(quiet, 'load.ts');
  tester.run('on-conflict-without-target (off in .dupguard.json)', plugin.rules!['on-conflict-without-target'], {
    valid: [{ filename: quietFile, code: ORDERS_TS }],
    invalid: [],
  });
  // A CREATE TABLE in a string is SQL only when passed to a query function: runSql is one in legacy/ only.
  const create = "runSql('CREATE TABLE audit_rows (at timestamptz, line text)');";
  const [found] = analyze({ text: create, language: 'typescript', config: { embedded: { functions: ['runSql'] } } }).findings;
  assert.equal(found?.rule, 'table-without-unique-key');
  tester.run('table-without-unique-key (a configured function)', plugin.rules!['table-without-unique-key'], {
    valid: [{ filename, code: create }],
    invalid: [{ filename: quietFile, code: create, errors: [{ message: /^audit_rows has no primary key or unique constraint/, suggestions: suggestionsOf(create, found) }] }],
  });
});
