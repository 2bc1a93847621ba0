/**
 * What the rules see of a TS/JS file's ORM calls: the recognised writes and checks, read from the
 * engine's one token stream of the file, with the dialect from the file itself or else from its
 * project's ORM schema, and the declared table each call names.
 */
import type { SchemaModel } from '../../core/schema';
import type { DialectHints } from '../dialect-hints';
import { runsOnPostgres } from './dialect';
import { ormSchemaOf, type OrmAwareSchemaModel } from './model';
import { recogniseOrmTokens } from './recognise';
import type { OrmSchemaTable } from './schema';
import type { TokenStream } from './stream';
import type { OrmFileFacts, OrmLibrary, OrmTableRef, OrmWrite } from './types';

/** One file's ORM calls as the rules read them. */
export interface OrmHostFacts {
  file: OrmFileFacts;
  /** The project's schema model with its ORM side, when ORM schema files were found. */
  schema?: OrmAwareSchemaModel;
  /** The declared table a call names (ORM name or SQL name), when the project's schema knows it. */
  table(ref: OrmTableRef, library: OrmLibrary): OrmSchemaTable | undefined;
  /** The write runs on PostgreSQL (its file or project says so, or says nothing), and not only under a test on the dialect. */
  onPostgres(w: OrmWrite): boolean;
}

const NONE: OrmHostFacts['table'] = () => undefined;

/**
 * The ORM facts of a TS/JS file, or undefined when it holds no ORM call worth reading (the walk's gate
 * on the identifiers first: most files are never walked). `stream` is the file's one token stream,
 * `hints` its dialect hints as the engine keeps them.
 */
export function ormHostFacts(stream: () => TokenStream, schema: SchemaModel | undefined, hints?: (ts: TokenStream) => DialectHints): OrmHostFacts | undefined {
  const model = ormSchemaOf(schema);
  const file = recogniseOrmTokens(stream(), { projectDialect: model?.dialect(), callsOnly: true, hints });
  if (file.writes.length === 0 && file.reads.length === 0) return undefined;
  return {
    file,
    schema: model,
    table: model ? (ref, library) => model.orm.lookup(ref, library) : NONE,
    onPostgres: (w) => !w.dialectConditional && runsOnPostgres(w.dialect),
  };
}
