/**
 * The words of generated headers, comments and messages for every keep policy and every way the
 * kept row is chosen: each says once which row survives ("the oldest copy is chosen by oldest by
 * physical position" was printed before), and no phrase repeats itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TableDescription } from '../../../src/core/catalog';
import { generateMigration, type MigrationOptions } from '../../../src/migrate';

const NOW = new Date('2026-12-06T11:22:33Z');
const KEY = { name: 'k', type: 'integer', notNull: true };
const SERIAL_ID = { name: 'id', type: 'bigint', notNull: true, default: "nextval('orders_id_seq'::regclass)" };
const UUID_ID = { name: 'id', type: 'uuid', notNull: true, default: 'gen_random_uuid()' };

function table(columns: TableDescription['columns']): TableDescription {
  return {
    schema: 'public', name: 'orders', kind: 'r', source: 'catalog', columns,
    keys: [{ kind: 'primary', name: 'orders_pkey', columns: ['id'] }], indexes: [],
    referencedBy: [{ schema: 'public', table: 'lines', name: 'lines_order_fkey', definition: 'FOREIGN KEY (order_id) REFERENCES orders(id)' }],
  };
}

/** [case, table, options, the Keeps line for oldest, for newest]. */
const CASES: [string, TableDescription, Partial<MigrationOptions>, string, string][] = [
  ['created_at-like column', table([SERIAL_ID, KEY, { name: 'created_at', type: 'timestamp with time zone', notNull: true }]), {},
    'oldest by created_at (ties: lowest id, then lowest physical position)', 'newest by created_at (ties: highest id, then highest physical position)'],
  ['insert-time default', table([UUID_ID, KEY, { name: 'fetched', type: 'timestamp without time zone', notNull: false, default: 'now()' }]), {},
    'oldest by fetched (ties: lowest id, then lowest physical position)', 'newest by fetched (ties: highest id, then highest physical position)'],
  ['--order-by', table([SERIAL_ID, KEY, { name: 'seen', type: 'date', notNull: false }]), { orderBy: 'seen' },
    'oldest by seen (ties: lowest id, then lowest physical position)', 'newest by seen (ties: highest id, then highest physical position)'],
  ['increasing id', table([SERIAL_ID, KEY]), {},
    'oldest by id (an increasing id: a higher value was inserted later; ties: lowest physical position)', 'newest by id (an increasing id: a higher value was inserted later; ties: highest physical position)'],
  ['physical position', table([UUID_ID, KEY]), {},
    'oldest by physical position in the table (ctid), which follows insertion order unless rows were updated or the table was rewritten',
    'newest by physical position in the table (ctid), which follows insertion order unless rows were updated or the table was rewritten'],
  ['YugabyteDB row identity', table([UUID_ID, KEY]), { flavour: 'yugabyte' }, 'with the lowest id', 'with the highest id'],
];

/** Every sentence a user reads: comment lines of both scripts, notes, the strategy's reason, RAISE messages. */
function texts(o: Partial<MigrationOptions>, t: TableDescription): string[] {
  const p = generateMigration(t, { key: ['k'], now: NOW, ...o });
  const comments = [p.script, p.rollback].flatMap((s) => s.split('\n').filter((l) => l.startsWith('--')).map((l) => l.replace(/^--\s?/, '')));
  const raised = [...(p.script + p.rollback).matchAll(/'(dupguard: [^']*)'/g)].map((m) => m[1]);
  return [...comments, ...p.warnings, p.strategyReason, p.keep.description, ...raised];
}

for (const [name, t, o, oldest, newest] of CASES) {
  for (const [keep, description] of [['oldest', oldest], ['newest', newest]] as const) {
    test(`wording, keep ${keep}, kept row chosen by ${name}`, () => {
      for (const merge of [false, true]) {
        const opts = { ...o, keep, mergeReferences: merge };
        const p = generateMigration(t, { key: ['k'], now: NOW, ...opts });
        assert.equal(p.keep.description, description);
        assert.ok(p.script.split('\n').includes(`-- Keeps: per key, the row ${description}.`), p.script.slice(0, 1200));
        if (!p.keep.column) {
          assert.ok(p.warnings.includes(`No column records when rows were added, so the row kept per key is the one ${description}. Pass --order-by to choose by a column.`), p.warnings.join('\n'));
        }
        assert.match(p.rollback, new RegExp(`^-- Undoes: the dedup of public\\.orders on \\(k\\) generated with it: kept per key the row ${description.replace(/[().]/g, '\\$&')}; strategy delete; `, 'm'));
        for (const line of texts(opts, t)) {
          for (const sentence of line.replace(/--order-by/g, 'ORDER_FLAG').split(/(?<=[.;:])\s+/)) {
            assert.ok((sentence.match(/\b(oldest|newest)\b/g) ?? []).length <= 1, `keep word twice: ${line}`);
            assert.doesNotMatch(sentence, /\bby (the )?(oldest|newest)\b/, line);
            assert.doesNotMatch(sentence, /\bby\b[^()]*\bby\b/, `"by ... by": ${line}`);
            assert.doesNotMatch(sentence, /\b(\w+)\s+\1\b/i, `word repeated: ${line}`);
            assert.doesNotMatch(sentence, /\)\s*\(/, `two parentheses in a row: ${line}`);
          }
        }
      }
    });
  }
}
