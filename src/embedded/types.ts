/**
 * SQL found inside a TS/JS host file. `text` has the same length as the host range it came from
 * wherever possible: each `${expr}` becomes a placeholder of exactly the same length, so that
 * `toHost(offset)` is exact for every offset of `text`.
 *
 * Placeholders: an interpolation keeps its original text when the SQL lexer can read it as one opaque
 * `${...}` token (no braces, quotes, backticks, backslashes or line breaks inside: `${table}`,
 * `${ids.length}`); otherwise it becomes `${___}` padded with underscores to the same length.
 * Escapes: `text` is the cooked value (`'it\'s'` → `it's`, `"\n"` → a line feed, template CR LF → LF),
 * so it can be shorter than its host range; `toHost` maps every code unit of an escape's cooked value
 * to the escape's backslash, and text.length to the closing delimiter. Literals joined by `+` become
 * one piece; the host text between them is skipped by the map.
 */
export interface EmbeddedSql {
  /** The SQL as the database would receive it, with interpolations replaced by same-length placeholders. */
  text: string;
  /** Offset in the host file of text[0]. */
  hostStart: number;
  /** Maps an offset into `text` (0..text.length) to an offset into the host file. */
  toHost(offset: number): number;
  /** How it was found: a tagged template, an argument of a query function, or a literal that starts like SQL. */
  via: 'tag' | 'call' | 'literal';
  /** The tag or function name when via is 'tag' or 'call'. */
  name?: string;
  /** Offsets of interpolations (placeholders) inside `text`: [start, end) pairs. */
  placeholders: Array<[number, number]>;
}
