/**
 * Dialect evidence as data: driver and dialect modules, ORM constructs that exist for one back end
 * only, configuration values, and SQL that only one back end accepts. The reader is generic.
 */
import { STR as STR_IMPORT, TPL as TPL_IMPORT, TPL_PART as TPL_PART_IMPORT, type TokenStream } from './stream';
import { dialectHints, HINT_IMPORT, HINT_SETTING, type DialectHints } from '../dialect-hints';
import type { Dialect, DialectEvidence } from './types';

// Token kinds as local constants: a cross-module constant read is a getter call per token under CommonJS.
const STR: number = STR_IMPORT;
const TPL: number = TPL_IMPORT;
const TPL_PART: number = TPL_PART_IMPORT;

/** Module specifiers (exact, or a prefix ending in `/`) that tie a file to one dialect. */
const MODULES: ReadonlyArray<[Dialect, readonly string[]]> = [
  ['postgresql', [
    'pg', 'pg-promise', 'postgres', 'pg-pool', '@neondatabase/serverless', '@vercel/postgres', '@electric-sql/pglite', '@supabase/postgres-js',
    'drizzle-orm/pg-core', 'drizzle-orm/node-postgres', 'drizzle-orm/postgres-js', 'drizzle-orm/neon-http', 'drizzle-orm/neon-serverless',
    'drizzle-orm/vercel-postgres', 'drizzle-orm/pglite', 'drizzle-orm/aws-data-api/pg', 'drizzle-orm/xata-http',
    '@mikro-orm/postgresql', '@prisma/adapter-pg', '@prisma/adapter-neon', '@prisma/adapter-pg-worker', 'kysely-postgres-js', 'kysely-neon',
  ]],
  ['mysql', [
    'mysql', 'mysql2', 'mysql2/promise', 'mariadb', '@planetscale/database', 'drizzle-orm/mysql-core', 'drizzle-orm/mysql2',
    'drizzle-orm/planetscale-serverless', 'drizzle-orm/tidb-serverless', '@mikro-orm/mysql', '@mikro-orm/mariadb', '@prisma/adapter-planetscale',
    '@prisma/adapter-mariadb', 'kysely-planetscale',
  ]],
  ['sqlite', [
    'better-sqlite3', 'sqlite3', 'sqlite', 'bun:sqlite', 'node:sqlite', 'expo-sqlite', '@libsql/client', 'drizzle-orm/sqlite-core',
    'drizzle-orm/better-sqlite3', 'drizzle-orm/libsql', 'drizzle-orm/d1', 'drizzle-orm/bun-sqlite', 'drizzle-orm/expo-sqlite',
    'drizzle-orm/op-sqlite', 'drizzle-orm/durable-sqlite', '@mikro-orm/sqlite', '@mikro-orm/better-sqlite', '@mikro-orm/libsql',
    '@prisma/adapter-libsql', '@prisma/adapter-d1', '@prisma/adapter-better-sqlite3', 'kysely-d1', 'kysely-bun-sqlite',
  ]],
  ['mssql', ['mssql', 'tedious', '@mikro-orm/mssql', '@prisma/adapter-mssql']],
];

const MODULE_DIALECT = new Map<string, Dialect>();
for (const [d, mods] of MODULES) for (const m of mods) MODULE_DIALECT.set(m, d);

/** Identifiers of one dialect's ORM constructs (Drizzle table builders, Kysely dialect classes). */
const CONSTRUCTS = new Map<string, Dialect>([
  ['pgTable', 'postgresql'], ['pgSchema', 'postgresql'], ['pgTableCreator', 'postgresql'], ['pgEnum', 'postgresql'], ['PostgresDialect', 'postgresql'],
  ['mysqlTable', 'mysql'], ['mysqlSchema', 'mysql'], ['mysqlTableCreator', 'mysql'], ['MysqlDialect', 'mysql'],
  ['sqliteTable', 'sqlite'], ['sqliteTableCreator', 'sqlite'], ['SqliteDialect', 'sqlite'],
  ['MssqlDialect', 'mssql'],
]);

/** First characters of CONSTRUCTS, to skip most identifiers without slicing them. */
const CONSTRUCT_FIRST = new Set([...CONSTRUCTS.keys()].map((k) => k.charCodeAt(0)));

/** Values of the setting keys (../dialect-hints.ts) that name a back end. */
const CONFIG_VALUES = new Map<string, Dialect>([
  ['pg', 'postgresql'], ['postgres', 'postgresql'], ['postgresql', 'postgresql'], ['cockroachdb', 'postgresql'], ['pgnative', 'postgresql'],
  ['mysql', 'mysql'], ['mysql2', 'mysql'], ['mariadb', 'mysql'],
  ['sqlite', 'sqlite'], ['sqlite3', 'sqlite'], ['better-sqlite3', 'sqlite'], ['better-sqlite', 'sqlite'], ['libsql', 'sqlite'], ['capacitor', 'sqlite'],
  ['mssql', 'mssql'], ['sqlserver', 'mssql'],
]);

/** SQL (or driver error codes) that only one back end has, looked for inside string literals. */
const SQL_MARKERS: ReadonlyArray<[RegExp, Dialect, string]> = [
  [/\bUNHEX\s*\(/i, 'mysql', 'UNHEX('],
  [/\bON\s+DUPLICATE\s+KEY\s+UPDATE\b/i, 'mysql', 'ON DUPLICATE KEY UPDATE'],
  [/\bINSERT\s+IGNORE\b/i, 'mysql', 'INSERT IGNORE'],
  [/^ER_DUP_ENTRY$/, 'mysql', 'ER_DUP_ENTRY'],
  [/\bINSERT\s+OR\s+(?:IGNORE|REPLACE)\b/i, 'sqlite', 'INSERT OR IGNORE'],
  [/\bsqlite_master\b/i, 'sqlite', 'sqlite_master'],
  [/^SQLITE_CONSTRAINT/, 'sqlite', 'SQLITE_CONSTRAINT'],
];

/** Substrings (in the cases SQL is written in) that must occur before the markers are looked for. */
const MARKER_WORDS = ['UNHEX', 'unhex', 'DUPLICATE', 'duplicate', 'IGNORE', 'ignore', 'ER_DUP_ENTRY', 'sqlite_master', 'SQLITE_CONSTRAINT', 'INSERT OR', 'insert or'];

/** MARKER_WORDS as one pattern: one scan of the text instead of one per word. */
const MARKER_WORD = new RegExp(MARKER_WORDS.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));

/** The markers' common shape, to find them in the text before testing each. */
const SQL_MARKER_HINT = /UNHEX|DUPLICATE\s+KEY|INSERT\s+(?:IGNORE|OR)|ER_DUP_ENTRY|sqlite_master|SQLITE_CONSTRAINT/i;

/** Module name without a subpath beyond what the tables list (`pg/lib/x` → `pg`). */
function moduleDialect(spec: string): Dialect | undefined {
  const exact = MODULE_DIALECT.get(spec);
  if (exact) return exact;
  const parts = spec.split('/');
  for (let n = parts.length - 1; n >= 1; n--) {
    const d = MODULE_DIALECT.get(parts.slice(0, n).join('/'));
    if (d) return d;
  }
  return undefined;
}

/**
 * The dialect evidence of a file that decides (settleDialect), in host order: its imports and ORM
 * constructs, and only when it has none of those, the dialect-only SQL in its strings (weaker
 * evidence, which cannot change a dialect that stronger evidence settles, so most files are not
 * scanned for it). `hints`: the file's dialect hints (../dialect-hints.ts) as the engine keeps them
 * with its token stream; found here when not given.
 */
export function dialectEvidence(ts: TokenStream, hints: DialectHints = dialectHints(ts)): DialectEvidence[] {
  const out: DialectEvidence[] = [];
  const { starts, ends } = ts;
  for (let h = 0; h < hints.at.length; h++) {
    const i = hints.at[h];
    const kind = hints.kind[h];
    if (kind === HINT_IMPORT) {
      const mod = ts.str(i)!;
      const d = moduleDialect(mod);
      if (d) out.push({ dialect: d, strength: 'import', reason: `import '${mod}'`, span: { start: starts[i], end: ends[i] } });
    } else if (kind === HINT_SETTING) {
      // `client: 'pg'`, `dialect: 'postgres'`, `type: 'mysql'` (a key before a colon), not a `?:` branch
      if (ts.isP(i - 3, '?')) continue;
      const d = CONFIG_VALUES.get(ts.str(i) ?? '');
      if (d) out.push({ dialect: d, strength: 'orm', reason: `${ts.val(i - 2)}: ${ts.val(i)}`, span: { start: starts[i - 2], end: ends[i] } });
    } else {
      const len = ends[i] - starts[i];
      // a call or a `new`, not a property of something else (hints are never after `.`)
      if (len > 18 || !CONSTRUCT_FIRST.has(ts.text.charCodeAt(starts[i])) || !(ts.isP(i + 1, '(') || ts.isId(i - 1, 'new'))) continue;
      const d = CONSTRUCTS.get(ts.val(i));
      if (d) out.push({ dialect: d, strength: 'orm', reason: ts.val(i), span: { start: starts[i], end: ends[i] } });
    }
  }
  // a whole-text pre-test first: most files have no dialect-only SQL
  if (out.length === 0 && MARKER_WORD.test(ts.text)) sqlMarkers(ts, out);
  return out;
}

/** Dialect-only SQL inside string and template literals: one regex pass over the text, hits kept when a literal holds them. */
function sqlMarkers(ts: TokenStream, out: DialectEvidence[]): void {
  const re = new RegExp(SQL_MARKER_HINT.source, 'gi');
  const seen = new Set<number>();
  for (let m = re.exec(ts.text); m; m = re.exec(ts.text)) {
    const at = m.index;
    let i = ts.at(at + 1) - 1;
    if (i < 0 || ts.ends[i] <= at) continue;
    const k = ts.kinds[i];
    if ((k !== STR && k !== TPL && k !== TPL_PART) || seen.has(i)) continue;
    const s = ts.text.slice(ts.starts[i], ts.ends[i]);
    const body = k === TPL_PART ? s : ts.str(i) ?? s;
    for (const [marker, d, reason] of SQL_MARKERS) {
      if (marker.test(body)) { out.push({ dialect: d, strength: 'sql', reason, span: { start: ts.starts[i], end: ts.ends[i] } }); seen.add(i); break; }
    }
  }
  out.sort((a, b) => a.span.start - b.span.start);
}

const RANK = { import: 0, orm: 0, sql: 1 } as const;

/**
 * The dialect a list of evidence settles on: the strongest level decides (imports and ORM constructs
 * over SQL text); two dialects there is mixed. Undefined dialect: no evidence, or mixed.
 */
export function settleDialect(evidence: readonly DialectEvidence[]): { dialect?: Dialect; mixed: boolean } {
  if (evidence.length === 0) return { mixed: false };
  const best = Math.min(...evidence.map((e) => RANK[e.strength]));
  const found = new Set(evidence.filter((e) => RANK[e.strength] === best).map((e) => e.dialect));
  if (found.size === 1) return { dialect: [...found][0], mixed: false };
  return { mixed: true };
}

/** PostgreSQL rules apply: PostgreSQL evidence, or none at all. */
export function runsOnPostgres(dialect: Dialect | undefined, mixed = false): boolean {
  return !mixed && (dialect === undefined || dialect === 'postgresql');
}
