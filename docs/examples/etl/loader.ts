// SQL embedded in TypeScript is linted too. The nightly import's child-row upsert ported to
// node-postgres, bug included, and a time-entries loader that several workers run at once.
import type { Client } from 'pg';

export async function upsertRequirements(client: Client, rows: { taskPk: number; requirementId: number; title: string }[]) {
  for (const r of rows) {
    // No conflict target: PostgreSQL never finds a conflict, every run inserts the row again.
    await client.query(
      `INSERT INTO rentals.task_requirements (task_pk, requirement_id, title)
       VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [r.taskPk, r.requirementId, r.title],
    );
  }
}

export async function upsertRequirementsFixed(client: Client, r: { taskPk: number; requirementId: number; title: string }) {
  await client.query(
    `INSERT INTO rentals.task_requirements (task_pk, requirement_id, title)
     VALUES ($1, $2, $3)
     ON CONFLICT (task_pk, requirement_id) DO UPDATE SET title = EXCLUDED.title`,
    [r.taskPk, r.requirementId, r.title],
  );
}
