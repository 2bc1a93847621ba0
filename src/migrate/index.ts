/** Public API of the dedup migration generator (pure: no database, no file system). */
export { generateMigration, generateRollback } from './generate';
export { parseForeignKey } from './fk';
export { migrationFileNames, migrationStamp, rollbackFileFor } from './names';
export { quoteIdent, quoteLiteral, quoteQualified } from '../core/quote';
export { CONCURRENT_INDEX_FROM_ROWS, REBUILD_FROM_RATIO } from './thresholds';
export * from './types';
