-- Seeds scripts/bench run H: 10 000 merchants of the user mini-program
-- (seed 004, docs/protocol.md §23) scattered over about 100 km around
-- 成都, on top of the demo data (sql/demo/33_mp.sql), so mp.merchant.list
-- with coordinates ranks over 10 000+ rows. Idempotent: a second run adds
-- none. tests/api/mp/nearby.rs seeds the same rows.
INSERT INTO mp_merchants (oper_id, merchant_category_id, name, province_id, city_id, area_id, lng, lat)
SELECT 2, 4, '压测商家' || i, 510000, 510100, 510104,
       104.066 + 0.5 * sin(i * 1.7), 30.572 + 0.4 * cos(i * 2.3)
FROM generate_series(1, 10000) AS i
WHERE NOT EXISTS (SELECT 1 FROM mp_merchants WHERE name = '压测商家1');
ANALYZE mp_merchants;
