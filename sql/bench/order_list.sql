-- pgbench script for scripts/bench run G: the three statements order.list
-- runs for a demo user's page 1 with no filter (methods/order.rs), with its
-- parameters bound: $1 = :user_id, $3 = :status (-1, any), $6 =
-- :page_limit (20), $7 = :page_offset (0), and the page's order ids for the
-- items. $2 (order_sn '') and $4, $5 (no time bounds, NULL) are values a
-- pgbench variable cannot hold, so they are written in as '' and
-- NULL::bigint. scripts/bench sets user_id and order_ids (-D) from the
-- database, and runs it with -M prepared, as the gateway prepares them.
\set status -1
\set page_limit 20
\set page_offset 0
SELECT count(*) FROM orders o WHERE o.user_id = :user_id AND ('' = '' OR o.order_sn = '') AND (:status::smallint = -1 OR o.order_status = :status) AND (NULL::bigint IS NULL OR o.created_at >= to_timestamp(NULL::bigint)) AND (NULL::bigint IS NULL OR o.created_at <= to_timestamp(NULL::bigint));
SELECT o.id, o.order_sn, o.total_price, extract(epoch FROM o.pay_time)::bigint, o.order_status, extract(epoch FROM o.shipping_time)::bigint, extract(epoch FROM o.done_time)::bigint, extract(epoch FROM o.closed_time)::bigint, o.receiver_name, o.receiver_province, o.receiver_city, o.receiver_district, o.receiver_street, o.receiver_address, o.receiver_mobile, extract(epoch FROM o.created_at)::bigint, s.label FROM orders o JOIN order_statuses s ON s.status = o.order_status WHERE o.user_id = :user_id AND ('' = '' OR o.order_sn = '') AND (:status::smallint = -1 OR o.order_status = :status) AND (NULL::bigint IS NULL OR o.created_at >= to_timestamp(NULL::bigint)) AND (NULL::bigint IS NULL OR o.created_at <= to_timestamp(NULL::bigint)) ORDER BY o.created_at DESC, o.id DESC LIMIT :page_limit OFFSET :page_offset;
SELECT order_id, goods_id, goods_name, goods_image, product_id, spec_val, market_price, sales_price, quantity, payment_price, total_price FROM order_items WHERE order_id = ANY(:order_ids::bigint[]) ORDER BY order_id, id;
