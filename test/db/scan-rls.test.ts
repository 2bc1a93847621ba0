/**
 * Row-level security that applies to the scanning role (FORCE ROW LEVEL SECURITY on its own table, or
 * a role without BYPASSRLS): every query sees only the rows the policies let through, so the counts
 * are partial. The scan says so (table field, notes, text, Markdown, JSON, exit status).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { main } from '../../src/cli/main';
import { connect, type DbSession } from '../../src/db/connect';
import { scan } from '../../src/db/scan';
import type { ScanReport } from '../../src/db/report';
import { freshDb } from './_db';

let url: string;
let ownerUrl: string;
let admin: DbSession;
const owner = `dg_rls_owner_${process.pid}`;

before(async () => {
  ({ url, session: admin } = await freshDb('', 'dgrls'));
  await admin.client.query(`DROP ROLE IF EXISTS ${owner}; CREATE ROLE ${owner} LOGIN`);
  await admin.client.query(`
    CREATE TABLE tenant_rows (id serial PRIMARY KEY, tenant int NOT NULL, k int NOT NULL);
    -- Tenant 1: one copy of each k; tenant 2: every k twice. The policy shows tenant 1 only.
    INSERT INTO tenant_rows (tenant, k) SELECT 1, g FROM generate_series(1, 10) g;
    INSERT INTO tenant_rows (tenant, k) SELECT 2, g FROM generate_series(1, 10) g, generate_series(1, 2);
    ALTER TABLE tenant_rows OWNER TO ${owner};
    ALTER TABLE tenant_rows ENABLE ROW LEVEL SECURITY;
    ALTER TABLE tenant_rows FORCE ROW LEVEL SECURITY;
    CREATE POLICY only_one ON tenant_rows USING (tenant = 1);
    CREATE TABLE plain (id serial PRIMARY KEY, k int);
    INSERT INTO plain (k) VALUES (1), (2);
    ALTER TABLE plain OWNER TO ${owner};`);
  const u = new URL(url);
  u.username = owner;
  ownerUrl = u.href;
});

after(async () => { await admin.close(); });

test('FORCE RLS on the owner\'s table: the scan reports the counts as partial, naming the role and why', async () => {
  const s = await connect(ownerUrl, { env: {} });
  try {
    const r = await scan(s, { naturalKeys: { tenant_rows: ['tenant', 'k'] }, inferKeys: false });
    const t = r.tables.find((x) => x.table === 'tenant_rows')!;
    assert.equal(t.rows, 10, 'the policy let 10 of 30 rows through');
    assert.match(t.partial ?? '', new RegExp(`^row-level security applies to ${owner} on public\\.tenant_rows \\(FORCE ROW LEVEL SECURITY: even its owner is filtered\\): the counts cover only the rows its policies let ${owner} see`));
    assert.equal(t.notes?.[0], `counts are partial: ${t.partial}`, 'in the notes too, where the panel shows them');
    assert.equal(r.tables.find((x) => x.table === 'plain')!.partial, undefined);
    assert.equal(t.checks.find((c) => c.source === 'config')!.excessRows, 0, 'no duplicates among the visible rows');
  } finally {
    await s.close();
  }
  // A superuser bypasses the policies: complete counts, nothing partial.
  const su = await connect(url, { env: {} });
  try {
    const r = await scan(su, { naturalKeys: { tenant_rows: ['tenant', 'k'] }, inferKeys: false });
    const t = r.tables.find((x) => x.table === 'tenant_rows')!;
    assert.equal(t.rows, 30);
    assert.equal(t.partial, undefined);
    assert.equal(t.checks.find((c) => c.source === 'config')!.excessRows, 10);
  } finally {
    await su.close();
  }
});

test('CLI: partial counts are shown in text, Markdown and JSON, and "no duplicates" exits 2, not 0', async () => {
  const run = async (format: string) => {
    let out = '';
    let err = '';
    const code = await main(['scan', '--url', ownerUrl, '--format', format, '--no-infer', '--table', 'tenant_rows'], {
      stdout: (x) => { out += x; }, stderr: (x) => { err += x; }, cwd: os.tmpdir(), env: {},
    });
    return { code, out, err };
  };
  const text = await run('text');
  assert.equal(text.code, 2, text.err);
  assert.match(text.out, /public\.tenant_rows {2}10 rows, [^\n]*\n {2}! {3}counts are partial: row-level security applies to /);
  assert.match(text.out, /\(partial counts on 1 table\(s\): row-level security\)/);
  assert.match(text.err, /dupguard scan: counts are partial: row-level security applies to /);
  const md = await run('md');
  assert.match(md.out, /## Notes\n\n- counts are partial: row-level security applies to /);
  const json = JSON.parse((await run('json')).out) as ScanReport;
  assert.match(json.tables[0].partial ?? '', /FORCE ROW LEVEL SECURITY/);
});
