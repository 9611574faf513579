-- Demo mall goods (DEMO VALUES). Goods 1 (single spec) and 19 (multi spec)
-- are the seed's goods.detail examples, products and album included;
-- 21 is from the goods.list example. Goods 3 has products at different
-- prices, goods 4 two spec dimensions, goods 5 is hidden.
INSERT INTO goods (id, cat_id, goods_name, goods_img, description, limit_count, display) VALUES
  (1,  12, 'ikbc C104 樱桃轴机械键盘', 'http://files.xxx.com/images/voucher/20180822/5b7cbe51ea911.jpg', '', 0, TRUE),
  (2,  13, '罗技 G502 鼠标', 'http://files.xxx.com/images/voucher/20180901/g502.jpg', '', 2, TRUE),
  (3,  12, 'Cherry MX 3.0 机械键盘', 'http://files.xxx.com/images/voucher/20180901/mx30.jpg', '', 0, TRUE),
  (4,  15, '程序员文化衫', 'http://files.xxx.com/images/voucher/20180901/tshirt.jpg', '', 0, TRUE),
  (5,  12, '下架的键盘', '', '', 0, FALSE),
  (19, 13, '明基绝地求生吃鸡鼠标', 'http://files.xxx.com/images/voucher/20180828/5b84a62196ac6.jpg', '', 0, TRUE),
  (21, 15, 'ChinaJoy 服装', '', '', 0, TRUE)
ON CONFLICT (id) DO NOTHING;
SELECT setval('goods_id_seq', GREATEST((SELECT max(id) FROM goods), 1));

INSERT INTO goods_products (id, goods_id, sku, spec_val, market_price, sales_price, stock) VALUES
  (33, 1,  'ikbc00000001', '',                          399,  399,  993),
  (34, 2,  'g50200000001', '',                          299,  259,  50),
  (35, 3,  'mx3000000001', '轴体:::红轴',               699,  599,  20),
  (36, 3,  'mx3000000002', '轴体:::青轴',               699,  649,  20),
  (38, 19, 'ben001',       '颜色:::红色',               199,  160,  999),
  (39, 19, 'ben002',       '颜色:::黑色',               199,  160,  999),
  (40, 21, 'cj0000000001', '',                          9999, 9000, 100),
  (41, 4,  'tee000000001', '颜色:::白色|||尺码:::L',    129,  99,   10),
  (42, 4,  'tee000000002', '颜色:::白色|||尺码:::XL',   129,  99,   10),
  (43, 4,  'tee000000003', '颜色:::黑色|||尺码:::L',    129,  109,  10),
  (44, 5,  'hidden000001', '',                          100,  100,  10)
ON CONFLICT (id) DO NOTHING;
SELECT setval('goods_products_id_seq', GREATEST((SELECT max(id) FROM goods_products), 1));

INSERT INTO goods_images (goods_id, slot, image_url) VALUES
  (1,  1, 'http://files.xxx.com/images/voucher/20180822/5b7cbe51ea911.jpg'),
  (1,  2, 'http://files.xxx.com/images/voucher/20180822/5b7cbe53eb153.jpg'),
  (1,  3, 'http://files.xxx.com/images/voucher/20180822/5b7cbe558dc44.jpg'),
  (1,  4, 'http://files.xxx.com/images/voucher/20180822/5b7cbe59214c9.jpg'),
  (1,  5, 'http://files.xxx.com/images/voucher/20180822/5b7cbe5b1d2fc.jpg'),
  (19, 1, 'http://files.xxx.com/images/voucher/20180822/5b7cbc17cb04f.jpg'),
  (19, 2, 'http://files.xxx.com/images/voucher/20180822/5b7cbc19bb25c.jpg'),
  (19, 3, 'http://files.xxx.com/images/voucher/20180828/5b84a5c54f47a.jpg'),
  (19, 4, 'http://files.xxx.com/images/voucher/20180828/5b84a5c7c2e03.jpg'),
  (19, 5, 'http://files.xxx.com/images/voucher/20180828/5b84a62196ac6.jpg'),
  (2,  1, 'http://files.xxx.com/images/voucher/20180901/g502.jpg'),
  (3,  1, 'http://files.xxx.com/images/voucher/20180901/mx30.jpg'),
  (4,  1, 'http://files.xxx.com/images/voucher/20180901/tshirt.jpg')
ON CONFLICT DO NOTHING;
