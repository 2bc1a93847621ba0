/**
 * No fix may create a finding: every fix offered on the real corpus (../shared/corpus: every folder
 * of .sql / TS / JS files, ts-real one project at a time at its files' original paths), applied on
 * its own and the file linted again with the same schema, leaves no more warnings or errors of any
 * rule than there were, and no statement PostgreSQL's parser rejects where it accepted it before.
 * Fixes holding a snippet placeholder (a name the user types) are not applied: they are no fix until
 * the name is typed. Skipped with a note when the corpus is absent.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../src/engine/analyze';
import { applyFixes } from '../../src/core/fixes';
import { parseDocument } from '../../src/core/facts';
import { languageFromPath } from '../../src/core/languages';
import { ensureParser } from '../../src/core/schema/ddl';
import { neutralizePlaceholders, pgAccepts } from '../../src/core/schema/pg';
import type { Finding, SourceLanguage } from '../../src/core/types';
import { extractEmbeddedSql } from '../../src/embedded/extract';
import { ScopedSchemas, type ScopeFile } from '../../src/config/schemaScope';
import { corpusDir } from '../support/corpus';
import { parseCorpusReadme } from '../support/accuracy';

const absent = !fs.existsSync(corpusDir) && 'corpus absent: ../shared/corpus';
if (absent) console.log(`# note: ${absent}; the fix-everything test is skipped`);

before(async () => { await ensureParser(); });

/** One project: its files under the paths the schema scope sees. */
interface Group {
  name: string;
  files: ScopeFile[];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (languageFromPath(e.name)) out.push(p);
  }
  return out.sort();
}

/** Every folder of linted files; ts-real split into its projects, each file at its original path. */
function groups(): Group[] {
  const out: Group[] = [];
  const root = (name: string) => path.join(path.sep, 'corpus', name);
  const byFolder = new Map<string, string[]>();
  for (const f of walk(corpusDir)) {
    const rel = path.relative(corpusDir, f);
    if (rel.startsWith(`ts-real${path.sep}`)) continue;
    const folder = path.dirname(rel);
    if (!byFolder.has(folder)) byFolder.set(folder, []);
    byFolder.get(folder)!.push(f);
  }
  for (const [folder, files] of byFolder) {
    out.push({ name: folder, files: files.map((f) => ({ abs: path.join(root(folder), path.basename(f)), path: path.relative(corpusDir, f), text: fs.readFileSync(f, 'utf8') })) });
  }
  const readme = path.join(corpusDir, 'ts-real', 'README.md');
  if (fs.existsSync(readme)) {
    const byRepo = new Map<string, ScopeFile[]>();
    for (const c of parseCorpusReadme(fs.readFileSync(readme, 'utf8'))) {
      const file = path.join(corpusDir, 'ts-real', c.name);
      if (!languageFromPath(c.name) || !fs.existsSync(file)) continue;
      if (!byRepo.has(c.repo)) byRepo.set(c.repo, []);
      byRepo.get(c.repo)!.push({ abs: path.join(root(`ts-real/${c.repo}`), c.originalPath), path: `ts-real/${c.name}`, text: fs.readFileSync(file, 'utf8') });
    }
    for (const [repo, files] of byRepo) out.push({ name: `ts-real/${repo}`, files });
  }
  return out;
}

/** Warning and error findings per rule. */
function counts(findings: readonly Finding[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of findings) if (f.severity !== 'info') m.set(f.rule, (m.get(f.rule) ?? 0) + 1);
  return m;
}

/** Statements (of the SQL file, or of the SQL regions of a TS/JS file) PostgreSQL's grammar rejects. */
function rejected(text: string, language: SourceLanguage): number {
  const pieces = language === 'sql' ? [text] : extractEmbeddedSql(text, language).map((r) => neutralizePlaceholders(r.text).text);
  let n = 0;
  for (const piece of pieces) {
    for (const s of parseDocument(piece).statements) {
      if (s.kind === 'psql' || s.copy?.data) continue;
      if (!pgAccepts(s.text())) n++;
    }
  }
  return n;
}

test('no fix creates a finding: every offered fix on the corpus, applied and re-linted, adds no warning or error and no statement the parser rejects', { skip: absent || undefined, timeout: 900_000 }, () => {
  const problems: string[] = [];
  let applied = 0;
  for (const g of groups()) {
    const scoped = new ScopedSchemas(g.files.filter((f) => languageFromPath(f.path) === 'sql'), { fallbackRoot: () => path.join(path.sep, 'corpus', g.name) });
    for (const file of g.files) {
      const language = languageFromPath(file.path)!;
      const schema = scoped.forFile(file.abs);
      const lintText = (text: string) => analyze({ text, path: file.path, language, schema, reuse: false }).findings;
      const before = lintText(file.text);
      const offered = before.flatMap((f) => f.fixes.filter((x) => !x.snippet && x.edits.length).map((fix) => ({ f, fix })));
      if (!offered.length) continue;
      const was = counts(before);
      const rejectedBefore = rejected(file.text, language);
      for (const { f, fix } of offered) {
        applied++;
        const fixed = applyFixes(file.text, [fix]);
        const after = lintText(fixed);
        for (const [rule, n] of counts(after)) {
          if (n > (was.get(rule) ?? 0)) {
            const added = after.filter((x) => x.rule === rule && x.severity !== 'info').map((x) => x.message.slice(0, 160));
            problems.push(`${file.path}: the fix "${fix.title}" of ${f.rule} leaves ${n} ${rule} finding(s), was ${was.get(rule) ?? 0}: ${added.join(' | ')}`);
          }
        }
        const rejectedAfter = rejected(fixed, language);
        if (rejectedAfter > rejectedBefore) problems.push(`${file.path}: the fix "${fix.title}" of ${f.rule} leaves ${rejectedAfter} statement(s) PostgreSQL rejects, was ${rejectedBefore}`);
      }
    }
  }
  console.log(`# ${applied} fixes applied across the corpus, ${problems.length} problem(s)`);
  assert.ok(applied > 0, 'the corpus offers fixes (a test that applies none proves nothing)');
  assert.deepEqual(problems, []);
});
