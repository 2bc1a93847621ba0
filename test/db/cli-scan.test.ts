import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as pg from 'pg';
import { main } from '../../src/cli/main';
import type { ScanReport } from '../../src/db/report';
import { freshDb } from './_db';

let dupUrl: string;
let cleanUrl: string;
let inferredUrl: string;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = os.tmpdir()): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, cwd, env });
  return { code, out, err };
}

before(async () => {
  const dup = await freshDb(`
    CREATE SCHEMA breezeway;
    CREATE TABLE breezeway.task_requirements (id bigserial PRIMARY KEY, task_pk int NOT NULL, requirement_id int NOT NULL, created_at timestamptz DEFAULT now());
    INSERT INTO breezeway.task_requirements (task_pk, requirement_id) SELECT k / 3, k FROM generate_series(1, 909) c, generate_series(1, 12) k;
    CREATE TABLE breezeway.task_tags (task_pk int NOT NULL, tag_pk int NOT NULL, UNIQUE (task_pk, tag_pk));
    INSERT INTO breezeway.task_tags VALUES (1, 1), (1, 2);
    ANALYZE;
  `);
  dupUrl = dup.url;
  await dup.session.close();
  const clean = await freshDb(`CREATE TABLE t (id serial PRIMARY KEY, a int, b int); INSERT INTO t (a, b) VALUES (1, 1), (1, 2);`);
  cleanUrl = clean.url;
  await clean.session.close();
  // Copies only under a key inferred from column names: nothing declares (guest_id, reservation_pk) unique.
  const inferred = await freshDb(`
    CREATE TABLE stays (id serial PRIMARY KEY, guest_id int NOT NULL, reservation_pk int NOT NULL, note text);
    INSERT INTO stays (guest_id, reservation_pk, note) VALUES (1, 10, 'a'), (1, 10, 'b'), (2, 20, 'c');
    ANALYZE;
  `);
  inferredUrl = inferred.url;
  await inferred.session.close();
});

test('json output carries the exact counts; exit 1 when duplicates are found', async () => {
  const r = await cli(['scan', '--url', dupUrl, '--format', 'json', '--key', 'breezeway.task_requirements=task_pk,requirement_id', '--sample', '2', '--no-infer']);
  assert.equal(r.code, 1, r.err);
  const report = JSON.parse(r.out) as ScanReport;
  assert.equal(report.version, 1);
  const t = report.tables.find((x) => x.table === 'task_requirements')!;
  assert.equal(t.schema, 'breezeway');
  assert.equal(t.rows, 909 * 12);
  const k = t.checks.find((c) => c.source === 'config')!;
  assert.deepEqual(
    { kind: k.kind, columns: k.columns, distinct: k.distinct, duplicateGroups: k.duplicateGroups, excessRows: k.excessRows, maxCopies: k.maxCopies, estimated: k.estimated, samples: k.sample.length },
    { kind: 'key', columns: ['task_pk', 'requirement_id'], distinct: 12, duplicateGroups: 12, excessRows: 908 * 12, maxCopies: 909, estimated: false, samples: 2 },
  );
  const w = t.checks.find((c) => c.kind === 'exact-row')!;
  assert.equal(w.source, 'all-columns');
  assert.equal(w.excessRows, 908 * 12);
  const tags = report.tables.find((x) => x.table === 'task_tags')!;
  assert.ok(tags.checks.every((c) => c.duplicateGroups === 0));
});

test('text output is a readable table per table; md is a Markdown report', async () => {
  const text = await cli(['scan', '--url', dupUrl, '--key', 'breezeway.task_requirements=task_pk,requirement_id', '--no-infer']);
  assert.equal(text.code, 1);
  assert.match(text.out, /^breezeway\.task_requirements {2}10,908 rows/m);
  assert.match(text.out, /DUP key \(task_pk, requirement_id\): 10,896 excess rows in 12 groups; 12 distinct of 10,908 rows \(909x\), up to 909 copies/);
  assert.match(text.out, /\(0, 1\) × 909 lowest id \d+, highest \d+/);
  assert.match(text.out, /2 table\(s\) scanned, 1 with duplicates, 10,896 excess rows/);
  const md = await cli(['scan', '--url', dupUrl, '--format', 'md', '--key', 'breezeway.task_requirements=task_pk,requirement_id', '--no-infer']);
  assert.match(md.out, /^# dupguard scan$/m);
  assert.match(md.out, /^\| breezeway\.task\\_requirements \| key \(task\\_pk, requirement\\_id\) \| config \| 10,908 \| 12 \| \*\*12\*\* \| 10,896 \| 909 \|/m);
});

test('exit 0 on a clean database; DATABASE_URL is used without --url', async () => {
  const r = await cli(['scan', '--no-infer'], { DATABASE_URL: cleanUrl });
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /ok {2}whole row \(all columns except id\): no duplicates in 2 rows/);
});

test('naturalKeys from .dupguard.json', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-cli-'));
  try {
    fs.writeFileSync(path.join(dir, '.dupguard.json'), JSON.stringify({ naturalKeys: { 't': ['a'] } }));
    const r = await cli(['scan', '--url', cleanUrl, '--format', 'json', '--no-infer'], {}, dir);
    assert.equal(r.code, 1);
    const k = (JSON.parse(r.out) as ScanReport).tables[0].checks.find((c) => c.source === 'config')!;
    assert.deepEqual([k.columns, k.excessRows], [['a'], 1]);
    fs.writeFileSync(path.join(dir, '.dupguard.json'), '{"naturalKeys": {"t": "a"}}');
    const broken = await cli(['scan', '--url', cleanUrl], {}, dir);
    assert.equal(broken.code, 2);
    assert.match(broken.err, /\.dupguard\.json/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('exit 2 with a clear message: bad flags, unreachable server (no password shown)', async () => {
  const bad = await cli(['scan', '--format', 'xml']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /option '--format' must be one of text, json, md/);
  const both = await cli(['scan', '--exact', '--quick', '--url', cleanUrl]);
  assert.equal(both.code, 2);
  const badKey = await cli(['scan', '--url', cleanUrl, '--key', 'nokey']);
  assert.equal(badKey.code, 2);
  assert.match(badKey.err, /--key 'nokey': expected schema.table=col1,col2/);
  const down = await cli(['scan', '--url', 'postgres://app:topsecret@127.0.0.1:1/db']);
  assert.equal(down.code, 2);
  assert.match(down.err, /cannot connect to postgres:\/\/app@127\.0\.0\.1:1\/db: connection refused/);
  assert.ok(!down.err.includes('topsecret'));
});

test('--quick marks the report as estimates; a table its sample budget covers is counted, without intervals', async () => {
  const r = await cli(['scan', '--url', dupUrl, '--quick', '--format', 'json', '--key', 'breezeway.task_requirements=task_pk,requirement_id', '--no-infer']);
  const report = JSON.parse(r.out) as ScanReport;
  assert.equal(report.mode, 'quick');
  assert.ok(report.tables.every((t) => t.rowsEstimated));
  for (const c of report.tables.flatMap((t) => t.checks)) {
    // every figure either counted, or estimated with its interval
    if (c.estimated) assert.ok(c.excessRowsLow !== undefined && c.excessRowsHigh !== undefined, JSON.stringify(c));
    else assert.equal(c.excessRowsHigh, undefined);
  }
  assert.equal(r.code, 1);
});

test('duplicates under an inferred key alone: reported with "?", exit 0; --help says so', async () => {
  const r = await cli(['scan', '--url', inferredUrl, '--format', 'json']);
  assert.equal(r.code, 0, r.err);
  const checks = (JSON.parse(r.out) as ScanReport).tables[0].checks;
  const inferred = checks.find((c) => c.source === 'inferred')!;
  assert.deepEqual([inferred.columns, inferred.duplicateGroups, inferred.excessRows], [['guest_id', 'reservation_pk'], 1, 1]);
  assert.ok(checks.filter((c) => c.source !== 'inferred').every((c) => c.duplicateGroups === 0), JSON.stringify(checks));
  const text = await cli(['scan', '--url', inferredUrl]);
  assert.equal(text.code, 0);
  assert.match(text.out, /^ {3}\? inferred key \(guest_id, reservation_pk\): 1 excess row in 1 group/m);
  // The same columns named as a key make the same copies count.
  const keyed = await cli(['scan', '--url', inferredUrl, '--key', 'stays=guest_id,reservation_pk']);
  assert.equal(keyed.code, 1);
  const help = await cli(['scan', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Exit status: 0 no duplicates that count \(look-alike rows and guesses are reported with '\?' and\s+exit 0\); 1 certain or likely duplicates found/);
  assert.match(help.out, /Only certain and likely findings count, in the exit status and in the totals/);
  assert.match(help.out, /--lock-timeout <ms>/);
});

test('--lock-timeout: a table another session holds locked is reported by name after that wait; exit 2', async () => {
  const locker = new pg.Client({ connectionString: cleanUrl });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
    const r = await cli(['scan', '--url', cleanUrl, '--lock-timeout', '100', '--no-infer']);
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /^dupguard scan: public\.t: lock timeout reached: another session \(pid \d+\) holds an ACCESS EXCLUSIVE lock on it/m);
  } finally {
    await locker.query('ROLLBACK').catch(() => {});
    await locker.end();
  }
  const bad = await cli(['scan', '--url', cleanUrl, '--lock-timeout', '-1']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--lock-timeout needs milliseconds ≥ 0/);
});

test('passwords never reach stderr: a URL as positional argument, in --url, as a query parameter or conninfo', async () => {
  const positional = await cli(['scan', 'postgres://app:topsecret@127.0.0.1:1/db']);
  assert.equal(positional.code, 2);
  assert.match(positional.err, /unexpected argument 'postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/db': give the database with --url/);
  const query = await cli(['scan', '--url', 'postgres://app@127.0.0.1:1/db?sslmode=disable&password=topsecret']);
  assert.equal(query.code, 2);
  const encoded = await cli(['scan', '--url', 'postgresql://app:top%40secret@127.0.0.1:1/db']);
  assert.equal(encoded.code, 2);
  const conninfo = await cli(['scan', '--url', "host=127.0.0.1 port=1 password='topsecret'"]);
  assert.equal(conninfo.code, 2);
  const afterUrl = await cli(['scan', '--url', 'postgres://app:topsecret@127.0.0.1:1/db', '--format=postgres://app:topsecret@h/db']);
  assert.equal(afterUrl.code, 2);
  for (const r of [positional, query, encoded, conninfo, afterUrl]) {
    assert.ok(!/topsecret|top%40secret|top@secret/.test(r.err + r.out), r.err);
  }
});

test('control characters in values and names are escaped in text and Markdown, and \\u escaped in JSON', async () => {
  const evil = await freshDb(`
    CREATE TABLE "bell\u0007tab" (id serial PRIMARY KEY, v text);
    INSERT INTO "bell\u0007tab" (v) VALUES (E'\\x1b]0;pwned\\x07\\x1b[31mred\\nline\\u009b2J\\u202eabc'), (E'\\x1b]0;pwned\\x07\\x1b[31mred\\nline\\u009b2J\\u202eabc');`);
  await evil.session.close();
  try {
    const text = await cli(['scan', '--url', evil.url, '--no-infer']);
    assert.equal(text.code, 1, text.err);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(text.out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/, 'no raw control character but the line breaks of the report itself');
    assert.match(text.out, /\\x1b\]0;pwned\\x07\\x1b\[31mred\\x0aline\\x9b2J\\u202eabc/);
    assert.match(text.out, /"bell\\x07tab"/);
    const md = await cli(['scan', '--url', evil.url, '--no-infer', '--format', 'md']);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(md.out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    const json = await cli(['scan', '--url', evil.url, '--no-infer', '--format', 'json']);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(json.out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    const report = JSON.parse(json.out) as ScanReport;
    assert.equal(report.tables[0].checks[0].sample[0].values[0], '\u001b]0;pwned\u0007\u001b[31mred\nline\u009b2J\u202eabc', 'JSON keeps the value itself');
  } finally {
    // The database stays; it is the test run's own.
  }
});

test('--key folds bare names as migrate does, keeps quoted ones exact, and fails (exit 2) on an unknown column', async () => {
  const db = await freshDb(`
    CREATE TABLE "select" (id serial PRIMARY KEY, "user" int NOT NULL, "order" int NOT NULL, "Mixed" int NOT NULL);
    INSERT INTO "select" ("user", "order", "Mixed") VALUES (1, 1, 1), (1, 1, 2);`);
  await db.session.close();
  const folded = await cli(['scan', '--url', db.url, '--no-infer', '--no-exact-rows', '--format', 'json', '--key', 'public.Select=User,Order']);
  assert.equal(folded.code, 1, folded.err);
  const k = (JSON.parse(folded.out) as ScanReport).tables[0].checks.find((c) => c.source === 'config')!;
  assert.deepEqual([k.columns, k.excessRows], [['user', 'order'], 1]);
  const quoted = await cli(['scan', '--url', db.url, '--no-infer', '--no-exact-rows', '--format', 'json', '--key', 'public.select="Mixed"']);
  assert.equal(quoted.code, 0, quoted.err);
  const typo = await cli(['scan', '--url', db.url, '--no-infer', '--key', 'public.Select=User,Ordr']);
  assert.equal(typo.code, 2, typo.out);
  assert.match(typo.err, /configured key \(User, Ordr\) for public\.select: no column Ordr \(columns: id, user, order, Mixed\); key not checked/);
  const quotedWrongCase = await cli(['scan', '--url', db.url, '--no-infer', '--key', 'public.select="mixed"']);
  assert.equal(quotedWrongCase.code, 2);
  assert.match(quotedWrongCase.err, /no column "mixed"/);
});
