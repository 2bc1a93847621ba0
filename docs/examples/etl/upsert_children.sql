-- The nightly import's bug: ON CONFLICT DO NOTHING with no conflict target, into a table with no
-- unique key. The conflict never fires, so every run inserts every child row again (909 copies per row).
INSERT INTO rentals.property_photos (property_pk, photo_id, url, sort_order)
VALUES (700, 90001, 'https://cdn.example.com/p/90001.jpg', 1),
       (700, 90002, 'https://cdn.example.com/p/90002.jpg', 2)
ON CONFLICT DO NOTHING;

-- The same batch with a repeated key: with a target, the second row would be silently dropped.
INSERT INTO rentals.task_tags (task_pk, tag_pk)
VALUES (1001, 3), (1001, 3)
ON CONFLICT (task_pk, tag_pk) DO NOTHING;
