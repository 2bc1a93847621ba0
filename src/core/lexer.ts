/**
 * Tolerant PostgreSQL + psql lexer: a hand-written char-code state machine writing tokens into
 * parallel typed arrays (type, start, end). Whitespace is skipped; comments are kept (suppressions
 * live in them). Never throws; every loop advances, so time is linear in the input length:
 * unterminated strings, comments and quotes simply run to the end of the range.
 */

/** Token kinds (numeric so they fit a Uint8Array). */
export const enum T {
  /** Identifier or keyword (unquoted; may contain `$` after the first char). */
  Word = 0,
  /** "quoted identifier" or U&"...". */
  QIdent = 1,
  /** '...', E'...', U&'...', B'...', X'...', N'...'. */
  String = 2,
  /** $$...$$ or $tag$...$tag$. */
  Dollar = 3,
  Number = 4,
  Operator = 5,
  LParen = 6,
  RParen = 7,
  Comma = 8,
  Semi = 9,
  Dot = 10,
  /** `::` */
  Cast = 11,
  /** `$1` */
  Param = 12,
  /** psql `:var`, `:'var'`, `:"var"`. */
  PsqlVar = 13,
  /** psql backslash command, to end of line. */
  PsqlMeta = 14,
  /** Rows after `COPY ... FROM stdin;` up to and including the `\.` line (or EOF). */
  CopyData = 15,
  LineComment = 16,
  BlockComment = 17,
  /** `{{ ... }}` or `${ ... }` template placeholder. */
  Template = 18,
  LBracket = 19,
  RBracket = 20,
  /** Anything else, one char (e.g. a lone `:` or `{`). */
  Other = 21,
  /**
   * With LEX_SKIM: the rest of a statement no fact is read from (SELECT, GRANT, SET...), not split into
   * tokens; strings, quoted names, dollar quotes and templates inside it were stepped over whole, and
   * its comments are tokens of their own.
   */
  Skipped = 22,
}

/** lex() flag: the range is a plpgsql format() pattern (`%I`, `%L`, `%s` are placeholders). */
export const LEX_FORMAT = 1;
/**
 * lex() flag: statements whose first word says no fact is read from them while splitting (SELECT,
 * VALUES, TABLE, GRANT, REVOKE, SET, RESET, COMMENT, DROP, ANALYZE, VACUUM, SHOW, EXPLAIN, ALTER,
 * CREATE TYPE / EXTENSION / SEQUENCE... (not CREATE_OF_INTEREST):
 * a statement's facts lex it in full when a rule asks, see facts.ts) keep that word as a token and
 * the rest as `T.Skipped` runs (comments stay tokens), up to the `;` or psql command that ends them,
 * or a `)` that closes a parenthesis opened before them. Statement bounds and positions are the same.
 */
export const LEX_SKIM = 2;

/** Human-readable token kind names, indexed by T. */
export const TOKEN_NAMES = [
  'word', 'qident', 'string', 'dollar', 'number', 'operator', 'lparen', 'rparen', 'comma', 'semi', 'dot',
  'cast', 'param', 'psql-var', 'psql-meta', 'copy-data', 'line-comment', 'block-comment', 'template',
  'lbracket', 'rbracket', 'other', 'skipped',
] as const;

/** A lexed range of text: token i spans text[starts[i], ends[i]). */
export interface Tokens {
  readonly text: string;
  count: number;
  types: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  /**
   * Indices of the tokens that end a statement (`;`, a psql command, a COPY data block), in order:
   * the splitter walks these instead of every token. `bounds[0, boundCount)`.
   */
  bounds: Int32Array;
  boundCount: number;
  /** Comments that mention `dupguard-ignore` (suppression directives): 0 lets callers skip the search. */
  directives: number;
  /** The lex() flags the range was read with (LEX_FORMAT, LEX_SKIM). */
  flags: number;
}

/** Whether the comment text[start, end) mentions a suppression directive. */
function mentionsDirective(text: string, start: number, end: number): boolean {
  // A native search in a view of the comment (no copy); shorter comments cannot hold the words.
  return end - start >= 17 && text.slice(start, end).indexOf('dupguard-ignore') >= 0;
}

// Character classes, one lookup per char below 128.
const C_OTHER = 0, C_SPACE = 1, C_IDSTART = 2, C_DIGIT = 3, C_OP = 4;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11) CLASS[c] = C_SPACE;
  else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) CLASS[c] = C_IDSTART;
  else if (c >= 48 && c <= 57) CLASS[c] = C_DIGIT;
  else if ('+-*/<>=~!@#%^&|`?'.includes(String.fromCharCode(c))) CLASS[c] = C_OP;
}

/** 1 for ASCII chars that continue an identifier (letters, digits, `_`, `$`). */
const IDPART = new Uint8Array(128);
for (let c = 0; c < 128; c++) IDPART[c] = CLASS[c] === C_IDSTART || CLASS[c] === C_DIGIT || c === 36 ? 1 : 0;

/** Lower-case words by first letter, for allocation-free lookups of a token's word (`lookupWord`). */
export type WordTable = string[][];
export function wordTable(words: string[]): WordTable {
  const t: WordTable = [];
  for (const w of words) (t[w.charCodeAt(0)] ??= []).push(w);
  return t;
}
/** The word of `table` that text[start, end) spells (any ASCII case), or undefined; allocates nothing. */
export function lookupWord(text: string, start: number, end: number, table: WordTable): string | undefined {
  const list = table[text.charCodeAt(start) | 0x20];
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) if (wordEq(text, start, end, list[i])) return list[i];
  return undefined;
}

/** Whether char code `c` continues an identifier (letters, digits, `_`, `$`, non-ASCII letters). */
export function isIdentPart(c: number): boolean {
  return c >= 128 ? c !== 0xa0 && c !== 0xfeff && c !== 0x2028 && c !== 0x2029 : CLASS[c] === C_IDSTART || CLASS[c] === C_DIGIT || c === 36;
}

/** True when text[start, end) equals the lower-case ASCII `word`, ignoring ASCII case. */
export function wordEq(text: string, start: number, end: number, word: string): boolean {
  const n = word.length;
  if (end - start !== n) return false;
  for (let i = 0; i < n; i++) {
    if ((text.charCodeAt(start + i) | 0x20) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** Index of the line start after `i` (just past the next `\n`), or `end`. */
function nextLine(text: string, i: number, end: number): number {
  const nl = text.indexOf('\n', i);
  return nl < 0 || nl >= end ? end : nl + 1;
}

/**
 * End of a COPY data block whose first row starts at `i`: just past the `\.` terminator line, or
 * `end` when there is none.
 */
function copyDataEnd(text: string, i: number, end: number): number {
  if (end === text.length) {
    // Jump from one `\.` to the next (a native search) and keep the first at a line start; a
    // sub-range stops short of the text's end, where a search could run on past it, so it walks lines.
    const from = i;
    for (let p = text.indexOf('\\.', i); p >= 0; p = text.indexOf('\\.', p + 1)) {
      if (p !== from && text.charCodeAt(p - 1) !== 10) continue;
      let j = p + 2;
      while (j < end && (text.charCodeAt(j) === 13 || text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
      if (j >= end || text.charCodeAt(j) === 10) return j >= end ? end : j + 1;
    }
    return end;
  }
  while (i < end) {
    if (text.charCodeAt(i) === 92 /* \ */ && text.charCodeAt(i + 1) === 46 /* . */) {
      let j = i + 2;
      while (j < end && (text.charCodeAt(j) === 13 || text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
      if (j >= end || text.charCodeAt(j) === 10) return j >= end ? end : j + 1;
    }
    i = nextLine(text, i, end);
  }
  return end;
}

/**
 * A COPY that the server rejects (bad options) never enters copy mode, so psql reads the next line
 * as SQL again; regression scripts then go on with `ROLLBACK;`. A data row is never that line.
 */
function endsTransactionLine(text: string, i: number, end: number): boolean {
  const e = nextLine(text, i, end);
  if (e - i > 24) return false;
  return /^\s*(rollback|commit|end|abort)\s*;\s*$/i.test(text.slice(i, e));
}

/** Scratch token arrays lex() writes into (it never runs twice at once: it calls nothing that lexes). */
const scratch = { types: new Uint8Array(4096), starts: new Int32Array(4096), ends: new Int32Array(4096), bounds: new Int32Array(1024) };
/**
 * The shared slab token copies are cut from (in 32-bit words), and the largest copy taken from it:
 * a live document keeps its slab alive, so a few open documents hold a few slabs (256 KB each) at most.
 */
const SLAB_WORDS = 1 << 16;
const SLAB_SHARE = SLAB_WORDS >> 3;
let slab = new ArrayBuffer(SLAB_WORDS * 4);
let slabUsed = 0;
/**
 * Scratch arrays are kept up to this many entries (about 600 KB: a file of some 700 KB); a longer
 * document's arrays are grown for it and let go with it, so one big file does not leave 9 bytes per
 * token held for the rest of a run (allocating them again costs far less than lexing that file).
 */
const SCRATCH_MAX = 1 << 16;

/**
 * From this many characters on, lex() writes into arrays with room for a token per character (no
 * range holds more), in one buffer, and hands out views of them: nothing is grown or copied. The
 * buffer is reserved memory that only the tokens written to take up (above 32 MiB even glibc's
 * allocator maps it fresh, and the rest is never touched): a 12 MB file's tokens took 47 MB of
 * memory through scratch arrays doubled and copied to exact size, 16 MB this way.
 */
export const BIG_RANGE = 1 << 22;

/** Token arrays with room for `chars` tokens, in one buffer; undefined when the system refuses that much (lex() then grows its scratch arrays). */
function bigArrays(chars: number): typeof scratch | undefined {
  const room = chars + 8;
  let buffer: ArrayBuffer;
  try {
    buffer = new ArrayBuffer(13 * room);
  } catch {
    return undefined;
  }
  return {
    starts: new Int32Array(buffer, 0, room),
    ends: new Int32Array(buffer, 4 * room, room),
    bounds: new Int32Array(buffer, 8 * room, room),
    types: new Uint8Array(buffer, 12 * room, room),
  };
}

/**
 * Lexes text[from, to) (default: all of it). Offsets are into `text`, so sub-ranges keep file positions.
 * `flags`: LEX_FORMAT (the range is the pattern of a plpgsql `format()` call, whose `%I`, `%L`, `%s`,
 * `%1$I`, `%-10s`... become template placeholders), LEX_SKIM (see there).
 */
export function lex(text: string, from = 0, to = text.length, flags = 0): Tokens {
  const formatString = (flags & LEX_FORMAT) !== 0;
  const skim = (flags & LEX_SKIM) !== 0;
  let skimming = false;
  const end = Math.min(to, text.length);
  // Tokens go into scratch arrays kept between calls (grown on demand, never zero-filled again), and
  // are copied out at the end into one exact-size buffer: allocating typed arrays per call (four
  // backing stores, zero-filled, sized for the worst case) cost more than the copy.
  let types = scratch.types;
  let starts = scratch.starts;
  let ends = scratch.ends;
  let bounds = scratch.bounds;
  const big = end - from >= BIG_RANGE ? bigArrays(end - from) : undefined;
  if (big) ({ types, starts, ends, bounds } = big);
  let cap = types.length;
  let n = 0;
  let nb = 0;
  let directives = 0;

  // COPY ... FROM stdin detection: 0 none, 1 in COPY, 2 saw FROM at depth 0, 3 FROM STDIN.
  let copy = 0;
  let depth = 0;
  let stmtStart = true;
  // Positions where no closing `}}` exists any more: avoids rescanning (keeps it linear).
  skimState.noTemplateClose = false;

  let i = from;
  while (i < end) {
    let c = text.charCodeAt(i);
    // One class lookup per token start; whitespace runs are skipped in a tight loop.
    let cls = c < 128 ? CLASS[c] : c === 0xa0 || c === 0xfeff ? C_SPACE : C_IDSTART;
    if (cls === C_SPACE) {
      i++;
      while (i < end) {
        c = text.charCodeAt(i);
        if (c < 128 ? CLASS[c] !== C_SPACE : c !== 0xa0 && c !== 0xfeff) break;
        i++;
      }
      if (i >= end) break;
      cls = c < 128 ? CLASS[c] : C_IDSTART;
    }
    // Room for three tokens: a skipped run, then a `\copy ... from stdin` command and its data block.
    if (n + 3 > cap) {
      cap *= 2;
      const t2 = new Uint8Array(cap); t2.set(types); types = t2;
      const s2 = new Int32Array(cap); s2.set(starts); starts = s2;
      const e2 = new Int32Array(cap); e2.set(ends); ends = e2;
      if (cap <= SCRATCH_MAX) { scratch.types = types; scratch.starts = starts; scratch.ends = ends; }
    }
    // Room for two bounds as well (the same two tokens).
    if (nb + 2 > bounds.length) {
      const b2 = new Int32Array(bounds.length * 2); b2.set(bounds); bounds = b2;
      if (b2.length <= SCRATCH_MAX) scratch.bounds = b2;
    }
    if (skimming) {
      const q = skimRun(text, i, end);
      let e = q;
      const keep = Math.max(i, skimState.quoteEnd);
      while (e > keep) {
        const b = text.charCodeAt(e - 1);
        if (b < 128 ? CLASS[b] !== C_SPACE : b !== 0xa0 && b !== 0xfeff) break;
        e--;
      }
      if (e > i) { types[n] = T.Skipped; starts[n] = i; ends[n] = e; n++; }
      i = q;
      if (i >= end) break;
      c = text.charCodeAt(i);
      cls = c < 128 ? CLASS[c] : C_IDSTART;
      // A comment inside goes on skipping after it; `;`, a psql command or a closing `)` end the run.
      const d = text.charCodeAt(i + 1);
      if (!((c === 45 && d === 45) || (c === 47 && d === 42))) skimming = false;
    }
    const start = i;
    let type: T;
    if (cls === C_IDSTART) {
      const next = text.charCodeAt(i + 1);
      const lc = c | 0x20;
      if (next === 39 /* ' */ && i + 1 < end && (lc === 101 || lc === 98 || lc === 120 || lc === 110) /* e b x n */) {
        // E'..' (backslash escapes), B'..', X'..', N'..' (plain) when the word is that single letter.
        i += 2;
        const esc = lc === 101; /* e */
        i = esc ? scanEString(text, i, end) : scanQuoted(text, i, end, 39);
        type = T.String;
      } else if (lc === 117 && next === 38 /* & */ && (text.charCodeAt(i + 2) === 39 || text.charCodeAt(i + 2) === 34) && i + 2 < end) {
        const q = text.charCodeAt(i + 2);
        i = scanQuoted(text, i + 3, end, q);
        type = q === 39 ? T.String : T.QIdent;
      } else {
        i++;
        while (i < end) {
          const d = text.charCodeAt(i);
          if (d < 128 ? IDPART[d] === 0 : !isIdentPart(d)) break;
          i++;
        }
        type = T.Word;
        // COPY ... FROM STDIN tracking (only cheap checks on the first letters).
        if (stmtStart) {
          copy = wordEq(text, start, i, 'copy') ? 1 : 0;
          depth = 0;
          if (skim && (isSkimWord(text, start, i) || (i - start === 6 && wordEq(text, start, i, 'create') && createSkipped(text, i, end)))) {
            skimming = true;
            skimState.depth = 0;
          }
        } else if (copy === 1 && depth === 0 && wordEq(text, start, i, 'from')) copy = 2;
        else if (copy === 2) copy = wordEq(text, start, i, 'stdin') ? 3 : 1;
      }
    } else if (cls === C_DIGIT) {
      i++;
      while (i < end) {
        const d = text.charCodeAt(i);
        if (d < 128 ? CLASS[d] === C_DIGIT || CLASS[d] === C_IDSTART || (d === 46 && text.charCodeAt(i + 1) !== 46) : false) i++;
        else if ((d === 43 || d === 45) && (text.charCodeAt(i - 1) | 0x20) === 101 && CLASS[text.charCodeAt(i - 2)] === C_DIGIT) i++;
        else break;
      }
      type = T.Number;
    } else {
      switch (c) {
        case 39: /* ' */
          i = scanQuoted(text, i + 1, end, 39);
          type = T.String;
          break;
        case 34: /* " */
          i = scanQuoted(text, i + 1, end, 34);
          type = T.QIdent;
          break;
        case 40: i++; type = T.LParen; depth++; break;
        case 41: i++; type = T.RParen; if (depth > 0) depth--; break;
        case 44: i++; type = T.Comma; break;
        case 91: i++; type = T.LBracket; break;
        case 93: i++; type = T.RBracket; break;
        case 59: /* ; */
          i++;
          type = T.Semi;
          if (copy === 3) {
            bounds[nb++] = n;
            types[n] = T.Semi; starts[n] = start; ends[n] = i; n++;
            const dataStart = nextLine(text, i, end);
            // The rest of the `;` line is ignored by the server; the data starts on the next line.
            if (dataStart < end && !endsTransactionLine(text, dataStart, end)) {
              const dataEnd = copyDataEnd(text, dataStart, end);
              bounds[nb++] = n;
              types[n] = T.CopyData; starts[n] = dataStart; ends[n] = dataEnd; n++;
              i = dataEnd;
            }
            copy = 0;
            stmtStart = true;
            continue;
          }
          break;
        case 46: /* . */
          if (CLASS[text.charCodeAt(i + 1)] === C_DIGIT) {
            i++;
            while (i < end && CLASS[text.charCodeAt(i)] === C_DIGIT) i++;
            type = T.Number;
          } else { i++; type = T.Dot; }
          break;
        case 36: { /* $ */
          const d = text.charCodeAt(i + 1);
          if (d >= 48 && d <= 57) {
            i += 2;
            while (i < end && CLASS[text.charCodeAt(i)] === C_DIGIT) i++;
            type = T.Param;
          } else if (d === 123 /* { */) {
            i = scanBraces(text, i + 2, end);
            type = T.Template;
          } else {
            // $tag$ ... $tag$
            let j = i + 1;
            if (j < end && (d < 128 ? CLASS[d] === C_IDSTART : isIdentPart(d))) {
              j++;
              while (j < end) {
                const e = text.charCodeAt(j);
                if (e === 36 || !isIdentPart(e)) break;
                j++;
              }
            }
            if (j < end && text.charCodeAt(j) === 36) {
              const tag = text.slice(i, j + 1);
              const close = text.indexOf(tag, j + 1);
              i = close < 0 || close + tag.length > end ? end : close + tag.length;
              type = T.Dollar;
            } else { i++; type = T.Other; }
          }
          break;
        }
        case 58: { /* : */
          const d = text.charCodeAt(i + 1);
          if (d === 58) { i += 2; type = T.Cast; }
          else if (d === 39 || d === 34) { i = scanQuoted(text, i + 2, end, d); type = T.PsqlVar; }
          else if (i + 1 < end && d < 128 && CLASS[d] === C_IDSTART) {
            i += 2;
            while (i < end && text.charCodeAt(i) < 128 && (CLASS[text.charCodeAt(i)] === C_IDSTART || CLASS[text.charCodeAt(i)] === C_DIGIT)) i++;
            type = T.PsqlVar;
          } else { i++; type = T.Other; }
          break;
        }
        case 92: { /* \ psql meta-command, to end of line */
          const nl = text.indexOf('\n', i);
          i = nl < 0 || nl > end ? end : nl;
          type = T.PsqlMeta;
          // `\copy ... from stdin` reads its rows from the script itself, up to `\.`.
          if (copyMetaFromStdin(text, start, i)) {
            bounds[nb++] = n;
            types[n] = T.PsqlMeta; starts[n] = start; ends[n] = i; n++;
            const dataStart = nextLine(text, i, end);
            if (dataStart < end) {
              const dataEnd = copyDataEnd(text, dataStart, end);
              bounds[nb++] = n;
              types[n] = T.CopyData; starts[n] = dataStart; ends[n] = dataEnd; n++;
              i = dataEnd;
            }
            copy = 0;
            stmtStart = true;
            continue;
          }
          break;
        }
        case 123: /* { */
          if (text.charCodeAt(i + 1) === 123 && !skimState.noTemplateClose) {
            const close = text.indexOf('}}', i + 2);
            if (close < 0 || close + 2 > end) { skimState.noTemplateClose = true; i++; type = T.Other; }
            else { i = close + 2; type = T.Template; }
          } else {
            // Python-format `{schema}` / `{table_name}` placeholders (as in seed 002's ETL query).
            let j = i + 1;
            const d = text.charCodeAt(j);
            if (j < end && d < 128 && CLASS[d] === C_IDSTART) {
              j++;
              while (j < end && j - i < 64) {
                const e = text.charCodeAt(j);
                if (e < 128 && (IDPART[e] === 1 || e === 46)) j++;
                else break;
              }
            }
            if (j > i + 1 && text.charCodeAt(j) === 125 && j < end) { i = j + 1; type = T.Template; }
            else { i++; type = T.Other; }
          }
          break;
        default:
          if (cls === C_OP) {
            if (c === 37 /* % */ && formatString && (i = formatSpec(text, i, end)) > start) {
              type = T.Template;
            } else if (c === 45 && text.charCodeAt(i + 1) === 45) {
              const nl = text.indexOf('\n', i);
              i = nl < 0 || nl > end ? end : nl;
              type = T.LineComment;
              if (mentionsDirective(text, start, i)) directives++;
            } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
              i = scanBlockComment(text, i + 2, end);
              type = T.BlockComment;
              if (mentionsDirective(text, start, i)) directives++;
            } else {
              i++;
              while (i < end) {
                const d = text.charCodeAt(i);
                if (d >= 128 || CLASS[d] !== C_OP) break;
                if ((d === 45 && text.charCodeAt(i + 1) === 45) || (d === 47 && text.charCodeAt(i + 1) === 42)) break;
                i++;
              }
              type = T.Operator;
            }
          } else { i++; type = T.Other; }
      }
    }
    if (type === T.Semi || type === T.PsqlMeta) { stmtStart = true; copy = 0; bounds[nb++] = n; }
    else if (type !== T.LineComment && type !== T.BlockComment) stmtStart = false;
    types[n] = type; starts[n] = start; ends[n] = i; n++;
  }
  // Exact-size copies. A typed array over 64 bytes gets a backing store of its own outside the heap,
  // which costs 0.5-1 us to allocate (and as much to free): four per call were most of the time of
  // lexing a small file or a function body. Up to SLAB_SHARE their copies are views into a shared
  // slab (a view is an ordinary heap object); larger results get arrays of their own.
  const words = 2 * n + nb + ((n + 3) >> 2);
  let outStarts: Int32Array, outEnds: Int32Array, outBounds: Int32Array, outTypes: Uint8Array;
  if (big) {
    outStarts = starts.subarray(0, n);
    outEnds = ends.subarray(0, n);
    outBounds = bounds.subarray(0, nb);
    outTypes = types.subarray(0, n);
  } else if (words > SLAB_SHARE) {
    outStarts = starts.slice(0, n);
    outEnds = ends.slice(0, n);
    outBounds = bounds.slice(0, nb);
    outTypes = types.slice(0, n);
  } else {
    if (slabUsed + words > SLAB_WORDS) {
      slab = new ArrayBuffer(SLAB_WORDS * 4);
      slabUsed = 0;
    }
    let o = slabUsed * 4;
    outStarts = new Int32Array(slab, o, n); o += 4 * n;
    outEnds = new Int32Array(slab, o, n); o += 4 * n;
    outBounds = new Int32Array(slab, o, nb); o += 4 * nb;
    outTypes = new Uint8Array(slab, o, n);
    slabUsed += words;
    if (n <= 64) {
      // A loop beats four subarray views and native calls for a few tokens.
      for (let k = 0; k < n; k++) { outStarts[k] = starts[k]; outEnds[k] = ends[k]; outTypes[k] = types[k]; }
      for (let k = 0; k < nb; k++) outBounds[k] = bounds[k];
    } else {
      outStarts.set(starts.subarray(0, n));
      outEnds.set(ends.subarray(0, n));
      outBounds.set(bounds.subarray(0, nb));
      outTypes.set(types.subarray(0, n));
    }
  }
  return { text, count: n, types: outTypes, starts: outStarts, ends: outEnds, bounds: outBounds, boundCount: nb, directives, flags };
}

/**
 * End of the format() specifier `%[n$][-][width]type` at `i` (type s, I or L), or `i` itself when
 * there is none there (`%%` and a bare `%` stay operators).
 */
function formatSpec(text: string, i: number, end: number): number {
  let j = i + 1;
  const digits = () => { while (j < end && CLASS[text.charCodeAt(j)] === C_DIGIT) j++; };
  const p = j;
  digits();
  if (j > p && text.charCodeAt(j) === 36 /* $ */) j++;
  else j = p;
  if (text.charCodeAt(j) === 45 /* - */) j++;
  if (text.charCodeAt(j) === 42 /* * */) j++;
  else digits();
  const t = text.charCodeAt(j);
  if (j < end && (t === 115 /* s */ || t === 73 /* I */ || t === 76 /* L */)) {
    const after = text.charCodeAt(j + 1);
    // `%simple` is the operator before a word, not a specifier followed by 'imple'.
    if (!(j + 1 < end && after < 128 && IDPART[after] === 1)) return j + 1;
  }
  return i;
}

/** First words of the statements LEX_SKIM skips, by first letter. */
const SKIM_WORDS = wordTable(['select', 'values', 'table', 'grant', 'revoke', 'set', 'reset', 'comment', 'drop', 'analyze', 'analyse',
  'vacuum', 'show', 'notify', 'listen', 'unlisten', 'discard', 'deallocate', 'checkpoint', 'refresh', 'reindex', 'cluster',
  'security', 'load', 'explain', 'alter']);

/** Words between CREATE and what it creates. */
export const CREATE_MODIFIERS = ['or', 'replace', 'temp', 'temporary', 'local', 'global', 'unlogged'];
/** What a CREATE creates when facts are read from it (facts.ts); LEX_SKIM skims the other CREATE statements. */
export const CREATE_OF_INTEREST = ['table', 'unique', 'index', 'function', 'procedure', 'view', 'materialized', 'recursive', 'rule', 'foreign'];
const CREATE_LOOKAHEAD = wordTable([...CREATE_MODIFIERS, ...CREATE_OF_INTEREST]);

/**
 * After `CREATE` (its end at `p`): true when the words that follow say it creates something facts
 * are not read from (TYPE, EXTENSION, SEQUENCE, POLICY...). Anything but plain ASCII words and
 * blanks before that word (a comment, a quoted name) answers false: the statement is tokenized.
 */
function createSkipped(text: string, p: number, end: number): boolean {
  for (let k = 0; k < 8; k++) {
    while (p < end) {
      const c = text.charCodeAt(p);
      if (c >= 128 || CLASS[c] !== C_SPACE) break;
      p++;
    }
    const s = p;
    while (p < end) {
      const c = text.charCodeAt(p);
      if (c >= 128) return false;
      if (IDPART[c] === 0) break;
      p++;
    }
    if (p === s || CLASS[text.charCodeAt(s)] !== C_IDSTART) return false;
    const w = lookupWord(text, s, p, CREATE_LOOKAHEAD);
    if (w === undefined) return true;
    if (!CREATE_MODIFIERS.includes(w)) return false;
  }
  return false;
}

function isSkimWord(text: string, start: number, end: number): boolean {
  return lookupWord(text, start, end, SKIM_WORDS) !== undefined;
}

/** Chars skimRun() stops at (everything else is stepped over). */
const SKIM_STOP = new Uint8Array(128);
for (const ch of ";\\()-/'\"${") SKIM_STOP[ch.charCodeAt(0)] = 1;

/** What a skipped run carries over a comment: its parenthesis depth; and lex()'s `{{` state. */
const skimState = { depth: 0, noTemplateClose: false, quoteEnd: 0 };

/**
 * From `p`, steps over the text of a statement LEX_SKIM skips, as the tokenizer would read it
 * (strings, E'' strings, quoted names, dollar quotes, `$1`, `${...}`, `{{...}}` whole), and returns
 * where tokenizing must take over: a comment, a `;`, a psql backslash command, a `)` closing a
 * parenthesis opened before the run, or `end`.
 */
function skimRun(text: string, p: number, end: number): number {
  let depth = skimState.depth;
  // End of the last string / quoted name / dollar quote / template stepped over: trailing blanks
  // before the stop are trimmed off the run, but never out of one of those (an unclosed one runs on).
  skimState.quoteEnd = p;
  while (p < end) {
    const ch = text.charCodeAt(p);
    if (ch >= 128 || SKIM_STOP[ch] === 0) { p++; continue; }
    switch (ch) {
      case 59: /* ; */
      case 92: /* \ */
        skimState.depth = depth;
        return p;
      case 40: depth++; p++; break;
      case 41:
        if (depth === 0) { skimState.depth = 0; return p; }
        depth--; p++;
        break;
      case 45: /* - */
      case 47: /* / */
        if (text.charCodeAt(p + 1) === (ch === 45 ? 45 : 42)) { skimState.depth = depth; return p; }
        p++;
        break;
      case 39: { /* ' : E'...' when the E is a word of its own */
        const b = text.charCodeAt(p - 1);
        const e = (b | 0x20) === 101 && (p - 1 === 0 || p - 1 === skimState.quoteEnd || !isIdentPart(text.charCodeAt(p - 2)));
        p = e ? scanEString(text, p + 1, end) : scanQuoted(text, p + 1, end, 39);
        skimState.quoteEnd = p;
        break;
      }
      case 34: p = scanQuoted(text, p + 1, end, 34); skimState.quoteEnd = p; break;
      case 36: p = skimDollar(text, p, end); break;
      default: /* { */
        if (text.charCodeAt(p + 1) === 123 && !skimState.noTemplateClose) {
          const close = text.indexOf('}}', p + 2);
          if (close < 0 || close + 2 > end) { skimState.noTemplateClose = true; p++; } else { p = close + 2; skimState.quoteEnd = p; }
        } else p++;
    }
  }
  skimState.depth = depth;
  return end;
}

/** Steps over what a `$` at `p` starts in skipped text: nothing inside a word, `$1`, `${...}`, `$tag$...$tag$`. */
function skimDollar(text: string, p: number, end: number): number {
  // Inside a word (`a$b`) the `$` is part of it; after a number, a `$1` or a dollar quote it starts a
  // token, as in lex(). The run of identifier chars before it starts a token, or goes back to the end
  // of the last `$` construct stepped over (skimState.quoteEnd).
  let r = p;
  const floor = Math.max(skimState.quoteEnd, p - 64);
  while (r > floor && isIdentPart(text.charCodeAt(r - 1))) r--;
  if (r < p) {
    const f = text.charCodeAt(r);
    if (!(f >= 48 && f <= 57) || r === p - 64) return p + 1;
  }
  const q = skimToken(text, p, end);
  skimState.quoteEnd = q;
  return q;
}

/** End of the token a `$` at `p` starts: `$1`, `${...}`, `$tag$...$tag$`, or the `$` alone. */
function skimToken(text: string, p: number, end: number): number {
  const d = text.charCodeAt(p + 1);
  if (d >= 48 && d <= 57) {
    p += 2;
    while (p < end && CLASS[text.charCodeAt(p)] === C_DIGIT) p++;
    return p;
  }
  if (d === 123 /* { */) return scanBraces(text, p + 2, end);
  let j = p + 1;
  if (j < end && (d < 128 ? CLASS[d] === C_IDSTART : isIdentPart(d))) {
    j++;
    while (j < end) {
      const e = text.charCodeAt(j);
      if (e === 36 || !isIdentPart(e)) break;
      j++;
    }
  }
  if (j < end && text.charCodeAt(j) === 36) {
    const tag = text.slice(p, j + 1);
    const close = text.indexOf(tag, j + 1);
    return close < 0 || close + tag.length > end ? end : close + tag.length;
  }
  return p + 1;
}

/** Scans a quoted run whose opening quote is already consumed; a doubled quote is an escaped one. */
function scanQuoted(text: string, i: number, end: number, q: number): number {
  for (;;) {
    const j = text.indexOf(q === 39 ? "'" : '"', i);
    if (j < 0 || j >= end) return end;
    if (text.charCodeAt(j + 1) === q && j + 1 < end) { i = j + 2; continue; }
    return j + 1;
  }
}

/** E'...': backslash escapes the next char, '' is a quote. */
function scanEString(text: string, i: number, end: number): number {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 92) { i += 2; continue; }
    if (c === 39) {
      if (text.charCodeAt(i + 1) === 39 && i + 1 < end) { i += 2; continue; }
      return i + 1;
    }
    i++;
  }
  return end;
}

/** Nested block comment body (after the opening slash-star). */
function scanBlockComment(text: string, i: number, end: number): number {
  let level = 1;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 42 && text.charCodeAt(i + 1) === 47) { i += 2; if (--level === 0) return i; continue; }
    if (c === 47 && text.charCodeAt(i + 1) === 42) { i += 2; level++; continue; }
    i++;
  }
  return end;
}

/** `${ ... }` with nested braces; runs to end when unbalanced. */
function scanBraces(text: string, i: number, end: number): number {
  let level = 1;
  while (i < end) {
    const c = text.charCodeAt(i++);
    if (c === 123) level++;
    else if (c === 125 && --level === 0) return i;
  }
  return end;
}

function copyMetaFromStdin(text: string, start: number, end: number): boolean {
  if (end - start < 6 || !wordEq(text, start + 1, start + 5, 'copy')) return false;
  const c = text.charCodeAt(start + 5);
  if (c !== 32 && c !== 9) return false;
  return /\bfrom\s+stdin\b/i.test(text.slice(start, end));
}

/** Whether token i is a comment. */
export function isComment(t: Tokens, i: number): boolean {
  const ty = t.types[i];
  return ty === T.LineComment || ty === T.BlockComment;
}

/** Whether token i is the word `w` (lower-case ASCII), case-insensitively. */
export function isWord(t: Tokens, i: number, w: string): boolean {
  return i >= 0 && i < t.count && t.types[i] === T.Word && wordEq(t.text, t.starts[i], t.ends[i], w);
}

/** Token i's text. */
export function tokenText(t: Tokens, i: number): string {
  return t.text.slice(t.starts[i], t.ends[i]);
}
