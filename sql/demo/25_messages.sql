-- Demo messages (DEMO VALUES): to every user (user_id NULL), to user 1, to
-- user 2. Messages 1 and 2 are the seed's message.list examples; user 1
-- has read message 1.
INSERT INTO messages (id, user_id, msg_type, type_ref_id, title, content, url, publish_time) VALUES
  (1, NULL, 1, 0, '五一劳动节福利', '五一劳动节福利内容', 'https://www.exxx.com', '2019-04-18 11:32:03+08'),
  (2, 1,    1, 0, '恭喜您被选中为2019年锦鲤', '恭喜您被选中2019年锦鲤，我们会在3个工作日内与您联系~',
      'https://github.com/fingerQin', '2019-04-18 15:12:04+08'),
  (3, 2,    1, 0, '您的订单已发货', '您购买的罗技 G502 鼠标已发货，请注意查收。', '', '2020-03-15 10:00:00+08'),
  (4, NULL, 1, 0, '系统维护通知', '平台将于本周六凌晨 2 点至 4 点进行系统维护。', '', '2019-05-01 09:00:00+08'),
  (5, 1,    2, 1, '新人福利', '新人专享 100 积分已到账。', 'https://github.com/fingerQin', '2019-04-02 09:00:00+08')
ON CONFLICT (id) DO NOTHING;
SELECT setval('messages_id_seq', GREATEST((SELECT max(id) FROM messages), 1));

INSERT INTO message_reads (message_id, user_id, read_at) VALUES
  (1, 1, '2019-04-18 12:00:00+08')
ON CONFLICT DO NOTHING;
