/**
 * PostgreSQL's parse of each statement, for the rules that read one (`ctx.ast(stmt)`): per analysis
 * by Statement object (several rules ask for the same statement), across analyses by statement text
 * with locations relative to the statement, placed at its start when asked (docs/caching.md).
 */
import type { Statement } from '../core/facts';
import { parseRange, parserReady, TextCache } from '../core/schema/pg';
import type { StmtAst } from '../rules/ast';

/** A statement's parse, position-independent: offsets relative to the statement's first character. */
interface AstCore {
  kind: string;
  node: any;
  /** Byte location in the statement → UTF-16 offset from the statement's start. */
  map(byteLoc: number): number;
}

const AST_CACHE_MAX_TEXT = 20_000;
// statement texts held (the trees themselves are mostly shared with the parser's own cache in pg.ts)
const AST_CACHE_MAX_CHARS = 500_000;

/** An AST whose locations are offsets into the analyzed text: the cached core, placed at the statement. */
class PlacedAst implements StmtAst {
  readonly kind: string;
  readonly node: any;
  constructor(private readonly core: AstCore, private readonly base: number) {
    this.kind = core.kind;
    this.node = core.node;
  }
  at = (byteLoc: number): number => this.base + this.core.map(byteLoc);
}

/** Statement parse trees, by Statement object and by text. */
export class StatementAsts {
  private readonly byStatement = new WeakMap<Statement, StmtAst | null>();
  private readonly byText = new TextCache<AstCore | null>(AST_CACHE_MAX_CHARS);

  /** Bounds the trees kept by text to `maxChars` characters of statement text (the editor's budget is AST_CACHE_MAX_CHARS). */
  size(maxChars: number): void {
    this.byText.resize(maxChars);
  }

  /** libpg-query's parse of `stmt` (undefined when the parser is not loaded or rejects it). */
  of(stmt: Statement): StmtAst | undefined {
    // no parser, no AST: return before touching the WeakMap (an entry per statement is GC work)
    if (!parserReady()) return undefined;
    const hit = this.byStatement.get(stmt);
    if (hit !== undefined) return hit ?? undefined;
    const text = stmt.source;
    const end = stmt.terminator >= 0 ? stmt.terminator : stmt.end;
    const core = this.core(text.slice(stmt.start, end));
    const out = core ? new PlacedAst(core, stmt.start) : null;
    this.byStatement.set(stmt, out);
    return out ?? undefined;
  }

  /**
   * Forgets `stmt`'s tree (a one-shot run, once the statement's rules are done): a later ask parses
   * it again, or finds it by text among the recent ones.
   */
  release(stmt: Statement): void {
    this.byStatement.delete(stmt);
  }

  private core(piece: string): AstCore | null {
    const hit = this.byText.get(piece);
    if (hit !== undefined) return hit;
    let out: AstCore | null = null;
    try {
      const [p] = parseRange(piece, 0, piece.length);
      if (p?.stmt) {
        const kind = Object.keys(p.stmt)[0];
        out = { kind, node: p.stmt[kind], map: p.offset };
      }
    } catch {
      out = null;
    }
    if (piece.length <= AST_CACHE_MAX_TEXT) this.byText.set(piece, out);
    return out;
  }
}
