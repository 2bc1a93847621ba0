/**
 * One entry point per host file for the engine: for each embedded SQL region, whether it is executed,
 * in which dialect, whether PostgreSQL rules should run on it, and the SQL variants to run them on.
 * Tokenizes the host once; everything else is per region.
 */
import { classifyExecution, hostContext, isExecuted, type ExecutionContext } from './context';
import { clientDialectEvidence, fileDialectEvidence, regionDialect, runsPostgresRules, type DialectDecision, type DialectEvidence } from './dialect';
import { hostTokens, hostTokensOf, type HostTokens } from './host-tokens';
import type { DialectHints } from './dialect-hints';
import type { TokenStream } from './orm/stream';
import type { EmbeddedSql } from './types';
import { expandVariants, findMoreSql, type SqlVariant } from './variants';

export interface EmbeddedFileOptions {
  /** The file's path: only adds evidence that it is a test file. */
  path?: string;
  jsx?: boolean;
  /** The user's extra query functions and tags (`embedded.functions`, `embedded.tags`). */
  functions?: readonly string[];
  tags?: readonly string[];
  /** Dialect evidence from elsewhere (the ORM layer: pgTable vs sqliteTable, prisma provider, knex client...). */
  dialectEvidence?: readonly DialectEvidence[];
  /** `embedded.expectedOutput`: 'ignore' (default) gives no findings on expected output, parser input and test titles; 'report' keeps them. */
  expectedOutput?: 'ignore' | 'report';
  /** At most this many variants per region (default 8). */
  maxVariants?: number;
  /** The file's token stream, when the caller has one (tokenized with `jsx`): the file is not tokenized again. */
  stream?: TokenStream;
  /** The stream's dialect hints as the engine keeps them (found here when not given). */
  hints?: (ts: TokenStream) => DialectHints;
}

export interface RegionAssessment {
  execution: ExecutionContext;
  dialect: DialectDecision;
  /** Run the PostgreSQL rules on this region: executed (or unknown) and PostgreSQL (or unknown). */
  runPostgresRules: boolean;
  /** What to lint: the branch combinations of the region (the region itself when nothing is expandable), each with its own dialect (a branch's text can decide it: `isSqlite ? 'INSERT OR IGNORE ...' : '...'`). */
  variants: AssessedVariant[];
}

export interface AssessedVariant extends SqlVariant {
  dialect: DialectDecision;
  runPostgresRules: boolean;
}

export interface EmbeddedFile {
  tokens: HostTokens;
  /** The assessment of one region found in this host. Never throws. */
  assess(region: EmbeddedSql): RegionAssessment;
  /** Regions the extractor misses (query config objects, joined arrays, `? on conflict` fragments). */
  moreRegions(existing: readonly EmbeddedSql[]): EmbeddedSql[];
}

/** Prepares a host file for per-region assessment. */
export function embeddedFile(text: string, options: EmbeddedFileOptions = {}): EmbeddedFile {
  const tokens = options.stream ? hostTokensOf(options.stream) : hostTokens(text, options.jsx ?? false);
  const ctx = hostContext(text, { path: options.path, functions: options.functions, tokens });
  const fileEvidence = fileDialectEvidence(tokens, options.dialectEvidence ?? [], options.hints?.(tokens.stream));
  const clients = clientDialectEvidence(tokens);
  const report = options.expectedOutput === 'report';
  return {
    tokens,
    assess(region) {
      const execution = classifyExecution(ctx, region.hostStart);
      const dialect = regionDialect(tokens, fileEvidence, region, clients);
      const runPostgresRules = (report || isExecuted(execution)) && runsPostgresRules(dialect);

      const executed = report || isExecuted(execution);
      const variants = expandVariants(tokens, region, { max: options.maxVariants, tags: options.tags ? ['sql', 'SQL', ...options.tags] : undefined })
        .map((v): AssessedVariant => {
          const d = v.choices.length ? regionDialect(tokens, fileEvidence, v, clients) : dialect;
          return Object.assign(v, { dialect: d, runPostgresRules: executed && runsPostgresRules(d) });
        });
      return { execution, dialect, runPostgresRules, variants };
    },
    moreRegions(existing) {
      return findMoreSql(tokens, existing);
    },
  };
}
