/**
 * Which SQL dialect an embedded region is written for, from evidence: the statement's own syntax, the
 * dialect-keyed branch or client around it, the file's imports and client settings. PostgreSQL rules
 * run on 'postgresql' and on 'unknown' (no evidence, or evidence that disagrees), never on a region
 * known to be another dialect.
 */
import { dialectHints, HINT_IMPORT, HINT_SETTING, type DialectHints } from './dialect-hints';
import { hostTokens, isId, isLiteral, isPunct, literalStart, memberChainAt, tokenAt, tokText, type HostTokens } from './host-tokens';

export type SqlDialect = 'postgresql' | 'sqlite' | 'mysql' | 'mssql' | 'other' | 'unknown';
export type KnownDialect = Exclude<SqlDialect, 'unknown'>;

/**
 * How much a piece of evidence weighs, strongest first:
 * syntax  the statement itself only parses in that dialect (`INSERT OR IGNORE`, `INSERT IGNORE`, `::int`);
 * branch  the region sits in a dialect-keyed branch (`{ pg: ..., mysql: ... }`, `onDialectOrElse`) or is passed to a dialect's client (`ctx.storage.sql.exec`);
 * file    the file's imports and settings (an import of the pg driver, knex `client: 'sqlite3'`, an ORM's dialect);
 * weak    hints that many dialects share (`?` placeholders only).
 */
export type DialectStrength = 'syntax' | 'branch' | 'file' | 'weak';
const RANK: Record<DialectStrength, number> = { syntax: 4, branch: 3, file: 2, weak: 1 };

export interface DialectEvidence {
  /** The dialects this evidence is compatible with (one for most; backticks fit MySQL and SQLite). */
  dialects: KnownDialect[];
  strength: DialectStrength;
  /** Plain words: "imports better-sqlite3", "`INSERT OR IGNORE` is SQLite syntax". */
  reason: string;
  /** Host offset of what was seen (for SQL-text evidence: of the region's first code unit). */
  at: number;
}

export interface DialectDecision {
  dialect: SqlDialect;
  /** The evidence that decided, strongest first, then the rest. */
  evidence: DialectEvidence[];
}

/** PostgreSQL rules run on this region: its dialect is PostgreSQL or not known. */
export function runsPostgresRules(d: DialectDecision): boolean {
  return d.dialect === 'postgresql' || d.dialect === 'unknown';
}

/** Module specifiers (exact, or as a prefix followed by `/`) and the dialect they speak. */
const MODULES: Array<[RegExp, KnownDialect]> = [
  [/^(?:pg|pg-pool|pg-promise|pg-copy-streams|pg-format|pg-query-stream|pg-cursor|pg-mem|postgres|slonik|@neondatabase\/serverless|@vercel\/postgres|@electric-sql\/pglite|@databases\/pg(?:-typed|-test)?|@effect\/sql-pg|@prisma\/adapter-(?:pg|neon)|node-pg-migrate|drizzle-orm\/(?:pg-core|node-postgres|postgres-js|neon-http|neon-serverless|vercel-postgres|pglite|pg-proxy|aws-data-api\/pg))(?:\/|$)/, 'postgresql'],
  [/^(?:better-sqlite3|sqlite3|sqlite|@libsql\/client|bun:sqlite|node:sqlite|sql\.js|expo-sqlite|wa-sqlite|@sqlite\.org\/sqlite-wasm|@databases\/sqlite|@effect\/sql-sqlite-\w+|@prisma\/adapter-(?:libsql|d1|better-sqlite3)|drizzle-orm\/(?:sqlite-core|better-sqlite3|libsql|d1|bun-sqlite|expo-sqlite|op-sqlite|sqlite-proxy|durable-sqlite))(?:\/|$)/, 'sqlite'],
  [/^(?:mysql2?|mariadb|@planetscale\/database|@databases\/mysql|@effect\/sql-mysql2|@prisma\/adapter-(?:planetscale|mariadb)|drizzle-orm\/(?:mysql-core|mysql2|planetscale-serverless|mysql-proxy|tidb-serverless|singlestore\w*))(?:\/|$)/, 'mysql'],
  [/^(?:mssql|tedious|@effect\/sql-mssql|@prisma\/adapter-mssql)(?:\/|$)/, 'mssql'],
  [/^(?:oracledb|gel|edgedb|duckdb|duckdb-async|@duckdb\/[\w-]+|@clickhouse\/client(?:-web)?|clickhouse|@depyty\/clickhouse|snowflake-sdk|@google-cloud\/bigquery|ibm_db|cassandra-driver|@effect\/sql-clickhouse|@effect\/sql-d1)(?:\/|$)/, 'other'],
];

/** Dialect names as written in knex `client:`, sequelize `dialect:`, typeorm `type:` and dialect-keyed objects. */
const NAMES: Array<[RegExp, KnownDialect]> = [
  [/^(?:pg|pgsql|postgres|postgresql|pgnative|pg-native|cockroachdb|cockroach|pglite|neon|redshift|pgMem)$/i, 'postgresql'],
  [/^(?:sqlite|sqlite3|better-sqlite3|betterSqlite3?|libsql|d1|bunSqlite|expo)$/i, 'sqlite'],
  [/^(?:mysql|mysql2|mariadb|planetscale|tidb)$/i, 'mysql'],
  [/^(?:mssql|sqlserver|tedious|transactsql|tsql)$/i, 'mssql'],
  [/^(?:oracle|oracledb|clickhouse|duckdb|snowflake|bigquery|db2|gel|edgedb)$/i, 'other'],
];

function dialectOfName(name: string): KnownDialect | undefined {
  for (const [re, d] of NAMES) if (re.test(name)) return d;
  return undefined;
}

/** Kysely dialect classes and ORM table builders named in the file (the ORM layer adds more via `extra`). */
const IDENTIFIERS = new Map<string, KnownDialect>(Object.entries({
  PostgresDialect: 'postgresql', PGliteDialect: 'postgresql', NeonDialect: 'postgresql', pgTable: 'postgresql', pgSchema: 'postgresql',
  SqliteDialect: 'sqlite', LibsqlDialect: 'sqlite', D1Dialect: 'sqlite', BunSqliteDialect: 'sqlite', sqliteTable: 'sqlite',
  MysqlDialect: 'mysql', PlanetScaleDialect: 'mysql', mysqlTable: 'mysql', mysqlSchema: 'mysql',
  MssqlDialect: 'mssql',
} as Record<string, KnownDialect>));

/**
 * File-level evidence: imported/required modules, knex/sequelize/typeorm dialect settings, Kysely
 * dialects and ORM table builders. `extra` is evidence from elsewhere (the ORM layer).
 */
export function fileDialectEvidence(t: HostTokens, extra: readonly DialectEvidence[] = [], hints: DialectHints = dialectHints(t.stream)): DialectEvidence[] {
  const out: DialectEvidence[] = [...extra];
  const seen = new Set<string>();
  const add = (d: KnownDialect, reason: string, at: number, strength: DialectStrength = 'file') => {
    if (seen.has(reason)) return;
    seen.add(reason);
    out.push({ dialects: [d], strength, reason, at });
  };
  // the file's imports, settings and long names, found once per token stream (./dialect-hints.ts)
  for (let h = 0; h < hints.at.length; h++) {
    const i = hints.at[h];
    const kind = hints.kind[h];
    if (kind === HINT_IMPORT) {
      const spec = tokText(t, i).slice(1, -1);
      for (const [re, d] of MODULES) if (re.test(spec)) add(d, `imports ${spec}`, t.starts[i]);
    } else if (kind === HINT_SETTING) {
      // knex `client: 'pg'`, sequelize `dialect: 'postgres'`, typeorm `type: 'sqlite'`, `provider = "postgresql"`.
      const key = tokText(t, i - 2);
      const d = dialectOfName(tokText(t, i).slice(1, -1));
      if (d) add(d, `${key}: ${tokText(t, i)}`, t.starts[i]);
    } else {
      const d = IDENTIFIERS.get(tokText(t, i));
      if (d) add(d, `uses ${tokText(t, i)}`, t.starts[i]);
    }
  }
  return out;
}

/** SQL-text evidence: constructs only some dialects accept. */
const SYNTAX: Array<[RegExp, KnownDialect[], string]> = [
  [/\bINSERT\s+OR\s+(?:IGNORE|REPLACE|ABORT|FAIL|ROLLBACK)\b/i, ['sqlite'], '`INSERT OR IGNORE/REPLACE` is SQLite syntax'],
  [/\bINSERT\s+(?:LOW_PRIORITY\s+|DELAYED\s+|HIGH_PRIORITY\s+)?IGNORE\b/i, ['mysql'], '`INSERT IGNORE` is MySQL syntax'],
  [/\bON\s+DUPLICATE\s+KEY\s+UPDATE\b/i, ['mysql'], '`ON DUPLICATE KEY UPDATE` is MySQL syntax'],
  [/^\s*(?:--[^\n]*\n\s*)*REPLACE\s+INTO\b/i, ['mysql', 'sqlite'], '`REPLACE INTO` is MySQL/SQLite syntax'],
  [/\bAUTOINCREMENT\b/i, ['sqlite'], '`AUTOINCREMENT` is SQLite syntax'],
  [/\bAUTO_INCREMENT\b/i, ['mysql'], '`AUTO_INCREMENT` is MySQL syntax'],
  [/^\s*PRAGMA\b/im, ['sqlite'], '`PRAGMA` is SQLite'],
  [/\bCREATE\s+VIRTUAL\s+TABLE\b[\s\S]*?\bUSING\s+(?:fts[345]|rtree|geopoly)\b/i, ['sqlite'], '`CREATE VIRTUAL TABLE ... USING fts5` is SQLite syntax'],
  [/\bWITHOUT\s+ROWID\b|\bSTRICT\s*;?\s*$/i, ['sqlite'], '`WITHOUT ROWID` is SQLite syntax'],
  [/\bENGINE\s*=\s*\w+/i, ['mysql', 'other'], '`ENGINE =` is MySQL/ClickHouse syntax'],
  [/\bSELECT\s+TOP\s*\(?\s*\d|\bNVARCHAR\s*\(\s*MAX\b|\bIDENTITY\s*\(\s*\d+\s*,\s*\d+\s*\)|\bGETDATE\s*\(\s*\)|\bOUTPUT\s+INSERTED\./i, ['mssql'], 'T-SQL syntax (`TOP n`, `NVARCHAR(MAX)`, `IDENTITY(1,1)`, `GETDATE()`, `OUTPUT INSERTED`)'],
  // `IF NOT EXISTS (SELECT ...) BEGIN INSERT ... END`; PL/pgSQL writes `IF ... THEN`.
  [/^(?![\s\S]*\bTHEN\b)[\s\S]*\bIF\s+(?:NOT\s+)?EXISTS\s*\(\s*SELECT\b/i, ['mssql'], 'T-SQL `IF [NOT] EXISTS (SELECT ...)` without THEN'],
  [/\bFROM\s+dual\b|\bMERGE\s+INTO\b[\s\S]*\bUSING\s*\([\s\S]*\bFROM\s+dual\b/i, ['mysql', 'other'], '`FROM dual` is Oracle/MySQL'],
  [/\bFORMAT\s+(?:JSONEachRow|TabSeparated|CSVWithNames|Native|Parquet)\b|\bReplacingMergeTree\b|\bMergeTree\s*\(/i, ['other'], 'ClickHouse syntax'],
];
/** Backtick-quoted identifiers (MySQL, SQLite, ClickHouse, BigQuery), outside string literals. */
const BACKTICK_IDENT = /`[A-Za-z_][\w$ ]*`/;
/** Constructs that only PostgreSQL (of the dialects above) accepts. */
const PG_SYNTAX: Array<[RegExp, string]> = [
  [/[\w)\]'"}]::\s*[A-Za-z_"]/, '`::` casts are PostgreSQL syntax'],
  [/\bON\s+CONFLICT\s+ON\s+CONSTRAINT\b/i, '`ON CONFLICT ON CONSTRAINT` is PostgreSQL syntax'],
  [/\bNULLS\s+NOT\s+DISTINCT\b/i, '`NULLS NOT DISTINCT` is PostgreSQL syntax'],
  [/\bILIKE\b|\bjsonb\b|\bDISTINCT\s+ON\s*\(|\bLANGUAGE\s+plpgsql\b|\$\$(?!\{)/i, 'PostgreSQL-only syntax (ILIKE, jsonb, DISTINCT ON, plpgsql, dollar quoting)'],
];

/** Evidence in the SQL text of a region (string contents should be left in: the patterns are anchored on keywords). */
export function sqlTextEvidence(sql: string, at: number): DialectEvidence[] {
  const out: DialectEvidence[] = [];
  const text = stripSqlStrings(sql);
  for (const [re, dialects, reason] of SYNTAX) if (re.test(text)) out.push({ dialects, strength: 'syntax', reason, at });
  if (BACKTICK_IDENT.test(text)) out.push({ dialects: ['mysql', 'sqlite', 'other'], strength: 'syntax', reason: 'backtick-quoted identifiers are not PostgreSQL', at });
  for (const [re, reason] of PG_SYNTAX) if (re.test(text)) out.push({ dialects: ['postgresql'], strength: 'syntax', reason, at });
  // `?` placeholders with no `$n`: knex and others use `?` on PostgreSQL too, so this is a hint only.
  if (/(?:[=(,]\s*|\bVALUES\s*\(\s*)\?(?!\?)/i.test(text) && !/\$\d/.test(text)) {
    out.push({ dialects: ['mysql', 'sqlite', 'mssql', 'other'], strength: 'weak', reason: '`?` placeholders (not PostgreSQL\'s `$1`)', at });
  }
  return out;
}

/** The SQL with the contents of '...' strings blanked (same length), so a quoted word is not read as syntax. */
function stripSqlStrings(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'/g, (m) => `'${' '.repeat(Math.max(0, m.length - 2))}'`);
}

/**
 * Branch evidence around the literal at host offset `hostStart`: the keys of dialect-keyed objects
 * it sits in (`{ pg: () => sql\`...\`, mysql: ... }`, Effect's `orElse` next to `pg`), and the client
 * it is passed to (`ctx.storage.sql.exec(...)`: a Durable Object's SQLite; `mysqlPool.query(...)`).
 */
export function branchEvidence(t: HostTokens, hostStart: number): DialectEvidence[] {
  const out: DialectEvidence[] = [];
  const i = tokenAt(t, hostStart);
  if (i < 0 || !isLiteral(t, i)) return out;
  let cur = literalStart(t, i);
  for (let depth = 0; depth < 16 && cur >= 0; depth++) {
    const open = t.parent[cur];
    if (open < 0) break;
    const openText = tokText(t, open);
    if (openText === '{') {
      const keyAt = propertyKeyOf(t, open, cur);
      if (keyAt >= 0) {
        const key = keyName(t, keyAt);
        const d = dialectOfName(key);
        if (d) out.push({ dialects: [d], strength: 'branch', reason: `in the \`${key}\` branch of a dialect-keyed object`, at: t.starts[keyAt] });
        else if (/^(?:orElse|otherwise|default|fallback|others?)$/.test(key)) {
          const siblings = objectKeys(t, open).map((k) => dialectOfName(keyName(t, k))).filter((x): x is KnownDialect => !!x);
          if (siblings.length > 0) {
            const rest = (['postgresql', 'sqlite', 'mysql', 'mssql', 'other'] as KnownDialect[]).filter((x) => x === 'other' || !siblings.includes(x));
            out.push({ dialects: rest, strength: 'branch', reason: `in the \`${key}\` branch next to ${siblings.join(', ')} branches`, at: t.starts[keyAt] });
          }
        }
        if (out.length) return out;
      }
    } else if (openText === '(' && isId(t, open - 1)) {
      const chain = memberChainAt(t, open - 1).name;
      if (/(?:^|\.)storage\.sql\.exec$/.test(chain)) {
        out.push({ dialects: ['sqlite'], strength: 'branch', reason: `passed to ${chain} (a Durable Object's SQLite)`, at: t.starts[open - 1] });
        return out;
      }
      const parts = chain.split('.').slice(0, -1).flatMap((p) => p.split(/(?=[A-Z])|_/)).map((p) => p.toLowerCase());
      const named = new Set(parts.map(dialectOfName).filter((x): x is KnownDialect => !!x));
      if (named.size === 1) {
        const d = [...named][0];
        out.push({ dialects: [d], strength: 'branch', reason: `passed to ${chain}`, at: t.starts[open - 1] });
        return out;
      }
    }
    cur = t.kinds[open] === 'tplHead' || t.kinds[open] === 'tplMiddle' ? literalStart(t, open) : open;
  }
  return out;
}

function keyName(t: HostTokens, k: number): string {
  return t.kinds[k] === 'str' ? tokText(t, k).slice(1, -1) : tokText(t, k);
}

/** Keys (token indexes) of the object literal opened at `open`, at its own level. */
function objectKeys(t: HostTokens, open: number): number[] {
  const keys: number[] = [];
  const close = t.match[open];
  if (close < 0) return keys;
  for (let k = open + 1; k < close; k++) {
    if (t.match[k] > k) {
      k = t.match[k];
      continue;
    }
    if ((isPunct(t, k - 1, '{') || isPunct(t, k - 1, ',')) && (isId(t, k) || t.kinds[k] === 'str') && (isPunct(t, k + 1, ':') || isPunct(t, k + 1, '('))) keys.push(k);
  }
  return keys;
}

/** The key of the property of the object at `open` whose value contains token `inner`, or -1. */
function propertyKeyOf(t: HostTokens, open: number, inner: number): number {
  let key = -1;
  for (const k of objectKeys(t, open)) {
    if (k < inner) key = k;
    else break;
  }
  return key;
}

/** The tag or callee chain the literal at token i is handed to (`this.agent.sql`, `db.prepare`), or undefined. */
export function clientOf(t: HostTokens, i: number): string | undefined {
  let k = i - 1;
  const tagged = t.kinds[i] === 'tpl' || t.kinds[i] === 'tplHead';
  if (tagged && isPunct(t, k, '>')) {
    // `this.agent.sql<{ id: string }>\`...\``: skip the type arguments.
    let depth = 0;
    for (let j = k; j >= Math.max(0, k - 60); j--) {
      if (isPunct(t, j, '>')) depth++;
      else if (isPunct(t, j, '>>')) depth += 2;
      else if (isPunct(t, j, '<') && --depth === 0) {
        k = j - 1;
        break;
      }
    }
  }
  if (tagged && isId(t, k)) return memberChainAt(t, k).name;
  if (isPunct(t, i - 1, '(') && isId(t, i - 2)) return memberChainAt(t, i - 2).name;
  return undefined;
}

/** The raw body of the literal starting at token i, its holes as `${}` (nested templates left out). */
function literalBody(t: HostTokens, i: number): string {
  if (t.kinds[i] !== 'tplHead') return t.text.slice(t.starts[i] + 1, t.ends[i] - 1);
  const parts: string[] = [];
  let k = i;
  for (let n = 0; n < 10_000; n++) {
    const tail = t.kinds[k] === 'tplTail';
    parts.push(t.text.slice(t.starts[k] + 1, tail ? t.ends[k] - 1 : t.ends[k] - 2));
    if (tail || t.match[k] <= k) break;
    k = t.match[k];
  }
  return parts.join('${}');
}

const STATEMENT_WORD = /\b(?:insert|replace|create|select|update|delete|pragma|merge|alter|copy)\b/i;

/**
 * A client speaks one dialect: for each tag or callee chain, the syntax evidence of all the SQL it is
 * handed in the file (outside dialect-keyed branches), when it agrees. `this.agent.sql` running
 * `CREATE VIRTUAL TABLE ... USING fts5` makes its other statements SQLite too. Branch strength.
 */
export function clientDialectEvidence(t: HostTokens): Map<string, DialectEvidence[]> {
  const seen = new Map<string, { sets: KnownDialect[][]; first: DialectEvidence }>();
  const mixed = new Set<string>();
  for (let i = 0; i < t.kinds.length; i++) {
    const k = t.kinds[i];
    if (k !== 'str' && k !== 'tpl' && k !== 'tplHead') continue;
    const body = literalBody(t, i);
    // Every construct sqlTextEvidence knows comes with one of these words; most literals have none.
    if (!STATEMENT_WORD.test(body)) continue;
    const chain = clientOf(t, i);
    if (!chain || mixed.has(chain)) continue;
    const ev = sqlTextEvidence(body, t.starts[i] + 1).filter((e) => e.strength === 'syntax');
    if (ev.length === 0 || branchEvidence(t, t.starts[i] + 1).length > 0) continue;
    const entry = seen.get(chain) ?? { sets: [], first: ev[0] };
    entry.sets.push(...ev.map((e) => e.dialects));
    seen.set(chain, entry);
  }
  const out = new Map<string, DialectEvidence[]>();
  for (const [chain, { sets, first }] of seen) {
    const common = sets.reduce<KnownDialect[]>((acc, s) => acc.filter((d) => s.includes(d)), [...sets[0]]);
    if (common.length === 0) continue;
    out.set(chain, [{ dialects: common, strength: 'branch', reason: `\`${chain}\` also runs SQL of that dialect in this file (${first.reason})`, at: first.at }]);
  }
  return out;
}

/**
 * The dialect of one region: its SQL text, its branch/client, then the file. The strongest level that
 * has evidence decides; disagreement at that level gives 'unknown' unless a weaker level picks one of
 * the candidates. `file` is fileDialectEvidence's result for the host (computed once per file).
 */
export function regionDialect(
  t: HostTokens, file: readonly DialectEvidence[], region: { text: string; hostStart: number }, clients?: ReadonlyMap<string, DialectEvidence[]>,
): DialectDecision {
  try {
    const branch = branchEvidence(t, region.hostStart);
    let client: DialectEvidence[] = [];
    if (clients && branch.length === 0) {
      const i = tokenAt(t, region.hostStart);
      const chain = i >= 0 && isLiteral(t, i) ? clientOf(t, literalStart(t, i)) : undefined;
      if (chain) client = clients.get(chain) ?? [];
    }
    const all = [...sqlTextEvidence(region.text, region.hostStart), ...branch, ...client, ...file];
    return decide(all);
  } catch {
    return { dialect: 'unknown', evidence: [] };
  }
}

/** The file's own dialect (for SQL files and summaries): imports and settings only. */
export function fileDialect(text: string, extra: readonly DialectEvidence[] = [], jsx = false): DialectDecision {
  return decide(fileDialectEvidence(hostTokens(text, jsx), extra));
}

/** Combines evidence: candidates are narrowed from the strongest level down; one left decides. */
export function decide(evidence: readonly DialectEvidence[]): DialectDecision {
  const sorted = [...evidence].sort((a, b) => RANK[b.strength] - RANK[a.strength]);
  let candidates: Set<KnownDialect> | undefined;
  const used: DialectEvidence[] = [];
  for (const level of ['syntax', 'branch', 'file', 'weak'] as DialectStrength[]) {
    const here = sorted.filter((e) => e.strength === level);
    if (here.length === 0) continue;
    // Within a level, each piece narrows; a level that would empty the set is a conflict.
    let next = candidates ? new Set(candidates) : undefined;
    let conflict = false;
    const union = new Set(here.flatMap((e) => e.dialects));
    for (const e of here) {
      const s: Set<KnownDialect> = new Set(e.dialects.filter((d) => !next || next.has(d)));
      if (s.size === 0) conflict = true;
      else next = s;
    }
    if (conflict) {
      // Disagreement at this level (a file importing pg and better-sqlite3): it narrows nothing unless
      // its union still intersects the stronger candidates.
      if (candidates) {
        const s = new Set([...candidates].filter((d) => union.has(d)));
        if (s.size > 0 && s.size < candidates.size) {
          candidates = s;
          used.push(...here.filter((e) => e.dialects.some((d) => s.has(d))));
        }
        if (candidates.size === 1) break;
        continue;
      }
      if (level === 'weak') continue;
      return { dialect: 'unknown', evidence: [...here, ...sorted.filter((e) => !here.includes(e))] };
    }
    if (level === 'weak' && !candidates) continue; // hints alone decide nothing
    if (next) {
      candidates = next;
      used.push(...here);
    }
    if (candidates && candidates.size === 1) break;
  }
  const rest = sorted.filter((e) => !used.includes(e));
  if (!candidates || candidates.size === 0) return { dialect: 'unknown', evidence: [...used, ...rest] };
  if (candidates.size === 1) return { dialect: [...candidates][0], evidence: [...used, ...rest] };
  // Several left (backticks, no other evidence): not PostgreSQL if PostgreSQL is not among them.
  return { dialect: candidates.has('postgresql') ? 'unknown' : 'other', evidence: [...used, ...rest] };
}
