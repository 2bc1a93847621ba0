/**
 * The one identifier and literal quoting of the project: quick fixes, scan SQL, migrations, the panel's
 * copied queries. Identifiers arrive unquoted and case-exact (as the catalog stores them); everything
 * that reaches SQL text goes through these helpers, so odd names (quotes, spaces, upper case, keywords,
 * unicode, newlines) can never change the meaning of a statement or a comment.
 */

/**
 * Keywords that cannot stand as a bare column/table name in every position: every keyword whose
 * category in PostgreSQL's kwlist (`pg_get_keywords()`, 15 and 17) is reserved, type_func_name or
 * col_name. Unreserved keywords are legal bare names.
 */
const KEYWORDS = new Set(`
all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both case
cast char character check coalesce collate collation column concurrently constraint create cross
current_catalog current_date current_role current_schema current_time current_timestamp current_user dec
decimal default deferrable desc distinct do else end except exists extract false fetch float for foreign
freeze from full grant greatest group grouping having ilike in initially inner inout int integer intersect
interval into is isnull join json json_array json_arrayagg json_exists json_object json_objectagg json_query
json_scalar json_serialize json_table json_value lateral leading least left like limit localtime
localtimestamp merge_action national natural nchar none normalize not notnull null nullif numeric offset on
only or order out outer overlaps overlay placing position precision primary real references returning right
row select session_user setof similar smallint some substring symmetric system_user table tablesample then
time timestamp to trailing treat trim true union unique user using values varchar variadic verbose when where
window with xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot
xmlserialize xmltable`.split(/\s+/).filter(Boolean));

/** An identifier as SQL text: bare when PostgreSQL would read it back unchanged, double-quoted otherwise. */
export function quoteIdent(name: string): string {
  if (/^[a-z_][a-z0-9_]*$/.test(name) && !KEYWORDS.has(name)) return name;
  return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.name` with each part quoted as needed. */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * A string literal. Backslashes force the E'' form (doubling them), so the literal means the same
 * whatever standard_conforming_strings says, as PostgreSQL's own quote_literal does.
 */
export function quoteLiteral(value: string): string {
  const body = value.replace(/'/g, "''");
  if (value.includes('\\')) return `E'${body.replace(/\\/g, '\\\\')}'`;
  return `'${body}'`;
}

/** Text safe inside a `--` comment line: a line break in a name must not end the comment. */
export function commentSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Wraps a body in dollar quotes whose tag does not occur in it. */
export function dollarQuote(body: string, base = 'dg'): string {
  let tag = base;
  for (let i = 0; body.includes(`$${tag}$`); i++) tag = `${base}${i}`;
  return `$${tag}$${body}$${tag}$`;
}

/** PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1); cut on a character boundary. */
export function truncateIdent(name: string, maxBytes = 63): string {
  if (utf8Length(name) <= maxBytes) return name;
  let out = '';
  for (const ch of name) {
    if (utf8Length(out + ch) > maxBytes) break;
    out += ch;
  }
  return out;
}

const encoder = new TextEncoder();
function utf8Length(s: string): number {
  return encoder.encode(s).length;
}

/**
 * A new identifier made of `base` and `suffix` that fits in 63 bytes (the base is shortened, the
 * suffix kept) and is not in `taken`.
 */
export function makeName(base: string, suffix: string, taken: Iterable<string> = []): string {
  const used = new Set(taken);
  for (let i = 0; ; i++) {
    const tail = i === 0 ? suffix : `${suffix}${i}`;
    const head = truncateIdent(base, 63 - utf8Length(tail));
    const name = `${head}${tail}`;
    if (!used.has(name)) return name;
  }
}
