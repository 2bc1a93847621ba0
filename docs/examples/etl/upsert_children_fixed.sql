-- After migrations/002 added the natural key, the upsert names it: reruns update, never duplicate.
INSERT INTO rentals.task_requirements (task_pk, requirement_id, section, title, checked)
VALUES (1000, 50001, 'Section 1', 'Check item 1', false)
ON CONFLICT (task_pk, requirement_id)
DO UPDATE SET section = EXCLUDED.section, title = EXCLUDED.title, checked = EXCLUDED.checked;
