/**
 * Numbers behind the generator's automatic choices, with where they come from.
 */

/**
 * Duplicate ratio (rows / distinct keys) from which the rebuild strategy beats DELETE, measured by
 * test/bench/migrate-bench.ts (PostgreSQL 15, 300,000-row table shaped like seed 002's, 2 CPUs,
 * whole script, best of 2; rebuild time / delete time):
 *   1.01x 2.68 | 1.1x 1.70 | 1.5x 1.15 | 2x 2.23 | 2.5x 0.68 | 3x 1.09-1.20 | 3.5x 0.67 | 4x 1.14
 *   5x 0.44-0.54 | 10x 0.35 | 27x 0.52 | 100x 0.31 | 909x 0.29
 * From 5x rebuild won in every run at every larger ratio; between 2.5x and 4x the two were within
 * the run-to-run noise of each other, so DELETE is kept there: on large tables it lets readers go on
 * while it works (the rebuild locks them out until COMMIT).
 */
export const REBUILD_FROM_RATIO = 5;

/**
 * Rows kept after dedup from which the unique index is built CONCURRENTLY after the transaction
 * instead of inside it: an in-transaction build holds ACCESS EXCLUSIVE (no reads) while it sorts,
 * about a second per million rows on a small server, which is the most a busy table should wait.
 */
export const CONCURRENT_INDEX_FROM_ROWS = 1_000_000;
