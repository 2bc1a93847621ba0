/**
 * Shared by the schema-aware rule tests: load the parser once, build a schema model from DDL text,
 * and check that a fixed text parses with libpg-query.
 */
import * as assert from 'node:assert/strict';
import { buildSchemaFromDdl, ensureParser, type DdlSchemaModel } from '../../../src/core/schema/ddl';
import { tryParse } from '../../../src/core/schema/pg';

/** Loads libpg-query (the one parser wrapper, for the rules and the schema model). */
export async function loadParsers(): Promise<void> {
  await ensureParser();
}

/** A schema model from DDL snippets (one migration file each, in order). */
export function ddl(...texts: string[]): DdlSchemaModel {
  return buildSchemaFromDdl(texts.map((text, i) => ({ path: `migrations/${String(i + 1).padStart(3, '0')}.sql`, text })));
}

/** Asserts that PostgreSQL's grammar accepts `sql`. */
export function assertParses(sql: string): void {
  assert.ok(tryParse(sql), `expected valid PostgreSQL:\n${sql}`);
}
