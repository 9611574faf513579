-- Demo notices (DEMO VALUES). 1 and 2 are the seed's notice examples; 3 is
-- the dialog notice of the seed's system.init example; 4 is hidden and 5
-- scheduled for the future, so neither is listed. User 1 has read notice 1.
INSERT INTO notices (id, title, summary, body, publish_time, display, dialog, edition) VALUES
  (1, '五一放假安排', '尊敬的各位用户，大家好。关于 5.1 节，平台放假时间如下。',
      '尊敬的各位用户，大家好。关于 5.1 节，平台放假时间如下。', '2019-04-19 10:22:08+08', TRUE, FALSE, ''),
  (2, '清明节假期公告', '清明节将至，平台放假通知。',
      '清明节将至，平台于 4 月 5 日至 4 月 7 日放假，期间客服暂停服务。', '2019-04-19 16:18:04+08', TRUE, FALSE, ''),
  (3, '恭喜您被选中为2019年锦鲤', '恭喜您被选中为2019年锦鲤',
      '恭喜您被选中为2019年锦鲤，我们会在3个工作日内与您联系~', '2019-05-02 16:39:09+08', TRUE, TRUE, '40000000001556786349'),
  (4, '撤回的公告', '隐藏的公告不出现在列表里。', '隐藏', '2019-05-03 09:00:00+08', FALSE, FALSE, ''),
  (5, '定时公告', '发布时间未到的公告不出现在列表里。', '未来', '2099-01-01 00:00:00+08', TRUE, FALSE, '')
ON CONFLICT (id) DO NOTHING;
SELECT setval('notices_id_seq', GREATEST((SELECT max(id) FROM notices), 1));

INSERT INTO notice_reads (notice_id, user_id, read_at) VALUES
  (1, 1, '2019-04-20 08:00:00+08')
ON CONFLICT DO NOTHING;
