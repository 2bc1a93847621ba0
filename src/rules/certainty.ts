/**
 * Two policies every schema-aware rule shares (docs/schema-model.md, "When a claim is certain" and
 * "Which point in time a claim is about"):
 *
 * - Severity is a promise: a finding is an error only when it is certain: the SQL runs on PostgreSQL
 *   (a .sql file, or a region whose host says so), it is executed (not an expected-output string),
 *   and the table's DDL was found in the file's own project. Otherwise it is a warning (or info) whose
 *   message says what is not known.
 * - A "fails at run time" claim (42P10, 23505) and every conflict target a fix offers are judged
 *   against the schema as it stands when the statement runs: in a migration, the DDL of the files
 *   before it and of the statements above it in the same file. A "duplicates will accumulate" claim
 *   may use the final schema.
 */
import type { TableDescription, UniqueKey } from '../core/catalog';
import type { InsertFacts } from '../core/facts';
import { provenanceOf } from '../core/schema';
import type { Severity } from '../core/types';
import type { RuleContext } from './rule';

/** What keeps a claim about `table` from being certain, in plain words; empty when it is certain. */
export function unknowns(ctx: RuleContext, table: TableDescription | undefined, tableMatters = true): string[] {
  const out: string[] = [];
  if (ctx.embedded) {
    // src/embedded decides both per region from the host code (src/embedded/plan.ts)
    const e = ctx.file?.evidence;
    if (!e?.executed && ctx.file?.sql?.via === 'literal') out.push('whether this string is executed');
    if (e?.dialect !== 'postgresql') out.push('whether this code runs on PostgreSQL');
  }
  if (!tableMatters) {
    // the claim rests on the statement alone (its own conflict target, its own rows)
  } else if (!table) {
    out.push("the table's definition");
  } else if (table.source === 'config') {
    out.push("the table's DDL (only its natural key is configured)");
  } else {
    const p = provenanceOf(ctx.schema, table);
    const where = table.origin ? ` (${table.origin.path})` : '';
    if (p === 'fixture') out.push(`whether the table is as the test fixture${where} declares it`);
    else if (p === 'elsewhere') out.push(`whether this project uses the table another package declares${where}`);
  }
  return out;
}

/** `error` when the claim is certain, else `warning`; `note` says what is not known (empty when certain). */
export function errorIfCertain(ctx: RuleContext, table: TableDescription | undefined, tableMatters = true): { severity: Severity; note: string } {
  const u = unknowns(ctx, table, tableMatters);
  if (u.length === 0) return { severity: 'error', note: '' };
  return { severity: 'warning', note: ` Not certain (so a warning): dupguard does not know ${u.join(', nor ')}.` };
}

/**
 * True when `key` exists when a statement of this document starting at `at` runs: a key from a
 * catalog or configuration always; one declared in this file, when declared above; one declared in
 * another DDL file, when that file comes before this one in migration order (or this file is not one
 * of the migrations: application code runs against the final schema).
 */
export function existsAt(ctx: RuleContext, key: { origin?: { path: string; start: number } }, at: number): boolean {
  const o = key.origin;
  if (!o || ctx.path === undefined) return true;
  if (o.path === ctx.path) return ctx.embedded || o.start < at;
  const here = ctx.schema?.orderOf?.(ctx.path);
  if (here === undefined) return true;
  const there = ctx.schema?.orderOf?.(o.path);
  return there === undefined || there < here;
}

/** The table as a statement at `at` sees it: the keys declared later left out (the same object when none is). */
export function tableAt(ctx: RuleContext, table: TableDescription, at: number): TableDescription {
  const keys = table.keys.filter((k) => existsAt(ctx, k, at));
  return keys.length === table.keys.length ? table : { ...table, keys };
}

/** Keys of `table` declared only after the statement at `at` (in a later migration, or further down). */
export function keysLater(ctx: RuleContext, table: TableDescription, at: number): UniqueKey[] {
  return table.keys.filter((k) => !existsAt(ctx, k, at));
}

/**
 * The columns an INSERT gives a value of its own: its column list, less the columns every VALUES row
 * sets to DEFAULT (the database fills those in, as if they were left out). Undefined: every column.
 */
export function suppliedColumns(ins: InsertFacts, text: string, table?: TableDescription): string[] | undefined {
  const cols = ins.columns?.map((c) => c.name) ?? (ins.source === 'values' && table ? table.columns.map((c) => c.name) : undefined);
  if (!cols || ins.source !== 'values' || !ins.rows?.length) return cols;
  return cols.filter((_, i) => !ins.rows!.every((r) => r.cells.length === cols.length && /^default$/i.test(text.slice(r.cells[i].start, r.cells[i].end).trim())));
}
