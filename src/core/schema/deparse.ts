/**
 * A small printer for the expression nodes that appear in DDL (defaults, index elements, partial
 * index predicates, ON CONFLICT arbiters). It prints a canonical form, so two spellings of the same
 * predicate (`deleted_at IS NULL`, `(deleted_at is null)`) compare equal after `normalizeSql`.
 * Nodes it does not know print as `?`, which never equals a real expression.
 */

import { quoteIdent, quoteLiteral } from '../quote';

export { quoteIdent };

/**
 * A type or function name part: bare when it is a plain lower-case word (type names such as `numeric`
 * or `interval` are keywords that stand bare in a type position), quoted otherwise, so a name from a
 * file can never add text to the statement it is printed into.
 */
function namePart(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : quoteIdent(name);
}

/** An operator name: operator characters only (anything else prints as `?`). */
function operatorName(names: string[]): string {
  const op = names[names.length - 1] ?? '';
  if (!/^[~!@#%^&|`?+\-*/<>=]+$/.test(op)) return '?';
  const schema = names.slice(0, -1);
  return schema.length ? `OPERATOR(${schema.map(quoteIdent).join('.')}.${op})` : op;
}

function str(n: any): string {
  return n?.String?.sval ?? n?.sval ?? '';
}

/** Name of a type node as format_type would print the common ones. */
export function typeName(t: any): string {
  if (!t) return '';
  const names: string[] = (t.names ?? []).map(str);
  const parts = names.length > 1 && names[0] === 'pg_catalog' ? names.slice(-1) : names;
  const joined = parts.join('.');
  let base = TYPE_NAMES[joined] ?? parts.map(namePart).join('.');
  const mods = (t.typmods ?? []).map((m: any) => expr(m)).filter((s: string) => s !== '?');
  if (mods.length && !/^(timestamp|time)\b/.test(base)) base += `(${mods.join(',')})`;
  else if (mods.length) base = base.replace(/^(timestamp|time)/, `$1(${mods.join(',')})`);
  if (t.arrayBounds?.length) base += '[]'.repeat(t.arrayBounds.length);
  return base;
}

const TYPE_NAMES: Record<string, string> = {
  int4: 'integer', int: 'integer', int8: 'bigint', int2: 'smallint', float8: 'double precision', float4: 'real',
  bool: 'boolean', varchar: 'character varying', bpchar: 'character', timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone', timetz: 'time with time zone', time: 'time without time zone',
  serial: 'integer', serial4: 'integer', bigserial: 'bigint', serial8: 'bigint', smallserial: 'smallint', serial2: 'smallint',
  decimal: 'numeric',
};

const SVF: Record<string, string> = {
  SVFOP_CURRENT_DATE: 'CURRENT_DATE', SVFOP_CURRENT_TIME: 'CURRENT_TIME', SVFOP_CURRENT_TIME_N: 'CURRENT_TIME',
  SVFOP_CURRENT_TIMESTAMP: 'CURRENT_TIMESTAMP', SVFOP_CURRENT_TIMESTAMP_N: 'CURRENT_TIMESTAMP',
  SVFOP_LOCALTIME: 'LOCALTIME', SVFOP_LOCALTIME_N: 'LOCALTIME', SVFOP_LOCALTIMESTAMP: 'LOCALTIMESTAMP',
  SVFOP_LOCALTIMESTAMP_N: 'LOCALTIMESTAMP', SVFOP_CURRENT_ROLE: 'CURRENT_ROLE', SVFOP_CURRENT_USER: 'CURRENT_USER',
  SVFOP_USER: 'USER', SVFOP_SESSION_USER: 'SESSION_USER', SVFOP_CURRENT_CATALOG: 'CURRENT_CATALOG',
  SVFOP_CURRENT_SCHEMA: 'CURRENT_SCHEMA',
};

/** Prints an expression node (the `{ Kind: {...} }` wrapper) as SQL text. */
export function expr(node: any): string {
  if (!node || typeof node !== 'object') return '?';
  const [kind] = Object.keys(node);
  const n = node[kind];
  switch (kind) {
    case 'ColumnRef':
      return (n.fields ?? []).map((f: any) => (f.A_Star ? '*' : quoteIdent(str(f)))).join('.');
    case 'A_Const':
      if (n.isnull) return 'NULL';
      if (n.sval) return quoteLiteral(String(n.sval.sval ?? ''));
      if (n.ival) return String(n.ival.ival ?? 0);
      if (n.fval) return /^[0-9.eE+-]+$/.test(String(n.fval.fval)) ? String(n.fval.fval) : '?';
      if (n.boolval) return n.boolval.boolval ? 'true' : 'false';
      if (n.bsval) {
        // The parser keeps the prefix: `b0101` for B'0101', `x1f` for X'1f'.
        const m = /^([bx])([0-9a-fA-F]*)$/.exec(String(n.bsval.bsval ?? ''));
        return m ? `${m[1].toUpperCase()}'${m[2]}'` : '?';
      }
      return '?';
    case 'Integer':
      return String(n.ival ?? 0);
    case 'String':
      return quoteLiteral(String(n.sval ?? ''));
    case 'TypeCast':
      return `${wrap(n.arg)}::${typeName(n.typeName)}`;
    case 'FuncCall': {
      const names: string[] = (n.funcname ?? []).map(str);
      const name = (names.length > 1 && names[0] === 'pg_catalog' ? names.slice(-1) : names).map(quoteIdent).join('.');
      const args = n.agg_star ? '*' : (n.args ?? []).map(expr).join(', ');
      return `${name}(${n.agg_distinct ? 'DISTINCT ' : ''}${args})`;
    }
    case 'SQLValueFunction':
      return SVF[n.op] ?? '?';
    case 'ParamRef':
      return `$${n.number ?? 0}`;
    case 'A_Expr': {
      const op = operatorName((n.name ?? []).map(str));
      switch (n.kind) {
        case 'AEXPR_OP':
          return n.lexpr ? `${wrap(n.lexpr)} ${op} ${wrap(n.rexpr)}` : `${op} ${wrap(n.rexpr)}`;
        case 'AEXPR_IN':
          return `${wrap(n.lexpr)} ${op === '<>' ? 'NOT IN' : 'IN'} (${(n.rexpr?.List?.items ?? []).map(expr).join(', ')})`;
        case 'AEXPR_LIKE':
          return `${wrap(n.lexpr)} ${op === '!~~' ? 'NOT LIKE' : 'LIKE'} ${wrap(n.rexpr)}`;
        case 'AEXPR_ILIKE':
          return `${wrap(n.lexpr)} ${op === '!~~*' ? 'NOT ILIKE' : 'ILIKE'} ${wrap(n.rexpr)}`;
        case 'AEXPR_DISTINCT':
          return `${wrap(n.lexpr)} IS DISTINCT FROM ${wrap(n.rexpr)}`;
        case 'AEXPR_NOT_DISTINCT':
          return `${wrap(n.lexpr)} IS NOT DISTINCT FROM ${wrap(n.rexpr)}`;
        case 'AEXPR_OP_ANY':
          return `${wrap(n.lexpr)} ${op} ANY (${expr(n.rexpr)})`;
        case 'AEXPR_OP_ALL':
          return `${wrap(n.lexpr)} ${op} ALL (${expr(n.rexpr)})`;
        case 'AEXPR_BETWEEN':
        case 'AEXPR_NOT_BETWEEN': {
          const items = n.rexpr?.List?.items ?? [];
          return `${wrap(n.lexpr)} ${n.kind === 'AEXPR_BETWEEN' ? 'BETWEEN' : 'NOT BETWEEN'} ${wrap(items[0])} AND ${wrap(items[1])}`;
        }
        default:
          return '?';
      }
    }
    case 'BoolExpr': {
      const args = (n.args ?? []).map(wrap);
      if (n.boolop === 'NOT_EXPR') return `NOT ${args[0]}`;
      return args.join(n.boolop === 'AND_EXPR' ? ' AND ' : ' OR ');
    }
    case 'NullTest':
      return `${wrap(n.arg)} ${n.nulltesttype === 'IS_NOT_NULL' ? 'IS NOT NULL' : 'IS NULL'}`;
    case 'BooleanTest':
      return `${wrap(n.arg)} ${String(n.booltesttype ?? '').replace(/_/g, ' ')}`;
    case 'CoalesceExpr':
      return `COALESCE(${(n.args ?? []).map(expr).join(', ')})`;
    case 'MinMaxExpr':
      return `${n.op === 'IS_GREATEST' ? 'GREATEST' : 'LEAST'}(${(n.args ?? []).map(expr).join(', ')})`;
    case 'A_ArrayExpr':
      return `ARRAY[${(n.elements ?? []).map(expr).join(', ')}]`;
    case 'RowExpr':
      return `ROW(${(n.args ?? []).map(expr).join(', ')})`;
    case 'CollateClause':
      return `${wrap(n.arg)} COLLATE ${(n.collname ?? []).map((c: any) => quoteIdent(str(c))).join('.')}`;
    case 'A_Indirection':
      return `(${expr(n.arg)})${(n.indirection ?? []).map((i: any) => (i.String ? `.${quoteIdent(str(i))}` : i.A_Indices ? `[${expr(i.A_Indices.uidx)}]` : '')).join('')}`;
    case 'CaseExpr': {
      const whens = (n.args ?? []).map((w: any) => `WHEN ${expr(w.CaseWhen?.expr)} THEN ${expr(w.CaseWhen?.result)}`);
      return `CASE ${n.arg ? expr(n.arg) + ' ' : ''}${whens.join(' ')}${n.defresult ? ' ELSE ' + expr(n.defresult) : ''} END`;
    }
    default:
      return '?';
  }
}

function wrap(node: any): string {
  if (!node) return '?';
  const kind = Object.keys(node)[0];
  const s = expr(node);
  return kind === 'A_Expr' || kind === 'BoolExpr' || kind === 'NullTest' || kind === 'BooleanTest' ? `(${s})` : s;
}

/** Canonical comparison form of an SQL expression text: lower case, no blanks, no parentheses. */
export function normalizeSql(text: string): string {
  return text.toLowerCase().replace(/::[a-z_][a-z0-9_]*(\[\])*/g, '').replace(/[\s()"]/g, '');
}
