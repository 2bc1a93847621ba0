-- The fix for the nightly import's copies, in the order that works: remove the copies, then add the key that makes
-- ON CONFLICT fire. (`dupguard migrate` generates this for a live table, with counts and a rollback.)
BEGIN;

DELETE FROM rentals.task_requirements t
 USING rentals.task_requirements older
 WHERE older.task_pk = t.task_pk
   AND older.requirement_id = t.requirement_id
   AND older.id < t.id;

ALTER TABLE rentals.task_requirements
  ADD CONSTRAINT task_requirements_natural_key UNIQUE (task_pk, requirement_id);

COMMIT;
