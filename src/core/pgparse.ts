/**
 * Lazy wrapper around libpg-query (PostgreSQL's own parser compiled to WASM). Loaded once, on first
 * use, never on the lexer's hot path: rules and tests call it to confirm a statement. Locations in
 * its AST are UTF-8 byte offsets; `parseStatement` returns UTF-16 offsets (as JS strings index).
 */

// Loaded on demand: requiring libpg-query starts instantiating its WASM module at once.
type PgQuery = { loadModule(): Promise<void>; parseSync(sql: string): any };
let mod: PgQuery | undefined;
let loaded = false;
let loading: Promise<boolean> | undefined;
let loadError: Error | undefined;
/** The longest text parsed in one call (the same bound as schema/pg.ts). */
const MAX_PARSE_CHARS = 1 << 20;

/** Loads the parser once; resolves false (never rejects) when the WASM cannot be loaded. */
export function loadPgParser(): Promise<boolean> {
  if (!loading) {
    loading = (async () => {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        mod = require('libpg-query') as PgQuery;
        await mod.loadModule();
        loaded = true;
      } catch (e) {
        loadError = e instanceof Error ? e : new Error(String(e));
        loaded = false;
      }
      return loaded;
    })();
  }
  return loading;
}

/** Whether `loadPgParser()` has finished successfully (synchronous parsing is available). */
export function pgParserReady(): boolean {
  return loaded;
}

/** Why the parser failed to load, if it did. */
export function pgParserError(): Error | undefined {
  return loadError;
}

export interface PgParseOk {
  ok: true;
  /** `stmts` of libpg-query's result, with locations still in bytes (see `byteToUtf16`). */
  stmts: any[];
  tree: any;
}
export interface PgParseError {
  ok: false;
  message: string;
  /** UTF-16 offset into the parsed text where PostgreSQL reports the error, if known. */
  offset?: number;
}

/**
 * Parses SQL text synchronously. Requires `await loadPgParser()` first; returns undefined when the
 * parser is not loaded. Never throws.
 */
export function parseSql(sql: string): PgParseOk | PgParseError | undefined {
  if (!loaded || !mod) return undefined;
  // As schema/pg.ts MAX_PARSE_CHARS: the WASM parser's memory grows by ~80 bytes per byte parsed and never shrinks.
  if (sql.length > MAX_PARSE_CHARS) return { ok: false, message: `not parsed: longer than ${MAX_PARSE_CHARS} characters` };
  try {
    const tree = mod.parseSync(sql);
    return { ok: true, stmts: tree?.stmts ?? [], tree };
  } catch (e: any) {
    const pos = e?.sqlDetails?.cursorPosition;
    return {
      ok: false,
      message: String(e?.message ?? e),
      // PostgreSQL reports the error cursor in characters (code points), 0-based here.
      offset: typeof pos === 'number' && pos >= 0 ? codePointToUtf16(sql, pos) : undefined,
    };
  }
}

/** Parses and throws nothing; true when PostgreSQL's grammar accepts the text. */
export function pgAccepts(sql: string): boolean | undefined {
  const r = parseSql(sql);
  return r === undefined ? undefined : r.ok;
}

/** Converts a code point index into `text` to a UTF-16 offset. */
export function codePointToUtf16(text: string, cp: number): number {
  let i = 0;
  for (let n = 0; n < cp && i < text.length; n++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}

/** Converts a UTF-8 byte offset into `text` to a UTF-16 offset. Linear in the offset; ASCII is O(1). */
export function byteToUtf16(text: string, byteOffset: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length && bytes < byteOffset) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) { bytes += 4; i++; }
    else bytes += 3;
    i++;
  }
  return i;
}

/**
 * Rewrites every `location` / `stmt_location` field of a libpg-query tree (in place) from UTF-8 byte
 * offsets to UTF-16 offsets into `text`, plus `base` (to make them file offsets). Returns the tree.
 */
export function locationsToUtf16<N>(tree: N, text: string, base = 0): N {
  // eslint-disable-next-line no-control-regex
  const ascii = !/[^\x00-\x7f]/.test(text);
  const map = (b: number) => (ascii ? b : byteToUtf16(text, b)) + base;
  const walk = (node: any): void => {
    if (Array.isArray(node)) { for (const n of node) walk(n); return; }
    if (node === null || typeof node !== 'object') return;
    for (const k of Object.keys(node)) {
      const v = node[k];
      if ((k === 'location' || k === 'stmt_location') && typeof v === 'number' && v >= 0) node[k] = map(v);
      else if (typeof v === 'object') walk(v);
    }
  };
  walk(tree);
  return tree;
}
