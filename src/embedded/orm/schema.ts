/**
 * Tables and unique keys declared in ORM schema files, as TableDescription records (src/core/catalog)
 * with the place each key is declared: Drizzle `pgTable(...)`, `schema.prisma`, Kysely and knex
 * migrations, Sequelize `define`/`init`, TypeORM and MikroORM entity decorators. Each file also says
 * which dialect it declares (sqliteTable/mysqlTable vs pgTable, Prisma `provider`, knex `client`,
 * Sequelize `dialect`, TypeORM `type`). Pure; never throws.
 */
import type { ColumnDescription, TableDescription, UniqueKey } from '../../core/catalog';
import type { Span } from '../../core/facts';
import { LineIndex } from '../../core/positions';
import { quoteIdent } from '../../core/quote';
import type { Location } from '../../core/types';
import { args, chainStart, linkIndex, parseChain, type Chain } from './chain';
import type { DialectHints } from '../dialect-hints';
import { dialectEvidence, settleDialect } from './dialect';
import { ID as ID_IMPORT, NUM as NUM_IMPORT, PUNCT as PUNCT_IMPORT, TokenStream } from './stream';
import type { Dialect, DialectEvidence, OrmLibrary } from './types';

// Token kinds as local constants: a cross-module constant read is a getter call per token under CommonJS.
const ID: number = ID_IMPORT;
const NUM: number = NUM_IMPORT;
const PUNCT: number = PUNCT_IMPORT;

/** One table an ORM schema declares. */
export interface OrmSchemaTable {
  library: OrmLibrary;
  /** The name code uses for it: Drizzle export, Prisma model, Sequelize model, TypeORM/MikroORM entity class. */
  ormName?: string;
  /** SQL names, keys with their origins. */
  table: TableDescription;
  /** ORM property (field) name → SQL column name. */
  fields: Record<string, string>;
}

export interface OrmSchemaFile {
  path: string;
  library?: OrmLibrary;
  /** The dialect the file declares, when it does. */
  dialect?: Dialect;
  evidence: DialectEvidence[];
  tables: OrmSchemaTable[];
}

/**
 * Reads the ORM schema declarations of one file (by its path's extension and content). `stream`: the
 * file's token stream when the caller has one (asked for only if the file may declare tables). Never throws.
 */
export function readOrmSchema(path: string, text: string, stream?: () => TokenStream, hints?: (ts: TokenStream) => DialectHints): OrmSchemaFile {
  try {
    if (/\.prisma$/i.test(path)) return readPrisma(path, text);
    if (!mayDeclareOrmTables(text)) {
      return { path, evidence: [], tables: [] };
    }
    return new TsSchemaReader(path, text, stream?.(), hints).run();
  } catch {
    return { path, evidence: [], tables: [] };
  }
}

/** Whether the schema reader tokenizes a file of this path in JSX mode (.jsx, .tsx). */
export function schemaJsx(path: string): boolean {
  return /\.[jt]sx$/i.test(path);
}

/**
 * Cheap tests on the raw text before a file is tokenized: a table builder or migration call, an
 * entity decorator, or Sequelize's define/init in a file that names Sequelize (both words are common).
 * Every declaration the reader below knows is spelled with one of these, so a file that fails the
 * test declares nothing it would read.
 */
export function mayDeclareOrmTables(text: string): boolean {
  // every table builder and decorator below spells `Table`, `Schema` or `Entity`: most files are out at once
  if (!text.includes('Table') && !text.includes('Schema') && !text.includes('Entity') && !text.includes('.table') && !text.includes('equelize')) return false;
  // Substring searches with the word boundaries checked around each hit (a regex of alternatives tried
  // at every offset of a whole file costs more than the rest of this test): every table builder and
  // decorator name ends in `Table`, `Schema` or `Entity`, so their occurrences are all there is to check.
  if (builderAtTable(text) || builderAtSchema(text) || hasWord(text, '@Entity', false)) return true;
  if (hasTableCall(text) && hasWord(text, 'schema', true)) return true;
  // the word tests first: a case-blind scan of the whole text costs more
  return (hasWord(text, 'define', true) || hasWord(text, 'init', true)) && /sequelize/i.test(text);
}

/** Names before `Table` that make a table builder: `pgTable`, `createTable`, ... (`\bpgTable\b`, and `\bpgTableCreator\b`). */
const BEFORE_TABLE = ['pg', 'mysql', 'sqlite', 'onchain', 'create'];

/** `@Table\b`, or `\b<name>Table\b` for a name of BEFORE_TABLE, or `\bpgTableCreator\b`. */
function builderAtTable(text: string): boolean {
  for (let i = text.indexOf('Table'); i >= 0; i = text.indexOf('Table', i + 1)) {
    const end = i + 5;
    const bounded = !wordChar(text.charCodeAt(end));
    if (bounded && text.charCodeAt(i - 1) === 64 /* @ */) return true;
    const creator = !bounded && text.startsWith('Creator', end) && !wordChar(text.charCodeAt(end + 7));
    if (!bounded && !creator) continue;
    for (const p of BEFORE_TABLE) {
      if (creator && p !== 'pg') continue;
      const start = i - p.length;
      if (start >= 0 && text.startsWith(p, start) && (start === 0 || !wordChar(text.charCodeAt(start - 1)))) return true;
    }
  }
  return false;
}

/** `\bpgSchema\b`. */
function builderAtSchema(text: string): boolean {
  for (let i = text.indexOf('Schema'); i >= 0; i = text.indexOf('Schema', i + 1)) {
    if (wordChar(text.charCodeAt(i + 6)) || i < 2 || !text.startsWith('pg', i - 2)) continue;
    if (i === 2 || !wordChar(text.charCodeAt(i - 3))) return true;
  }
  return false;
}

/** A regex word character (`\w`): what `\b` stands between. */
function wordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** `text` has `w` ending at a word boundary (`w\b`), and starting at one when `before` (`\bw\b`). */
function hasWord(text: string, w: string, before: boolean): boolean {
  for (let i = text.indexOf(w); i >= 0; i = text.indexOf(w, i + 1)) {
    if (before && i > 0 && wordChar(text.charCodeAt(i - 1))) continue;
    if (!wordChar(text.charCodeAt(i + w.length))) return true;
  }
  return false;
}

const OPEN_PAREN = /\s*\(/y;

/** `text` has `.table(` (`/\.table\s*\(/`). */
function hasTableCall(text: string): boolean {
  for (let i = text.indexOf('.table'); i >= 0; i = text.indexOf('.table', i + 1)) {
    OPEN_PAREN.lastIndex = i + 6;
    if (OPEN_PAREN.test(text)) return true;
  }
  return false;
}

class Locator {
  private lines: LineIndex | undefined;
  constructor(readonly path: string, readonly text: string) {}
  at(span: Span): Location {
    // made on first use: most files the reader is given declare nothing
    const lines = (this.lines ??= new LineIndex(this.text));
    const a = lines.position(span.start);
    const b = lines.position(span.end);
    return { path: this.path, start: span.start, end: span.end, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }
}

function snakeCase(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

function pluralize(s: string): string {
  if (/(?:s|x|z|ch|sh)$/i.test(s)) return `${s}es`;
  if (/[^aeiou]y$/i.test(s)) return `${s.slice(0, -1)}ies`;
  return `${s}s`;
}

function newTable(name: string, schema?: string): TableDescription {
  return { schema: schema ?? 'public', name, columns: [], keys: [], source: 'ddl' };
}

function column(t: TableDescription, name: string): ColumnDescription {
  let c = t.columns.find((x) => x.name === name);
  if (!c) t.columns.push((c = { name, type: '', notNull: false }));
  return c;
}

/** Marks primary-key columns NOT NULL, as PostgreSQL does. */
function finishTable(t: TableDescription): void {
  for (const k of t.keys) if (k.kind === 'primary') for (const c of k.columns) column(t, c).notNull = true;
}

// ---- Prisma ---------------------------------------------------------------------------------

const PRISMA_SURROGATE = /@default\(\s*(?:autoincrement|uuid|cuid|ulid|nanoid|now|dbgenerated\(\s*"(?:gen_random_uuid|uuid_generate_v4)\(\)"\s*\))/;

function readPrisma(path: string, text: string): OrmSchemaFile {
  const loc = new Locator(path, text);
  const evidence: DialectEvidence[] = [];
  const tables: OrmSchemaTable[] = [];
  const prov = /\bdatasource\s+\w+\s*\{[^}]*?\bprovider\s*=\s*"([^"]+)"/.exec(text);
  if (prov) {
    const d = ({ postgresql: 'postgresql', postgres: 'postgresql', cockroachdb: 'postgresql', mysql: 'mysql', sqlite: 'sqlite', sqlserver: 'mssql' } as Record<string, Dialect>)[prov[1]];
    const at = prov.index + prov[0].lastIndexOf('provider');
    if (d) evidence.push({ dialect: d, strength: 'orm', reason: `provider = "${prov[1]}"`, span: { start: at, end: prov.index + prov[0].length } });
  }
  const models = new Set<string>();
  const enumsAndTypes = new Set<string>();
  for (const m of text.matchAll(/^\s*(model|view|enum|type)\s+(\w+)\s*\{/gm)) (m[1] === 'model' ? models : enumsAndTypes).add(m[2]);
  const re = /^[ \t]*model\s+(\w+)\s*\{/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const bodyStart = m.index + m[0].length;
    // the model's closing brace (models may be indented inside a namespace block)
    let end = bodyStart;
    for (let depth = 1; end < text.length; end++) {
      const ch = text.charCodeAt(end);
      if (ch === 123) depth++;
      else if (ch === 125 && --depth === 0) break;
      else if (ch === 34) { const q = text.indexOf('"', end + 1); if (q > 0 && text.lastIndexOf('\n', q) < end) end = q; }
      else if (ch === 47 && text.charCodeAt(end + 1) === 47) { const nl = text.indexOf('\n', end); end = nl < 0 ? text.length : nl; }
    }
    const model = m[1];
    const t = newTable(model);
    const fields: Record<string, string> = {};
    const pending: Array<{ kind: UniqueKey['kind']; props: string[]; name?: string; span: Span }> = [];
    let lineStart = bodyStart;
    for (const raw of text.slice(bodyStart, end).split('\n')) {
      const line = raw.replace(/\/\/.*$/, '');
      const lineOffset = lineStart;
      lineStart += raw.length + 1;
      const trimmed = line.trim();
      if (!trimmed) continue;
      const block = /^@@(id|unique|map|schema)\s*\((.*)\)\s*$/.exec(trimmed);
      const span = { start: lineOffset + raw.indexOf(trimmed), end: lineOffset + raw.indexOf(trimmed) + trimmed.length };
      if (block) {
        const inner = block[2];
        if (block[1] === 'map') { const n = /"([^"]+)"/.exec(inner); if (n) t.name = n[1]; continue; }
        if (block[1] === 'schema') { const n = /"([^"]+)"/.exec(inner); if (n) t.schema = n[1]; continue; }
        const list = /(?:fields\s*:\s*)?\[([^\]]*)\]/.exec(inner);
        if (!list) continue;
        const props = list[1].split(',').map((s) => s.trim().replace(/\(.*$/, '')).filter(Boolean);
        const name = /\bmap\s*:\s*"([^"]+)"/.exec(inner)?.[1];
        pending.push({ kind: block[1] === 'id' ? 'primary' : 'unique-index', props, name, span });
        continue;
      }
      const f = /^(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(trimmed);
      if (!f || trimmed.startsWith('@')) continue;
      const [, prop, type, list, optional, attrs] = f;
      // relation fields hold no column
      if (list || models.has(type) || /@relation\b/.test(attrs)) continue;
      const col = /@map\(\s*"([^"]+)"\s*\)/.exec(attrs)?.[1] ?? prop;
      fields[prop] = col;
      const c = column(t, col);
      c.type = type;
      c.notNull = !optional;
      if (PRISMA_SURROGATE.test(attrs)) c.surrogate = true;
      if (/@updatedAt\b/.test(attrs)) c.surrogate = true;
      if (/@id\b/.test(attrs)) pending.push({ kind: 'primary', props: [prop], span });
      if (/@unique\b/.test(attrs)) pending.push({ kind: 'unique-index', props: [prop], name: /@unique\([^)]*map\s*:\s*"([^"]+)"/.exec(attrs)?.[1], span });
    }
    for (const p of pending) {
      const key: UniqueKey = { kind: p.kind, columns: p.props.map((x) => fields[x] ?? x), origin: loc.at(p.span) };
      if (p.name) key.name = p.name;
      t.keys.push(key);
    }
    t.origin = loc.at({ start: m.index + m[0].indexOf('model'), end: bodyStart - 1 });
    finishTable(t);
    tables.push({ library: 'prisma', ormName: model, table: t, fields });
  }
  const { dialect } = settleDialect(evidence);
  return { path, library: 'prisma', dialect, evidence, tables };
}

// ---- TS schema files ------------------------------------------------------------------------

const DRIZZLE_TABLE_FNS = new Set(['pgTable', 'mysqlTable', 'sqliteTable', 'onchainTable', 'singlestoreTable']);

/** The calls the reader reads: table builders, schema objects and creators, migration and Sequelize methods. */
const CALLS = [...DRIZZLE_TABLE_FNS, 'pgSchema', 'mysqlSchema', 'pgTableCreator', 'sqliteTableCreator', 'mysqlTableCreator', 'table', 'createTable', 'alterTable', 'createIndex', 'define', 'init'];
const CALL_MAX = Math.max(...CALLS.map((c) => c.length)) + 1;
/** CALLS by length and first character (`length * 128 + code`). */
const CALL_SLOTS = new Uint8Array(CALL_MAX * 128);
for (const c of CALLS) CALL_SLOTS[c.length * 128 + c.charCodeAt(0)] = 1;
const DRIZZLE_SERIAL = new Set(['serial', 'bigserial', 'smallserial']);
const KNEX_INCREMENTS = new Set(['increments', 'bigIncrements']);

class TsSchemaReader {
  private readonly ts: TokenStream;
  private readonly loc: Locator;
  private readonly tables: OrmSchemaTable[] = [];
  private readonly libraries = new Set<OrmLibrary>();
  /** Locals bound to `pgSchema('s')` / `pgTableCreator(...)`: their `.table(...)` / call makes a table. */
  private readonly schemaObjects = new Map<string, string | undefined>();
  private readonly tableCreators = new Set<string>();

  constructor(private readonly path: string, private readonly text: string, stream?: TokenStream, private readonly hints?: (ts: TokenStream) => DialectHints) {
    this.ts = stream ?? new TokenStream(text, schemaJsx(path));
    this.loc = new Locator(path, text);
  }

  run(): OrmSchemaFile {
    const ts = this.ts;
    const evidence = dialectEvidence(ts, this.hints?.(ts));
    const { kinds, starts, ends, text } = ts;
    for (let i = 0; i < ts.length; i++) {
      const k = kinds[i];
      if (k === PUNCT) {
        if (ends[i] - starts[i] === 1 && text.charCodeAt(starts[i]) === 64 /* @ */ && kinds[i + 1] === ID && (ts.is(i + 1, 'Entity') || ts.is(i + 1, 'Table'))) this.entity(i);
        continue;
      }
      // every shape below is a call of a name of CALLS (or of a table creator the file binds): most
      // identifiers are not followed by `(`, and the others are told apart by length and first letter, never sliced
      if (k !== ID || !ts.isP(i + 1, '(')) continue;
      const len = ends[i] - starts[i];
      const dotted = ts.isP(i - 1, '.');
      if (len >= CALL_MAX || CALL_SLOTS[len * 128 + (text.charCodeAt(starts[i]) & 127)] === 0) {
        if (dotted || this.tableCreators.size === 0) continue;
      }
      const v = ts.val(i);
      if (!dotted) {
        if (DRIZZLE_TABLE_FNS.has(v) || this.tableCreators.has(v)) { this.drizzleTable(i, undefined); continue; }
        if ((v === 'pgSchema' || v === 'mysqlSchema') && ts.isP(i - 1, '=') && ts.kinds[i - 2] === ID) this.schemaObjects.set(ts.val(i - 2), ts.str(i + 2));
        if ((v === 'pgTableCreator' || v === 'sqliteTableCreator' || v === 'mysqlTableCreator') && ts.isP(i - 1, '=') && ts.kinds[i - 2] === ID) this.tableCreators.add(ts.val(i - 2));
        continue;
      }
      // a method call (`.x(`)
      if (v === 'table' && ts.kinds[i - 2] === ID && this.schemaObjects.has(ts.val(i - 2)) && !ts.isP(i - 3, '.')) this.drizzleTable(i, this.schemaObjects.get(ts.val(i - 2)));
      else if (v === 'createTable' || v === 'alterTable' || v === 'createIndex' || v === 'table') this.migration(i);
      else if (v === 'define' || v === 'init') this.sequelize(i);
    }
    for (const t of this.tables) finishTable(t.table);
    const { dialect } = settleDialect(evidence);
    const library = this.tables[0]?.library;
    return { path: this.path, library, dialect, evidence, tables: this.tables };
  }

  private span(a: number, b: number): Span {
    return { start: this.ts.starts[a], end: this.ts.ends[b] };
  }

  private find(library: OrmLibrary, sqlName: string, schema?: string): OrmSchemaTable {
    let t = this.tables.find((x) => x.library === library && x.table.name === sqlName && x.table.schema === (schema ?? 'public'));
    if (!t) this.tables.push((t = { library, table: newTable(sqlName, schema), fields: {} }));
    return t;
  }

  /** `[first, last]` of the `=>` body of a callback argument, or of an object literal given directly. */
  private callbackBody(a: number, b: number): { param?: string; body: number } | undefined {
    const ts = this.ts;
    let k = a;
    if (ts.isId(k, 'async')) k++;
    if (ts.kinds[k] === ID && ts.isP(k + 1, '=>')) return { param: ts.val(k), body: k + 2 };
    if (ts.isP(k, '(')) {
      const c = ts.partner(k);
      if (c < 0 || c >= b) return undefined;
      let arrow = c + 1;
      while (arrow <= b && !ts.isP(arrow, '=>')) arrow++;
      if (arrow > b) return undefined;
      return { param: ts.kinds[k + 1] === ID ? ts.val(k + 1) : undefined, body: arrow + 1 };
    }
    if (ts.isId(k, 'function')) {
      const o = k + 1 + (ts.kinds[k + 1] === ID ? 1 : 0);
      const c = ts.partner(o);
      return { param: ts.kinds[o + 1] === ID ? ts.val(o + 1) : undefined, body: c + 1 };
    }
    return { body: a };
  }

  /** The object literal an expression body yields: `({...})`, `{ return {...} }`, `[...]`. */
  private yielded(body: number): number {
    const ts = this.ts;
    if (ts.isP(body, '(') && (ts.isP(body + 1, '{') || ts.isP(body + 1, '['))) return body + 1;
    if (ts.isP(body, '{')) {
      // a block body when it holds a return; an object literal otherwise
      const end = ts.partner(body);
      for (let r = body + 1; r < end; r++) {
        if (ts.isId(r, 'return')) return ts.isP(r + 1, '(') ? r + 2 : r + 1;
        if (ts.isP(r, '{') || ts.isP(r, '(') || ts.isP(r, '[')) r = Math.max(r, ts.partner(r));
      }
    }
    return body;
  }

  // -- Drizzle --

  private drizzleTable(fn: number, schemaName: string | undefined): void {
    const ts = this.ts;
    const a = ts.elements(fn + 1);
    if (a.length < 2 || !ts.isStr(a[0][0])) return;
    const name = ts.str(a[0][0])!;
    const dialectFn = ts.val(fn);
    const library: OrmLibrary = 'drizzle';
    this.libraries.add(library);
    const entry: OrmSchemaTable = { library, table: newTable(name, schemaName), fields: {} };
    // `export const users = pgTable(...)`
    const head = ts.isP(fn - 1, '.') ? fn - 2 : fn; // `schema.table(` starts at `schema`
    if (ts.isP(head - 1, '=') && ts.kinds[head - 2] === ID) entry.ormName = ts.val(head - 2);
    entry.table.origin = this.loc.at(this.span(fn, a[0][1]));
    this.tables.push(entry);
    void dialectFn;
    // columns: an object, or a callback returning one
    let colsObj = a[1][0];
    if (!ts.isP(colsObj, '{')) {
      const cb = this.callbackBody(a[1][0], a[1][1]);
      if (!cb) return;
      colsObj = this.yielded(cb.body);
    }
    if (ts.isP(colsObj, '{')) this.drizzleColumns(entry, colsObj);
    if (a[2]) this.drizzleExtra(entry, a[2][0], a[2][1]);
  }

  private drizzleColumns(entry: OrmSchemaTable, open: number): void {
    const ts = this.ts;
    for (const [x, y] of ts.elements(open)) {
      if (!(ts.kinds[x] === ID || ts.isStr(x)) || !ts.isP(x + 1, ':')) continue;
      const prop = ts.kinds[x] === ID ? ts.val(x) : ts.str(x)!;
      let v = x + 2;
      // `t.text()` in callback forms: the builder's root is the parameter
      const chain = parseChain(ts, v);
      let links = chain.links;
      let typeName = chain.root;
      let nameArg: string | undefined;
      if (links[0]?.name === '' && links[0].open >= 0) {
        const first = ts.elements(links[0].open)[0];
        if (first && ts.isStr(first[0]) && first[0] === first[1]) nameArg = ts.str(first[0]);
        links = links.slice(1);
      } else if (links[0] && links[0].open >= 0) {
        typeName = links[0].name;
        const first = ts.elements(links[0].open)[0];
        if (first && ts.isStr(first[0]) && first[0] === first[1]) nameArg = ts.str(first[0]);
        links = links.slice(1);
      }
      void v;
      const col = nameArg ?? prop;
      entry.fields[prop] = col;
      const c = column(entry.table, col);
      c.type = typeName;
      if (DRIZZLE_SERIAL.has(typeName)) { c.surrogate = true; c.notNull = true; }
      const span = this.span(x, chain.last);
      for (const l of links) {
        if (l.name === 'notNull') c.notNull = true;
        else if (l.name === 'primaryKey') entry.table.keys.push({ kind: 'primary', columns: [col], origin: this.loc.at(span) });
        else if (l.name === 'unique') {
          const n = args(ts, l)[0];
          const key: UniqueKey = { kind: 'unique', columns: [col], origin: this.loc.at(span) };
          if (n && ts.isStr(n[0])) key.name = ts.str(n[0]);
          entry.table.keys.push(key);
        } else if (l.name === 'defaultRandom' || l.name === 'defaultNow' || l.name === '$defaultFn' || l.name === '$default') c.surrogate = true;
        else if (l.name === 'generatedAlwaysAsIdentity' || l.name === 'generatedByDefaultAsIdentity') { c.identity = l.name === 'generatedAlwaysAsIdentity' ? 'always' : 'by default'; c.surrogate = true; }
        else if (l.name === 'default') {
          const d = args(ts, l)[0];
          if (d && /\b(?:gen_random_uuid|now|nextval)\s*\(/.test(this.text.slice(ts.starts[d[0]], ts.ends[d[1]]))) c.surrogate = true;
        }
      }
    }
  }

  /** Property name of `table.a` / `table.a.asc().nullsLast()` / `t.a.op(...)`, else undefined. */
  private memberProp(x: number, y: number, param: string | undefined): string | undefined {
    const ts = this.ts;
    if (ts.kinds[x] !== ID || !ts.isP(x + 1, '.') || ts.kinds[x + 2] !== ID) return undefined;
    if (param && ts.val(x) !== param) return undefined;
    void y;
    return ts.val(x + 2);
  }

  private drizzleExtra(entry: OrmSchemaTable, a: number, b: number): void {
    const ts = this.ts;
    const cb = this.callbackBody(a, b);
    if (!cb) return;
    const open = this.yielded(cb.body);
    if (!ts.isP(open, '[') && !ts.isP(open, '{')) return;
    for (const [x, y] of ts.elements(open)) {
      let s = x;
      if (ts.isP(open, '{')) { if (!ts.isP(x + 1, ':')) continue; s = x + 2; }
      const chain = parseChain(ts, s);
      const kindName = chain.root;
      if (!['unique', 'uniqueIndex', 'primaryKey'].includes(kindName)) continue;
      const first = chain.links[0]?.name === '' ? chain.links[0] : undefined;
      const rootArgs = first ? ts.elements(first.open) : [];
      const key: UniqueKey = { kind: kindName === 'primaryKey' ? 'primary' : kindName === 'unique' ? 'unique' : 'unique-index', columns: [], origin: this.loc.at(this.span(s, y)) };
      if (rootArgs[0] && ts.isStr(rootArgs[0][0])) key.name = ts.str(rootArgs[0][0]);
      const addCols = (list: Array<[number, number]>) => {
        for (const [p, q] of list) {
          const prop = this.memberProp(p, q, cb.param);
          if (prop) key.columns.push(entry.fields[prop] ?? prop);
          else if (ts.isStr(p)) continue;
          else { key.columns.push(this.sqlText(p, q, entry.fields)); key.expression = true; }
        }
      };
      if (kindName === 'primaryKey') {
        if (rootArgs[0] && ts.isP(rootArgs[0][0], '{')) {
          for (const [p, q] of ts.elements(rootArgs[0][0])) {
            if (ts.isId(p, 'columns') && ts.isP(p + 2, '[')) addCols(ts.elements(p + 2));
            else if (ts.isId(p, 'name') && ts.isStr(p + 2)) key.name = ts.str(p + 2);
            void q;
          }
        } else addCols(rootArgs);
      }
      for (const l of chain.links) {
        if (l.name === 'on') addCols(args(ts, l));
        else if (l.name === 'using') addCols(args(ts, l).slice(1));
        else if (l.name === 'where') { const w = args(ts, l)[0]; if (w) key.predicate = this.sqlText(w[0], w[1], entry.fields); }
        else if (l.name === 'nullsNotDistinct') key.nullsNotDistinct = true;
      }
      if (key.columns.length) entry.table.keys.push(key);
    }
  }

  /** A `sql\`...\`` template's text (interpolations of `${t.col}` as the column), else the expression as written. */
  private sqlText(a: number, b: number, fields: Record<string, string> = {}): string {
    const raw = this.text.slice(this.ts.starts[a], this.ts.ends[b]);
    const m = /^sql\s*`([\s\S]*)`$/.exec(raw);
    if (!m) return raw;
    return m[1].replace(/\$\{\s*(?:\w+\.)?(\w+)\s*\}/g, (_, p: string) => quoteIdent(fields[p] ?? p));
  }

  // -- Kysely and knex migrations --

  private migration(tok: number): void {
    const ts = this.ts;
    const first = chainStart(ts, tok);
    const chain = parseChain(ts, first);
    const idx = chain.links.findIndex((l) => l.tok === tok);
    const link = chain.links[idx];
    if (!link || link.open < 0) return;
    const a = ts.elements(link.open);
    if (!a[0] || !ts.isStr(a[0][0])) return;
    // knex: createTable('t', (table) => { ... }); kysely: createTable('t').addColumn(...)
    if (a[1] && (link.name === 'createTable' || link.name === 'alterTable' || link.name === 'table')) return this.knexTable(chain, link.name, a);
    if (link.name === 'table') return;
    const schemaName = this.withSchema(chain);
    if (link.name === 'createIndex') return this.kyselyIndex(chain, idx, schemaName);
    const full = ts.str(a[0][0])!;
    const dot = full.indexOf('.');
    const entry = this.find('kysely', dot > 0 ? full.slice(dot + 1) : full, dot > 0 ? full.slice(0, dot) : schemaName);
    this.libraries.add('kysely');
    if (link.name === 'createTable') entry.table.origin = this.loc.at(this.span(link.tok, link.close));
    for (const l of chain.links.slice(idx + 1)) {
      const la = args(ts, l);
      if (l.name === 'addColumn' && la[0] && ts.isStr(la[0][0])) {
        const col = ts.str(la[0][0])!;
        const c = column(entry.table, col);
        if (la[1] && ts.isStr(la[1][0])) c.type = ts.str(la[1][0])!;
        if (/^(?:big)?serial$/i.test(c.type)) { c.surrogate = true; c.notNull = true; }
        if (!la[2]) continue;
        const cb = this.callbackBody(la[2][0], la[2][1]);
        if (!cb || !cb.param) continue;
        const colChain = parseChain(ts, cb.body);
        const span = this.span(l.tok, l.close);
        for (const m of colChain.links) {
          if (m.name === 'primaryKey') entry.table.keys.push({ kind: 'primary', columns: [col], origin: this.loc.at(span) });
          else if (m.name === 'unique') entry.table.keys.push({ kind: 'unique', columns: [col], origin: this.loc.at(span) });
          else if (m.name === 'notNull') c.notNull = true;
          else if (m.name === 'autoIncrement' || m.name === 'generatedAlwaysAsIdentity' || m.name === 'generatedByDefaultAsIdentity') c.surrogate = true;
          else if (m.name === 'defaultTo') {
            const d = args(ts, m)[0];
            if (d && /\b(?:gen_random_uuid|now|nextval|CURRENT_TIMESTAMP)\b/i.test(this.text.slice(ts.starts[d[0]], ts.ends[d[1]]))) c.surrogate = true;
          }
        }
      } else if ((l.name === 'addPrimaryKeyConstraint' || l.name === 'addUniqueConstraint') && la[1]) {
        const cols = this.strings(la[1][0], la[1][1]);
        if (!cols) continue;
        const key: UniqueKey = { kind: l.name === 'addPrimaryKeyConstraint' ? 'primary' : 'unique', columns: cols, origin: this.loc.at(this.span(l.tok, l.close)) };
        if (ts.isStr(la[0][0])) key.name = ts.str(la[0][0]);
        if (la[2] && /nullsNotDistinct/.test(this.text.slice(ts.starts[la[2][0]], ts.ends[la[2][1]]))) key.nullsNotDistinct = true;
        entry.table.keys.push(key);
      }
    }
  }

  private withSchema(chain: Chain): string | undefined {
    const i = linkIndex(chain, 'withSchema');
    if (i < 0) return undefined;
    const a = args(this.ts, chain.links[i])[0];
    return a && this.ts.isStr(a[0]) ? this.ts.str(a[0]) : undefined;
  }

  private strings(a: number, b: number): string[] | undefined {
    const ts = this.ts;
    if (a === b && ts.isStr(a)) return [ts.str(a)!];
    if (!ts.isP(a, '[')) return undefined;
    const out: string[] = [];
    for (const [x, y] of ts.elements(a)) {
      if (x !== y || !ts.isStr(x)) return undefined;
      out.push(ts.str(x)!);
    }
    return out;
  }

  private kyselyIndex(chain: Chain, idx: number, schemaName: string | undefined): void {
    const ts = this.ts;
    const link = chain.links[idx];
    const name = ts.str(ts.elements(link.open)[0][0]);
    let table: string | undefined;
    let unique = false;
    const cols: string[] = [];
    let expression = false;
    let predicate: string | undefined;
    let nnd = false;
    for (const l of chain.links.slice(idx + 1)) {
      const la = args(ts, l);
      if (l.name === 'on' && la[0] && ts.isStr(la[0][0])) table = ts.str(la[0][0]);
      else if (l.name === 'unique') unique = true;
      else if (l.name === 'column' && la[0] && ts.isStr(la[0][0])) cols.push(ts.str(la[0][0])!);
      else if (l.name === 'columns' && la[0]) cols.push(...(this.strings(la[0][0], la[0][1]) ?? []));
      else if (l.name === 'expression' && la[0]) { cols.push(this.sqlText(la[0][0], la[0][1])); expression = true; }
      else if (l.name === 'where' && la[0]) predicate = this.text.slice(ts.starts[la[0][0]], ts.ends[la[la.length - 1][1]]);
      else if (l.name === 'nullsNotDistinct') nnd = true;
    }
    if (!unique || !table || !cols.length) return;
    const entry = this.find('kysely', table, schemaName);
    const key: UniqueKey = { kind: 'unique-index', columns: cols, origin: this.loc.at(this.span(chain.first, chain.last)) };
    if (name) key.name = name;
    if (expression) key.expression = true;
    if (predicate) key.predicate = predicate;
    if (nnd) key.nullsNotDistinct = true;
    entry.table.keys.push(key);
  }

  /** knex `schema.createTable('t', (table) => { table.string('a').notNullable().unique(); table.unique(['a', 'b']); })`. */
  private knexTable(chain: Chain, method: string, a: Array<[number, number]>): void {
    const ts = this.ts;
    const full = ts.str(a[0][0])!;
    const dot = full.indexOf('.');
    const schemaName = this.withSchema(chain);
    const entry = this.find('knex', dot > 0 ? full.slice(dot + 1) : full, dot > 0 ? full.slice(0, dot) : schemaName);
    this.libraries.add('knex');
    if (method === 'createTable') entry.table.origin = this.loc.at(this.span(chain.first, a[0][1]));
    const cb = this.callbackBody(a[1][0], a[1][1]);
    if (!cb?.param || !ts.isP(cb.body, '{')) return;
    const end = ts.partner(cb.body);
    for (let i = cb.body + 1; i < end; i++) {
      if (!ts.isId(i, cb.param) || !ts.isP(i + 1, '.') || ts.isP(i - 1, '.')) continue;
      const st = parseChain(ts, i);
      i = st.last;
      const head = st.links[0];
      if (!head || head.open < 0) continue;
      const ha = args(ts, head);
      const span = this.span(st.first, st.last);
      if (head.name === 'unique' || head.name === 'primary') {
        const cols = ha[0] ? this.strings(ha[0][0], ha[0][1]) : undefined;
        if (!cols) continue;
        const key: UniqueKey = { kind: head.name === 'primary' ? 'primary' : 'unique', columns: cols, origin: this.loc.at(span) };
        const opt = ha[1];
        if (opt && ts.isStr(opt[0])) key.name = ts.str(opt[0]);
        else if (opt && ts.isP(opt[0], '{')) {
          const txt = this.text.slice(ts.starts[opt[0]], ts.ends[opt[1]]);
          const n = /(?:indexName|constraintName)\s*:\s*['"]([^'"]+)['"]/.exec(txt);
          if (n) key.name = n[1];
          if (/useConstraint\s*:\s*false/.test(txt)) key.kind = 'unique-index';
          if (/predicate\s*:/.test(txt)) key.predicate = txt;
        }
        entry.table.keys.push(key);
        continue;
      }
      if (!ha[0] || !ts.isStr(ha[0][0])) continue;
      const col = ts.str(ha[0][0])!;
      if (['index', 'dropColumn', 'dropUnique', 'dropIndex', 'foreign', 'renameColumn', 'dropPrimary', 'comment'].includes(head.name)) continue;
      const c = column(entry.table, col);
      c.type = head.name;
      if (KNEX_INCREMENTS.has(head.name)) {
        c.surrogate = true;
        c.notNull = true;
        const opt = ha[1] ? this.text.slice(ts.starts[ha[1][0]], ts.ends[ha[1][1]]) : '';
        if (!/primaryKey\s*:\s*false/.test(opt)) entry.table.keys.push({ kind: 'primary', columns: [col], origin: this.loc.at(span) });
      }
      for (const l of st.links.slice(1)) {
        if (l.name === 'primary') entry.table.keys.push({ kind: 'primary', columns: [col], origin: this.loc.at(span) });
        else if (l.name === 'unique') entry.table.keys.push({ kind: 'unique', columns: [col], origin: this.loc.at(span) });
        else if (l.name === 'notNullable') c.notNull = true;
        else if (l.name === 'nullable') c.notNull = false;
        else if (l.name === 'defaultTo') {
          const d = args(ts, l)[0];
          if (d && /\b(?:gen_random_uuid|uuid_generate_v4|now|CURRENT_TIMESTAMP)\b|fn\s*\.\s*(?:now|uuid)\s*\(/i.test(this.text.slice(ts.starts[d[0]], ts.ends[d[1]]))) c.surrogate = true;
        }
      }
    }
  }

  // -- Sequelize --

  /** `sequelize.define('Name', { attrs }, { tableName, indexes })` / `Name.init({ attrs }, { sequelize, tableName, indexes })`. */
  private sequelize(tok: number): void {
    const ts = this.ts;
    const link = tok + 1;
    const a = ts.elements(link);
    const isDefine = ts.val(tok) === 'define';
    let modelName: string | undefined;
    let attrs: [number, number] | undefined;
    let opts: [number, number] | undefined;
    // Sequelize only (medusa's DML has a `model.define` too)
    if (!/sequelize|DataTypes/i.test(this.text)) return;
    if (isDefine) {
      if (!a[0] || !ts.isStr(a[0][0]) || !a[1] || !ts.isP(a[1][0], '{')) return;
      modelName = ts.str(a[0][0]);
      attrs = a[1];
      opts = a[2];
    } else {
      if (!a[0] || !ts.isP(a[0][0], '{') || !a[1] || !ts.isP(a[1][0], '{')) return;
      if (ts.kinds[tok - 2] !== ID || !/^[A-Z]/.test(ts.val(tok - 2))) return;
      modelName = ts.val(tok - 2);
      attrs = a[0];
      opts = a[1];
      if (!/\bsequelize\b/.test(this.text.slice(ts.starts[opts[0]], ts.ends[opts[1]]))) return;
    }
    let tableName: string | undefined;
    let schemaName: string | undefined;
    let freeze = false;
    let indexes: number | undefined;
    let underscored = false;
    if (opts && ts.isP(opts[0], '{')) {
      for (const [x, y] of ts.elements(opts[0])) {
        const k = ts.kinds[x] === ID ? ts.val(x) : '';
        if (k === 'tableName' && ts.isStr(x + 2)) tableName = ts.str(x + 2);
        else if (k === 'schema' && ts.isStr(x + 2)) schemaName = ts.str(x + 2);
        else if (k === 'freezeTableName' && ts.isId(x + 2, 'true')) freeze = true;
        else if (k === 'modelName' && ts.isStr(x + 2)) modelName = ts.str(x + 2);
        else if (k === 'underscored' && ts.isId(x + 2, 'true')) underscored = true;
        else if (k === 'indexes' && ts.isP(x + 2, '[')) indexes = x + 2;
        void y;
      }
    }
    if (!modelName) return;
    const sqlName = tableName ?? (freeze ? modelName : pluralize(modelName));
    const entry = this.find('sequelize', sqlName, schemaName);
    entry.ormName = modelName;
    entry.table.origin = this.loc.at(this.span(tok, tok));
    this.libraries.add('sequelize');
    for (const [x, y] of ts.elements(attrs[0])) {
      if (!(ts.kinds[x] === ID || ts.isStr(x)) || !ts.isP(x + 1, ':')) continue;
      const prop = ts.kinds[x] === ID ? ts.val(x) : ts.str(x)!;
      let col = underscored ? snakeCase(prop) : prop;
      const c0 = x + 2;
      const span = this.span(x, y);
      if (!ts.isP(c0, '{')) { entry.fields[prop] = col; column(entry.table, col); continue; }
      const o: Record<string, [number, number]> = {};
      for (const [p, q] of ts.elements(c0)) if (ts.kinds[p] === ID && ts.isP(p + 1, ':')) o[ts.val(p)] = [p + 2, q];
      if (o.field && ts.isStr(o.field[0])) col = ts.str(o.field[0])!;
      entry.fields[prop] = col;
      const c = column(entry.table, col);
      const val = (k: string) => (o[k] ? this.text.slice(ts.starts[o[k][0]], ts.ends[o[k][1]]) : undefined);
      if (o.type) c.type = val('type')!;
      if (val('allowNull') === 'false') c.notNull = true;
      if (val('autoIncrement') === 'true') c.surrogate = true;
      if (/UUIDV[14]|NOW/.test(val('defaultValue') ?? '')) c.surrogate = true;
      if (val('primaryKey') === 'true') entry.table.keys.push({ kind: 'primary', columns: [col], origin: this.loc.at(span) });
      const u = o.unique;
      if (u && val('unique') !== 'false') {
        const key: UniqueKey = { kind: 'unique', columns: [col], origin: this.loc.at(span) };
        if (ts.isStr(u[0])) key.name = ts.str(u[0]);
        else if (ts.isP(u[0], '{')) { const n = /name\s*:\s*['"]([^'"]+)/.exec(val('unique')!); if (n) key.name = n[1]; }
        // named unique on several attributes makes one composite key
        const same = key.name ? entry.table.keys.find((k) => k.kind === 'unique' && k.name === key.name) : undefined;
        if (same) same.columns.push(col); else entry.table.keys.push(key);
      }
    }
    if (indexes !== undefined) {
      for (const [x, y] of ts.elements(indexes)) {
        if (!ts.isP(x, '{')) continue;
        const txt = this.text.slice(ts.starts[x], ts.ends[y]);
        if (!/\bunique\s*:\s*true/.test(txt)) continue;
        const f = /\bfields\s*:\s*\[([^\]]*)\]/.exec(txt);
        if (!f) continue;
        const cols = [...f[1].matchAll(/['"]([^'"]+)['"]/g)].map((m) => entry.fields[m[1]] ?? m[1]);
        if (!cols.length) continue;
        const key: UniqueKey = { kind: 'unique-index', columns: cols, origin: this.loc.at(this.span(x, y)) };
        const n = /\bname\s*:\s*['"]([^'"]+)/.exec(txt);
        if (n) key.name = n[1];
        const w = /\bwhere\s*:/.exec(txt);
        if (w) key.predicate = txt.slice(w.index);
        entry.table.keys.push(key);
      }
    }
  }

  // -- TypeORM and MikroORM entities --

  /** `@Entity(...)` (and its sibling class decorators) then `class X { ...decorated properties }`. */
  private entity(at: number): void {
    const ts = this.ts;
    // the class this decorator list belongs to
    let cls = at;
    while (cls < ts.length && !ts.isId(cls, 'class')) {
      if (ts.isP(cls, '(') || ts.isP(cls, '{') || ts.isP(cls, '[')) cls = Math.max(cls, ts.partner(cls));
      cls++;
      if (cls - at > 400) return;
    }
    if (ts.kinds[cls + 1] !== ID) return;
    const className = ts.val(cls + 1);
    let body = cls + 2;
    while (body < ts.length && !ts.isP(body, '{')) { if (ts.isP(body, '(') || ts.isP(body, '<')) { const p = ts.partner(body); if (p > 0) body = p; } body++; }
    const bodyEnd = ts.partner(body);
    if (bodyEnd < 0) return;
    const mikro = /@mikro-orm\//.test(this.text);
    const library: OrmLibrary = mikro ? 'mikro-orm' : 'typeorm';
    // class decorators: from the first `@` before `class` back to the previous statement
    let decoStart = at;
    for (let k = at - 1; k >= 0; k--) {
      if (ts.isP(k, ')') ) { k = ts.partner(k); continue; }
      if (ts.isP(k, '@')) { decoStart = k; continue; }
      if (ts.kinds[k] === ID && ts.isP(k - 1, '@')) continue;
      if (ts.isId(k, 'export') || ts.isId(k, 'default') || ts.isId(k, 'abstract')) continue;
      break;
    }
    let tableName: string | undefined;
    let schemaName: string | undefined;
    const classKeys: Array<{ kind: UniqueKey['kind']; props: string[]; name?: string; span: Span }> = [];
    for (let k = decoStart; k < cls; k++) {
      if (!ts.isP(k, '@') || ts.kinds[k + 1] !== ID || !ts.isP(k + 2, '(')) continue;
      const d = ts.val(k + 1);
      const a = ts.elements(k + 2);
      const span = this.span(k, ts.partner(k + 2));
      if (d === 'Entity' || d === 'Table') {
        if (a[0] && ts.isStr(a[0][0])) tableName = ts.str(a[0][0]);
        const o = a.find(([x]) => ts.isP(x, '{'));
        if (o) {
          const txt = this.text.slice(ts.starts[o[0]], ts.ends[o[1]]);
          tableName = /\b(?:name|tableName)\s*:\s*['"]([^'"]+)/.exec(txt)?.[1] ?? tableName;
          schemaName = /\bschema\s*:\s*['"]([^'"]+)/.exec(txt)?.[1];
        }
      } else if (d === 'Unique' || d === 'Index') {
        const txt = this.text.slice(ts.starts[k + 2], ts.ends[ts.partner(k + 2)]);
        if (d === 'Index' && !/\bunique\s*:\s*true/.test(txt)) continue;
        let name: string | undefined;
        let props: string[] | undefined;
        for (const [x, y] of a) {
          if (ts.isStr(x) && x === y && !name && a.length > 1) name = ts.str(x);
          else if (ts.isP(x, '[')) props = this.strings(x, y);
          else if (ts.isP(x, '{')) {
            const pm = /\bproperties\s*:\s*(\[[^\]]*\]|['"][^'"]+['"])/.exec(this.text.slice(ts.starts[x], ts.ends[y]));
            if (pm) props = [...pm[1].matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1]);
            const nm = /\bname\s*:\s*['"]([^'"]+)/.exec(this.text.slice(ts.starts[x], ts.ends[y]));
            if (nm) name = nm[1];
          }
        }
        if (props?.length) classKeys.push({ kind: d === 'Unique' ? 'unique' : 'unique-index', props, name, span });
      }
    }
    const sqlName = tableName ?? snakeCase(className);
    const entry = this.find(library, sqlName, schemaName);
    entry.ormName = className;
    entry.table.origin = this.loc.at(this.span(at, at + 1));
    this.libraries.add(library);
    // properties: decorators then `name[?!]: Type`
    let decos: Array<{ name: string; open: number; span: Span }> = [];
    for (let k = body + 1; k < bodyEnd; k++) {
      if (ts.isP(k, '@') && ts.kinds[k + 1] === ID) {
        const open = ts.isP(k + 2, '(') ? k + 2 : -1;
        decos.push({ name: ts.val(k + 1), open, span: this.span(k, open >= 0 ? ts.partner(open) : k + 1) });
        k = open >= 0 ? ts.partner(open) : k + 1;
        continue;
      }
      if (ts.isP(k, '{') || ts.isP(k, '(')) { k = Math.max(k, ts.partner(k)); decos = []; continue; }
      if (ts.kinds[k] !== ID || decos.length === 0) continue;
      if (['readonly', 'public', 'private', 'protected', 'declare', 'override', 'accessor'].includes(ts.val(k))) continue;
      const prop = ts.val(k);
      const optional = ts.isP(k + 1, '?');
      this.entityProperty(entry, library, prop, optional, decos);
      decos = [];
    }
    for (const ck of classKeys) {
      const key: UniqueKey = { kind: ck.kind, columns: ck.props.map((p) => entry.fields[p] ?? (library === 'mikro-orm' ? snakeCase(p) : p)), origin: this.loc.at(ck.span) };
      if (ck.name) key.name = ck.name;
      entry.table.keys.push(key);
    }
  }

  private entityProperty(entry: OrmSchemaTable, library: OrmLibrary, prop: string, optional: boolean, decos: Array<{ name: string; open: number; span: Span }>): void {
    const ts = this.ts;
    const columnDecos = new Set(['Column', 'PrimaryColumn', 'PrimaryGeneratedColumn', 'CreateDateColumn', 'UpdateDateColumn', 'Property', 'PrimaryKey', 'Enum', 'VersionColumn', 'DeleteDateColumn', 'SerializedPrimaryKey']);
    if (!decos.some((d) => columnDecos.has(d.name) || d.name === 'Unique' || d.name === 'Index')) return;
    let col = library === 'mikro-orm' ? snakeCase(prop) : prop;
    const optsText = decos.map((d) => (d.open >= 0 ? this.text.slice(ts.starts[d.open], ts.ends[ts.partner(d.open)]) : '')).join(' ');
    const named = /\b(?:name|fieldName)\s*:\s*['"]([^'"]+)/.exec(optsText);
    if (named) col = named[1];
    entry.fields[prop] = col;
    const c = column(entry.table, col);
    c.notNull = library === 'mikro-orm' ? !optional : true;
    if (/\bnullable\s*:\s*true/.test(optsText)) c.notNull = false;
    if (/\bnullable\s*:\s*false/.test(optsText)) c.notNull = true;
    for (const d of decos) {
      const txt = d.open >= 0 ? this.text.slice(ts.starts[d.open], ts.ends[ts.partner(d.open)]) : '';
      if (d.name === 'PrimaryGeneratedColumn' || d.name === 'CreateDateColumn' || d.name === 'UpdateDateColumn') c.surrogate = true;
      if (d.name === 'PrimaryColumn' || d.name === 'PrimaryGeneratedColumn' || d.name === 'PrimaryKey') {
        const existing = entry.table.keys.find((k) => k.kind === 'primary');
        if (existing) existing.columns.push(col); else entry.table.keys.push({ kind: 'primary', columns: [col], origin: this.loc.at(d.span) });
        if (/\bautoincrement\s*:\s*true|defaultRaw\s*:\s*['"`](?:gen_random_uuid|uuid_generate)/i.test(txt)) c.surrogate = true;
        // MikroORM: a numeric primary key is auto-increment unless told otherwise
        if (library === 'mikro-orm' && d.name === 'PrimaryKey' && !/\bautoincrement\s*:\s*false/i.test(txt)
          && new RegExp(`^[\\s\\S]{0,200}?\\b${prop.replace(/\$/g, "\\$")}\\s*[!?]?\\s*:\\s*(?:number|bigint)\\b`).test(this.text.slice(d.span.end, d.span.end + 240))) c.surrogate = true;
      }
      if ((d.name === 'Column' || d.name === 'Property') && /\bunique\s*:\s*true/.test(txt)) entry.table.keys.push({ kind: 'unique', columns: [col], origin: this.loc.at(d.span) });
      if (d.name === 'Unique') entry.table.keys.push({ kind: 'unique', columns: [col], origin: this.loc.at(d.span) });
      if (d.name === 'Index' && /\bunique\s*:\s*true/.test(txt)) entry.table.keys.push({ kind: 'unique-index', columns: [col], origin: this.loc.at(d.span) });
    }
    void NUM;
  }
}

/** The dialect a project's schema files declare, when they all agree. */
export function projectDialect(files: readonly OrmSchemaFile[]): Dialect | undefined {
  const found = new Set(files.map((f) => f.dialect).filter((d): d is Dialect => d !== undefined));
  return found.size === 1 ? [...found][0] : undefined;
}
