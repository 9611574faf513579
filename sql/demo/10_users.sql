-- Demo users (DEMO VALUES). Both log in with password demo123456.
-- User 1 owns the demo messages and orders; user 2 exists to prove that one
-- user cannot see another's.
INSERT INTO users (id, open_id, mobile, nickname, headimg, intro, password_hash, reg_platform, created_at)
VALUES
  (1, '960a3d82f110f8b54ea4a88f8bc9f615', '13800138000', '138****8000', '', '心存高远，意守平常，终成千里。',
   '$argon2id$v=19$m=19456,t=2,p=1$+2PfngPOolrZcGTHRpGuIg$S0HTFvb1meQF+l/Jd62jzMp6RuCYXZTsY3+BbdWc5tU', 1, '2019-04-01 16:17:27+08'),
  (2, '677ca20c1fbbb9dc6ebd10c59ebeb196', '13900139000', '139****9000', '', '',
   '$argon2id$v=19$m=19456,t=2,p=1$+2PfngPOolrZcGTHRpGuIg$S0HTFvb1meQF+l/Jd62jzMp6RuCYXZTsY3+BbdWc5tU', 2, '2019-05-01 10:00:00+08')
ON CONFLICT (id) DO NOTHING;
SELECT setval('users_id_seq', GREATEST((SELECT max(id) FROM users), 1));
