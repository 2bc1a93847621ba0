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
 * script (guard, counts, backup, dedup, validation, UNIQUE constraint, COMMIT, ANALYZE) runs and two
 * times are taken: the whole script, and its dedup step alone (step 4). Backup, counts and validation
 * cost about the same in both strategies, so the step time shows the difference most clearly; the
 * automatic threshold follows the whole script, which is what the user waits for.
 */
import * as os from 'node:os';
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
  // Ctrl-C or kill must not leave the private server running.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { server.stop(); process.exit(130); });
  const client = new Client({ connectionString: server.url });
  await client.connect();
  client.on('notice', () => {});
  console.log(`PostgreSQL 15 private server, ${rows.toLocaleString('en')} rows per table, ${os.cpus().length} CPUs, ${reps} run(s) each (best kept)\n`);
  const results: { ratio: number; del: number; reb: number; delStep: number; rebStep: number }[] = [];
  try {
    for (const ratio of ratios) {
      const keys = Math.max(1, Math.round(rows / ratio));
      const best: Record<'delete' | 'rebuild', number> = { delete: Infinity, rebuild: Infinity };
      const bestStep: Record<'delete' | 'rebuild', number> = { delete: Infinity, rebuild: Infinity };
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
          // The dry-run text is the same script without psql meta-commands and transaction control,
          // so it can run statement group by statement group with the dedup step timed on its own.
          const plan = generateMigration(desc, { key: ['task_pk', 'photo_id'], strategy, mode: 'dry-run', backupName: 'backup' });
          const s = plan.script;
          const i4 = s.indexOf('\n-- Step 4:');
          const i5 = s.indexOf('\n-- Step 5:');
          const t0 = process.hrtime.bigint();
          await client.query('BEGIN');
          await client.query(s.slice(0, i4));
          const t1 = process.hrtime.bigint();
          await client.query(s.slice(i4, i5));
          const t2 = process.hrtime.bigint();
          await client.query(s.slice(i5));
          await client.query(plan.constraintSql);
          await client.query('COMMIT');
          await client.query('ANALYZE bench.task_photos');
          const t3 = process.hrtime.bigint();
          const ms = Number(t3 - t0) / 1e6;
          const dedupMs = Number(t2 - t1) / 1e6;
          const left = Number((await client.query('SELECT count(*) AS n FROM bench.task_photos')).rows[0].n);
          if (left !== keys) throw new Error(`${strategy} at ${ratio}x left ${left} rows, expected ${keys}`);
          bestStep[strategy] = Math.min(bestStep[strategy], dedupMs);
          best[strategy] = Math.min(best[strategy], ms);
        }
      }
      results.push({ ratio, del: best.delete, reb: best.rebuild, delStep: bestStep.delete, rebStep: bestStep.rebuild });
      const r = results[results.length - 1];
      console.log(`${`${ratio}x`.padStart(7)}  keys ${String(keys).padStart(8)}  script: delete ${r.del.toFixed(0).padStart(6)} ms, rebuild ${r.reb.toFixed(0).padStart(6)} ms (${(r.reb / r.del).toFixed(2)})   dedup step: delete ${r.delStep.toFixed(0).padStart(6)} ms, rebuild ${r.rebStep.toFixed(0).padStart(6)} ms (${(r.rebStep / r.delStep).toFixed(2)})`);
    }
  } finally {
    await client.end();
    server.stop();
  }
  // Crossover: the smallest measured ratio from which rebuild is faster at every larger ratio too.
  const crossover = (faster: (r: typeof results[number]) => boolean): number | undefined => {
    let c: number | undefined;
    for (let i = results.length - 1; i >= 0 && faster(results[i]); i--) c = results[i].ratio;
    return c;
  };
  console.log('\n| ratio | script, delete ms | script, rebuild ms | rebuild/delete | dedup step, delete ms | dedup step, rebuild ms | rebuild/delete |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.ratio}x | ${r.del.toFixed(0)} | ${r.reb.toFixed(0)} | ${(r.reb / r.del).toFixed(2)} | ${r.delStep.toFixed(0)} | ${r.rebStep.toFixed(0)} | ${(r.rebStep / r.delStep).toFixed(2)} |`);
  const whole = crossover((r) => r.reb < r.del);
  const step = crossover((r) => r.rebStep < r.delStep);
  console.log(`\ncrossover (whole script): ${whole === undefined ? 'rebuild never faster' : `rebuild faster from ${whole}x`}`);
  console.log(`crossover (dedup step):   ${step === undefined ? 'rebuild never faster' : `rebuild faster from ${step}x`}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
