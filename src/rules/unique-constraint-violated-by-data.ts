/**
 * A migration that adds a UNIQUE constraint, PRIMARY KEY or unique index the data in the connected
 * database already violates: it stops with 23505 and adds nothing. The rule needs the live database
 * (`reads: ['catalog']`): the editor's data check counts the copies, read-only, and hands the result
 * in as `ctx.catalog`; without a connection (the CLI, a closed connection) it reports nothing.
 */
import { docsUrl, type Rule } from './rule';

const ID = 'unique-constraint-violated-by-data';

/** The keys the file adds that today's rows violate, as the live database counted them. */
export const uniqueConstraintViolatedByData: Rule = {
  id: ID,
  severity: 'error',
  description: 'A migration adds a UNIQUE key that the rows in the connected database already violate (editor, when connected).',
  docs: docsUrl(ID),
  reads: ['catalog'],
  document(ctx) {
    if (ctx.embedded) return;
    for (const v of ctx.catalog?.uniqueViolations ?? []) ctx.report({ start: v.start, end: v.end, message: v.message });
  },
};
