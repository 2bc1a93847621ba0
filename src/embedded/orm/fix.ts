/**
 * Quick fixes for a targetless insert-or-ignore, written in the library's own syntax as plain text
 * edits of the host file: the same statement with the conflict target named. Prisma has no way to
 * name one, so it gets advice and no edit.
 */
import { quoteIdent } from '../../core/quote';
import type { Fix, TextEdit } from '../../core/types';
import type { OrmSchemaTable } from './schema';
import type { OrmLibrary, OrmWrite } from './types';

/** Libraries whose conflict targets name ORM properties (the others name SQL columns). */
const PROPERTY_NAMING = new Set<OrmLibrary>(['drizzle', 'prisma', 'sequelize', 'mikro-orm']);

/**
 * The key's columns as the library's fix must spell them: ORM property names for Drizzle, Prisma,
 * Sequelize and MikroORM (through the schema's field map), SQL column names for the others.
 */
export function keyNames(library: OrmLibrary, columns: readonly string[], table?: OrmSchemaTable): string[] {
  if (!PROPERTY_NAMING.has(library) || !table) return [...columns];
  const byColumn = new Map<string, string>();
  for (const [prop, col] of Object.entries(table.fields)) if (!byColumn.has(col)) byColumn.set(col, prop);
  return columns.map((c) => byColumn.get(c) ?? c);
}

function jsString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function jsList(names: readonly string[]): string {
  return `[${names.map(jsString).join(', ')}]`;
}

/** Offset of the `(` after a method name starting at `start`, and of its `)` when the call is empty. */
function emptyCall(text: string, start: number, name: string): { open: number; close: number } | undefined {
  let i = start + name.length;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (text[i] !== '(') return undefined;
  let j = i + 1;
  while (j < text.length && /\s/.test(text[j])) j++;
  return text[j] === ')' ? { open: i, close: j } : undefined;
}

/** Whether a fix can name the target of this write: a targetless DO NOTHING the library lets one name. */
export function fixable(w: OrmWrite): boolean {
  return !!w.conflict && w.conflict.target.kind === 'none' && w.conflict.action === 'nothing' && w.library !== 'prisma'
    && !(w.library === 'sequelize' && w.method !== 'bulkCreate');
}

/**
 * The edit naming `key` (names as keyNames gives them) as the conflict target of a targetless DO
 * NOTHING, in the library's syntax; undefined when the call's shape leaves no place to write it (a
 * Drizzle insert whose table expression is not in the chain, Prisma, Sequelize `create`).
 */
export function targetFix(text: string, w: OrmWrite, key: readonly string[]): Fix | undefined {
  const c = w.conflict;
  if (!c || !fixable(w) || key.length === 0) return undefined;
  const cols = key.join(', ');
  const edits: TextEdit[] = [];
  let title: string;
  switch (w.library) {
    case 'drizzle': {
      const t = w.table.span ? text.slice(w.table.span.start, w.table.span.end) : undefined;
      const call = emptyCall(text, c.clause.start, 'onConflictDoNothing');
      if (!t || !/^[\w$.]+$/.test(t) || !call) return undefined;
      const target = key.length === 1 ? `${t}.${key[0]}` : `[${key.map((k) => `${t}.${k}`).join(', ')}]`;
      edits.push({ start: call.open + 1, end: call.close, newText: `{ target: ${target} }` });
      title = `Name the conflict target: onConflictDoNothing({ target: ${target} })`;
      break;
    }
    case 'kysely': {
      if (!c.actionSpan) return undefined;
      const step = key.length === 1 ? `column(${jsString(key[0])})` : `columns(${jsList(key)})`;
      edits.push({ start: c.actionSpan.start, end: c.actionSpan.start, newText: `${step}.` });
      title = `Name the conflict target: ${step}.doNothing()`;
      break;
    }
    case 'knex': case 'objection': case 'mikro-orm': {
      const call = emptyCall(text, c.clause.start, 'onConflict');
      if (!call) return undefined;
      edits.push({ start: call.open + 1, end: call.close, newText: jsList(key) });
      title = `Name the conflict target: .onConflict(${jsList(key)}).ignore()`;
      break;
    }
    case 'sequelize': {
      // Sequelize can only name a target with updateOnDuplicate: setting the key columns to themselves is DO NOTHING's effect on that key
      edits.push({ start: c.clause.start, end: c.clause.end, newText: `updateOnDuplicate: ${jsList(key)}, conflictAttributes: ${jsList(key)}` });
      title = `Name the conflict target: conflictAttributes ${jsList(key)} (ON CONFLICT (${cols}) DO UPDATE of the key itself, which leaves the row as it is)`;
      break;
    }
    case 'typeorm': {
      const call = emptyCall(text, c.clause.start, 'orIgnore');
      if (!call) return undefined;
      const target = `(${key.map((k) => quoteIdent(k)).join(', ')}) DO NOTHING`;
      edits.push({ start: c.clause.start, end: call.close + 1, newText: `onConflict(${jsString(target)})` });
      title = `Name the conflict target: .onConflict(${jsString(target)})`;
      break;
    }
    default:
      return undefined;
  }
  return { title, edits, preferred: true };
}

/** TypeORM's other targeted form: `.orUpdate([key], [key])` (DO UPDATE of the key itself). */
export function typeormOrUpdateFix(text: string, w: OrmWrite, key: readonly string[]): Fix | undefined {
  const c = w.conflict;
  if (w.library !== 'typeorm' || !c || !fixable(w) || key.length === 0) return undefined;
  const call = emptyCall(text, c.clause.start, 'orIgnore');
  if (!call) return undefined;
  return {
    title: `Name the conflict target: .orUpdate(${jsList(key)}, ${jsList(key)})`,
    edits: [{ start: c.clause.start, end: call.close + 1, newText: `orUpdate(${jsList(key)}, ${jsList(key)})` }],
  };
}

/** What to tell a Prisma user, who cannot name a conflict target: a unique key, then `upsert` (or raw SQL). */
export function prismaAdvice(w: OrmWrite, key?: readonly string[], declared = false): string {
  const model = w.table.ormName ? w.table.ormName.charAt(0).toUpperCase() + w.table.ormName.slice(1) : 'the model';
  const k = key?.length ? key.join(', ') : 'the columns that identify a row';
  return `Prisma's createMany({ skipDuplicates: true }) emits ON CONFLICT DO NOTHING with no conflict target, and Prisma has no option to name one. `
    + `${declared ? `Write each row with upsert({ where: { ... }, create, update: {} }) on ${model}'s @@unique([${k}])` : `Declare the key on ${model} (@@unique([${k}])) and write each row with upsert({ where: { ... }, create, update: {} }) on it`}, `
    + `or send INSERT ... ON CONFLICT (${k}) DO NOTHING through $executeRaw.`;
}

/** A table expression a fix may repeat (`credential`, `schema.credential`), not a call or computed member. */
function plainExpression(text: string, span: { start: number; end: number } | undefined): string | undefined {
  const t = span ? text.slice(span.start, span.end) : undefined;
  return t && /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/.test(t) ? t : undefined;
}

/** The table as a query builder's references name it: the alias of `'t as x'`, else the name as written. */
function builderTableName(text: string, w: OrmWrite): string | undefined {
  const raw = w.table.span ? text.slice(w.table.span.start, w.table.span.end).trim() : undefined;
  const m = raw ? /^(['"`])([\w$.]+)(?:\s+as\s+([\w$]+))?\1$/i.exec(raw) : null;
  if (m) return m[3] ?? m[2];
  return w.table.sqlName && /^[\w$.]+$/.test(w.table.sqlName) ? (w.table.schema ? `${w.table.schema}.${w.table.sqlName}` : w.table.sqlName) : undefined;
}

/**
 * The conflict target of a targeted ORM call replaced by `key` (names as keyNames gives them), in the
 * library's syntax: `target: t.a` / `[t.a, t.b]` (Drizzle), `oc.column('a')` / `oc.columns([...])`
 * (Kysely), `.onConflict([...])` (knex, Objection, MikroORM), `conflictAttributes: [...]` (Sequelize),
 * the second list of `.orUpdate(set, [...])` or the parenthesised columns of `.onConflict('(...) DO ...')`
 * (TypeORM). Undefined where the library names no target in a form a plain edit can rewrite (Prisma's
 * `where` names a key by its values).
 */
export function retargetFix(text: string, w: OrmWrite, key: readonly string[], label: string): Fix | undefined {
  const c = w.conflict;
  if (!c || c.target.kind !== 'columns' || key.length === 0) return undefined;
  const span = c.target.span;
  const written = text.slice(span.start, span.end);
  let newText: string;
  switch (w.library) {
    case 'drizzle': {
      const t = plainExpression(text, w.table.span);
      if (!t) return undefined;
      newText = key.length === 1 ? `${t}.${key[0]}` : `[${key.map((k) => `${t}.${k}`).join(', ')}]`;
      break;
    }
    case 'kysely':
      if (!/^(?:column|columns)\s*\(/.test(written)) return undefined;
      newText = key.length === 1 ? `column(${jsString(key[0])})` : `columns(${jsList(key)})`;
      break;
    case 'knex': case 'objection': case 'mikro-orm': case 'sequelize':
      newText = key.length === 1 && w.library !== 'sequelize' && /^['"`]/.test(written) ? jsString(key[0]) : jsList(key);
      break;
    case 'typeorm': {
      if (/^\[/.test(written)) { newText = jsList(key); break; }
      // the raw `.onConflict('("a") DO NOTHING')`: only its column list changes
      const m = /^(['"`])\s*\([^)]*\)([\s\S]*)\1$/.exec(written);
      if (!m || /[\\$]/.test(m[2])) return undefined;
      newText = jsString(`(${key.map((k) => quoteIdent(k)).join(', ')})${m[2]}`);
      break;
    }
    default:
      return undefined;
  }
  return { title: `Use conflict target ${newText} (${label})`, edits: [{ start: span.start, end: span.end, newText }] };
}

/** Whether the file already imports Drizzle's `sql` tag under that name; 'clash' when `sql` names something else. */
function drizzleSqlImport(text: string): 'yes' | 'no' | 'clash' {
  for (const m of text.matchAll(/\bimport\s+(?:type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)) {
    const names = m[1].split(',').map((s) => s.trim());
    if (names.includes('sql')) return m[2] === 'drizzle-orm' ? 'yes' : 'clash';
    if (names.some((n) => /\bas\s+sql$/.test(n))) return 'clash';
  }
  return /\b(?:const|let|var|function|import)\s+(?:\*\s+as\s+)?sql\b/.test(text) ? 'clash' : 'no';
}

/**
 * The ordering guard of an ORM upsert (DO UPDATE ... WHERE excluded.v > t.v) in the library's syntax:
 * Drizzle `setWhere: sql\`excluded.v > ${t.v}\`` (with the `sql` import when missing), Kysely
 * `.whereRef('excluded.v', '>', 't.v')` after `doUpdateSet`, knex / Objection
 * `.whereRaw('excluded.?? > ??', ['v', 't.v'])` after `.merge(...)` (knex writes that WHERE on the DO
 * UPDATE for PostgreSQL). `prop` is the name the call uses for the column, `column` its SQL name.
 * Undefined for the libraries with no such condition (Prisma, Sequelize, TypeORM) and for calls whose
 * shape leaves no safe place (a Drizzle config that already has a where).
 */
export function orderingGuardFix(text: string, w: OrmWrite, prop: string, column: string): Fix | undefined {
  const c = w.conflict;
  if (!c || c.action !== 'update') return undefined;
  switch (w.library) {
    case 'drizzle': {
      const t = plainExpression(text, w.table.span);
      if (!t || !c.setSpan || !/^[A-Za-z_$][\w$]*$/.test(prop)) return undefined;
      const call = text.slice(c.clause.start, c.clause.end);
      if (/\b(?:where|setWhere)\s*:/.test(call.replace(text.slice(c.setSpan.start, c.setSpan.end), ''))) return undefined;
      const imported = drizzleSqlImport(text);
      if (imported === 'clash') return undefined;
      const guard = `sql\`excluded.${quoteIdent(column)} > \${${t}.${prop}}\``;
      const edits: TextEdit[] = [];
      if (imported === 'no') {
        const first = /^import\b/m.exec(text);
        edits.push({ start: first ? first.index : 0, end: first ? first.index : 0, newText: "import { sql } from 'drizzle-orm';\n" });
      }
      edits.push({ start: c.setSpan.end, end: c.setSpan.end, newText: `, setWhere: ${guard}` });
      return { title: `Only overwrite with a newer row: setWhere: ${guard}`, edits, preferred: true };
    }
    case 'kysely': {
      const t = builderTableName(text, w);
      if (!t || !c.actionSpan || !/^doUpdateSet\b/.test(text.slice(c.actionSpan.start, c.actionSpan.end))) return undefined;
      const step = `.whereRef(${jsString(`excluded.${column}`)}, '>', ${jsString(`${t}.${column}`)})`;
      return { title: `Only overwrite with a newer row: ${step}`, edits: [{ start: c.actionSpan.end, end: c.actionSpan.end, newText: step }], preferred: true };
    }
    case 'knex': case 'objection': {
      const t = builderTableName(text, w);
      if (!t || !c.actionSpan || !/^merge\b/.test(text.slice(c.actionSpan.start, c.actionSpan.end))) return undefined;
      const step = `.whereRaw('excluded.?? > ??', ${jsList([column, `${t}.${column}`])})`;
      return { title: `Only overwrite with a newer row: ${step}`, edits: [{ start: c.actionSpan.end, end: c.actionSpan.end, newText: step }], preferred: true };
    }
    default:
      return undefined;
  }
}

/** Offset of the parenthesis closing the one at `open` (strings, templates and comments skipped); -1 if none. */
function closeOf(text: string, open: number, limit: number): number {
  let depth = 0;
  for (let i = open; i < limit; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'" || ch === '`') {
      for (i++; i < limit && text[i] !== ch; i++) if (text[i] === '\\') i++;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < limit && text[i] !== '\n') i++;
    } else if (ch === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) return -1;
      i++;
    } else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) return ch === ')' ? i : -1;
    }
  }
  return -1;
}

/** Commas outside brackets, strings and templates: the argument list's separators (a trailing one counts). */
function topLevelCommas(args: string): number {
  let n = 0;
  let depth = 0;
  for (let i = 0; i < args.length; i++) {
    const ch = args[i];
    if (ch === '"' || ch === "'" || ch === '`') {
      for (i++; i < args.length && args[i] !== ch; i++) if (args[i] === '\\') i++;
    } else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) n++;
  }
  return n;
}

/** The last `.method(` of a call chain whose parenthesis closes the chain: its name's offset, `(` and `)`. */
function lastLink(text: string, call: { start: number; end: number }, method: string): { name: number; open: number; close: number } | undefined {
  const body = text.slice(call.start, call.end);
  const re = new RegExp(`\\.\\s*(${method})\\s*\\(`, 'g');
  let m: RegExpExecArray | null;
  let found: { name: number; open: number; close: number } | undefined;
  while ((m = re.exec(body))) {
    const open = call.start + m.index + m[0].length - 1;
    const close = closeOf(text, open, call.end);
    if (close === call.end - 1) found = { name: call.start + m.index + m[0].indexOf(m[1]), open, close };
  }
  return found;
}

/** Whether the call's result is thrown away: `await x.create(...);` as a statement of its own. */
function resultUnused(text: string, call: { start: number; end: number }): boolean {
  const before = text.slice(Math.max(0, call.start - 200), call.start);
  const after = text.slice(call.end, call.end + 40);
  return /(?:^|[;{}]|\n)\s*(?:await\s+)?$/.test(before) && /^\s*(?:;|\n|$|\})/.test(after) && !/(?:return|=|=>|\()\s*(?:await\s+)?$/.test(before);
}

/** A key value a fix may write twice (in `where` and in `create`): a name, a member path or a literal. */
function repeatable(value: string): boolean {
  return /^(?:[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)*|'[^'\\]*'|"[^"\\]*"|-?\d+(?:\.\d+)?)$/.test(value.trim());
}

/**
 * The atomic form of a checked insert for the ORMs whose insert has no chainable conflict clause of
 * its own form: `key` are the names the library uses for the unique key's columns, `columns` its SQL
 * names. Each edit is offered only where it keeps what the call does to the data:
 * - Prisma `create({ data: { ... } })` → `upsert({ where: { k: v }, create: { ... }, update: {} })` on a
 *   one-field unique key whose value `data` spells plainly (Prisma then runs it as one INSERT ... ON
 *   CONFLICT; a compound key or nested writes make it a read then a write again, so no edit);
 * - Sequelize `create(row)` whose result is unused → `bulkCreate([row], { validate: true,
 *   individualHooks: true, updateOnDuplicate: [k], conflictAttributes: [k] })` (ON CONFLICT (k) DO UPDATE
 *   of the key itself, which keeps the row; create's validation and hooks kept);
 * - TypeORM `createQueryBuilder().insert().into(E).values(v)` → `.onConflict('("k") DO NOTHING')`;
 * - MikroORM `qb.insert(v)` → `.onConflict([k]).ignore()`, and `em.insert(E, v)` whose result is unused
 *   → `em.upsert(E, v, { onConflictFields: [k], onConflictAction: 'ignore' })`.
 */
export function atomicInsertFix(text: string, w: OrmWrite, key: readonly string[], columns: readonly string[], objectEntries: (t: string) => Map<string, string>): Fix | undefined {
  if (w.conflict || key.length === 0) return undefined;
  switch (w.library) {
    case 'prisma': {
      const link = lastLink(text, w.call, 'create');
      if (!link || key.length !== 1) return undefined;
      const arg = objectEntries(text.slice(link.open + 1, link.close));
      const data = arg.get('data');
      if (arg.size !== 1 || !data || !/^\{[\s\S]*\}$/.test(data.trim())) return undefined;
      const cells = objectEntries(data);
      const value = cells.get(key[0]);
      if (!value || !repeatable(value)) return undefined;
      // nested writes (`posts: { create: ... }`, `connect`) make Prisma read then write
      if ([...cells.values()].some((v) => /^\{[\s\S]*\b(?:create|connect|connectOrCreate|createMany|upsert|set)\s*:/.test(v.trim()))) return undefined;
      const where = value.trim() === key[0] ? key[0] : `${key[0]}: ${value.trim()}`;
      const newText = `upsert({ where: { ${where} }, create: ${data.trim()}, update: {} })`;
      return { title: `Insert atomically: upsert({ where: { ${key[0]} }, create, update: {} })`, edits: [{ start: link.name, end: link.close + 1, newText }], preferred: true };
    }
    case 'sequelize': {
      const link = lastLink(text, w.call, 'create');
      if (!link || w.method !== 'create' || !resultUnused(text, w.call)) return undefined;
      const args = text.slice(link.open + 1, link.close);
      // one argument: a second (options) would need merging
      if (topLevelCommas(args) > 0) return undefined;
      const list = jsList(key);
      // validate and individualHooks: create's own validation and hooks, which bulkCreate skips by default
      const newText = `bulkCreate([${args.trim()}], { validate: true, individualHooks: true, updateOnDuplicate: ${list}, conflictAttributes: ${list} })`;
      return { title: `Insert atomically: bulkCreate([row], { updateOnDuplicate: ${list}, conflictAttributes: ${list} }) (ON CONFLICT (${columns.join(', ')}) DO UPDATE of the key itself, which keeps the row)`, edits: [{ start: link.name, end: link.close + 1, newText }], preferred: true };
    }
    case 'typeorm': {
      const body = text.slice(w.call.start, w.call.end);
      if (!/\.\s*into\s*\(/.test(body) || !/\.\s*values\s*\(/.test(body)) return undefined;
      const exec = /\.\s*execute\s*\(\s*\)\s*$/.exec(body);
      const at = exec ? w.call.start + exec.index : w.call.end;
      const step = `.onConflict(${jsString(`(${columns.map((c) => quoteIdent(c)).join(', ')}) DO NOTHING`)})`;
      return { title: `Insert atomically: ${step}`, edits: [{ start: at, end: at, newText: step }], preferred: true };
    }
    case 'mikro-orm': {
      const em = lastLink(text, w.call, 'insert');
      if (em && w.method === 'insert' && /^\s*[A-Za-z_$][\w$]*\s*,/.test(text.slice(em.open + 1, em.close))) {
        if (!resultUnused(text, w.call)) return undefined;
        const opts = `{ onConflictFields: ${jsList(key)}, onConflictAction: 'ignore' }`;
        return {
          title: `Insert atomically: upsert(Entity, data, ${opts})`,
          edits: [{ start: em.name, end: em.name + 'insert'.length, newText: 'upsert' }, { start: em.close, end: em.close, newText: `, ${opts}` }],
          preferred: true,
        };
      }
      const body = text.slice(w.call.start, w.call.end);
      if (!/\.\s*insert\s*\(/.test(body)) return undefined;
      const exec = /\.\s*execute\s*\(\s*\)\s*$/.exec(body);
      const at = exec ? w.call.start + exec.index : w.call.end;
      const step = `.onConflict(${jsList(key)}).ignore()`;
      return { title: `Insert atomically: ${step}`, edits: [{ start: at, end: at, newText: step }], preferred: true };
    }
    default:
      return undefined;
  }
}
