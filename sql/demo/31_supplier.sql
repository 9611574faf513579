-- Demo supplier (DEMO VALUES, seed 002, docs/protocol.md §21): user 2
-- (13900139000) is the certified supplier 测试供应商001 with the seed's
-- specs, and has one order in each of the statuses a journey passes:
-- 2 待确认, 3 待修改, 4 已修改 (with its 补款), 11 拣货完成, 21 待评价.
INSERT INTO suppliers (user_id, title, certified_at, created_at)
VALUES (2, '测试供应商001', '2019-07-01 10:00:00+08', '2019-07-01 09:00:00+08')
ON CONFLICT (user_id) DO NOTHING;
INSERT INTO user_roles (user_id, product, role) VALUES (2, 'supplier', 'supplier') ON CONFLICT DO NOTHING;

INSERT INTO supplier_specs (id, supplier_id, good_id, good_title, good_litpic, name, price) VALUES
  (1, 2, 27, '扬名12kg精制红油豆瓣', 'https://img.example.com/goods/27.jpg', '12kg', 0.01),
  (2, 2, 24, '红花椒特麻', 'https://img.example.com/goods/24.jpg', '500g', 90.00),
  (3, 2, 26, '虹陈香10kg红油豆瓣', 'https://img.example.com/goods/26.jpg', '10kg', 65.00)
ON CONFLICT (id) DO NOTHING;
SELECT setval('supplier_specs_id_seq', GREATEST((SELECT max(id) FROM supplier_specs), 1));

INSERT INTO supplier_orders (id, order_sn, supplier_id, status, total_number, total_amount, created_at, updated_at) VALUES
  (1, 'S201907171629229317', 2, 2, 6, 0.06, '2019-07-17 16:29:22+08', '2019-07-17 16:29:22+08'),
  (2, 'S201907171628071447', 2, 3, 3, 155.01, '2019-07-17 16:28:07+08', '2019-07-17 16:40:00+08'),
  (3, 'S201907251027238953', 2, 4, 6, 0.06, '2019-07-25 10:27:23+08', '2019-07-25 11:00:00+08'),
  (4, 'S201907251024245837', 2, 11, 6, 0.06, '2019-07-25 10:24:24+08', '2019-07-25 12:00:00+08'),
  (5, 'S201907251029519267', 2, 21, 6, 0.06, '2019-07-25 10:29:51+08', '2019-07-26 09:00:00+08')
ON CONFLICT (id) DO NOTHING;
SELECT setval('supplier_orders_id_seq', GREATEST((SELECT max(id) FROM supplier_orders), 1));

INSERT INTO supplier_order_items (id, order_id, good_id, good_title, good_litpic, buy_number, spec_name, price) VALUES
  (1, 1, 27, '扬名12kg精制红油豆瓣', 'https://img.example.com/goods/27.jpg', 6, '12kg', 0.01),
  (2, 2, 27, '扬名12kg精制红油豆瓣', 'https://img.example.com/goods/27.jpg', 1, '12kg', 0.01),
  (3, 2, 24, '红花椒特麻', 'https://img.example.com/goods/24.jpg', 1, '500g', 90.00),
  (4, 2, 26, '虹陈香10kg红油豆瓣', 'https://img.example.com/goods/26.jpg', 1, '10kg', 65.00),
  (5, 3, 27, '扬名12kg精制红油豆瓣', 'https://img.example.com/goods/27.jpg', 6, '12kg', 0.01),
  (6, 4, 27, '扬名12kg精制红油豆瓣', 'https://img.example.com/goods/27.jpg', 6, '12kg', 0.01),
  (7, 5, 27, '扬名12kg精制红油豆瓣', 'https://img.example.com/goods/27.jpg', 6, '12kg', 0.01)
ON CONFLICT (id) DO NOTHING;
SELECT setval('supplier_order_items_id_seq', GREATEST((SELECT max(id) FROM supplier_order_items), 1));

INSERT INTO supplier_order_sons (id, order_id, son_sn, amount, created_at) VALUES
  (1, 3, 'S201907251027238953B', 0.14, '2019-07-25 11:00:00+08'),
  (2, 4, 'S201907251024245837B', -0.04, '2019-07-25 11:30:00+08')
ON CONFLICT (id) DO NOTHING;
SELECT setval('supplier_order_sons_id_seq', GREATEST((SELECT max(id) FROM supplier_order_sons), 1));
