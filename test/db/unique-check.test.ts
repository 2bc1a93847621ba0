/**
 * The editor's data check (`unique-constraint-violated-by-data`) against a real PostgreSQL, with the
 * hostile migrations that once ran through it: a function name that closed the count query and
 * committed a CREATE TABLE, a valid partial index whose predicate terminated another session, and
 * names that try to break out of the catalog look-ups. Nothing from a file is ever executed: every
 * statement is single, sent through the extended protocol, and holds only catalog-verified names.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type DbSession } from '../../src/db/connect';
import { checkAddedKeys, findAddedUniqueKeys, type Queryable } from '../../src/vscode/database/uniqueDdl';
import { freshDb, referenceFigures } from './_db';

let url: string;
let admin: DbSession;

before(async () => {
  ({ url, session: admin } = await freshDb(`
    CREATE TABLE users (id serial PRIMARY KEY, email text, deleted_at timestamptz);
    INSERT INTO users (email) SELECT 'u' || (g % 40) || '@example.com' FROM generate_series(1, 100) g;
    INSERT INTO users (email) VALUES (NULL), (NULL);
    CREATE TABLE "Odd ""T""" ("Mixed Col" int, other text);
    INSERT INTO "Odd ""T""" VALUES (1, 'a'), (1, 'b'), (2, 'c');
    CREATE TABLE accounts (id int, name text);
    INSERT INTO accounts VALUES (1, 'A'), (2, 'a');
    CREATE UNIQUE INDEX accounts_lower_name ON accounts (lower(name)) WHERE id > 1;
  `, 'dguniq'));
});

after(async () => { await admin.close(); });

/** A session whose every statement is recorded as sent. */
async function recorded(): Promise<{ session: DbSession; db: Queryable; sent: { text: string; values: unknown[]; queryMode: string }[] }> {
  const session = await connect(url, { env: {}, applicationName: 'dupguard' });
  const sent: { text: string; values: unknown[]; queryMode: string }[] = [];
  const db: Queryable = {
    query: (config) => {
      sent.push(config);
      return session.client.query(config);
    },
  };
  return { session, db, sent };
}

async function relationCount(): Promise<number> {
  return Number((await admin.client.query('SELECT count(*) AS n FROM pg_class')).rows[0].n);
}

async function check(sql: string) {
  const keys = await findAddedUniqueKeys(sql);
  const r = await recorded();
  try {
    const outcomes = await checkAddedKeys(r.db, keys);
    return { keys, outcomes, sent: r.sent };
  } finally {
    await r.session.close();
  }
}

function assertNothingFromTheFile(sent: { text: string; queryMode: string }[], ...fragments: string[]): void {
  assert.ok(sent.length > 0);
  for (const q of sent) {
    assert.equal(q.queryMode, 'extended', q.text);
    for (const f of fragments) assert.ok(!q.text.toLowerCase().includes(f.toLowerCase()), `sent text holds "${f}": ${q.text}`);
  }
}

test('a function name that closes the count query (the COMMIT; CREATE TABLE payload) creates nothing', async () => {
  const before = await relationCount();
  const payload = 'CREATE UNIQUE INDEX i ON users (("lower(email))IS NOT NULL)s;COMMIT;CREATE TABLE pwned();--"(email)));';
  const { keys, outcomes, sent } = await check(payload);
  assert.equal(keys.length, 1, 'the payload parses as a unique index');
  assert.equal(outcomes[0].status, 'skipped');
  assert.match(outcomes[0].note ?? '', /not evaluated/);
  assertNothingFromTheFile(sent, 'pwned', 'commit', 'lower(');
  assert.equal((await admin.client.query(`SELECT to_regclass('pwned') AS r`)).rows[0].r, null);
  assert.equal(await relationCount(), before);
});

test('a valid partial index whose predicate calls pg_terminate_backend kills no session', async () => {
  const victim = await connect(url, { env: {}, applicationName: 'victim' });
  try {
    const pid = Number((await victim.client.query('SELECT pg_backend_pid() AS p')).rows[0].p);
    for (const sql of [
      `CREATE UNIQUE INDEX u_live ON users (email) WHERE CASE WHEN pg_terminate_backend(${pid}) THEN true ELSE true END;`,
      `CREATE UNIQUE INDEX u_expr ON users ((CASE WHEN pg_terminate_backend(${pid}) THEN email END));`,
      `CREATE UNIQUE INDEX u_col ON users (email, (pg_terminate_backend(${pid})));`,
    ]) {
      const { outcomes, sent } = await check(sql);
      assert.equal(outcomes.length, 1, sql);
      assert.equal(outcomes[0].status, 'skipped', sql);
      assertNothingFromTheFile(sent, 'terminate', String(pid));
    }
    assert.equal((await victim.client.query('SELECT 1 AS one')).rows[0].one, 1, 'the other session was killed');
    assert.equal(victim.ended, false);
  } finally {
    await victim.close();
  }
});

test('names that try to break out of the look-ups are bind parameters: unknown table or column, nothing runs', async () => {
  const before = await relationCount();
  const { outcomes, sent } = await check([
    `ALTER TABLE "users; CREATE TABLE pwned2(); --" ADD UNIQUE (email);`,
    `ALTER TABLE users ADD UNIQUE ("email"" IS NOT NULL) s; CREATE TABLE pwned3(); --");`,
    `ALTER TABLE public."x') OR true; --" ADD UNIQUE (a);`,
  ].join('\n'));
  assert.deepEqual(outcomes.map((o) => o.status), ['absent', 'absent', 'absent']);
  assertNothingFromTheFile(sent, 'pwned', 'or true');
  assert.equal(await relationCount(), before);
});

test('a plain key is counted with the catalog\'s names, quoted; the figures match plain SQL', async () => {
  const { outcomes, sent } = await check([
    'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
    'ALTER TABLE "Odd ""T""" ADD PRIMARY KEY ("Mixed Col");',
    'ALTER TABLE users ADD UNIQUE (no_such_column);',
    'ALTER TABLE no_such_table ADD UNIQUE (a);',
  ].join('\n'));
  assert.deepEqual(outcomes.map((o) => o.status), ['counted', 'counted', 'absent', 'absent']);
  const [users, odd] = outcomes;
  const ref = await referenceFigures(admin, 'users', ['email'], 'email IS NOT NULL');
  const v = users.violation!;
  assert.deepEqual([v.rows, v.distinctKeys, v.duplicateGroups, v.excessRows, v.maxCopies], ref);
  assert.deepEqual([users.schema, users.table, v.duplicateGroups, v.excessRows], ['public', 'users', 40, 60]);
  assert.deepEqual([odd.table, odd.violation!.duplicateGroups, odd.violation!.excessRows], ['Odd "T"', 1, 1]);
  assert.ok(sent.some((q) => q.text.includes('FROM public."Odd ""T""" WHERE "Mixed Col" IS NOT NULL GROUP BY "Mixed Col"')));
  // one statement each, parameters as values, search_path pinned before the counts
  assertNothingFromTheFile(sent);
  const pin = sent.findIndex((q) => q.text.includes(`'search_path', 'pg_catalog, pg_temp'`));
  const firstCount = sent.findIndex((q) => q.text.includes('GROUP BY'));
  assert.ok(pin >= 0 && pin < firstCount);
  assert.equal(sent[0].text, 'BEGIN READ ONLY');
  assert.equal(sent.at(-1)!.text, 'ROLLBACK');
});

test('an expression or partial key is compared with the catalog\'s indexes, never evaluated', async () => {
  const { outcomes } = await check([
    // the same definition as accounts_lower_name, spelled differently
    'CREATE UNIQUE INDEX accounts_again ON public.accounts (LOWER(name)) WHERE (id > 1);',
    // a different predicate: not evaluated, skipped with a note
    'CREATE UNIQUE INDEX accounts_all ON accounts (lower(name));',
    'CREATE UNIQUE INDEX users_live ON users (email) WHERE deleted_at IS NULL;',
  ].join('\n'));
  assert.deepEqual(outcomes.map((o) => o.status), ['holds', 'skipped', 'skipped']);
  assert.match(outcomes[0].note!, /same definition/);
});

test('the session stays read-only and is rolled back: a write slipped into it fails', async () => {
  const r = await recorded();
  try {
    const keys = await findAddedUniqueKeys('ALTER TABLE users ADD UNIQUE (email);');
    const db: Queryable = {
      query: async (config) => {
        const res = await r.db.query(config);
        if (config.text.includes('GROUP BY')) {
          await assert.rejects(r.session.client.query('CREATE TABLE written_inside (a int)'), /read-only transaction/);
          throw Object.assign(new Error('stop'), { code: 'XX000' });
        }
        return res;
      },
    };
    await assert.rejects(checkAddedKeys(db, keys), /stop/);
    assert.equal(r.sent.at(-1)!.text, 'ROLLBACK');
    assert.equal((await admin.client.query(`SELECT to_regclass('written_inside') AS r`)).rows[0].r, null);
  } finally {
    await r.session.close();
  }
});

test('an operator planted on the role\'s search_path never runs: only to_regclass resolves names there', async () => {
  // An exact-type `=` (oid, regclass) in public would be chosen over pg_catalog's `=` (oid, oid) by any
  // unqualified comparison of an oid with to_regclass() while the role's own search_path is in force.
  await admin.client.query(`
    CREATE FUNCTION public.planted_eq(oid, regclass) RETURNS boolean LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'planted operator ran'; END $$;
    CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = public.planted_eq)`);
  try {
    const { outcomes } = await check('ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);');
    assert.deepEqual(outcomes.map((o) => o.status), ['counted']);
  } finally {
    await admin.client.query('DROP OPERATOR public.= (oid, regclass); DROP FUNCTION public.planted_eq(oid, regclass)');
  }
});
