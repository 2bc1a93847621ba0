/**
 * Replacing a plain UNIQUE (NULLs distinct) over the key columns by a NULLS NOT DISTINCT one under
 * the same name, so that closing a NULL hole never leaves two unique keys on the same columns; and
 * putting the plain one back in the rollback. Pure: from the catalog facts of src/db/dryrun.ts
 * (keyUniqueFacts). The foreign keys that depend on the old index are dropped and re-created from
 * their own definitions (pg_get_constraintdef: actions, deferrability, MATCH, NOT VALID), with
 * their comments; the index keeps its storage parameters, tablespace, cluster mark and comments.
 * What cannot be re-created exactly is refused with the reason.
 */
import type { TableDescription } from '../core/catalog';
import { quoteIdent, quoteLiteral, quoteQualified } from '../core/quote';
import { parseForeignKey, withReferencedTable } from './fk';
import { MigrationError, type KeyUnique, type MigrationOptions, type UniqueReplacement } from './types';

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function kindWord(k: { kind: KeyUnique['kind'] }): string {
  return k.kind === 'index' ? 'unique index' : k.kind === 'exclusion' ? 'exclusion constraint' : k.kind === 'primary' ? 'primary key' : 'unique constraint';
}

/** "the plain unique constraint t_a_b_key on (a, b)". */
function describeKey(k: KeyUnique): string {
  return `the plain ${kindWord(k)} ${k.name} on (${k.columns.join(', ')})`;
}

/**
 * The words the migration records in its backup's comment (and rollback header), by which a
 * rollback generated later from the catalog knows that the NULLS NOT DISTINCT key it finds replaced
 * a plain one.
 */
export function replacedWords(k: KeyUnique): string {
  return `replaced the plain ${kindWord(k)} ${k.name} by a NULLS NOT DISTINCT one of the same name`;
}

/**
 * The plain UNIQUE the NULLS NOT DISTINCT migration replaces, or undefined when the key has none.
 * Throws MigrationError for what cannot be replaced exactly.
 */
export function chooseReplacement(table: TableDescription, options: MigrationOptions, key: string[]): UniqueReplacement | undefined {
  const tname = `${table.schema}.${table.name}`;
  const facts = options.keyUniques;
  if (options.nullHoleOf !== undefined) {
    const k = table.keys.find((x) => x.name === options.nullHoleOf);
    const f = facts?.find((x) => x.name === options.nullHoleOf);
    const why = k?.predicate ?? f?.predicate
      ? `a partial unique index (WHERE ${k?.predicate ?? f?.predicate}): it holds only the rows its predicate selects, while the dedup and a NULLS NOT DISTINCT key would cover the whole table`
      : k?.expression || f?.expression ? 'a unique index on expressions, not on the key columns themselves'
        : k?.kind === 'exclude' || f?.kind === 'exclusion' ? 'an exclusion constraint, not a UNIQUE'
          : !k && !f ? `not a unique key of ${tname}` : undefined;
    if (why) {
      throw new MigrationError(`${options.nullHoleOf} is ${why}, so dupguard cannot replace it by an equivalent NULLS NOT DISTINCT key; nothing was generated. Remove its NULL copies and re-create it with NULLS NOT DISTINCT yourself (PostgreSQL 15+), or make the key columns NOT NULL.`);
    }
  }
  if (!facts) {
    const plain = table.keys.filter((u) => (u.kind === 'unique' || u.kind === 'unique-index') && !u.predicate && !u.expression && !u.nullsNotDistinct && sameColumns(u.columns, key));
    if (plain.length) {
      throw new MigrationError(`${tname} has the plain unique key ${plain.map((u) => u.name).join(', ')} on (${key.join(', ')}): the NULLS NOT DISTINCT migration replaces it under the same name, which needs what the catalog says about it (the foreign keys and anything else that depend on it). Generate with dupguard migrate, or pass keyUniques (src/db/dryrun.ts migrationFacts).`);
    }
    return undefined;
  }
  const plain = facts.filter((k) => (k.kind === 'constraint' || k.kind === 'index') && !k.predicate && !k.expression && !k.nullsNotDistinct && sameColumns(k.columns, key));
  if (plain.length > 1) {
    throw new MigrationError(`${tname} has ${plain.length} plain unique keys on (${key.join(', ')}): ${plain.map((k) => `${kindWord(k)} ${k.name}`).join(', ')}. Drop the redundant ones first, so that the NULLS NOT DISTINCT key replaces a single one under its name; nothing was generated.`);
  }
  const p = plain[0];
  if (!p) return undefined;
  const refuse = (why: string) => {
    throw new MigrationError(`the NULLS NOT DISTINCT migration replaces ${describeKey(p)} of ${tname} under the same name, but ${why}; nothing was generated.`);
  };
  if (options.constraintName !== undefined && options.constraintName !== p.name) {
    refuse(`--constraint-name ${options.constraintName} asks for another name, which would leave two unique keys on the same columns (leave the name out, or rename ${p.name} first)`);
  }
  if (p.method !== 'btree') refuse(`its index uses the ${p.method} method, which a UNIQUE constraint cannot declare`);
  if (p.partitioned) refuse(`${tname} is partitioned: its partitions' indexes would come back under generated names, which dupguard cannot restore exactly (replace it on each partition yourself)`);
  if (p.replicaIdentity) refuse(`it is the table's replica identity (logical replication identifies rows by it), which cannot be moved to another index and back within the migration`);
  if (p.otherDependants.length) {
    refuse(`${p.otherDependants.join(', ')} ${p.otherDependants.length === 1 ? 'depends' : 'depend'} on it: dropping it would drop ${p.otherDependants.length === 1 ? 'that' : 'those'} too, and dupguard cannot re-create ${p.otherDependants.length === 1 ? 'it' : 'them'} exactly`);
  }
  for (const fk of p.foreignKeys) {
    if (!parseForeignKey(fk.definition)) refuse(`the foreign key ${fk.name} of ${fk.schema}.${fk.table} that depends on it cannot be read (${fk.definition})`);
  }
  return { before: p, foreignKeys: p.foreignKeys.map((f) => `${f.schema}.${f.table}.${f.name}`), description: describeKey(p) };
}

/**
 * For a rollback generated on its own: the NULLS NOT DISTINCT key named `constraintName` replaced a
 * plain one when the backup's comment says so; it is restored as that plain key with the same
 * storage, tablespace, deferrability, comments and cluster mark (the migration re-created it so).
 */
export function replacementToUndo(options: MigrationOptions, constraintName: string): UniqueReplacement | undefined {
  const cur = options.keyUniques?.find((k) => k.name === constraintName && (k.kind === 'constraint' || k.kind === 'index') && k.nullsNotDistinct && !k.predicate);
  if (!cur || !options.undoes?.includes(replacedWords(cur))) return undefined;
  const before: KeyUnique = { ...cur, nullsNotDistinct: false, indexDefinition: indexDefinitionWithNulls(cur.indexDefinition, false) };
  return { before, foreignKeys: cur.foreignKeys.map((f) => `${f.schema}.${f.table}.${f.name}`), description: describeKey(before) };
}

/** Index of the parenthesis closing the one at `open`, skipping double-quoted names and string literals; -1 if none. */
function closingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"' || ch === "'") {
      for (i++; i < s.length; i++) {
        if (s[i] === ch) {
          if (s[i + 1] === ch) i++;
          else break;
        }
      }
    } else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

/**
 * pg_get_indexdef's text with or without NULLS NOT DISTINCT, which stands after the column list and
 * the INCLUDE list (and before WITH, TABLESPACE and WHERE).
 */
export function indexDefinitionWithNulls(def: string, nnd: boolean): string {
  let open = -1;
  for (let i = 0; i < def.length; i++) {
    if (def[i] === '"') { for (i++; i < def.length && !(def[i] === '"' && def[i + 1] !== '"'); i += def[i] === '"' ? 2 : 1); continue; }
    if (def[i] === '(') { open = i; break; }
  }
  let end = open < 0 ? -1 : closingParen(def, open);
  if (end < 0) throw new MigrationError(`cannot read the index definition ${def}`);
  const inc = /^\s+INCLUDE\s*\(/i.exec(def.slice(end + 1));
  if (inc) {
    end = closingParen(def, end + inc[0].length);
    if (end < 0) throw new MigrationError(`cannot read the index definition ${def}`);
  }
  const head = def.slice(0, end + 1);
  const tail = def.slice(end + 1).replace(/^\s+NULLS\s+NOT\s+DISTINCT\b/i, '');
  return `${head}${nnd ? ' NULLS NOT DISTINCT' : ''}${tail}`;
}

/** `WITH (fillfactor='70')` from reloptions, or nothing. */
function withOptions(options: string[]): string {
  if (!options.length) return '';
  return ` WITH (${options.map((o) => { const i = o.indexOf('='); return `${quoteIdent(o.slice(0, i))}=${quoteLiteral(o.slice(i + 1))}`; }).join(', ')})`;
}

/**
 * Statements that create `k` on the table as it was (with or without NULLS NOT DISTINCT): the
 * constraint or index with its storage parameters and tablespace (the database default when it had
 * none, whatever default_tablespace says), deferrability, comments and cluster mark.
 */
export function createKeySql(table: { schema: string; name: string }, k: KeyUnique, nnd: boolean): string[] {
  const tbl = quoteQualified(table.schema, table.name);
  const out = [`SET LOCAL default_tablespace = '';`];
  if (k.kind === 'constraint') {
    out.push(`ALTER TABLE ${tbl} ADD CONSTRAINT ${quoteIdent(k.name)} UNIQUE${nnd ? ' NULLS NOT DISTINCT' : ''} (${k.columns.map(quoteIdent).join(', ')})`
      + `${k.include.length ? ` INCLUDE (${k.include.map(quoteIdent).join(', ')})` : ''}${withOptions(k.options)}`
      + `${k.tablespace ? ` USING INDEX TABLESPACE ${quoteIdent(k.tablespace)}` : ''}${k.deferrable ? ' DEFERRABLE' : ''}${k.initiallyDeferred ? ' INITIALLY DEFERRED' : ''};`);
    if (k.comment !== undefined) out.push(`COMMENT ON CONSTRAINT ${quoteIdent(k.name)} ON ${tbl} IS ${quoteLiteral(k.comment)};`);
  } else {
    out.push(`${indexDefinitionWithNulls(k.indexDefinition, nnd)}${k.tablespace ? ` TABLESPACE ${quoteIdent(k.tablespace)}` : ''};`);
  }
  if (k.indexComment !== undefined) out.push(`COMMENT ON INDEX ${quoteQualified(table.schema, k.indexName)} IS ${quoteLiteral(k.indexComment)};`);
  if (k.clustered) out.push(`ALTER TABLE ${tbl} CLUSTER ON ${quoteIdent(k.indexName)};`);
  return out;
}

/** The statement that drops `k` (its dependants must be gone first). */
export function dropKeySql(table: { schema: string; name: string }, k: KeyUnique): string {
  return k.kind === 'constraint'
    ? `ALTER TABLE ${quoteQualified(table.schema, table.name)} DROP CONSTRAINT ${quoteIdent(k.name)};`
    : `DROP INDEX ${quoteQualified(table.schema, k.indexName)};`;
}

/** Drops the foreign keys that depend on `k`. */
export function dropForeignKeysSql(k: KeyUnique): string[] {
  return k.foreignKeys.map((f) => `ALTER TABLE ${quoteQualified(f.schema, f.table)} DROP CONSTRAINT ${quoteIdent(f.name)};`);
}

/** Re-creates the foreign keys that depended on `k` from their own definitions (the referenced table named in full), with their comments. */
export function addForeignKeysSql(table: { schema: string; name: string }, k: KeyUnique): string[] {
  return k.foreignKeys.flatMap((f) => {
    const parsed = parseForeignKey(f.definition)!;
    const child = quoteQualified(f.schema, f.table);
    return [
      `ALTER TABLE ${child} ADD CONSTRAINT ${quoteIdent(f.name)} ${withReferencedTable(f.definition, parsed, quoteQualified(table.schema, table.name))};`,
      ...(f.comment !== undefined ? [`COMMENT ON CONSTRAINT ${quoteIdent(f.name)} ON ${child} IS ${quoteLiteral(f.comment)};`] : []),
    ];
  });
}

/** Comments of the foreign keys that depended on `k` (for a rollback that re-adds every referencing key itself). */
export function foreignKeyCommentsSql(k: KeyUnique): string[] {
  return k.foreignKeys.filter((f) => f.comment !== undefined).map((f) => `COMMENT ON CONSTRAINT ${quoteIdent(f.name)} ON ${quoteQualified(f.schema, f.table)} IS ${quoteLiteral(f.comment!)};`);
}
