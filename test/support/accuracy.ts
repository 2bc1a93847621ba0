/**
 * Accuracy on real code: line labels written by reviewers (test/fixtures/accuracy/ts-real/<folder>.tsv)
 * against what `dupguard lint --format json` reports. Pure functions only (parsing, scoring, the
 * baseline comparison), so that the scorer itself is tested on synthetic input and the corpus test
 * depends on nothing but the CLI's JSON contract.
 *
 * Label file: UTF-8, tab-separated, `#` lines are comments, the first other line is the header
 * `file line rule verdict kind source note`.
 *   verdict  flag   a careful reviewer reports this line (warning/error) for that rule
 *            quiet  the line must get no warning/error from that rule
 *            either ambiguous, or info-level is right: counts neither way
 *   source   blind (written before seeing dupguard's output) | review (added when adjudicating it)
 *
 * Scoring, per rule: a warning/error finding of rule R covers a label (file, line, R) when line lies
 * in the finding's [line, endLine]. Recall = flag labels covered / flag labels. Precision = findings
 * covering a flag label / findings, leaving out the findings that cover only `either` labels. A
 * finding covering no label, or only quiet (and either) labels, is a false positive. Info findings
 * are counted apart and never scored.
 */

export type Verdict = 'flag' | 'quiet' | 'either';
export const VERDICTS: readonly Verdict[] = ['flag', 'quiet', 'either'];
export const LABEL_COLUMNS = ['file', 'line', 'rule', 'verdict', 'kind', 'source', 'note'] as const;

export interface Label {
  /** Corpus-relative name, e.g. `raw-sql/<owner>__<repo>__<path>`. */
  file: string;
  line: number;
  rule: string;
  verdict: Verdict;
  kind: string;
  source: 'blind' | 'review';
  note: string;
  /** Where the label was read from, for messages (`raw-sql.tsv:12`). */
  origin: string;
}

/** One finding as the JSON report gives it, with the corpus file name put back. */
export interface ScoredFinding {
  file: string;
  rule: string;
  severity: 'error' | 'warning' | 'info';
  line: number;
  endLine: number;
  message: string;
}

/** Parses one label file; throws with file:line on any malformed row (a typo must not silently drop a label). */
export function parseLabels(text: string, origin: string, knownRules?: ReadonlySet<string>): Label[] {
  const out: Label[] = [];
  let header: string[] | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const cells = raw.split('\t');
    const where = `${origin}:${i + 1}`;
    if (!header) {
      header = cells.map((c) => c.trim());
      if (LABEL_COLUMNS.some((c, k) => header![k] !== c)) {
        throw new Error(`${where}: header must be "${LABEL_COLUMNS.join('\\t')}", got "${cells.join('\\t')}"`);
      }
      continue;
    }
    if (cells.length !== LABEL_COLUMNS.length) {
      throw new Error(`${where}: ${cells.length} columns, expected ${LABEL_COLUMNS.length} (tab-separated)`);
    }
    const [file, lineText, rule, verdict, kind, source, note] = cells;
    const line = Number(lineText);
    if (!Number.isInteger(line) || line < 1) throw new Error(`${where}: line "${lineText}" is not a 1-based line number`);
    if (!(VERDICTS as readonly string[]).includes(verdict)) throw new Error(`${where}: verdict "${verdict}" is not one of ${VERDICTS.join(', ')}`);
    if (source !== 'blind' && source !== 'review') throw new Error(`${where}: source "${source}" is not blind or review`);
    if (knownRules && !knownRules.has(rule)) throw new Error(`${where}: unknown rule "${rule}"`);
    if (!file.includes('/')) throw new Error(`${where}: file "${file}" must be relative to ts-real (folder/name)`);
    out.push({ file, line, rule, verdict: verdict as Verdict, kind, source, note, origin: where });
  }
  if (!header) throw new Error(`${origin}: no header line`);
  const seen = new Map<string, string>();
  for (const l of out) {
    const key = labelKey(l);
    const before = seen.get(key);
    if (before) throw new Error(`${l.origin}: label ${key} already given at ${before}`);
    seen.set(key, l.origin);
  }
  return out;
}

export const labelKey = (l: { file: string; line: number; rule: string }): string => `${l.file}:${l.line} ${l.rule}`;
export const findingKey = (f: ScoredFinding): string => `${f.file}:${f.line} ${f.rule}`;

/** One row of the README's per-file table: the corpus name and where the file lives in its project. */
export interface CorpusFile {
  name: string;
  repo: string;
  originalPath: string;
}

/**
 * The per-file listing of ts-real/README.md (`| folder/file | owner/repo | commit | \`original path\` | ...`).
 * The original path is taken as written: names holding `__tests__` cannot be mapped back by replacing `__`.
 */
export function parseCorpusReadme(text: string): CorpusFile[] {
  const out: CorpusFile[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\|\s*([\w.-]+\/[^|\s]+)\s*\|\s*([\w.-]+\/[\w.-]+)\s*\|\s*`[0-9a-f]+`\s*\|\s*`([^`]+)`\s*\|/.exec(line);
    if (m) out.push({ name: m[1], repo: m[2], originalPath: m[3] });
  }
  return out;
}

export interface RuleScore {
  rule: string;
  /** Labels of this rule by verdict. */
  flags: number;
  quiets: number;
  eithers: number;
  tp: number;
  fn: number;
  fp: number;
  /** Findings that covered only `either` labels (left out of precision). */
  neutral: number;
  infos: number;
  precision: number | undefined;
  recall: number | undefined;
}

export interface Score {
  byRule: Map<string, RuleScore>;
  total: RuleScore;
  /** Flag labels covered by a warning/error finding of their rule. */
  found: Label[];
  /** Flag labels nobody covered. */
  missed: Label[];
  /** Warning/error findings that cover no flag label and not only `either` labels. */
  falsePositives: ScoredFinding[];
  /** Quiet labels that got a warning/error (each also shows among the false positives). */
  quietHit: Label[];
  /** Warning/error findings that cover only `either` labels (not scored). */
  neutralFindings: ScoredFinding[];
}

const ratio = (a: number, b: number): number | undefined => (b === 0 ? undefined : a / b);

function emptyRow(rule: string): RuleScore {
  return { rule, flags: 0, quiets: 0, eithers: 0, tp: 0, fn: 0, fp: 0, neutral: 0, infos: 0, precision: undefined, recall: undefined };
}

/** Scores the findings against the labels (both already restricted to the files being scored). */
export function score(labels: readonly Label[], findings: readonly ScoredFinding[]): Score {
  const byRule = new Map<string, RuleScore>();
  const row = (rule: string) => {
    let r = byRule.get(rule);
    if (!r) byRule.set(rule, (r = emptyRow(rule)));
    return r;
  };
  const labelsAt = new Map<string, Label[]>();
  for (const l of labels) {
    const r = row(l.rule);
    if (l.verdict === 'flag') r.flags++;
    else if (l.verdict === 'quiet') r.quiets++;
    else r.eithers++;
    const k = `${l.file}\u0000${l.rule}`;
    let list = labelsAt.get(k);
    if (!list) labelsAt.set(k, (list = []));
    list.push(l);
  }
  const covered = new Set<Label>();
  const quietHit = new Set<Label>();
  const falsePositives: ScoredFinding[] = [];
  const neutralFindings: ScoredFinding[] = [];
  for (const f of findings) {
    const r = row(f.rule);
    if (f.severity === 'info') {
      r.infos++;
      continue;
    }
    const hits = (labelsAt.get(`${f.file}\u0000${f.rule}`) ?? []).filter((l) => l.line >= f.line && l.line <= Math.max(f.line, f.endLine));
    for (const l of hits) {
      if (l.verdict === 'flag') covered.add(l);
      if (l.verdict === 'quiet') quietHit.add(l);
    }
    if (hits.some((l) => l.verdict === 'flag')) r.tp++;
    else if (hits.length > 0 && hits.every((l) => l.verdict === 'either')) {
      r.neutral++;
      neutralFindings.push(f);
    }
    else {
      r.fp++;
      falsePositives.push(f);
    }
  }
  const found: Label[] = [];
  const missed: Label[] = [];
  for (const l of labels) {
    if (l.verdict !== 'flag') continue;
    if (covered.has(l)) found.push(l);
    else {
      missed.push(l);
      row(l.rule).fn++;
    }
  }
  const total = emptyRow('(all rules)');
  for (const r of byRule.values()) {
    // Recall counts labels (a label covered twice is found once); precision counts findings.
    const foundHere = found.filter((l) => l.rule === r.rule).length;
    r.recall = ratio(foundHere, r.flags);
    r.precision = ratio(r.tp, r.tp + r.fp);
    for (const k of ['flags', 'quiets', 'eithers', 'tp', 'fn', 'fp', 'neutral', 'infos'] as const) total[k] += r[k];
  }
  total.recall = ratio(found.length, total.flags);
  total.precision = ratio(total.tp, total.tp + total.fp);
  return { byRule, total, found, missed, falsePositives, quietHit: [...quietHit], neutralFindings };
}

const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);

/** A fixed-width table of the rows (one per rule, then the total). */
export function formatTable(title: string, s: Score): string {
  const head = ['rule', 'flag', 'quiet', 'either', 'TP', 'FN', 'FP', 'neutral', 'info', 'precision', 'recall'];
  const rows = [...s.byRule.values()].sort((a, b) => a.rule.localeCompare(b.rule)).concat([s.total]);
  const cells = rows.map((r) => [r.rule, r.flags, r.quiets, r.eithers, r.tp, r.fn, r.fp, r.neutral, r.infos, pct(r.precision), pct(r.recall)].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const fmt = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  return [title, fmt(head), ...cells.map(fmt)].join('\n');
}

/** What the committed baseline holds for one folder: today's found flag labels and known false positives. */
export interface FolderBaseline {
  found: string[];
  falsePositives: string[];
}

export interface Baseline {
  version: 1;
  /** How to refresh it, for whoever opens the file. */
  note?: string;
  folders: Record<string, FolderBaseline>;
}

export interface BaselineComparison {
  /** Flag labels found in the baseline that are missed now. */
  lost: string[];
  /** False positives that are not in the baseline. */
  newFalsePositives: string[];
  /** Flag labels found now that the baseline missed. */
  gained: string[];
  /** Baseline false positives that are gone. */
  fixed: string[];
}

export function folderBaseline(s: Score): FolderBaseline {
  return {
    found: [...new Set(s.found.map(labelKey))].sort(),
    falsePositives: [...new Set(s.falsePositives.map(findingKey))].sort(),
  };
}

/** Differences between a folder's score now and its baseline. */
export function compareBaseline(base: FolderBaseline, now: FolderBaseline): BaselineComparison {
  const has = (list: string[]) => {
    const set = new Set(list);
    return (k: string) => set.has(k);
  };
  const foundNow = has(now.found);
  const fpBefore = has(base.falsePositives);
  const foundBefore = has(base.found);
  const fpNow = has(now.falsePositives);
  return {
    lost: base.found.filter((k) => !foundNow(k)),
    newFalsePositives: now.falsePositives.filter((k) => !fpBefore(k)),
    gained: now.found.filter((k) => !foundBefore(k)),
    fixed: base.falsePositives.filter((k) => !fpNow(k)),
  };
}
