/**
 * The tokens of a TS/JS file that may say which database it runs on: imported module specifiers,
 * `client:` / `dialect:` / `type:` / `provider:` setting values, and long identifiers not after `.`
 * (the candidates for Kysely dialect classes and ORM table builders). Found in one pass over the
 * file's token stream and read by both dialect readers, the embedded-SQL one (./dialect.ts) and the
 * ORM one (./orm/dialect.ts), each through its own tables. The engine keeps a file's hints with its
 * token stream (src/engine/caches.ts), so the pass runs once per file however many read them.
 */
import { ID as ID_IMPORT, PUNCT as PUNCT_IMPORT, STR as STR_IMPORT, type TokenStream } from './orm/stream';

const ID: number = ID_IMPORT;
const PUNCT: number = PUNCT_IMPORT;
const STR: number = STR_IMPORT;

export const HINT_IMPORT = 0;
export const HINT_SETTING = 1;
export const HINT_NAME = 2;

/** Hint tokens in token order: `at[k]` is a token index, `kind[k]` one of HINT_IMPORT, HINT_SETTING, HINT_NAME. */
export interface DialectHints {
  at: number[];
  kind: number[];
}

/** Keys whose string value names a back end: knex `client`, Sequelize `dialect`, TypeORM `type`, Prisma `provider`. */
const SETTING_KEYS = new Set(['client', 'dialect', 'type', 'provider']);

/** The shortest dialect construct name either reader knows (`pgTable`): shorter identifiers are no hint. */
const MIN_NAME = 7;

/** The dialect hints of a token stream (one pass). */
export function dialectHints(ts: TokenStream): DialectHints {
  const at: number[] = [];
  const kind: number[] = [];
  const { kinds, starts, ends } = ts;
  for (let i = 0; i < kinds.length; i++) {
    const k = kinds[i];
    if (k === STR) {
      // `from 'x'`, `import 'x'`, `require('x')`, `import('x')`
      if (ts.isId(i - 1, 'from') || ts.isId(i - 1, 'import') || (ts.isP(i - 1, '(') && (ts.isId(i - 2, 'require') || ts.isId(i - 2, 'import')))) {
        at.push(i);
        kind.push(HINT_IMPORT);
        continue;
      }
      if (i >= 2 && kinds[i - 1] === PUNCT && kinds[i - 2] === ID && ts.isP(i - 1, ':') && SETTING_KEYS.has(ts.val(i - 2))) {
        at.push(i);
        kind.push(HINT_SETTING);
      }
    } else if (k === ID && ends[i] - starts[i] >= MIN_NAME && !ts.isP(i - 1, '.')) {
      at.push(i);
      kind.push(HINT_NAME);
    }
  }
  return { at, kind };
}
