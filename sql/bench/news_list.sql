-- pgbench script for scripts/bench run E: the two statements news.list runs
-- for page 1 of every category (methods/news.rs), with its parameters bound
-- ($1 = :cat, $2 = now, $3 = 20, $4 = 0). Run with -M prepared, as the
-- gateway prepares them.
\set cat -1
WITH RECURSIVE cats AS ( SELECT id FROM categories WHERE id = :cat AND cat_type = 1 AND display UNION ALL SELECT c.id FROM categories c JOIN cats ON c.parent_id = cats.id WHERE c.display ), published AS ( SELECT id, title, intro, image_url, source, publish_time FROM news WHERE display AND publish_time <= now() AND (:cat = -1 OR cat_id IN (SELECT id FROM cats)) ) SELECT count(*) FROM published;
WITH RECURSIVE cats AS ( SELECT id FROM categories WHERE id = :cat AND cat_type = 1 AND display UNION ALL SELECT c.id FROM categories c JOIN cats ON c.parent_id = cats.id WHERE c.display ), published AS ( SELECT id, title, intro, image_url, source, publish_time FROM news WHERE display AND publish_time <= now() AND (:cat = -1 OR cat_id IN (SELECT id FROM cats)) ) SELECT id, title, intro, image_url, source, extract(epoch FROM publish_time)::bigint FROM published ORDER BY publish_time DESC, id DESC LIMIT 20 OFFSET 0;
