/**
 * The scan's planner: which checks run on which table, decided from the catalog's facts and the
 * options alone (no database), so that it can be tested on catalog facts without PostgreSQL. scan.ts
 * runs the plan; scanSql.ts builds each check's statements.
 */
import { quoteIdent } from '../core/quote';
import { parseQualifiedName, resolveColumn } from '../core/names';
import type { LiveColumnDescription, LiveTableDescription } from './introspect';
import type { ScanCheckKind, ScanCheckSource, ScanConfidence, ScanIssue } from './report';

/** A foreign key of a table (its own columns, and the table it references), as introspect's foreignKeysOf reads it. */
export interface PlanForeignKey { name: string; columns: string[]; references: string }

/** What planTable needs besides the table's facts. */
export interface PlanOptions {
  /** The configured natural key, columns as written (`"User"` exact, `User` folded). */
  naturalKey?: string[];
  /** The table's own foreign keys (they make candidate keys). */
  foreignKeys?: PlanForeignKey[];
  /** Check candidate keys inferred from column names and foreign keys (default true). */
  inferKeys?: boolean;
  /** Check whole-row duplicates ignoring surrogate columns (default true). */
  exactRows?: boolean;
  /** The scanning role, named in notes about code other roles wrote. */
  role: string;
}

/** The checks of one table, and why others were left out. */
export interface TablePlan {
  checks: PlannedCheck[];
  notes: string[];
  errors: string[];
  /** Set when the table must not be read at all, and why (its row-level security policies run another role's code). */
  skip?: string;
}

/** A check before it runs: what it compares, how (SQL expressions), over which rows, and why. */
export interface PlannedCheck {
  kind: ScanCheckKind;
  source: ScanCheckSource;
  columns: string[];
  /** SQL for each compared element (quoted column, cast to text when needed, or an index expression). */
  exprs: string[];
  /** GROUP BY order as indexes into exprs, when an index gives another order than the columns'. */
  groupOrder?: number[];
  /** A btree index leads with exactly these columns: its order groups them without a sort. */
  indexed?: boolean;
  /** Rows considered: partial predicate and/or "some key column IS NULL". */
  where?: string;
  reason?: string;
  constraint?: string;
  ignoredColumns?: { name: string; reason: string }[];
  comparedAsText?: string[];
  /** How far its duplicates can be trusted (report.ts ScanConfidence). */
  confidence: ScanConfidence;
  /** Look-alike rows: the foreign keys referencing the table, `schema.table.constraint`. */
  referencedBy?: string[];
  /** `where` in plain words. */
  rowFilter?: string;
}

/** Finds the table a user named, case-exact first, then case-insensitively when that is unambiguous. */
export function matchTable(all: LiveTableDescription[], spec: string): LiveTableDescription[] {
  const [schema, name] = parseQualifiedName(spec);
  const exact = all.filter((t) => t.name === name && (schema === undefined || t.schema === schema));
  if (exact.length) return exact;
  const lower = all.filter((t) => t.name.toLowerCase() === name.toLowerCase() && (schema === undefined || t.schema.toLowerCase() === schema.toLowerCase()));
  return lower.length === 1 ? lower : [];
}

/** The configured natural key (columns as written) of a table, from `naturalKeys` entries naming it. */
export function naturalKeyFor(t: LiveTableDescription, keys: Record<string, string[]> | undefined): string[] | undefined {
  if (!keys) return undefined;
  for (const [spec, cols] of Object.entries(keys)) {
    let match = false;
    try { match = matchTable([t], spec).length === 1; } catch { match = false; }
    if (match) return cols;
  }
  return undefined;
}

const SINGLE_KEY_NAME = /^(external_?id|ext_id|slug|email|e_?mail|username|user_name|login|sku|guid|natural_key|(?:[a-z0-9]+_)?external_id)$/i;
const ID_LIKE = /(_id|_pk|_uuid|_key|_code|[a-z0-9](Id|Pk))$/;

/** Whether an enforced unique key guarantees these columns hold no duplicates (so checking them is pointless). */
function enforcedBy(t: LiveTableDescription, cols: string[]): string | undefined {
  for (const k of t.keys) {
    if (k.kind === 'exclude' || k.predicate || k.expression) continue;
    if (!k.columns.every((c) => cols.includes(c))) continue;
    const nullable = k.columns.some((c) => !t.columns.find((x) => x.name === c)?.notNull);
    if (nullable && !k.nullsNotDistinct) continue;
    return k.name ?? k.kind;
  }
  return undefined;
}

/** A column as compared: its text when its type has no equality GROUP BY can use; under COLLATE "C" when `bytes` and that groups the same. */
function colExpr(c: LiveColumnDescription, bytes = false): string {
  if (!c.groupable) return `${quoteIdent(c.name)}::text`;
  return bytes && c.byteEqual ? `${quoteIdent(c.name)} COLLATE "C"` : quoteIdent(c.name);
}

/**
 * The grouping of a set of columns. A btree index leading with exactly these columns gives their
 * order without a sort (index-only scan): GROUP BY then follows the index's column order, under the
 * columns' own collations as the index has them. Otherwise text under a deterministic collation is
 * grouped under COLLATE "C": equal values are byte-equal either way, so the groups are the same, and a
 * sort compares bytes (with abbreviated keys) instead of calling strcoll per comparison: 1.7x faster on
 * 3 M near-distinct emails under ICU en-US, 1.3x under libc C.UTF-8 (PostgreSQL 15).
 */
function keyExprs(t: LiveTableDescription, cols: LiveColumnDescription[]): { exprs: string[]; groupOrder?: number[]; indexed?: boolean } {
  const names = cols.map((c) => c.name);
  const index = t.btreeColumns?.find((lead) => lead.length >= names.length && lead.slice(0, names.length).every((n) => names.includes(n))
    && names.every((n) => lead.slice(0, names.length).includes(n)));
  if (index) {
    const order = index.slice(0, names.length).map((n) => names.indexOf(n));
    return { exprs: cols.map((c) => colExpr(c)), groupOrder: order.every((x, i) => x === i) ? undefined : order, indexed: true };
  }
  return { exprs: cols.map((c) => colExpr(c, true)) };
}

/** GROUP BY list of a check: its expressions, in an index's column order when one was found. */
export function groupByOf(pc: PlannedCheck): string {
  return (pc.groupOrder ?? pc.exprs.map((_, i) => i)).map((i) => pc.exprs[i]).join(', ');
}

/**
 * Decides which checks a table gets, from its catalog facts alone: the configured key, unique keys
 * that let NULL copies through, whole rows without the columns the database makes, keys inferred from
 * names. `notes` say why a check was left out; `errors` are configured keys that cannot be checked.
 */
export function planTable(t: LiveTableDescription, opts: PlanOptions): TablePlan {
  const written = opts.naturalKey;
  const fks = opts.foreignKeys ?? [];
  const role = opts.role;
  const policyCode = t.rowSecurity?.active ? t.rowSecurity.foreignCode : undefined;
  if (policyCode?.length) {
    // Every read of the table (a count, a sample) evaluates the policies as the scanning role.
    const skip = `${t.schema}.${t.name}: not scanned: its row-level security runs another role's code (${policyCode.join('; ')}); every read of the table would run that code with the privileges of ${role}, and dupguard does not run code another role wrote (scan as a role with BYPASSRLS, or as the function's owner)`;
    return { checks: [], notes: [], errors: [skip], skip };
  }
  const checks: PlannedCheck[] = [];
  const notes: string[] = [];
  const byName = new Map(t.columns.map((c) => [c.name, c]));
  const seen = new Set<string>();
  const sig = (cols: string[]) => [...cols].sort().join('\u0000');

  const errors: string[] = [];
  const resolved = written?.map((c) => resolveColumn(new Set(byName.keys()), c));
  const natural = resolved?.every((c) => c !== undefined) ? resolved as string[] : undefined;
  if (written?.length && !natural) {
    const missing = written.filter((_, i) => resolved![i] === undefined);
    // A typo in a configured key must not pass as "no duplicates": the key is not checked, and that is an error.
    errors.push(`configured key (${written.join(', ')}) for ${t.schema}.${t.name}: no column ${missing.join(', ')} (columns: ${t.columns.map((c) => c.name).join(', ')}); key not checked`);
  }
  if (natural?.length) {
    const cols = natural.map((c) => byName.get(c)!);
    checks.push({
      kind: 'key', source: 'config', columns: natural, ...keyExprs(t, cols),
      reason: 'natural key from configuration',
      confidence: 'certain',
      comparedAsText: cols.filter((c) => !c.groupable).map((c) => c.name),
    });
    seen.add(sig(natural));
  }

  // Unique keys whose columns may be NULL: NULL never equals NULL, so copies with a NULL slip past them.
  for (const k of t.keys) {
    if (k.kind === 'primary' || k.kind === 'exclude' || k.nullsNotDistinct) continue;
    const foreign = k.name ? t.foreignCode?.[k.name] : undefined;
    if (foreign?.length) {
      // Evaluating the index's expressions would run another role's code with the scanning role's privileges.
      notes.push(`${k.name}: not checked: its expressions call ${foreign.join(', ')}; dupguard does not run code another role wrote with the privileges of ${role} (scan as that role to check it)`);
      continue;
    }
    const elems = k.columns.map((name, i) => {
      const col = byName.get(name);
      // Expression elements come as SQL text from pg_get_indexdef.
      return col ? { name, sql: colExpr(col), nullable: !col.notNull } : { name, sql: `(${k.columns[i]})`, nullable: true };
    });
    if (!elems.some((e) => e.nullable)) continue;
    const nullTest = elems.filter((e) => e.nullable).map((e) => `${e.sql} IS NULL`).join(' OR ');
    checks.push({
      kind: 'unique-nulls', source: 'unique-index', columns: k.columns, exprs: elems.map((e) => e.sql),
      where: k.predicate ? `(${k.predicate}) AND (${nullTest})` : nullTest,
      constraint: k.name,
      reason: `${k.kind === 'unique' ? 'unique constraint' : 'unique index'} ${k.name ?? ''} allows repeated rows when a key column is NULL (no NULLS NOT DISTINCT)`.replace('  ', ' '),
      confidence: 'certain',
      rowFilter: `rows with a NULL in ${elems.filter((e) => e.nullable).map((e) => e.name).join(' or ')}${k.predicate ? ` among those matching the index's predicate ${k.predicate}` : ''}`,
    });
  }

  if (opts.exactRows !== false && t.columns.length) {
    const ignored: { name: string; reason: string }[] = [];
    const compared: LiveColumnDescription[] = [];
    for (const c of t.columns) {
      if (c.surrogate) ignored.push({ name: c.name, reason: c.surrogateReason ?? 'made by the database on insert' });
      else if (c.generated) ignored.push({ name: c.name, reason: 'generated from other columns' });
      else compared.push(c);
    }
    const guard = compared.length ? enforcedBy(t, compared.map((c) => c.name)) : undefined;
    if (!compared.length) {
      notes.push('every column is made by the database on insert: no whole-row comparison possible');
    } else if (guard) {
      notes.push(`whole-row duplicates are impossible: ${guard} is unique over compared columns`);
    } else {
      // Rows other rows point at by an id the comparison leaves out are separate things to those
      // references (pagila's inventory: several physical copies of one film, each rented on its own).
      const ids = ignored.filter((i) => byName.get(i.name)?.surrogate).map((i) => i.name);
      const refs = ids.length ? (t.referencedBy ?? []).map((f) => `${f.schema}.${f.table}.${f.name}`) : [];
      const except = ignored.length ? `rows equal in every column except ${ignored.map((i) => i.name).join(', ')}` : 'rows equal in every column';
      checks.push({
        kind: 'exact-row', source: 'all-columns', columns: compared.map((c) => c.name), ...keyExprs(t, compared),
        reason: refs.length
          ? `rows that look alike, referenced separately: ${except}, but foreign key${refs.length > 1 ? 's' : ''} ${refs.join(', ')} reference${refs.length > 1 ? '' : 's'} this table's rows, so each may be a thing of its own; not counted`
          : except,
        ignoredColumns: ignored.length ? ignored : undefined,
        comparedAsText: compared.filter((c) => !c.groupable).map((c) => c.name),
        confidence: refs.length ? 'lookalike' : 'likely',
        referencedBy: refs.length ? refs : undefined,
      });
    }
  }

  if (opts.inferKeys !== false) {
    const pk = t.keys.find((k) => k.kind === 'primary');
    const candidates: { cols: string[]; reason: string }[] = [];
    for (const c of t.columns) {
      if (!c.surrogate && SINGLE_KEY_NAME.test(c.name) && !pk?.columns.includes(c.name)) {
        candidates.push({ cols: [c.name], reason: `inferred from the column name ${c.name}` });
      }
    }
    const fkCols = new Set(fks.filter((f) => f.columns.length === 1).map((f) => f.columns[0]));
    const idLike = t.columns.filter((c) => !c.surrogate && !pk?.columns.includes(c.name) && c.groupable && (ID_LIKE.test(c.name) || fkCols.has(c.name)));
    if (idLike.length >= 2 && idLike.length <= 4) {
      const names = idLike.map((c) => c.name);
      const viaFk = names.filter((n) => fkCols.has(n));
      candidates.push({
        cols: names,
        reason: `inferred from column names ${names.join(', ')}${viaFk.length ? ` (foreign key${viaFk.length > 1 ? 's' : ''}: ${viaFk.join(', ')})` : ''}`,
      });
    }
    for (const cand of candidates.slice(0, 3)) {
      if (seen.has(sig(cand.cols))) continue;
      if (enforcedBy(t, cand.cols)) continue;
      // A superset of the configured key can only repeat what that key's check already shows.
      if (natural?.length && natural.every((c) => cand.cols.includes(c))) continue;
      seen.add(sig(cand.cols));
      const cols = cand.cols.map((n) => byName.get(n)!);
      const nullable = cols.filter((c) => !c.notNull);
      checks.push({
        kind: 'key', source: 'inferred', columns: cand.cols, ...keyExprs(t, cols),
        // As a UNIQUE constraint would: rows with a NULL in the candidate key are not duplicates of each other.
        where: nullable.length ? nullable.map((c) => `${quoteIdent(c.name)} IS NOT NULL`).join(' AND ') : undefined,
        rowFilter: nullable.length ? `rows with no NULL in ${nullable.map((c) => c.name).join(', ')}` : undefined,
        reason: `${cand.reason}; not declared unique: verify before acting`,
        confidence: 'guess',
      });
    }
  }
  // Reading a column whose type casts to or from text through another role's function (the sample's
  // values, ids read back by value) would run that code with the scanning role's privileges.
  const kept = checks.filter((pc) => {
    const foreign = pc.columns.flatMap((n) => byName.get(n)?.foreignCode?.map((f) => `${n}: ${f}`) ?? []);
    // A configured key left out is an error: the scan cannot say it has no duplicates.
    if (foreign.length) (pc.source === 'config' ? errors : notes).push(`${pc.kind} check (${pc.columns.join(', ')}) not run: reading it calls ${foreign.join('; ')}; dupguard does not run code another role wrote with the privileges of ${role} (scan as that role to check it)`);
    return !foreign.length;
  });
  return { checks: kept, notes, errors };
}

/** A table another session holds in ACCESS EXCLUSIVE mode (introspect's lockedTables). */
export interface LockedTable { schema: string; name: string; pid: number; granted: boolean; partition: boolean; via?: string }

/** Which tables a scan reads: the ones named (or all), less views and foreign tables, with why each other one is left out. */
export interface TableSelection {
  toScan: LiveTableDescription[];
  skipped: { schema: string; table: string; reason: string }[];
  /** Locked tables, names that match no table, configured keys for no table: in this order. */
  errors: ScanIssue[];
}

/**
 * Picks the tables to scan from the catalog's list: `tables` (as the user wrote them) or every one;
 * locked tables are reported, views, materialized views and foreign tables skipped.
 */
export function selectTables(all: LiveTableDescription[], locked: LockedTable[], opts: { tables?: string[]; schemas?: string[]; naturalKeys?: Record<string, string[]> }, user: string): TableSelection {
  const errors: ScanIssue[] = [];
  let tables = all;
  // matchTable reads only schema and name.
  const names = (list: { schema: string; name: string }[], spec: string) => {
    try { return matchTable(list as LiveTableDescription[], spec).length > 0; } catch { return false; }
  };
  const lockedMatches = (spec: string) => names(locked, spec);
  for (const l of locked) {
    if (opts.tables?.length ? !opts.tables.some((spec) => names([l], spec)) : l.partition) continue;
    const name = `${l.schema}.${l.name}`;
    errors.push({
      table: name, code: '55P03',
      message: `${name}: lock timeout reached: another session (pid ${l.pid}) ${l.granted ? 'holds' : 'is waiting for'} an ACCESS EXCLUSIVE lock on ${l.via ? `its partition ${l.via}` : 'it'} (ALTER TABLE, TRUNCATE, VACUUM FULL, LOCK TABLE...); not scanned`,
    });
  }

  let selected = tables;
  if (opts.tables?.length) {
    const picked = new Set<LiveTableDescription>();
    for (const spec of opts.tables) {
      let m: LiveTableDescription[];
      try { m = matchTable(tables, spec); } catch (e) { errors.push({ message: (e as Error).message }); continue; }
      if (!m.length && !lockedMatches(spec)) errors.push({ table: spec, message: `table ${spec} not found${opts.schemas?.length ? ` in schema(s) ${opts.schemas.join(', ')}` : ''} (or not visible to ${user})` });
      for (const t of m) picked.add(t);
    }
    selected = tables.filter((t) => picked.has(t));
    tables = tables.filter((t) => !t.partitionOf || picked.has(t));
  }
  for (const [spec] of Object.entries(opts.naturalKeys ?? {})) {
    let m: LiveTableDescription[] = [];
    try { m = matchTable(tables, spec); } catch { /* reported below */ }
    if (!m.length) errors.push({ table: spec, message: `configured key for ${spec}: no such table` });
  }
  const toScan: LiveTableDescription[] = [];
  const skipped: TableSelection['skipped'] = [];
  for (const t of selected) {
    if (t.kind === 'v') skipped.push({ schema: t.schema, table: t.name, reason: 'view: its rows live in the tables it reads' });
    else if (t.kind === 'm') skipped.push({ schema: t.schema, table: t.name, reason: 'materialized view: derived data, rebuilt by REFRESH' });
    else if (t.kind === 'f') skipped.push({ schema: t.schema, table: t.name, reason: 'foreign table: scanning would read the remote server' });
    else toScan.push(t);
  }
  return { toScan, skipped, errors };
}
