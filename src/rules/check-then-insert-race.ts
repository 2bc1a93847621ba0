/**
 * Check-then-insert in TS/JS (seed 003): a function SELECTs a table by some columns, then INSERTs
 * into the same table without ON CONFLICT. Two concurrent calls both see "no row" and both insert:
 * duplicate rows, or "duplicate key value violates unique constraint" (23505) when a key exists.
 * One statement closes the window: INSERT ... ON CONFLICT (cols) DO NOTHING.
 *
 * Conservative: both statements must sit in the same function body, the SELECT must filter one
 * table by equality, the INSERT must supply those columns (when it lists columns), and functions
 * that take an advisory lock, LOCK TABLE or run SERIALIZABLE are left alone.
 */
import type { InsertFacts } from '../core/facts';
import { LineIndex, locationAt } from '../core/positions';
import type { Fix } from '../core/types';
import { arbiterKeys, tableLabel } from './keys';
import { docsUrl, type HostContext, type HostRegion, type Rule } from './rule';
import { quoteIdent as ident } from '../core/quote';
import type { JsToken } from '../embedded/jsTokens';
import { findNodes, sval } from './ast';
import { checkThenInsert } from '../embedded/orm/recognise';
import { sqlColumns } from '../embedded/orm/resolve';
import type { OrmCheckThenInsert } from '../embedded/orm/types';
import { asRowNames, LIBRARY_NAME, objectEntries, resolveWrite } from './orm';
import { atomicInsertFix } from '../embedded/orm/fix';

const ID = 'check-then-insert-race';

const CONTROL = new Set(['if', 'for', 'while', 'switch', 'catch', 'with']);

interface Tok {
  /** The token's text for words and punctuators; 'str' for any string or template piece, 'regex' for a regex literal. */
  v: string;
  s: number;
}

const STRINGS = new Set(['StringLiteral', 'NoSubstitutionTemplate', 'TemplateHead', 'TemplateMiddle', 'TemplateTail', 'JSXString', 'JSXText']);

/** The significant tokens, as the brace matching below reads them. */
function toks(text: string, tokens: readonly JsToken[]): Tok[] {
  const out: Tok[] = [];
  for (const t of tokens) {
    const v = STRINGS.has(t.type) ? 'str' : t.type === 'RegularExpressionLiteral' ? 'regex' : text.slice(t.start, t.end);
    out.push({ v, s: t.start });
  }
  return out;
}

/** [start, end) host ranges of function bodies, from the file's significant tokens. */
export function functionBodies(text: string, tokens: readonly JsToken[]): Array<[number, number]> {
  const toks_ = toks(text, tokens);
  const out: Array<[number, number]> = [];
  const parenOpen: number[] = [];
  const matchOf = new Map<number, number>(); // index of `)` → index of its `(`
  const stack: Array<{ s: number; fn: boolean }> = [];
  for (let k = 0; k < toks_.length; k++) {
    const t = toks_[k];
    if (t.v === '(') parenOpen.push(k);
    else if (t.v === ')') {
      const o = parenOpen.pop();
      if (o !== undefined) matchOf.set(k, o);
    } else if (t.v === '{') {
      stack.push({ s: t.s, fn: isFunctionBrace(toks_, k, matchOf) });
    } else if (t.v === '}') {
      const b = stack.pop();
      if (b?.fn) out.push([b.s, t.s + 1]);
    }
  }
  return out;
}

function isFunctionBrace(toks: Tok[], k: number, matchOf: Map<number, number>): boolean {
  let p = k - 1;
  if (p < 0) return false;
  if (toks[p].v === '=>') return true;
  if (toks[p].v !== ')') {
    // TS return type: `): Promise<X[]> {`
    let j = p;
    for (let steps = 0; j > 0 && steps < 40; steps++, j--) {
      const v = toks[j].v;
      if (v === ';' || v === '{' || v === '}' || v === '=' || v === '=>') return false;
      if (v === ':' && toks[j - 1]?.v === ')') break;
    }
    if (toks[j]?.v !== ':' || toks[j - 1]?.v !== ')') return false;
    p = j - 1;
  }
  const open = matchOf.get(p);
  if (open === undefined) return false;
  const before = toks[open - 1]?.v ?? '';
  if (CONTROL.has(before)) return false;
  if (before === 'await' && toks[open - 2]?.v === 'for') return false;
  return true;
}

interface Check {
  region: HostRegion;
  table: { name: string; schema?: string };
  columns: string[];
  start: number;
  end: number;
}

/** A column reference, not an interpolated value (`${x}` is parsed as an identifier `_tpl...`). */
function isColumn(n: any): boolean {
  const f = n?.ColumnRef?.fields;
  return !!f && !(f.length === 1 && /^_tpl/.test(sval(f[0])));
}

/** A SELECT filtering one table by equality on some columns: `WHERE a = $1 AND b = $2`. */
function selectChecks(ctx: HostContext, region: HostRegion): Check[] {
  const out: Check[] = [];
  for (const stmt of region.doc.statements) {
    if (stmt.kind !== 'select') continue;
    const ast = ctx.ast(stmt);
    if (!ast || ast.kind !== 'SelectStmt') continue;
    const candidates = [ast.node, ...findNodes(ast.node, 'SubLink').map((s: any) => s.subselect?.SelectStmt)];
    for (const sel of candidates) {
      const from: any[] = sel?.fromClause ?? [];
      if (from.length !== 1 || !from[0].RangeVar || !sel.whereClause) continue;
      const cols: string[] = [];
      for (const e of findNodes(sel.whereClause, 'A_Expr')) {
        if (e.kind !== 'AEXPR_OP' || sval(e.name?.[0]) !== '=') continue;
        const [l, r] = [e.lexpr, e.rexpr];
        const col = isColumn(l) && !isColumn(r) ? l.ColumnRef : isColumn(r) && !isColumn(l) ? r.ColumnRef : undefined;
        if (!col) continue;
        const f: string[] = (col.fields ?? []).map(sval);
        if (f.length) cols.push(f[f.length - 1]);
      }
      if (!cols.length) continue;
      const rv = from[0].RangeVar;
      out.push({ region, table: { name: rv.relname, schema: rv.schemaname }, columns: [...new Set(cols)], start: stmt.start, end: stmt.end });
      break;
    }
  }
  return out;
}

function sameName(a: { name: string; schema?: string }, b: { name: string; schema?: string }): boolean {
  return a.name === b.name && (a.schema === undefined || b.schema === undefined || a.schema === b.schema);
}

const GUARDED = /pg_advisory(_xact)?_lock|\block\s+table\b|\bisolation\s+level\s+serializable\b|\bserializable\b/i;

function check(ctx: HostContext): void {
  // a race needs a SELECT and an INSERT without ON CONFLICT somewhere in the file: else skip tokenizing it
  let selects = false;
  let plainInserts = false;
  for (const r of ctx.regions) {
    for (const stmt of r.doc.statements) {
      if (stmt.kind === 'select') selects = true;
      if (stmt.inserts.length !== 0) for (const ins of stmt.inserts) if (!ins.onConflict) plainInserts = true;
    }
  }
  if (!selects || !plainInserts) return;
  const bodies = functionBodies(ctx.text, ctx.tokens());
  if (!bodies.length) return;
  const innermost = (at: number): [number, number] | undefined => {
    let best: [number, number] | undefined;
    for (const b of bodies) if (b[0] <= at && at < b[1] && (!best || b[0] >= best[0])) best = b;
    return best;
  };
  const groups = new Map<string, HostRegion[]>();
  for (const r of ctx.regions) {
    const body = innermost(r.sql.hostStart);
    if (!body) continue;
    const key = `${body[0]}:${body[1]}`;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  let lines: LineIndex | undefined;
  for (const [key, regions] of groups) {
    const [bs, be] = key.split(':').map(Number);
    if (GUARDED.test(ctx.text.slice(bs, be))) continue;
    const checks: Check[] = [];
    for (const region of regions) {
      for (const stmt of region.doc.statements) {
        for (const ins of stmt.inserts) {
          if (ins.onConflict || conflictInEveryBranch(region, ins)) continue;
          const hit = checks.find((c) => sameName(c.table, ins.table) && (!ins.columns || c.columns.every((col) => ins.columns!.some((ic) => ic.name === col))));
          if (hit) report(ctx, region, ins, hit, (lines ??= new LineIndex(ctx.text)));
        }
      }
      checks.push(...selectChecks(ctx, region));
    }
  }
}

/**
 * Whether every branch combination of the region's conditional fragments gives INSERTs into this
 * table an ON CONFLICT clause (`INSERT ... ${updateExisting ? 'ON CONFLICT (k) DO UPDATE ...' : 'ON CONFLICT (k) DO NOTHING'}`):
 * then no executed form of the statement is a plain insert.
 */
function conflictInEveryBranch(region: HostRegion, ins: InsertFacts): boolean {
  const docs = region.variants;
  if (!docs?.length) return false;
  return docs.every((d) => {
    const same = d.statements.flatMap((s) => s.inserts).filter((i) => sameName(i.table, ins.table));
    return same.length > 0 && same.every((i) => !!i.onConflict);
  });
}

/** Text to insert into a JS string literal delimited by `quote` (quoted identifiers need escaping there). */
function escapeFor(quote: string | undefined, text: string): string {
  return quote === '"' || quote === '\'' ? text.replace(new RegExp(quote, 'g'), `\\${quote}`) : text;
}

function report(ctx: HostContext, region: HostRegion, ins: InsertFacts, hit: Check, lines: LineIndex): void {
  const sql = region.sql;
  const table = ctx.schema?.lookup(ins.table.name, ins.table.schema);
  // arbiter: a known key within the checked columns, else the checked columns themselves
  const key = table ? arbiterKeys(table).find((k) => !k.predicate && !k.expression && k.columns.every((c) => hit.columns.includes(c))) : undefined;
  const cols = key?.columns ?? hit.columns;
  const body = sql.text.slice(ins.start, ins.end);
  const ret = /\s+returning\b/i.exec(body);
  const at = ins.start + (ret ? ret.index : body.trimEnd().length);
  // on a known table with no key over those columns the target would fail with 42P10: no such fix
  const fixes: Fix[] = table && !key ? [] : [{
    title: `Insert atomically: ON CONFLICT (${cols.map(ident).join(', ')}) DO NOTHING`,
    edits: [{ start: sql.toHost(at), end: sql.toHost(at), newText: escapeFor(ctx.text[sql.hostStart - 1], ` ON CONFLICT (${cols.map(ident).join(', ')}) DO NOTHING`) }],
    preferred: true,
  }];
  const selStart = hit.region.sql.toHost(hit.start);
  const selEnd = hit.region.sql.toHost(hit.end);
  const outcome = key || (table && arbiterKeys(table).length)
    ? `the slower one fails with "duplicate key value violates unique constraint" (23505)`
    : 'both insert, and the table gets duplicate rows';
  ctx.report({
    start: sql.toHost(ins.start),
    end: sql.toHost(ins.table.end),
    message:
      `Check-then-insert race: this INSERT INTO ${ins.table.raw} follows a SELECT by (${hit.columns.map(ident).join(', ')}) in the same function; two concurrent calls both find no row and ${outcome}. ` +
      (table && !key
        ? `Add a unique key on (${cols.map(ident).join(', ')}) to ${tableLabel(ins.table, table)}, then make it one statement: INSERT ... ON CONFLICT (${cols.map(ident).join(', ')}) DO NOTHING (and check its result instead of the SELECT's).`
        : `Make it one statement: INSERT ... ON CONFLICT (${cols.map(ident).join(', ')}) DO NOTHING (and check its result instead of the SELECT's).`),
    fixes,
    related: [{ message: 'the check that races with the INSERT', location: locationAt(ctx.path ?? '', lines, selStart, selEnd) }],
  });
}

/** How each library writes the atomic form of a checked insert, for the message and the fix. */
function atomicForm(library: string, t: string | undefined, key: readonly string[]): string | undefined {
  const js = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  switch (library) {
    case 'drizzle':
      if (!t) return undefined;
      return `.onConflictDoNothing({ target: ${key.length === 1 ? `${t}.${key[0]}` : `[${key.map((k) => `${t}.${k}`).join(', ')}]`} })`;
    case 'kysely': return `.onConflict((oc) => oc.${key.length === 1 ? `column(${js(key[0])})` : `columns([${key.map(js).join(', ')}])`}.doNothing())`;
    case 'knex': case 'objection': return `.onConflict([${key.map(js).join(', ')}]).ignore()`;
    default: return undefined;
  }
}

/** The same race through an ORM: a row check (findFirst, select ... where, .first()) then a plain insert of that table. */
function checkOrm(ctx: HostContext, pair: OrmCheckThenInsert, lines: () => LineIndex): void {
  const o = ctx.orm()!;
  const { read, write: w } = pair;
  if (!o.onPostgres(w) || !w.scope || GUARDED.test(ctx.text.slice(w.scope.start, w.scope.end))) return;
  const r = resolveWrite(o, ctx, w);
  const table = r?.table;
  const naming = w.library === 'kysely' || w.library === 'knex' ? 'column' : 'property';
  const checked = read.keys?.length ? read.keys : undefined;
  const checkedSql = checked ? sqlColumns(checked, naming, r?.entry) : undefined;
  const key = table && checkedSql ? arbiterKeys(table).find((k) => !k.predicate && !k.expression && k.columns.every((c) => checkedSql.includes(c))) : undefined;
  const keyNames = key ? asRowNames(key.columns, naming, r?.entry) : checked;
  const lib = LIBRARY_NAME[w.library];
  const outcome = key || (table && arbiterKeys(table).length)
    ? 'the slower one fails with "duplicate key value violates unique constraint" (23505)'
    : 'both insert, and the table gets duplicate rows';
  const tableText = w.table.span ? ctx.text.slice(w.table.span.start, w.table.span.end) : undefined;
  const form = keyNames?.length ? atomicForm(w.library, tableText && /^[\w$.]+$/.test(tableText) ? tableText : undefined, keyNames) : undefined;
  const k = keyNames?.length ? keyNames.join(', ') : '<unique key>';
  const upsert = w.library === 'prisma' ? `upsert({ where: { ${k} }, create, update: {} }) (one-field keys only: with a compound key or nested writes Prisma reads then writes, and the race stays)`
    : w.library === 'sequelize' ? `bulkCreate([row], { updateOnDuplicate: [${k}], conflictAttributes: [${k}] }) (findOrCreate is itself a read then an insert: it only stays correct because a unique key turns the loser's insert into a 23505 it catches)`
      : w.library === 'typeorm' ? `.onConflict('(${k}) DO NOTHING') on the insert query builder, or .orUpdate([...], [${k}])`
        : w.library === 'mikro-orm' ? `em.upsert(Entity, data, { onConflictFields: [${k}], onConflictAction: 'ignore' }) or qb.insert(data).onConflict([${k}]).ignore()`
          : form ?? 'an insert with a conflict clause on the key';
  const fixes: Fix[] = [];
  // the ORMs without a chainable clause of their own: only on a real unique key (else ON CONFLICT fails with 42P10, and Prisma's where does not type-check)
  const atomic = !form && key && keyNames ? atomicInsertFix(ctx.text, w, keyNames, key.columns, objectEntries) : undefined;
  if (atomic) fixes.push(atomic);
  if (form) {
    // the clause goes before `.execute()` (Kysely) or at the end of the chain
    const call = ctx.text.slice(w.call.start, w.call.end);
    const exec = /\.\s*execute\w*\s*\(\s*\)\s*$/.exec(call);
    const at = exec ? w.call.start + exec.index : w.call.end;
    fixes.push({ title: `Insert atomically: ${form}${table && !key ? ' (needs a unique key on those columns)' : ''}`, edits: [{ start: at, end: at, newText: form }], preferred: true });
  }
  const by = checked ? ` by (${checked.join(', ')})` : '';
  ctx.report({
    start: w.call.start,
    end: w.call.end,
    message:
      `Check-then-insert race: this ${lib} ${w.method} follows a ${read.method}${by} of the same table in the same function${read.locking ? ' (FOR UPDATE locks the rows that exist, none that do not)' : ''}; two concurrent calls both find no row and ${outcome}. ` +
      `Make it one statement: ${upsert}, and check its result instead of the read's.`,
    fixes,
    related: [{ message: 'the check that races with the insert', location: locationAt(ctx.path ?? '', lines(), read.call.start, read.call.end) }],
  });
}

/** SELECT-then-INSERT on the same table in one TS/JS function, without ON CONFLICT. */
export const checkThenInsertRace: Rule = {
  id: ID,
  severity: 'warning',
  description: 'TS/JS function that SELECTs a row and then INSERTs it without ON CONFLICT: concurrent calls both insert (duplicates or 23505).',
  docs: docsUrl(ID),
  reads: ['other-statements', 'workspace-schema'],
  host(ctx) {
    check(ctx);
    const o = ctx.orm();
    if (!o) return;
    let index: LineIndex | undefined;
    for (const pair of checkThenInsert(o.file)) checkOrm(ctx, pair, () => (index ??= new LineIndex(ctx.text)));
  },
};
