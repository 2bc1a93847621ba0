/**
 * Reading PostgreSQL's parse trees (libpg-query's JSON AST) in rules: the statement's node with
 * locations as offsets, and small helpers over nodes.
 */
import type { SqlDocument } from '../core/facts';
import type { Fix } from '../core/types';

/** A statement's AST node with a byte-location → analyzed-text offset converter. */
export interface StmtAst {
  /** The node's kind, e.g. `InsertStmt`, and its body. */
  kind: string;
  node: any;
  at(byteLoc: number): number;
}

/** The string value of a libpg-query `String` node. */
export function sval(n: any): string {
  return n?.String?.sval ?? n?.sval ?? '';
}

/** Every node of `kind` under `node` (depth first). */
export function findNodes(node: any, kind: string, out: any[] = []): any[] {
  if (!node || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    for (const x of node) findNodes(x, kind, out);
    return out;
  }
  for (const [k, v] of Object.entries(node)) {
    if (k === kind) out.push(v);
    findNodes(v, kind, out);
  }
  return out;
}

/** Offset just after the token that starts at `offset` in the document (or `offset` when none does). */
export function tokenEnd(doc: SqlDocument, offset: number): number {
  const t = doc.tokens;
  let lo = 0;
  let hi = t.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t.starts[mid] < offset) lo = mid + 1;
    else if (t.starts[mid] > offset) hi = mid - 1;
    else return t.ends[mid];
  }
  return offset;
}

/** True when a fix would write a neutralized interpolation (`_tpl___`) back into the code. */
export function leaksPlaceholder(fix: Fix): boolean {
  return fix.edits.some((e) => /\b_tpl_*\b|\b_tpl\w*/.test(e.newText));
}

/** Source-side columns of `t.a = s.a AND ...` equalities. */
export function joinColumns(cond: any, source: string, target: string): string[] {
  const out: string[] = [];
  for (const e of findNodes(cond, 'A_Expr')) {
    if (e.kind !== 'AEXPR_OP' || sval(e.name?.[0]) !== '=') continue;
    const sides = [e.lexpr?.ColumnRef, e.rexpr?.ColumnRef];
    for (const side of sides) {
      const f: string[] = (side?.fields ?? []).map(sval);
      if (f.length >= 2 && f[f.length - 2] === source && f[f.length - 2] !== target) out.push(f[f.length - 1]);
    }
  }
  return [...new Set(out)];
}
