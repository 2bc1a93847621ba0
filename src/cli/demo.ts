/**
 * `dupguard demo`: the whole job on one screen, no server needed. An embedded PostgreSQL (PGlite)
 * gets tables holding the kinds of duplicates dupguard exists for; lint reads the example code that
 * made them (docs/examples); the scan finds them with the engine `dupguard scan` uses; the migration
 * for the worst table is dry-run, then applied to this throwaway database and the table scanned again.
 * `--verbose` adds the full lint output, scan report, dry-run report and the production figures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatHelp, parseArgs, UsageError } from './args';
import type { CliIO } from './io';
import { bytes, formatReport } from './scan';
import type { ScanCheck, ScanReport } from '../db/report';
import type { DemoTable } from '../db/demo-data';

const SPEC = {
  verbose: { type: 'boolean', short: 'v', description: 'also print the full lint output, scan report, dry-run report and the production figures' },
  format: { type: 'string', choices: ['text', 'json', 'md'], default: 'text', short: 'f', description: 'text, or the first scan report as json/md on stdout (the story goes to stderr)' },
  quick: { type: 'boolean', description: 'also run a quick (estimated) scan and show it next to the exact one' },
  lint: { type: 'boolean', default: true, description: 'lint docs/examples (--no-lint to skip)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const;

const USAGE = `Usage: dupguard demo [options]

Plants duplicate rows in an embedded PostgreSQL (PGlite: no server, no network), lints the example
code that made them (docs/examples), scans the database, dry-runs the migration that removes them,
applies it to this throwaway database and scans again. One screen; --verbose for the details.

Options:
${formatHelp(SPEC)}`;

/** The repository's docs/examples, found from the running file (src/cli or dist). */
function examplesDir(): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const p = path.join(dir, 'docs', 'examples');
    if (fs.existsSync(p)) return p;
    dir = path.dirname(dir);
  }
  return undefined;
}

const n = (v: number) => v.toLocaleString('en-US');

/** Each rule's hazard in a newcomer's words (the rule's id is in the --verbose output). */
const PLAIN: Record<string, string> = {
  'on-conflict-without-target': 'ON CONFLICT DO NOTHING with no conflict target',
  'copy-without-resume-strategy': 'a COPY load that a re-run copies again',
  'on-conflict-target-without-unique-index': 'a conflict target that is no unique key',
  'duplicate-keys-in-values': 'one VALUES list repeating a key',
  'upsert-without-ordering-guard': 'an upsert letting old events overwrite new rows',
  'merge-source-not-deduplicated': 'a MERGE source that can hold a key twice',
  'unique-key-allows-null-duplicates': 'a unique key that NULLs slip past',
  'table-without-unique-key': 'a table with no unique key at all',
  'timestamp-staging-table-name': 'a staging table named after the clock',
  'check-then-insert-race': 'SELECT-then-INSERT racing itself',
  'unique-constraint-violated-by-data': 'a UNIQUE key today\'s rows already violate',
  'unused-suppression': 'an ignore comment that silences nothing',
};

/** How a scan check found the copies, in words. */
function foundBy(c: ScanCheck): string {
  if (c.kind === 'exact-row') return 'ignoring generated ids';
  if (c.kind === 'unique-nulls') return `NULLs past UNIQUE (${c.columns.join(', ')})`;
  return `by (${c.columns.join(', ')})`;
}

interface LintSummary { problems: number; files: number; byRule: Map<string, string[]>; text: string; code: number }

export async function run(argv: string[], io: CliIO): Promise<number> {
  let f;
  try {
    f = parseArgs(argv, SPEC).flags;
  } catch (e) {
    if (e instanceof UsageError) { io.stderr(`dupguard demo: ${e.message}\n\n${USAGE}\n`); return 2; }
    throw e;
  }
  if (f.help) { io.stdout(`${USAGE}\n`); return 0; }
  const text = f.format === 'text';
  const say = (s: string) => (text ? io.stdout(`${s}\n`) : io.stderr(`${s}\n`));
  const more = (s: string) => { if (f.verbose) say(s); };
  const t0 = Date.now();
  const secs = (from = t0) => `${((Date.now() - from) / 1000).toFixed(1)} s`;

  const { startEmbedded } = await import('../db/embedded');
  const { connect } = await import('../db/connect');
  const { DEMO_TABLES, demoNaturalKeys, seedDemo } = await import('../db/demo-data');
  const { scan } = await import('../db/scan');
  const { describeTable } = await import('../db/introspect');
  const { dryRunMigration } = await import('../db/dryrun');
  const { generateMigration } = await import('../migrate/generate');

  say('dupguard demo: duplicate rows planted in an embedded PostgreSQL, then found, and removed.');
  const ticker = f.verbose ? setInterval(() => say(`  still starting the embedded PostgreSQL... ${secs()}`), 3000) : undefined;
  let server;
  try {
    server = await startEmbedded();
  } catch (e) {
    io.stderr(`dupguard demo: cannot start the embedded PostgreSQL: ${(e as Error).message}\n`
      + 'The demo runs from a clone of the repository (npm ci && npm run demo), where the embedded PostgreSQL is installed.\n');
    return 2;
  } finally {
    if (ticker) clearInterval(ticker);
  }
  say(`Embedded PostgreSQL (PGlite, PostgreSQL compiled to WebAssembly) started in ${secs()}.`);

  // Lint first (it needs no database): the example code that plants these very duplicates.
  let lint: LintSummary | undefined;
  const dir = f.lint ? examplesDir() : undefined;
  if (dir) lint = await lintExamples(dir, io);

  let ok = true;
  let exact: ScanReport;
  let quick: ScanReport | undefined;
  let after: ScanReport | undefined;
  let dryLine: string[] = [];
  let dryReport = '';
  const worst = DEMO_TABLES.reduce((a, b) => (b.expectKind === 'key' && b.rows - b.distinct > a.rows - a.distinct ? b : a));
  try {
    const session = await connect(server.url, { env: {} });
    try {
      await seedDemo(session.client);
      const planted = DEMO_TABLES.reduce((s, t) => s + t.rows, 0);
      say('');
      say(`Planted ${DEMO_TABLES.length} tables, ${n(planted)} rows, with the mistakes that fill databases with copies:`);
      say('  a nightly import with no conflict target inserts every row again (up to 1,490 copies);');
      say('  45 overlapping loaders store the same 1,000 time entries, each copy with a new id;');
      say('  NULL emails slip past a unique key; one table\'s unique key kept the same import clean.');
      more(`  (seeded in ${secs()}; tables: ${DEMO_TABLES.map((t) => `${t.schema}.${t.table}`).join(', ')})`);

      if (lint) {
        say('');
        say(`Lint of the code that wrote them (docs/examples): ${lint.problems} problems in ${lint.files} files.`);
        for (const [rule, places] of lint.byRule) {
          const shown = places.slice(0, 2).join(', ') + (places.length > 2 ? `, +${places.length - 2}` : '');
          say(`  ${places.length}x ${PLAIN[rule] ?? rule}: ${shown}`);
        }
        more(`\n${lint.text.trimEnd()}`);
        if (lint.code === 2) ok = false;
      } else if (f.lint) {
        say('\nLint skipped: docs/examples is not beside this program (it ships with the repository).');
      }

      exact = await scan(session, {
        naturalKeys: demoNaturalKeys(),
        onProgress: (p) => { if (p.phase === 'table') more(`  scanning [${p.index + 1}/${p.total}] ${p.schema}.${p.table}`); },
      });
      if (f.quick) quick = await scan(session, { mode: 'quick', naturalKeys: demoNaturalKeys() });
      ok = checkFound(exact, DEMO_TABLES) && ok;
      const s = exact.summary;
      say('');
      say(`Scan (read-only, as \`dupguard scan\`): ${s.tablesWithDuplicates} of ${s.tablesScanned} tables hold copies, ${n(s.excessRows)} rows too many (~${bytes(s.reclaimableBytes)}).`);
      const rows = exact.tables
        .map((t) => ({ t, c: t.checks.filter((c) => c.duplicateGroups > 0 && c.source !== 'inferred').sort((a, b) => b.excessRows - a.excessRows)[0] }))
        .filter((x) => x.c)
        .sort((a, b) => b.c!.excessRows - a.c!.excessRows);
      const width = Math.max(...rows.map((x) => `${x.t.schema}.${x.t.table}`.length));
      for (const { t, c } of rows.slice(0, 3)) {
        say(`  ${`${t.schema}.${t.table}`.padEnd(width)} ${n(t.rows).padStart(6)} rows, ${n(c!.rows - c!.excessRows)} distinct ${foundBy(c!)}: ${n(c!.maxCopies)} copies`);
      }
      if (rows.length > 3) say(`  ... and ${rows.length - 3} more tables${f.verbose ? ', all in the report below' : ' (--verbose shows every one)'}.`);
      more(`\n${formatReport(exact, 'text').trimEnd()}`);
      if (f.verbose) more(`\n${productionFigures(exact, DEMO_TABLES)}`);
      if (quick) more(`\n${quickLines(quick)}`);

      // The migration for the table with the most copies: dry run (rolled back), then for real here.
      const desc = await describeTable(session.client, worst.schema, worst.table);
      const key = worst.naturalKey!;
      const dry = await dryRunMigration(session.client, desc, { key, keep: 'oldest' });
      const { formatDryRun } = await import('./migrate');
      dryReport = formatDryRun(dry);
      dryLine = [
        `Migration for ${worst.schema}.${worst.table}, dry run (in a transaction, rolled back): it`,
        dry.dedupOk && dry.constraintBuilds
          ? `  backs the rows up, keeps the oldest of each (${key.join(', ')}), deletes ${n(dry.rowsDeleted ?? 0)} of ${n(dry.rowsBefore ?? 0)},\n  then adds UNIQUE (${key.join(', ')}) so that they cannot come back.`
          : `  would FAIL: ${dry.error ?? 'the unique key would not build'}`,
      ];
      if (!(dry.dedupOk && dry.constraintBuilds)) ok = false;
      if (ok) {
        const plan = generateMigration(desc, { key, keep: 'oldest', mode: 'dry-run', indexBuild: 'in-transaction' });
        await session.client.query('BEGIN');
        try {
          await session.client.query(plan.script);
          await session.client.query(plan.constraintSql);
          await session.client.query('COMMIT');
        } catch (e) {
          await session.client.query('ROLLBACK').catch(() => {});
          throw e;
        }
        after = await scan(session, { tables: [`${worst.schema}.${worst.table}`], naturalKeys: demoNaturalKeys() });
      }
    } finally {
      await session.close();
    }
  } catch (e) {
    io.stderr(`dupguard demo: ${(e as Error).message}\n`);
    await server.stop();
    return 2;
  }
  await server.stop();

  say('');
  for (const l of dryLine) say(l);
  more(dryReport.trimEnd());
  if (after) {
    const t = after.tables[0];
    const left = t ? t.checks.reduce((s, c) => s + c.excessRows, 0) : -1;
    if (left !== 0) ok = false;
    say(`Applied here (a throwaway database), scanned again: ${n(t?.rows ?? 0)} rows, ${left === 0 ? 'no copies left' : `${n(left)} copies LEFT`}.`);
  }
  say('');
  say(ok
    ? `Done in ${secs()}. Details: --verbose. On your code: npx dupguard lint (README, Install).`
    : `Done in ${secs()}, but something did not come out as planted (see above; --verbose shows everything).`);
  if (!text) io.stdout(formatReport(exact!, f.format as 'json' | 'md'));
  return ok ? 0 : 1;
}

/** Lints docs/examples as `dupguard lint docs/examples --config docs/examples/.dupguard.json` does. */
async function lintExamples(dir: string, io: CliIO): Promise<LintSummary> {
  const root = path.dirname(path.dirname(dir));
  const { main } = await import('./main');
  const args = ['lint', 'docs/examples', '--config', 'docs/examples/.dupguard.json'];
  let json = '';
  let textOut = '';
  const quiet = { ...io, cwd: root, stderr: () => {} };
  const code = await main([...args, '--format', 'json'], { ...quiet, stdout: (s) => { json += s; } });
  await main(args, { ...quiet, stdout: (s) => { textOut += s; } });
  const byRule = new Map<string, string[]>();
  let problems = 0;
  let files = 0;
  try {
    const report = JSON.parse(json) as { files: Array<{ path: string; findings: Array<{ rule: string; line: number }> }> };
    for (const file of report.files) {
      if (file.findings.length) files++;
      for (const x of file.findings) {
        problems++;
        const list = byRule.get(x.rule) ?? [];
        list.push(`${file.path.replace(/^docs\/examples\//, '')}:${x.line}`);
        byRule.set(x.rule, list);
      }
    }
  } catch {
    // Reported through the exit code below.
  }
  return { problems, files, byRule, text: `$ dupguard ${args.join(' ')}\n${textOut}`, code };
}

/** Whether the scan found every planted table at its planted figures. */
function checkFound(exact: ScanReport, tables: readonly DemoTable[]): boolean {
  let ok = exact.complete && !exact.errors.length;
  for (const d of tables) {
    const t = exact.tables.find((x) => x.schema === d.schema && x.table === d.table);
    if (!t) { ok = false; continue; }
    if (d.expectKind === 'none') { ok = ok && t.checks.every((x) => x.duplicateGroups === 0); continue; }
    const c = t.checks.find((x) => x.kind === d.expectKind && x.source !== 'inferred');
    ok = ok && !!c && c.rows - c.distinct === c.excessRows
      && (d.expectKind === 'unique-nulls' ? t.rows === d.rows : c.distinct === d.distinct && c.rows === d.rows);
  }
  return ok;
}

/** The production tables these are scaled from: same copies per row, far more rows. */
function productionFigures(exact: ScanReport, tables: readonly DemoTable[]): string {
  const lines = ['The production tables these reproduce (scaled down, same copies per row):'];
  for (const d of tables) {
    const t = exact.tables.find((x) => x.schema === d.schema && x.table === d.table);
    const found = t && t.rows ? `${(t.rows / Math.max(1, t.rows - t.checks.reduce((m, c) => Math.max(m, c.source === 'inferred' ? 0 : c.excessRows), 0))).toFixed(d.rows / d.distinct >= 10 ? 0 : 2)}x` : '?';
    const real = d.real.rows ? `${n(d.real.rows)} rows, ${n(d.real.unique)} distinct (${d.real.ratio})` : 'kept clean by its unique key';
    lines.push(`  ${`${d.schema}.${d.table}`.padEnd(26)} here ${found.padStart(6)}; in production: ${real}`);
  }
  return lines.join('\n');
}

function quickLines(quick: ScanReport): string {
  const lines = ['Quick mode (statistics and a sample, no full reads) on the same tables:'];
  for (const t of quick.tables) {
    for (const c of t.checks.filter((x) => x.duplicateGroups > 0 && x.source !== 'inferred')) {
      lines.push(`  ${t.schema}.${t.table} ${foundBy(c)}: ~${n(c.excessRows)} rows too many of ~${n(c.rows)} [${c.estimateMethod ?? 'counted'}]`);
    }
  }
  return lines.join('\n');
}
