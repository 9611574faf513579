-- Demo category trees (DEMO VALUES), two levels of each type.
-- Type 1 (news) is the tree of the seed's system.category.list example,
-- ids and codes included, plus a hidden child (16) that is never listed.
INSERT INTO categories (id, cat_type, parent_id, cat_name, cat_code, sort, display) VALUES
  (1,  1, NULL, '理财资讯', '100000000000000000000000000000', 1, TRUE),
  (2,  1, 1,    '基金',     '100100000000000000000000000000', 1, TRUE),
  (3,  1, 1,    '股票',     '100101000000000000000000000000', 2, TRUE),
  (4,  1, NULL, '体育新闻', '101000000000000000000000000000', 2, TRUE),
  (5,  1, 4,    '足球',     '101100000000000000000000000000', 1, TRUE),
  (6,  1, 4,    '篮球',     '101101000000000000000000000000', 2, TRUE),
  (16, 1, 4,    '电竞',     '101102000000000000000000000000', 3, FALSE),
  -- Type 2 (links).
  (7,  2, NULL, '搜索引擎', '200000000000000000000000000000', 1, TRUE),
  (8,  2, NULL, '开发者',   '201000000000000000000000000000', 2, TRUE),
  (9,  2, 8,    '代码托管', '201100000000000000000000000000', 1, TRUE),
  (10, 2, 8,    '技术文档', '201101000000000000000000000000', 2, TRUE),
  -- Type 3 (goods).
  (11, 3, NULL, '数码外设', '300000000000000000000000000000', 1, TRUE),
  (12, 3, 11,   '键盘',     '300100000000000000000000000000', 1, TRUE),
  (13, 3, 11,   '鼠标',     '300101000000000000000000000000', 2, TRUE),
  (14, 3, NULL, '服饰',     '301000000000000000000000000000', 2, TRUE),
  (15, 3, 14,   'T恤',      '301100000000000000000000000000', 1, TRUE)
ON CONFLICT (id) DO NOTHING;
SELECT setval('categories_id_seq', GREATEST((SELECT max(id) FROM categories), 1));
