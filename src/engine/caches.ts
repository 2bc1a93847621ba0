/**
 * Every cache the engine keeps from one analysis to the next, in one object: statement parse trees,
 * documents' own DDL models, statement rules' reports, TS/JS files' token streams (docs/caching.md). `analyze()` uses one shared
 * instance unless it is given another: a test that compares a warm analysis with a cold one passes
 * a fresh instance for the cold one.
 */
import { dialectHints, type DialectHints } from '../embedded/dialect-hints';
import { TokenStream } from '../embedded/orm/stream';
import { sizeParseCache } from '../core/schema/pg';
import { DocumentTables, type DdlObserver } from './documentTables';
import { ReportMemo } from './memo';
import { StatementAsts } from './statementAst';

export class AnalysisCaches {
  readonly asts = new StatementAsts();
  readonly tables: DocumentTables;
  readonly reports = new ReportMemo();
  readonly streams = new TokenStreams();

  constructor(options: { observeDdl?: DdlObserver } = {}) {
    this.tables = new DocumentTables(options.observeDdl);
  }
}

/**
 * TS/JS texts' token streams, so that a file is tokenized once whoever reads it: the SQL extractor,
 * the lint plan and the ORM layer of one analysis, and the ORM schema reader of the same text
 * (`lint` reads a project's schema files before it analyzes them). Keyed by the text itself (and
 * JSX mode); holds the last texts up to a budget of characters, so a run over many files keeps a few.
 */
export class TokenStreams {
  private readonly recent = new Map<string, TokenStream>();
  private chars = 0;

  constructor(private readonly maxChars = 2_000_000) {}

  /** The token stream of `text` (JSX mode when `jsx`), made on first ask. */
  of(text: string, jsx: boolean): TokenStream {
    const hit = this.recent.get(text);
    if (hit && hit.jsx === jsx) {
      // the most recently used last: the first to go is the one least recently asked for
      this.recent.delete(text);
      this.recent.set(text, hit);
      return hit;
    }
    const ts = new TokenStream(text, jsx);
    if (text.length > this.maxChars) return ts;
    if (hit) this.chars -= text.length;
    this.recent.delete(text);
    this.recent.set(text, ts);
    this.chars += text.length;
    for (const [k] of this.recent) {
      if (this.chars <= this.maxChars) break;
      this.recent.delete(k);
      this.chars -= k.length;
    }
    return ts;
  }

  /**
   * A token stream's dialect hints (src/embedded/dialect-hints.ts), found once per stream and kept as
   * long as the stream is: the embedded-SQL and ORM dialect readers, and the ORM schema reader, share them.
   */
  readonly hints = (ts: TokenStream): DialectHints => {
    let h = this.hintsOf.get(ts);
    if (!h) this.hintsOf.set(ts, (h = dialectHints(ts)));
    return h;
  };

  private readonly hintsOf = new WeakMap<TokenStream, DialectHints>();

  clear(): void {
    this.recent.clear();
    this.chars = 0;
  }
}

/** The caches of every analysis that is given none (the editor's, the CLI's). */
export const sharedCaches = new AnalysisCaches();

/** Characters of statement text whose trees a fixing run keeps: about one migration file. */
const FIX_RUN_PARSE_CHARS = 64_000;

/**
 * Sizes the shared parse caches for a CLI run instead of the editor's budget. Findings are the same
 * either way; only what is parsed again and the memory held change.
 *
 * A run that reads each file once (`dupguard lint`) turns them off: the editor's budget serves the next
 * analysis of a document, which such a run never makes. Measured with a cache of 64,000 characters
 * (about one migration file's worth, for a statement parsed for the schema and read again by a rule):
 * no CPU saved on the migrations, the regression folder or the TS/JS corpus, while the trees it held
 * lived through young-generation collections, were promoted and died in the old one: the 37.5 MB file
 * peaked at 560 MB, 430 MB without it, and spent 15% more CPU.
 *
 * A run that fixes (`fixing`: `--fix`, `--fix-dry-run`) analyzes a file again after each pass of fixes,
 * one file after the other: it keeps about one file's worth (without it, the migrations' dry run took
 * 10% more CPU).
 */
export function sizeForCliRun(fixing = false): void {
  const chars = fixing ? FIX_RUN_PARSE_CHARS : 0;
  sizeParseCache(chars);
  sharedCaches.asts.size(chars);
}
