-- Demo upgrade rules (DEMO VALUES), every upgrade_way:
--   iOS      ≤ 0.9.99 closed (3); 1.0.0–1.4.99 forced (2); ≥ 1.5.0 suggested (1) to 1.10.0
--   Android  ≤ 0.9.99 closed (3); 1.0.0–1.4.99 forced (2); ≥ 1.5.0 suggested (1) to 1.10.0;
--            channel huawei has its own store link; channel internal never
--            sees a prompt (0); a switched-off rule (9) changes nothing.
INSERT INTO app_upgrades (id, platform, channel, min_app_v, max_app_v, upgrade_way, app_v,
                          app_title, app_desc, app_url, dialog_repeat, enabled) VALUES
  (1, 1, '',         NULL,    '0.9.99', 3, NULL,     '服务已停止', '该版本已停止服务，请前往 App Store 下载新版。', '', 1, TRUE),
  (2, 1, '',         '1.0.0', '1.4.99', 2, '1.10.0', '端午节新版闹龙舟', '端午节新版闹龙舟', '', 1, TRUE),
  (3, 1, '',         '1.5.0', NULL,     1, '1.10.0', '发现新版本 1.10.0', '修复了若干问题，体验更流畅。', '', 0, TRUE),
  (4, 2, '',         NULL,    '0.9.99', 3, NULL,     '服务已停止', '该版本已停止服务，请下载新版。', 'https://github.com/fingerQin', 1, TRUE),
  (5, 2, '',         '1.0.0', '1.4.99', 2, '1.10.0', '端午节新版闹龙舟', '端午节新版闹龙舟', 'https://github.com/fingerQin', 1, TRUE),
  (6, 2, '',         '1.5.0', NULL,     1, '1.10.0', '发现新版本 1.10.0', '修复了若干问题，体验更流畅。', 'https://github.com/fingerQin', 0, TRUE),
  (7, 2, 'huawei',   '1.5.0', NULL,     1, '1.10.0', '发现新版本 1.10.0', '修复了若干问题，体验更流畅。', 'https://appgallery.huawei.com/app/yafgate', 0, TRUE),
  (8, 2, 'internal', NULL,    NULL,     0, NULL,     '', '', '', 0, TRUE),
  (9, 2, '',         NULL,    NULL,     3, NULL,     '全面停服', '这条规则已关闭。', '', 1, FALSE)
ON CONFLICT (id) DO NOTHING;
SELECT setval('app_upgrades_id_seq', GREATEST((SELECT max(id) FROM app_upgrades), 1));
