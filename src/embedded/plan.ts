/**
 * What the engine lints in a TS/JS host file: the SQL regions the extractor finds plus the host shapes
 * it misses (query config objects, joined line arrays, `? on conflict` fragments), each assessed once
 * (executed or expected output, which dialect) and expanded into the SQL texts it can really send (its
 * branch variants). The engine runs the PostgreSQL rules on the variants of executed PostgreSQL (or
 * undecided) regions only, and writes a fix back only where its edit lies inside one literal of the host.
 */
import type { AnalyzerConfig, SourceLanguage } from '../core/types';
import { embeddedFile } from './assess';
import { isExecuted } from './context';
import { extractEmbeddedSql, usesJsx } from './extract';
import { isLiteral, tokenAt, type HostTokens } from './host-tokens';
import type { DialectHints } from './dialect-hints';
import { TokenStream } from './orm/stream';
import type { EmbeddedSql } from './types';

/** One SQL text to lint: an extracted region, or one branch variant of it. */
export interface PlannedRegion {
  sql: EmbeddedSql;
  /** Index of the region it comes from: the variants of one region share their findings on common text. */
  group: number;
  /** Run the PostgreSQL rules: executed (or nothing says otherwise) and PostgreSQL (or no evidence either way). */
  postgres: boolean;
  /** Executed (or unknown) SQL of any dialect: what rules about hazards every database shares may read. */
  executed: boolean;
  /**
   * What the host code proves (absent: not known): the SQL is passed to something that runs it, and
   * the database it runs on. What a rule's severity rests on (src/rules/certainty.ts).
   */
  evidence?: { executed?: true; dialect?: string };
}

export interface HostPlan {
  /** The texts to run statement and document rules on (variants), in host order. */
  regions: PlannedRegion[];
  /**
   * The regions as found, one per group (`regions[i].group` indexes it), executed ones only: what the
   * host-code rules read (their own reading of interpolations, `+` operands and constants).
   */
  found: PlannedRegion[];
  /** Host ranges of every region found, linted or not (suppression comments inside them are SQL's). */
  ranges: Array<{ start: number; end: number }>;
  /**
   * The quote character of the host literal a fix edit of host range [start, end) writes into, or
   * undefined when the range is not inside the body of one literal piece (it would cross `+`, an
   * interpolation, or another literal: the edit cannot be written into the host).
   */
  literalQuote(start: number, end: number): string | undefined;
}

/** Quick test for the shapes `moreRegions` finds, so files with none skip the host tokenization. */
const MORE_SHAPES = /\b(?:text|query|sql)\s*:|(?:\?|\$\d+|\})\s+on\s+conflict\b|\]\s*\.\s*join\s*\(/i;

/**
 * Builds the lint plan of one TS/JS host file. `stream`: the file's one token stream (the engine's),
 * read by the extractor and the host view alike; made here when not given. `hints`: its dialect hints
 * as the engine keeps them. Never throws: a failure
 * leaves the extracted regions as they are.
 */
export function planHost(text: string, language: SourceLanguage, options: { path?: string; config?: AnalyzerConfig; stream?: () => TokenStream; hints?: (ts: TokenStream) => DialectHints } = {}): HostPlan {
  const embedded = options.config?.embedded;
  const jsx = usesJsx(text, language);
  let ts: TokenStream | undefined;
  const stream = () => (ts ??= options.stream?.() ?? new TokenStream(text, jsx));
  let extracted: EmbeddedSql[] = [];
  try {
    extracted = extractEmbeddedSql(text, language, { tags: embedded?.tags, functions: embedded?.functions }, language === 'sql' ? undefined : stream());
  } catch {
    extracted = [];
  }
  const ranges = extracted.map((r) => ({ start: r.toHost(0), end: r.toHost(r.text.length) }));
  const plain = (): HostPlan => ({
    regions: extracted.map((sql, group) => ({ sql, group, postgres: true, executed: true })),
    found: extracted.map((sql, group) => ({ sql, group, postgres: true, executed: true })),
    ranges,
    literalQuote: (start) => quoteBefore(text, extracted, start),
  });
  if (extracted.length === 0 && !MORE_SHAPES.test(text)) return plain();
  try {
    const host = embeddedFile(text, {
      path: options.path, jsx, stream: stream(), hints: options.hints, functions: embedded?.functions, tags: embedded?.tags,
      expectedOutput: embedded?.expectedOutput ? 'report' : 'ignore',
    });
    const found = [...extracted, ...host.moreRegions(extracted)].sort((a, b) => a.hostStart - b.hostStart);
    const regions: PlannedRegion[] = [];
    const kept: PlannedRegion[] = [];
    const allRanges: HostPlan['ranges'] = [];
    found.forEach((region, group) => {
      allRanges.push({ start: region.toHost(0), end: region.toHost(region.text.length) });
      const a = host.assess(region);
      // In a test file, SQL found only by its shape (no client, tag or query function takes it, even
      // through a constant) is test input: a parser's, a request parameter, a constructor argument.
      const testInput = a.execution.kind === 'unknown' && a.execution.testFile && region.via === 'literal';
      const executed = !!embedded?.expectedOutput || (isExecuted(a.execution) && !testInput);
      const proven: true | undefined = a.execution.kind === 'executed' ? true : undefined;
      const evidence = (d: { dialect: string }) => ({ executed: proven, dialect: d.dialect === 'unknown' ? undefined : d.dialect });
      if (executed) kept.push({ sql: region, group, postgres: a.runPostgresRules, executed, evidence: evidence(a.dialect) });
      for (const v of a.variants) {
        if (!executed) continue;
        regions.push({ sql: v, group, postgres: v.runPostgresRules, executed, evidence: evidence(v.dialect) });
      }
    });
    return { regions, found: kept, ranges: allRanges, literalQuote: (start, end) => literalQuote(host.tokens, start, end) };
  } catch {
    return plain();
  }
}

/** Quote of the literal whose body holds host range [start, end), from the host tokens; undefined when there is none. */
function literalQuote(t: HostTokens, start: number, end: number): string | undefined {
  const i = tokenAt(t, start);
  if (i < 0 || !isLiteral(t, i)) return undefined;
  const kind = t.kinds[i];
  const open = t.starts[i];
  const quote = kind === 'tplMiddle' || kind === 'tplTail' ? '`' : t.text[open];
  // The body: after the opening delimiter (`, ', ", or the `}` closing the previous hole), before the
  // closing delimiter or the `${` of the next hole.
  const bodyStart = open + 1;
  const closed = kind === 'tplHead' || kind === 'tplMiddle' ? t.ends[i] - 2 : t.text[t.ends[i] - 1] === quote && t.ends[i] - open >= 2 ? t.ends[i] - 1 : t.ends[i];
  if (start < bodyStart || start > closed || end < start || end > closed) return undefined;
  return quote;
}

/** The old reading for a plan made without host tokens: the quote before the region holding `start`. */
function quoteBefore(text: string, regions: readonly EmbeddedSql[], start: number): string | undefined {
  let best: EmbeddedSql | undefined;
  for (const r of regions) if (r.hostStart <= start) best = r;
  return best ? text[best.hostStart - 1] : undefined;
}
