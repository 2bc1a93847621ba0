/**
 * The schema model built from the workspace's DDL: migration files applied in name order, each
 * statement parsed with PostgreSQL's own grammar (libpg-query). It knows tables, columns
 * (nullability, defaults, surrogate values) and unique keys (primary keys, unique constraints,
 * unique indexes, exclusion constraints), with the place in the files where each was declared.
 * Statements it cannot parse are skipped; nothing here throws on any input text.
 */
import type { ColumnDescription, TableDescription, UniqueKey } from '../catalog';
import type { SchemaModel } from '../schema';
import type { Location } from '../types';
import { LineIndex, locationAt } from '../positions';
import { expr, normalizeSql, quoteIdent, typeName } from './deparse';
import { ensureParser, isTemplatedSchema, parseRange, parserReady, parseSelected, parseTolerant, skipTrivia, statementRanges, WHOLE_PARSE_MAX_CHARS, type ParsedStatement } from './pg';

/** One DDL source file. */
export interface DdlFile {
  path: string;
  text: string;
}

export interface DdlOptions {
  /** `schema.table` (or bare `table`, resolved in the search path) → natural key columns. */
  naturalKeys?: Record<string, string[]>;
  /** Where unqualified names resolve (default `['public']`); also the schema of template placeholders. */
  searchPath?: string[];
  /** Apply `*.down.sql` files too (default false: a down migration undoes its up twin). */
  includeDown?: boolean;
  /** Parse every statement, also those that cannot change the model (what the model was built from before `mayShapeTables`): for the test that proves the selection changes nothing. */
  parseEvery?: boolean;
}

const DDL_START = /\b(alter\s+table|create\s+(unique\s+)?index|create\s+table|drop\s+(index|table))\b/i;

// What follows CREATE / ALTER in a statement applyStatement ignores (skipped: modifiers before it).
const CREATE_IGNORED = /^(?:aggregate|cast|collation|conversion|database|domain|event|extension|foreign|function|group|language|materialized|operator|policy|procedure|publication|role|rule|sequence|server|statistics|subscription|tablespace|text|transform|trigger|type|user|view)$/;
// (not VIEW, MATERIALIZED, FOREIGN: their RENAME COLUMN is a RenameStmt the model applies by name)
const ALTER_IGNORED = /^(?:aggregate|collation|conversion|database|default|domain|event|extension|function|group|language|large|operator|policy|procedure|publication|role|routine|sequence|server|statistics|subscription|system|tablespace|text|trigger|type|user)$/;
const CREATE_MODIFIERS = /^(?:or|replace|global|local|temp|temporary|unlogged|recursive|trusted|procedural|constraint|default)$/;

/** The first words of text[s, e) (lower case, up to six), comments and blanks between them skipped. */
function firstWords(text: string, s: number, e: number): string[] {
  const words: string[] = [];
  let i = s;
  while (words.length < 6) {
    i = skipTrivia(text, i, e);
    const w = i;
    for (let c = text.charCodeAt(i); i < e && ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95); c = text.charCodeAt(++i));
    if (i === w) break;
    words.push(text.slice(w, i).toLowerCase());
  }
  return words;
}

/**
 * Whether the statement text[s, e) (from its first token) can change the model: the statements
 * applyStatement reads (tables, indexes, schemas, DO blocks, the search path). Every other statement
 * (SELECT, INSERT, GRANT, COMMENT, CREATE FUNCTION...) is never parsed for the model. In doubt, yes.
 */
export function mayShapeTables(text: string, s: number, e: number): boolean {
  const words = firstWords(text, s, e);
  const first = words[0];
  switch (first) {
    case 'create': {
      let i = 1;
      while (i < words.length && CREATE_MODIFIERS.test(words[i])) i++;
      return i >= words.length || !CREATE_IGNORED.test(words[i]);
    }
    case 'alter':
      return words.length < 2 || !ALTER_IGNORED.test(words[1]);
    case 'drop':
      return words.length < 2 || words[1] === 'table' || words[1] === 'index' || words[1] === 'schema';
    case 'do':
      // doBlock applies only the statements of the body that DDL_START finds: none, nothing to parse
      return DDL_START.test(text.slice(s, e));
    case 'set': case 'reset': case 'select': {
      // SET search_path / SET SCHEMA 'x' / RESET search_path; pg_dump's SELECT set_config('search_path', ...)
      const piece = text.slice(s, e);
      return first === 'select' ? /set_config/i.test(piece) : /search_path|schema/i.test(piece);
    }
    default:
      // a statement not starting with a word (a parenthesis, a placeholder): in doubt
      return first === undefined;
  }
}

/** True for a file that reverts a migration (`0001_x.down.sql`, `down.sql`). */
export function isDownMigration(path: string): boolean {
  return /(^|[\\/._-])down\.sql$/i.test(path);
}

const SERIAL_TYPES = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);
const SURROGATE_DEFAULT =
  /\b(nextval|gen_random_uuid|uuid_generate_v[1-7](mc)?|uuidv[47]|gen_ulid|generate_ulid|now|clock_timestamp|statement_timestamp|transaction_timestamp)\s*\(|\b(current_timestamp|localtimestamp|current_date)\b/i;

/** True when a default expression makes a fresh value per insert (sequence, random uuid, clock). */
export function isSurrogateDefault(defaultText: string | undefined): boolean {
  return defaultText !== undefined && SURROGATE_DEFAULT.test(defaultText);
}

/** PostgreSQL's makeObjectName: `name1_name2_label`, names trimmed to fit in 63 bytes. */
export function makeObjectName(name1: string, name2: string | undefined, label: string): string {
  let n1 = name1;
  let n2 = name2 ?? '';
  const overhead = label.length + 1 + (name2 ? 1 : 0);
  const avail = 63 - overhead;
  while (Buffer.byteLength(n1) + Buffer.byteLength(n2) > avail) {
    if (Buffer.byteLength(n1) > Buffer.byteLength(n2)) n1 = n1.slice(0, -1);
    else n2 = n2.slice(0, -1);
  }
  return name2 ? `${n1}_${n2}_${label}` : `${n1}_${label}`;
}

interface FileCtx {
  file: DdlFile;
  /** The file's lines, made when a first location is asked for. */
  lines: LineIndex | undefined;
  placeholders: Set<string>;
  searchPath: string[];
}

interface RangeVarRef {
  schema?: string;
  name: string;
  temp: boolean;
}

/** End of the clause starting at `start`: the next top-level `,` or `)`, blanks trimmed. */
function clauseEnd(text: string, start: number, end: number): number {
  let depth = 0;
  let i = start;
  for (; i < end; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) break;
    else if (c === '\'' || c === '"') {
      const close = text.indexOf(c, i + 1);
      if (close < 0 || close >= end) break;
      i = close;
    }
  }
  while (i > start && /\s/.test(text[i - 1])) i--;
  return i;
}

function sval(n: any): string {
  return n?.String?.sval ?? n?.sval ?? '';
}

function keyColumnsName(columns: string[]): string {
  return columns.map((c) => (/^[a-z_][a-z0-9_]*$/i.test(c) ? c : 'expr')).join('_');
}

/** A schema this file names with a placeholder (one neutralized to parse, or one spelled as a template). */
function isPlaceholderSchema(schema: string, ctx: FileCtx): boolean {
  return ctx.placeholders.has(schema) || isTemplatedSchema(schema);
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * Tables by schema and name. Lookups go through a map per schema, so that the rules' many lookups
 * per analysis build no `schema.name` key string; `ordered` keeps the insertion order a single
 * `schema.name` map had (tables() and index-owner searches depend on it).
 */
class TableIndex {
  private readonly ordered = new Map<string, TableDescription>();
  private readonly bySchema = new Map<string, Map<string, TableDescription>>();

  get(schema: string, name: string): TableDescription | undefined {
    return this.bySchema.get(schema)?.get(name);
  }

  has(schema: string, name: string): boolean {
    return this.bySchema.get(schema)?.has(name) ?? false;
  }

  set(schema: string, name: string, t: TableDescription): void {
    this.ordered.set(`${schema}.${name}`, t);
    let m = this.bySchema.get(schema);
    if (!m) this.bySchema.set(schema, (m = new Map()));
    m.set(name, t);
  }

  delete(schema: string, name: string): void {
    this.ordered.delete(`${schema}.${name}`);
    this.bySchema.get(schema)?.delete(name);
  }

  /** Every table of `schema` goes (DROP SCHEMA). */
  deleteSchema(schema: string): void {
    for (const name of [...(this.bySchema.get(schema)?.keys() ?? [])]) this.delete(schema, name);
  }

  values(): IterableIterator<TableDescription> {
    return this.ordered.values();
  }
}

/** The first word of a statement that defines or changes what tables exist (a DO block may too). */
const DEFINES = /^(?:create|alter|drop|do)\b/i;

function folderOf(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i < 0 ? '' : p.slice(0, i);
}

/** The statements of text[s, e) for each range, parsed when the caller gets to them (parseRange's, in order). */
function* eachRange(text: string, ranges: ReadonlyArray<[number, number]>, placeholders: Set<string>): Generator<ParsedStatement> {
  for (const [s, e] of ranges) yield* parseRange(text, s, e, 0, placeholders);
}

/** Schema model over workspace DDL; `mergeCatalog` lays a live catalog over it (catalog wins). */
export class DdlSchemaModel implements SchemaModel {
  private byKey = new TableIndex();
  /** Natural keys from configuration, applied to tables as they become known. */
  private natural = new Map<string, string[]>();
  private bareNatural = new Map<string, string[]>();
  /** Tables whose shape changed within the applied text (re-created, dropped, renamed, keys dropped). */
  private churn = new Set<string>();
  private dropped = new Set<string>();
  /** Statements applied / skipped, for reports and tests. */
  stats = { files: 0, statements: 0 };
  readonly searchPath: string[];
  /** Each applied file's path → its place in the order applied (migration order). */
  private order = new Map<string, number>();
  /** Folders holding a file that creates, alters or drops something: the migration folders. */
  private ddlDirs = new Set<string>();

  private readonly parseEvery: boolean;

  constructor(options: { searchPath?: string[]; naturalKeys?: Record<string, string[]>; parseEvery?: boolean } = {}) {
    this.parseEvery = options.parseEvery ?? false;
    this.searchPath = options.searchPath?.length ? [...options.searchPath] : ['public'];
    for (const [k, cols] of Object.entries(options.naturalKeys ?? {})) {
      const parts = k.split('.').map((p) => p.replace(/^"(.*)"$/, '$1'));
      if (parts.length >= 2) this.natural.set(`${parts[parts.length - 2]}.${parts[parts.length - 1]}`, cols);
      else this.bareNatural.set(parts[0], cols);
    }
  }

  /**
   * True when the table was re-created, dropped, renamed or lost a key or column somewhere in the
   * applied DDL: its final shape may not be the one a statement in the middle of that DDL saw.
   */
  isChurned(table: TableDescription): boolean {
    // most documents churn nothing: no key string to build then
    return this.churn.size !== 0 && this.churn.has(`${table.schema}.${table.name}`);
  }

  private touch(t: TableDescription | string): void {
    this.churn.add(typeof t === 'string' ? t : `${t.schema}.${t.name}`);
  }

  lookup(name: string, schema?: string): TableDescription | undefined {
    const t = this.find(name, schema);
    return t ? this.withNatural(t) : undefined;
  }

  tables(): Iterable<TableDescription> {
    return [...this.byKey.values()].map((t) => this.withNatural(t));
  }

  /**
   * Applies the DDL of one file on top of what is known (files must come in migration order).
   * `ranges` limits parsing to those statement ranges (the caller knows which ones are DDL); of
   * those, as without them, only the ones that may shape tables (`mayShapeTables`) are parsed.
   */
  applyFile(file: DdlFile, ranges?: Array<[number, number]>): void {
    if (!parserReady()) throw new Error('dupguard: the SQL parser is not loaded; await ensureParser() first');
    const ctx: FileCtx = { file, lines: undefined, placeholders: new Set(), searchPath: [...this.searchPath] };
    this.stats.files++;
    if (!this.order.has(file.path)) this.order.set(file.path, this.order.size);
    // with `ranges` (statements already split by the caller), only those are parsed; in a long file
    // one at a time, each tree dropped once applied, as parseTolerant does (a whole file's trees at
    // once held ~1 KB per DDL character)
    if (ranges && !this.parseEvery) ranges = ranges.filter(([s, e]) => mayShapeTables(file.text, s, e));
    const statements = ranges
      ? file.text.length > WHOLE_PARSE_MAX_CHARS ? eachRange(file.text, ranges, ctx.placeholders) : ranges.flatMap(([s, e]) => parseRange(file.text, s, e, 0, ctx.placeholders))
      : this.parseEvery
        ? parseTolerant(file.text, { placeholders: ctx.placeholders })
        : parseSelected(file.text, (s, e) => mayShapeTables(file.text, s, e), { placeholders: ctx.placeholders });
    for (const st of statements) {
      if (DEFINES.test(file.text.slice(st.start, st.start + 8))) this.ddlDirs.add(folderOf(file.path));
      try {
        this.applyStatement(st.stmt, st, ctx);
        this.stats.statements++;
      } catch {
        // a shape this model does not know: skip the statement, keep the rest
      }
    }
  }

  /**
   * The place of the file `path` in migration order: the order the model applied its files, for a
   * file in a folder where some file defines tables (a data migration beside the DDL ones counts); a
   * file elsewhere (queries, ETL scripts: application SQL, run against the final schema) has none.
   */
  orderOf(path: string): number | undefined {
    return this.ddlDirs.has(folderOf(path)) ? this.order.get(path) : undefined;
  }

  /** Lays live catalog descriptions over the DDL ones: catalog wins, DDL origins are kept. */
  mergeCatalog(tables: Iterable<TableDescription>): this {
    for (const t of tables) this.byKey.set(t.schema, t.name, mergeTableDescriptions(this.byKey.get(t.schema, t.name), t));
    return this;
  }

  /**
   * A copy of this model with every DDL location (`origin` of tables and keys) passed through `move`:
   * the same DDL found at other offsets of an edited document. Tables and keys with a location are
   * new objects; columns are shared. The copy is for lookups: apply no more DDL to it.
   */
  relocated(move: (loc: Location) => Location): DdlSchemaModel {
    const m = new DdlSchemaModel({ searchPath: this.searchPath });
    m.natural = this.natural;
    m.bareNatural = this.bareNatural;
    m.churn = this.churn;
    m.dropped = this.dropped;
    m.order = this.order;
    m.ddlDirs = this.ddlDirs;
    m.stats = { ...this.stats };
    // a location shared by several keys (a partition's copy of its parent's key) stays shared
    const moved = new Map<Location, Location>();
    const to = (l: Location): Location => {
      let n = moved.get(l);
      if (!n) moved.set(l, (n = move(l)));
      return n;
    };
    for (const t of this.byKey.values()) {
      const copy: TableDescription = { ...t };
      if (t.origin) copy.origin = to(t.origin);
      if (t.keys.some((k) => k.origin)) copy.keys = t.keys.map((k) => (k.origin ? { ...k, origin: to(k.origin) } : k));
      m.byKey.set(t.schema, t.name, copy);
    }
    return m;
  }

  private withNatural(t: TableDescription): TableDescription {
    if (t.naturalKey || (this.natural.size === 0 && this.bareNatural.size === 0)) return t;
    const nk = this.natural.get(`${t.schema}.${t.name}`) ?? (this.searchPath.includes(t.schema) && this.find(t.name) === t ? this.bareNatural.get(t.name) : undefined);
    return nk ? { ...t, naturalKey: [...nk] } : t;
  }

  private find(name: string, schema?: string, searchPath = this.searchPath): TableDescription | undefined {
    if (schema !== undefined) return this.byKey.get(schema, name);
    const temp = this.byKey.get('pg_temp', name);
    if (temp) return temp;
    for (let i = 0; i < searchPath.length; i++) {
      const t = this.byKey.get(searchPath[i], name);
      if (t) return t;
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------

  private rangeVar(rv: any, ctx: FileCtx): RangeVarRef {
    let schema: string | undefined = rv?.schemaname;
    if (schema !== undefined && isPlaceholderSchema(schema, ctx)) schema = undefined;
    return { schema, name: rv?.relname ?? '', temp: rv?.relpersistence === 't' };
  }

  private creationSchema(ref: RangeVarRef, ctx: FileCtx): string {
    if (ref.temp) return 'pg_temp';
    return ref.schema ?? ctx.searchPath[0] ?? 'public';
  }

  private existing(rv: any, ctx: FileCtx): TableDescription | undefined {
    const ref = this.rangeVar(rv, ctx);
    return this.find(ref.name, ref.schema, ctx.searchPath);
  }

  private loc(st: ParsedStatement, ctx: FileCtx, start = st.start, end = st.end): Location {
    return locationAt(ctx.file.path, (ctx.lines ??= new LineIndex(ctx.file.text)), start, end);
  }

  /** Range of a clause starting at an AST location: up to the next top-level `,` or `)`. */
  private clauseLoc(st: ParsedStatement, ctx: FileCtx, byteLoc: number | undefined): Location {
    if (byteLoc === undefined || byteLoc < 0) return this.loc(st, ctx);
    const start = st.offset(byteLoc);
    const base = st.offset(0);
    const i = base + clauseEnd(st.text, start - base, st.end - base);
    return this.loc(st, ctx, start, Math.max(i, start));
  }

  private applyStatement(node: any, st: ParsedStatement, ctx: FileCtx): void {
    const [kind] = Object.keys(node ?? {});
    const n = node[kind];
    switch (kind) {
      case 'CreateStmt':
        return this.createTable(n, st, ctx);
      case 'IndexStmt':
        return this.createIndex(n, st, ctx);
      case 'AlterTableStmt':
        if (n.objtype === 'OBJECT_TABLE' || n.objtype === undefined) this.alterTable(n, st, ctx);
        return;
      case 'DropStmt':
        return this.drop(n, ctx);
      case 'RenameStmt':
        return this.rename(n, ctx);
      case 'AlterObjectSchemaStmt':
        if (n.objectType === 'OBJECT_TABLE') this.setSchema(n, ctx);
        return;
      case 'CreateSchemaStmt':
        for (const el of n.schemaElts ?? []) {
          // elements of CREATE SCHEMA ... CREATE TABLE are created in that schema
          const [k] = Object.keys(el);
          const inner = el[k];
          if (inner?.relation && !inner.relation.schemaname) inner.relation.schemaname = n.schemaname;
          this.applyStatement(el, st, ctx);
        }
        return;
      case 'DoStmt':
        return this.doBlock(n, st, ctx);
      case 'VariableSetStmt':
        if (n.name === 'search_path') {
          if (n.kind === 'VAR_SET_VALUE') this.setSearchPath((n.args ?? []).map((a: any) => a?.A_Const?.sval?.sval ?? sval(a)), ctx);
          else if (n.kind === 'VAR_SET_DEFAULT' || n.kind === 'VAR_RESET') ctx.searchPath = [...this.searchPath];
        }
        return;
      case 'SelectStmt': {
        // pg_dump: SELECT pg_catalog.set_config('search_path', '', false);
        const call = n.targetList?.[0]?.ResTarget?.val?.FuncCall;
        const fname = (call?.funcname ?? []).map(sval).pop();
        const args = call?.args ?? [];
        if (fname === 'set_config' && args[0]?.A_Const?.sval?.sval === 'search_path') {
          const value: string = args[1]?.A_Const?.sval?.sval ?? '';
          this.setSearchPath(value.split(','), ctx);
        }
        return;
      }
      default:
        return;
    }
  }

  /**
   * DDL inside `DO $$ ... $$` blocks, the usual "add the constraint if it is not there yet" idiom:
   * applied as if unconditional (best effort), each statement found at its DDL keyword.
   */
  private doBlock(n: any, st: ParsedStatement, ctx: FileCtx): void {
    const opts: any[] = (n.args ?? []).map((a: any) => a.DefElem).filter(Boolean);
    const lang = opts.find((d) => d.defname === 'language')?.arg?.String?.sval;
    if (lang && lang.toLowerCase() !== 'plpgsql') return;
    const body: string | undefined = opts.find((d) => d.defname === 'as')?.arg?.String?.sval;
    if (!body) return;
    const base = st.offset(0);
    const at = st.text.indexOf(body, Math.max(0, st.start - base));
    if (at < 0) return;
    for (const [s, e] of statementRanges(body)) {
      const m = DDL_START.exec(body.slice(s, e));
      if (!m) continue;
      for (const inner of parseRange(st.text, at + s + m.index, at + e, base, ctx.placeholders)) {
        const [k] = Object.keys(inner.stmt ?? {});
        if (k === 'DoStmt') continue;
        try {
          this.applyStatement(inner.stmt, inner, ctx);
        } catch {
          // skip what this model does not know
        }
      }
    }
  }

  private setSearchPath(items: string[], ctx: FileCtx): void {
    const path = items
      .map((s) => s.trim())
      .filter((s) => s && s !== '$user' && s !== '"$user"' && s !== 'pg_catalog' && s !== 'pg_temp')
      .map((s) => (/^".*"$/.test(s) ? s.slice(1, -1) : s.toLowerCase()));
    // an empty path (pg_dump) means every name is qualified: keep resolving as configured
    ctx.searchPath = path.length ? path : [...this.searchPath];
  }

  private createTable(n: any, st: ParsedStatement, ctx: FileCtx): void {
    const ref = this.rangeVar(n.relation, ctx);
    const schema = this.creationSchema(ref, ctx);
    const key = `${schema}.${ref.name}`;
    const exists = this.byKey.has(schema, ref.name);
    if (exists && n.if_not_exists) return;
    if (exists || this.dropped.has(key)) this.touch(key);
    const table: TableDescription = {
      schema,
      name: ref.name,
      kind: n.partspec ? 'p' : 'r',
      columns: [],
      keys: [],
      source: 'ddl',
      origin: this.loc(st, ctx),
    };
    const inherits = (n.inhRelations ?? []).map((r: any) => this.existing(r.RangeVar, ctx)).filter(Boolean) as TableDescription[];
    for (const parent of inherits) {
      for (const c of parent.columns) if (!table.columns.some((x) => x.name === c.name)) table.columns.push(clone(c));
      // a partition gets its parent's (partitioned) unique indexes; plain INHERITS does not
      if (n.partbound) for (const k of parent.keys) table.keys.push({ ...clone(k), name: undefined, origin: k.origin });
    }
    const pending: any[] = [];
    for (const el of n.tableElts ?? []) {
      if (el.ColumnDef) {
        const def = el.ColumnDef;
        const existing = table.columns.find((c) => c.name === def.colname);
        if (existing && !def.typeName) {
          // PARTITION OF (x WITH OPTIONS NOT NULL ...): constraints on an inherited column
          this.columnConstraints(table, existing, def, st, ctx);
        } else {
          const col = this.column(table, def, st, ctx);
          if (existing) table.columns.splice(table.columns.indexOf(existing), 1, col);
          else table.columns.push(col);
        }
      } else if (el.Constraint) pending.push(el.Constraint);
      else if (el.TableLikeClause) this.likeClause(table, el.TableLikeClause, ctx);
    }
    for (const c of pending) this.addConstraint(table, c, st, ctx, false);
    this.byKey.set(schema, ref.name, table);
  }

  private likeClause(table: TableDescription, like: any, ctx: FileCtx): void {
    const src = this.existing(like.relation, ctx);
    if (!src) return;
    const opts: number = like.options ?? 0;
    const DEFAULTS = 1 << 3;
    const IDENTITY = 1 << 5;
    const INDEXES = 1 << 6;
    for (const c of src.columns) {
      if (table.columns.some((x) => x.name === c.name)) continue;
      const col: ColumnDescription = { name: c.name, type: c.type, notNull: c.notNull };
      if (opts & DEFAULTS && c.default !== undefined) col.default = c.default;
      if (opts & IDENTITY && c.identity) col.identity = c.identity;
      col.surrogate = isSurrogateDefault(col.default) || !!col.identity || undefined;
      if (!col.surrogate) delete col.surrogate;
      table.columns.push(col);
    }
    if (opts & INDEXES) for (const k of src.keys) table.keys.push({ ...clone(k), name: undefined, origin: k.origin });
  }

  private column(table: TableDescription, def: any, st: ParsedStatement, ctx: FileCtx): ColumnDescription {
    const rawType = (def.typeName?.names ?? []).map(sval);
    const last = rawType[rawType.length - 1] ?? '';
    const col: ColumnDescription = { name: def.colname, type: typeName(def.typeName), notNull: false };
    if (SERIAL_TYPES.has(last) && rawType.length === 1) {
      col.notNull = true;
      col.default = `nextval('${makeObjectName(table.name, def.colname, 'seq')}'::regclass)`;
      col.surrogate = true;
    }
    this.columnConstraints(table, col, def, st, ctx);
    return col;
  }

  private columnConstraints(table: TableDescription, col: ColumnDescription, def: any, st: ParsedStatement, ctx: FileCtx): void {
    if (def.is_not_null) col.notNull = true;
    for (const wrapped of def.constraints ?? []) {
      const c = wrapped.Constraint;
      if (!c) continue;
      switch (c.contype) {
        case 'CONSTR_NOTNULL':
          col.notNull = true;
          break;
        case 'CONSTR_NULL':
          col.notNull = false;
          break;
        case 'CONSTR_DEFAULT':
          col.default = this.exprText(c.raw_expr, st);
          if (isSurrogateDefault(col.default)) col.surrogate = true;
          break;
        case 'CONSTR_IDENTITY':
          col.identity = c.generated_when === 'a' ? 'always' : 'by default';
          col.notNull = true;
          col.surrogate = true;
          break;
        case 'CONSTR_GENERATED':
          col.generated = true;
          break;
        case 'CONSTR_PRIMARY':
        case 'CONSTR_UNIQUE':
          this.addConstraint(table, { ...c, keys: [{ String: { sval: col.name } }] }, st, ctx, false, col);
          break;
        default:
          break;
      }
    }
  }

  /** Text of an expression: printed canonically, or sliced from the source when unknown. */
  private exprText(node: any, st: ParsedStatement): string {
    const printed = expr(node);
    if (!printed.includes('?')) return printed;
    const [kind] = Object.keys(node ?? {});
    const loc: number | undefined = node?.[kind]?.location;
    if (loc === undefined) return printed;
    const base = st.offset(0);
    const start = st.offset(loc) - base;
    return st.text.slice(start, clauseEnd(st.text, start, st.end - base)).trim();
  }

  private addConstraint(table: TableDescription, c: any, st: ParsedStatement, ctx: FileCtx, alter: boolean, colOf?: ColumnDescription): void {
    const origin = alter ? this.loc(st, ctx) : this.clauseLoc(st, ctx, c.location);
    switch (c.contype) {
      case 'CONSTR_PRIMARY':
      case 'CONSTR_UNIQUE': {
        const primary = c.contype === 'CONSTR_PRIMARY';
        if (c.indexname) {
          // ADD CONSTRAINT ... USING INDEX: the index becomes the constraint (and takes its name)
          const idx = table.keys.find((k) => k.kind === 'unique-index' && k.name === c.indexname);
          if (!idx) return;
          idx.kind = primary ? 'primary' : 'unique';
          idx.name = c.conname ?? idx.name;
          idx.definition = `${primary ? 'PRIMARY KEY' : 'UNIQUE'} (${idx.columns.map(quoteIdent).join(', ')})`;
          idx.origin = origin;
          if (primary) this.markNotNull(table, idx.columns);
          return;
        }
        const columns: string[] = (c.keys ?? []).map(sval);
        if (!columns.length) return;
        if (primary) {
          // one primary key per table: a second one is an error in PostgreSQL; keep the first
          if (table.keys.some((k) => k.kind === 'primary')) return;
          this.markNotNull(table, columns);
          if (colOf) colOf.notNull = true;
        }
        const name: string = c.conname ?? (primary ? makeObjectName(table.name, undefined, 'pkey') : makeObjectName(table.name, keyColumnsName(columns), 'key'));
        const key: UniqueKey = {
          kind: primary ? 'primary' : 'unique',
          name,
          columns,
          definition: `${primary ? 'PRIMARY KEY' : 'UNIQUE'}${c.nulls_not_distinct ? ' NULLS NOT DISTINCT' : ''} (${columns.map(quoteIdent).join(', ')})`,
          origin,
        };
        if (c.nulls_not_distinct) key.nullsNotDistinct = true;
        table.keys.push(key);
        return;
      }
      case 'CONSTR_EXCLUSION': {
        const columns: string[] = [];
        let expression = false;
        for (const pair of c.exclusions ?? []) {
          const el = pair?.List?.items?.[0]?.IndexElem;
          if (!el) continue;
          if (el.name) columns.push(el.name);
          else {
            columns.push(this.exprText(el.expr, st));
            expression = true;
          }
        }
        const key: UniqueKey = {
          kind: 'exclude',
          name: c.conname ?? makeObjectName(table.name, keyColumnsName(columns), 'excl'),
          columns,
          origin,
        };
        if (expression) key.expression = true;
        if (c.where_clause) key.predicate = this.exprText(c.where_clause, st);
        table.keys.push(key);
        return;
      }
      default:
        return;
    }
  }

  private markNotNull(table: TableDescription, columns: string[]): void {
    for (const name of columns) {
      const col = table.columns.find((c) => c.name === name);
      if (col) col.notNull = true;
    }
  }

  private createIndex(n: any, st: ParsedStatement, ctx: FileCtx): void {
    if (!n.unique) return;
    const table = this.existing(n.relation, ctx);
    if (!table) return;
    const columns: string[] = [];
    let expression = false;
    for (const p of n.indexParams ?? []) {
      const el = p.IndexElem;
      if (!el) continue;
      if (el.name) columns.push(el.name);
      else {
        columns.push(this.exprText(el.expr, st));
        expression = true;
      }
    }
    const name: string = n.idxname ?? makeObjectName(table.name, keyColumnsName(expression ? columns.map((c, i) => (n.indexParams[i]?.IndexElem?.name ? c : 'expr')) : columns), 'idx');
    if (table.keys.some((k) => k.name === name)) {
      if (n.if_not_exists) return;
      table.keys = table.keys.filter((k) => k.name !== name);
    }
    const key: UniqueKey = { kind: 'unique-index', name, columns, origin: this.loc(st, ctx) };
    if (expression) key.expression = true;
    if (n.whereClause) key.predicate = this.exprText(n.whereClause, st);
    if (n.nulls_not_distinct) key.nullsNotDistinct = true;
    key.definition =
      `CREATE UNIQUE INDEX ${quoteIdent(name)} ON ${quoteIdent(table.schema)}.${quoteIdent(table.name)} USING ${n.accessMethod ?? 'btree'} ` +
      `(${columns.map((c, i) => (n.indexParams[i]?.IndexElem?.name ? quoteIdent(c) : `(${c})`)).join(', ')})` +
      (n.nulls_not_distinct ? ' NULLS NOT DISTINCT' : '') +
      (key.predicate ? ` WHERE (${key.predicate})` : '');
    table.keys.push(key);
  }

  private alterTable(n: any, st: ParsedStatement, ctx: FileCtx): void {
    const table = this.existing(n.relation, ctx);
    if (!table) return;
    for (const wrapped of n.cmds ?? []) {
      const cmd = wrapped.AlterTableCmd;
      if (!cmd) continue;
      const col = cmd.name ? table.columns.find((c) => c.name === cmd.name) : undefined;
      switch (cmd.subtype) {
        case 'AT_AddColumn': {
          const def = cmd.def?.ColumnDef;
          if (!def || table.columns.some((c) => c.name === def.colname)) break;
          table.columns.push(this.column(table, def, st, ctx));
          break;
        }
        case 'AT_DropColumn':
          this.touch(table);
          table.columns = table.columns.filter((c) => c.name !== cmd.name);
          // indexes and constraints over the column go with it
          table.keys = table.keys.filter((k) => !k.columns.includes(cmd.name) && !(k.expression && k.columns.some((e) => new RegExp(`\\b${cmd.name}\\b`).test(e))));
          break;
        case 'AT_SetNotNull':
          if (col) col.notNull = true;
          break;
        case 'AT_DropNotNull':
          if (col) col.notNull = false;
          break;
        case 'AT_ColumnDefault':
          if (col) {
            if (cmd.def) col.default = this.exprText(cmd.def, st);
            else delete col.default;
            if (isSurrogateDefault(col.default) || col.identity) col.surrogate = true;
            else delete col.surrogate;
          }
          break;
        case 'AT_AddIdentity':
          if (col) {
            col.identity = cmd.def?.Constraint?.generated_when === 'a' ? 'always' : 'by default';
            col.notNull = true;
            col.surrogate = true;
          }
          break;
        case 'AT_DropIdentity':
          if (col) {
            delete col.identity;
            if (!isSurrogateDefault(col.default)) delete col.surrogate;
          }
          break;
        case 'AT_AlterColumnType':
          if (col && cmd.def?.ColumnDef?.typeName) col.type = typeName(cmd.def.ColumnDef.typeName);
          break;
        case 'AT_AddConstraint':
          if (cmd.def?.Constraint) this.addConstraint(table, cmd.def.Constraint, st, ctx, true);
          break;
        case 'AT_AttachPartition': {
          // the partition gets an index for each of the partitioned table's unique keys
          const child = this.existing(cmd.def?.PartitionCmd?.name, ctx);
          if (!child) break;
          for (const k of table.keys) {
            if (k.kind === 'exclude' || child.keys.some((c) => sameColumns(c.columns, k.columns))) continue;
            child.keys.push({ ...clone(k), name: undefined, origin: k.origin });
          }
          break;
        }
        case 'AT_DropConstraint':
          if (table.keys.some((k) => k.name === cmd.name)) this.touch(table);
          table.keys = table.keys.filter((k) => k.kind === 'unique-index' || k.name !== cmd.name);
          break;
        default:
          break;
      }
    }
  }

  private drop(n: any, ctx: FileCtx): void {
    const names: string[][] = (n.objects ?? []).map((o: any) => (o.List?.items ?? []).map(sval));
    if (n.removeType === 'OBJECT_TABLE') {
      for (const parts of names) {
        const name = parts[parts.length - 1];
        const schema = parts.length > 1 && !isPlaceholderSchema(parts[parts.length - 2], ctx) ? parts[parts.length - 2] : undefined;
        const t = this.find(name, schema, ctx.searchPath);
        if (t) {
          this.byKey.delete(t.schema, t.name);
          this.dropped.add(`${t.schema}.${t.name}`);
          this.touch(t);
        }
      }
    } else if (n.removeType === 'OBJECT_INDEX') {
      for (const parts of names) {
        const name = parts[parts.length - 1];
        const schema = parts.length > 1 && !isPlaceholderSchema(parts[parts.length - 2], ctx) ? parts[parts.length - 2] : undefined;
        const t = this.indexOwner(name, schema, ctx);
        if (t) {
          t.keys = t.keys.filter((k) => !(k.kind === 'unique-index' && k.name === name));
          this.touch(t);
        }
      }
    } else if (n.removeType === 'OBJECT_SCHEMA') {
      for (const parts of names) {
        this.byKey.deleteSchema(parts[0]);
      }
    }
  }

  private indexOwner(name: string, schema: string | undefined, ctx: FileCtx): TableDescription | undefined {
    const schemas = schema !== undefined ? [schema] : ['pg_temp', ...ctx.searchPath];
    for (const s of schemas) {
      for (const t of this.byKey.values()) if (t.schema === s && t.keys.some((k) => k.name === name)) return t;
    }
    return undefined;
  }

  private rename(n: any, ctx: FileCtx): void {
    switch (n.renameType) {
      case 'OBJECT_TABLE': {
        const t = this.existing(n.relation, ctx);
        if (!t) return;
        this.touch(t);
        this.byKey.delete(t.schema, t.name);
        t.name = n.newname;
        this.byKey.set(t.schema, t.name, t);
        this.touch(t);
        return;
      }
      case 'OBJECT_COLUMN': {
        const t = this.existing(n.relation, ctx);
        const col = t?.columns.find((c) => c.name === n.subname);
        if (!t || !col) return;
        col.name = n.newname;
        for (const k of t.keys) {
          k.columns = k.columns.map((c) => (c === n.subname ? n.newname : c));
          if (k.definition) k.definition = k.definition.replace(new RegExp(`\\b${n.subname}\\b`, 'g'), n.newname);
        }
        if (t.naturalKey) t.naturalKey = t.naturalKey.map((c) => (c === n.subname ? n.newname : c));
        return;
      }
      case 'OBJECT_TABCONSTRAINT': {
        const t = this.existing(n.relation, ctx);
        const k = t?.keys.find((x) => x.name === n.subname && x.kind !== 'unique-index');
        if (k) k.name = n.newname;
        return;
      }
      case 'OBJECT_INDEX': {
        const ref = this.rangeVar(n.relation, ctx);
        const t = this.indexOwner(ref.name, ref.schema, ctx);
        const k = t?.keys.find((x) => x.name === ref.name);
        if (k) k.name = n.newname;
        return;
      }
      default:
        return;
    }
  }

  private setSchema(n: any, ctx: FileCtx): void {
    const t = this.existing(n.relation, ctx);
    if (!t || !n.newschema) return;
    this.touch(t);
    this.byKey.delete(t.schema, t.name);
    t.schema = n.newschema;
    this.byKey.set(t.schema, t.name, t);
    this.touch(t);
  }
}

/** Merges a DDL description with a live catalog one for the same table: catalog wins. */
export function mergeTableDescriptions(ddl: TableDescription | undefined, catalog: TableDescription): TableDescription {
  if (!ddl) return catalog;
  const keys = catalog.keys.map((k) => {
    if (k.origin) return k;
    const twin = ddl.keys.find((d) => (d.name && d.name === k.name) || sameColumns(d.columns, k.columns));
    return twin?.origin ? { ...k, origin: twin.origin } : k;
  });
  return { ...catalog, keys, origin: catalog.origin ?? ddl.origin, naturalKey: catalog.naturalKey ?? ddl.naturalKey };
}

function sameColumns(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = a.map(normalizeSql).sort();
  const sb = b.map(normalizeSql).sort();
  return sa.every((x, i) => x === sb[i]);
}

function sortFiles(files: DdlFile[], options: DdlOptions): DdlFile[] {
  return files
    .filter((f) => options.includeDown || !isDownMigration(f.path))
    .slice()
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Builds the schema model from DDL files, applied in name order (migration order). The parser must
 * be loaded (`await ensureParser()`); use `loadSchemaFromDdl` when unsure.
 */
export function buildSchemaFromDdl(files: DdlFile[], options: DdlOptions = {}): DdlSchemaModel {
  const model = new DdlSchemaModel(options);
  for (const f of sortFiles(files, options)) model.applyFile(f);
  return model;
}

/** Loads the parser if needed, then builds the schema model from DDL files (name order). */
export async function loadSchemaFromDdl(files: DdlFile[], options: DdlOptions = {}): Promise<DdlSchemaModel> {
  await ensureParser();
  return buildSchemaFromDdl(files, options);
}

export { ensureParser, parserReady };
