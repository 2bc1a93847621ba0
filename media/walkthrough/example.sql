-- dupguard example: each statement below lets duplicate rows in. Hover a squiggle to read why,
-- then press Ctrl+. (Cmd+. on macOS) on it for the quick fixes.

CREATE TABLE orders (
  id           bigserial PRIMARY KEY,
  customer_id  integer NOT NULL,
  external_ref text NOT NULL,
  total        numeric(10, 2),
  CONSTRAINT orders_external_ref_key UNIQUE (external_ref)
);

CREATE TABLE order_lines (
  order_id   bigint NOT NULL,
  product_id integer NOT NULL,
  quantity   integer NOT NULL
);

-- No conflict target: it only works because orders happens to have one unique key.
-- Quick fix: "Add conflict target (external_ref)".
INSERT INTO orders (customer_id, external_ref, total)
VALUES (42, 'A-1001', 99.50)
ON CONFLICT DO NOTHING;

-- order_lines has no unique key: this ON CONFLICT never fires, every re-run inserts the lines again.
INSERT INTO order_lines (order_id, product_id, quantity)
VALUES (1, 7, 2)
ON CONFLICT DO NOTHING;
