-- The child tables the nightly import fills, as they were created: no unique key on any of them except
-- task_tags. dupguard reads this file to know which tables have which keys.
CREATE SCHEMA IF NOT EXISTS rentals;

CREATE TABLE rentals.task_requirements (
  id             bigserial PRIMARY KEY,
  task_pk        integer NOT NULL,
  requirement_id integer NOT NULL,
  section        text,
  title          text,
  checked        boolean,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rentals.property_photos (
  id          bigserial PRIMARY KEY,
  property_pk integer NOT NULL,
  photo_id    integer NOT NULL,
  url         text,
  sort_order  integer,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rentals.task_tags (
  task_pk integer NOT NULL,
  tag_pk  integer NOT NULL,
  CONSTRAINT task_tags_unique UNIQUE (task_pk, tag_pk)
);
