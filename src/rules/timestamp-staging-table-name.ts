/**
 * A table name built from a timestamp (`staging_${Date.now()}`, `'tmp_' + d.getTime()`, a const
 * holding one) used in CREATE TABLE / INSERT INTO / COPY / MERGE / DROP TABLE (seed 001: 44 loaders
 * started by one schedule built the same `time_entries_staging_<ms>` name, loaded into each other's
 * staging tables, and 97.8% of the rows became duplicates). Clocks collide; a random suffix does not.
 */
import type { SqlDocument, TableRef } from '../core/facts';
import type { Fix } from '../core/types';
import { docsUrl, type HostContext, type HostRegion, type Rule } from './rule';

const ID = 'timestamp-staging-table-name';

/** Expressions whose value is the current time. */
const TIME_EXPR =
  /\bDate\.now\s*\(\s*\)|\bnew\s+Date\s*\(\s*\)\s*\.\s*(?:getTime|valueOf|toISOString|toJSON|getMilliseconds|getSeconds)\s*\(\s*\)|\+\s*new\s+Date\s*\(\s*\)|\.getTime\s*\(\s*\)|\bperformance\.now\s*\(\s*\)|\bprocess\.hrtime(?:\.bigint)?\s*\(\s*\)|\bDateTime\.now\s*\(\s*\)|\bdayjs\s*\(\s*\)\s*\.\s*(?:valueOf|unix)\s*\(\s*\)|\bmoment\s*\(\s*\)\s*\.\s*(?:valueOf|unix)\s*\(\s*\)|\bDate\.UTC\s*\(/;

const RANDOM = "crypto.randomUUID().replaceAll('-', '')";

/** Table names a statement creates, writes or copies into. */
function writtenTables(doc: SqlDocument): TableRef[] {
  const out: TableRef[] = [];
  for (const s of doc.all) {
    if (s.createTable) out.push(s.createTable.table);
    for (const ins of s.inserts) out.push(ins.table);
    if (s.copy?.table) out.push(s.copy.table);
    if (s.merge) out.push(s.merge.table);
    if (s.merge?.usingTable) out.push(s.merge.usingTable);
    for (const ins of s.inserts) out.push(...ins.reads);
  }
  return out;
}

interface Stamp {
  /** Host range to underline. */
  start: number;
  end: number;
  /** The time expression as written. */
  expression: string;
  fix?: Fix;
}

/**
 * Every declaration `const|let|var name = ` of the host text, by name: where it stands and where
 * its initializer starts, in text order. Found in one pass when first needed (a search of the whole
 * text per placeholder made files with many queries quadratic). Matches may overlap (`let a: T`
 * reads up to the next `=`): the scan resumes one character after each match start, so every
 * declaration a search for its own name would find is here, with the same initializer start.
 */
class Declarations {
  private byName: Map<string, Array<{ at: number; start: number }>> | undefined;

  constructor(private readonly text: string) {}

  /** Declaration `const|let|var name = <init>` in the host text before `before`. */
  initializer(name: string, before: number): { start: number; end: number } | undefined {
    this.byName ??= this.scan();
    const list = this.byName.get(name);
    let start = -1;
    for (const d of list ?? []) if (d.at < before) start = d.start;
    if (start < 0) return undefined;
    const text = this.text;
    // the initializer runs to the end of the line (or a `;`)
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const semi = text.indexOf(';', start);
    if (semi >= 0 && semi < end) end = semi;
    return { start, end };
  }

  private scan(): Map<string, Array<{ at: number; start: number }>> {
    const out = new Map<string, Array<{ at: number; start: number }>>();
    const re = /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*/g;
    for (let m = re.exec(this.text); m; m = re.exec(this.text)) {
      let list = out.get(m[1]);
      if (!list) out.set(m[1], (list = []));
      list.push({ at: m.index, start: m.index + m[0].length });
      re.lastIndex = m.index + 1;
    }
    return out;
  }
}

function stampIn(text: string, start: number, end: number, region: HostRegion, placeholder: [number, number] | undefined, decls: Declarations): Stamp | undefined {
  const piece = text.slice(start, end);
  const m = TIME_EXPR.exec(piece);
  if (m) {
    const at = start + (m.index ?? 0);
    let fix: Fix | undefined;
    if (placeholder) {
      // replace the whole interpolation: `${...Date.now()...}` → `${crypto.randomUUID()...}`
      fix = { title: 'Use a random suffix (crypto.randomUUID()) instead of the time', edits: [{ start: start + 2, end: end - 1, newText: RANDOM }], preferred: true };
    } else if (m[0].length === piece.trim().length) {
      const lead = piece.length - piece.trimStart().length;
      fix = { title: 'Use a random suffix (crypto.randomUUID()) instead of the time', edits: [{ start: start + lead, end: start + lead + piece.trim().length, newText: RANDOM }], preferred: true };
    }
    return { start: at, end: at + m[0].length, expression: m[0], fix };
  }
  // one hop: `${staging}` where `const staging = \`t_${Date.now()}\``
  const id = /^\$\{\s*([A-Za-z_$][\w$]*)\s*\}$/.exec(piece)?.[1] ?? (!placeholder ? /^\s*([A-Za-z_$][\w$]*)\s*$/.exec(piece)?.[1] : undefined);
  if (!id) return undefined;
  const init = decls.initializer(id, region.sql.hostStart);
  if (!init) return undefined;
  const initText = text.slice(init.start, init.end);
  const inner = TIME_EXPR.exec(initText);
  if (!inner) return undefined;
  const at = init.start + (inner.index ?? 0);
  let fix: Fix | undefined;
  const hole = /\$\{[^{}]*\}/g;
  for (let h = hole.exec(initText); h; h = hole.exec(initText)) {
    if (h.index <= (inner.index ?? 0) && h.index + h[0].length >= (inner.index ?? 0) + inner[0].length) {
      fix = { title: `Use a random suffix in ${id} (crypto.randomUUID()) instead of the time`, edits: [{ start: init.start + h.index + 2, end: init.start + h.index + h[0].length - 1, newText: RANDOM }], preferred: true };
    }
  }
  return { start: at, end: at + inner[0].length, expression: inner[0], fix };
}

/** [start, end) of the operand in `'lit' + <operand> + ...` whose closing quote is at `i`. */
function operandAfterPlus(text: string, i: number): [number, number] | undefined {
  const m = /^['"`]\s*\+\s*/.exec(text.slice(i, i + 40));
  if (!m) return undefined;
  const start = i + m[0].length;
  let depth = 0;
  let j = start;
  for (; j < text.length && j < start + 200; j++) {
    const c = text[j];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (c === '+' || c === ',' || c === ';' || c === '\n')) break;
  }
  while (j > start && /\s/.test(text[j - 1])) j--;
  return j > start ? [start, j] : undefined;
}

/** `seen`: the stamps reported in this file (one name used by several queries is one finding). */
function check(ctx: HostContext, region: HostRegion, decls: Declarations, seen: Set<number>): void {
  const text = ctx.text;
  const sql = region.sql;
  for (const ref of writtenTables(region.doc)) {
    let stamp: Stamp | undefined;
    let nameEnd = ref.end;
    // interpolations inside or right after the name
    for (const ph of sql.placeholders) {
      if (ph[0] > nameEnd || ph[1] < ref.start) continue;
      nameEnd = Math.max(nameEnd, ph[1]);
      stamp ??= stampIn(text, sql.toHost(ph[0]), sql.toHost(ph[1]), region, ph, decls);
    }
    // `'INSERT INTO tmp_' + Date.now() + ...`: the name runs to the end of the literal
    if (!stamp && ref.end === sql.text.length) {
      const after = sql.toHost(sql.text.length);
      const op = operandAfterPlus(text, after);
      if (op) stamp = stampIn(text, op[0], op[1], region, undefined, decls);
    }
    if (!stamp || seen.has(stamp.start)) continue;
    seen.add(stamp.start);
    ctx.report({
      start: stamp.start,
      end: stamp.end,
      message:
        `Table name built from the clock (${stamp.expression.trim()}): loaders started together get the same name and write into each other's table ` +
        `(in one real incident, 44 loaders started by one schedule left 97.8% duplicate rows). Use a random suffix (crypto.randomUUID()) or a TEMP table, which is private to its session.`,
      fixes: stamp.fix ? [stamp.fix] : [],
    });
  }
}

/** Staging/working table names built from a timestamp. */
export const timestampStagingTableName: Rule = {
  id: ID,
  severity: 'warning',
  description: 'Table name built from Date.now()/getTime()/a timestamp: concurrent runs collide on the same table.',
  docs: docsUrl(ID),
  reads: ['other-statements'],
  anyDialect: true,
  host(ctx) {
    const decls = new Declarations(ctx.text);
    const seen = new Set<number>();
    for (const r of ctx.regions) check(ctx, r, decls, seen);
  },
};
