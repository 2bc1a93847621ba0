/**
 * The analyzer's entry point: text in, findings out. Pure: no editor, no database, no I/O.
 * (Contract first; the engine behind it lives in src/core, src/embedded and src/rules.)
 */
import { extractEmbeddedSql } from '../embedded/extract';
import type { EmbeddedSql } from '../embedded/types';
import { rules, ruleById } from '../rules/index';
import type { HostRegion, Rule, RuleContext } from '../rules/rule';
import { parseDocument, type Span, type SqlDocument } from './facts';
import type { SchemaModel } from './schema';
import { hostSuppressions, isSuppressed, removalEdit, sqlSuppressions, UNUSED_SUPPRESSION, type Suppression } from './suppress';
import type { Finding, Fix, Severity } from './types';

export type SourceLanguage = 'sql' | 'typescript' | 'javascript' | 'typescriptreact' | 'javascriptreact';

export interface AnalyzerConfig {
  /** Rule id → severity override, or 'off'. */
  rules?: Record<string, Severity | 'off'>;
  /** `schema.table` (or `table`) → natural key columns. */
  naturalKeys?: Record<string, string[]>;
  /** Where SQL hides in TS/JS. */
  embedded?: { tags?: string[]; functions?: string[] };
}

export interface AnalyzeInput {
  text: string;
  /** Used for messages and to pick the language when `language` is absent. */
  path?: string;
  language?: SourceLanguage;
  schema?: SchemaModel;
  config?: AnalyzerConfig;
  /**
   * Replay the reports of statements an earlier analysis in this process saw as they are (default
   * true: the editor analyzes a document again on every change, and nearly every statement is as it
   * was). A run that reads each file once (`dupguard lint`) turns it off: nothing would be replayed,
   * and remembering costs time and memory.
   */
  reuse?: boolean;
}

export interface AnalyzeResult {
  findings: Finding[];
}

/** The language a file name implies, or undefined for files dupguard does not read. */
export function languageFromPath(path: string): SourceLanguage | undefined {
  const m = /\.([a-z]+)$/i.exec(path);
  switch (m?.[1].toLowerCase()) {
    case 'sql': case 'psql': case 'pgsql': return 'sql';
    case 'ts': case 'mts': case 'cts': return 'typescript';
    case 'tsx': return 'typescriptreact';
    case 'js': case 'mjs': case 'cjs': return 'javascript';
    case 'jsx': return 'javascriptreact';
    default: return undefined;
  }
}

/** Analyzes one document. Never throws on any input text. */
export function analyze(input: AnalyzeInput): AnalyzeResult {
  try {
    return analyzeUnsafe(input);
  } catch {
    // Every rule and statement is already guarded; this only covers the unforeseen.
    return { findings: [] };
  }
}

function analyzeUnsafe(input: AnalyzeInput): AnalyzeResult {
  const text = typeof input.text === 'string' ? input.text : '';
  const language = input.language ?? (input.path ? languageFromPath(input.path) : undefined) ?? 'sql';
  const config = input.config ?? {};
  const enabled = activeRules(config);
  const findings: Finding[] = [];
  const suppressions: Suppression[] = [];

  if (language === 'sql') {
    const doc = parseDocument(text);
    runRules(doc, { docs: [doc], index: 0 }, enabled, input, language, false, (f) => findings.push(f), config);
    suppressions.push(...sqlSuppressions(doc, identity, text.length));
  } else {
    let regions: EmbeddedSql[] = [];
    try {
      regions = extractEmbeddedSql(text, language, { tags: config.embedded?.tags, functions: config.embedded?.functions });
    } catch {
      regions = [];
    }
    const hostRanges: Array<{ start: number; end: number }> = [];
    const hostRegions: HostRegion[] = [];
    for (const r of regions) {
      try {
        hostRegions.push({ sql: r, doc: parseDocument(r.text) });
      } catch {
        // One odd region must not hide the others.
      }
    }
    // Every rule sees all queries of the file (a staging table made by one, merged by another).
    const docs = hostRegions.map((h) => h.doc);
    hostRegions.forEach(({ sql: r, doc }, index) => {
      try {
        const toHost = (o: number) => r.toHost(o);
        hostRanges.push({ start: toHost(0), end: toHost(r.text.length) });
        const quote = text[r.hostStart - 1];
        runRules(doc, { docs, index }, enabled, input, language, true, (f) => findings.push(mapFinding(f, toHost, quote)), config);
        suppressions.push(...sqlSuppressions(doc, toHost, text.length));
      } catch {
        // Same: the other regions still count.
      }
    });
    suppressions.push(...hostSuppressions(text, hostRanges));
    runHostRules(text, hostRegions, enabled, input, language, (f) => findings.push(f), config);
  }

  const kept = findings.filter((f) => !isSuppressed(suppressions, f.rule, f.start));
  const unusedSeverity = config.rules?.[UNUSED_SUPPRESSION];
  if (unusedSeverity !== 'off') {
    for (const s of suppressions) {
      const unused = unusedRules(s, config);
      if (unused.length === 0) continue;
      const unknown = unused.filter((id) => id !== '*' && id !== UNUSED_SUPPRESSION && !ruleById(id));
      const message = unknown.length
        ? `Unknown rule ${unknown.map((u) => `'${u}'`).join(', ')} in this dupguard-ignore comment; known rules: ${rules.map((r) => r.id).join(', ')}.`
        : s.rules.length === 0 || unused.length === s.rules.length
          ? `This dupguard-ignore comment silences nothing: no ${s.rules.length ? unused.join(', ') : 'dupguard'} finding ${s.file ? 'in this file' : 'in the statement after it'}.`
          : `This dupguard-ignore comment does not silence ${unused.join(', ')}: no such finding ${s.file ? 'in this file' : 'in the statement after it'}.`;
      kept.push({
        rule: UNUSED_SUPPRESSION,
        severity: unusedSeverity ?? 'info',
        message,
        start: s.comment.start,
        end: s.comment.end,
        fixes: [{ title: 'Remove this dupguard-ignore comment', edits: [removalEdit(text, s.comment)], preferred: true }],
      });
    }
  }
  kept.sort((a, b) => a.start - b.start || a.end - b.end || a.rule.localeCompare(b.rule));
  return { findings: kept };
}

const identity = (o: number) => o;

interface ActiveRule {
  rule: Rule;
  /** Severity forced by config, if any. */
  forced?: Severity;
}

function activeRules(config: AnalyzerConfig): ActiveRule[] {
  const out: ActiveRule[] = [];
  for (const rule of rules) {
    const o = config.rules?.[rule.id];
    if (o === 'off') continue;
    out.push({ rule, forced: o });
  }
  return out;
}

function unusedRules(s: Suppression, config: AnalyzerConfig): string[] {
  if (s.rules.length === 0) return s.used.size ? [] : ['*'];
  // A rule turned off in config has nothing to silence: its suppression is not "unused".
  return s.rules.filter((id) => !s.used.has(id) && config.rules?.[id] !== 'off');
}

function runRules(
  doc: SqlDocument, file: NonNullable<RuleContext['file']>, enabled: ActiveRule[], input: AnalyzeInput, language: SourceLanguage, embedded: boolean,
  emit: (f: Finding) => void, config: AnalyzerConfig,
): void {
  for (const { rule, forced } of enabled) {
    const ctx: RuleContext = {
      doc, file, path: input.path, language, embedded, schema: input.schema, config, reuse: input.reuse !== false,
      report(r) {
        const start = clamp(r.start, doc.text.length);
        const end = Math.max(start, clamp(r.end, doc.text.length));
        const f: Finding = {
          rule: rule.id, severity: forced ?? r.severity ?? rule.severity, message: r.message, start, end,
          fixes: doc.quoted.length && r.fixes ? r.fixes.map((x) => quoteFix(x, doc.quoted)) : r.fixes ?? [],
        };
        if (r.related?.length) f.related = r.related;
        emit(f);
      },
    };
    if (rule.statement) {
      const list = rule.kinds ? doc.ofKinds(rule.kinds) : doc.all;
      for (let i = 0; i < list.length; i++) {
        try {
          rule.statement(list[i], ctx);
        } catch {
          // A bug in one rule on one statement: report nothing for it and keep going.
        }
      }
    }
    if (rule.document) {
      try {
        rule.document(ctx);
      } catch {
        // Same: the other rules still run.
      }
    }
  }
}

/**
 * A fix whose edits land in SQL that sits inside a '...' literal of the file (an old-style function
 * body, an EXECUTE string) writes its quotes doubled, once per enclosing literal.
 */
export function quoteFix(fix: Fix, quoted: Span[]): Fix {
  let changed = false;
  const edits = fix.edits.map((e) => {
    let levels = 0;
    for (const q of quoted) if (e.start >= q.start && e.end <= q.end) levels++;
    if (levels === 0 || !e.newText.includes("'")) return e;
    changed = true;
    return { ...e, newText: e.newText.replace(/'/g, "'".repeat(2 ** levels)) };
  });
  return changed ? { ...fix, edits } : fix;
}

/** Rules that need the host code's structure (functions, interpolated expressions) around the SQL. */
function runHostRules(
  text: string, regions: HostRegion[], enabled: ActiveRule[], input: AnalyzeInput, language: SourceLanguage,
  emit: (f: Finding) => void, config: AnalyzerConfig,
): void {
  for (const { rule, forced } of enabled) {
    if (!rule.host) continue;
    try {
      rule.host({
        text, path: input.path, language, regions, schema: input.schema, config,
        report(r) {
          const start = clamp(r.start, text.length);
          const end = Math.max(start, clamp(r.end, text.length));
          const f: Finding = {
            rule: rule.id, severity: forced ?? r.severity ?? rule.severity, message: r.message, start, end, fixes: r.fixes ?? [],
          };
          if (r.related?.length) f.related = r.related;
          emit(f);
        },
      });
    } catch {
      // A bug in one rule must not hide the others.
    }
  }
}

function clamp(n: number, max: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.min(Math.trunc(n), max)) : 0;
}

function mapFinding(f: Finding, toHost: (o: number) => number, quote?: string): Finding {
  return {
    ...f,
    start: toHost(f.start),
    end: toHost(f.end),
    fixes: f.fixes.map((x) => ({
      ...x,
      edits: x.edits.map((e) => ({ start: toHost(e.start), end: toHost(e.end), newText: escapeForHost(e.newText, quote) })),
    })),
  };
}

/**
 * Fix text is SQL; inside a JS literal it must be written so that the literal's value is that SQL
 * (a quoted identifier inside a "..." string, a backslash, a line break in a '...' string).
 * `${` is left alone: rules never write interpolations, and snippet placeholders use that syntax.
 */
export function escapeForHost(text: string, quote: string | undefined): string {
  if (quote === '`') return text.replace(/[\\`]/g, (c) => `\\${c}`);
  if (quote !== '"' && quote !== "'") return text;
  return text.replace(/[\\"'\r\n]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === quote || c === '\\') return `\\${c}`;
    return c;
  });
}
