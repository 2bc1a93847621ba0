/**
 * Scores the ORM layer against the reviewers' labels of ../shared/corpus/ts-real/orm (orm.tsv): each
 * project's ORM files are read with the dialect its own schema files declare (files grouped by their
 * `<owner>__<repo>__` prefix), and every targetless ON CONFLICT DO NOTHING that runs on PostgreSQL is a
 * fact. A fact matches a label when the label's line lies inside the clause the fact reports.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineIndex } from '../../../src/core/positions';
import { runsOnPostgres } from '../../../src/embedded/orm/dialect';
import { checkThenInsert, recogniseOrm } from '../../../src/embedded/orm/recognise';
import { projectDialect, readOrmSchema, type OrmSchemaFile } from '../../../src/embedded/orm/schema';
import type { OrmWrite } from '../../../src/embedded/orm/types';

export const corpus = path.resolve(__dirname, '../../../../shared/corpus/ts-real');
const labelsFile = path.resolve(__dirname, '../../fixtures/accuracy/ts-real/orm.tsv');

export interface Label { file: string; line: number; verdict: 'flag' | 'quiet' | 'either'; note: string }

export function labels(rule: string): Label[] {
  const out: Label[] = [];
  for (const row of fs.readFileSync(labelsFile, 'utf8').split('\n')) {
    if (!row || row.startsWith('#') || row.startsWith('file\t')) continue;
    const [file, line, r, verdict, , , note] = row.split('\t');
    if (r === rule) out.push({ file, line: Number(line), verdict: verdict as Label['verdict'], note });
  }
  return out;
}

/** `owner__repo` of a corpus file name. */
export function project(file: string): string {
  return path.basename(file).split('__').slice(0, 2).join('__');
}

/** Schema files of the corpus (schema/ and orm/), read once, by project. */
export function schemasByProject(): Map<string, OrmSchemaFile[]> {
  const out = new Map<string, OrmSchemaFile[]>();
  for (const folder of ['schema', 'orm']) {
    for (const f of fs.readdirSync(path.join(corpus, folder)).sort()) {
      const s = readOrmSchema(f, fs.readFileSync(path.join(corpus, folder, f), 'utf8'));
      if (!s.tables.length && !s.dialect) continue;
      const list = out.get(project(f)) ?? [];
      list.push(s);
      out.set(project(f), list);
    }
  }
  return out;
}

/** A targetless DO NOTHING that runs on PostgreSQL (no dialect evidence, or PostgreSQL's). */
export function targetlessOnPostgres(w: OrmWrite): boolean {
  const c = w.conflict;
  return !!c && c.target.kind === 'none' && c.action === 'nothing' && !w.dialectConditional && runsOnPostgres(w.dialect);
}

export interface Score {
  tp: Label[];
  fn: Label[];
  /** Facts on quiet labels, and facts on lines no label covers. */
  fp: Array<{ file: string; line: number; why: string }>;
  either: number;
  recall: number;
  precision: number;
}

export function score(): Score {
  const all = labels('on-conflict-without-target');
  const schemas = schemasByProject();
  const tp: Label[] = [];
  const fp: Score['fp'] = [];
  const matched = new Set<Label>();
  let either = 0;
  for (const f of fs.readdirSync(path.join(corpus, 'orm')).sort()) {
    const text = fs.readFileSync(path.join(corpus, 'orm', f), 'utf8');
    const facts = recogniseOrm(text, { projectDialect: projectDialect(schemas.get(project(f)) ?? []) });
    const lines = new LineIndex(text);
    const mine = all.filter((l) => l.file === `orm/${f}`);
    for (const w of facts.writes.filter(targetlessOnPostgres)) {
      const a = lines.position(w.conflict!.clause.start).line;
      const b = lines.position(w.conflict!.clause.end).line;
      const hit = mine.filter((l) => l.line >= a && l.line <= b);
      if (hit.length === 0) fp.push({ file: f, line: a, why: 'no label' });
      for (const l of hit) {
        matched.add(l);
        if (l.verdict === 'quiet') fp.push({ file: f, line: l.line, why: `quiet: ${l.note}` });
        else if (l.verdict === 'either') either++;
      }
    }
  }
  for (const l of all) if (l.verdict === 'flag' && matched.has(l)) tp.push(l);
  const fn = all.filter((l) => l.verdict === 'flag' && !matched.has(l));
  const recall = tp.length / (tp.length + fn.length);
  const precision = tp.length / Math.max(1, tp.length + fp.length);
  return { tp, fn, fp, either, recall, precision };
}

/** Check-then-insert pairs against the check-then-insert-race labels: a pair matches a label inside [check, insert]. */
export function scoreChecks(): { tp: Label[]; fn: Label[]; fp: Array<{ file: string; line: number; why: string }>; either: number } {
  const all = labels('check-then-insert-race');
  const matched = new Set<Label>();
  const fp: Array<{ file: string; line: number; why: string }> = [];
  let either = 0;
  for (const f of fs.readdirSync(path.join(corpus, 'orm')).sort()) {
    const text = fs.readFileSync(path.join(corpus, 'orm', f), 'utf8');
    const lines = new LineIndex(text);
    const mine = all.filter((l) => l.file === `orm/${f}`);
    for (const p of checkThenInsert(recogniseOrm(text))) {
      const a = lines.position(p.read.call.start).line;
      const b = lines.position(p.write.call.end).line;
      const hit = mine.filter((l) => l.line >= a && l.line <= b);
      if (hit.length === 0) fp.push({ file: f, line: a, why: 'no label' });
      for (const l of hit) {
        matched.add(l);
        if (l.verdict === 'quiet') fp.push({ file: f, line: l.line, why: `quiet: ${l.note}` });
        else if (l.verdict === 'either') either++;
      }
    }
  }
  const tp = all.filter((l) => l.verdict === 'flag' && matched.has(l));
  const fn = all.filter((l) => l.verdict === 'flag' && !matched.has(l));
  return { tp, fn, fp, either };
}
