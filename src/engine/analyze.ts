/**
 * The analyzer's entry point: text in, findings out. Pure: no editor, no database, no I/O.
 * The pipeline: text → tokens → statements → facts (src/core) → rules (src/rules, with the SQL found
 * in TS/JS by src/embedded) → findings with host offsets, suppressions and severity settings applied
 * here, once. The caches that carry work from one analysis to the next live in this folder too.
 */
import { parseDocument, type Span, type SqlDocument, type Statement } from '../core/facts';
import { languageFromPath } from '../core/languages';
import type { SchemaModel } from '../core/schema';
import { ensureParser, parserReady } from '../core/schema/pg';
import { hostSuppressions, isSuppressed, sqlSuppressions, type Suppression } from '../core/suppress';
import type { AnalyzerConfig, Finding, Fix, Severity, SourceLanguage } from '../core/types';
import type { JsToken } from '../embedded/jsTokens';
import { usesJsx } from '../embedded/extract';
import { ormHostFacts, type OrmHostFacts } from '../embedded/orm/host';
import { TokenStream } from '../embedded/orm/stream';
import { planHost, type PlannedRegion } from '../embedded/plan';
import type { EmbeddedSql } from '../embedded/types';
import { rules } from '../rules/index';
import type { CatalogFacts, HostRegion, Rule, RuleContext, RuleReport } from '../rules/rule';
import { AnalysisCaches, sharedCaches } from './caches';
import type { DocEntries, MemoInputs } from './memo';

export type { AnalyzerConfig, SourceLanguage } from '../core/types';
export { AnalysisCaches } from './caches';

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
  /** The caches to read and fill (default: the process's shared ones). */
  caches?: AnalysisCaches;
  /** The rules to run (default: the registry, src/rules/index.ts). */
  rules?: readonly Rule[];
  /** Facts from the live database (the editor's data check), for the rules that read the catalog. */
  catalog?: CatalogFacts;
  /** PostgreSQL's grammar (default: libpg-query's WASM, see src/core/schema/pg.ts): parse trees are read only when it is ready. */
  parser?: ParserLoader;
  /**
   * The workspace schema is still being built (the editor, right after start-up): `schema` is not the
   * final one, so what a rule decides from it is not final either (see `AnalyzeResult.unconfirmed`).
   */
  schemaPending?: boolean;
}

/** A PostgreSQL parser that loads lazily: the analysis reads parse trees only once `ready()` is true. */
export interface ParserLoader {
  ready(): boolean;
  load(): Promise<void>;
}

/** libpg-query (WASM), loaded once per process. */
export const pgParser: ParserLoader = { ready: parserReady, load: ensureParser };

export interface AnalyzeResult {
  findings: Finding[];
  /**
   * Present when a rule asked for something this analysis lacked (the parser not ready yet, the
   * schema still pending): the findings of those rules' checks, a subset of `findings`, may be
   * withdrawn or changed, and more may appear, once it is there. Every other finding is final for
   * this text: its check read nothing that was missing. Absent: every finding is final.
   */
  unconfirmed?: Finding[];
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

/** What every rule of one analysis shares. */
interface Run {
  input: AnalyzeInput;
  language: SourceLanguage;
  config: AnalyzerConfig;
  caches: AnalysisCaches;
  reuse: boolean;
  enabled: ActiveRule[];
  /** Every rule id of the registry in use. */
  known: readonly string[];
  /** Parse trees can be read in this analysis. */
  parserOn: boolean;
  schemaPending: boolean;
  /** Something is missing (parser or schema): each rule check is watched for asking for it. */
  partial: boolean;
  /** Set when the running check asked for what is missing. */
  touched: boolean;
  /** Findings of checks that asked for what is missing (host findings are mapped by identity, see runRules' callers). */
  unconfirmed: Set<Finding>;
  /** Rules with such a check. */
  incomplete: Set<string>;
  /** Findings reported `lexerCertain` in a partial analysis: they stand whatever the missing input says. */
  standing: WeakSet<Finding>;
}

function analyzeUnsafe(input: AnalyzeInput): AnalyzeResult {
  const text = typeof input.text === 'string' ? input.text : '';
  const language = input.language ?? (input.path ? languageFromPath(input.path) : undefined) ?? 'sql';
  const config = input.config ?? {};
  const registry = input.rules ?? rules;
  const parserOn = (input.parser ?? pgParser).ready();
  const schemaPending = input.schemaPending === true;
  const partial = !parserOn || schemaPending;
  const run: Run = {
    input, language, config, caches: input.caches ?? sharedCaches,
    // replayed reports would not say whether their check lacked something: a partial analysis runs every check
    reuse: input.reuse !== false && !partial,
    enabled: activeRules(registry, config), known: registry.map((r) => r.id),
    parserOn, schemaPending, partial, touched: false, unconfirmed: new Set(), incomplete: new Set(), standing: new WeakSet(),
  };
  const findings: Finding[] = [];
  const suppressions: Suppression[] = [];
  /** Which lines a suppression comment covers was decided from what is missing (see below). */
  let coverUnsure = false;

  if (!input.language && input.path && PRISMA_SCHEMA.test(input.path)) {
    // a Prisma schema: no SQL, no JS; the rules that judge ORM schema files read it through their host hook
    const host = hostFile(run, text);
    suppressions.push(...hostSuppressions(text, []));
    runHostRules(run, host, [], (f) => findings.push(f));
  } else if (language === 'sql') {
    const doc = parseDocument(text);
    runRules(run, doc, { docs: [doc], index: 0 }, false, (f) => findings.push(f));
    suppressions.push(...sqlSuppressions(doc, identity, text.length));
  } else {
    // Executed SQL only (expected output of tests is not), in PostgreSQL or no known dialect, each
    // branch combination of conditional fragments apart (src/embedded/plan.ts).
    // one tokenization of the file serves the extractor, the plan, the ORM layer and the host rules
    const jsx = usesJsx(text, language);
    let ts: TokenStream | undefined;
    const stream = () => (ts ??= run.caches.streams.of(text, jsx));
    const plan = planHost(text, language, { path: input.path, config, stream, hints: run.caches.streams.hints });
    const hostRegions: PlannedHostRegion[] = [];
    const parsed = new Map<EmbeddedSql, SqlDocument>();
    const parse = (sql: EmbeddedSql): SqlDocument => {
      let doc = parsed.get(sql);
      if (!doc) parsed.set(sql, (doc = parseDocument(sql.text)));
      return doc;
    };
    for (const p of plan.regions) {
      try {
        hostRegions.push({ sql: p.sql, doc: parse(p.sql), plan: p });
      } catch {
        // One odd region must not hide the others.
      }
    }
    // Every rule sees all queries of the file (a staging table made by one, merged by another).
    const postgres = hostRegions.filter((h) => h.plan.postgres);
    const docs = postgres.map((h) => h.doc);
    // The variants of one region share most of their text: one finding per rule and range.
    const seen = new Set<string>();
    postgres.forEach(({ sql: r, doc, plan: p }, index) => {
      try {
        const toHost = (o: number) => r.toHost(o);
        runRules(run, doc, { docs, index, sql: r, host: text, evidence: p.evidence }, true, (f) => {
          const m = mapFinding(f, toHost, plan.literalQuote);
          const key = `${p.group} ${m.rule} ${m.start} ${m.end}`;
          if (seen.has(key)) return;
          seen.add(key);
          if (run.unconfirmed.has(f)) run.unconfirmed.add(m);
          findings.push(m);
        });
        suppressions.push(...sqlSuppressions(doc, toHost, text.length));
      } catch {
        // Same: the other regions still count.
      }
    });
    // Host-code rules read each region as found (their own reading of interpolations and constants).
    const found: PlannedHostRegion[] = [];
    const firstOf = new Map<number, PlannedRegion>();
    for (const r of plan.regions) if (!firstOf.has(r.group)) firstOf.set(r.group, r);
    for (const p of plan.found) {
      try {
        // A region with no variants is linted as it is: its document is already parsed.
        const first = firstOf.get(p.group);
        const h: PlannedHostRegion = { sql: p.sql, doc: parse(first && first.sql.text === p.sql.text ? first.sql : p.sql), plan: p };
        // the branch combinations of its conditional fragments, as the statement rules read them
        const branches = hostRegions.filter((b) => b.plan.group === p.group);
        if (branches.some((b) => b.sql.text !== p.sql.text)) h.variants = branches.map((b) => b.doc);
        found.push(h);
      } catch {
        // Same.
      }
    }
    const host = hostFile(run, text, stream);
    // a comment above an ORM call silences the call, whichever of its lines the finding is on
    const calls = text.includes('dupguard-ignore') ? host.orm()?.file.writes.map((w) => w.call) : undefined;
    // the ORM calls are recognised with the project's dialect, which the schema says
    coverUnsure = run.schemaPending && calls !== undefined;
    suppressions.push(...hostSuppressions(text, plan.ranges, calls));
    runHostRules(run, host, found, (f) => findings.push(f));
  }

  if (coverUnsure) {
    run.incomplete.add('');
    for (const f of findings) run.unconfirmed.add(f);
  }
  const kept = findings.filter((f) => !isSuppressed(suppressions, f.rule, f.start));
  if (suppressions.length) runSuppressionRules(run, text, suppressions, (f) => kept.push(f));
  kept.sort((a, b) => a.start - b.start || a.end - b.end || a.rule.localeCompare(b.rule));
  if (!run.incomplete.size) return { findings: kept };
  return { findings: kept, unconfirmed: kept.filter((f) => run.unconfirmed.has(f)) };
}

/**
 * Runs one rule check (`rule`'s hook on one statement, one document or one host file). In a partial
 * analysis its findings are held until it returns: if it asked for what is missing, they are
 * unconfirmed (it may decide otherwise once it has it); if not, they are final.
 */
function watched(run: Run, a: ActiveRule, check: (report: (f: Finding) => void) => void, emit: (f: Finding) => void): void {
  if (!run.partial) {
    check(emit);
    return;
  }
  const held: Finding[] = [];
  run.touched = false;
  try {
    check((f) => held.push(f));
  } finally {
    const lacking = run.touched;
    run.touched = false;
    if (lacking) run.incomplete.add(a.rule.id);
    for (const f of held) {
      if (!lacking) emit(f);
      else if (!run.standing.has(f)) {
        run.unconfirmed.add(f);
        emit(f);
      } else {
        // It stands, but what would make it an error may be among what is missing: no error promised early.
        emit(f.severity === 'error' && !a.forced ? { ...f, severity: 'warning' } : f);
      }
    }
  }
}

const identity = (o: number) => o;

/** Prisma schema files: analyzed for the keys they declare (the TS/JS tokenizer reads their `//` comments and words alike). */
const PRISMA_SCHEMA = /\.prisma$/i;

interface ActiveRule {
  rule: Rule;
  /** Severity forced by config, if any. */
  forced?: Severity;
  /** Its statement reports may be replayed across analyses: it reads nothing beyond its statement but DDL and the schema. */
  memo: boolean;
  readsDdl: boolean;
}

function activeRules(registry: readonly Rule[], config: AnalyzerConfig): ActiveRule[] {
  const out: ActiveRule[] = [];
  for (const rule of registry) {
    const o = config.rules?.[rule.id];
    if (o === 'off') continue;
    const memo = !!rule.statement && !rule.reads.includes('other-statements') && !rule.reads.includes('catalog');
    out.push({ rule, forced: o, memo, readsDdl: rule.reads.includes('document-ddl') });
  }
  return out;
}

/** A finding of `rule` from a report (offsets clamped into a text of `length`): the one place severity is decided. */
function finding(a: ActiveRule, r: RuleReport, length: number): Finding {
  const start = clamp(r.start, length);
  const end = Math.max(start, clamp(r.end, length));
  const f: Finding = { rule: a.rule.id, severity: a.forced ?? r.severity ?? a.rule.severity, message: r.message, start, end, fixes: r.fixes ?? [] };
  if (r.related?.length) f.related = r.related;
  return f;
}

function runRules(run: Run, doc: SqlDocument, file: NonNullable<RuleContext['file']>, embedded: boolean, emit: (f: Finding) => void): void {
  const { input, caches } = run;
  const length = doc.text.length;
  const asts = caches.asts;
  const documentTables = () => caches.tables.of(doc, input.path, run.reuse);
  // what is missing from a partial analysis, asked for: the running check's findings are unconfirmed
  const lacking = <T>(): T | undefined => {
    run.touched = true;
    return undefined;
  };
  // what a memo of a rule reading the document's DDL compares: that model's cache entry (made once per document)
  let ddlEntry: object | undefined | null = null;
  const ddlKey = (): object | undefined => {
    if (ddlEntry === null) ddlEntry = parserReady() ? (documentTables(), caches.tables.entryOf(doc)) : undefined;
    return ddlEntry;
  };
  // One context for every rule of this document: `active` is the rule running, and while the memo
  // captures a statement's reports they go to `sink`.
  let active = run.enabled[0];
  let sink: ((r: RuleReport) => void) | undefined;
  let out = emit;
  const toFinding = (r: RuleReport) => {
    const f = finding(active, r, length);
    if (doc.quoted.length && f.fixes.length) f.fixes = f.fixes.map((x) => quoteFix(x, doc.quoted));
    if (r.lexerCertain && run.partial) run.standing.add(f);
    out(f);
  };
  const ctx: RuleContext = {
    doc, file, path: input.path, language: run.language, embedded, config: run.config,
    get schema() {
      return run.schemaPending ? (lacking(), input.schema) : input.schema;
    },
    ast: run.parserOn ? (s) => asts.of(s) : lacking,
    documentTables: run.parserOn ? documentTables : lacking,
    // Offsets of the live database's facts are the file's: only a document that is the whole file reads them.
    catalog: embedded ? undefined : input.catalog,
    report: (r) => (sink ? sink(r) : toFinding(r)),
  };
  /** Runs `check` with its findings going to `report`. */
  const within = (report: (f: Finding) => void, check: () => void) => {
    out = report;
    try {
      check();
    } finally {
      out = emit;
    }
  };
  let entries: DocEntries | undefined;
  const check = (stmt: Statement, keep: (r: RuleReport) => void) => {
    sink = keep;
    try {
      active.rule.statement!(stmt, ctx);
    } finally {
      sink = undefined;
    }
  };
  // A one-shot run (nothing replayed, nothing missing): each statement's rules run together, then
  // its parse tree is let go, so a document holds one statement's tree at a time, not every one a
  // rule read. Findings are the same as rule by rule: they are sorted by place and rule at the end,
  // and each rule still sees the statements in document order.
  const oneShot = !run.reuse && !run.partial;
  if (oneShot) {
    const hooked = run.enabled.filter((a) => a.rule.statement);
    const kindsOf = hooked.map((a) => (a.rule.kinds ? new Set(a.rule.kinds) : undefined));
    const all = doc.all;
    for (let i = 0; i < all.length; i++) {
      const stmt = all[i];
      for (let r = 0; r < hooked.length; r++) {
        const kinds = kindsOf[r];
        if (kinds !== undefined && !kinds.has(stmt.kind)) continue;
        const a = hooked[r];
        const word = a.rule.mentions;
        if (word !== undefined && !stmt.mentions(word)) continue;
        active = a;
        try {
          a.rule.statement!(stmt, ctx);
        } catch {
          // A bug in one rule on one statement: report nothing for it and keep going.
        }
      }
      asts.release(stmt);
    }
  }
  for (const a of run.enabled) {
    const { rule } = a;
    if (!rule.statement && !rule.document) continue;
    active = a;
    if (rule.statement && !oneShot) {
      const list = rule.kinds ? doc.ofKinds(rule.kinds) : doc.all;
      const word = rule.mentions;
      if (run.reuse && a.memo && list.length) {
        entries ??= caches.reports.document(embedded);
        const k: MemoInputs = { slot: caches.reports.slot(rule.id), ...caches.reports.inputs(input.schema, run.config, a.readsDdl ? ddlKey() : undefined) };
        for (let i = 0; i < list.length; i++) {
          if (word !== undefined && !list[i].mentions(word)) continue;
          try {
            entries.run(list[i], k, toFinding, check);
          } catch {
            // A bug in one rule on one statement: report nothing for it and keep going.
          }
        }
      } else if (!run.partial) {
        for (let i = 0; i < list.length; i++) {
          if (word !== undefined && !list[i].mentions(word)) continue;
          try {
            rule.statement(list[i], ctx);
          } catch {
            // A bug in one rule on one statement: report nothing for it and keep going.
          }
        }
      } else {
        for (let i = 0; i < list.length; i++) {
          if (word !== undefined && !list[i].mentions(word)) continue;
          const stmt = list[i];
          try {
            watched(run, a, (report) => within(report, () => rule.statement!(stmt, ctx)), emit);
          } catch {
            // Same.
          }
        }
      }
    }
    if (rule.document) {
      try {
        watched(run, a, (report) => within(report, () => rule.document!(ctx)), emit);
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

/** A region with how it was planned: host rules about PostgreSQL see the PostgreSQL ones, the others every executed one. */
interface PlannedHostRegion extends HostRegion {
  plan: PlannedRegion;
}

/**
 * A TS/JS file's significant tokens and ORM calls, each made once, when first asked for: one
 * tokenization into typed arrays serves the ORM layer, and the token objects host rules walk are
 * made from it only when one asks.
 */
interface HostFile {
  text: string;
  stream(): TokenStream;
  tokens(): readonly JsToken[];
  orm(): OrmHostFacts | undefined;
}

function hostFile(run: Run, text: string, shared?: () => TokenStream): HostFile {
  let ts: TokenStream | undefined;
  const stream = () => (ts ??= shared?.() ?? new TokenStream(text, usesJsx(text, run.language)));
  const tokens = () => stream().jsTokens();
  let orm: OrmHostFacts | undefined | null = null;
  return {
    text,
    stream,
    tokens,
    orm: () => {
      if (orm === null) {
        try {
          orm = ormHostFacts(stream, run.input.schema, run.caches.streams.hints);
        } catch {
          orm = undefined;
        }
      }
      return orm;
    },
  };
}

/** Rules that need the host code's structure (functions, interpolated expressions, ORM calls) around the SQL. */
function runHostRules(run: Run, host: HostFile, all: PlannedHostRegion[], emit: (f: Finding) => void): void {
  const postgres = all.filter((h) => h.plan.postgres);
  const asts = run.caches.asts;
  const { text, tokens, stream, orm } = host;
  const lacking = <T>(): T | undefined => {
    run.touched = true;
    return undefined;
  };
  const schema = run.input.schema;
  for (const a of run.enabled) {
    if (!a.rule.host) continue;
    const regions: HostRegion[] = (a.rule.anyDialect ? all : postgres).map((h) => ({ sql: h.sql, doc: h.doc, ...(h.variants ? { variants: h.variants } : {}) }));
    try {
      watched(run, a, (report) => a.rule.host!({
        text, path: run.input.path, language: run.language, regions, config: run.config,
        get schema() {
          return run.schemaPending ? (lacking(), schema) : schema;
        },
        ast: run.parserOn ? (s) => asts.of(s) : lacking,
        tokens,
        stream,
        // the ORM facts read the schema (the tables an ORM call writes to)
        orm: run.schemaPending ? () => (lacking(), orm()) : orm,
        report: (r) => {
          const f = finding(a, r, text.length);
          if (r.lexerCertain && run.partial) run.standing.add(f);
          report(f);
        },
      }), emit);
    } catch {
      // A bug in one rule must not hide the others.
    }
  }
}

/** Rules that judge the suppression comments themselves, once the findings they silence are known. */
function runSuppressionRules(run: Run, text: string, suppressions: readonly Suppression[], emit: (f: Finding) => void): void {
  const knownRules = run.known;
  const unjudged = run.input.catalog ? [] : run.enabled.filter((a) => a.rule.reads.includes('catalog')).map((a) => a.rule.id);
  // a suppression that silenced nothing may yet silence a finding of a check that lacked something
  const unsure = run.incomplete.size > 0;
  for (const a of run.enabled) {
    if (!a.rule.suppressions) continue;
    try {
      a.rule.suppressions({ text, suppressions, config: run.config, knownRules, unjudged, report: (r) => {
        const f = finding(a, r, text.length);
        if (unsure) run.unconfirmed.add(f);
        emit(f);
      } });
    } catch {
      // Same.
    }
  }
}

function clamp(n: number, max: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.min(Math.trunc(n), max)) : 0;
}

/**
 * A finding of embedded SQL in host offsets. A fix is kept only when each of its edits lies inside
 * one literal of the host (`literalQuote`): an edit that would cross `+`, an interpolation or
 * another literal cannot be written into the code, and the finding stays without it.
 */
function mapFinding(f: Finding, toHost: (o: number) => number, literalQuote: (start: number, end: number) => string | undefined): Finding {
  const fixes: Fix[] = [];
  for (const x of f.fixes) {
    const edits: Fix['edits'] = [];
    for (const e of x.edits) {
      const start = toHost(e.start);
      // An end on a piece boundary maps to the next piece; the edit's own piece ends one unit later.
      let end = e.end === e.start ? start : toHost(e.end);
      let quote = end >= start ? literalQuote(start, end) : undefined;
      if (quote === undefined && e.end > e.start) {
        end = toHost(e.end - 1) + 1;
        quote = end >= start ? literalQuote(start, end) : undefined;
      }
      if (quote === undefined) break;
      edits.push({ start, end, newText: escapeForHost(e.newText, quote) });
    }
    if (edits.length === x.edits.length) fixes.push({ ...x, edits });
  }
  // The underline ends where the finding's last code unit stands (not at the start of the next piece).
  let end = toHost(f.end);
  if (f.end > f.start && literalQuote(toHost(f.end - 1), end) === undefined) end = Math.max(toHost(f.start), toHost(f.end - 1) + 1);
  return { ...f, start: toHost(f.start), end, fixes };
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
