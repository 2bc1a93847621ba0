/**
 * `dupguard migrate`: prints the dedup migration for one table (or its rollback), or dry-runs it in a
 * transaction that is rolled back. Argument parsing and output only: the generator is src/migrate,
 * the database work src/db (introspect, dryrun).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatHelp, parseArgs, UsageError } from './args';
import type { CliIO } from './io';
import type { TableDescription } from '../core/catalog';
import type { DryRunReport } from '../db/dryrun';
import type { MigrationOptions } from '../migrate/types';
import { describeReferenceMoves } from '../migrate/types';
import { migrationFileNames, rollbackFileFor } from '../migrate/names';

const SPEC = {
  url: { type: 'string', valueName: 'postgres-url', description: 'connection URL (default: DATABASE_URL, else PG* variables)' },
  table: { type: 'string', short: 't', valueName: 'schema.table', description: 'the table to deduplicate (schema defaults to public)' },
  key: { type: 'string', short: 'k', valueName: 'a,b', description: 'natural key columns: one row per value of these survives' },
  keep: { type: 'string', choices: ['oldest', 'newest'], default: 'oldest', description: 'which copy of each key to keep' },
  'order-by': { type: 'string', valueName: 'column', description: 'column deciding oldest/newest (default: created_at-like column, else increasing id, else ctid)' },
  strategy: { type: 'string', choices: ['auto', 'delete', 'rebuild'], default: 'auto', description: 'auto: by the measured duplicate ratio' },
  nulls: { type: 'string', choices: ['auto', 'not-distinct', 'distinct'], default: 'auto', description: 'NULL key values equal (not-distinct, PostgreSQL 15+) or never equal' },
  'index-build': { type: 'string', choices: ['auto', 'in-transaction', 'concurrent'], default: 'auto', description: 'where the unique index is built (auto: concurrent from 1M kept rows)' },
  flavour: { type: 'string', choices: ['auto', 'postgres', 'yugabyte'], default: 'auto', description: 'target engine (auto: the connected server); yugabyte has no ctid' },
  ratio: { type: 'number', valueName: 'x', description: 'duplicate ratio (rows / distinct keys) if known; skips counting' },
  'constraint-name': { type: 'string', valueName: 'name', description: 'name of the new unique constraint (your own migration\'s name for it, if it declares one)' },
  'no-constraint': { type: 'boolean', description: 'leave the UNIQUE to your own migration, which declares it (give its name with --constraint-name)' },
  'declared-in': { type: 'string', valueName: 'file[:line]', description: 'where your own migration declares this UNIQUE (named in the script\'s notes)' },
  'merge-references': { type: 'boolean', description: 'accept re-pointing rows of other tables that reference a removed copy to the kept row' },
  'backup-name': { type: 'string', valueName: 'name', description: 'name of the backup table (same schema)' },
  'dry-run': { type: 'boolean', description: 'run the migration in a transaction that is rolled back and report what it would do' },
  out: { type: 'string', short: 'o', valueName: 'dir|file', description: 'write the migration and its rollback: into a folder (timestamped names), or to a file (rollback beside it as <file>_rollback.sql)' },
  'rollback-out': { type: 'string', valueName: 'file', description: 'write the rollback script to this file (with or without --out)' },
  rollback: { type: 'boolean', description: 'print (or --out) the rollback of a migration that already ran, from its backup table' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const;

const USAGE = `Usage: dupguard migrate --table schema.table --key a,b [--url <postgres-url>] [options]

Writes a migration that removes duplicate rows (keeping one per key), backs the table up first,
adds the UNIQUE constraint that stops new copies, and its rollback, a script of its own that
restores the table exactly. It reads the table over a read-only connection and changes nothing:
  dupguard migrate -t public.orders -k customer_id,order_no --out migrations/
writes migrations/20261206_112233_dedup_public_orders.sql and ..._rollback.sql; run them with
  psql -v ON_ERROR_STOP=1 -f <file>
--dry-run runs the migration inside a transaction that is always rolled back and reports the result.

When rows of other tables reference copies that would be removed, keeping one row per key moves
those references to the kept row, merging rows that may be separate things: the migration is
refused (the message and the dry run say how many rows move from how many copies) unless
--merge-references is given.

A plain UNIQUE already on the key columns (its NULLs distinct: a NULL hole) is replaced by the
UNIQUE NULLS NOT DISTINCT one under the same name (PostgreSQL 15+), never doubled; the foreign keys
that depend on it are dropped and re-created identically, and the rollback puts it back.

Options:
${formatHelp(SPEC)}

Ctrl-C (SIGINT) or SIGTERM cancels the running statement on the server and rolls back before exiting.

Exit status: 0 done (dry run: the migration would succeed), 1 the dry run found it would fail (or would
re-point references without --merge-references), 2 error or refusal (nothing written), 130 cancelled.`;

/** Splits `a,"b,c",D` into column names: quoted parts exact, bare parts as typed. */
export function splitNames(text: string, sep: string): { name: string; quoted: boolean }[] {
  const out: { name: string; quoted: boolean }[] = [];
  let cur = '';
  let quoted = false;
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuote) {
      if (ch === '"' && text[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') inQuote = false; else cur += ch;
    } else if (/\s/.test(ch) && (quoted || cur === '')) {
      // Spaces around a quoted name or before a bare one are not part of it.
    } else if (ch === '"') {
      inQuote = true;
      quoted = true;
    } else if (ch === sep) {
      out.push({ name: quoted ? cur : cur.trim(), quoted });
      cur = '';
      quoted = false;
    } else {
      cur += ch;
    }
  }
  if (inQuote) throw new UsageError(`unbalanced double quote in '${text}'`);
  out.push({ name: quoted ? cur : cur.trim(), quoted });
  return out;
}

/** Finds a name as typed, else (bare names only) as PostgreSQL folds it: lower case. */
function resolveName(candidates: string[], n: { name: string; quoted: boolean }): string | undefined {
  if (candidates.includes(n.name)) return n.name;
  if (!n.quoted && candidates.includes(n.name.toLowerCase())) return n.name.toLowerCase();
  return undefined;
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const fail = (msg: string, code = 2) => { io.stderr(`dupguard migrate: ${msg}\n`); return code; };
  let f;
  try {
    const parsed = parseArgs(argv, SPEC);
    f = parsed.flags;
    if (f.help) { io.stdout(`${USAGE}\n`); return 0; }
    if (parsed.positionals.length) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    if (!f.table) throw new UsageError('--table is required (e.g. --table public.task_photos)');
    if (!f.key) throw new UsageError('--key is required (e.g. --key task_pk,photo_id)');
    if (f.ratio !== undefined && !(f.ratio >= 1)) throw new UsageError('--ratio must be at least 1 (rows / distinct keys)');
    if (f.rollback && f['dry-run']) throw new UsageError('--rollback and --dry-run exclude each other');
    if (f['rollback-out'] !== undefined && (f.rollback || f['dry-run'])) throw new UsageError(`--rollback-out goes with the migration; with ${f.rollback ? '--rollback use --out' : '--dry-run nothing is written'}`);
    if (f.out !== undefined && f['dry-run']) throw new UsageError('--out and --dry-run exclude each other: a dry run writes nothing');
  } catch (e) {
    if (e instanceof UsageError) return fail(`${e.message}\n\n${USAGE}`);
    throw e;
  }
  let tableParts: { name: string; quoted: boolean }[];
  let keyParts: { name: string; quoted: boolean }[];
  try {
    tableParts = splitNames(f.table, '.');
    keyParts = splitNames(f.key, ',');
  } catch (e) {
    return fail((e as Error).message);
  }
  if (tableParts.length > 2 || tableParts.some((p) => !p.name)) return fail(`--table must be schema.table or table, got '${f.table}'`);
  if (keyParts.some((p) => !p.name)) return fail(`--key has an empty column name: '${f.key}'`);
  const schemaPart = tableParts.length === 2 ? tableParts[0] : { name: 'public', quoted: true };
  const tablePart = tableParts[tableParts.length - 1];

  const { connect, DbError } = await import('../db/connect');
  const { describeTable } = await import('../db/introspect');
  const dry = await import('../db/dryrun');
  const { generateMigration } = await import('../migrate/generate');
  const { MigrationError } = await import('../migrate/types');

  const target = f.url ?? io.env.DATABASE_URL ?? {};
  let session;
  try {
    session = await connect(target, { env: io.env });
  } catch (e) {
    return fail(e instanceof DbError ? e.message : String((e as Error)?.message ?? e));
  }
  // Ctrl-C must not leave the server running our statement (a dry run holds ACCESS EXCLUSIVE on the
  // table until it ends): cancel it on the server, roll back, close, then exit. A second signal exits at once.
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(130);
    io.stderr(`dupguard migrate: ${sig}: cancelling the running statement on the server and rolling back\n`);
    abort.abort();
    void session.cancel().catch(() => {});
    // A server that does not answer the cancel: close the connection rather than wait for it.
    setTimeout(() => { void session.close(); }, 5000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const cancelled = () => fail('cancelled; nothing was changed', 130);
  try {
    const client = session.client;
    // Everything but the dry run only reads: make the session refuse writes, whatever happens.
    if (!f['dry-run']) await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');

    let desc: TableDescription | undefined;
    const tries: [string, string][] = [[schemaPart.name, tablePart.name]];
    const folded: [string, string] = [schemaPart.quoted ? schemaPart.name : schemaPart.name.toLowerCase(), tablePart.quoted ? tablePart.name : tablePart.name.toLowerCase()];
    if (folded[0] !== tries[0][0] || folded[1] !== tries[0][1]) tries.push(folded);
    for (const [s, t] of tries) {
      try {
        desc = await describeTable(client, s, t);
        break;
      } catch (e) {
        if (!/not found/.test(String((e as Error).message))) throw e;
      }
    }
    if (!desc) return fail(`table ${schemaPart.name}.${tablePart.name} not found (or not visible to ${session.user}) in ${session.target}`);
    if (desc.kind && desc.kind !== 'r' && desc.kind !== 'p') return fail(`${desc.schema}.${desc.name} is not a table`);

    const names = desc.columns.map((c) => c.name);
    const key: string[] = [];
    for (const k of keyParts) {
      const found = resolveName(names, k);
      if (!found) return fail(`column '${k.name}' not found in ${desc.schema}.${desc.name} (columns: ${names.join(', ')})`);
      key.push(found);
    }
    let orderBy: string | undefined;
    if (f['order-by'] !== undefined) {
      const o = splitNames(f['order-by'], '\u0000')[0];
      orderBy = resolveName(names, o);
      if (!orderBy) return fail(`--order-by column '${o.name}' not found in ${desc.schema}.${desc.name}`);
    }

    const options: MigrationOptions = {
      key,
      keep: f.keep as 'oldest' | 'newest',
      orderBy,
      strategy: f.strategy as 'auto' | 'delete' | 'rebuild',
      flavour: f.flavour === 'auto' ? (session.engine === 'yugabytedb' ? 'yugabyte' : 'postgres') : f.flavour as 'postgres' | 'yugabyte',
      nullKeys: f.nulls as 'auto' | 'not-distinct' | 'distinct',
      indexBuild: f['index-build'] as 'auto' | 'in-transaction' | 'concurrent',
      rowEstimate: desc.rowEstimate !== undefined && desc.rowEstimate >= 0 ? desc.rowEstimate : undefined,
      duplicateRatio: f.ratio,
      constraintName: f['constraint-name'],
      backupName: f['backup-name'],
      mergeReferences: f['merge-references'],
      addConstraint: !f['no-constraint'],
      declaredIn: f['declared-in'],
      now: new Date(),
      ...(session.engine === 'postgresql' ? { serverVersionNum: session.serverVersionNum } : {}),
    };
    // Catalog facts behind the generator's choices (partition key, unindexed referencing keys, names
    // in use) and, for the migration, the references it would re-point, counted read-only.
    const facts = session.engine === 'yugabytedb' ? undefined : await dry.migrationFacts(client, desc, f.rollback ? undefined : options);
    Object.assign(options, {
      partitionKey: facts?.partitionKey,
      unindexedForeignKeys: facts?.unindexedForeignKeys,
      takenNames: facts?.takenNames,
      foreignKeyOperators: facts?.foreignKeyOperators,
      referenceMoves: facts?.referenceMoves,
      keyUniques: facts?.keyUniques,
    });
    if (facts && !f.rollback && !abort.signal.aborted && facts.referenceMoves === undefined && desc.referencedBy?.length) {
      io.stderr('dupguard migrate: counting the references that would move took too long; the script counts them when it runs and stops if any would move without --merge-references\n');
    }
    if (f.rollback) {
      options.purpose = 'rollback';
      if (!options.backupName) {
        const found = await dry.findBackups(client, desc.schema, desc.name);
        if (!found.length) return fail(`no dupguard backup of ${desc.schema}.${desc.name} found in schema ${desc.schema}; give --backup-name`);
        options.backupName = found[0];
        if (found.length > 1) io.stderr(`dupguard migrate: restoring from the newest backup ${found[0]} (others: ${found.slice(1).join(', ')}; choose with --backup-name)\n`);
      }
      // What the migration did, as its backup records it, goes in the rollback's header.
      const comment = await dry.backupComment(client, desc.schema, options.backupName);
      if (comment) options.undoes = comment;
      // A NULLS NOT DISTINCT key that replaced a plain one (the comment says so) comes back plain.
      if (facts) options.keyUniques = await dry.keyUniqueFacts(client, desc, key);
    }
    // The automatic strategy needs the real ratio: count it (read-only) unless given.
    if (options.duplicateRatio === undefined && options.strategy === 'auto' && !f.rollback) {
      const m = await dry.measureDuplicates(client, desc, key);
      if (m) {
        options.duplicateRatio = m.ratio;
        options.rowEstimate = m.rows;
      } else if (!abort.signal.aborted) {
        io.stderr('dupguard migrate: counting duplicates took too long; choosing the strategy without the ratio (give --ratio to decide)\n');
      }
    }

    if (abort.signal.aborted) return cancelled();

    if (f['dry-run']) {
      const rep = await dry.dryRunMigration(client, desc, options, { signal: abort.signal, cancel: () => session.cancel() });
      if (rep.cancelled) return cancelled();
      io.stdout(formatDryRun(rep));
      return rep.dedupOk && rep.constraintBuilds && !rep.mergeRequired ? 0 : 1;
    }

    const plan = generateMigration(desc, options);
    const files = outputFiles(io.cwd, f.out, f['rollback-out'], f.rollback ?? false, desc, options.now!);
    const writes: [string, string, string][] = [];
    if (f.rollback) {
      if (files.rollback) writes.push([files.rollback.path, plan.rollback, 'rollback']);
      else io.stdout(plan.rollback);
    } else {
      if (files.migration) writes.push([files.migration.path, plan.script, 'migration']);
      else io.stdout(plan.script);
      if (files.rollback) writes.push([files.rollback.path, plan.rollback, 'rollback']);
    }
    for (const [file, text, what] of writes) {
      try {
        // A folder gets new, timestamped names: never replace a file there.
        fs.writeFileSync(file, text, { flag: files.intoFolder ? 'wx' : 'w' });
      } catch (e) {
        return fail(`cannot write the ${what} to ${file}: ${(e as Error).message}`);
      }
      io.stderr(`dupguard migrate: wrote the ${what} for ${desc.schema}.${desc.name} to ${path.relative(io.cwd, file) || file}\n`);
    }
    if (writes.length) {
      io.stderr(`dupguard migrate: strategy ${plan.strategy} (${plan.strategyReason}); backup ${plan.backup.qualified}\n`);
      for (const w of plan.warnings) io.stderr(`dupguard migrate: note: ${w}\n`);
    }
    return 0;
  } catch (e) {
    if (abort.signal.aborted) return cancelled();
    if (e instanceof MigrationError || e instanceof DbError) return fail(e.message);
    const err = e as { message?: string; code?: string };
    return fail(`${err.message ?? String(e)}${err.code ? ` (SQLSTATE ${err.code})` : ''}`);
  } finally {
    await session.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/**
 * Where `--out` and `--rollback-out` write. `--out` naming an existing folder (or ending in a path
 * separator) gets the timestamped names of migrationFileNames; a file gets the migration, and the
 * rollback goes beside it unless `--rollback-out` names its file. With `--rollback` (a migration
 * that already ran) only the rollback is written: to `--out` (a folder or a file).
 */
export function outputFiles(cwd: string, out: string | undefined, rollbackOut: string | undefined, rollbackOnly: boolean, table: { schema: string; name: string }, now: Date): {
  migration?: { path: string }; rollback?: { path: string }; intoFolder: boolean;
} {
  const names = migrationFileNames(table, now);
  const explicitRollback = rollbackOut !== undefined ? { path: path.resolve(cwd, rollbackOut) } : undefined;
  if (out === undefined) return { rollback: explicitRollback, intoFolder: false };
  const target = path.resolve(cwd, out);
  const isFolder = /[\\/]$/.test(out) || (fs.existsSync(target) && fs.statSync(target).isDirectory());
  if (isFolder) {
    fs.mkdirSync(target, { recursive: true });
    return {
      migration: rollbackOnly ? undefined : { path: path.join(target, names.migration) },
      rollback: rollbackOnly ? { path: path.join(target, names.rollback) } : explicitRollback ?? { path: path.join(target, names.rollback) },
      intoFolder: true,
    };
  }
  if (rollbackOnly) return { rollback: { path: target }, intoFolder: false };
  return { migration: { path: target }, rollback: explicitRollback ?? { path: rollbackFileFor(target) }, intoFolder: false };
}

/** The dry run's report in plain words. */
export function formatDryRun(r: DryRunReport): string {
  const lines = [`dry run of the dedup migration for ${r.table} (strategy ${r.strategy}; rolled back: no row or table kept)`];
  if (r.rowsBefore !== undefined) {
    lines.push(`  rows before:      ${r.rowsBefore}`);
    lines.push(`  distinct keys:    ${r.distinctKeys}`);
    lines.push(`  duplicate groups: ${r.duplicateGroups}`);
  }
  if (r.rowsAfter !== undefined) {
    lines.push(`  rows after:       ${r.rowsAfter}`);
    lines.push(`  rows deleted:     ${r.rowsDeleted}`);
    lines.push(`  references moved: ${r.referencesMoved}`);
  }
  const moving = (r.referenceMoves ?? []).filter((m) => m.rows > 0);
  if (moving.length) lines.push(`  references:       ${describeReferenceMoves(moving)}`);
  if (r.mergeRequired) {
    lines.push('  dedup:            REFUSED: it would re-point those references, merging rows that may be separate things; pass --merge-references to accept (then dry run again for the rest)');
  } else {
    lines.push(`  dedup:            ${r.dedupOk ? 'ok (post-validation passed)' : 'FAILS'}`);
    lines.push(`  unique constraint: ${r.constraintBuilds ? 'would build' : 'would NOT build'}`);
  }
  if (r.replaces && !r.mergeRequired) {
    lines.push(`  replaces:         ${r.replaces.key}: dropped and re-created as UNIQUE NULLS NOT DISTINCT under the same name`);
    if (r.replaces.foreignKeys.length) lines.push(`  re-created:       foreign key${r.replaces.foreignKeys.length === 1 ? '' : 's'} ${r.replaces.foreignKeys.join(', ')} (dropped before the swap, re-created identically after it)`);
  }
  for (const fk of r.foreignKeys) {
    const rows = fk.childRows === undefined ? 'an unknown number of' : `~${fk.childRows}`;
    if (fk.indexed) {
      lines.push(`  foreign key ${fk.foreignKey}: indexed on (${fk.columns.join(', ')}); each deleted copy costs one index lookup in ${fk.child}`);
    } else {
      const cost = fk.rowReadsWithoutIndex !== undefined ? `~${fk.rowReadsWithoutIndex} row reads` : 'a full read of it per deleted copy';
      lines.push(`  foreign key ${fk.foreignKey}: no index on (${fk.columns.join(', ')}) in ${fk.child} (${rows} rows): without one, deleting the copies would cost ${cost}; ${fk.temporaryIndex ? `the script builds a temporary index (one pass over ${rows} rows) and drops it before COMMIT` : `the ${r.strategy} strategy does not look references up per copy`}`);
    }
  }
  // What the rollback did not undo.
  if (r.mergeRequired) {
    lines.push(`  took ${r.durationMs} ms (read only: nothing was locked or run)`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`  locks: held ${r.lock.mode} on ${r.table} for ${r.lock.heldMs} ms; other sessions' reads and writes of it waited meanwhile${r.sessionsBlocked ? ` (${r.sessionsBlocked} session${r.sessionsBlocked === 1 ? ' was' : 's were'} waiting when it rolled back)` : ''}`);
  if (r.sequencesAdvanced.length) {
    lines.push(`  sequences advanced (a rollback does not take nextval() back): ${r.sequencesAdvanced.map((x) => `${x.sequence} ${x.before ?? 'unused'} -> ${x.after ?? '?'}`).join(', ')}`);
  } else {
    lines.push('  sequences: none advanced');
  }
  if (r.error) lines.push(`  error: ${r.error}`);
  lines.push(`  took ${r.durationMs} ms`);
  return `${lines.join('\n')}\n`;
}
