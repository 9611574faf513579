-- pgbench script for scripts/bench run G: the statement order.list runs
-- for a demo user's page 1 with no filter (methods/order.rs: the count,
-- the page and its items in one statement), with its parameters bound: $1 =
-- :user_id, $3 = :status (-1, any), $6 = :page_limit (20), $7 =
-- :page_offset (0). $2 (order_sn '') and $4, $5 (no time bounds, NULL)
-- are values a pgbench variable cannot hold, so they are written in as ''
-- and NULL::bigint. scripts/bench sets user_id (-D) from the database, and
-- runs it with -M prepared, as the gateway prepares them.
\set status -1
\set page_limit 20
\set page_offset 0
WITH page AS (SELECT o.id, o.order_sn, o.total_price, extract(epoch FROM o.pay_time)::bigint AS pay_time, o.order_status, extract(epoch FROM o.shipping_time)::bigint AS shipping_time, extract(epoch FROM o.done_time)::bigint AS done_time, extract(epoch FROM o.closed_time)::bigint AS closed_time, o.receiver_name, o.receiver_province, o.receiver_city, o.receiver_district, o.receiver_street, o.receiver_address, o.receiver_mobile, o.created_at, s.label FROM orders o JOIN order_statuses s ON s.status = o.order_status WHERE o.user_id = :user_id AND ('' = '' OR o.order_sn = '') AND (:status::smallint = -1 OR o.order_status = :status) AND (NULL::bigint IS NULL OR o.created_at >= to_timestamp(NULL::bigint)) AND (NULL::bigint IS NULL OR o.created_at <= to_timestamp(NULL::bigint)) ORDER BY o.created_at DESC, o.id DESC LIMIT :page_limit OFFSET :page_offset), total AS (SELECT count(*) AS n FROM orders o WHERE o.user_id = :user_id AND ('' = '' OR o.order_sn = '') AND (:status::smallint = -1 OR o.order_status = :status) AND (NULL::bigint IS NULL OR o.created_at >= to_timestamp(NULL::bigint)) AND (NULL::bigint IS NULL OR o.created_at <= to_timestamp(NULL::bigint))) SELECT p.id, p.order_sn, p.total_price, p.pay_time, p.order_status, p.shipping_time, p.done_time, p.closed_time, p.receiver_name, p.receiver_province, p.receiver_city, p.receiver_district, p.receiver_street, p.receiver_address, p.receiver_mobile, extract(epoch FROM p.created_at)::bigint, p.label, i.goods_id, i.goods_name, i.goods_image, i.product_id, i.spec_val, i.market_price, i.sales_price, i.quantity, i.payment_price, i.total_price, t.n FROM total t LEFT JOIN (page p LEFT JOIN order_items i ON i.order_id = p.id) ON true ORDER BY p.created_at DESC, p.id DESC, i.id;
