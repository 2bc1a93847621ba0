/**
 * Executed SQL versus expected output: the classifier reads the syntax around each embedded literal.
 * Each class has a real-shaped example (the corpus project it was seen in) and a second, different spelling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyExecution, hostContext, isExecuted, type ExecutionKind } from '../../../src/embedded/context';

/** Classifies the literal that contains `marker` (the first occurrence). */
function kindAt(host: string, marker: string, path?: string): ExecutionKind {
  const at = host.indexOf(marker);
  assert.ok(at >= 0, `marker ${marker} in host`);
  return classifyExecution(hostContext(host, { path }), at).kind;
}

test('arguments of expect(...) matchers are expected output (mikro-orm toEqual, jest toHaveBeenCalledWith, inline snapshot)', () => {
  const mikro = `import { expect, test } from 'vitest';
test('x', () => {
  expect(qb.getQuery()).toEqual('insert into "author2" ("name") values (?) on conflict do nothing returning "id"');
  expect(qb.compile()).toEqual({
    sql: 'insert into "baz" default values on conflict do nothing',
    params: [],
  });
  expect(mockQuery).toHaveBeenCalledWith('INSERT INTO jobs (id) VALUES ($1) ON CONFLICT DO NOTHING', [1]);
  expect(format(q)).toMatchInlineSnapshot(\`"INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING"\`);
  await expect(run()).resolves.toBe('INSERT INTO z VALUES (1) ON CONFLICT DO NOTHING');
});`;
  assert.equal(kindAt(mikro, 'insert into "author2"'), 'expected-output');
  assert.equal(kindAt(mikro, 'insert into "baz"'), 'expected-output');
  assert.equal(kindAt(mikro, 'INSERT INTO jobs'), 'expected-output');
  assert.equal(kindAt(mikro, '"INSERT INTO t VALUES'), 'expected-output');
  assert.equal(kindAt(mikro, 'INSERT INTO z'), 'expected-output');
  const ctx = classifyExecution(hostContext(mikro), mikro.indexOf('insert into "baz"'));
  assert.match(ctx.evidence[0].reason, /expect\(\.\.\.\)\.toEqual/);
  assert.equal(ctx.testFile, true);
  assert.equal(isExecuted(ctx), false);
});

test('SQL executed inside an expectation stays executed (the innermost client call decides)', () => {
  const host = `it('inserts', async () => {
  expect(await db.query('INSERT INTO a (id) VALUES (1) ON CONFLICT DO NOTHING')).toEqual({ rowCount: 1 });
  assert.equal((await client.query(\`INSERT INTO b (id) VALUES (2) ON CONFLICT DO NOTHING\`)).rowCount, 1);
  t.is(await run(db, 'INSERT INTO c (id) VALUES (3) ON CONFLICT DO NOTHING'), 1);
  await expect(committedTx.sql\`INSERT INTO d VALUES (1) ON CONFLICT DO NOTHING\`).rejects.toThrow('Transaction is closed');
  expect(await sql\`INSERT INTO e VALUES (1) ON CONFLICT DO NOTHING RETURNING id\`).toHaveLength(1);
});`;
  assert.equal(kindAt(host, 'INSERT INTO a'), 'executed');
  assert.equal(kindAt(host, 'INSERT INTO b'), 'executed');
  assert.equal(kindAt(host, 'INSERT INTO c'), 'executed');
  // A tagged template runs when awaited (PGlite's tx.sql, postgres.js): the subject of expect(...) is executed.
  assert.equal(kindAt(host, 'INSERT INTO d'), 'unknown');
  assert.equal(kindAt(host, 'INSERT INTO e'), 'unknown');
});

test('assertion libraries: node:assert, ava t.is/t.deepEqual, chai expect(...).to.equal', () => {
  const host = `import assert from 'node:assert/strict';
assert.equal(builder.toString(), 'INSERT INTO a VALUES (1) ON CONFLICT DO NOTHING');
assert.deepStrictEqual(compile(q), { text: 'INSERT INTO b VALUES ($1) ON CONFLICT DO NOTHING', values: [1] });
t.is(query.sql, 'INSERT INTO c VALUES (?) ON CONFLICT DO NOTHING');
t.deepEqual(query, ['INSERT INTO d VALUES (?) ON CONFLICT DO NOTHING']);
expect(sql).to.equal('INSERT INTO e VALUES (1) ON CONFLICT DO NOTHING');
`;
  for (const table of ['a', 'b', 'c', 'd', 'e']) assert.equal(kindAt(host, `INSERT INTO ${table} `), 'expected-output', table);
});

test('expectSql-style helpers (orchid-orm expectSql, sequelize expectsql) mark their SQL arguments as expected', () => {
  const orchid = `expectSql(
  query.toSQL(),
  \`
    INSERT INTO "schema"."message" AS "Message"("message_key") VALUES ($1)
    ON CONFLICT DO NOTHING
  \`,
);
expectsql(sql.insertQuery('User', { id: 1 }, {}, { ignoreDuplicates: true }), {
  postgres: 'INSERT INTO "User" ("id") VALUES ($1) ON CONFLICT DO NOTHING;',
  mysql: 'INSERT IGNORE INTO \`User\` (\`id\`) VALUES ($1);',
});`;
  assert.equal(kindAt(orchid, 'INSERT INTO "schema"'), 'expected-output');
  assert.equal(kindAt(orchid, 'INSERT INTO "User"'), 'expected-output');
  assert.equal(kindAt(orchid, 'INSERT IGNORE'), 'expected-output');
});

test('values of expected keys and SQL keys in test tables (node-sql-parser, typesql) are expected output in test files only', () => {
  const parserSpec = `describe('postgres', () => {
  const SQL_LIST = [
    {
      title: 'insert with on conflict do nothing',
      sql: [
        \`insert into table1 (id) values ($id) on conflict do nothing\`,
        'INSERT INTO "table1" (id) VALUES ($id) ON CONFLICT DO NOTHING'
      ]
    },
  ];
  it('x', () => {});
});`;
  assert.equal(kindAt(parserSpec, 'insert into table1', 'test/postgres.spec.js'), 'expected-output');
  assert.equal(kindAt(parserSpec, 'INSERT INTO "table1"', 'test/postgres.spec.js'), 'expected-output');
  const typesql = `it('WITH ins AS (INSERT ...)', async () => {
  const expected: PostgresSchemaDef = {
    sql: \`WITH ins AS ( INSERT INTO mytable1(value) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id ) SELECT id FROM ins\`,
    queryType: 'Select',
  };
  assert.deepStrictEqual(actual.value, expected);
});`;
  assert.equal(kindAt(typesql, 'WITH ins AS ( INSERT'), 'expected-output');
  // The same object shape outside a test file is a query config object: nothing says it is not run.
  const app = `const statements = [
  { name: 'seed', sql: 'INSERT INTO roles (name) VALUES ($1) ON CONFLICT DO NOTHING' },
];
for (const s of statements) await pool.query(s.sql);`;
  assert.equal(kindAt(app, 'INSERT INTO roles', 'src/seed.ts'), 'unknown');
  const config = `await connection.execute({ sql: 'INSERT INTO t (a) VALUES (?) ON DUPLICATE KEY UPDATE a = a', values: [1] });`;
  assert.equal(kindAt(config, 'INSERT INTO t', 'test/db.test.ts'), 'executed');
});

test('strings handed to parsers and describers are parser input; a binding is followed to its uses (one hop)', () => {
  const typesql = `it('WITH ins', async () => {
  const sql = \`WITH ins AS ( INSERT INTO mytable1(value) VALUES (:value) ON CONFLICT DO NOTHING RETURNING id ) SELECT id FROM ins\`;
  const actual = await describeQuery(client, sql, schemaInfo);
});`;
  assert.equal(kindAt(typesql, 'WITH ins AS ('), 'parser-input');
  const nodeSqlParser = `const ast = parser.astify('INSERT INTO t1 (c1) VALUES (1) ON CONFLICT DO NOTHING', { database: 'postgresql' });
const again = parse("INSERT INTO t2 VALUES (1) ON CONFLICT DO NOTHING");`;
  assert.equal(kindAt(nodeSqlParser, 'INSERT INTO t1'), 'parser-input');
  assert.equal(kindAt(nodeSqlParser, 'INSERT INTO t2'), 'parser-input');
  const executed = `const q = 'INSERT INTO t3 VALUES (1) ON CONFLICT DO NOTHING';
console.log(parse(q));
await pool.query(q);`;
  assert.equal(kindAt(executed, 'INSERT INTO t3'), 'executed', 'any executing use wins');
  const expectedName = `const expectedSql = 'INSERT INTO t4 VALUES (1) ON CONFLICT DO NOTHING';
check(expectedSql);`;
  assert.equal(kindAt(expectedName, 'INSERT INTO t4'), 'expected-output');
});

test('test doubles and test titles are not executed (logto createTestPool, it("... ON CONFLICT DO NOTHING"))', () => {
  const logto = `it('supports onConflict do nothing', async () => {
  const pool = createTestPool([...expectInsertIntoSql, 'on conflict do nothing'].join('\\n'));
  const client = createMockClient(\`INSERT INTO x VALUES (1) ON CONFLICT DO NOTHING\`);
});
test('INSERT INTO y ON CONFLICT DO NOTHING is idempotent', async () => {});`;
  assert.equal(kindAt(logto, 'on conflict do nothing\''), 'expected-output');
  assert.equal(kindAt(logto, 'INSERT INTO x'), 'expected-output');
  assert.equal(kindAt(logto, 'INSERT INTO y'), 'test-title');
});

test('plain executed shapes: client calls, tagged templates, query config objects, one-hop constants', () => {
  const host = `await pool.query('INSERT INTO a VALUES (1) ON CONFLICT DO NOTHING');
await client.query({ text: 'INSERT INTO b VALUES ($1) ON CONFLICT DO NOTHING', values: [1] });
const q = \`INSERT INTO c VALUES ($1) ON CONFLICT DO NOTHING\`;
await db.none(q, [1]);
await sql\`INSERT INTO d VALUES (1) ON CONFLICT DO NOTHING\`;
db.prepare('INSERT OR IGNORE INTO e VALUES (?)').run(1);
`;
  assert.equal(kindAt(host, 'INSERT INTO a'), 'executed');
  assert.equal(kindAt(host, 'INSERT INTO b'), 'executed');
  assert.equal(kindAt(host, 'INSERT INTO c'), 'executed');
  assert.equal(kindAt(host, 'INSERT INTO d'), 'unknown');
  assert.equal(kindAt(host, 'INSERT OR IGNORE'), 'executed');
  assert.equal(isExecuted(classifyExecution(hostContext(host), host.indexOf('INSERT INTO d'))), true);
});

test('never throws on broken hosts and offsets outside literals', () => {
  const broken = "expect(x).toEqual('INSERT INTO a ON CONFLICT DO NOTHING";
  assert.equal(kindAt(broken, 'INSERT'), 'expected-output');
  const ctx = hostContext('const a = 1;');
  assert.equal(classifyExecution(ctx, 5).kind, 'unknown');
  assert.equal(classifyExecution(ctx, 500).kind, 'unknown');
  assert.equal(classifyExecution(hostContext(')))]]}}}'), 2).kind, 'unknown');
});
