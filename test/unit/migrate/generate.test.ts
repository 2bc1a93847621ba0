/**
 * The generator's text: steps in order, the backup comment line, quoting, the automatic choices and
 * the refusals. Scripts are also parsed by the real PostgreSQL grammar (libpg-query) with psql's
 * meta-commands removed, so a quoting slip shows up here before any database runs it.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadModule, parseSync } from 'libpg-query';
import type { TableDescription } from '../../../src/core/catalog';
import { generateMigration, MigrationError, REBUILD_FROM_RATIO, type MigrationOptions } from '../../../src/migrate';

const NOW = new Date('2026-11-23T17:05:09Z');

function photos(over: Partial<TableDescription> = {}): TableDescription {
  return {
    schema: 'public', name: 'task_photos', kind: 'r', source: 'catalog',
    columns: [
      { name: 'id', type: 'bigint', notNull: true, default: "nextval('task_photos_id_seq'::regclass)" },
      { name: 'task_pk', type: 'integer', notNull: true },
      { name: 'photo_id', type: 'text', notNull: false },
      { name: 'url', type: 'text', notNull: false },
      { name: 'created_at', type: 'timestamp with time zone', notNull: true, default: 'now()' },
    ],
    keys: [{ kind: 'primary', name: 'task_photos_pkey', columns: ['id'] }],
    indexes: [{ name: 'task_photos_pkey', unique: true, definition: 'CREATE UNIQUE INDEX task_photos_pkey ON public.task_photos USING btree (id)', constraint: 'task_photos_pkey' }],
    referencedBy: [],
    ...over,
  };
}

function gen(t: TableDescription, o: Partial<MigrationOptions> = {}) {
  return generateMigration(t, { key: ['task_pk', 'photo_id'], now: NOW, ...o });
}

/** The script without psql meta-commands, parsed by PostgreSQL's grammar. */
function assertParses(sql: string): void {
  const plain = sql.split('\n').filter((l) => !l.startsWith('\\')).map((l) => l.replace(/ \\gset$/, ';')).join('\n');
  assert.doesNotThrow(() => parseSync(plain), 'script must parse');
}

before(async () => { await loadModule(); });

test('steps come in order, inside one transaction, with the constraint before COMMIT for a small table', () => {
  const p = gen(photos(), { strategy: 'delete' });
  const s = p.script;
  const at = (needle: string) => { const i = s.indexOf(needle); assert.ok(i >= 0, `missing: ${needle}`); return i; };
  const order = [
    '\\set ON_ERROR_STOP on', 'BEGIN;', 'SET LOCAL search_path = pg_catalog, pg_temp;', '-- Step 0:', 'LOCK TABLE ONLY public.task_photos IN ACCESS EXCLUSIVE MODE;',
    '-- Step 1:', 'CREATE TEMP TABLE dupguard_before', '-- Step 2:', 'CREATE TABLE public.task_photos_dupguard_20261123_170509 AS SELECT * FROM ONLY public.task_photos;',
    '-- Step 3:', 'CREATE TEMP TABLE dupguard_map', '-- Step 4:', '-- Step 5:', 'DELETE FROM ONLY public.task_photos', '-- Step 6:', "RAISE EXCEPTION 'dupguard: % duplicate groups remain",
    '-- Step 7:', 'ALTER TABLE public.task_photos ADD CONSTRAINT task_photos_task_pk_photo_id_key UNIQUE NULLS NOT DISTINCT (task_pk, photo_id);',
    'COMMIT;', 'SET search_path = pg_catalog, pg_temp;', '-- Step 8:', 'ANALYZE public.task_photos;', '--   VACUUM (ANALYZE) public.task_photos;',
  ];
  let last = -1;
  for (const o of order) { const i = at(o); assert.ok(i > last, `out of order: ${o}`); last = i; }
  assert.equal(p.indexBuild, 'in-transaction');
  assertParses(s);
  assertParses(p.rollback);
});

test('exactly one backup comment line, in the `-- backup: <schema>.<name>` form, naming the table the script creates', () => {
  const p = gen(photos());
  const lines = p.script.split('\n').filter((l) => l.startsWith('-- backup: '));
  assert.deepEqual(lines, ['-- backup: public.task_photos_dupguard_20261123_170509']);
  assert.deepEqual(p.backup, { schema: 'public', name: 'task_photos_dupguard_20261123_170509', qualified: 'public.task_photos_dupguard_20261123_170509' });
  const odd = gen(photos({ schema: 'My Schema', name: 'Photos' }), { backupName: 'Back "up"' });
  assert.ok(odd.script.split('\n').includes('-- backup: "My Schema"."Back ""up"""'));
  assert.ok(odd.script.includes('CREATE TABLE "My Schema"."Back ""up""" AS SELECT * FROM ONLY "My Schema"."Photos";'));
});

test('every comment line stays a comment, in the script and in its rollback, which is a script of its own', () => {
  const t = photos({ schema: 'a\nb', name: 'c\r\nd', columns: [...photos().columns, { name: 'x\ny', type: 'text', notNull: false }] });
  const p = gen(t, { key: ['task_pk', 'x\ny'] });
  for (const s of [p.script, p.rollback]) {
    const lines = s.split('\n');
    for (const l of lines.filter((x) => x.includes('\\u000a'))) assert.ok(l.startsWith('--'), l);
    assertParses(s);
  }
  // The migration no longer carries its rollback as commented lines to uncomment.
  assert.doesNotMatch(p.script, /^-- ROLLBACK|^-- BEGIN;|^-- TRUNCATE/m);
  assert.ok(p.script.split('\n').filter((l) => /\bTRUNCATE\b/.test(l)).length === 0, 'a delete migration never truncates');
  assert.match(p.rollback, /^TRUNCATE ONLY "a\nb"\."c\r\nd";$/m, 'the rollback is live SQL');
});

test('identifiers of every shape are quoted; literals escaped; dollar quotes avoid names that contain them', () => {
  const t = photos({
    schema: 'Odd "S"', name: 'select',
    columns: [
      { name: 'Order', type: 'bigint', notNull: true, identity: 'always' },
      { name: 'Key Col', type: 'text', notNull: true },
      { name: '$dg$', type: 'text', notNull: true },
      { name: "it's\\", type: 'text', notNull: false },
      { name: 'gen', type: 'integer', notNull: false, generated: true },
    ],
    keys: [{ kind: 'primary', name: 'pk', columns: ['Order'] }],
  });
  for (const strategy of ['delete', 'rebuild'] as const) {
    const p = gen(t, { key: ['Key Col', '$dg$'], strategy });
    const s = p.script;
    assert.ok(s.includes('PARTITION BY "Key Col", "$dg$" ORDER BY "Order" ASC'), strategy);
    assert.ok(s.includes(`'"Odd ""S"""."select"'::pg_catalog.regclass`));
    assert.ok(s.includes(`E'it''s\\\\'`), 'column name literal with quote and backslash');
    assert.ok(!s.includes('DO $dg$\nDECLARE cols'), 'the guard must not use a tag that a column name contains');
    assertParses(s);
    assertParses(p.rollback);
    if (strategy === 'rebuild') {
      assert.ok(s.includes(`INSERT INTO "Odd ""S"""."select" ("Order", "Key Col", "$dg$", "it's\\") OVERRIDING SYSTEM VALUE`), 'generated column left out, identity overridden');
    }
  }
});

test('automatic strategy: DELETE below the measured crossover or when unknown, rebuild from it', () => {
  assert.equal(gen(photos()).strategy, 'delete');
  assert.match(gen(photos()).strategyReason, /unknown/);
  assert.equal(gen(photos(), { duplicateRatio: 1.01 }).strategy, 'delete');
  assert.equal(gen(photos(), { duplicateRatio: REBUILD_FROM_RATIO }).strategy, 'rebuild');
  assert.equal(gen(photos(), { duplicateRatio: 909 }).strategy, 'rebuild');
  assert.equal(gen(photos(), { duplicateRatio: 909, strategy: 'delete' }).strategy, 'delete');
  assert.match(gen(photos(), { duplicateRatio: 27 }).script, /^-- Strategy: rebuild \(duplicate ratio 27x is at or above the measured crossover/m);
});

test('index build: concurrent, outside the transaction, with INVALID-index cleanup, from a million kept rows', () => {
  assert.equal(gen(photos(), { rowEstimate: 900_000 }).indexBuild, 'in-transaction');
  assert.equal(gen(photos(), { rowEstimate: 24_174_099, duplicateRatio: 909 }).indexBuild, 'in-transaction', '26k kept rows');
  const p = gen(photos(), { rowEstimate: 10_192_750, duplicateRatio: 1.2 });
  assert.equal(p.indexBuild, 'concurrent');
  const s = p.script;
  const commit = s.indexOf('\nCOMMIT;');
  const build = s.indexOf('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS task_photos_task_pk_photo_id_key ON public.task_photos (task_pk, photo_id) NULLS NOT DISTINCT;');
  assert.ok(commit > 0 && build > commit, 'the concurrent build runs after COMMIT');
  assert.ok(s.indexOf('AND NOT indisvalid) AS dupguard_invalid_index \\gset') < build);
  assert.ok(s.includes('ALTER TABLE public.task_photos ADD CONSTRAINT task_photos_task_pk_photo_id_key UNIQUE USING INDEX task_photos_task_pk_photo_id_key;'));
  assert.ok(s.includes('DROP INDEX CONCURRENTLY IF EXISTS public.task_photos_task_pk_photo_id_key;'));
  assert.ok(s.includes('LOCK TABLE ONLY public.task_photos IN SHARE ROW EXCLUSIVE MODE;'), 'readers go on during a long delete');
  assertParses(s);
});

test('which copy is kept: created_at-like column, insert-time default, increasing id, else ctid with a warning', () => {
  assert.equal(gen(photos()).keep.description, 'oldest by created_at (ties: lowest id, then lowest physical position)');
  assert.match(gen(photos()).script, /ORDER BY created_at ASC NULLS LAST, id ASC, ctid ASC/);
  assert.match(gen(photos(), { keep: 'newest' }).script, /ORDER BY created_at DESC NULLS LAST, id DESC, ctid DESC/);
  const cols = photos().columns.filter((c) => c.name !== 'created_at');
  const loaded = gen(photos({ columns: [...cols, { name: 'fetched', type: 'timestamp without time zone', notNull: false, default: 'CURRENT_TIMESTAMP' }] }));
  assert.equal(loaded.keep.column, 'fetched');
  const byId = gen(photos({ columns: cols }));
  assert.equal(byId.keep.column, 'id');
  assert.match(byId.keep.description, /increasing id/);
  const uuidPk = photos({ columns: [{ name: 'id', type: 'uuid', notNull: true, default: 'gen_random_uuid()' }, ...cols.slice(1)] });
  const byCtid = gen(uuidPk);
  assert.equal(byCtid.keep.column, undefined);
  assert.deepEqual(byCtid.keep.tieBreak, ['ctid']);
  assert.ok(byCtid.warnings.some((w) => /--order-by/.test(w)));
  assert.match(byCtid.script, /ORDER BY ctid ASC\)/);
  assert.equal(gen(photos(), { orderBy: 'url' }).keep.column, 'url');
});

test('NULL keys: NULLS NOT DISTINCT only when a key column is nullable; distinct mode filters NULL keys out of the dedup', () => {
  assert.match(gen(photos()).constraintSql, /UNIQUE NULLS NOT DISTINCT \(task_pk, photo_id\)/);
  const notNull = photos({ columns: photos().columns.map((c) => ({ ...c, notNull: true })) });
  assert.equal(gen(notNull).constraintSql, 'ALTER TABLE public.task_photos ADD CONSTRAINT task_photos_task_pk_photo_id_key UNIQUE (task_pk, photo_id);');
  const d = gen(photos(), { nullKeys: 'distinct', strategy: 'rebuild' });
  assert.equal(d.nullKeys, 'distinct');
  assert.match(d.constraintSql, /UNIQUE \(task_pk, photo_id\);$/);
  assert.ok(d.script.includes('WHERE task_pk IS NOT NULL AND photo_id IS NOT NULL'));
  // Rows with a NULL key column are never in the mapping, so the rebuild keeps them all.
  assert.ok(d.script.includes('WHERE NOT EXISTS (SELECT 1 FROM pg_temp.dupguard_map AS m WHERE dupguard_t.ctid OPERATOR(pg_catalog.=) m.dupguard_ctid)'));
  assertParses(d.script);
});

test('foreign keys pointing at the table: references move to the kept row, old values kept for the rollback', () => {
  const t = photos({ referencedBy: [{ schema: 'public', table: 'photo_tags', name: 'photo_tags_photo_fkey', definition: 'FOREIGN KEY (photo) REFERENCES task_photos(id) ON DELETE CASCADE' }] });
  const p = gen(t, { strategy: 'rebuild' });
  assert.deepEqual(p.repointedForeignKeys, ['public.photo_tags.photo_tags_photo_fkey']);
  assert.equal(p.referenceBackups[0].qualified, 'public.task_photos_dupguard_20261123_170509_refs1');
  const s = p.script;
  assert.ok(s.includes('UPDATE public.photo_tags AS dupguard_child SET photo = o.new1'));
  assert.ok(s.includes('SELECT dupguard_child.tableoid AS t, dupguard_child.ctid AS id, dupguard_child.photo AS old1, m.dupguard_f1_new1 AS new1'), 'the referencing row\'s own value is kept for the rollback');
  assert.ok(s.indexOf('UPDATE public.photo_tags') < s.indexOf('TRUNCATE ONLY public.task_photos;'));
  assert.ok(s.includes('ALTER TABLE public.photo_tags DROP CONSTRAINT photo_tags_photo_fkey;'));
  assert.ok(s.includes('ALTER TABLE public.photo_tags ADD CONSTRAINT photo_tags_photo_fkey FOREIGN KEY (photo) REFERENCES public.task_photos(id) ON DELETE CASCADE;'));
  assert.ok(p.rollback.includes('SET photo = r.old1'));
  assertParses(s);
  assertParses(p.rollback);
  assert.throws(() => gen(photos({ referencedBy: [{ schema: 'public', table: 'x', name: 'weird', definition: 'FOREIGN KEY something odd' }] })), /cannot read the foreign key weird/);
});

test('dry-run mode: plain SQL, no transaction control, no psql meta-commands, constraint left to the caller', () => {
  const p = gen(photos(), { mode: 'dry-run', rowEstimate: 50_000_000 });
  assert.equal(p.indexBuild, 'in-transaction');
  for (const l of p.script.split('\n')) {
    assert.ok(!l.startsWith('\\'), l);
    assert.ok(!/^(BEGIN|COMMIT);$/.test(l), l);
  }
  assert.ok(!p.script.includes('ADD CONSTRAINT'));
  assert.match(p.constraintSql, /^ALTER TABLE public\.task_photos ADD CONSTRAINT/);
  assertParses(p.script);
});

test('YugabyteDB: no ctid anywhere, copies told apart by the primary key; refused without a row identity', () => {
  const p = gen(photos(), { flavour: 'yugabyte', strategy: 'delete' });
  assert.ok(!/\bctid\b/.test(p.script), 'no ctid');
  assert.ok(p.script.includes('WHERE dupguard_t.id OPERATOR(pg_catalog.=) m.dupguard_id1;'));
  assert.equal(p.nullKeys, 'distinct');
  assertParses(p.script);
  const r = gen(photos(), { flavour: 'yugabyte', strategy: 'rebuild' });
  assert.ok(!/\bctid\b/.test(r.script + r.rollback));
  assert.throws(() => gen(photos({ keys: [] }), { flavour: 'yugabyte' }), (e: Error) => e instanceof MigrationError && /YugabyteDB has no ctid/.test(e.message) && /neither/.test(e.message));
});

test('refusals name the problem', () => {
  assert.throws(() => gen(photos(), { key: [] }), /no key columns/);
  assert.throws(() => gen(photos(), { key: ['nope'] }), /"nope" is not a column of public\.task_photos \(columns: id, task_pk/);
  assert.throws(() => gen(photos(), { key: ['task_pk', 'task_pk'] }), /listed twice/);
  assert.throws(() => gen(photos({ columns: [...photos().columns, { name: 'j', type: 'json', notNull: false }] }), { key: ['j'] }), /type json.*jsonb/);
  assert.throws(() => gen(photos({ kind: 'v' })), /not a table/);
  assert.throws(() => gen(photos(), { key: ['id'] }), /already has a primary key task_photos_pkey on \(id\)/);
  assert.throws(() => gen(photos(), { orderBy: 'task_pk' }), /part of the key/);
  assert.throws(() => gen(photos(), { orderBy: 'zzz' }), /order column "zzz"/);
  // A plain UNIQUE on nullable columns still lets NULL copies through: a NULLS NOT DISTINCT migration is
  // allowed, and replaces it under its own name (never a second unique key beside it), which needs the
  // catalog's facts about it.
  const uq = photos({ keys: [...photos().keys, { kind: 'unique', name: 'u', columns: ['task_pk', 'photo_id'] }] });
  assert.throws(() => gen(uq), /has the plain unique key u on \(task_pk, photo_id\): the NULLS NOT DISTINCT migration replaces it under the same name/);
  const u = { kind: 'constraint' as const, name: 'u', indexName: 'u', columns: ['photo_id', 'task_pk'], expression: false, nullsNotDistinct: false, include: [], options: [],
    method: 'btree', deferrable: false, initiallyDeferred: false, indexDefinition: 'CREATE UNIQUE INDEX u ON public.task_photos USING btree (photo_id, task_pk)',
    clustered: false, replicaIdentity: false, partitioned: false, foreignKeys: [], otherDependants: [] };
  const replaced = gen(uq, { keyUniques: [u] });
  assert.equal(replaced.constraintName, 'u');
  assert.match(replaced.script, /^ALTER TABLE public\.task_photos DROP CONSTRAINT u;\nSET LOCAL default_tablespace = '';\nALTER TABLE public\.task_photos ADD CONSTRAINT u UNIQUE NULLS NOT DISTINCT \(photo_id, task_pk\);$/m);
  assertParses(replaced.script);
  assertParses(replaced.rollback);
  assert.throws(() => gen(uq, { keyUniques: [{ ...u, otherDependants: ['rule r on view v'] }] }), /rule r on view v depends on it: dropping it would drop that too/);
  assert.throws(() => gen(uq, { nullKeys: 'distinct' }), /already has a unique key u/);
});

test('long names stay within 63 bytes and avoid existing index and constraint names', () => {
  const t = photos({ name: 'ü'.repeat(30), indexes: [{ name: `${'ü'.repeat(30)}_task_pk_photo_id_key`.slice(0, 10), unique: false, definition: '' }] });
  const p = gen(t);
  for (const n of [p.backup.name, p.constraintName]) assert.ok(new TextEncoder().encode(n).length <= 63, n);
  assert.ok(p.backup.name.endsWith('_dupguard_20261123_170509'));
  const taken = photos({ indexes: [{ name: 'task_photos_task_pk_photo_id_key', unique: false, definition: '' }] });
  assert.equal(gen(taken).constraintName, 'task_photos_task_pk_photo_id_key1');
});

test('search_path: every script pins it first; functions, operators, catalogs and types are named with pg_catalog', () => {
  const fk = photos({ referencedBy: [{ schema: 'public', table: 'photo_tags', name: 'photo_tags_photo_fkey', definition: 'FOREIGN KEY (photo) REFERENCES task_photos(id)' }] });
  const plans = [
    gen(fk, { strategy: 'delete' }), gen(fk, { strategy: 'rebuild', nullKeys: 'distinct' }), gen(fk, { mode: 'dry-run' }),
    gen(photos(), { rowEstimate: 10_192_750, duplicateRatio: 1.2 }), gen(photos({ kind: 'p' }), { key: ['task_pk'] }), gen(photos(), { flavour: 'yugabyte' }),
  ];
  for (const p of plans) {
    for (const s of [p.script, p.rollback]) {
      const sqlLines = s.split('\n').filter((l) => !l.startsWith('--') && !l.startsWith('\\'));
      // The first statement of the transaction (psql: right after BEGIN; dry run: the first one).
      assert.equal(sqlLines.filter((l) => l !== 'BEGIN;' && l !== '')[0], 'SET LOCAL search_path = pg_catalog, pg_temp;');
      const sql = sqlLines.join('\n').replace(/'(?:[^']|'')*'/g, "''");
      // Any lower-case word followed by "(" is either qualified, a keyword construct, or a relation alias's column list.
      for (const m of sql.matchAll(/(^|[^a-z0-9_$".])([a-z_][a-z0-9_]*)\s*\(/g)) {
        assert.ok(['coalesce', 'k'].includes(m[2]), `unqualified call ${m[2]}( in:\n${s}`);
      }
      // Operators only as OPERATOR(pg_catalog.x) ('=' of SET, UPDATE ... SET and RAISE ... USING are assignments).
      const bare = sql.replace(/OPERATOR\(pg_catalog\.[^)]+\)/g, '').replace(/USING DETAIL = SQLERRM, HINT =/g, '').replace(/\bSET [^;]*?(?= FROM| WHERE|;)/g, '').match(/\s(<>|>=|<=|!=|\|\||[<>+\-=~])\s/g);
      assert.equal(bare, null, `bare operator ${bare?.join(',')} in:\n${s}`);
      assert.doesNotMatch(sql, /(?<!pg_catalog\.)\bpg_(index|class|attribute|constraint|trigger|am|partitioned_table)\b/);
      assert.doesNotMatch(sql, /::(regclass|text|int8|bigint|oid|tid|int2)\b/);
      assert.doesNotMatch(sql, /\bIS (NOT )?DISTINCT FROM\b|\bCASE \S+ WHEN\b|\bLIKE\b/, 'constructs that look "=" up by name');
    }
  }
});

test('temporary indexes: only with the delete, only for referencing keys the catalog lists as unindexed (or all, checked at run time)', () => {
  const t = photos({ referencedBy: [
    { schema: 'public', table: 'a', name: 'a_fk', definition: 'FOREIGN KEY (p) REFERENCES task_photos(id)' },
    { schema: 'other', table: 'b', name: 'b_fk', definition: 'FOREIGN KEY (p, q) REFERENCES task_photos(id, task_pk)' },
  ] });
  assert.deepEqual(gen(t, { strategy: 'delete' }).temporaryIndexes.map((x) => [x.foreignKey, x.known]), [['public.a.a_fk', false], ['other.b.b_fk', false]]);
  const known = gen(t, { unindexedForeignKeys: ['other.b.b_fk'], duplicateRatio: 1.5 });
  assert.equal(known.strategy, 'delete');
  assert.deepEqual(known.temporaryIndexes.map((x) => [x.foreignKey, x.index.qualified, x.known]), [['other.b.b_fk', 'other.task_photos_dupguard_20261123_170509_fk2', true]]);
  assert.match(known.strategyReason, /other\.b has no index on \(p, q\): each deleted copy would read that whole table/);
  assert.ok(known.script.includes('CREATE INDEX task_photos_dupguard_20261123_170509_fk2 ON other.b (p, q);'));
  assert.ok(!known.script.includes('ON public.a (p)'));
  assert.deepEqual(gen(t, { strategy: 'rebuild' }).temporaryIndexes, []);
  assertParses(known.script);
});

test('partitioned table: refused up front when the catalog says the key lacks a partition column', () => {
  const t = photos({ kind: 'p' });
  assert.throws(() => gen(t, { partitionKey: ['created_at'] }), /partitioned by \(created_at\).*lacks created_at/);
  assert.throws(() => gen(t, { partitionKey: [null] }), /partition key expression cannot be part of one/);
  assert.equal(gen(t, { partitionKey: ['task_pk'] }).strategy, 'delete');
  assert.equal(gen(t, { partitionKey: ['created_at'], purpose: 'rollback' }).strategy, 'delete', 'a rollback is never refused for it');
});
