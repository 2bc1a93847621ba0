/**
 * What the execution/dialect classifier and the variant expander would change on the labelled real
 * code (../shared/corpus/ts-real, labels in test/fixtures/accuracy/ts-real/*.tsv), measured on today's
 * embedded extraction without running the rules:
 * - quiet labels inside regions the classifier silences (expected output, parser input, test titles,
 *   other dialects), by label kind: the false positives wiring it in can remove;
 * - flag labels inside silenced regions: findings it would wrongly remove (must stay 0);
 * - flag labels that a variant or a newly found region reaches with an INSERT ... targetless ON CONFLICT
 *   DO NOTHING on the label's line, where no extracted INSERT region had one: what the expander adds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SourceLanguage } from '../../../src/core/types';
import { embeddedFile, type RegionAssessment } from '../../../src/embedded/assess';
import { extractEmbeddedSql } from '../../../src/embedded/extract';
import type { EmbeddedSql } from '../../../src/embedded/types';
import { parseCorpusReadme, parseLabels, type Label } from '../../support/accuracy';
import { corpusDir } from '../../support/corpus';

const root = path.resolve(__dirname, '../../..');
const corpus = path.join(corpusDir, 'ts-real');
const labelDir = path.join(root, 'test/fixtures/accuracy/ts-real');
const absent = !fs.existsSync(path.join(corpus, 'README.md')) && 'corpus absent: ../shared/corpus/ts-real';
if (absent) console.log(`# note: ${absent}; context measurement skipped`);

const LANG: Record<string, SourceLanguage> = { ts: 'typescript', mts: 'typescript', cts: 'typescript', tsx: 'typescriptreact', js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascriptreact' };
const TARGETLESS = /\bon\s+conflict\s+do\s+nothing\b/gi;
/** A statement the rule can judge: a fragment alone (`sql\`on conflict do nothing\``) is not one. */
const INSERT = /\binsert\b/i;

function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

interface Assessed {
  region: EmbeddedSql;
  a: RegionAssessment;
  first: number;
  last: number;
  silenced: boolean;
  why: string;
}

test('context classifier on the labelled real code: quiet labels it silences, flag labels it must not, lines the variants reach', { skip: absent }, () => {
  const readme = parseCorpusReadme(fs.readFileSync(path.join(corpus, 'README.md'), 'utf8'));
  const original = new Map(readme.map((f) => [f.name, f.originalPath]));
  const labels: Label[] = [];
  for (const f of fs.readdirSync(labelDir).filter((x) => x.endsWith('.tsv')).sort()) {
    labels.push(...parseLabels(fs.readFileSync(path.join(labelDir, f), 'utf8'), f));
  }
  const byFile = new Map<string, Label[]>();
  for (const l of labels) {
    const ext = l.file.slice(l.file.lastIndexOf('.') + 1);
    if (!LANG[ext]) continue;
    const list = byFile.get(l.file) ?? [];
    list.push(l);
    byFile.set(l.file, list);
  }

  const silencedQuiet = new Map<string, number>();
  const keptQuiet = new Map<string, number>();
  const wronglySilenced: string[] = [];
  const silencedList: string[] = [];
  const keptFlags: string[] = [];
  const reached: string[] = [];
  const reachedQuiet: string[] = [];
  let reachedUnlabelled = 0;
  let regions = 0;
  let silencedRegions = 0;
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  for (const [file, fileLabels] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    const text = fs.readFileSync(path.join(corpus, file), 'utf8');
    const language = LANG[file.slice(file.lastIndexOf('.') + 1)];
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
    const existing = extractEmbeddedSql(text, language);
    const host = embeddedFile(text, { path: original.get(file), jsx: language === 'typescriptreact' || language === 'javascriptreact' });
    const assessed: Assessed[] = existing.map((region) => {
      const a = host.assess(region);
      const silenced = !a.runPostgresRules;
      const why = !silenced ? '' : a.execution.kind !== 'executed' && a.execution.kind !== 'unknown'
        ? `${a.execution.kind}: ${a.execution.evidence[0]?.reason ?? ''}`
        : `${a.dialect.dialect}: ${a.dialect.evidence[0]?.reason ?? ''}`;
      return { region, a, first: lineOf(starts, region.hostStart), last: lineOf(starts, region.toHost(region.text.length)), silenced, why };
    });
    regions += assessed.length;
    silencedRegions += assessed.filter((x) => x.silenced).length;

    // Lines where today's region texts already hold a targetless ON CONFLICT DO NOTHING.
    const linesToday = new Set<number>();
    for (const x of assessed) for (const m of (INSERT.test(x.region.text) ? x.region.text : '').matchAll(TARGETLESS)) linesToday.add(lineOf(starts, x.region.toHost(m.index!)));
    // Lines the variants (and the regions found in addition) put one on, in a region that keeps running.
    const linesNew = new Map<number, string>();
    const more = host.moreRegions(existing).map((region) => ({ region, a: host.assess(region) }));
    for (const x of [...assessed.map((y) => ({ region: y.region, a: y.a })), ...more]) {
      for (const v of x.a.variants) {
        if (!v.runPostgresRules) continue;
        for (const m of (INSERT.test(v.text) ? v.text : '').matchAll(TARGETLESS)) {
          const line = lineOf(starts, v.toHost(m.index!));
          if (!linesToday.has(line)) linesNew.set(line, v.choices.map((c) => c.label).join(', ') || `found by ${x.region.name ?? 'findMoreSql'}`);
        }
      }
    }

    for (const [line, via] of linesNew) {
      const here = fileLabels.filter((l) => l.line === line && l.rule === 'on-conflict-without-target');
      if (here.some((l) => l.verdict === 'quiet')) reachedQuiet.push(`${file}:${line} via ${via}`);
      if (here.length === 0) reachedUnlabelled++;
    }
    for (const l of fileLabels) {
      const covering = assessed.filter((x) => l.line >= x.first && l.line <= x.last);
      if (l.verdict === 'flag' && l.rule === 'on-conflict-without-target' && linesNew.has(l.line)) reached.push(`${l.file}:${l.line} [${l.kind}] via ${linesNew.get(l.line)}`);
      if (covering.length === 0) continue;
      // Silenced only when every region over the line is (an executed outer query keeps it alive).
      const silenced = covering.every((x) => x.silenced);
      const key = `${l.verdict === 'quiet' ? l.kind : l.verdict}`;
      if (l.verdict === 'quiet') bump(silenced ? silencedQuiet : keptQuiet, key);
      if (l.verdict === 'flag') {
        if (silenced) wronglySilenced.push(`${l.file}:${l.line} ${l.rule} [${l.kind}] silenced as ${covering.map((x) => x.why).join(' | ')}`);
        else keptFlags.push(`${l.file}:${l.line}`);
      }
      if (silenced && l.verdict === 'quiet') silencedList.push(`  ${l.file}:${l.line} ${l.rule} [${l.kind}] <- ${covering[0].why}`);
    }
  }

  const fmt = (m: Map<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log([
    `context measurement on ts-real: ${byFile.size} labelled TS/JS files, ${regions} extracted regions, ${silencedRegions} silenced (not executed, or another dialect)`,
    `quiet labels inside silenced regions (would lose their finding): ${total(silencedQuiet)} — ${fmt(silencedQuiet)}`,
    `quiet labels inside regions that keep running: ${total(keptQuiet)} — ${fmt(keptQuiet)}`,
    `flag labels inside regions that keep running: ${keptFlags.length}; wrongly silenced: ${wronglySilenced.length}`,
    ...wronglySilenced.map((x) => `  WRONG ${x}`),
    `flag labels (on-conflict-without-target) a variant or a newly found region now reaches with a targetless ON CONFLICT DO NOTHING on the line: ${reached.length}`,
    ...reached.map((x) => `  ${x}`),
    `quiet labels a variant newly reaches (possible new false positives): ${reachedQuiet.length}; unlabelled lines newly reached: ${reachedUnlabelled}`,
    ...reachedQuiet.map((x) => `  QUIET ${x}`),
    'silenced quiet labels:',
    ...silencedList,
  ].join('\n'));
  assert.deepEqual(wronglySilenced, [], 'no flag label may be silenced');
  assert.deepEqual(reachedQuiet, [], 'no variant may put a targetless ON CONFLICT DO NOTHING on a line labelled quiet');
});
