/**
 * `INSERT ... ON CONFLICT DO NOTHING` without a conflict target (seed 002). Without a unique key
 * the clause never fires and every run inserts the rows again (36.5 M duplicate rows); with several
 * unique keys any of them silently drops the row and nobody can tell which one did.
 */
import type { Fix, RelatedInfo, Severity } from '../core/types';
import type { InsertFacts } from '../core/facts';
import { keyNames, prismaAdvice, targetFix, typeormOrUpdateFix } from '../embedded/orm/fix';
import type { OrmHostFacts } from '../embedded/orm/host';
import type { OrmWrite } from '../embedded/orm/types';
import { arbiterKeys, keyChoices, keyLabel, keySupplied, lookupTable, tableLabel } from './keys';
import { LIBRARY_NAME, resolveWrite, targetlessForm } from './orm';
import { docsUrl, type HostContext, type Rule, type RuleContext } from './rule';
import { errorIfCertain, suppliedColumns, tableAt } from './certainty';
import { sameKeyColumns } from './columns';
import { resolveTable } from './tables';

const ID = 'on-conflict-without-target';

function applies(ins: InsertFacts): boolean {
  const oc = ins.onConflict;
  return !!oc && oc.target.kind === 'none' && oc.action === 'nothing';
}

function check(ins: InsertFacts, ctx: RuleContext): void {
  const oc = ins.onConflict;
  if (!oc || !applies(ins)) return;
  const table = lookupTable(ctx.schema, ins.table);
  const name = tableLabel(ins.table, table);
  // a key column set to DEFAULT in every row is filled in by the database: not supplied
  const cols = suppliedColumns(ins, ctx.doc.text, table);
  let severity: Severity | undefined;
  let message: string;
  let note = '';
  const related: RelatedInfo[] = [];
  if (table?.origin) related.push({ message: `${name} is created here`, location: table.origin });
  // Each key that could silently drop a row: where it is declared.
  for (const k of table ? arbiterKeys(table) : []) {
    if (k.origin) related.push({ message: `${keyLabel(k)} is declared here`, location: k.origin });
  }
  if (table) {
    const keys = arbiterKeys(table);
    const usable = keys.filter((k) => keySupplied(table, k, cols));
    // keys declared only after this statement runs (a later migration, or further down this file):
    // those the table, as it stands then, does not have
    const local = resolveTable(ctx, ins.table) ?? table;
    const then = arbiterKeys(tableAt(ctx, local, ins.start));
    const later = usable.filter((k) => !then.some((h) => sameKeyColumns(h, k.columns) && (h.predicate ?? '') === (k.predicate ?? '')));
    if (usable.length === 0) {
      ({ severity, note } = errorIfCertain(ctx, table));
      message = keys.length === 0
        ? `ON CONFLICT DO NOTHING never fires: ${name} has no primary key or unique constraint, so every run inserts these rows again.`
        : `ON CONFLICT DO NOTHING never fires: the only unique key of ${name} is ${keys.map(keyLabel).join(', ')}, which this INSERT leaves to the database, so every run inserts these rows again.`;
      message += ' Add a unique key on the columns that identify a row and name it: ON CONFLICT (key columns) DO NOTHING.';
    } else if (later.length === usable.length) {
      message = `ON CONFLICT DO NOTHING names no conflict target, and when this statement runs ${name} has no unique key it can hit yet: ${later.map(keyLabel).join(', ')} ${later.length === 1 ? 'is' : 'are'} declared only later${later[0].origin ? ` (${later[0].origin.path}:${later[0].origin.line})` : ''}. Until then it never fires, and duplicates it lets in make adding that key fail. Name the key once it exists, or deduplicate these rows.`;
    } else if (usable.length === 1) {
      message = `ON CONFLICT DO NOTHING names no conflict target: it only works because ${name} happens to have one unique key (${keyLabel(usable[0])}); name it, so that a new unique index cannot silently start dropping rows.`;
    } else {
      message = `ON CONFLICT DO NOTHING names no conflict target: any of the ${usable.length} unique keys of ${name} (${usable.map(keyLabel).join('; ')}) silently drops the row, and nothing tells which one fired. Name the key that identifies a row.`;
    }
  } else {
    message = `ON CONFLICT DO NOTHING names no conflict target: if ${name} has no unique key it never fires and every run inserts these rows again; if it has several, any of them silently drops the row and nothing tells which. Name the key: ON CONFLICT (key columns) DO NOTHING.`;
  }

  const fixes: Fix[] = [];
  // a conflict target offered must exist when the statement runs (else the fix fails with 42P10)
  // (the table as this file declares it above the statement, when it does: the state it runs against)
  const here = resolveTable(ctx, ins.table) ?? table;
  for (const k of keyChoices(ins.table, here && tableAt(ctx, here, ins.start), ctx.config, cols)) {
    fixes.push({
      title: `Add conflict target ${k.target} (${k.label}${k.backed ? '' : '; needs a unique index on it'})`,
      edits: [{ start: oc.afterConflict, end: oc.afterConflict, newText: ` ${k.target}` }],
    });
  }
  if (fixes.length === 0) {
    fixes.push({
      title: 'Add a conflict target (the key columns)',
      edits: [{ start: oc.afterConflict, end: oc.afterConflict, newText: ' (${1:key_column})' }],
      snippet: true,
    });
  }
  fixes[0].preferred = true;
  message += note;
  // every targetless DO NOTHING is reported: the schema and the document's DDL only shape the words and fixes
  ctx.report({ start: oc.head.start, end: oc.head.end, message, severity, fixes, related: related.length ? related : undefined, lexerCertain: true });
}

/**
 * The same hazard through an ORM or query builder (`.onConflictDoNothing()`, `oc.doNothing()`,
 * `.onConflict().ignore()`, `skipDuplicates`, `ignoreDuplicates`, `.orIgnore()`), on PostgreSQL: the
 * squiggle on the clause, the fix in the library's own syntax.
 */
function checkOrm(o: OrmHostFacts, w: OrmWrite, ctx: HostContext): void {
  const c = w.conflict;
  if (!c || c.target.kind !== 'none' || c.action !== 'nothing' || !o.onPostgres(w)) return;
  const r = resolveWrite(o, ctx, w);
  if (!r) return;
  const { table, entry, facts } = r;
  const name = tableLabel(facts.table, table);
  const form = targetlessForm(w);
  const lib = LIBRARY_NAME[w.library];
  const cols = facts.columns?.map((x) => x.name);
  const related: RelatedInfo[] = [];
  if (table?.origin) related.push({ message: `${name} is declared here`, location: table.origin });
  for (const k of table ? arbiterKeys(table) : []) if (k.origin) related.push({ message: `${keyLabel(k)} is declared here`, location: k.origin });
  let severity: 'error' | undefined;
  let message: string;
  if (table) {
    const keys = arbiterKeys(table);
    const usable = keys.filter((k) => keySupplied(table, k, cols));
    if (usable.length === 0) {
      severity = 'error';
      message = keys.length === 0
        ? `${form} emits ON CONFLICT DO NOTHING, which never fires here: ${name} has no primary key or unique constraint, so every run inserts these rows again. Add a unique key on the columns that identify a row and name it as the conflict target.`
        : `${form} emits ON CONFLICT DO NOTHING, which never fires here: ${name}'s only unique key is ${keys.map(keyLabel).join(', ')}, which this insert leaves to the database, so every run inserts these rows again. Add a unique key on the columns that identify a row and name it as the conflict target.`;
    } else if (usable.length === 1) {
      message = `${form} emits ON CONFLICT DO NOTHING with no conflict target: it only works because ${name} happens to have one unique key (${keyLabel(usable[0])}); name it, so that a new unique index cannot silently start dropping rows.`;
    } else {
      message = `${form} emits ON CONFLICT DO NOTHING with no conflict target: any of ${name}'s ${usable.length} unique keys (${usable.map(keyLabel).join('; ')}) silently drops the row, and nothing tells which one fired. Name the key that identifies a row.`;
    }
  } else {
    message = `${form} emits ON CONFLICT DO NOTHING with no conflict target: if ${name} has no unique key it never fires and every run inserts these rows again; if it has several, any of them silently drops the row and nothing tells which. Name the key that identifies a row.`;
  }
  // the fix names plain columns: a partial or expression key is left to the message
  const choices = keyChoices(facts.table, table, ctx.config, cols).filter((k) => !k.target.includes(' WHERE ') && k.columns.every((x) => /^[\w$]+$/.test(x)));
  if (w.library === 'prisma') {
    const k = choices[0];
    message += ` ${prismaAdvice(w, k ? keyNames(w.library, k.columns, entry) : undefined, !!k?.backed)}`;
  }
  else if (w.library === 'sequelize' && w.method !== 'bulkCreate') message += ` ${lib}'s ${w.method} cannot name a conflict target: write the row with bulkCreate([row], { updateOnDuplicate: [key columns], conflictAttributes: [key columns] }) or upsert, on a unique key.`;
  const fixes: Fix[] = [];
  for (const k of choices) {
    const names = keyNames(w.library, k.columns, entry);
    const fix = targetFix(ctx.text, w, names);
    if (!fix) continue;
    fix.title = `${fix.title} (${k.label}${k.backed ? '' : '; needs a unique index on it'})`;
    fix.preferred = fixes.length === 0;
    fixes.push(fix);
    const alt = typeormOrUpdateFix(ctx.text, w, names);
    if (alt) fixes.push(alt);
  }
  if (fixes.length === 0) {
    const fix = targetFix(ctx.text, w, ['${1:key_column}']);
    if (fix) fixes.push({ ...fix, title: `${lib}: name the conflict target (the key columns)`, snippet: true, preferred: true });
  }
  ctx.report({ start: c.clause.start, end: c.clause.end, message, severity, fixes, related: related.length ? related : undefined });
}

/** ON CONFLICT DO NOTHING without a conflict target. */
export const onConflictWithoutTarget: Rule = {
  id: ID,
  severity: 'warning',
  description: 'INSERT ... ON CONFLICT DO NOTHING without a conflict target: never fires without a unique key, hides which key fired with several.',
  docs: docsUrl(ID),
  // statements that can carry an INSERT: INSERT, WITH (data-modifying CTE), EXPLAIN / PREPARE / CREATE RULE (kind other)
  kinds: ['insert', 'with', 'other'],
  // the keys a fix may name depend on where the statement stands among the migrations (its file and place)
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
