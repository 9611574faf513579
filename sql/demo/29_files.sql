-- Demo uploaded file (DEMO VALUES): the seed's system.upload example, by user 1.
INSERT INTO files (id, user_id, relative_path, original_name, mime_type, size_bytes, sha256, created_at) VALUES
  (25, 1, '/images/images/20180717/5b4dd766b9507.jpg', 'avatar.jpg', 'image/jpeg', 20480,
   'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '2018-07-17 12:00:00+08')
ON CONFLICT (id) DO NOTHING;
SELECT setval('files_id_seq', GREATEST((SELECT max(id) FROM files), 1));
