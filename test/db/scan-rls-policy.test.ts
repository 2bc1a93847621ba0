/**
 * Row-level security policies are code: when they apply to the scanning role, every read of the table
 * evaluates them with that role's privileges. A policy calling a function another non-superuser role
 * wrote would run that function as the scanning role; the scan leaves such a table unread and says
 * why. (A superuser or BYPASSRLS role skips policies altogether, so its scan runs none of them.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type DbSession } from '../../src/db/connect';
import { scan } from '../../src/db/scan';
import { freshDb } from './_db';

let url: string;
let admin: DbSession;
const tag = `${process.pid}_${Date.now() % 100000}`;
const alice = `dg_pol_alice_${tag}`;
const bob = `dg_pol_bob_${tag}`;

before(async () => {
  ({ url, session: admin } = await freshDb('', 'dgpolicy'));
  await admin.client.query(`CREATE ROLE ${alice} LOGIN; CREATE ROLE ${bob} LOGIN; GRANT CREATE ON SCHEMA public TO ${alice}`);
  await admin.client.query(`SET ROLE ${alice}`);
  await admin.client.query(`
    CREATE FUNCTION alice_sees(t int) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
      BEGIN RAISE NOTICE 'alice_sees ran as %', current_user; RETURN t = 1; END $$;
    CREATE TABLE tenant_data (id serial PRIMARY KEY, tenant int NOT NULL, k int NOT NULL);
    INSERT INTO tenant_data (tenant, k) VALUES (1, 1), (1, 1), (2, 2);
    ALTER TABLE tenant_data ENABLE ROW LEVEL SECURITY;
    CREATE POLICY by_tenant ON tenant_data USING (alice_sees(tenant));
    -- A policy of built-in code only: the database's own, read (counts partial).
    CREATE TABLE builtin_rls (id serial PRIMARY KEY, tenant int NOT NULL, k int NOT NULL);
    INSERT INTO builtin_rls (tenant, k) VALUES (1, 5), (1, 5), (2, 6);
    ALTER TABLE builtin_rls ENABLE ROW LEVEL SECURITY;
    CREATE POLICY t1 ON builtin_rls USING (tenant = 1);
    GRANT SELECT ON tenant_data, builtin_rls TO ${bob};`);
  await admin.client.query('RESET ROLE');
});

after(async () => {
  await admin.client.query('RESET ROLE').catch(() => {});
  await admin.close();
});

function as(role: string): string {
  const u = new URL(url);
  u.username = role;
  return u.href;
}

test('another role\'s function in a policy that applies to the scanning role: the table is not read, and the error says why', async () => {
  const s = await connect(as(bob), { env: {} });
  const notices: string[] = [];
  s.client.on('notice', (n) => notices.push(n.message ?? ''));
  try {
    const r = await scan(s, { naturalKeys: { tenant_data: ['tenant', 'k'] } });
    assert.deepEqual(notices, [], 'alice_sees never ran as the scanning role');
    const t = r.tables.find((x) => x.table === 'tenant_data')!;
    assert.deepEqual(t.checks, []);
    assert.equal(t.errors?.length, 1);
    assert.match(t.errors![0], new RegExp(`^public\\.tenant_data: not scanned: its row-level security runs another role's code \\(policy by_tenant: public\\.alice_sees\\(integer\\) owned by ${alice}\\); every read of the table would run that code with the privileges of ${bob}`));
    assert.ok(r.errors.some((e) => e.table === 'public.tenant_data' && e.message === t.errors![0]));
    // The built-in policy is read, its counts flagged partial.
    const b = r.tables.find((x) => x.table === 'builtin_rls')!;
    assert.equal(b.rows, 2);
    assert.match(b.partial ?? '', /row-level security applies to/);
  } finally {
    await s.close();
  }
});

test('the policy\'s author scanning, and a superuser (policies bypassed): the table is read', async () => {
  for (const [who, rows] of [[alice, 3], ['postgres', 3]] as const) {
    const s = await connect(who === 'postgres' ? url : as(who), { env: {} });
    const notices: string[] = [];
    s.client.on('notice', (n) => notices.push(n.message ?? ''));
    try {
      const r = await scan(s, { naturalKeys: { tenant_data: ['tenant', 'k'] }, tables: ['tenant_data'] });
      const t = r.tables.find((x) => x.table === 'tenant_data')!;
      assert.equal(t.errors, undefined, who);
      // The owner is not subject to its own policy without FORCE; a superuser never is.
      assert.equal(t.rows, rows, who);
      assert.equal(t.checks.find((c) => c.source === 'config')!.excessRows, 1, who);
      assert.deepEqual(notices, [], `${who}: no policy evaluated`);
    } finally {
      await s.close();
    }
  }
});
