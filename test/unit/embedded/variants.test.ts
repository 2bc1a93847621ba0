/**
 * The variant expander: each branch combination of an embedded region as its own SQL text, with an
 * exact map into the host (text from a branch maps into the branch literal). Every host shape has a
 * real-shaped example (the project it was seen in) and a second, different spelling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractEmbeddedSql } from '../../../src/embedded/extract';
import { hostTokens } from '../../../src/embedded/host-tokens';
import type { EmbeddedSql } from '../../../src/embedded/types';
import { expandVariants, findMoreSql, type SqlVariant } from '../../../src/embedded/variants';

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Every code unit outside placeholders maps to the same code unit in the host (or to an escape's backslash). */
function assertExactMap(host: string, v: EmbeddedSql): void {
  for (let i = 0; i < v.text.length; i++) {
    if (v.placeholders.some(([s, e]) => i >= s && i < e)) continue;
    const h = v.toHost(i);
    assert.ok(host[h] === v.text[i] || host[h] === '\\', `text[${i}] ${JSON.stringify(v.text[i])} maps to host[${h}] ${JSON.stringify(host[h])} in ${JSON.stringify(v.text)}`);
  }
  assert.ok(v.toHost(v.text.length) <= host.length);
}

/** The variants of the extracted region containing `marker`. */
function variantsOf(host: string, marker: string): SqlVariant[] {
  const regions = extractEmbeddedSql(host, 'typescript');
  const r = regions.find((x) => x.text.includes(marker));
  assert.ok(r, `a region contains ${marker}: ${regions.map((x) => JSON.stringify(x.text)).join(', ')}`);
  const out = expandVariants(hostTokens(host), r);
  for (const v of out) assertExactMap(host, v);
  return out;
}

/** Host offset of `needle` inside the variant's text, mapped back. */
function hostOf(v: SqlVariant, needle: RegExp): number {
  const m = needle.exec(v.text);
  assert.ok(m, `${needle} in ${JSON.stringify(v.text)}`);
  return v.toHost(m.index);
}

test('slonik conditionalSql(cond, (c) => c.ignore ? sql`...` : sql`...`) (logto insert-into): each branch and the empty one', () => {
  const host = `export const buildInsertIntoWithPool = (pool) => async (data) => {
  const { rows: [entry] } = await pool.query(sql\`
    insert into \${table} (\${sql.join(keys.map((key) => fields[key]), sql\`, \`)})
    values (\${sql.join(values, sql\`, \`)})
    \${conditionalSql(onConflict, (config) =>
      config.ignore
        ? sql\`
          on conflict do nothing
        \`
        : sql\`
          on conflict (\${sql.join(config.fields, sql\`, \`)}) do update
          set \${setExcluded(...config.setExcludedFields)}
        \`
    )}
    \${conditionalSql(returning, () => sql\`returning *\`)}
  \`);
};`;
  const vs = variantsOf(host, 'insert into');
  const texts = vs.map((v) => squash(v.text));
  assert.ok(texts.some((x) => /values \(\$\{_+\}\) on conflict do nothing returning \*$/.test(x)), texts.join('\n'));
  assert.ok(texts.some((x) => /on conflict \(\$\{_+\}\) do update set \$\{[^}]*\}/.test(x)), texts.join('\n'));
  assert.ok(texts.some((x) => /values \(\$\{_+\}\)$/.test(x)), 'the condition-false branch of both helpers');
  assert.ok(vs.length <= 8);
  // The finding's position lands in the branch literal.
  const ignore = vs.find((v) => /on conflict do nothing/.test(v.text))!;
  assert.equal(hostOf(ignore, /on conflict do nothing/), host.indexOf('on conflict do nothing'));
  assert.ok(ignore.choices.some((c) => c.label === 'then-branch'));

  // Second spelling: a helper taking the fragment itself, and `cond && sql\`...\``.
  const other = `await db.query(sql\`INSERT INTO events (id) VALUES (\${id}) \${when(opts.skipDuplicates, sql\`ON CONFLICT DO NOTHING\`)} \${withReturning && sql\`RETURNING id\`}\`);`;
  const vs2 = variantsOf(other, 'INSERT INTO events');
  const t2 = vs2.map((v) => squash(v.text));
  assert.ok(t2.includes('INSERT INTO events (id) VALUES (${id}) ON CONFLICT DO NOTHING RETURNING id'), t2.join('\n'));
  assert.ok(t2.includes('INSERT INTO events (id) VALUES (${id})'), t2.join('\n'));
});

test('nested tagged fragments are inlined (logto RelationQueries ${sql`on conflict do nothing`}; Prisma.sql)', () => {
  const host = `await this.pool.query(sql\`
  insert into \${this.table} (\${sql.join(columns, sql\`, \`)})
  values \${sql.join(rows.map((r) => sql\`(\${sql.join(r, sql\`, \`)})\`), sql\`, \`)}
  \${sql\`on conflict do nothing\`}
\`);`;
  const vs = variantsOf(host, 'insert into');
  assert.equal(vs.length, 1);
  assert.match(squash(vs[0].text), /values \$\{_+\} on conflict do nothing$/);
  assert.equal(hostOf(vs[0], /on conflict/), host.indexOf('on conflict'));
  assert.equal(vs[0].choices[0].label, 'inlined fragment');
  const prisma = "await prisma.$executeRaw`INSERT INTO \"Tag\" (name) VALUES (${name}) ${Prisma.sql`ON CONFLICT DO NOTHING`}`;";
  const vp = variantsOf(prisma, 'INSERT INTO "Tag"');
  assert.equal(squash(vp[0].text), 'INSERT INTO "Tag" (name) VALUES (${name}) ON CONFLICT DO NOTHING');
});

test('conditional string fragments: ${idempotent ? \'ON CONFLICT DO NOTHING\' : \'\'} and `cond && "..."`', () => {
  const host = "await client.query(`INSERT INTO jobs (id, payload) VALUES ($1, $2) ${idempotent ? 'ON CONFLICT DO NOTHING' : ''}`, [id, payload]);";
  const vs = variantsOf(host, 'INSERT INTO jobs');
  assert.deepEqual(vs.map((v) => squash(v.text)), [
    'INSERT INTO jobs (id, payload) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    'INSERT INTO jobs (id, payload) VALUES ($1, $2)',
  ]);
  assert.equal(hostOf(vs[0], /ON CONFLICT/), host.indexOf('ON CONFLICT'));
  const other = 'await pool.query(`insert into tags (name) values ($1) ${opts.skipDuplicates && "on conflict do nothing"} returning id`, [n]);';
  const vo = variantsOf(other, 'insert into tags');
  assert.deepEqual(vo.map((v) => squash(v.text)), ['insert into tags (name) values ($1) on conflict do nothing returning id', 'insert into tags (name) values ($1) returning id']);
});

test('one-hop constants holding a conditional (saltcorn const conflict = opts.x ? "on conflict do nothing " : "")', () => {
  const host = `export const insert = async (tbl, obj, opts = {}) => {
  const conflict = opts.onConflictDoNothing ? "on conflict do nothing " : "";
  const sql = \`insert into "\${schema}"."\${sqlsanitize(tbl)}"(\${fnameList}) values(\${valPosList.join()}) \${conflict}returning \${opts.noid ? "*" : "id"}\`;
  const { rows } = await client.query(sql, valList);
};`;
  const vs = variantsOf(host, 'insert into');
  const texts = vs.map((v) => squash(v.text));
  assert.ok(texts.some((x) => /values\(\$\{valPosList\.join\(\)\}\) on conflict do nothing returning (?:\*|id)$/.test(x)), texts.join('\n'));
  assert.ok(texts.some((x) => /values\(\$\{valPosList\.join\(\)\}\) returning (?:\*|id)$/.test(x)), texts.join('\n'));
  const withConflict = vs.find((v) => /on conflict/.test(v.text))!;
  assert.equal(hostOf(withConflict, /on conflict/), host.indexOf('on conflict'));
  // Second spelling: both branches are SQL, in template literals, used through a `+` chain.
  const other = `const clause = ignoreDuplicates ? \`ON CONFLICT DO NOTHING\` : \`ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body\`;
await pool.query('INSERT INTO notes (id, body) VALUES ($1, $2) ' + clause, [id, body]);`;
  const vo = variantsOf(other, 'INSERT INTO notes');
  assert.deepEqual(vo.map((v) => squash(v.text)), [
    'INSERT INTO notes (id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    'INSERT INTO notes (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body',
  ]);
  // A name bound twice is not one value: left as it is.
  const twice = `let c = "on conflict do nothing";
let c = "";
await pool.query(\`INSERT INTO t (a) VALUES (1) \${c}\`);`;
  assert.equal(variantsOf(twice, 'INSERT INTO t')[0].choices.length, 0);
});

test('`+` chains with non-literal operands keep going past the operand (placeholder of the same length)', () => {
  const host = "await this.db.none('INSERT INTO ' + this.table + ' (room_id, event_id) VALUES ($1, $2) ' + \"ON CONFLICT DO NOTHING\", [a, b]);";
  const vs = variantsOf(host, 'INSERT INTO');
  assert.equal(vs.length, 1);
  assert.equal(vs[0].text, 'INSERT INTO ${_______} (room_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING');
  assert.equal(hostOf(vs[0], /ON CONFLICT/), host.indexOf('ON CONFLICT'));
  assert.equal(vs[0].toHost(vs[0].text.indexOf('${')), host.indexOf('this.table'));
  const other = 'const q = `insert into ${schema}.audit (id) values ($1) ` + suffix() + `on conflict do nothing`;\nawait client.query(q, [id]);';
  const vo = variantsOf(other, 'insert into');
  assert.match(vo[0].text, /^insert into \$\{schema\}\.audit \(id\) values \(\$1\) \$\{_+\}on conflict do nothing$/);
});

test('[...].join(sep) of literals, inside a hole and as a whole query (logto expected lines, pg helpers)', () => {
  const host = "await client.query(`INSERT INTO t (a, b) VALUES ($1, $2) ${['ON CONFLICT', 'DO NOTHING'].join(' ')}`, [1, 2]);";
  const vs = variantsOf(host, 'INSERT INTO t');
  assert.equal(squash(vs[0].text), 'INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING');
  const whole = `const { rows } = await pool.query(
  [
    'insert into "custom_profile_fields" ("id", "name")',
    'values ($1, $2)',
    'on conflict do nothing',
    'returning *',
  ].join('\\n'),
  [id, name]
);`;
  // Its first line looks like SQL on its own, so the extractor found it: the variant is the whole joined text.
  const vw = variantsOf(whole, 'insert into "custom_profile_fields"');
  assert.equal(vw.length, 1);
  assert.equal(vw[0].text, 'insert into "custom_profile_fields" ("id", "name")\nvalues ($1, $2)\non conflict do nothing\nreturning *');
  assert.equal(vw[0].toHost(vw[0].text.indexOf('on conflict')), whole.indexOf('on conflict'));
  // A first line that does not look like a statement by itself: found by findMoreSql.
  const lines = "await db.query(['insert into audit', 'select * from staged', 'on conflict do nothing'].join(' '));";
  const found = findMoreSql(hostTokens(lines), extractEmbeddedSql(lines, 'typescript'));
  assert.equal(found.length, 1);
  assert.equal(found[0].text, 'insert into audit select * from staged on conflict do nothing');
  assert.equal(found[0].name, 'query');
  assertExactMap(lines, found[0]);
  assert.equal(found[0].toHost(found[0].text.indexOf('on conflict')), lines.indexOf('on conflict'));
});

test('query config objects and placeholder-led fragments the extractor misses ({ query }, { sql }, knex.raw("? on conflict do nothing"))', () => {
  const host = `const staging = \`\${table}_staging_\${Date.now()}\`;
await client.command({ query: \`CREATE TABLE \${staging} AS \${table}\` });
await conn.execute({ sql: 'INSERT INTO accounts (id) VALUES (?) ON CONFLICT DO NOTHING', args: [id] });
await client.query({ text: 'INSERT INTO already (id) VALUES ($1) ON CONFLICT DO NOTHING', values: [id] });
await knex.raw('? on conflict do nothing', [knex('users').insert(rows)]);
await knex.raw('? ON CONFLICT (email) DO NOTHING returning *', [knex('people').insert(rows)]);
const notSql = { query: 'hello world' };`;
  const existing = extractEmbeddedSql(host, 'typescript');
  const found = findMoreSql(hostTokens(host), existing);
  const texts = found.map((f) => `${f.name}: ${f.text}`);
  assert.deepEqual(texts, [
    // Each region as written (its interpolations as placeholders); its variants follow the constant.
    'command: CREATE TABLE ${staging} AS ${table}',
    'execute: INSERT INTO accounts (id) VALUES (?) ON CONFLICT DO NOTHING',
    // A fragment led by a bound placeholder reads as the INSERT it completes.
    'raw: INSERT INTO ${?} on conflict do nothing',
    'raw: INSERT INTO ${?} ON CONFLICT (email) DO NOTHING returning *',
  ].filter((x) => !existing.some((e) => x.endsWith(e.text))));
  // Every code unit outside the stand-in `INSERT INTO ${?}` maps onto the same code unit of the host.
  for (const f of found) {
    const lead = /^INSERT INTO \$\{\?\}/.exec(f.text)?.[0].length ?? 0;
    assertExactMap(host, { ...f, placeholders: lead ? [[0, lead], ...f.placeholders] : f.placeholders });
    if (lead) assert.equal(f.toHost(0), host.indexOf('?', f.hostStart - 1), 'the stand-in maps onto the ?');
  }
  assert.equal(found[0].placeholders.length, 2);
  const [staging] = expandVariants(hostTokens(host), found[0]);
  assert.equal(staging.text, 'CREATE TABLE ${table}_staging_${Date.now()} AS ${table}', 'the one-hop constant is followed: the staging name\'s clock shows');
  assertExactMap(host, staging);
});

test('bounded: many independent conditionals give at most 8 variants and every branch shows up', () => {
  const holes = Array.from({ length: 6 }, (_, i) => `\${c${i} ? 'A${i}' : 'B${i}'}`).join(' ');
  const host = `await pool.query(\`INSERT INTO t (a) VALUES (1) ${holes}\`);`;
  const vs = variantsOf(host, 'INSERT INTO t');
  assert.equal(vs.length, 8);
  for (let i = 0; i < 6; i++) {
    assert.ok(vs.some((v) => v.text.includes(`A${i}`)), `A${i}`);
    assert.ok(vs.some((v) => v.text.includes(`B${i}`)), `B${i}`);
  }
  assert.equal(expandVariants(hostTokens(host), extractEmbeddedSql(host, 'typescript')[0], { max: 3 }).length, 3);
});

test('nothing to expand: the region comes back unchanged; broken input never throws', () => {
  const host = "await pool.query(`INSERT INTO t (a) VALUES (${a}) ON CONFLICT DO NOTHING`);";
  const r = extractEmbeddedSql(host, 'typescript')[0];
  const vs = expandVariants(hostTokens(host), r);
  assert.equal(vs.length, 1);
  assert.equal(vs[0].text, r.text);
  assert.deepEqual(vs[0].choices, []);
  const broken = "await pool.query(`INSERT INTO t ${cond ? sql`ON CONFLICT DO NOTHING";
  for (const e of extractEmbeddedSql(broken, 'typescript')) expandVariants(hostTokens(broken), e);
  findMoreSql(hostTokens('({ query: `INSERT'), []);
});
