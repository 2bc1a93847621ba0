/**
 * The demo database: scaled reproductions of the incidents' tables. Seed 002 (an ETL whose
 * `ON CONFLICT DO NOTHING` had no conflict target, so every run inserted every child row again)
 * and seed 001 (44 concurrent loaders inserting the same 1,000 time entries, each copy with a new id).
 * Ratios are the incidents'; row counts are scaled down so the demo runs in seconds.
 */
import type * as pg from 'pg';

/** One demo table and what the scan must find in it. */
export interface DemoTable {
  schema: string;
  table: string;
  /** Natural key as the ETL's config declared it (seed 002), if any. */
  naturalKey?: string[];
  /** Distinct keys and copies per key in the demo. */
  distinct: number;
  rows: number;
  /** The incident's real figures, for the side-by-side. */
  real: { rows: number; unique: number; ratio: string };
  /** The check expected to find the duplicates. */
  expectKind: 'key' | 'exact-row' | 'unique-nulls' | 'none';
  sql: string;
}

// The copies of a key differ only in their serial id and insert time, as re-inserted ETL rows do.
export const DEMO_TABLES: DemoTable[] = [
  {
    schema: 'rentals', table: 'task_requirements', naturalKey: ['task_pk', 'requirement_id'],
    distinct: 60, rows: 60 * 909, real: { rows: 24_174_099, unique: 26_580, ratio: '909x' }, expectKind: 'key',
    sql: `CREATE TABLE rentals.task_requirements (
            id bigserial PRIMARY KEY, task_pk integer NOT NULL, requirement_id integer NOT NULL,
            section text, title text, checked boolean, created_at timestamptz NOT NULL DEFAULT now());
          INSERT INTO rentals.task_requirements (task_pk, requirement_id, section, title, checked)
          SELECT 1000 + k / 4, 50000 + k, 'Section ' || (k % 5), 'Check item ' || k, k % 3 = 0
            FROM generate_series(1, 909) run, generate_series(1, 60) k;`,
  },
  {
    schema: 'rentals', table: 'property_photos', naturalKey: ['property_pk', 'photo_id'],
    distinct: 40, rows: 40 * 632, real: { rows: 10_192_750, unique: 16_113, ratio: '632x' }, expectKind: 'key',
    sql: `CREATE TABLE rentals.property_photos (
            id bigserial PRIMARY KEY, property_pk integer NOT NULL, photo_id integer NOT NULL,
            url text, sort_order integer, created_at timestamptz NOT NULL DEFAULT now());
          INSERT INTO rentals.property_photos (property_pk, photo_id, url, sort_order)
          SELECT 700 + k / 8, 90000 + k, 'https://cdn.example.com/p/' || (90000 + k) || '.jpg', k % 8
            FROM generate_series(1, 632) run, generate_series(1, 40) k;`,
  },
  {
    // ~1x: a unique key exists, but email is nullable: guests without an email slip past it.
    schema: 'rentals', table: 'reservation_guests', naturalKey: undefined,
    distinct: 2_000, rows: 2_020, real: { rows: 1_763_359, unique: 1_763_359, ratio: '~1x' }, expectKind: 'unique-nulls',
    sql: `CREATE TABLE rentals.reservation_guests (
            id serial PRIMARY KEY, reservation_pk integer NOT NULL, guest_id integer NOT NULL, name text, email text,
            CONSTRAINT reservation_guests_key UNIQUE (reservation_pk, guest_id, email));
          INSERT INTO rentals.reservation_guests (reservation_pk, guest_id, name, email)
          SELECT 3000 + k / 2, 80000 + k, 'Guest ' || k, CASE WHEN k % 100 = 0 THEN NULL ELSE 'guest' || k || '@example.com' END
            FROM generate_series(1, 2000) k;
          INSERT INTO rentals.reservation_guests (reservation_pk, guest_id, name, email)
          SELECT 3000 + k / 2, 80000 + k, 'Guest ' || k, NULL FROM generate_series(100, 2000, 100) k;`,
  },
  {
    schema: 'rentals', table: 'task_assignments', naturalKey: ['task_pk', 'assignee_id'],
    distinct: 10, rows: 10 * 1490, real: { rows: 1_485_262, unique: 1_000, ratio: '1490x' }, expectKind: 'key',
    sql: `CREATE TABLE rentals.task_assignments (
            id bigserial PRIMARY KEY, task_pk integer NOT NULL, assignee_id integer NOT NULL, role text,
            created_at timestamptz NOT NULL DEFAULT now());
          INSERT INTO rentals.task_assignments (task_pk, assignee_id, role)
          SELECT 1000 + k, 400 + k % 3, 'cleaner' FROM generate_series(1, 1490) run, generate_series(1, 10) k;`,
  },
  {
    schema: 'rentals', table: 'task_photos', naturalKey: ['task_pk', 'photo_id'],
    distinct: 300, rows: 300 * 27, real: { rows: 715_312, unique: 26_000, ratio: '27x' }, expectKind: 'key',
    sql: `CREATE TABLE rentals.task_photos (
            id bigserial PRIMARY KEY, task_pk integer NOT NULL, photo_id integer NOT NULL, url text,
            created_at timestamptz NOT NULL DEFAULT now());
          INSERT INTO rentals.task_photos (task_pk, photo_id, url)
          SELECT 1000 + k / 10, 120000 + k, 'https://cdn.example.com/t/' || (120000 + k) || '.jpg'
            FROM generate_series(1, 27) run, generate_series(1, 300) k;`,
  },
  {
    // The ETL config once named (comment_id, region_code) as this key; the fix was (task_pk, comment_id).
    schema: 'rentals', table: 'task_comments', naturalKey: ['task_pk', 'comment_id'],
    distinct: 47, rows: 47 * 31, real: { rows: 14_664, unique: 470, ratio: '31x' }, expectKind: 'key',
    sql: `CREATE TABLE rentals.task_comments (
            id bigserial PRIMARY KEY, task_pk integer NOT NULL, comment_id integer NOT NULL, region_code text,
            body text, created_at timestamptz NOT NULL DEFAULT now());
          INSERT INTO rentals.task_comments (task_pk, comment_id, region_code, body)
          SELECT 1000 + k, 7000 + k, 'nashville', 'Left the keys in the lockbox (' || k || ')'
            FROM generate_series(1, 31) run, generate_series(1, 47) k;`,
  },
  {
    // The control: same ETL bug, but a UNIQUE constraint made ON CONFLICT DO NOTHING skip the copies.
    schema: 'rentals', table: 'task_tags', naturalKey: ['task_pk', 'tag_pk'],
    distinct: 500, rows: 500, real: { rows: 0, unique: 0, ratio: '1x' }, expectKind: 'none',
    sql: `CREATE TABLE rentals.task_tags (
            task_pk integer NOT NULL, tag_pk integer NOT NULL, CONSTRAINT task_tags_unique UNIQUE (task_pk, tag_pk));
          INSERT INTO rentals.task_tags SELECT 1000 + k / 5, k % 5 FROM generate_series(1, 500) k ON CONFLICT DO NOTHING;
          INSERT INTO rentals.task_tags SELECT 1000 + k / 5, k % 5 FROM generate_series(1, 500) k ON CONFLICT DO NOTHING;`,
  },
  {
    // Seed 001: 1,000 entries loaded 45 times (44 extra copies), each copy with its own uuid and load time.
    schema: 'public', table: 'time_entries', naturalKey: undefined,
    distinct: 1_000, rows: 45_000, real: { rows: 45_000, unique: 1_000, ratio: '45x' }, expectKind: 'exact-row',
    sql: `CREATE TABLE public.time_entries (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant text NOT NULL, entry_ref integer NOT NULL,
            worker text, hours numeric(6,2), effective_date date, is_current boolean NOT NULL,
            date_entered timestamptz NOT NULL DEFAULT now());
          INSERT INTO public.time_entries (tenant, entry_ref, worker, hours, effective_date, is_current)
          SELECT 'acme', 10000 + k, 'worker ' || (k % 37), (k % 9) + 0.5, date '2025-06-01' + (k % 20), false
            FROM generate_series(1, 45) lambda, generate_series(1, 1000) k;`,
  },
];

/** Natural keys as a .dupguard.json would declare them. */
export function demoNaturalKeys(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of DEMO_TABLES) if (t.naturalKey) out[`${t.schema}.${t.table}`] = t.naturalKey;
  return out;
}

/** Creates and fills the demo tables, then ANALYZEs them (quick mode reads those statistics). */
export async function seedDemo(client: pg.ClientBase, onTable?: (t: DemoTable) => void): Promise<void> {
  await client.query('CREATE SCHEMA IF NOT EXISTS rentals');
  for (const t of DEMO_TABLES) {
    onTable?.(t);
    await client.query(t.sql);
  }
  await client.query('ANALYZE');
}
