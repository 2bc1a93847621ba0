/**
 * The ORM layer: writes and row checks made through query builders and ORMs in TS/JS, the schemas
 * those ORMs declare, the dialect both say they run on, and fixes in each library's own syntax.
 */
export type {
  Dialect, DialectEvidence, OrmCheckThenInsert, OrmConflict, OrmConflictTarget, OrmFileFacts, OrmLibrary, OrmRead, OrmRow, OrmTableRef, OrmWrite,
} from './types';
export { checkThenInsert, recogniseOrm, recogniseOrmTokens, type RecogniseOptions } from './recognise';
export { TokenStream } from './stream';
export { projectDialect, readOrmSchema, type OrmSchemaFile, type OrmSchemaTable } from './schema';
export { dialectEvidence, runsOnPostgres, settleDialect } from './dialect';
export { fixable, keyNames, prismaAdvice, targetFix, typeormOrUpdateFix } from './fix';
export { asInsertFacts, duplicateKeyRows, OrmSchemaIndex, rowNaming, sqlColumns } from './resolve';
