/**
 * File names for a generated migration and its rollback, shared by the CLI (`--out DIR`) and the
 * editor so that both write the same names. Pure: no file system access.
 */

/** `20261206_112233` (UTC), the same stamp the backup table's name carries. */
export function migrationStamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
}

/** A schema or table name as a file-name part: letters, digits, `_` and `-` kept, every other run of characters one `_`. */
function filePart(name: string): string {
  const s = name.normalize('NFC').replace(/[^\p{L}\p{N}_-]+/gu, '_').replace(/^_+|_+$/g, '');
  // Leaves room for the stamp and suffixes within the 255 bytes most file systems allow.
  return Array.from(s || 'x').slice(0, 60).join('');
}

/**
 * Names of the migration file and its rollback for `table` generated at `now`, e.g.
 * `20261206_112233_dedup_public_orders.sql` and `20261206_112233_dedup_public_orders_rollback.sql`:
 * sorted by name they run in the order they were generated, as migration folders expect.
 */
export function migrationFileNames(table: { schema: string; name: string }, now: Date): { migration: string; rollback: string } {
  const base = `${migrationStamp(now)}_dedup_${filePart(table.schema)}_${filePart(table.name)}`;
  return { migration: `${base}.sql`, rollback: `${base}_rollback.sql` };
}

/** The rollback's file beside a migration file the user named: `m.sql` -> `m_rollback.sql`. */
export function rollbackFileFor(migrationFile: string): string {
  const m = /^(.*?)(\.sql)?$/i.exec(migrationFile)!;
  return `${m[1]}_rollback${m[2] ?? '.sql'}`;
}
