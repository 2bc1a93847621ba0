/**
 * A CREATE TABLE that ends up with no primary key and no unique constraint or index, neither here
 * nor later in the workspace's migrations (seed 002: six child tables without one took 36.5 M
 * duplicate rows, because ON CONFLICT had nothing to conflict on). Temporary tables, partitions,
 * CREATE TABLE AS and tables the schema model does not know are left alone.
 */
import type { Fix } from '../core/types';
import { makeObjectName } from '../core/schema/ddl';
import { naturalKeyOf } from './keys';
import type { CreateTableFacts, Statement } from '../core/facts';
import { docsUrl, type Rule, type RuleContext } from './rule';
import { quoteIdent as ident } from '../core/quote';
import { resolveTable } from './tables';

const ID = 'table-without-unique-key';

/** CREATE TABLE whose table, in the final schema, has no unique key. */
export const tableWithoutUniqueKey: Rule = {
  id: ID,
  severity: 'info',
  description: 'CREATE TABLE with no primary key or unique constraint, none added later: nothing stops duplicate rows, ON CONFLICT has nothing to hit.',
  docs: docsUrl(ID),
  // CREATE TABLE only
  kinds: ['create-table'],
  reads: ['document-ddl', 'workspace-schema'],
  statement(stmt, ctx) {
    const ct = stmt.createTable;
    if (!ct || stmt.depth !== 0 || ct.temp || ct.asQuery || ct.partitionOf) return;
    check(stmt, ct, ctx);
  },
};

/** The finding for one CREATE TABLE, if its table ends up with no unique key. */
function check(stmt: Statement, ct: CreateTableFacts, ctx: RuleContext): void {
  const table = resolveTable(ctx, ct.table, 'final');
  if (!table || table.keys.length > 0 || (table.kind && table.kind !== 'r' && table.kind !== 'p')) return;
  const name = table.schema === 'public' ? table.name : `${table.schema}.${table.name}`;
  const natural = naturalKeyOf(ct.table, table, ctx.config);
  const at = stmt.terminator >= 0 ? stmt.terminator + 1 : stmt.end;
  const semi = stmt.terminator >= 0 ? '' : ';';
  // inside a JS string a line break may not be allowed: keep the added statement on the same line
  const nl = ctx.embedded ? ' ' : '\n';
  const fixes: Fix[] = [];
  if (natural?.length) {
    const cname = makeObjectName(table.name, natural.join('_'), 'key');
    fixes.push({
      title: `Add UNIQUE (${natural.join(', ')}) (the configured natural key)`,
      edits: [{ start: at, end: at, newText: `${semi}${nl}ALTER TABLE ${ct.table.raw} ADD CONSTRAINT ${ident(cname)} UNIQUE (${natural.map(ident).join(', ')});` }],
      preferred: true,
    });
  } else {
    fixes.push({
      title: 'Add a UNIQUE constraint on the columns that identify a row',
      edits: [{ start: at, end: at, newText: `${semi}${nl}ALTER TABLE ${ct.table.raw} ADD UNIQUE (${ct.table.raw.includes('${') ? 'key_column' : '\${1:key_column}'});` }],
      preferred: true,
      // a `${...}` in the name would be taken for a snippet variable
      snippet: !ct.table.raw.includes('${') || undefined,
    });
  }
  ctx.report({
    start: ct.table.start,
    end: ct.table.end,
    message: `${name} has no primary key or unique constraint${ctx.schema ? ', and no later migration adds one' : ''}: nothing stops duplicate rows, and ON CONFLICT has nothing to conflict on (it silently inserts them). Add a unique key on the columns that identify a row.`,
    fixes,
  });
}
