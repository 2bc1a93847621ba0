/**
 * Numbers behind the generator's automatic choices, with where they come from.
 */

/**
 * Duplicate ratio (rows / distinct keys) from which the rebuild strategy beats DELETE.
 * PLACEHOLDER until measured by test/bench/migrate-bench.ts.
 */
export const REBUILD_FROM_RATIO = 3;

/**
 * Rows kept after dedup from which the unique index is built CONCURRENTLY after the transaction
 * instead of inside it: an in-transaction build holds ACCESS EXCLUSIVE (no reads) while it sorts,
 * about a second per million rows on a small server, which is the most a busy table should wait.
 */
export const CONCURRENT_INDEX_FROM_ROWS = 1_000_000;
