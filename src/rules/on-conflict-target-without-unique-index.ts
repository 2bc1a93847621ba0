/**
 * `ON CONFLICT (cols)` / `ON CONFLICT ON CONSTRAINT name` that matches no unique index or
 * constraint of a known table. PostgreSQL rejects the statement at run time (42P10: "there is no
 * unique or exclusion constraint matching the ON CONFLICT specification"), so the code path that
 * was meant to absorb duplicates fails instead. A partial unique index is an arbiter only when the
 * ON CONFLICT clause repeats its WHERE predicate.
 */
import type { TableDescription, UniqueKey } from '../core/catalog';
import type { InsertFacts } from '../core/facts';
import type { Fix } from '../core/types';
import { normalizeSql } from '../core/schema/deparse';
import { quoteIdent } from '../core/quote';
import { arbiterKeys, keyChoices, keyLabel, lookupTable, tableLabel } from './keys';
import { docsUrl, type Rule, type RuleContext } from './rule';
import { sameKeyColumns } from './columns';
import { resolveTable } from './tables';
import type { OrmHostFacts } from '../embedded/orm/host';
import type { OrmWrite } from '../embedded/orm/types';
import { LIBRARY_NAME, resolveWrite } from './orm';
import { keyNames, retargetFix } from '../embedded/orm/fix';
import type { OrmSchemaTable } from '../embedded/orm/schema';
import type { HostContext } from './rule';
import { errorIfCertain, keysLater, tableAt } from './certainty';

const ID = 'on-conflict-target-without-unique-index';

/** `table.column` (each part bare or quoted): group 1 is the column. */
const QUALIFIED = /^(?:[A-Za-z_][\w$]*|"(?:[^"]|"")*")\s*\.\s*([A-Za-z_][\w$]*|"(?:[^"]|"")*")$/;

/** A name part as PostgreSQL stores it: quotes removed, bare names folded to lower case. */
function unquote(part: string): string {
  return part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part.toLowerCase();
}

function related(table: TableDescription, name: string) {
  return table.origin ? [{ message: `${name} is created here`, location: table.origin }] : undefined;
}

function check(ins: InsertFacts, ctx: RuleContext): void {
  const oc = ins.onConflict;
  if (!oc || oc.target.kind === 'none') return;
  const known = resolveTable(ctx, ins.table);
  if (!known) return;
  // "fails at run time" is about the schema when the statement runs: keys declared later do not count
  const table = tableAt(ctx, known, ins.start);
  const { severity, note } = errorIfCertain(ctx, known);
  const name = tableLabel(ins.table, table);
  const text = ctx.doc.text;
  const target = oc.target;

  if (target.kind === 'constraint') {
    const key = table.keys.find((k) => k.name === target.name);
    if (key && key.kind !== 'unique-index') return;
    const message = key
      ? `ON CONFLICT ON CONSTRAINT ${target.name} fails at run time: ${target.name} is a unique index of ${name}, not a constraint. Name its columns instead: ON CONFLICT (${key.columns.join(', ')})${key.predicate ? ` WHERE ${key.predicate}` : ''}.`
      : `ON CONFLICT ON CONSTRAINT ${target.name} fails at run time (42704): ${name} has no constraint named ${target.name}${describeKeys(table)}.`;
    const fixes = replaceFixes(ins, ctx, table);
    if (fixes[0]) fixes[0].preferred = true;
    ctx.report({ start: target.span.start, end: target.span.end, message: message + note, severity, fixes, related: related(table, name) });
    return;
  }

  // `ON CONFLICT ("users"."firstName")`: a column named with its table, which the grammar rejects
  const qualified = target.columns.map((c) => QUALIFIED.exec(c));
  const cols = target.columns.map((c, i) => (qualified[i] ? unquote(qualified[i]![1]) : c));
  if (cols.length === 0) return;
  if (qualified.some((q) => q)) {
    const plain = `(${cols.map((c, i) => (qualified[i] || /^[a-z_][a-z0-9_$]*$/.test(c) ? quoteIdent(c) : c)).join(', ')})`;
    ctx.report({
      start: target.span.start, end: target.span.end, severity, related: related(table, name),
      message: `ON CONFLICT ${text.slice(target.span.start, target.span.end)} fails before it runs (42601, syntax error): a conflict target names columns without their table. Write ON CONFLICT ${plain}.${note}`,
      fixes: [{ title: `Name the columns without the table: ${plain}`, edits: [{ start: target.span.start, end: target.span.end, newText: plain }], preferred: true }],
    });
    return;
  }
  const candidates = arbiterKeys(table).filter((k) => sameKeyColumns(k, cols));
  // DO NOTHING may also be arbitrated by an exclusion constraint on the same columns
  if (oc.action === 'nothing' && table.keys.some((k) => k.kind === 'exclude' && sameKeyColumns(k, cols))) return;
  if (candidates.some((k) => !k.predicate)) return;
  const where = target.where ? normalizeSql(text.slice(target.where.start, target.where.end).replace(/^\s*where\b/i, '')) : undefined;
  // A WHERE in the arbiter must imply the index predicate; we accept any spelling that is not
  // provably different rather than guess at implication.
  if (candidates.length && where !== undefined) return;

  const written = text.slice(target.span.start, target.span.end);
  const fixes: Fix[] = [];
  let message: string;
  if (candidates.length) {
    const partial = candidates[0];
    message = `ON CONFLICT ${written} fails at run time (42P10): the only unique index on those columns of ${name} is partial (${keyLabel(partial)}), and it is an arbiter only when the conflict target repeats its predicate.`;
    for (const k of candidates) {
      fixes.push({
        title: `Add the index predicate: WHERE ${k.predicate}`,
        edits: [{ start: target.span.end, end: target.span.end, newText: ` WHERE ${k.predicate}` }],
      });
    }
  } else {
    message = `ON CONFLICT ${written} fails at run time (42P10: no unique or exclusion constraint matches it): ${name} has no unique index on exactly (${cols.map((c) => (target.expression ? c : quoteIdent(c))).join(', ')})${describeKeys(table)}.`;
  }
  fixes.push(...replaceFixes(ins, ctx, table));
  if (fixes[0]) fixes[0].preferred = true;
  const end = target.where ? target.where.end : target.span.end;
  // the final schema may have it: declared by a later migration
  const later = keysLater(ctx, lookupTable(ctx.schema, ins.table) ?? known, ins.start).filter((k) => sameKeyColumns(k, cols));
  if (later[0]?.origin) message += ` (${keyLabel(later[0])} is declared only later, at ${later[0].origin.path}:${later[0].origin.line}.)`;
  ctx.report({ start: target.span.start, end, message: message + note, severity, fixes, related: related(table, name) });
}

function describeKeys(table: TableDescription): string {
  const keys = arbiterKeys(table);
  if (!keys.length) return ' (it has no unique key at all)';
  return `; its unique keys: ${keys.map(keyLabel).join('; ')}`;
}

/** Replace the written target by each key the table really has. */
function replaceFixes(ins: InsertFacts, ctx: RuleContext, table: TableDescription): Fix[] {
  const oc = ins.onConflict!;
  const t = oc.target;
  if (t.kind === 'none') return [];
  const end = t.kind === 'columns' && t.where ? t.where.end : t.span.end;
  const cols = ins.columns?.map((c) => c.name);
  return keyChoices(ins.table, table, ctx.config, cols)
    .filter((k) => k.backed && !(oc.action === 'update' && k.kind === ('exclude' as UniqueKey['kind'])))
    .map((k) => ({ title: `Use conflict target ${k.target} (${k.label})`, edits: [{ start: t.span.start, end, newText: k.target }] }));
}

/**
 * The same through an ORM: a target (`target: t.email`, `oc.column('email')`, `.onConflict(['a'])`,
 * `conflictAttributes`) whose columns are no unique key of the table its schema declares.
 */
function checkOrm(o: OrmHostFacts, w: OrmWrite, ctx: HostContext): void {
  const c = w.conflict;
  if (!c || c.target.kind !== 'columns' || !o.onPostgres(w)) return;
  const r = resolveWrite(o, ctx, w);
  const table = r?.table;
  const t = r?.facts.onConflict?.target;
  if (!r || !table || !t || t.kind !== 'columns' || t.columns.length === 0) return;
  // every target column must be a column the schema knows: an unknown one means the schema is not the whole story
  if (t.columns.some((col) => !table.columns.some((x) => x.name === col))) return;
  const cols = t.columns;
  const candidates = arbiterKeys(table).filter((k) => sameKeyColumns(k, cols));
  if (c.action === 'nothing' && table.keys.some((k) => k.kind === 'exclude' && sameKeyColumns(k, cols))) return;
  if (candidates.some((k) => !k.predicate)) return;
  if (candidates.length && t.where) return;
  const name = tableLabel(r.facts.table, table);
  const written = ctx.text.slice(c.target.span.start, c.target.span.end);
  const message = candidates.length
    ? `This ${LIBRARY_NAME[w.library]} conflict target ${written} fails at run time (42P10): the only unique index on (${cols.join(', ')}) of ${name} is partial (${keyLabel(candidates[0])}), and it is an arbiter only when the target repeats its predicate (${w.library === 'drizzle' ? 'targetWhere' : 'a WHERE on the target'}: ${candidates[0].predicate}).`
    : `This ${LIBRARY_NAME[w.library]} conflict target ${written} fails at run time (42P10: no unique or exclusion constraint matches it): ${name} has no unique index on exactly (${cols.join(', ')})${describeKeys(table)}. Declare that key in the schema, or name one the table has.`;
  const { fixes, why } = candidates.length ? { fixes: [], why: '' } : retargetFixes(w, r.entry, r.facts, table, cols, ctx.text);
  // keys declared in ORM files only may miss an index made by raw SQL elsewhere: certain only with the SQL DDL
  const ormOnly = !!r.entry && r.entry.table === table;
  ctx.report({ start: c.target.span.start, end: c.target.span.end, message: message + why, severity: ormOnly ? 'warning' : undefined, fixes, related: related(table, name) });
}

/**
 * Retargeting an ORM call to a unique key the table has, when that is sound: the key is whole and
 * unconditional (no predicate, no expression) and every one of its columns is among the columns the
 * call writes (else the new target would compare defaults or NULLs and arbitrate nothing). Keys that
 * contain the written target come first. When none qualifies, `why` says so for the message.
 */
function retargetFixes(w: OrmWrite, entry: OrmSchemaTable | undefined, facts: InsertFacts, table: TableDescription, target: readonly string[], text: string): { fixes: Fix[]; why: string } {
  const keys = arbiterKeys(table).filter((k) => !k.predicate && !k.expression);
  if (!keys.length) return { fixes: [], why: '' };
  const written = facts.columns?.map((c) => c.name);
  if (!written) return { fixes: [], why: ' No quick fix: the call\'s columns are not literal here, so no key can be shown to be written by it.' };
  const covered = keys.filter((k) => k.columns.every((col) => written.includes(col)));
  if (!covered.length) return { fixes: [], why: ` No quick fix: the call writes (${written.join(', ')}), which covers none of the table's unique keys, so any other target would arbitrate nothing.` };
  const contains = (k: UniqueKey) => target.every((col) => k.columns.includes(col));
  covered.sort((a, b) => Number(contains(b)) - Number(contains(a)) || a.columns.length - b.columns.length);
  const fixes: Fix[] = [];
  for (const k of covered) {
    const fix = retargetFix(text, w, keyNames(w.library, k.columns, entry), keyLabel(k));
    if (fix) fixes.push(fix);
  }
  if (fixes[0]) fixes[0].preferred = true;
  return { fixes, why: fixes.length ? '' : ` No quick fix: ${LIBRARY_NAME[w.library]} names this target in a form an edit cannot rewrite here.` };
}

/** ON CONFLICT target that matches no unique index/constraint of the known table (42P10). */
export const onConflictTargetWithoutUniqueIndex: Rule = {
  id: ID,
  severity: 'error',
  description: 'ON CONFLICT target that matches no unique index or constraint of the table: PostgreSQL rejects it at run time (42P10).',
  docs: docsUrl(ID),
  // statements that can carry an INSERT: INSERT, WITH (data-modifying CTE), EXPLAIN / PREPARE / CREATE RULE (kind other)
  kinds: ['insert', 'with', 'other'],
  // its related locations point into the document's own DDL, which moves independently of the statement
  reads: ['document-ddl', 'workspace-schema', 'other-statements'],
  statement(stmt, ctx) {
    for (const ins of stmt.upserts) check(ins, ctx);
  },
  host(ctx) {
    const o = ctx.orm();
    if (!o) return;
    for (const w of o.file.writes) checkOrm(o, w, ctx);
  },
};
