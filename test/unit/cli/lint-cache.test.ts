/**
 * `dupguard lint --cache`: a run with nothing changed analyzes nothing and reads no SQL grammar; a
 * changed file invalidates exactly what depends on it (its own findings; the schema when it is SQL,
 * and every file's findings when the schema model changed), and the report is always the one a run
 * without the cache prints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CliIO } from '../../../src/cli/io';
import { defaultDeps, run, type LintDeps } from '../../../src/cli/lint';
import type { AnalyzeInput } from '../../../src/engine/analyze';

interface Counts { analyzed: string[]; schemas: number; parser: number }

/** The real analyzer and schema, counting what each run computes. */
function counting(): { deps: LintDeps; counts: Counts } {
  const counts: Counts = { analyzed: [], schemas: 0, parser: 0 };
  const deps: LintDeps = {
    ...defaultDeps,
    analyze: (input: AnalyzeInput) => {
      counts.analyzed.push(input.path ?? '');
      return defaultDeps.analyze(input);
    },
    loadSchemas: (files, options) => {
      counts.schemas++;
      return defaultDeps.loadSchemas(files, options);
    },
    loadParser: () => {
      counts.parser++;
      return defaultDeps.loadParser();
    },
  };
  return { deps, counts };
}

async function lint(cwd: string, args: string[]): Promise<{ code: number; stdout: string; counts: Counts }> {
  let stdout = '';
  const io: CliIO = { stdout: (s) => { stdout += s; }, stderr: () => {}, cwd, env: {} };
  const { deps, counts } = counting();
  const code = await run(['--format', 'json', ...args, '.'], io, deps);
  counts.analyzed.sort();
  return { code, stdout, counts };
}

const DDL = 'CREATE TABLE events (id bigint, external_id text, payload text);\n';
const UPSERT = "INSERT INTO events (external_id, payload) VALUES ('a', 'x')\nON CONFLICT (external_id) DO NOTHING;\n";
const OTHER = "INSERT INTO audit (note) VALUES ('x');\n";
const TS = "import { sql } from 'x';\nexport const q = sql`INSERT INTO events (external_id) VALUES (${1}) ON CONFLICT (external_id) DO NOTHING`;\n";

test('--cache: unchanged files are not analyzed again; a changed file invalidates exactly what depends on it, schema included', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-cache-'));
  const write = (rel: string, text: string) => fs.writeFileSync(path.join(dir, rel), text);
  write('.dupguard.json', '{}');
  write('001_schema.sql', DDL);
  write('002_upsert.sql', UPSERT);
  write('003_other.sql', OTHER);
  write('app.ts', TS);
  const all = ['001_schema.sql', '002_upsert.sql', '003_other.sql', 'app.ts'];
  /** A run with the cache must print what a run without it prints. */
  const check = async (expectAnalyzed: string[], expectSchema: number) => {
    const plain = await lint(dir, []);
    const cached = await lint(dir, ['--cache']);
    assert.equal(cached.stdout, plain.stdout);
    assert.equal(cached.code, plain.code);
    assert.deepEqual(cached.counts.analyzed, expectAnalyzed);
    assert.equal(cached.counts.schemas, expectSchema);
    assert.equal(cached.counts.parser, expectAnalyzed.length || expectSchema ? 1 : 0, 'the grammar loads only for something to compute');
    return cached.stdout;
  };

  // cold: everything computed, and the upsert's target has no unique key in the schema
  const first = await check(all, 1);
  assert.match(first, /on-conflict-target-without-unique-index/);
  assert.ok(fs.existsSync(path.join(dir, 'node_modules/.cache/dupguard/lint-cache.json')));
  // nothing changed: nothing computed, no grammar loaded
  await check([], 0);
  // a TS file changed: any TS/JS file may declare ORM tables, so the model is made again; it is the
  // same, so only that file is analyzed again
  write('app.ts', `${TS}// edited\n`);
  await check(['app.ts'], 1);
  // a SQL statement that shapes no table: the schema is made again, is the same, so only that file
  write('003_other.sql', `${OTHER}${OTHER}`);
  await check(['003_other.sql'], 1);
  // the table gets its key: the schema changes, and every file's findings depended on it
  write('001_schema.sql', DDL.replace('external_id text', 'external_id text UNIQUE'));
  const keyed = await check(all, 1);
  assert.doesNotMatch(keyed, /on-conflict-target-without-unique-index/);
  // a file deleted: the schema is made again without it; the others' findings hold while it is the same model
  fs.rmSync(path.join(dir, '003_other.sql'));
  await check([], 1);
  // a cache file that is not ours, or broken: ignored, everything computed
  fs.writeFileSync(path.join(dir, 'node_modules/.cache/dupguard/lint-cache.json'), '{"format": 1, "files": "no"');
  await check(['001_schema.sql', '002_upsert.sql', 'app.ts'], 1);
});
