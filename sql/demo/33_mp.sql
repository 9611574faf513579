-- User mini-program demo data (seed 004, DEMO VALUES, docs/protocol.md §23):
-- two operation centres (1 runs the demo appid mp_app_id), a real
-- province/city/district tree of five provinces with approximate
-- centroids, merchant categories, 336 merchants spread around the 21
-- districts (16 each, generated; the 16th of each is disabled) and two voucher goods per merchant.
INSERT INTO mp_opers (id, name, appid) VALUES
  (1, '北京·成都运营中心', 'mp_app_id'),
  (2, '华东·华南运营中心', NULL)
ON CONFLICT (id) DO NOTHING;

INSERT INTO mp_areas (area_id, name, parent_id, level, initial, hot, lng, lat) VALUES
  (110000, '北京市', 0, 1, 'B', false, 116.405, 39.905),
  (110100, '北京市', 110000, 2, 'B', true, 116.405, 39.905),
  (110101, '东城区', 110100, 3, 'D', false, 116.416, 39.928),
  (110102, '西城区', 110100, 3, 'X', false, 116.366, 39.912),
  (110105, '朝阳区', 110100, 3, 'C', false, 116.443, 39.921),
  (110108, '海淀区', 110100, 3, 'H', false, 116.298, 39.959),
  (310000, '上海市', 0, 1, 'S', false, 121.473, 31.230),
  (310100, '上海市', 310000, 2, 'S', true, 121.473, 31.230),
  (310101, '黄浦区', 310100, 3, 'H', false, 121.490, 31.222),
  (310104, '徐汇区', 310100, 3, 'X', false, 121.437, 31.179),
  (310115, '浦东新区', 310100, 3, 'P', false, 121.544, 31.221),
  (440000, '广东省', 0, 1, 'G', false, 113.266, 23.132),
  (440100, '广州市', 440000, 2, 'G', true, 113.264, 23.129),
  (440104, '越秀区', 440100, 3, 'Y', false, 113.267, 23.129),
  (440105, '海珠区', 440100, 3, 'H', false, 113.317, 23.084),
  (440106, '天河区', 440100, 3, 'T', false, 113.361, 23.125),
  (440300, '深圳市', 440000, 2, 'S', true, 114.058, 22.543),
  (440303, '罗湖区', 440300, 3, 'L', false, 114.131, 22.548),
  (440304, '福田区', 440300, 3, 'F', false, 114.055, 22.522),
  (440305, '南山区', 440300, 3, 'N', false, 113.930, 22.533),
  (330000, '浙江省', 0, 1, 'Z', false, 120.153, 30.287),
  (330100, '杭州市', 330000, 2, 'H', true, 120.155, 30.274),
  (330102, '上城区', 330100, 3, 'S', false, 120.169, 30.243),
  (330106, '西湖区', 330100, 3, 'X', false, 120.130, 30.259),
  (330108, '滨江区', 330100, 3, 'B', false, 120.211, 30.208),
  (330200, '宁波市', 330000, 2, 'N', false, 121.550, 29.875),
  (330203, '海曙区', 330200, 3, 'H', false, 121.551, 29.860),
  (330212, '鄞州区', 330200, 3, 'Y', false, 121.547, 29.817),
  (510000, '四川省', 0, 1, 'S', false, 104.066, 30.572),
  (510100, '成都市', 510000, 2, 'C', true, 104.066, 30.572),
  (510104, '锦江区', 510100, 3, 'J', false, 104.083, 30.656),
  (510105, '青羊区', 510100, 3, 'Q', false, 104.062, 30.674),
  (510107, '武侯区', 510100, 3, 'W', false, 104.043, 30.642)
ON CONFLICT (area_id) DO NOTHING;

INSERT INTO mp_merchant_categories (id, pid, name, icon, status, sort) VALUES
  (1, 0, '美食', 'https://img.example.com/mp/cat/food.png', 1, 1),
  (2, 0, '休闲娱乐', 'https://img.example.com/mp/cat/fun.png', 1, 2),
  (3, 0, '丽人', 'https://img.example.com/mp/cat/beauty.png', 1, 3),
  (4, 1, '火锅', 'https://img.example.com/mp/cat/hotpot.png', 1, 1),
  (5, 1, '小吃快餐', 'https://img.example.com/mp/cat/snack.png', 1, 2),
  (6, 2, 'KTV', 'https://img.example.com/mp/cat/ktv.png', 1, 1),
  (7, 2, '电影', 'https://img.example.com/mp/cat/movie.png', 1, 2),
  (8, 3, '美发', 'https://img.example.com/mp/cat/hair.png', 1, 1),
  (9, 0, '停用的类别', '', 2, 9)
ON CONFLICT (id) DO NOTHING;
SELECT setval('mp_merchant_categories_id_seq', GREATEST((SELECT max(id) FROM mp_merchant_categories), 1));

-- 16 merchants per district, scattered within about 3 km of its centroid
-- by a fixed pseudo-random spiral (the same on every run).
INSERT INTO mp_merchants (id, oper_id, merchant_category_id, name, brand, region, address,
    province_id, city_id, area_id, lng, lat, open_time, close_time, logo, desc_pic, "desc",
    contacter, contacter_phone, status, lowest_amount)
SELECT d.n * 16 + k.i + 1,
       CASE WHEN p.area_id IN (110000, 510000) THEN 1 ELSE 2 END,
       4 + (k.i % 5),
       a.name || (ARRAY['老码头火锅', '巷子小吃', '星光KTV', '影城', '发艺造型'])[k.i % 5 + 1] || (k.i / 5 + 1) || '号店',
       (ARRAY['老码头', '巷子', '星光', '影城', '发艺'])[k.i % 5 + 1],
       1,
       p.name || c.name || a.name || '示范路' || (k.i + 1) || '号',
       p.area_id, c.area_id, a.area_id,
       a.lng + 0.03 * sin(k.i * 2.399 + d.n) * sqrt((k.i + 1) / 16.0),
       a.lat + 0.025 * cos(k.i * 2.399 + d.n) * sqrt((k.i + 1) / 16.0),
       '10:00', '22:00',
       'https://img.example.com/mp/logo/' || (k.i % 5) || '.png',
       'https://img.example.com/mp/desc/' || (k.i % 5) || '.jpg',
       '演示商家，数据为示例。',
       '张经理', '1380000' || lpad((d.n * 16 + k.i)::text, 4, '0'),
       CASE WHEN k.i = 15 THEN 2 ELSE 1 END,
       (10 + k.i * 5)::numeric(12,2)
FROM (SELECT area_id, name, parent_id, lng, lat, row_number() OVER (ORDER BY area_id) - 1 AS n
      FROM mp_areas WHERE level = 3) d
JOIN mp_areas a ON a.area_id = d.area_id
JOIN mp_areas c ON c.area_id = a.parent_id
JOIN mp_areas p ON p.area_id = c.parent_id
CROSS JOIN generate_series(0, 15) AS k(i)
ON CONFLICT (id) DO NOTHING;
SELECT setval('mp_merchants_id_seq', GREATEST((SELECT max(id) FROM mp_merchants), 1));

INSERT INTO mp_goods (id, oper_id, merchant_id, name, "desc", market_price, price, start_date,
    end_date, open_time, close_time, thumb_url, pic, pic_list, buy_info, status, sell_number, stock)
SELECT m.id * 2 - 1 + g.j, m.oper_id, m.id,
       (ARRAY['100元代金券', '双人套餐'])[g.j + 1],
       (ARRAY['全场通用，可叠加使用', '两位成人的套餐，含饮品'])[g.j + 1],
       (ARRAY[100, 238])[g.j + 1], (ARRAY[88, 168])[g.j + 1],
       '2026-01-01', '2099-12-31', '10:00', '21:30',
       'https://img.example.com/mp/goods/' || g.j || '_thumb.jpg',
       'https://img.example.com/mp/goods/' || g.j || '.jpg',
       ARRAY['https://img.example.com/mp/goods/' || g.j || '_1.jpg',
             'https://img.example.com/mp/goods/' || g.j || '_2.jpg'],
       '有效期内营业时间可用；无需预约；不与其他优惠同享。', 1, 0, 1000
FROM mp_merchants m CROSS JOIN generate_series(0, 1) AS g(j)
ON CONFLICT (id) DO NOTHING;
SELECT setval('mp_goods_id_seq', GREATEST((SELECT max(id) FROM mp_goods), 1));
