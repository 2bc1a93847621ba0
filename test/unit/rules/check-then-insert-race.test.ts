import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits, lint } from '../helpers';
import { extractEmbeddedSql } from '../../../src/embedded/extract';
import { functionBodies } from '../../../src/rules/check-then-insert-race';
import { significantTokens } from '../../../src/embedded/jsTokens';
import { neutralizePlaceholders, tryParse } from '../../../src/core/schema/pg';
import { ddl, loadParsers } from './schemaHelpers';

const RULE = 'check-then-insert-race';

before(loadParsers);

const own = (ts: string, opts = {}) => lint(ts, { path: 'src/users.ts', ...opts }).filter((f) => f.rule === RULE);

// seed 003: users added to a discipline after a lookup, racing during sprint transitions
const addUser = `export async function addUser(db: Pool, slackId: string, discipline: string): Promise<void> {
  const { rows } = await db.query('SELECT id FROM users WHERE slack_id = $1 AND discipline = $2', [slackId, discipline]);
  if (rows.length === 0) {
    await db.query('INSERT INTO users (slack_id, discipline, name) VALUES ($1, $2, $3)', [slackId, discipline, 'x']);
  }
}
`;

describe(RULE, () => {
  test('SELECT by (slack_id, discipline) then INSERT in the same function (seed 003)', () => {
    const [f] = own(addUser);
    assert.ok(f, 'expected a finding');
    assert.equal(f.severity, 'warning');
    assert.equal(addUser.slice(f.start, f.end), 'INSERT INTO users');
    assert.match(f.message, /both insert, and the table gets duplicate rows/);
    assert.equal(f.related?.[0].location.line, 2);
    const fixed = applyEdits(addUser, f.fixes[0]);
    assert.match(fixed, /VALUES \(\$1, \$2, \$3\) ON CONFLICT \(slack_id, discipline\) DO NOTHING'/);
    for (const r of extractEmbeddedSql(fixed, 'typescript')) assert.ok(tryParse(neutralizePlaceholders(r.text).text), r.text);
    assert.deepEqual(own(fixed), []);
  });

  test('with a known unique key the message says 23505 and the fix uses the key', () => {
    const schema = ddl('create table users (id serial primary key, slack_id text, discipline text, name text, unique (slack_id, discipline));');
    const [f] = own(addUser, { schema });
    assert.match(f.message, /23505/);
  });

  test('tagged templates, arrow functions, class methods, EXISTS checks, RETURNING', () => {
    const ts = `class Repo {
  async ensure(tag: string) {
    const found = await sql\`SELECT EXISTS (SELECT 1 FROM tags WHERE name = \${tag})\`;
    if (!found) return sql\`INSERT INTO tags (name) VALUES (\${tag}) RETURNING id\`;
  }
}
const f = async (id) => { const r = await db.query('select * from orders where ext_id = $1', [id]); if (!r.rowCount) await db.query('insert into orders (ext_id) values ($1)', [id]); };
`;
    const found = own(ts);
    assert.equal(found.length, 2);
    const fixed = applyEdits(ts, found[0].fixes[0]);
    assert.match(fixed, /VALUES \(\$\{tag\}\) ON CONFLICT \(name\) DO NOTHING RETURNING id/);
  });

  test('the fix escapes quoted identifiers for the JS string it goes into', () => {
    const ts = 'async function a(db, id) { await db.query("SELECT 1 FROM users WHERE \\"slackId\\" = $1", [id]);\n  await db.query("INSERT INTO users (\\"slackId\\") VALUES ($1)", [id]); }';
    const [f] = own(ts);
    assert.ok(f, 'expected a finding');
    const fixed = applyEdits(ts, f.fixes[0]);
    assert.ok(fixed.includes('VALUES ($1) ON CONFLICT (\\"slackId\\") DO NOTHING"'), fixed);
    assert.doesNotThrow(() => new Function(`return async () => { ${fixed.replace(/^async function a\(db, id\) \{|\}$/g, '')} }`));
    assert.deepEqual(own(fixed), []);
  });

  test('different functions, different tables, ON CONFLICT, advisory lock, other columns: no finding', () => {
    assert.deepEqual(own(`async function a(db) { await db.query('SELECT id FROM users WHERE slack_id = $1', [1]); }
async function b(db) { await db.query('INSERT INTO users (slack_id) VALUES ($1)', [1]); }`), []);
    assert.deepEqual(own(`async function a(db) { await db.query('SELECT id FROM teams WHERE slack_id = $1', [1]);
  await db.query('INSERT INTO users (slack_id) VALUES ($1)', [1]); }`), []);
    assert.deepEqual(own(`async function a(db) { await db.query('SELECT id FROM users WHERE slack_id = $1', [1]);
  await db.query('INSERT INTO users (slack_id) VALUES ($1) ON CONFLICT (slack_id) DO NOTHING', [1]); }`), []);
    assert.deepEqual(own(`async function a(db) { await db.query('SELECT pg_advisory_xact_lock(42)');
  await db.query('SELECT id FROM users WHERE slack_id = $1', [1]);
  await db.query('INSERT INTO users (slack_id) VALUES ($1)', [1]); }`), []);
    assert.deepEqual(own(`async function a(db) { await db.query('SELECT id FROM users WHERE slack_id = $1', [1]);
  await db.query('INSERT INTO users (name) VALUES ($1)', [1]); }`), []);
    assert.deepEqual(own(`async function a(db) { await db.query('INSERT INTO users (slack_id) VALUES ($1)', [1]);
  await db.query('SELECT id FROM users WHERE slack_id = $1', [1]); }`), [], 'INSERT before SELECT is not a check');
  });

  test('a regex literal holding a brace or a quote does not end the function (the host token stream knows regexes)', () => {
    const withRegex = addUser.replace('  const { rows }', "  const slug = slackId.replace(/[}'\\]/g, '');\n  const { rows }");
    assert.equal(own(withRegex).length, 1);
    const ts = "function f(a) { const r = /}/; g(); }\nfunction h() { return 1; }";
    assert.deepEqual(functionBodies(ts, significantTokens(ts, 'typescript')).map(([s, e]) => ts.slice(s, e)), ['{ const r = /}/; g(); }', '{ return 1; }']);
  });

  test('function bodies: control blocks and object literals are not functions', () => {
    const ts = 'function f(a) { if (a) { x(); } const o = { k: 1 }; }\nconst g = (b): Promise<Array<number>> => { return b; };\nclass C { m(): void { for (const x of y) { } } }';
    const bodies = functionBodies(ts, significantTokens(ts, 'typescript')).map(([s, e]) => ts.slice(s, e).slice(0, 12));
    assert.deepEqual(bodies.sort(), ['{ for (const', '{ if (a) { x', '{ return b; ', ].sort());
  });
  test('an INSERT whose conditional conflict clause is ON CONFLICT in every branch is no plain insert; one plain branch still is', () => {
    const branched = `export async function saveTag(pool: Pool, tag: { slug: string; label: string }, overwrite: boolean) {
  const conflict = overwrite
    ? 'ON CONFLICT (slug) DO UPDATE SET label = EXCLUDED.label'
    : 'ON CONFLICT (slug) DO NOTHING';
  const found = await pool.query('SELECT 1 FROM tags WHERE slug = $1', [tag.slug]);
  if (found.rowCount) return false;
  await pool.query(\`INSERT INTO tags (slug, label) VALUES ($1, $2) \${conflict}\`, [tag.slug, tag.label]);
  return true;
}
`;
    assert.deepEqual(own(branched), []);
    const onePlain = branched.replace("'ON CONFLICT (slug) DO NOTHING'", "''");
    const [f] = own(onePlain);
    assert.ok(f, 'the branch without ON CONFLICT races');
    assert.equal(onePlain.slice(f.start, f.end), 'INSERT INTO tags');
  });
});
