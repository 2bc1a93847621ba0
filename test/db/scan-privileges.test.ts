/**
 * The least-privilege scan role of docs/security.md, created by the very statements the page shows:
 * it scans every table with the right counts, including one created after the grants, and cannot write.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pg from 'pg';
import { connect, type DbSession } from '../../src/db/connect';
import { scan } from '../../src/db/scan';
import { freshDb } from './_db';

const DOC = path.resolve(__dirname, '../../docs/security.md');
const suffix = `${process.pid}_${Date.now() % 100000}`;
const scanRole = `dupguard_scan_${suffix}`;
const owner = `app_owner_${suffix}`;

let url: string;
let admin: DbSession;

/** The SQL between the scan-role markers of docs/security.md, with this test's names. */
function docStatements(db: string): string {
  const text = fs.readFileSync(DOC, 'utf8');
  const m = /<!-- scan-role:begin -->\s*```sql\n([\s\S]*?)```\s*<!-- scan-role:end -->/.exec(text);
  assert.ok(m, 'docs/security.md has the scan-role block');
  return m[1]
    .replace(/\bdupguard_scan\b/g, scanRole)
    .replace(/\bapp_owner\b/g, owner)
    .replace(/\bapp_db\b/g, `"${db}"`);
}

before(async () => {
  ({ url, session: admin } = await freshDb('', 'dgpriv'));
  await admin.client.query(`CREATE ROLE ${owner}; GRANT CREATE ON SCHEMA public TO ${owner}`);
  await admin.client.query(`SET ROLE ${owner}`);
  await admin.client.query(`
    CREATE TABLE orders (id serial PRIMARY KEY, customer int NOT NULL, ref text);
    INSERT INTO orders (customer, ref) VALUES (1, 'a'), (1, 'a'), (2, 'b');`);
  await admin.client.query('RESET ROLE');
});

after(async () => {
  await admin.client.query('RESET ROLE').catch(() => {});
  await admin.close();
});

test('docs/security.md scan role: scans every table, later ones too, and cannot write', async () => {
  const db = new URL(url).pathname.slice(1);
  await admin.client.query(docStatements(db));
  // A table the owner creates after the grants: covered by the default privileges.
  await admin.client.query(`SET ROLE ${owner}`);
  await admin.client.query(`CREATE TABLE later (id serial PRIMARY KEY, k int); INSERT INTO later (k) VALUES (5), (5), (5)`);
  await admin.client.query('RESET ROLE');

  const u = new URL(url);
  u.username = scanRole;
  u.password = 'change-me';
  const s = await connect(u.href, { env: {} });
  try {
    const r = await scan(s, { naturalKeys: { orders: ['customer', 'ref'] } });
    assert.deepEqual(r.errors, []);
    assert.equal(r.complete, true);
    const orders = r.tables.find((t) => t.table === 'orders')!;
    assert.equal(orders.checks.find((c) => c.source === 'config')!.excessRows, 1);
    assert.equal(r.tables.find((t) => t.table === 'later')!.checks.find((c) => c.kind === 'exact-row')!.excessRows, 2);
    assert.ok(r.tables.every((t) => !t.partial && !t.errors));
  } finally {
    await s.close();
  }
  const plain = new pg.Client({ connectionString: u.href });
  await plain.connect();
  try {
    await assert.rejects(plain.query('INSERT INTO public.orders (customer) VALUES (9)'), /read-only transaction|permission denied/);
    await plain.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE');
    await assert.rejects(plain.query('INSERT INTO public.orders (customer) VALUES (9)'), /permission denied for table orders/);
    await assert.rejects(plain.query('CREATE TABLE public.x (a int)'), /permission denied for schema public/);
  } finally {
    await plain.end();
  }
});
