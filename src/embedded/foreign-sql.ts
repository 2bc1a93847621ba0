/**
 * Reads a statement written for another dialect (MySQL, MariaDB, SQLite, SQL Server) with
 * node-sql-parser, for rules that speak about those dialects in their own terms. PostgreSQL itself is
 * parsed by libpg-query elsewhere. Each dialect's grammar (200-300 kB) loads on first use only.
 */
import type { AST, Parser } from 'node-sql-parser';

export type ForeignDialect = 'mysql' | 'mariadb' | 'sqlite' | 'mssql';

export type ForeignParse =
  | { ok: true; dialect: ForeignDialect; statements: AST[] }
  | { ok: false; dialect: ForeignDialect; error: string };

/** node-sql-parser's `database` option for each dialect. */
const DATABASE: Record<ForeignDialect, string> = { mysql: 'MySQL', mariadb: 'MariaDB', sqlite: 'Sqlite', mssql: 'TransactSQL' };

const parsers = new Map<ForeignDialect, Parser>();

/** The dialect's parser, loaded on first use (one grammar per dialect, not the 2.5 MB all-dialect build). */
function parserFor(dialect: ForeignDialect): Parser {
  let p = parsers.get(dialect);
  if (!p) {
    // Literal specifiers so that the bundler includes exactly these four grammars.
    const mod = (dialect === 'mysql' ? require('node-sql-parser/build/mysql')
      : dialect === 'mariadb' ? require('node-sql-parser/build/mariadb')
        : dialect === 'sqlite' ? require('node-sql-parser/build/sqlite')
          : require('node-sql-parser/build/transactsql')) as { Parser: new () => Parser };
    p = new mod.Parser();
    parsers.set(dialect, p);
  }
  return p;
}

/** Parses `sql` (one or more statements) in `dialect`. Never throws: a syntax error or an unsupported construct gives `ok: false`. */
export function parseForeign(sql: string, dialect: ForeignDialect): ForeignParse {
  try {
    const ast = parserFor(dialect).astify(sql, { database: DATABASE[dialect] });
    return { ok: true, dialect, statements: Array.isArray(ast) ? ast : [ast] };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, dialect, error: message.length > 300 ? `${message.slice(0, 300)}...` : message };
  }
}

/** The dialects node-sql-parser reads for a region's dialect ('other' and 'postgresql' are not read here). */
export function foreignDialectOf(dialect: string): ForeignDialect | undefined {
  return dialect === 'mysql' || dialect === 'sqlite' || dialect === 'mssql' || dialect === 'mariadb' ? dialect : undefined;
}
