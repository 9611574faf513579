-- Demo orders (DEMO VALUES): user 1 has one order in each status, user 2
-- one finished order. Order 49 is the seed's order.list example.
INSERT INTO orders (id, order_sn, user_id, order_status, total_price, pay_time, shipping_time, done_time, closed_time,
                    receiver_name, receiver_province, receiver_city, receiver_district, receiver_street,
                    receiver_address, receiver_mobile, created_at) VALUES
  (49, 'SN202003140000000001', 1, 1, 399, '2020-03-14 23:45:06+08', NULL, NULL, NULL,
       '张木沐', '广东省', '深圳市', '南山区', '', '粤海街道东方科技大厦601', '14812345678', '2020-03-14 23:45:06+08'),
  (50, 'SN202003150000000002', 1, 0, 259, NULL, NULL, NULL, NULL,
       '张木沐', '广东省', '深圳市', '南山区', '', '粤海街道东方科技大厦601', '14812345678', '2020-03-15 09:10:00+08'),
  (51, 'SN202003160000000003', 1, 2, 599, '2020-03-16 10:00:00+08', '2020-03-17 15:00:00+08', NULL, NULL,
       '张木沐', '广东省', '深圳市', '南山区', '', '粤海街道东方科技大厦601', '14812345678', '2020-03-16 09:58:00+08'),
  (52, 'SN202003170000000004', 1, 3, 198, '2020-03-17 11:00:00+08', '2020-03-17 18:00:00+08', '2020-03-20 12:00:00+08', NULL,
       '张木沐', '广东省', '深圳市', '南山区', '', '粤海街道东方科技大厦601', '14812345678', '2020-03-17 10:59:00+08'),
  (53, 'SN202003180000000005', 1, 4, 259, NULL, NULL, NULL, '2020-03-18 12:30:00+08',
       '张木沐', '广东省', '深圳市', '南山区', '', '粤海街道东方科技大厦601', '14812345678', '2020-03-18 12:00:00+08'),
  (54, 'SN202003190000000006', 2, 3, 259, '2020-03-19 08:00:00+08', '2020-03-19 17:00:00+08', '2020-03-22 09:00:00+08', NULL,
       '李四', '北京市', '北京市', '海淀区', '中关村大街', '1 号', '13900139000', '2020-03-19 07:59:00+08')
ON CONFLICT (id) DO NOTHING;
SELECT setval('orders_id_seq', GREATEST((SELECT max(id) FROM orders), 1));

INSERT INTO order_items (id, order_id, goods_id, product_id, goods_name, goods_image, spec_val,
                         market_price, sales_price, quantity, payment_price, total_price) VALUES
  (1, 49, 1, 33, 'ikbc C104 樱桃轴机械键盘', 'http://xxx/5b7cbe51ea911.jpg', '', 399, 399, 1, 399, 399),
  (2, 50, 2, 34, '罗技 G502 鼠标', 'http://files.xxx.com/images/voucher/20180901/g502.jpg', '', 299, 259, 1, 259, 259),
  (3, 51, 3, 35, 'Cherry MX 3.0 机械键盘', 'http://files.xxx.com/images/voucher/20180901/mx30.jpg', '轴体:::红轴', 699, 599, 1, 599, 599),
  (4, 52, 4, 41, '程序员文化衫', 'http://files.xxx.com/images/voucher/20180901/tshirt.jpg', '颜色:::白色|||尺码:::L', 129, 99, 2, 198, 198),
  (5, 53, 2, 34, '罗技 G502 鼠标', 'http://files.xxx.com/images/voucher/20180901/g502.jpg', '', 299, 259, 1, 259, 259),
  (6, 54, 2, 34, '罗技 G502 鼠标', 'http://files.xxx.com/images/voucher/20180901/g502.jpg', '', 299, 259, 1, 259, 259)
ON CONFLICT (id) DO NOTHING;
SELECT setval('order_items_id_seq', GREATEST((SELECT max(id) FROM order_items), 1));
