/**
 * Reading names as a user writes them (`schema.table`, `"My Schema"."T"`, a bare or quoted column):
 * the inverse of core/quote.ts. Double quotes keep a name exact; a bare name folds as PostgreSQL folds it.
 */

/** Splits `a.b`, `"a.b"."c"`, `t` into [schema | undefined, name], honouring double quotes. */
export function parseQualifiedName(text: string): [string | undefined, string] {
  const parts = splitOutsideQuotes(text.trim(), '.').map(unquoteIdent);
  if (parts.length === 1) return [undefined, parts[0]];
  if (parts.length === 2) return [parts[0], parts[1]];
  throw new Error(`'${text}' is not a table name: expected table or schema.table (quote names containing dots)`);
}

/** The first `ch` outside double quotes, or -1. */
export function indexOutsideQuotes(s: string, ch: string): number {
  let q = false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') q = !q;
    else if (!q && s[i] === ch) return i;
  }
  return -1;
}

/** Splits at every `sep` outside double quotes (the quotes stay in the parts). */
export function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let q = false;
  let cur = '';
  for (const c of s) {
    if (c === '"') q = !q;
    if (c === sep && !q) { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

/** `"a""b"` → `a"b`; a bare name comes back trimmed, as written. */
export function unquoteIdent(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/""/g, '"');
  return t;
}

/**
 * A column a user wrote, among a table's column names: a double-quoted name exactly; a bare one as
 * written, else as PostgreSQL folds it (lower case): `User` finds `user`.
 */
export function resolveColumn(names: Set<string>, written: string): string | undefined {
  const t = written.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    const exact = unquoteIdent(t);
    return names.has(exact) ? exact : undefined;
  }
  if (names.has(t)) return t;
  return names.has(t.toLowerCase()) ? t.toLowerCase() : undefined;
}
