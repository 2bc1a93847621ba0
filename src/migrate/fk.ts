/**
 * Reads the column lists out of a foreign key definition as pg_get_constraintdef prints it, e.g.
 * `FOREIGN KEY (a, "B c") REFERENCES s."T"(id) ON DELETE CASCADE NOT VALID`.
 */

/** Columns of a parsed foreign key: `columns` in the referencing table, `refColumns` in ours. */
export interface ParsedForeignKey {
  columns: string[];
  refColumns: string[];
  /** Where the referenced table's name stands in the definition (start inclusive, end exclusive). */
  refTableSpan: [number, number];
}

/**
 * The definition with the referenced table named as `qualified`. pg_get_constraintdef qualifies the
 * name only when it is not on the introspecting session's search_path, which need not be the
 * search_path of whoever runs the script.
 */
export function withReferencedTable(definition: string, parsed: ParsedForeignKey, qualified: string): string {
  const s = definition.trim();
  return `${s.slice(0, parsed.refTableSpan[0])}${qualified}${s.slice(parsed.refTableSpan[1])}`;
}

/** Parses a foreign key definition; undefined when the text is not one dupguard can read. */
export function parseForeignKey(definition: string): ParsedForeignKey | undefined {
  const s = definition.trim();
  const m = /^FOREIGN\s+KEY\s*\(/i.exec(s);
  if (!m) return undefined;
  const first = readIdentList(s, m[0].length);
  if (!first) return undefined;
  let i = skipSpace(s, first.end);
  const ref = /^REFERENCES\s+/i.exec(s.slice(i));
  if (!ref) return undefined;
  i += ref[0].length;
  const tableStart = i;
  // Skip the (possibly qualified, possibly quoted) referenced table name up to its column list.
  while (i < s.length && s[i] !== '(') {
    if (s[i] === '"') {
      i++;
      while (i < s.length && !(s[i] === '"' && s[i + 1] !== '"')) i += s[i] === '"' ? 2 : 1;
    }
    i++;
  }
  if (s[i] !== '(') return undefined;
  let tableEnd = i;
  while (tableEnd > tableStart && /\s/.test(s[tableEnd - 1])) tableEnd--;
  const second = readIdentList(s, i + 1);
  if (!second || second.names.length !== first.names.length) return undefined;
  return { columns: first.names, refColumns: second.names, refTableSpan: [tableStart, tableEnd] };
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && /\s/.test(s[i])) i++;
  return i;
}

/** Reads `a, "b ""c""", d)` starting after the opening parenthesis. */
function readIdentList(s: string, start: number): { names: string[]; end: number } | undefined {
  const names: string[] = [];
  let i = start;
  for (;;) {
    i = skipSpace(s, i);
    if (s[i] === '"') {
      let name = '';
      i++;
      for (;;) {
        if (i >= s.length) return undefined;
        if (s[i] === '"') {
          if (s[i + 1] === '"') { name += '"'; i += 2; continue; }
          i++;
          break;
        }
        name += s[i++];
      }
      names.push(name);
    } else {
      const m = /^[^\s,()"]+/.exec(s.slice(i));
      if (!m) return undefined;
      // Bare names in catalog output are already folded to lower case; keep them as printed.
      names.push(m[0]);
      i += m[0].length;
    }
    i = skipSpace(s, i);
    if (s[i] === ',') { i++; continue; }
    if (s[i] === ')') return { names, end: i + 1 };
    return undefined;
  }
}
