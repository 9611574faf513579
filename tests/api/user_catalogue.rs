//! The user-bound part of the catalogue (docs/methods.md): system.init, system.upload, notice.unread.count, message.*,
//! order.list, against the demo data (user 1 owns the demo messages and
//! orders; user 2 owns one of each).

use serde_json::{Value, json};

use crate::helpers::shape::{assert_shape, seed_data};
use crate::helpers::*;

const SEED_INIT: &str = r#"{"code": 200, "msg": "success", "data": {
    "token_status": 1,
    "upgrade": {"upgrade_way": 2, "app_v": "1.0.1", "app_title": "端午节新版闹龙舟", "app_desc": "端午节新版闹龙舟", "app_url": "https://github.com/fingerQin", "dialog_repeat": 1, "origin_v": "1.0.0"},
    "start_ad": {"ad_id": 7, "ad_name": "APP 启动页广告", "ad_image_url": "http://xxx.com/images/voucher/20190502/5cca477a0f163.png", "ad_url": "https://github.com/fingerQin"},
    "app_home_right_btn_url": "https://github.com/fingerQin",
    "app_service": {"txt": "服务中心", "url": "https://github.com/fingerQin"},
    "app_about": {"txt": "关于我们", "url": "https://github.com/fingerQin"},
    "app_feedback": {"txt": "意见反馈", "url": "https://github.com/fingerQin"},
    "notice_dialog": {"title": "恭喜您被选中为2019年锦鲤", "summary": "恭喜您被选中为2019年锦鲤", "edition": "40000000001556786349"}
}}"#;

const SEED_MESSAGES: &str = r#"{"code": 200, "msg": "success", "data": {"list": [
    {"msgid": 2, "msg_type": 1, "type_ref_id": 0, "is_read": 0, "title": "恭喜您被选中为2019年锦鲤", "content": "恭喜您被选中2019年锦鲤，我们会在3个工作日内与您联系~", "url": "https://github.com/fingerQin", "c_time": "2019-04-18 15:12:04"}
], "total": 2, "page": 1, "count": 20, "isnext": false}}"#;

const SEED_ORDER: &str = r#"{"code": 200, "msg": "success", "data": {"list": [{
    "orderid": 49, "order_sn": "SN202003140000000001", "total_price": 399, "pay_time": "2020-03-14 23:45:06", "order_status": 1,
    "shipping_time": null, "done_time": null, "closed_time": null, "receiver_name": "张木沐", "receiver_province": "广东省",
    "receiver_city": "深圳市", "receiver_district": "南山区", "receiver_street": "", "receiver_address": "粤海街道东方科技大厦601",
    "receiver_mobile": "14812345678", "c_time": "2020-03-14 23:45:06", "order_status_label": "待发货",
    "goods_list": [{"goodsid": 1, "goods_name": "ikbc C104 樱桃轴机械键盘", "goods_image": "http://xxx/5b7cbe51ea911.jpg", "productid": 33,
        "spec_val": "", "market_price": 399, "sales_price": 399, "quantity": 1, "payment_price": 399, "total_price": 399}]
}], "total": 1, "page": 1, "count": 20, "isnext": false}}"#;

const SEED_UPLOAD: &str = r#"{"code": 200, "msg": "上传成功", "data": {"file_id": "25", "image_url": "http://files.yourname.com/images/images/20180717/5b4dd766b9507.jpg", "relative_image_url": "/images/images/20180717/5b4dd766b9507.jpg"}}"#;

async fn demo_user(app: &TestApp, n: u8) -> String {
    let mobile = if n == 1 { "13800138000" } else { "13900139000" };
    app.login_token(mobile, "demo123456").await
}

#[tokio::test]
async fn system_init_reports_the_token_and_never_fails_on_a_bad_one() {
    let app = spawn_app().await;
    let token = demo_user(&app, 1).await;
    let env = app.call_with_token("system.init", &token, json!({})).await;
    assert_code(&env, 200);
    assert_shape(&env["data"], &seed_data(SEED_INIT));
    assert_eq!(env["data"]["token_status"], 1);
    assert_eq!(
        env["data"]["upgrade"]["app_url"], "",
        "iOS never gets a download URL"
    );
    for token in ["", "nonsense", &"0".repeat(32)] {
        let env = app.call_with_token("system.init", token, json!({})).await;
        assert_code(&env, 200);
        assert_eq!(env["data"]["token_status"], 0, "token {token:?}");
    }
}

#[tokio::test]
async fn system_init_answers_empty_objects_when_there_is_no_ad_or_dialog() {
    let app = spawn_app_with(Options::configure(|s| {
        config::set_cache_ttl(s, std::time::Duration::ZERO);
    }))
    .await;
    let db = app.database.as_ref().unwrap().client().await;
    db.batch_execute("UPDATE ads SET display = false; UPDATE notices SET dialog = false;")
        .await
        .unwrap();
    let env = app.call("system.init", json!({})).await;
    assert_eq!(env["data"]["start_ad"], json!({}));
    assert_eq!(env["data"]["notice_dialog"], json!({}));
}

#[tokio::test]
async fn system_init_refreshes_a_live_session() {
    let app = spawn_app().await;
    let token = demo_user(&app, 1).await;
    app.expire_session_in(&token, 5).await;
    let env = app.call_with_token("system.init", &token, json!({})).await;
    assert_code(&env, 200);
    // The session was seen as live: the answer is the user's (token_status
    // 1), not an anonymous caller's.
    assert_eq!(env["data"]["token_status"], 1, "{env}");
    let ttl = app.session_ttl(&token).await;
    assert!(ttl > 86_400, "{ttl}");
}

#[tokio::test]
async fn notices_read_in_detail_leave_the_unread_count() {
    let app = spawn_app().await;
    let token = demo_user(&app, 1).await;
    let before = app
        .call_with_token("notice.unread.count", &token, json!({}))
        .await;
    assert_code(&before, 200);
    assert_eq!(
        before["data"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["count"]
    );
    let n = before["data"]["count"].as_i64().unwrap();
    assert!(n >= 2, "{before}");

    // Demo user 1 has read notice 1 already; notice 2 is new to them.
    assert_code(
        &app.call_with_token("notice.detail", &token, json!({"noticeid": 2}))
            .await,
        200,
    );
    assert_code(
        &app.call_with_token("notice.detail", &token, json!({"noticeid": 2}))
            .await,
        200,
    );
    let after = app
        .call_with_token("notice.unread.count", &token, json!({}))
        .await;
    assert_eq!(after["data"]["count"], n - 1);
    // Another user's count is their own: nothing read yet.
    let other = demo_user(&app, 2).await;
    assert_eq!(
        app.call_with_token("notice.unread.count", &other, json!({}))
            .await["data"]["count"],
        n + 1
    );
    // An anonymous reader marks nothing.
    assert_code(
        &app.call("notice.detail", json!({"noticeid": 3})).await,
        200,
    );
    assert_eq!(
        app.call_with_token("notice.unread.count", &other, json!({}))
            .await["data"]["count"],
        n + 1
    );
    // Without a session there is nothing unread (docs/protocol.md §8.1).
    assert_eq!(
        app.call("notice.unread.count", json!({})).await,
        json!({"code": 200, "msg": "success", "data": {"count": 0}})
    );
}

#[tokio::test]
async fn message_list_shows_the_users_own_and_broadcast_messages() {
    let app = spawn_app().await;
    let one = demo_user(&app, 1).await;
    let env = app
        .call_with_token("message.list", &one, json!({"page": 1}))
        .await;
    assert_code(&env, 200);
    assert_shape(&env["data"], &seed_data(SEED_MESSAGES));
    let ids: Vec<i64> = env["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["msgid"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        [4, 2, 1, 5],
        "user 1: own and broadcast, newest first; never user 2's"
    );
    assert_eq!(env["data"]["total"], 4);
    let two = demo_user(&app, 2).await;
    let env = app
        .call_with_token("message.list", &two, json!({"page": 1}))
        .await;
    let ids: Vec<i64> = env["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["msgid"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [3, 4, 1]);
    let past = app
        .call_with_token("message.list", &one, json!({"page": 2}))
        .await;
    assert_eq!(past["data"]["list"], json!([]));
    assert_eq!(past["data"]["isnext"], false);
}

#[tokio::test]
async fn reading_a_message_marks_it_for_that_user_only_and_others_are_404() {
    let app = spawn_app().await;
    let one = demo_user(&app, 1).await;
    let is_read = |env: &Value, id: i64| {
        env["data"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["msgid"] == id)
            .unwrap()["is_read"]
            .clone()
    };
    let before = app
        .call_with_token("message.list", &one, json!({"page": 1}))
        .await;
    assert_eq!(is_read(&before, 2), 0);
    assert_eq!(is_read(&before, 1), 1);
    let set = app
        .call_with_token("message.read.status", &one, json!({"msgid": 2}))
        .await;
    assert_eq!(set, json!({"code": 200, "msg": "设置成功"}));
    assert_code(
        &app.call_with_token("message.read.status", &one, json!({"msgid": 2}))
            .await,
        200,
    );
    let after = app
        .call_with_token("message.list", &one, json!({"page": 1}))
        .await;
    assert_eq!(is_read(&after, 2), 1);

    // Broadcast message 4 read by user 1 stays unread for user 2.
    app.call_with_token("message.read.status", &one, json!({"msgid": 4}))
        .await;
    let two = demo_user(&app, 2).await;
    assert_eq!(
        is_read(
            &app.call_with_token("message.list", &two, json!({"page": 1}))
                .await,
            4
        ),
        0
    );

    for id in [3, 999_999] {
        let env = app
            .call_with_token("message.read.status", &one, json!({"msgid": id}))
            .await;
        assert_eq!(
            env,
            json!({"code": 404, "msg": "消息不存在"}),
            "message {id}"
        );
    }
}

#[tokio::test]
async fn order_list_shows_only_the_users_orders_with_their_goods() {
    let app = spawn_app().await;
    let one = demo_user(&app, 1).await;
    let all = app
        .call_with_token("order.list", &one, json!({"order_sn": "", "order_status": -1, "start_time": "", "end_time": "", "page": 1}))
        .await;
    assert_code(&all, 200);
    let total = all["data"]["total"].as_i64().unwrap();
    assert!(total >= 3, "{all}");
    let paid = app
        .call_with_token(
            "order.list",
            &one,
            json!({"order_sn": "SN202003140000000001", "order_status": -1, "page": 1}),
        )
        .await;
    assert_shape(&paid["data"], &seed_data(SEED_ORDER));
    assert_eq!(
        paid["data"],
        seed_data(SEED_ORDER),
        "the seed's example order, value for value"
    );

    let shipped = app
        .call_with_token("order.list", &one, json!({"order_status": 2, "page": 1}))
        .await;
    assert!(
        shipped["data"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["order_status"] == 2 && o["order_status_label"] == "已发货")
    );

    let window = app
        .call_with_token("order.list", &one, json!({"start_time": "2020-03-15 00:00:00", "end_time": "2020-03-15 23:59:59", "page": 1}))
        .await;
    let sns: Vec<&str> = window["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_sn"].as_str().unwrap())
        .collect();
    assert_eq!(sns, ["SN202003150000000002"]);

    // User 2's order number gives user 1 nothing.
    let two = demo_user(&app, 2).await;
    let theirs = app
        .call_with_token("order.list", &two, json!({"page": 1}))
        .await;
    let their_sn = theirs["data"]["list"][0]["order_sn"]
        .as_str()
        .unwrap()
        .to_string();
    let probe = app
        .call_with_token("order.list", &one, json!({"order_sn": their_sn, "page": 1}))
        .await;
    assert_eq!(probe["data"]["list"], json!([]));
    assert_eq!(probe["data"]["total"], 0);

    // A page past the end is empty and still counts every order.
    let past = app
        .call_with_token("order.list", &one, json!({"page": 1000}))
        .await;
    assert_code(&past, 200);
    assert_eq!(past["data"]["list"], json!([]));
    assert_eq!(past["data"]["total"], total, "{past}");
}

#[tokio::test]
async fn order_list_refuses_bad_filters() {
    let app = spawn_app().await;
    let one = demo_user(&app, 1).await;
    let cases = [
        (json!({"order_status": 9, "page": 1}), "order_status"),
        (json!({"start_time": "2020/03/15", "page": 1}), "start_time"),
        (json!({"end_time": "yesterday", "page": 1}), "end_time"),
    ];
    for (params, name) in cases {
        let env = app
            .call_with_token("order.list", &one, params.clone())
            .await;
        assert_code(&env, 503);
        assert!(
            env["msg"].as_str().unwrap().contains(name),
            "{params}: {env}"
        );
    }
    assert_code(&app.call("order.list", json!({"page": 1})).await, 602);
}

/// A whole 1×1 PNG (uploads must decode, not only start like an image).
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

fn upload_body(app: &TestApp, token: &str, part: Part<'_>) -> Vec<u8> {
    let data = app.data("system.upload", "ios_app_id", json!({"token": token}));
    let files: Vec<wire::Part<'_>> = part
        .map(|(field, bytes)| wire::Part::file(field, "me.png", bytes))
        .into_iter()
        .collect();
    wire::signed_multipart(data.as_bytes(), IOS_SECRET, &files)
}

/// A file part: form field and bytes.
type Part<'a> = Option<(&'a str, &'a [u8])>;

async fn upload(app: &TestApp, token: &str, part: Part<'_>) -> Value {
    envelope(
        app.post(&wire::multipart_type(), upload_body(app, token, part))
            .await,
    )
    .await
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| {
                if e.path().is_dir() {
                    walk(&e.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

fn upload_options(dir_of: &str) -> Options {
    let dir = std::path::PathBuf::from(dir_of);
    Options::configure(move |s| {
        s.upload.dir = dir;
        s.upload.public_base_url = "http://files.example.com".into();
        s.upload.max_image_bytes = 1024;
    })
}

#[tokio::test]
async fn an_uploaded_image_is_stored_recorded_and_addressed() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(upload_options(&dir.path().display().to_string())).await;
    let token = demo_user(&app, 1).await;
    let env = upload(&app, &token, Some(("image", PNG))).await;
    assert_code(&env, 200);
    assert_shape(&env["data"], &seed_data(SEED_UPLOAD));
    let relative = env["data"]["relative_image_url"].as_str().unwrap();
    assert!(
        relative.starts_with("/images/") && relative.ends_with(".png"),
        "{relative}"
    );
    assert_eq!(
        env["data"]["image_url"],
        format!("http://files.example.com{relative}")
    );
    let on_disk = std::fs::read(dir.path().join(relative.trim_start_matches('/'))).unwrap();
    assert_eq!(on_disk, PNG);
    let db = app.database.as_ref().unwrap().client().await;
    let row = db
        .query_one(
            "SELECT id::text, user_id, mime_type, size_bytes FROM files WHERE relative_path = $1",
            &[&relative],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, String>(0),
        env["data"]["file_id"].as_str().unwrap()
    );
    assert_eq!(
        (
            row.get::<_, i64>(1),
            row.get::<_, String>(2),
            row.get::<_, i64>(3)
        ),
        (1, "image/png".to_string(), PNG.len() as i64)
    );
}

#[tokio::test]
async fn bad_uploads_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(upload_options(&dir.path().display().to_string())).await;
    let token = demo_user(&app, 1).await;
    let big = [PNG, &[0u8; 2048][..]].concat();
    let cases: [(Part, &str); 5] = [
        (None, "请选择要上传的图片"),
        (Some(("image", b"")), "上传的文件为空"),
        (Some(("image", &big)), "图片不能超过 1 KB"),
        (
            Some(("image", b"%PDF-1.7 not an image")),
            "只能上传 JPG、PNG、GIF 或 WebP 图片",
        ),
        (Some(("avatar", PNG)), "请选择要上传的图片"),
    ];
    for (part, msg) in cases {
        let env = upload(&app, &token, part).await;
        assert_code(&env, 503);
        assert!(env["msg"].as_str().unwrap().contains(msg), "{env}");
    }
    let env = upload(&app, "", Some(("image", PNG))).await;
    assert_code(&env, 602);
    assert_eq!(walk(dir.path()), 0, "no file written");
    let db = app.database.as_ref().unwrap().client().await;
    let n: i64 = db.query_one("SELECT count(*) FROM files WHERE user_id = 1 AND created_at > now() - interval '1 hour'", &[]).await.unwrap().get(0);
    assert_eq!(n, 0, "no row recorded");
}

#[tokio::test]
async fn user_specific_answers_are_not_shared_between_users() {
    let app = spawn_app().await;
    let (one, two) = (demo_user(&app, 1).await, demo_user(&app, 2).await);
    for _ in 0..2 {
        let a = app
            .call_with_token("message.list", &one, json!({"page": 1}))
            .await;
        let b = app
            .call_with_token("message.list", &two, json!({"page": 1}))
            .await;
        assert_ne!(a["data"], b["data"]);
        let a = app.call_with_token("system.init", &one, json!({})).await;
        let anon = app.call("system.init", json!({})).await;
        assert_eq!(
            (
                a["data"]["token_status"].clone(),
                anon["data"]["token_status"].clone()
            ),
            (json!(1), json!(0))
        );
    }
}
