/**
 * `dupguard demo`: no server needed. Starts an embedded PostgreSQL (PGlite), seeds it with scaled
 * reproductions of the incidents' tables, scans it with the same engine `dupguard scan` uses, shows
 * the figures next to the incidents' own, then lints the examples in docs/examples.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatHelp, parseArgs, UsageError } from './args';
import type { CliIO } from './io';
import { bytes, formatReport } from './scan';
import type { ScanReport } from '../db/report';

const SPEC = {
  format: { type: 'string', choices: ['text', 'json', 'md'], default: 'text', short: 'f', description: 'format of the scan report' },
  quick: { type: 'boolean', description: 'also run a quick (estimated) scan and show it next to the exact one' },
  lint: { type: 'boolean', default: true, description: 'lint docs/examples after the scan (--no-lint to skip)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const;

const USAGE = `Usage: dupguard demo [options]

Runs everything without a database server: an embedded PostgreSQL (PGlite) is seeded with scaled
copies of the incidents' tables, scanned for duplicates, and the examples in docs/examples are linted.

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

export async function run(argv: string[], io: CliIO): Promise<number> {
  let f;
  try {
    f = parseArgs(argv, SPEC).flags;
  } catch (e) {
    if (e instanceof UsageError) { io.stderr(`dupguard demo: ${e.message}\n\n${USAGE}\n`); return 2; }
    throw e;
  }
  if (f.help) { io.stdout(`${USAGE}\n`); return 0; }
  const say = (s: string) => (f.format === 'text' ? io.stdout(`${s}\n`) : io.stderr(`${s}\n`));
  const t0 = Date.now();
  const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

  const { startEmbedded } = await import('../db/embedded');
  const { connect } = await import('../db/connect');
  const { DEMO_TABLES, demoNaturalKeys, seedDemo } = await import('../db/demo-data');
  const { scan } = await import('../db/scan');

  say('dupguard demo: the incidents\' tables in an embedded PostgreSQL, scanned by the same engine as `dupguard scan`.');
  say('Starting the embedded PostgreSQL (PGlite, PostgreSQL in WebAssembly; the first start takes 5-15 s)...');
  const ticker = setInterval(() => say(`  still starting... ${secs()}`), 3000);
  let server;
  try {
    server = await startEmbedded();
  } catch (e) {
    io.stderr(`dupguard demo: cannot start the embedded database: ${(e as Error).message}\n`);
    return 2;
  } finally {
    clearInterval(ticker);
  }
  say(`  ready on 127.0.0.1:${server.port} after ${secs()}`);

  let exact: ScanReport;
  let quick: ScanReport | undefined;
  try {
    const session = await connect(server.url, { env: {} });
    try {
      say('Seeding scaled copies of the incident tables (seed 002: ETL without a conflict target; seed 001: 45 concurrent loads):');
      await seedDemo(session.client, (t) => say(`  ${t.schema}.${t.table}: ${n(t.rows)} rows, ${n(t.distinct)} distinct (incident: ${t.real.ratio})`));
      say(`  seeded in ${secs()}`);
      say('Scanning (read-only; one aggregate pass per key):');
      exact = await scan(session, {
        naturalKeys: demoNaturalKeys(),
        onProgress: (p) => { if (p.phase === 'table') say(`  [${p.index + 1}/${p.total}] ${p.schema}.${p.table}`); },
      });
      if (f.quick) quick = await scan(session, { mode: 'quick', naturalKeys: demoNaturalKeys() });
    } finally {
      await session.close();
    }
  } catch (e) {
    io.stderr(`dupguard demo: ${(e as Error).message}\n`);
    await server.stop();
    return 2;
  }
  await server.stop();

  io.stdout(f.format === 'text' ? `\n${formatReport(exact, 'text')}` : formatReport(exact, f.format as 'json' | 'md'));

  // Side by side with the incidents: the ratio found must be the incident's.
  let ok = exact.complete && !exact.errors.length;
  const rows: string[][] = [['table', 'demo rows', 'distinct', 'ratio found', 'incident', 'found by', 'as expected']];
  for (const d of DEMO_TABLES) {
    const t = exact.tables.find((x) => x.schema === d.schema && x.table === d.table);
    const c = t?.checks.find((x) => x.kind === d.expectKind && x.source !== 'inferred')
      ?? t?.checks.find((x) => x.duplicateGroups > 0 && x.source !== 'inferred');
    const found = !!t && (d.expectKind === 'none'
      ? t.checks.every((x) => x.duplicateGroups === 0)
      : !!c && c.kind === d.expectKind && c.rows - c.distinct === c.excessRows && (d.expectKind === 'unique-nulls' ? t.rows === d.rows : c.distinct === d.distinct && c.rows === d.rows));
    if (!found) ok = false;
    const ratio = t && t.rows ? t.rows / (c?.distinct && d.expectKind !== 'unique-nulls' ? c.distinct : Math.max(1, t.rows - (c?.excessRows ?? 0))) : 0;
    rows.push([
      `${d.schema}.${d.table}`, n(t?.rows ?? 0), n(c && d.expectKind !== 'unique-nulls' ? c.distinct : (t?.rows ?? 0) - (c?.excessRows ?? 0)),
      `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2)}x`, d.real.ratio,
      d.expectKind === 'none' ? 'no duplicates (UNIQUE)' : c ? `${c.kind} (${c.kind === 'exact-row' ? 'ids ignored' : c.columns.join(', ')})` : '-',
      found ? 'yes' : 'NO',
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  say('\nThe incidents, scaled down (same duplicate ratios):');
  for (const r of rows) say(`  ${r.map((v, i) => (i >= 1 && i <= 3 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ')}`);
  say(`  Real seed 002 total: 36.5 M duplicate rows, 8.96 GB; here ${n(exact.summary.excessRows)} excess rows, ~${bytes(exact.summary.reclaimableBytes)} reclaimable.`);
  if (quick) {
    say('\nQuick mode (statistics and TABLESAMPLE, no full scans) on the same tables:');
    for (const t of quick.tables) {
      for (const c of t.checks.filter((x) => x.duplicateGroups > 0 && x.source !== 'inferred')) {
        say(`  ${t.schema}.${t.table} ${c.kind} (${c.kind === 'exact-row' ? 'ids ignored' : c.columns.join(', ')}): ~${n(c.excessRows)} excess rows of ~${n(c.rows)} [${c.estimateMethod ?? 'counted'}]`);
      }
    }
  }
  say(`\nScan ${ok ? 'found every planted duplicate at the incidents\' ratios' : 'did NOT match the planted duplicates (see above)'} (${secs()} so far).`);

  if (f.lint) {
    const dir = examplesDir();
    if (!dir) {
      say('docs/examples not found next to this program: lint step skipped.');
    } else {
      const root = path.dirname(path.dirname(dir));
      say(`\nLinting the examples (dupguard lint docs/examples --config docs/examples/.dupguard.json):\n`);
      const { main } = await import('./main');
      const code = await main(['lint', 'docs/examples', '--config', 'docs/examples/.dupguard.json'], { ...io, cwd: root, stdout: f.format === 'text' ? io.stdout : io.stderr });
      // The examples contain the incidents' bugs on purpose: finding them (exit 1) is success here.
      if (code === 2) {
        say(`\nlint step could not run (exit 2).`);
        ok = false;
      } else {
        say(`\nlint exit status ${code}: ${code === 1 ? 'the planted bugs were reported' : 'no findings'}.`);
      }
    }
  }
  say(`\ndupguard demo finished in ${secs()}.`);
  return ok ? 0 : 1;
}
