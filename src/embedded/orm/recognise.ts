/**
 * Recognises inserts, upserts and row checks made through ORMs and query builders (Drizzle, Kysely,
 * knex/Objection, Prisma, Sequelize, TypeORM, MikroORM) in TS/JS host text, and reads the conflict
 * clause each one makes the library emit. Works on the token stream (./stream), so chains split over
 * lines, comments, regex and template literals are read as the JS engine reads them. Never throws.
 */
import type { SourceLanguage } from '../../core/types';
import type { Span } from '../../core/facts';
import { usesJsx } from '../extract';
import { args, chainStart, isKeyword, linkIndex, parseChain, type Chain, type Link } from './chain';
import type { DialectHints } from '../dialect-hints';
import { dialectEvidence, settleDialect } from './dialect';
import { ID as ID_IMPORT, NUM as NUM_IMPORT, PUNCT as PUNCT_IMPORT, STR as STR_IMPORT, TPL as TPL_IMPORT, TokenStream } from './stream';
import type { Dialect, OrmCheckThenInsert, OrmConflict, OrmFileFacts, OrmLibrary, OrmRead, OrmRow, OrmTableRef, OrmWrite } from './types';

// Token kinds as local constants: a cross-module constant read is a getter call per token under CommonJS.
const ID: number = ID_IMPORT;
const NUM: number = NUM_IMPORT;
const PUNCT: number = PUNCT_IMPORT;
const STR: number = STR_IMPORT;
const TPL: number = TPL_IMPORT;

export interface RecogniseOptions {
  /** Host language (JSX decides the tokenizer); default typescript. */
  language?: SourceLanguage;
  /** Dialect the project's schema declares (Prisma provider, Drizzle table builders): used when the file itself says nothing. */
  projectDialect?: Dialect;
  /** A file with no ORM write or check gives empty facts, its dialect evidence not read (the engine drops such files). */
  callsOnly?: boolean;
  /** The stream's dialect hints as the engine keeps them (found here when not given). */
  hints?: (ts: TokenStream) => DialectHints;
}

/**
 * The identifiers the walk reads, found in one pass over the token stream and compared in place (no
 * identifier is sliced to be looked up): the methods a chain is read from (after `.` or `?.`), the
 * declarations (`import`, `const`, `let`, `var`), and the gate. A file is walked only when it has a
 * conflict option or method, or an insert with a row check or a literal batch in the same file: most
 * files of a project, and library code, have neither.
 */
const GATE_CONFLICT = 1;
const GATE_INSERT = 2;
const GATE_CHECK = 4;
const GATE_BATCH = 8;

interface Word {
  word: string;
  /** A chain is read from it when it follows `.` or `?.`. */
  trigger: boolean;
  /** `import`, `const`, `let`, `var`. */
  declaration: boolean;
  /** Gate bits it sets, each with where it must stand: after `.`/`?.` (`dotted`) and before which punctuators (`next`). */
  gates: Array<{ bit: number; dotted: boolean; next: string[] }>;
}

const WORDS: Array<[string, Partial<Pick<Word, 'trigger' | 'declaration'>>, Array<[number, 'dotted' | 'anywhere', string]>]> = [
  // conflict options and methods: Drizzle, Kysely, knex and MikroORM onConflict*, Sequelize and Prisma options, TypeORM, upserts
  ['onConflict', { trigger: true }, [[GATE_CONFLICT, 'anywhere', '']]],
  ['onConflictDoNothing', { trigger: true }, [[GATE_CONFLICT, 'anywhere', '']]],
  ['onConflictDoUpdate', { trigger: true }, [[GATE_CONFLICT, 'anywhere', '']]],
  ['conflictAttributes', {}, [[GATE_CONFLICT, 'anywhere', '']]],
  ['conflictFields', {}, [[GATE_CONFLICT, 'anywhere', '']]],
  ['skipDuplicates', {}, [[GATE_CONFLICT, 'anywhere', '']]],
  ['ignoreDuplicates', {}, [[GATE_CONFLICT, 'anywhere', '']]],
  ['updateOnDuplicate', {}, [[GATE_CONFLICT, 'anywhere', '']]],
  ['orIgnore', { trigger: true }, [[GATE_CONFLICT, 'dotted', '(']]],
  ['orUpdate', { trigger: true }, [[GATE_CONFLICT, 'dotted', '(']]],
  ['upsert', { trigger: true }, [[GATE_CONFLICT, 'dotted', '(']]],
  // inserts
  ['insert', { trigger: true }, [[GATE_INSERT, 'dotted', '']]],
  ['insertInto', { trigger: true }, [[GATE_INSERT, 'dotted', '']]],
  ['insertMany', { trigger: true }, [[GATE_INSERT, 'dotted', '']]],
  ['replaceInto', { trigger: true }, []],
  ['create', { trigger: true }, [[GATE_INSERT, 'dotted', '(']]],
  ['createMany', { trigger: true }, [[GATE_INSERT, 'anywhere', '']]],
  ['createManyAndReturn', { trigger: true }, [[GATE_INSERT, 'anywhere', '']]],
  ['bulkCreate', { trigger: true }, [[GATE_INSERT, 'anywhere', ''], [GATE_BATCH, 'dotted', '([']]],
  // row checks
  ['findFirst', { trigger: true }, [[GATE_CHECK, 'anywhere', '']]],
  ['findUnique', { trigger: true }, [[GATE_CHECK, 'anywhere', '']]],
  ['findFirstOrThrow', { trigger: true }, [[GATE_CHECK, 'anywhere', '']]],
  ['findUniqueOrThrow', { trigger: true }, [[GATE_CHECK, 'anywhere', '']]],
  ['findOne', { trigger: true }, [[GATE_CHECK, 'anywhere', '']]],
  ['findOneBy', { trigger: true }, [[GATE_CHECK, 'anywhere', '']]],
  ['findOneOrFail', { trigger: true }, [[GATE_CHECK, 'anywhere', '']]],
  ['findByPk', { trigger: true }, [[GATE_CHECK, 'anywhere', '']]],
  ['selectFrom', { trigger: true }, [[GATE_CHECK, 'anywhere', '(']]],
  ['select', { trigger: true }, []],
  ['from', {}, [[GATE_CHECK, 'dotted', '(']]],
  ['first', { trigger: true }, [[GATE_CHECK, 'dotted', '(']]],
  // literal batches: `.values([`, `data: [`
  ['values', { trigger: true }, [[GATE_BATCH, 'dotted', '([']]],
  ['data', {}, [[GATE_BATCH, 'anywhere', ':[']]],
  // declarations
  ['import', { declaration: true }, []],
  ['const', { declaration: true }, []],
  ['let', { declaration: true }, []],
  ['var', { declaration: true }, []],
];

/** Longest word of WORDS. */
const MAX_WORD = Math.max(...WORDS.map(([w]) => w.length));

/** WORDS by length and first character (`length * 128 + code`): most identifiers meet an empty slot. */
const WORD_SLOTS: Array<Word[] | undefined> = new Array((MAX_WORD + 1) * 128);
for (const [word, role, gates] of WORDS) {
  const slot = word.length * 128 + word.charCodeAt(0);
  (WORD_SLOTS[slot] ??= []).push({
    word, trigger: role.trigger === true, declaration: role.declaration === true,
    gates: gates.map(([bit, where, next]) => ({ bit, dotted: where === 'dotted', next: [...next] })),
  });
}

/**
 * The token indexes the walk visits, in order (a trigger as 2i, a declaration as 2i + 1), or undefined
 * when the file fails the gate (nothing to walk).
 */
function walkMarks(ts: TokenStream): number[] | undefined {
  const { kinds, starts, ends, text } = ts;
  const n = kinds.length;
  const marks: number[] = [];
  let gate = 0;
  for (let i = 0; i < n; i++) {
    if (kinds[i] !== ID) continue;
    const s = starts[i];
    const len = ends[i] - s;
    if (len > MAX_WORD) continue;
    const c = text.charCodeAt(s);
    if (c > 127) continue;
    const slot = WORD_SLOTS[len * 128 + c];
    if (slot === undefined) continue;
    for (const w of slot) {
      if (!text.startsWith(w.word, s)) continue;
      if (w.declaration) { marks.push(2 * i + 1); break; }
      // `.` or `?.` before it
      const dotted = i > 0 && kinds[i - 1] === PUNCT && ends[i - 1] - starts[i - 1] <= 2 && text.charCodeAt(ends[i - 1] - 1) === 46;
      if (w.trigger && dotted) marks.push(2 * i);
      for (const g of w.gates) {
        if ((gate & g.bit) !== 0 || (g.dotted && !dotted)) continue;
        let k = 0;
        while (k < g.next.length && ts.isP(i + 1 + k, g.next[k])) k++;
        if (k === g.next.length) gate |= g.bit;
      }
      break;
    }
  }
  const walk = (gate & GATE_CONFLICT) !== 0 || ((gate & GATE_INSERT) !== 0 && (gate & (GATE_CHECK | GATE_BATCH)) !== 0);
  return walk ? marks : undefined;
}

/** Links that turn a chain into text for a test to compare (an expected-output test, not an executed write). */
const COMPILES = new Set(['toSQL', 'toSql', 'toQuery', 'toString', 'compile', 'getSql', 'getQuery', 'getQueryAndParameters', 'toSqlString', 'getSQL']);

/** Links that run a built query (a variable the code runs is executed code, whatever else it does with it). */
const EXECUTES = new Set(['execute', 'executeTakeFirst', 'executeTakeFirstOrThrow', 'then', 'run', 'catch', 'finally', 'stream']);

const MODULE_LIBRARY: ReadonlyArray<[RegExp, OrmLibrary | 'ponder']> = [
  [/^drizzle-orm(?:\/|$)/, 'drizzle'],
  [/^kysely(?:$|\/|-)/, 'kysely'],
  [/^knex(?:$|\/)/, 'knex'],
  [/^objection(?:$|\/)/, 'objection'],
  [/^(?:@prisma\/client|\.prisma\/client)(?:$|\/)|\/generated\/prisma(?:\/|$)|^@zenstackhq\/orm/, 'prisma'],
  [/^(?:sequelize|sequelize-typescript|@sequelize\/core)(?:$|\/)/, 'sequelize'],
  [/^typeorm(?:$|\/)/, 'typeorm'],
  [/^@mikro-orm\//, 'mikro-orm'],
  [/^ponder(?::|$|\/)/, 'ponder'],
];

const EMPTY: OrmFileFacts = Object.freeze({ libraries: [], evidence: [], mixed: false, writes: [], reads: [] }) as unknown as OrmFileFacts;

/** ORM writes and checks in a TS/JS file, with dialect evidence. Never throws. */
export function recogniseOrm(text: string, options: RecogniseOptions = {}): OrmFileFacts {
  try {
    return new Recogniser(new TokenStream(text, usesJsx(text, options.language ?? 'typescript')), options).run();
  } catch {
    return { ...EMPTY, libraries: [], evidence: [], writes: [], reads: [] };
  }
}

/**
 * The same on a token stream already built for the file (one tokenization shared with the embedded-SQL
 * pass). Never throws.
 */
export function recogniseOrmTokens(ts: TokenStream, options: RecogniseOptions = {}): OrmFileFacts {
  try {
    return new Recogniser(ts, options).run();
  } catch {
    return { ...EMPTY, libraries: [], evidence: [], writes: [], reads: [] };
  }
}

interface ObjKey {
  key: string;
  keyTok: number;
  /** Value tokens [first, last]; for a shorthand key, the key itself. */
  first: number;
  last: number;
  shorthand: boolean;
}

/** An object literal's keys (spreads and computed keys are left out and reported). */
function objectKeys(ts: TokenStream, open: number): { keys: ObjKey[]; spread: boolean } {
  const keys: ObjKey[] = [];
  let spread = false;
  if (!ts.isP(open, '{')) return { keys, spread: true };
  for (const [a, b] of ts.elements(open)) {
    if (ts.isP(a, '...')) { spread = true; continue; }
    let k = a;
    if (ts.isId(k, 'async') || ts.isId(k, 'get') || ts.isId(k, 'set')) { if (ts.kinds[k + 1] === ID) k++; }
    const key = ts.kinds[k] === ID ? ts.val(k) : ts.isStr(k) ? ts.str(k) : ts.kinds[k] === NUM ? ts.val(k) : undefined;
    if (key === undefined) { spread = true; continue; }
    if (k === b) keys.push({ key, keyTok: k, first: k, last: k, shorthand: true });
    else if (ts.isP(k + 1, ':')) keys.push({ key, keyTok: k, first: k + 2, last: b, shorthand: false });
    else keys.push({ key, keyTok: k, first: k + 1, last: b, shorthand: false }); // method shorthand
  }
  return { keys, spread };
}

function findKey(keys: ObjKey[], name: string): ObjKey | undefined {
  return keys.find((k) => k.key === name);
}

class Recogniser {
  private readonly imports = new Map<string, { module: string; imported: string }>();
  /** Destructured locals: `const { runs } = Schema` → runs ← runs; `{ a: b }` → b ← a. */
  private readonly destructured = new Map<string, string>();
  /** `const|let|var name =` declarations: name → token indexes of their initializers. */
  private readonly decls = new Map<string, number[]>();
  private readonly libraries = new Set<OrmLibrary | 'ponder'>();
  private readonly writes: OrmWrite[] = [];
  private readonly reads: OrmRead[] = [];
  private dialect: Dialect | undefined;
  private mixed = false;

  constructor(private readonly ts: TokenStream, private readonly options: RecogniseOptions) {}

  private settled: { evidence: ReturnType<typeof dialectEvidence>; settled: ReturnType<typeof settleDialect> } | undefined;

  /** The file's dialect evidence, read once when the first write needs it (most walked files have none). */
  private settle(): { evidence: ReturnType<typeof dialectEvidence>; settled: ReturnType<typeof settleDialect> } {
    if (this.settled) return this.settled;
    const evidence = dialectEvidence(this.ts, this.options.hints?.(this.ts));
    const settled = settleDialect(evidence);
    this.dialect = settled.dialect ?? (settled.mixed ? undefined : this.options.projectDialect);
    this.mixed = settled.mixed;
    return (this.settled = { evidence, settled });
  }

  run(): OrmFileFacts {
    const ts = this.ts;
    const marks = walkMarks(ts);
    if (!marks) return { ...EMPTY, libraries: [], evidence: [], writes: [], reads: [] };
    const seen = new Set<number>();
    // declarations (imports, bindings) as they come, chains from their trigger methods
    for (const m of marks) {
      const i = m >> 1;
      if (m & 1) { this.declarationAt(i); continue; }
      const first = chainStart(ts, i);
      if (seen.has(first)) continue;
      seen.add(first);
      const chain = parseChain(ts, first);
      if (chain.links.some((l) => COMPILES.has(l.name))) continue;
      const before = this.writes.length;
      this.classify(chain);
      // `const q = db.insert(t)...; expect(q.toSQL()).toEqual('...')`: a query built to be compiled, never run
      if (this.writes.length > before && this.compiledOnly(chain)) this.writes.length = before;
    }
    if (this.options.callsOnly && this.writes.length === 0 && this.reads.length === 0) return { ...EMPTY, libraries: [], evidence: [], writes: [], reads: [] };
    const { evidence, settled } = this.settle();
    const libraries = [...this.libraries].filter((l): l is OrmLibrary => l !== 'ponder');
    for (const w of [...this.writes, ...this.reads]) if (!libraries.includes(w.library)) libraries.push(w.library);
    return { libraries, evidence, dialect: settled.dialect, mixed: settled.mixed, writes: this.writes, reads: this.reads };
  }

  // ---- file-level context -------------------------------------------------------------------

  /** `import ...`, `const|let|var x = ...`, `const { a: b } = ...` at token i (an `import`, `const`, `let` or `var` candidate). */
  private declarationAt(i: number): void {
    const ts = this.ts;
    const { kinds } = ts;
    {
      const v = ts.val(i);
      if (v === 'import' && !ts.isP(i - 1, '.') && !ts.isP(i + 1, '(')) this.readImport(i);
      else if ((v === 'const' || v === 'let' || v === 'var') && !ts.isP(i - 1, '.')) {
        if (kinds[i + 1] === ID && ts.isP(i + 2, '=')) {
          const name = ts.val(i + 1);
          let list = this.decls.get(name);
          if (!list) this.decls.set(name, (list = []));
          list.push(i + 3);
          this.requireAt(i + 3, name, undefined);
        } else if (kinds[i + 1] === ID && ts.isP(i + 2, ':')) {
          // `const q: T = ...`
          let j = i + 3;
          for (; j < Math.min(kinds.length, i + 40); j++) if (ts.isP(j, '=') || ts.isP(j, ';')) break;
          if (ts.isP(j, '=')) {
            const name = ts.val(i + 1);
            let list = this.decls.get(name);
            if (!list) this.decls.set(name, (list = []));
            list.push(j + 1);
          }
        } else if (ts.isP(i + 1, '{')) {
          const close = ts.partner(i + 1);
          if (close < 0 || !ts.isP(close + 1, '=')) return;
          const names = new Map<string, string>();
          for (const [a, b] of ts.elements(i + 1)) {
            if (kinds[a] !== ID) continue;
            if (a === b) names.set(ts.val(a), ts.val(a));
            else if (ts.isP(a + 1, ':') && kinds[a + 2] === ID) names.set(ts.val(a + 2), ts.val(a));
            else if (ts.isP(a + 1, '=')) names.set(ts.val(a), ts.val(a));
          }
          const fromRequire = this.requiredModule(close + 2);
          for (const [local, key] of names) {
            this.destructured.set(local, key);
            if (fromRequire !== undefined) this.imports.set(local, { module: fromRequire, imported: key });
          }
          if (fromRequire !== undefined) this.noteLibrary(fromRequire);
        }
      }
    }
  }

  private requiredModule(i: number): string | undefined {
    const ts = this.ts;
    if (ts.isId(i, 'await')) i++;
    if ((ts.isId(i, 'require') || ts.isId(i, 'import')) && ts.isP(i + 1, '(') && ts.kinds[i + 2] === STR) return ts.str(i + 2);
    return undefined;
  }

  private requireAt(i: number, local: string, imported: string | undefined): void {
    const mod = this.requiredModule(i);
    if (mod === undefined) return;
    this.imports.set(local, { module: mod, imported: imported ?? '*' });
    this.noteLibrary(mod);
  }

  private readImport(i: number): void {
    const ts = this.ts;
    let j = i + 1;
    if (ts.isId(j, 'type')) j++;
    const locals: Array<[string, string]> = [];
    for (let guard = 0; guard < 400 && j < ts.length; guard++, j++) {
      if (ts.kinds[j] === STR) {
        const mod = ts.str(j)!;
        this.noteLibrary(mod);
        for (const [local, imported] of locals) this.imports.set(local, { module: mod, imported });
        return;
      }
      if (ts.isP(j, '{')) {
        const close = ts.partner(j);
        for (const [a, b] of ts.elements(j)) {
          let k = a;
          if (ts.isId(k, 'type') && k < b) k++;
          if (ts.kinds[k] !== ID) continue;
          if (k + 2 === b && ts.isId(k + 1, 'as')) locals.push([ts.val(b), ts.val(k)]);
          else locals.push([ts.val(k), ts.val(k)]);
        }
        if (close < 0) return;
        j = close;
      } else if (ts.isP(j, '*') && ts.isId(j + 1, 'as') && ts.kinds[j + 2] === ID) {
        locals.push([ts.val(j + 2), '*']);
        j += 2;
      } else if (ts.kinds[j] === ID && !ts.isId(j, 'from')) {
        locals.push([ts.val(j), 'default']);
      } else if (ts.isP(j, ';')) {
        return;
      }
    }
  }

  private noteLibrary(mod: string): void {
    for (const [re, lib] of MODULE_LIBRARY) if (re.test(mod)) { this.libraries.add(lib); return; }
  }

  /** The exported name behind a local identifier (import alias, destructuring), else the identifier. */
  private exportedName(local: string): string {
    const imp = this.imports.get(local);
    if (imp && imp.imported !== '*' && imp.imported !== 'default') return imp.imported;
    return this.destructured.get(local) ?? local;
  }

  /**
   * The chain is bound to a variable (`const q = <chain>`, `q = <chain>`) that the file later compiles
   * to text (`q.toSQL()`, `q.getQuery()`, `q.compile()`) and never runs (`await q`, `q.execute()`, `q.then(...)`).
   */
  private compiledOnly(chain: Chain): boolean {
    const ts = this.ts;
    let k = chain.first - 1;
    if (ts.isId(k, 'await')) return false;
    if (!ts.isP(k, '=') || ts.kinds[k - 1] !== ID) return false;
    const name = ts.val(k - 1);
    let compiled = false;
    for (let i = chain.last + 1; i < ts.length; i++) {
      if (ts.kinds[i] !== ID || !ts.is(i, name) || ts.isP(i - 1, '.')) continue;
      if (ts.isId(i - 1, 'await') || ts.isId(i - 1, 'return')) return false;
      if (ts.isP(i + 1, '=') && !ts.isP(i + 2, '=')) break; // bound again: later uses are another query's
      if (!ts.isP(i + 1, '.') || ts.kinds[i + 2] !== ID) continue;
      const m = ts.val(i + 2);
      if (COMPILES.has(m)) compiled = true;
      else if (EXECUTES.has(m)) return false;
    }
    return compiled;
  }

  /** The last declaration of `name` before token `before` builds its value with a call of `fn` (`const schema = { account: onchainTable(...) }`). */
  private declaredWith(name: string, before: number, fn: string): boolean {
    const list = this.decls.get(name);
    if (!list) return false;
    let init = -1;
    for (const i of list) if (i < before) init = i;
    if (init < 0) return false;
    const ts = this.ts;
    const end = ts.isP(init, '{') || ts.isP(init, '(') || ts.isP(init, '[') ? ts.partner(init) : Math.min(ts.length - 1, init + 4);
    for (let i = init; i <= end; i++) if (ts.kinds[i] === ID && ts.is(i, fn) && ts.isP(i + 1, '(')) return true;
    return false;
  }

  /** The chain a local variable was last bound to before token `before` (`const query = tx.insert(t)...`). */
  private boundChain(name: string, before: number): Chain | undefined {
    const list = this.decls.get(name);
    if (!list) return undefined;
    let init = -1;
    for (const i of list) if (i < before) init = i;
    if (init < 0) return undefined;
    const ts = this.ts;
    if (ts.isId(init, 'await')) init++;
    if (ts.kinds[init] !== ID) return undefined;
    return parseChain(ts, init);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private span(first: number, last: number): Span {
    return { start: this.ts.starts[first], end: this.ts.ends[last] };
  }

  private linkSpan(l: Link, to?: Link): Span {
    const end = to ?? l;
    return { start: this.ts.starts[l.tok], end: this.ts.ends[end.close >= 0 ? end.close : end.tok] };
  }

  /** A literal value's text (string, number, true/false/null), else undefined. */
  private literal(a: number, b: number): string | undefined {
    const ts = this.ts;
    if (a === b) {
      if (ts.isStr(a)) return ts.val(a);
      if (ts.kinds[a] === NUM) return ts.val(a);
      if (ts.isId(a, 'true') || ts.isId(a, 'false') || ts.isId(a, 'null')) return ts.val(a);
    }
    if (b === a + 1 && ts.isP(a, '-') && ts.kinds[b] === NUM) return `-${ts.val(b)}`;
    return undefined;
  }

  /** Strings of `'a'` or `['a', 'b']` (all literal), else undefined. */
  private stringList(a: number, b: number): string[] | undefined {
    const ts = this.ts;
    if (a === b && ts.isStr(a)) return [ts.str(a)!];
    if (ts.isP(a, '[') && ts.partner(a) === b) {
      const out: string[] = [];
      for (const [x, y] of ts.elements(a)) {
        if (x !== y || !ts.isStr(x)) return undefined;
        out.push(ts.str(x)!);
      }
      return out;
    }
    // `['a', 'b'] as any`, `['a'] as const`
    if (ts.isP(a, '[') && ts.partner(a) > a && ts.isId(ts.partner(a) + 1, 'as')) return this.stringList(a, ts.partner(a));
    return undefined;
  }

  /** Property names of `t.a` or `[t.a, t.b]` (Drizzle columns), else undefined. */
  private memberList(a: number, b: number): string[] | undefined {
    const ts = this.ts;
    const one = (x: number, y: number): string | undefined => {
      if (y >= x + 2 && ts.kinds[y] === ID && ts.isP(y - 1, '.')) return ts.val(y);
      return undefined;
    };
    if (ts.isP(a, '[') && ts.partner(a) === b) {
      const out: string[] = [];
      for (const [x, y] of ts.elements(a)) {
        const m = one(x, y);
        if (m === undefined) return undefined;
        out.push(m);
      }
      return out;
    }
    const m = one(a, b);
    return m === undefined ? undefined : [m];
  }

  /** Rows of an object literal or an array of object literals. */
  private rows(a: number, b: number): { rows?: OrmRow[]; columns?: string[] } {
    const ts = this.ts;
    const objs: number[] = [];
    if (ts.isP(a, '{') && ts.partner(a) === b) objs.push(a);
    else if (ts.isP(a, '[') && ts.partner(a) === b) {
      for (const [x, y] of ts.elements(a)) {
        if (!ts.isP(x, '{') || ts.partner(x) !== y) return {};
        objs.push(x);
      }
    } else return {};
    const rows: OrmRow[] = [];
    const cols: string[] = [];
    let literalKeys = true;
    for (const o of objs) {
      const { keys, spread } = objectKeys(ts, o);
      if (spread) literalKeys = false;
      const cells = keys.map((k) => {
        const cell: OrmRow['cells'][number] = { key: k.key, span: this.span(k.keyTok, k.last) };
        const v = k.shorthand ? undefined : this.literal(k.first, k.last);
        if (v !== undefined) cell.value = v;
        return cell;
      });
      for (const k of keys) if (!cols.includes(k.key)) cols.push(k.key);
      rows.push({ span: this.span(o, ts.partner(o)), cells });
    }
    return { rows, columns: literalKeys ? cols : undefined };
  }

  /** The table named by one argument: a string (SQL name), an identifier or `ns.name` (ORM object or class). */
  private tableArg(a: number, b: number): OrmTableRef {
    const ts = this.ts;
    const span = this.span(a, b);
    if (a === b && ts.isStr(a)) {
      const s = ts.str(a)!.trim();
      // kysely aliases: 'person as p'
      const name = s.split(/\s+as\s+/i)[0].trim();
      const dot = name.lastIndexOf('.');
      return dot > 0 ? { sqlName: name.slice(dot + 1), schema: name.slice(0, dot), span } : { sqlName: name, span };
    }
    if (a === b && ts.kinds[a] === ID) {
      const local = ts.val(a);
      const exported = this.exportedName(local);
      return exported !== local ? { ormName: exported, localName: local, span } : { ormName: local, span };
    }
    if (b >= a + 2 && ts.kinds[b] === ID && ts.isP(b - 1, '.')) return { ormName: ts.val(b), span };
    if (ts.kinds[b] === ID && ts.isId(b - 1, 'as')) return this.tableArg(a, b - 2);
    return { span };
  }

  /** Enclosing function scope of token i, and whether a test on the dialect guards it. */
  private context(i: number): { scope?: Span; conditional: boolean } {
    const ts = this.ts;
    const { parent, kinds, starts, ends, text } = ts;
    let scope: Span | undefined;
    let conditional = false;
    let j = i;
    // up the enclosing brackets (precomputed parents: depth steps, not a walk over the file)
    for (let guard = 0; guard < 10000; guard++) {
      const open = j >= 0 ? parent[j] : -1;
      if (!scope) {
        // an expression-bodied arrow at this level before the call: `(tx) => tx.insert(...)`
        for (let k = j - 1; k > open; k--) {
          if (kinds[k] !== PUNCT) continue;
          const m = ts.match[k];
          const c = text.charCodeAt(starts[k]);
          if ((c === 41 || c === 93 || c === 125) && m >= 0 && m < k) { k = m; continue; }
          if (c === 59 || c === 44) break;
          if (c === 61 && ends[k] - starts[k] === 2 && text.charCodeAt(starts[k] + 1) === 62) {
            const close = open >= 0 ? ts.match[open] : -1;
            scope = { start: starts[k], end: close > 0 ? starts[close] : text.length };
            break;
          }
        }
      }
      if (open < 0) break;
      if (!scope && ts.isP(open, '{') && this.isFunctionBody(open)) {
        const close = ts.match[open];
        scope = { start: starts[open], end: close > 0 ? ends[close] : text.length };
      }
      if (!conditional) conditional = this.dialectTest(open);
      j = open;
    }
    return { scope, conditional };
  }

  private isFunctionBody(open: number): boolean {
    const ts = this.ts;
    const p = open - 1;
    if (ts.isP(p, '=>')) return true;
    if (ts.isP(p, ')')) {
      const o = ts.partner(p);
      if (o < 0) return false;
      const before = o - 1;
      if (ts.kinds[before] === ID) return !isKeyword(ts.val(before)) || ts.val(before) === 'function';
      return ts.isP(before, '>') || ts.isP(before, '*');
    }
    // `): Promise<{ a: T }> {`: a return type annotation after the parameters (bracketed parts skipped)
    for (let k = p, n = 0; k > 0 && n < 80; k--, n++) {
      if (ts.kinds[k] !== PUNCT) continue;
      const v = ts.val(k);
      if (v === ')' || v === ']' || v === '}') {
        if (v === ')' && ts.isP(k + 1, ':')) return true;
        const o = ts.partner(k);
        if (o < 0) return false;
        k = o;
        continue;
      }
      if (v === ';' || v === '{' || v === '(' || v === '[' || v === '=' || v === ',') return false;
    }
    return false;
  }

  /** The bracket at `open` is the argument list of `$if(cond, ...)` / `if (cond)` (or the block after it) testing the dialect. */
  private dialectTest(open: number): boolean {
    const ts = this.ts;
    let condOpen = -1;
    if (ts.isP(open, '(') && (ts.isId(open - 1, '$if') || ts.isId(open - 1, 'if') || ts.isId(open - 1, 'when'))) condOpen = open;
    else if (ts.isP(open, '{') && ts.isP(open - 1, ')')) {
      const o = ts.partner(open - 1);
      if (o > 0 && ts.isId(o - 1, 'if')) condOpen = o;
    }
    if (condOpen < 0) return false;
    const el = ts.elements(condOpen)[0];
    if (!el) return false;
    for (let k = el[0]; k <= el[1]; k++) {
      if ((ts.kinds[k] === ID || ts.isStr(k)) && /dialect|provider|sqlite|mysql|mariadb|mssql|insertIgnore|isPostgres|isPg\b/i.test(ts.val(k))) return true;
    }
    return false;
  }

  private push(w: Omit<OrmWrite, 'dialect' | 'scope' | 'returning'> & { returning?: boolean }, chain: Chain): void {
    const ctx = this.context(chain.first);
    const write: OrmWrite = { ...w, returning: w.returning ?? chain.links.some((l) => l.name === 'returning' || l.name === 'returningAll') };
    this.settle();
    if (this.dialect && !this.mixed) write.dialect = this.dialect;
    if (ctx.conditional || this.mixed) write.dialectConditional = true;
    if (ctx.scope) write.scope = ctx.scope;
    this.writes.push(write);
  }

  private pushRead(r: Omit<OrmRead, 'scope'>, chain: Chain): void {
    const ctx = this.context(chain.first);
    const read: OrmRead = { ...r };
    if (ctx.scope) read.scope = ctx.scope;
    this.reads.push(read);
  }

  private has(lib: OrmLibrary | 'ponder'): boolean {
    return this.libraries.has(lib);
  }

  // ---- classification ----------------------------------------------------------------------

  private classify(chain: Chain): void {
    const names = chain.links.map((l) => l.name);
    if (names.includes('onConflictDoNothing') || names.includes('onConflictDoUpdate')) return this.drizzle(chain);
    const oc = linkIndex(chain, 'onConflict');
    if (oc >= 0) {
      const a = args(this.ts, chain.links[oc]);
      if (a.length === 1 && this.isFunction(a[0][0], a[0][1])) return this.kysely(chain);
      return this.knexLike(chain);
    }
    if (names.includes('orIgnore') || names.includes('orUpdate')) return this.typeorm(chain);
    if (names.includes('createMany') || names.includes('createManyAndReturn')) return this.prismaOrSequelize(chain);
    if (names.includes('bulkCreate')) return this.sequelize(chain, linkIndex(chain, 'bulkCreate'));
    if (names.includes('upsert')) return this.prismaOrSequelize(chain);
    if (names.includes('insertInto') || names.includes('replaceInto')) return this.kysely(chain);
    if (names.includes('selectFrom')) return this.kyselyRead(chain);
    const ins = linkIndex(chain, 'insert');
    if (ins >= 0) {
      if (linkIndex(chain, 'values', ins) === ins + 1 || this.has('drizzle')) return this.drizzle(chain);
      // MikroORM's `em.createQueryBuilder(E).insert(v)` is knex-shaped; TypeORM's names the entity in `.into(E)`
      if ((names.includes('createQueryBuilder') && !(this.has('mikro-orm') && !this.has('typeorm'))) || names.includes('into')) return this.typeorm(chain);
      return this.knexLike(chain);
    }
    if (names.includes('create')) return this.prismaOrSequelize(chain);
    if (names.includes('select') && names.includes('from')) return this.drizzleRead(chain);
    for (const m of ['findFirst', 'findUnique', 'findFirstOrThrow', 'findUniqueOrThrow', 'findOne', 'findOneBy', 'findOneOrFail', 'findByPk']) {
      const k = linkIndex(chain, m);
      if (k >= 0) return this.findRead(chain, k);
    }
    if (names.includes('first') && chain.links[0]?.name === '') return this.knexRead(chain);
  }

  private isFunction(a: number, b: number): boolean {
    const ts = this.ts;
    let k = a;
    if (ts.isId(k, 'async')) k++;
    if (ts.isId(k, 'function')) return true;
    if (ts.kinds[k] === ID && ts.isP(k + 1, '=>')) return true;
    if (ts.isP(k, '(')) { const c = ts.partner(k); return c > 0 && c < b && (ts.isP(c + 1, '=>') || ts.isP(c + 1, ':')); }
    return false;
  }

  /** Drizzle: `db.insert(t).values(v).onConflictDoNothing({ target, where })` / `.onConflictDoUpdate({ target, set })`. */
  private drizzle(chain: Chain): void {
    const ts = this.ts;
    if (this.has('ponder') && !this.has('drizzle')) return; // ponder's store API: conflicts resolve on the primary key, no target exists
    let links = chain.links;
    let ins = linkIndex(chain, 'insert');
    // `query.onConflictDoNothing()` with `const query = tx.insert(t).values(v)`
    if (ins < 0 && chain.root && chain.links.length > 0 && chain.links[0].name !== '') {
      const bound = this.boundChain(chain.root, chain.first);
      if (bound && linkIndex(bound, 'insert') >= 0) {
        links = [...bound.links, ...chain.links];
        ins = linkIndex(bound, 'insert');
      }
    }
    if (ins < 0 && !links.some((l) => l.name === 'onConflictDoNothing' || l.name === 'onConflictDoUpdate')) return;
    const insLink = ins >= 0 ? links[ins] : undefined;
    const insArgs = insLink ? ts.elements(insLink.open) : [];
    if (insLink && insArgs.length !== 1) return; // not Drizzle's insert(table)
    const table = insArgs.length === 1 ? this.tableArg(insArgs[0][0], insArgs[0][1]) : {};
    // a table made by ponder's onchainTable: ponder's store resolves conflicts on the primary key itself
    if (insArgs.length === 1 && ts.kinds[insArgs[0][0]] === ID && this.declaredWith(ts.val(insArgs[0][0]), insArgs[0][0], 'onchainTable')) return;
    const valuesLink = links.find((l) => l.name === 'values' && l.open >= 0);
    const v = valuesLink ? ts.elements(valuesLink.open)[0] : undefined;
    const { rows, columns } = v ? this.rows(v[0], v[1]) : {};
    let conflict: OrmConflict | undefined;
    const c = links.find((l) => (l.name === 'onConflictDoNothing' || l.name === 'onConflictDoUpdate') && l.open >= 0);
    if (c) {
      const nothing = c.name === 'onConflictDoNothing';
      conflict = { target: { kind: 'none' }, action: nothing ? 'nothing' : 'update', clause: this.linkSpan(c) };
      const arg = ts.elements(c.open)[0];
      if (arg) {
        if (!ts.isP(arg[0], '{') || ts.partner(arg[0]) !== arg[1]) conflict.target = { kind: 'unknown', span: this.span(arg[0], arg[1]) };
        else {
          const { keys } = objectKeys(ts, arg[0]);
          const t = findKey(keys, 'target');
          if (t) {
            const cols = t.shorthand ? undefined : this.memberList(t.first, t.last);
            const where = findKey(keys, 'where') ?? findKey(keys, 'targetWhere');
            conflict.target = cols
              ? { kind: 'columns', columns: cols, naming: 'property', span: this.span(t.first, t.last), ...(where ? { where: this.span(where.first, where.last) } : {}) }
              : { kind: 'unknown', span: this.span(t.first, t.last) };
          }
          const set = findKey(keys, 'set');
          if (set && !set.shorthand && ts.isP(set.first, '{') && ts.partner(set.first) === set.last) {
            const sk = objectKeys(ts, set.first);
            if (!sk.spread) conflict.set = sk.keys.map((k) => k.key);
            conflict.setSpan = this.span(set.first, set.last);
          } else if (set) conflict.setSpan = this.span(set.first, set.last);
        }
      }
    }
    if (!insLink && !conflict) return;
    this.push({ library: 'drizzle', method: 'insert', call: this.span(chain.first, chain.last), table, columns, rows, conflict }, chain);
  }

  /** Kysely: `db.insertInto('t').values(v).onConflict((oc) => oc.column('a').doNothing())`. */
  private kysely(chain: Chain): void {
    const ts = this.ts;
    const insIdx = linkIndex(chain, 'insertInto') >= 0 ? linkIndex(chain, 'insertInto') : linkIndex(chain, 'replaceInto');
    let links = chain.links;
    let ins = insIdx >= 0 ? links[insIdx] : undefined;
    if (!ins && chain.root) {
      // `qb.onConflict(...)` on a builder bound earlier: `const qb = db.insertInto('t')...`
      const bound = this.boundChain(chain.root, chain.first);
      const k = bound ? linkIndex(bound, 'insertInto') : -1;
      if (bound && k >= 0) { links = [...bound.links, ...chain.links]; ins = bound.links[k]; }
    }
    const tArg = ins ? ts.elements(ins.open)[0] : undefined;
    const table = tArg ? this.tableArg(tArg[0], tArg[1]) : {};
    const valuesLink = links.find((l) => l.name === 'values' && l.open >= 0);
    const v = valuesLink ? ts.elements(valuesLink.open)[0] : undefined;
    const { rows, columns } = v ? this.rows(v[0], v[1]) : {};
    let conflict: OrmConflict | undefined;
    const oc = chain.links.find((l) => l.name === 'onConflict' && l.open >= 0);
    if (oc) conflict = this.kyselyConflict(oc);
    if (!ins && !conflict) return;
    this.push({ library: 'kysely', method: ins ? ts.val(ins.tok) : 'onConflict', call: this.span(chain.first, chain.last), table, columns, rows, conflict }, chain);
  }

  private kyselyConflict(oc: Link): OrmConflict {
    const ts = this.ts;
    const conflict: OrmConflict = { target: { kind: 'unknown' }, action: 'unknown', clause: this.linkSpan(oc) };
    const fn = ts.elements(oc.open)[0];
    if (!fn) return conflict;
    let k = fn[0];
    if (ts.isId(k, 'async')) k++;
    let param: string | undefined;
    let body: number;
    if (ts.kinds[k] === ID && ts.isP(k + 1, '=>')) { param = ts.val(k); body = k + 2; }
    else if (ts.isP(k, '(')) {
      const c = ts.partner(k);
      if (ts.kinds[k + 1] === ID) param = ts.val(k + 1);
      let arrow = c + 1;
      while (arrow <= fn[1] && !ts.isP(arrow, '=>') && !ts.isP(arrow, '{')) arrow++;
      body = ts.isP(arrow, '=>') ? arrow + 1 : arrow;
    } else return conflict;
    if (ts.isP(body, '{')) {
      let r = body + 1;
      const end = ts.partner(body);
      while (r < end && !ts.isId(r, 'return')) r++;
      if (r >= end) return conflict;
      body = r + 1;
    }
    if (ts.isP(body, '(')) body++;
    if (!param || !ts.isId(body, param)) return conflict;
    const inner = parseChain(ts, body);
    conflict.target = { kind: 'none' };
    for (const l of inner.links) {
      const a = args(ts, l);
      if (l.name === 'column' || l.name === 'columns') {
        const cols = a[0] ? this.stringList(a[0][0], a[0][1]) : undefined;
        conflict.target = cols ? { kind: 'columns', columns: cols, naming: 'column', span: this.linkSpan(l) } : { kind: 'unknown', span: this.linkSpan(l) };
      } else if (l.name === 'constraint') {
        const s = a[0] && a[0][0] === a[0][1] ? ts.str(a[0][0]) : undefined;
        conflict.target = s !== undefined ? { kind: 'constraint', name: s, span: this.linkSpan(l) } : { kind: 'unknown', span: this.linkSpan(l) };
      } else if (l.name === 'expression') {
        conflict.target = { kind: 'unknown', span: this.linkSpan(l) };
      } else if (l.name === 'where' && conflict.target.kind === 'columns') {
        conflict.target.where = this.linkSpan(l);
      } else if (l.name === 'doNothing') {
        conflict.action = 'nothing';
        conflict.actionSpan = this.linkSpan(l);
      } else if (l.name === 'doUpdateSet' || l.name === 'doUpdate') {
        conflict.action = 'update';
        conflict.actionSpan = this.linkSpan(l);
        if (a[0]) {
          conflict.setSpan = this.span(a[0][0], a[0][1]);
          if (ts.isP(a[0][0], '{') && ts.partner(a[0][0]) === a[0][1]) {
            const sk = objectKeys(ts, a[0][0]);
            if (!sk.spread) conflict.set = sk.keys.map((x) => x.key);
          }
        }
      }
    }
    return conflict;
  }

  /** knex / Objection / MikroORM: `.insert(rows).onConflict(['a', 'b']).ignore()` / `.merge([...])`. */
  private knexLike(chain: Chain): void {
    const ts = this.ts;
    let links = chain.links;
    let rootCall: Link | undefined = links[0]?.name === '' && links[0].open >= 0 ? links[0] : undefined;
    // `qb.insert(data)...` with `const qb = em.qb(Entity)` / `em.createQueryBuilder(Entity)`
    let boundLinks: Link[] = [];
    if (chain.root && !rootCall) {
      const bound = this.boundChain(chain.root, chain.first);
      if (bound) {
        boundLinks = bound.links;
        links = [...bound.links, ...chain.links];
        if (bound.links[0]?.name === '' && bound.links[0].open >= 0 && bound.links.length === 1) rootCall = bound.links[0];
      }
    }
    const insIdx = links.findIndex((l) => l.name === 'insert' && l.open >= 0);
    const oc = chain.links.find((l) => l.name === 'onConflict' && l.open >= 0);
    if (insIdx < 0 && !oc) return;
    let library: OrmLibrary = this.has('mikro-orm') ? 'mikro-orm' : this.has('objection') ? 'objection' : 'knex';
    if (!this.has('mikro-orm') && links.some((l) => l.name === 'query' || l.name === 'relatedQuery') && !this.has('knex')) library = 'objection';
    if (links.some((l) => l.name === 'qb' || l.name === 'createQueryBuilder') && this.has('mikro-orm')) library = 'mikro-orm';
    // table: knex('t') / trx('t'), .into('t') / .table('t') / .from('t'), Model.query(), em.qb(Entity)
    let table: OrmTableRef = {};
    const named = links.find((l) => (l.name === 'into' || l.name === 'table' || l.name === 'from' || l.name === 'qb' || l.name === 'createQueryBuilder') && l.open >= 0);
    const tArg = named ? ts.elements(named.open)[0] : rootCall ? ts.elements(rootCall.open)[0] : undefined;
    if (tArg) table = this.tableArg(tArg[0], tArg[1]);
    else if (links.some((l) => l.name === 'query') && chain.root && /^[A-Z]/.test(chain.root)) table = { ormName: chain.root, span: this.span(chain.first, chain.first) };
    const insLink = insIdx >= 0 ? links[insIdx] : undefined;
    const insArgs = insLink ? ts.elements(insLink.open) : [];
    // MikroORM `em.insert(Entity, data)`: the entity first
    let dataArg = insArgs[0];
    if (insArgs.length === 2 && library === 'mikro-orm') { table = this.tableArg(insArgs[0][0], insArgs[0][1]); dataArg = insArgs[1]; }
    const { rows, columns } = dataArg ? this.rows(dataArg[0], dataArg[1]) : {};
    let conflict: OrmConflict | undefined;
    if (oc) {
      const ocIdx = chain.links.indexOf(oc);
      const next = chain.links[ocIdx + 1];
      const action = next && (next.name === 'ignore' || next.name === 'merge') ? next : undefined;
      conflict = { target: { kind: 'unknown' }, action: action ? (action.name === 'ignore' ? 'nothing' : 'update') : 'unknown', clause: this.linkSpan(oc, action) };
      if (action) conflict.actionSpan = this.linkSpan(action);
      const a = ts.elements(oc.open);
      if (a.length === 0) conflict.target = { kind: 'none' };
      else {
        const raw = a.length === 1 && a[0][0] === a[0][1] ? ts.str(a[0][0]) : undefined;
        const m = raw !== undefined ? /^\s*\(([^)]*)\)\s*DO\s+(NOTHING|UPDATE)/i.exec(raw) : null;
        if (m) {
          // TypeORM's raw `.onConflict('("id") DO NOTHING')`
          library = 'typeorm';
          const cols = m[1].split(',').map((s) => s.trim().replace(/^"|"$/g, '')).filter(Boolean);
          conflict.target = cols.length ? { kind: 'columns', columns: cols, naming: 'column', span: this.span(a[0][0], a[0][1]) } : { kind: 'none' };
          conflict.action = m[2].toUpperCase() === 'NOTHING' ? 'nothing' : 'update';
        } else {
          const cols = a.length === 1 ? this.stringList(a[0][0], a[0][1]) : undefined;
          if (cols) conflict.target = { kind: 'columns', columns: cols, naming: 'column', span: this.span(a[0][0], a[0][1]) };
          else conflict.target = { kind: 'unknown', span: this.span(a[0][0], a[a.length - 1][1]) };
        }
      }
      if (action?.name === 'merge') {
        const ma = ts.elements(action.open)[0];
        if (ma) {
          conflict.setSpan = this.span(ma[0], ma[1]);
          const list = this.stringList(ma[0], ma[1]);
          if (list) conflict.set = list;
          else if (ts.isP(ma[0], '{') && ts.partner(ma[0]) === ma[1]) {
            const sk = objectKeys(ts, ma[0]);
            if (!sk.spread) conflict.set = sk.keys.map((x) => x.key);
          }
        }
      }
    }
    if (!insLink && boundLinks.length === 0 && !rootCall && !oc) return;
    this.push({ library, method: insLink ? 'insert' : 'onConflict', call: this.span(chain.first, chain.last), table, columns, rows, conflict }, chain);
  }

  /** TypeORM: `createQueryBuilder().insert().into(E).values(v).orIgnore()` / `.orUpdate(['a'], ['key'])`. */
  private typeorm(chain: Chain): void {
    const ts = this.ts;
    const links = chain.links;
    const into = links.find((l) => l.name === 'into' && l.open >= 0);
    const tArg = into ? ts.elements(into.open)[0] : undefined;
    const table = tArg ? this.tableArg(tArg[0], tArg[1]) : {};
    const valuesLink = links.find((l) => l.name === 'values' && l.open >= 0);
    const v = valuesLink ? ts.elements(valuesLink.open)[0] : undefined;
    const { rows, columns } = v ? this.rows(v[0], v[1]) : {};
    let conflict: OrmConflict | undefined;
    const ig = links.find((l) => l.name === 'orIgnore' && l.open >= 0);
    const up = links.find((l) => l.name === 'orUpdate' && l.open >= 0);
    if (ig) {
      const a = ts.elements(ig.open)[0];
      // orIgnore(false) turns it off
      if (!(a && ts.isId(a[0], 'false'))) conflict = { target: { kind: 'none' }, action: 'nothing', clause: this.linkSpan(ig) };
    } else if (up) {
      const a = ts.elements(up.open);
      conflict = { target: { kind: 'unknown' }, action: 'update', clause: this.linkSpan(up) };
      if (a[0]) {
        conflict.setSpan = this.span(a[0][0], a[0][1]);
        const set = this.stringList(a[0][0], a[0][1]);
        if (set) conflict.set = set;
      }
      if (a[1]) {
        const cols = this.stringList(a[1][0], a[1][1]);
        conflict.target = cols ? { kind: 'columns', columns: cols, naming: 'column', span: this.span(a[1][0], a[1][1]) } : { kind: 'unknown', span: this.span(a[1][0], a[1][1]) };
      } else conflict.target = { kind: 'none' };
    }
    if (!into && !conflict) return;
    this.push({ library: 'typeorm', method: 'insert', call: this.span(chain.first, chain.last), table, columns, rows, conflict }, chain);
  }

  /** Prisma `x.model.createMany({ data, skipDuplicates })` / `upsert({ where, create, update })` / `create({ data })`; else Sequelize. */
  private prismaOrSequelize(chain: Chain): void {
    const ts = this.ts;
    const idx = chain.links.findIndex((l) => ['createMany', 'createManyAndReturn', 'upsert', 'create'].includes(l.name) && l.open >= 0);
    if (idx < 0) return;
    const link = chain.links[idx];
    const a = ts.elements(link.open);
    const objArg = a[0] && ts.isP(a[0][0], '{') && ts.partner(a[0][0]) === a[0][1] ? objectKeys(ts, a[0][0]) : undefined;
    const prismaShape = a.length === 1 && objArg && (findKey(objArg.keys, 'data') || (link.name === 'upsert' && findKey(objArg.keys, 'where')));
    if (!prismaShape) return this.sequelize(chain, idx);
    // model accessor: the link before the method (`prisma.session.createMany`, `tx.datasetItemMedia.createMany`)
    const prev = idx > 0 ? chain.links[idx - 1] : undefined;
    const modelTok = prev && prev.open < 0 && prev.name ? prev.tok : idx === 0 && chain.root ? chain.first : -1;
    if (modelTok < 0) return;
    const table: OrmTableRef = { ormName: ts.val(modelTok), span: this.span(modelTok, modelTok) };
    const keys = objArg!.keys;
    let rows: OrmRow[] | undefined;
    let columns: string[] | undefined;
    let conflict: OrmConflict | undefined;
    if (link.name === 'upsert') {
      const where = findKey(keys, 'where');
      const create = findKey(keys, 'create');
      const update = findKey(keys, 'update');
      if (create && !create.shorthand) ({ rows, columns } = this.rows(create.first, create.last));
      conflict = { target: { kind: 'unknown' }, action: 'update', clause: this.linkSpan(link) };
      const wk = where && !where.shorthand ? this.filterKeys(where.first, where.last) : undefined;
      if (wk?.length) conflict.target = { kind: 'columns', columns: wk, naming: 'property', span: this.span(where!.first, where!.last) };
      if (update && !update.shorthand && ts.isP(update.first, '{')) {
        const uk = objectKeys(ts, update.first);
        if (!uk.spread) conflict.set = uk.keys.map((k) => k.key);
        conflict.setSpan = this.span(update.first, update.last);
      }
    } else {
      const data = findKey(keys, 'data')!;
      if (!data.shorthand) ({ rows, columns } = this.rows(data.first, data.last));
      const skip = findKey(keys, 'skipDuplicates');
      if (skip && (skip.shorthand || !ts.isId(skip.first, 'false') || skip.first !== skip.last)) {
        conflict = { target: { kind: 'none' }, action: 'nothing', clause: this.span(skip.keyTok, skip.last) };
      }
    }
    this.push({ library: 'prisma', method: link.name, call: this.span(chain.first, chain.last), table, columns, rows, conflict }, chain);
  }

  /** Sequelize: `Model.bulkCreate(rows, { ignoreDuplicates: true | updateOnDuplicate: [...], conflictAttributes })`, `create(row, {...})`. */
  private sequelize(chain: Chain, idx: number): void {
    const ts = this.ts;
    const link = chain.links[idx];
    if (!link || link.open < 0) return;
    const a = ts.elements(link.open);
    const opts = a[1] && ts.isP(a[1][0], '{') && ts.partner(a[1][0]) === a[1][1] ? objectKeys(ts, a[1][0]) : undefined;
    const ig = opts && findKey(opts.keys, 'ignoreDuplicates');
    const up = opts && findKey(opts.keys, 'updateOnDuplicate');
    const ca = opts && (findKey(opts.keys, 'conflictAttributes') ?? findKey(opts.keys, 'conflictFields'));
    const isSequelize = link.name === 'bulkCreate' || ig || up || ca || (this.has('sequelize') && link.name !== 'createMany');
    if (!isSequelize) return;
    // the model: the receiver of the method (`User.bulkCreate`, `models[row.model].create`, `this.model.create`)
    const prev = idx > 0 ? chain.links[idx - 1] : undefined;
    let table: OrmTableRef = {};
    if (prev && prev.open < 0 && prev.name) table = { ormName: prev.name, span: this.span(prev.tok, prev.tok) };
    else if (idx === 0 && chain.root) table = { ormName: this.exportedName(chain.root), span: this.span(chain.first, chain.first) };
    if (link.name === 'create' && !ig && !up && !ca && !(table.ormName && /^[A-Z]/.test(table.ormName))) return;
    const { rows, columns } = a[0] ? this.rows(a[0][0], a[0][1]) : {};
    let conflict: OrmConflict | undefined;
    const cols = ca && !ca.shorthand ? this.stringList(ca.first, ca.last) : undefined;
    const target: OrmConflict['target'] = ca ? (cols ? { kind: 'columns', columns: cols, naming: 'property', span: this.span(ca.first, ca.last) } : { kind: 'unknown', span: this.span(ca.first, ca.last) }) : { kind: 'none' };
    if (up && !(up.first === up.last && ts.isId(up.first, 'false'))) {
      const set = up.shorthand ? undefined : this.stringList(up.first, up.last);
      // without conflictAttributes Sequelize targets the model's primary key / unique keys itself
      conflict = { target: ca ? target : { kind: 'unknown' }, action: 'update', clause: this.span(up.keyTok, up.last), setSpan: this.span(up.first, up.last) };
      if (set) conflict.set = set;
    } else if (ig && !(ig.first === ig.last && ts.isId(ig.first, 'false'))) {
      conflict = { target, action: 'nothing', clause: this.span(ig.keyTok, ig.last) };
    }
    this.push({ library: 'sequelize', method: link.name, call: this.span(chain.first, chain.last), table, columns, rows, conflict }, chain);
  }

  // ---- reads (checks before an insert) -------------------------------------------------------

  /** Columns compared by equality in a filter's tokens: `eq(t.a, x)`, `{ a: x }`, `('a', '=', x)`. */
  private filterKeys(a: number, b: number): string[] | undefined {
    const ts = this.ts;
    const out: string[] = [];
    if (ts.isP(a, '{') && ts.partner(a) === b) {
      const { keys, spread } = objectKeys(ts, a);
      if (spread) return undefined;
      for (const k of keys) {
        if (!k.shorthand && ts.isP(k.first, '{') && ts.partner(k.first) === k.last) {
          // Prisma compound unique input `where: { projectId_name: { projectId, name } }`
          const inner = objectKeys(ts, k.first);
          if (/_/.test(k.key) && !inner.spread) { out.push(...inner.keys.map((x) => x.key)); continue; }
        }
        if (!['AND', 'OR', 'NOT', 'deletedAt'].includes(k.key)) out.push(k.key);
      }
      return out;
    }
    for (let k = a; k <= b; k++) {
      if (ts.isId(k, 'eq') && ts.isP(k + 1, '(')) {
        const el = ts.elements(k + 1)[0];
        const m = el ? this.memberList(el[0], el[1]) : undefined;
        if (m) out.push(m[0]);
      }
    }
    return out.length ? out : undefined;
  }

  private findRead(chain: Chain, k: number): void {
    const ts = this.ts;
    const link = chain.links[k];
    if (link.open < 0) return;
    const a = ts.elements(link.open);
    let library: OrmLibrary = 'prisma';
    let table: OrmTableRef = {};
    let filter: [number, number] | undefined = a[0];
    const prev = k > 0 ? chain.links[k - 1] : undefined;
    if (link.name === 'findOne' && a.length === 2 && this.has('mikro-orm')) {
      library = 'mikro-orm';
      table = this.tableArg(a[0][0], a[0][1]);
      filter = a[1];
    } else if (link.name === 'findByPk' || (link.name === 'findOne' && this.has('sequelize'))) {
      library = 'sequelize';
      if (prev && prev.open < 0 && prev.name) table = { ormName: prev.name };
      else if (k === 0 && chain.root) table = { ormName: this.exportedName(chain.root) };
      const o = a[0] && ts.isP(a[0][0], '{') ? objectKeys(ts, a[0][0]) : undefined;
      const w = o && findKey(o.keys, 'where');
      filter = w && !w.shorthand ? [w.first, w.last] : undefined;
    } else if (link.name.startsWith('findOne') && this.has('typeorm')) {
      library = 'typeorm';
      // the entity: `ds.getRepository(E).findOneBy(...)`, `manager.findOneBy(E, where)`, `E.findOneBy(...)` (BaseEntity), `this.users.findOneBy(...)`
      const repo = chain.links.find((l) => l.name === 'getRepository' && l.open >= 0);
      const ra = repo ? ts.elements(repo.open)[0] : undefined;
      if (a.length === 2) { table = this.tableArg(a[0][0], a[0][1]); a.shift(); }
      else if (ra) table = this.tableArg(ra[0], ra[1]);
      else if (prev && prev.open < 0 && prev.name) table = { ormName: prev.name };
      else if (k === 0 && chain.root && /^[A-Z]/.test(chain.root)) table = { ormName: this.exportedName(chain.root) };
      const o = a[0] && ts.isP(a[0][0], '{') ? objectKeys(ts, a[0][0]) : undefined;
      const w = o && link.name === 'findOne' ? findKey(o.keys, 'where') : undefined;
      filter = w && !w.shorthand ? [w.first, w.last] : link.name === 'findOneBy' ? a[0] : undefined;
    } else {
      // Prisma `prisma.user.findFirst({ where })`, Drizzle `db.query.users.findFirst({ where: eq(...) })`
      if (!prev || prev.open >= 0 || !prev.name) return;
      library = chain.links.some((l) => l.name === 'query') && this.has('drizzle') ? 'drizzle' : 'prisma';
      table = { ormName: this.exportedName(prev.name), span: this.span(prev.tok, prev.tok) };
      const o = a[0] && ts.isP(a[0][0], '{') ? objectKeys(ts, a[0][0]) : undefined;
      const w = o && findKey(o.keys, 'where');
      filter = w && !w.shorthand ? [w.first, w.last] : undefined;
    }
    const keys = filter ? this.filterKeys(filter[0], filter[1]) : undefined;
    this.pushRead({ library, method: link.name, call: this.span(chain.first, chain.last), table, keys, locking: false, aggregate: false }, chain);
  }

  /** Drizzle `db.select(...).from(t).where(and(eq(t.a, x), ...)).limit(1).for('update')`. */
  private drizzleRead(chain: Chain): void {
    const ts = this.ts;
    const from = chain.links.find((l) => l.name === 'from' && l.open >= 0);
    const sel = chain.links.find((l) => l.name === 'select' && l.open >= 0);
    if (!from || !sel) return;
    const t = ts.elements(from.open)[0];
    if (!t) return;
    const table = this.tableArg(t[0], t[1]);
    const where = chain.links.find((l) => l.name === 'where' && l.open >= 0);
    const w = where ? ts.elements(where.open)[0] : undefined;
    const keys = w ? this.filterKeys(w[0], w[1]) : undefined;
    const forLink = chain.links.find((l) => l.name === 'for' && l.open >= 0);
    const locking = !!forLink && /update|share/i.test(ts.text.slice(ts.starts[forLink.open], ts.ends[forLink.close]));
    const selText = ts.text.slice(ts.starts[sel.open], ts.ends[sel.close]);
    const library: OrmLibrary = this.has('drizzle') || !(this.has('knex') || this.has('objection')) ? 'drizzle' : 'knex';
    this.pushRead({ library, method: 'select', call: this.span(chain.first, chain.last), table, keys, locking, aggregate: /\bcount\s*\(/.test(selText) }, chain);
  }

  /** Kysely `db.selectFrom('t').where('a', '=', x)...executeTakeFirst()`. */
  private kyselyRead(chain: Chain): void {
    const ts = this.ts;
    const from = chain.links.find((l) => l.name === 'selectFrom' && l.open >= 0)!;
    const t = ts.elements(from.open)[0];
    if (!t) return;
    const table = this.tableArg(t[0], t[1]);
    const keys: string[] = [];
    for (const l of chain.links) {
      if (l.name !== 'where' || l.open < 0) continue;
      const a = ts.elements(l.open);
      if (a.length === 3 && a[0][0] === a[0][1] && ts.isStr(a[0][0]) && ts.str(a[1][0]) === '=') keys.push(ts.str(a[0][0])!.split('.').pop()!);
    }
    const aggregate = chain.links.some((l) => l.name === 'select' && l.open >= 0 && /\bcount(?:All)?\b|fn\.count/.test(ts.text.slice(ts.starts[l.open], ts.ends[l.close])));
    const locking = chain.links.some((l) => l.name === 'forUpdate' || l.name === 'forShare');
    this.pushRead({ library: 'kysely', method: 'selectFrom', call: this.span(chain.first, chain.last), table, keys: keys.length ? keys : undefined, locking, aggregate }, chain);
  }

  /** knex `db('t').where({ a }).first()`. */
  private knexRead(chain: Chain): void {
    const ts = this.ts;
    const root = chain.links[0];
    const t = ts.elements(root.open)[0];
    if (!t || !ts.isStr(t[0])) return;
    const table = this.tableArg(t[0], t[1]);
    const where = chain.links.find((l) => l.name === 'where' && l.open >= 0);
    const w = where ? ts.elements(where.open) : [];
    const keys = w.length === 1 ? this.filterKeys(w[0][0], w[0][1]) : w.length >= 2 && ts.isStr(w[0][0]) ? [ts.str(w[0][0])!] : undefined;
    const library: OrmLibrary = this.has('objection') && !this.has('knex') ? 'objection' : 'knex';
    const locking = chain.links.some((l) => l.name === 'forUpdate' || l.name === 'forShare');
    this.pushRead({ library, method: 'first', call: this.span(chain.first, chain.last), table, keys, locking, aggregate: false }, chain);
  }
}

/** Same table by the names both sides know (ORM name, else SQL name). */
function sameTable(a: OrmTableRef, b: OrmTableRef): boolean {
  if (a.ormName && b.ormName) return a.ormName === b.ormName || lowerFirst(a.ormName) === lowerFirst(b.ormName);
  if (a.sqlName && b.sqlName) return a.sqlName === b.sqlName && (a.schema ?? '') === (b.schema ?? '');
  return false;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/**
 * Check-then-insert through an ORM: a row check (not a count) of a table, then an insert into the
 * same table with no conflict clause, in one function. The race: two callers both see no row.
 */
export function checkThenInsert(file: OrmFileFacts): OrmCheckThenInsert[] {
  const out: OrmCheckThenInsert[] = [];
  for (const w of file.writes) {
    if (w.conflict || !w.scope) continue;
    const read = file.reads
      .filter((r) => !r.aggregate && r.scope && r.scope.start === w.scope!.start && r.call.end <= w.call.start && sameTable(r.table, w.table))
      .pop();
    if (read) out.push({ read, write: w });
  }
  return out;
}
