-- Demo ad positions and ads (DEMO VALUES). Positions:
--   home_banner    the home page carousel (system.home, system.ads)
--   app_start      the app's start-up ad (system.init's start_ad)
--   activity_popup switched off: answers an empty list
-- Ad 6 is the seed's system.ads example, ad 7 its start_ad example.
INSERT INTO ad_positions (id, pos_code, pos_name, pos_ad_count, enabled) VALUES
  (1, 'home_banner',    '首页轮播',     5, TRUE),
  (2, 'app_start',      'APP 启动页',   1, TRUE),
  (3, 'activity_popup', '活动弹窗',     1, FALSE)
ON CONFLICT (id) DO NOTHING;
SELECT setval('ad_positions_id_seq', GREATEST((SELECT max(id) FROM ad_positions), 1));

INSERT INTO ads (id, pos_id, ad_name, ad_image_url, ad_url, start_time, end_time, sort, display) VALUES
  (6,  1, '世界杯广告', 'http://xx.com/files/5b9a1b9e34193.png', 'http://www.baidu.com',
       '2018-01-01 00:00:00+08', '2099-12-31 23:59:59+08', 1, TRUE),
  (8,  1, '双十一积分狂欢', 'http://xx.com/files/5b9a1b9e34194.png', 'https://github.com/fingerQin',
       '2019-01-01 00:00:00+08', '2099-12-31 23:59:59+08', 2, TRUE),
  (9,  1, '已结束的广告', 'http://xx.com/files/expired.png', 'http://www.baidu.com',
       '2018-01-01 00:00:00+08', '2018-12-31 23:59:59+08', 0, TRUE),
  (10, 1, '未开始的广告', 'http://xx.com/files/future.png', 'http://www.baidu.com',
       '2099-01-01 00:00:00+08', '2099-12-31 23:59:59+08', 0, TRUE),
  (11, 1, '下线的广告', 'http://xx.com/files/hidden.png', 'http://www.baidu.com',
       '2018-01-01 00:00:00+08', '2099-12-31 23:59:59+08', 0, FALSE),
  (7,  2, 'APP 启动页广告', 'http://xxx.com/images/voucher/20190502/5cca477a0f163.png', 'https://github.com/fingerQin',
       '2019-01-01 00:00:00+08', '2099-12-31 23:59:59+08', 1, TRUE),
  (12, 3, '关闭的广告位里的广告', 'http://xx.com/files/popup.png', 'http://www.baidu.com',
       '2018-01-01 00:00:00+08', '2099-12-31 23:59:59+08', 1, TRUE)
ON CONFLICT (id) DO NOTHING;
SELECT setval('ads_id_seq', GREATEST((SELECT max(id) FROM ads), 1));
