-- Demo friendly links (DEMO VALUES) in the link categories of
-- 20_categories.sql. Category 7 is the seed's system.link example; Bing
-- is hidden; category 8 has no links of its own, so it is not listed.
INSERT INTO links (id, cat_id, link_name, link_url, image_url, sort, display) VALUES
  (1, 7,  'Google',  'https://www.google.com',    '', 1, TRUE),
  (2, 7,  'Bing',    'https://www.bing.com',      '', 2, FALSE),
  (3, 9,  'GitHub',  'https://github.com',        '', 1, TRUE),
  (4, 9,  'Gitee',   'https://gitee.com',         '', 2, TRUE),
  (5, 10, 'docs.rs', 'https://docs.rs',           '', 1, TRUE)
ON CONFLICT (id) DO NOTHING;
SELECT setval('links_id_seq', GREATEST((SELECT max(id) FROM links), 1));
