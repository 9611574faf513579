-- Consulting demo data (seed 001, DEMO VALUES): demo user 1 is a buyer
-- (user name demo_buyer), demo user 2 a consultant (demo_consultant); both
-- log in with password demo123456 (sql/demo/10_users.sql). One demand of
-- user 1 under 法律咨询 with an unpaid order for user 2's service.
INSERT INTO consult_profiles (user_id, username, realname, gender, email) VALUES
  (1, 'demo_buyer', '演示买家', 1, 'buyer@example.com'),
  (2, 'demo_consultant', '演示顾问', 0, 'consultant@example.com')
ON CONFLICT DO NOTHING;
INSERT INTO user_roles (user_id, product, role) VALUES (2, 'consult', 'consultant')
ON CONFLICT DO NOTHING;
INSERT INTO consult_posts (id, user_id, title, content, price, created_at, updated_at) VALUES
  (1, 1, '劳动合同纠纷咨询', '公司拖欠两个月工资，想咨询如何申请劳动仲裁。', 300.00,
   '2026-01-05 10:00:00+08', '2026-01-05 10:00:00+08')
ON CONFLICT (id) DO NOTHING;
INSERT INTO consult_post_tags (post_id, tag_id) VALUES (1, 1) ON CONFLICT DO NOTHING;
SELECT setval('consult_posts_id_seq', GREATEST((SELECT max(id) FROM consult_posts), 1));
INSERT INTO consult_orders (id, order_no, user_id, consultant_id, post_id, price, status, created_at, updated_at) VALUES
  (1, 'C1767578400demo00000001', 1, 2, 1, 300.00, 0, '2026-01-05 10:05:00+08', '2026-01-05 10:05:00+08')
ON CONFLICT (id) DO NOTHING;
SELECT setval('consult_orders_id_seq', GREATEST((SELECT max(id) FROM consult_orders), 1));
