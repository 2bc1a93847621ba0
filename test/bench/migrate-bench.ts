/**
 * `npm run bench:migrate`: times the generated dedup migration, DELETE strategy against rebuild, on
 * the same table at several duplicate ratios, on a private PostgreSQL started for the run, and prints
 * the crossover ratio (the smallest measured ratio from which rebuild stays faster). The generator's
 * REBUILD_FROM_RATIO (src/migrate/thresholds.ts) comes from this.
 *
 *   npm run bench:migrate -- [--rows 500000] [--ratios 1.01,1.1,1.5,2,3,5,10,27,100,909] [--reps 1]
 *
 * Each run: a fresh table shaped like seed 002's child tables (bigserial id, natural key of an int and
 * a text, url, created_at, jsonb, an extra index), filled as an ETL that re-inserted the whole batch
 * on every run (copies of a key far apart on disk), ANALYZEd and CHECKPOINTed; then the complete
 * script (backup, counts, dedup, validation, UNIQUE constraint, ANALYZE) runs through psql and its
 * wall time is taken. Backup and constraint cost the same in both strategies; the difference is the
 * dedup itself.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { describeTable } from '../../src/db/introspect';
import { generateMigration } from '../../src/migrate/generate';
import { startPostgres } from '../support/postgres';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const rows = Number(arg('rows', '500000'));
  const ratios = arg('ratios', '1.01,1.1,1.5,2,3,5,10,27,100,909').split(',').map(Number);
  const reps = Number(arg('reps', '1'));
  const server = await startPostgres();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dupguard-migrate-bench-'));
  const client = new Client({ connectionString: server.url });
  await client.connect();
  client.on('notice', () => {});
  console.log(`PostgreSQL 15 private server, ${rows.toLocaleString('en')} rows per table, ${os.cpus().length} CPUs, ${reps} run(s) each (best kept)\n`);
  const results: { ratio: number; del: number; reb: number }[] = [];
  try {
    for (const ratio of ratios) {
      const keys = Math.max(1, Math.round(rows / ratio));
      const best: Record<'delete' | 'rebuild', number> = { delete: Infinity, rebuild: Infinity };
      for (let rep = 0; rep < reps; rep++) {
        for (const strategy of ['delete', 'rebuild'] as const) {
          await client.query(`DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench;
            CREATE TABLE bench.task_photos (id bigserial PRIMARY KEY, task_pk integer NOT NULL, photo_id text NOT NULL,
              url text, created_at timestamptz NOT NULL, meta jsonb);
            INSERT INTO bench.task_photos (task_pk, photo_id, url, created_at, meta)
            SELECT k, 'photo-' || k, 'https://example.com/p/' || k || '.jpg', timestamptz '2025-01-01' + i * interval '1 second', jsonb_build_object('run', i / ${keys})
            FROM generate_series(0, ${rows - 1}) AS i, LATERAL (SELECT i % ${keys} AS k) AS kk;
            CREATE INDEX task_photos_url_idx ON bench.task_photos (url);`);
          await client.query('VACUUM ANALYZE bench.task_photos');
          await client.query('CHECKPOINT');
          const desc = await describeTable(client, 'bench', 'task_photos');
          const plan = generateMigration(desc, { key: ['task_pk', 'photo_id'], strategy, indexBuild: 'in-transaction', backupName: 'backup' });
          const file = path.join(tmp, `${strategy}.sql`);
          fs.writeFileSync(file, plan.script);
          const t0 = process.hrtime.bigint();
          const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', server.url, '-f', file], { encoding: 'utf8' });
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          if (r.status !== 0) throw new Error(`${strategy} at ${ratio}x failed: ${r.stderr}`);
          const left = Number((await client.query('SELECT count(*) AS n FROM bench.task_photos')).rows[0].n);
          if (left !== keys) throw new Error(`${strategy} at ${ratio}x left ${left} rows, expected ${keys}`);
          best[strategy] = Math.min(best[strategy], ms);
        }
      }
      results.push({ ratio, del: best.delete, reb: best.rebuild });
      const r = results[results.length - 1];
      console.log(`${`${ratio}x`.padStart(7)}  keys ${String(keys).padStart(8)}  delete ${r.del.toFixed(0).padStart(7)} ms  rebuild ${r.reb.toFixed(0).padStart(7)} ms  rebuild/delete ${(r.reb / r.del).toFixed(2)}`);
    }
  } finally {
    await client.end();
    server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  // Crossover: the smallest measured ratio from which rebuild is faster at every larger ratio too.
  let crossover: number | undefined;
  for (let i = results.length - 1; i >= 0 && results[i].reb < results[i].del; i--) crossover = results[i].ratio;
  console.log('\n| ratio | delete ms | rebuild ms | rebuild/delete |');
  console.log('|---|---|---|---|');
  for (const r of results) console.log(`| ${r.ratio}x | ${r.del.toFixed(0)} | ${r.reb.toFixed(0)} | ${(r.reb / r.del).toFixed(2)} |`);
  console.log(crossover === undefined
    ? '\ncrossover: rebuild was not faster at the largest measured ratio'
    : `\ncrossover: rebuild is faster from ${crossover}x (every measured ratio at or above it)`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
