/**
 * The caches that carry work from one analysis of a document to the next (the document's own DDL
 * model, per-statement parse trees) must never change a finding: after each edit of a sequence, the
 * analysis that reuses the previous one's work gives exactly the findings (ranges, messages, fixes,
 * related locations) of an analysis from empty caches.
 */
import * as assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { AnalysisCaches, analyze, type AnalyzeInput } from '../../../src/engine/analyze';
import { buildSchemaFromDdl, ensureParser } from '../../../src/core/schema/ddl';
import type { Finding } from '../../../src/core/types';

before(async () => {
  await ensureParser();
});

const SQL = `-- setup
SET search_path = public;
CREATE TABLE events (
  id bigint,
  kind text,
  ts_ms bigint,
  CONSTRAINT events_kind_key UNIQUE (kind, ts_ms)
);
CREATE UNIQUE INDEX events_id_idx ON events (id);
INSERT INTO events (id, kind, ts_ms) VALUES (1, 'a', 1), (1, 'b', 2) ON CONFLICT (kind) DO NOTHING;
INSERT INTO events (id, kind, ts_ms) VALUES (3, 'c', 3), (3, 'd', 4) ON CONFLICT (id) DO UPDATE SET ts_ms = excluded.ts_ms;
CREATE TABLE audit (note text);
CREATE FUNCTION touch(p text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit (note) VALUES (p) ON CONFLICT DO NOTHING;
END;
$$;
INSERT INTO audit (note) VALUES ('n') ON CONFLICT (note) DO NOTHING;
COPY audit FROM STDIN;
x
\\.
MERGE INTO events e USING (VALUES (1, 'a'), (1, 'b')) AS s(id, kind) ON e.id = s.id WHEN MATCHED THEN UPDATE SET kind = s.kind, ts_ms = s.ts_ms;
COPY logs FROM STDIN;
a
\\.
BEGIN;
COPY logs (note) FROM STDIN;
b
\\.
COMMIT;
`;

/** How the warm caches had each document DDL model: made anew, reused as is, reused with its locations moved. */
const ruleCacheStats = { ddlBuilt: 0, ddlReused: 0, ddlMoved: 0 };
const counted = { built: 'ddlBuilt', reused: 'ddlReused', moved: 'ddlMoved' } as const;
const fresh = () => new AnalysisCaches({ observeDdl: (how) => ruleCacheStats[counted[how]]++ });
/** The caches the editor would carry from one analysis to the next. */
let caches = fresh();

/** Findings of `text` with whatever the caches hold from earlier analyses. */
function warm(text: string, input: Omit<AnalyzeInput, 'text'>): Finding[] {
  return analyze({ ...input, text, caches }).findings;
}

/** Findings of `text` from empty caches (the next warm analysis starts from what this one leaves). */
function cold(text: string, input: Omit<AnalyzeInput, 'text'>): Finding[] {
  caches = fresh();
  return warm(text, input);
}

/** Applies each edit in turn; after each, the warm analysis must equal the cold one. Returns the findings per step. */
function replay(start: string, edits: Array<(text: string) => string>, input: Omit<AnalyzeInput, 'text'>): Finding[][] {
  let text = start;
  cold(text, input);
  const out: Finding[][] = [];
  for (const [i, edit] of edits.entries()) {
    text = edit(text);
    const w = warm(text, input);
    const c = cold(text, input);
    assert.deepEqual(w, c, `edit #${i + 1}: cached findings differ from a fresh analysis\n${text}`);
    out.push(c);
    // the next edit starts from this text's caches, as in the editor
  }
  return out;
}

const insertAt = (needle: string, what: string, after = false) => (text: string) => {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `${needle} in the text`);
  const at = after ? i + needle.length : i;
  return text.slice(0, at) + what + text.slice(at);
};
const replace = (from: string, to: string) => (text: string) => {
  assert.ok(text.includes(from), `${from} in the text`);
  return text.replace(from, to);
};

/** The related location of the on-conflict-target finding (it points at CREATE TABLE events). */
function createdHere(findings: Finding[]) {
  return findings.find((f) => f.rule === 'on-conflict-target-without-unique-index' && f.message.includes('events'))?.related?.[0]?.location;
}

test('edits above, inside and below CREATE TABLE give the findings of a fresh analysis, related locations included', () => {
  const input = { path: 'migrations/010_events.sql' };
  const stats0 = { ...ruleCacheStats };
  const steps = replay(SQL, [
    insertAt('-- setup', 'x', true), // one character above the DDL: every offset moves by one
    insertAt('SET search_path', '\n\n'), // lines move
    insertAt('CREATE TABLE events', 'SELECT 1; '), // same line as CREATE TABLE: its column moves too
    replace('-- setupx', '--\n--setu'), // same length, one more line break: offsets stay, lines move
    insertAt('  kind text,', '  extra int,\n'), // inside CREATE TABLE: the model is made again
    insertAt("VALUES (1, 'a', 1)", ' '), // inside an INSERT
    insertAt('ON CONFLICT (id) DO UPDATE SET ts_ms = excluded.ts_ms', ' WHERE excluded.ts_ms > events.ts_ms', true), // the upsert gets its guard
    replace('CREATE TABLE audit (note text);\n', ''), // a table is deleted
    replace('UNIQUE (kind, ts_ms)', 'UNIQUE (kind)'), // a key changes
    replace('UNIQUE (kind)', 'UNIQUE (kind, ts_ms)'), // and back: an earlier model's text again
    (t) => `${t}-- the end\n`, // below every statement: nothing moves
    replace('a\n\\.', 'a\nc\n\\.'), // a COPY's inline data changes (its fix is written after the data)
    replace('BEGIN;\n', ''), // the same COPY text, no longer in a transaction: its fix adds BEGIN/COMMIT
    insertAt('  INSERT INTO audit (note) VALUES (p)', '  PERFORM 1;\n'), // inside a function body
    replace('RETURNS void', 'RETURNS  void'), // inside a function's header
    (t) => t.replace(/CREATE FUNCTION[\s\S]*?\$\$;\n/, ''), // a function deleted
    (t) => t.slice(t.indexOf('CREATE TABLE events')), // everything above the DDL deleted
  ], input);
  // the sequence reached the paths it is meant to test
  assert.ok(ruleCacheStats.ddlMoved > stats0.ddlMoved, 'some analysis moved a cached DDL model');
  assert.ok(ruleCacheStats.ddlReused > stats0.ddlReused, 'some analysis reused a cached DDL model');
  // and the locations really moved: the table is created on line 3, then 5, then on 5 at column 11, then 6
  const lines = steps.slice(0, 4).map((s) => createdHere(s));
  assert.deepEqual(lines.map((l) => l && [l.line, l.column, l.endLine]), [[3, 1, 8], [5, 1, 10], [5, 11, 10], [6, 11, 11]]);
  assert.equal(steps[0].find((f) => f.rule === 'on-conflict-target-without-unique-index')!.related![0].location.start, SQL.indexOf('CREATE TABLE events') + 1);
  // the guard silenced the upsert finding; the deleted table's finding went with it
  assert.equal(steps[6].filter((f) => f.rule === 'upsert-without-ordering-guard').length, 1);
  assert.equal(steps[7].filter((f) => f.rule === 'table-without-unique-key').length, 0);
});

test('with a workspace schema, and in TS queries that create the table they insert into', () => {
  const schema = buildSchemaFromDdl([{ path: 'migrations/001.sql', text: 'CREATE TABLE orders (id bigint PRIMARY KEY, ref text UNIQUE);\n' }]);
  replay(SQL, [
    insertAt('-- setup', '\n'),
    insertAt('INSERT INTO audit', 'INSERT INTO orders (ref) VALUES (1) ON CONFLICT DO NOTHING;\n'),
    insertAt('-- setup', '-- more\n'),
    replace('orders (ref)', 'orders (id, ref)'),
  ], { path: 'a.sql', schema });
  const ts = [
    "import { sql } from './sql';",
    'export async function load(db: any) {',
    '  await db.query(`CREATE TABLE jobs (id bigint, name text); INSERT INTO jobs (id, name) VALUES (1, \'a\') ON CONFLICT (name) DO NOTHING`);',
    '  await db.query(`CREATE TABLE runs (id bigint, at int); INSERT INTO runs (id, at) VALUES (1, 2) ON CONFLICT (at) DO NOTHING`);',
    '  await db.query(`INSERT INTO orders (ref) VALUES ($1) ON CONFLICT DO NOTHING`);',
    '}',
    '',
  ].join('\n');
  const steps = replay(ts, [
    insertAt('export async', '// a comment\n'),
    insertAt('CREATE TABLE jobs (', ' '),
    insertAt('(id bigint', ' ', true),
    replace('name text', 'name text UNIQUE'),
    insertAt('import', '\n\n'),
  ], { path: 'src/load.ts', schema });
  const jobs = (fs: Finding[]) => fs.filter((f) => f.rule === 'on-conflict-target-without-unique-index' && f.message.includes('jobs')).length;
  assert.deepEqual(steps.map(jobs), [1, 1, 1, 0, 0], 'the finding from the query\'s own DDL, gone once its CREATE TABLE has the UNIQUE');
});

test('random edits between the tokens of a script: cached and fresh analyses agree at every step', () => {
  // a small deterministic generator (mulberry32): the same edits every run
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  // blanks, line breaks and words typed between tokens, blanks deleted where two stand together:
  // the statements stay statements (a stray quote or a split keyword would change the whole script),
  // while offsets, lines and columns move everywhere
  const chars = [' ', '\n', ' x', '\n\n', '\t'];
  const edits: Array<(text: string) => string> = [];
  for (let i = 0; i < 120; i++) {
    edits.push((text) => {
      let at = rand(text.length);
      while (at < text.length && !/\s/.test(text[at])) at++;
      if (rand(3) === 0 && /\s/.test(text[at + 1] ?? '')) return text.slice(0, at) + text.slice(at + 1);
      return text.slice(0, at) + chars[rand(chars.length)] + text.slice(at);
    });
  }
  // without the COPY blocks: a blank typed into a `\\.` line would make the rest of the script COPY data
  const script = SQL.slice(0, SQL.indexOf('COPY logs'));
  const moved = ruleCacheStats.ddlMoved;
  const steps = replay(script + script.replace(/events/g, 'events2'), edits, { path: 'b.sql' });
  assert.ok(ruleCacheStats.ddlMoved - moved > 40, `many edits moved the cached DDL model (${ruleCacheStats.ddlMoved - moved} of ${steps.length})`);
  const related = steps.filter((fs) => fs.some((f) => f.related?.length)).length;
  assert.ok(related > 40, `the findings point at the DDL in many steps (${related} of ${steps.length})`);
});

test('the same text after the workspace schema, the natural keys or the document DDL changed: findings of a fresh analysis', () => {
  const text = [
    'CREATE TABLE events (id bigint, kind text, ts_ms bigint);',
    "INSERT INTO events (id, kind, ts_ms) VALUES (1, 'a', 5) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind;",
    "INSERT INTO orders (ref) VALUES ('r') ON CONFLICT DO NOTHING;",
    'CREATE TABLE audit (note text);',
    '',
  ].join('\n');
  const ddl = (sql: string) => buildSchemaFromDdl([{ path: 'migrations/001.sql', text: sql }]);
  const one = ddl('CREATE TABLE orders (id bigint PRIMARY KEY, ref text UNIQUE);\n');
  const two = ddl('CREATE TABLE orders (id bigserial PRIMARY KEY, ref text);\n');
  const inputs: Array<Omit<AnalyzeInput, 'text'>> = [
    { path: 'a.sql', schema: one },
    { path: 'a.sql', schema: two }, // another workspace schema object: orders has other keys
    { path: 'a.sql' }, // none at all
    { path: 'a.sql', schema: two, config: { naturalKeys: { audit: ['note'], orders: ['ref'] } } },
    { path: 'a.sql', schema: two, config: { naturalKeys: { audit: ['note'], orders: ['ref'] } } }, // equal keys, new object
    { path: 'a.sql', schema: two, config: { naturalKeys: { audit: ['note'] } } },
  ];
  let previous: Finding[] | undefined;
  const seen = new Set<string>();
  for (const [i, input] of inputs.entries()) {
    const w = warm(text, input);
    const c = cold(text, input);
    assert.deepEqual(w, c, `input #${i + 1}: cached findings differ from a fresh analysis`);
    seen.add(JSON.stringify(c));
    // warm the caches with the previous input again, so the next one starts from them
    if (previous) warm(text, inputs[i - 1]);
    previous = c;
  }
  assert.ok(seen.size >= 4, `the inputs change the findings (${seen.size} distinct results)`);
  // the document's own DDL changes under a statement whose text stays: the upsert now supplies a version column
  replay(text, [replace('ts_ms bigint', 'ts_ms bigint, version int'), replace('(id, kind, ts_ms)', '(id, kind, version)'), replace('version int', 'version text')], { path: 'a.sql' });
});

test('typing a word into a function header or a CREATE TABLE: the states the grammar rejects reuse the DDL model, findings as fresh', () => {
  /** One edit per keystroke: `word` typed letter by letter after `needle`. */
  const typing = (needle: string, word: string) => [...word].map((_, k) => (text: string) => {
    const typed = word.slice(0, k);
    const i = text.indexOf(needle + typed);
    assert.ok(i >= 0, `${needle}${typed} in the text`);
    const at = i + needle.length + typed.length;
    return text.slice(0, at) + word[k] + text.slice(at);
  });
  /** Warm analyses after each keystroke (the models they made counted), then each compared with a fresh one. */
  const type = (start: string, edits: Array<(text: string) => string>) => {
    const input = { path: 'migrations/020_typing.sql' };
    cold(start, input);
    const built0 = ruleCacheStats.ddlBuilt;
    const texts: string[] = [];
    const steps: Finding[][] = [];
    let text = start;
    for (const edit of edits) {
      text = edit(text);
      texts.push(text);
      steps.push(warm(text, input));
    }
    const built = ruleCacheStats.ddlBuilt - built0;
    texts.forEach((t, i) => assert.deepEqual(steps[i], cold(t, input), `keystroke #${i + 1}: cached findings differ from a fresh analysis\n${t}`));
    return { built, steps };
  };
  // half-typed, the header is invalid (`RETURNS void L plpgsql`, `... LANGUAG plpgsql`): no state of it changes a table
  const header = type(SQL.replace('LANGUAGE plpgsql', 'plpgsql'), typing('RETURNS void ', 'LANGUAGE '));
  assert.equal(header.built, 0, 'typing in a function header never made the DDL model again');
  // while a CREATE TABLE is invalid its table is absent from the model: one model for all those states
  // (`extra b` is valid, a column of type b; so is each longer type name: those make models of their own)
  const column = type(SQL, typing('  id bigint,\n', 'extra bigint,\n'));
  assert.ok(column.built <= 4, `typing a column (14 keystrokes) made the DDL model ${column.built} times`);
  const events = (fs: Finding[]) => fs.filter((f) => f.message.includes('events')).length;
  assert.ok(events(column.steps[column.steps.length - 1]) > 0, 'the finished CREATE TABLE events is in the model again');
});

test('an analysis that reads the document once (reuse: false, as lint does) keeps no DDL model for the next one, and finds the same', () => {
  const input = { path: 'migrations/030_once.sql' };
  caches = fresh();
  const built0 = ruleCacheStats.ddlBuilt;
  const reused0 = ruleCacheStats.ddlReused + ruleCacheStats.ddlMoved;
  const reusedAsIs0 = ruleCacheStats.ddlReused;
  const once = analyze({ ...input, text: SQL, caches, reuse: false }).findings;
  // the next analysis of the same text finds nothing kept: it makes the model again
  const next = warm(SQL, input);
  assert.equal(ruleCacheStats.ddlBuilt - built0, 2, 'the second analysis made the model anew');
  assert.equal(ruleCacheStats.ddlReused + ruleCacheStats.ddlMoved - reused0, 0, 'nothing was kept to reuse');
  assert.deepEqual(once, next);
  assert.ok(once.some((f) => f.message.includes('events')), 'the document DDL model was used');
  // a kept one is reused as before
  warm(SQL, input);
  assert.equal(ruleCacheStats.ddlReused - reusedAsIs0, 1);
});
