-- Demo home services (DEMO VALUES, seed 000 慕慕到家, docs/protocol.md §22):
-- the seed's categories; user 30 is the demo publisher and user 31 the
-- demo customer, both WeChat users of home_app_id (sandbox login codes
-- `home_publisher.1` and `home_customer.1`); three published services,
-- the first with two completed, rated bookings (score 3.5, sales 2).
INSERT INTO home_categories (id, name, sort) VALUES
  (1, '保洁', 1), (2, '汽修', 2), (3, '疏通', 3), (4, '在线教育', 4),
  (5, '宠物', 5), (6, '护理', 6), (7, '婚恋', 7)
ON CONFLICT (id) DO NOTHING;
SELECT setval('home_categories_id_seq', GREATEST((SELECT max(id) FROM home_categories), 1));

INSERT INTO users (id, open_id, mobile, nickname, headimg, intro, password_hash, reg_platform, created_at) VALUES
  (30, 'd3a0b0ae000000000000000000000030', NULL, '沁塵', 'https://img.example.com/avatar/30.png', '', NULL, 6, '2021-03-07 14:00:00+08'),
  (31, 'd3a0b0ae000000000000000000000031', NULL, '慕慕1617', 'https://img.example.com/avatar/31.png', '', NULL, 6, '2021-03-07 15:00:00+08')
ON CONFLICT (id) DO NOTHING;
SELECT setval('users_id_seq', GREATEST((SELECT max(id) FROM users), 1));

-- The openids the sandbox code2session gives these WeChat users
-- (docs/protocol.md §8.9): "o" + 27 hex digits of SHA-256(appid:user).
INSERT INTO wechat_identities (appid, openid, user_id)
SELECT 'home_app_id', 'o' || left(encode(sha256(convert_to('home_app_id:' || w, 'UTF8')), 'hex'), 27), id
FROM (VALUES (30, 'home_publisher'), (31, 'home_customer')) AS v (id, w)
ON CONFLICT DO NOTHING;

INSERT INTO user_roles (user_id, product, role) VALUES (30, 'home', 'publisher'), (31, 'home', 'customer')
ON CONFLICT DO NOTHING;

INSERT INTO home_profiles (user_id, real_name, gender, tel, updated_at) VALUES
  (30, '沁塵', 1, NULL, '2021-03-07 14:00:00+08'),
  (31, NULL, 2, NULL, '2021-03-07 15:00:00+08')
ON CONFLICT (user_id) DO NOTHING;

INSERT INTO files (id, user_id, relative_path, original_name, mime_type, size_bytes, sha256, created_at) VALUES
  (30, 30, '/images/20210307/home-pets.jpg', 'pets.jpg', 'image/jpeg', 20480,
   'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '2021-03-07 14:30:00+08'),
  (31, 30, '/images/20210307/home-cleaning.jpg', 'cleaning.jpg', 'image/jpeg', 20480,
   'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '2021-03-07 14:31:00+08'),
  (32, 30, '/images/20210307/home-pipes.jpg', 'pipes.jpg', 'image/jpeg', 20480,
   'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '2021-03-07 14:32:00+08')
ON CONFLICT (id) DO NOTHING;
SELECT setval('files_id_seq', GREATEST((SELECT max(id) FROM files), 1));

INSERT INTO home_services (id, publisher_id, type, category_id, cover_image_id, designated_place, title, description,
  begin_date, end_date, price, status, score_sum, rating_count, sales_volume, created_at, updated_at, reviewed_at, published_at) VALUES
  (1, 30, 1, 5, 30, 1, '节假日宠物寄养', '五一劳动节三天假期宠物寄养服务，代溜（一天至少一次），代喂食，狗粮需自备。',
   '2021-03-07', '2031-03-15', 300.00, 2, 7, 2, 2,
   '2021-03-07 14:32:20+08', '2021-03-07 14:40:00+08', '2021-03-07 14:35:00+08', '2021-03-07 14:40:00+08'),
  (2, 30, 1, 1, 31, 1, '家庭深度保洁', '三室两厅深度保洁，含厨房油污与卫生间除垢，约 4 小时。',
   '2021-03-07', '2031-12-31', 200.00, 2, 0, 0, 0,
   '2021-03-07 15:00:00+08', '2021-03-07 15:10:00+08', '2021-03-07 15:05:00+08', '2021-03-07 15:10:00+08'),
  (3, 30, 1, 3, 32, 1, '管道疏通', '厨房、卫生间下水道疏通，不通不收费。',
   '2021-03-07', '2031-12-31', 80.00, 2, 0, 0, 0,
   '2021-03-07 15:20:00+08', '2021-03-07 15:30:00+08', '2021-03-07 15:25:00+08', '2021-03-07 15:30:00+08')
ON CONFLICT (id) DO NOTHING;
SELECT setval('home_services_id_seq', GREATEST((SELECT max(id) FROM home_services), 1));

INSERT INTO home_orders (id, order_no, service_id, publisher_id, consumer_id, price, service_snap, address_snap, status,
  created_at, updated_at, agreed_at, paid_at, confirmed_at, rated_at)
SELECT v.id, v.no, 1, 30, 31, 300.00, home_service_json(1, 28800, 'http://127.0.0.1:8080/files')::jsonb,
  '{"errMsg": "chooseAddress:ok", "cityName": "广州市", "userName": "张三", "telNumber": "020-81167888", "countyName": "海珠区", "detailInfo": "新港中路397号", "postalCode": "510000", "nationalCode": "510000", "provinceName": "广东省"}'::jsonb,
  4, v.at, v.at, v.at, v.at, v.at, v.at
FROM (VALUES (1, 2021030800000001, '2021-03-08 20:51:32+08'::timestamptz),
             (2, 2021030900000002, '2021-03-09 10:00:00+08'::timestamptz)) AS v (id, no, at)
ON CONFLICT (id) DO NOTHING;
SELECT setval('home_orders_id_seq', GREATEST((SELECT max(id) FROM home_orders), 1));
SELECT setval('home_order_no_seq', 100);

INSERT INTO home_ratings (id, order_id, service_id, author_id, score, content, illustration, status, created_at) VALUES
  (1, 1, 1, 31, 4, '非常好，家里狗子甚至都不想回家了。', '[]', 2, '2021-03-08 22:00:00+08'),
  (2, 2, 1, 31, 3, '还行，遛狗次数少了点。', '[]', 2, '2021-03-09 19:55:21+08')
ON CONFLICT (id) DO NOTHING;
SELECT setval('home_ratings_id_seq', GREATEST((SELECT max(id) FROM home_ratings), 1));
