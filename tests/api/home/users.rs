//! Sessions, profiles, the TIM credential, uploads, categories and the
//! demo data of home.*.

use std::io::Read as _;

use base64::Engine as _;
use serde_json::json;

use super::*;
use crate::helpers::wire::{self, Part};
use crate::user_catalogue::PNG;

#[tokio::test]
async fn a_token_is_valid_until_its_session_ends() {
    let app = home_app().await;
    let who = app.home_login("vic").await;
    let data = app.home_ok(&who, "home.token.verify", json!({})).await;
    assert_eq!(data, json!({"valid": true}));
    assert_code(&app.home(&who, "user.logout", json!({})).await, 200);
    let data = app.home_ok(&who, "home.token.verify", json!({})).await;
    assert_eq!(data, json!({"valid": false}));
}

#[tokio::test]
async fn a_user_updates_the_profile_the_seed_shows() {
    let app = home_app().await;
    let who = app.home_login("uma").await;
    let before = app.home_ok(&who, "home.user.get", json!({})).await;
    assert_eq!(before["nickname"], "微信用户");
    assert_eq!(before["tel"], Value::Null);
    let update = json!({"nickname": "慕慕", "avatar": "https://img.example.com/a.png", "gender": 2,
                        "real_name": "张三", "tel": "13800138000"});
    let after = app.home_ok(&who, "home.user.update", update.clone()).await;
    assert_eq!(
        after,
        json!({"id": who.id, "nickname": "慕慕", "avatar": "https://img.example.com/a.png",
               "real_name": "张三", "gender": 2, "tel": "13800138000"})
    );
    assert_eq!(app.home_ok(&who, "home.user.get", json!({})).await, after);
    // The shared account changed too (user.detail reads it).
    let detail = app.home_ok(&who, "user.detail", json!({})).await;
    assert_eq!(detail["nickname"], "慕慕");
    for (key, value) in [
        ("gender", json!(3)),
        ("avatar", json!("ftp://x")),
        ("tel", json!("abc")),
    ] {
        let mut bad = update.clone();
        bad[key] = value;
        let env = app.home(&who, "home.user.update", bad).await;
        assert_eq!(env["code"], 10000, "{key}: {env}");
    }
}

#[tokio::test]
async fn the_tim_credential_is_signed_with_the_configured_application() {
    let app = spawn_app_with(
        Options {
            apps: home_apps(),
            ..Options::default()
        }
        .and_configure(|s| {
            s.home.tim_sdk_app_id = 1_400_000_000;
            s.home.tim_key = yafgate::config::settings::Secret::new("test-tim-key");
        }),
    )
    .await;
    let who = app.home_login("tim").await;
    let data = app.home_ok(&who, "home.user.sign", json!({})).await;
    assert_eq!(data["user_id"], who.id);
    let sig = data["sign"]
        .as_str()
        .unwrap()
        .replace('*', "+")
        .replace('-', "/")
        .replace('_', "=");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sig)
        .unwrap();
    let mut text = String::new();
    flate2::read::ZlibDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["TLS.identifier"], who.id.to_string());
    assert_eq!(doc["TLS.sdkappid"], 1_400_000_000u64);
    // Without an application the method is off.
    let plain = home_app().await;
    let who = plain.home_login("tim").await;
    let env = plain.home(&who, "home.user.sign", json!({})).await;
    assert_eq!(env["code"], 10009, "{env}");
}

async fn upload(app: &TestApp, who: &Who, parts: &[Part<'_>]) -> Value {
    let data = app.data(
        "home.file.upload",
        "home_app_id",
        json!({"token": who.token}),
    );
    let body = wire::signed_multipart(data.as_bytes(), HOME_SECRET, parts);
    envelope(app.post(&wire::multipart_type(), body).await).await
}

#[tokio::test]
async fn several_images_are_uploaded_in_one_call_with_the_seed_codes_for_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().to_path_buf();
    let app = spawn_app_with(
        Options {
            apps: home_apps(),
            ..Options::default()
        }
        .and_configure(move |s| {
            s.upload.dir = files.join("files");
            s.upload.spool_dir = files.join("spool");
        }),
    )
    .await;
    let who = app.home_login("ida").await;
    let env = upload(
        &app,
        &who,
        &[
            Part::file("file1", "a.png", PNG),
            Part::file("file2", "b.png", PNG),
        ],
    )
    .await;
    assert_code(&env, 200);
    let list = env["data"]["list"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0]["key"].clone(), list[1]["key"].clone()),
        (json!("file1"), json!("file2"))
    );
    assert!(list[0]["path"].as_str().unwrap().ends_with(".png"));
    // The id is a cover image a service can use.
    let mut fields = service_fields("带封面");
    fields["cover_image_id"] = list[1]["id"].clone();
    app.home_ok(&who, "home.service.create", fields).await;

    let none = upload(&app, &who, &[]).await;
    assert_eq!(none["code"], 10003, "{none}");
    let script = upload(
        &app,
        &who,
        &[Part::file("file1", "x.png", b"<?php echo 1;")],
    )
    .await;
    assert_eq!(script["code"], 10004, "{script}");
    let many: Vec<Part<'_>> = ["f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10"]
        .iter()
        .map(|k| Part::file(k, "a.png", PNG))
        .collect();
    let env = upload(&app, &who, &many).await;
    assert_eq!(env["code"], 10005, "{env}");
}

#[tokio::test]
async fn the_demo_data_has_the_seed_categories_and_a_rated_service() {
    let app = home_app().await;
    let who = app.home_login("demo").await;
    let cats = app.home_ok(&who, "home.category.list", json!({})).await["list"].clone();
    assert_eq!(cats.as_array().unwrap().len(), 7);
    assert_eq!(cats[0], json!({"id": 1, "name": "保洁"}));
    let pets = app
        .home_ok(&who, "home.service.detail", json!({"id": 1}))
        .await;
    assert_eq!(
        (pets["score"].clone(), pets["sales_volume"].clone()),
        (json!("3.5"), json!(2))
    );
    let ratings = app
        .home_ok(
            &who,
            "home.rating.service",
            json!({"service_id": 1, "page": 1, "count": 1}),
        )
        .await;
    assert_eq!(
        (ratings["total"].clone(), ratings["last_page"].clone()),
        (json!(2), json!(2))
    );
    // The demo publisher logs in with the sandbox code of its WeChat user.
    let env = app
        .call_as(
            "home_app_id",
            HOME_SECRET,
            "user.wx.login",
            json!({"code": "home_publisher.1"}),
        )
        .await;
    let publisher = Who {
        token: env["data"]["token"].as_str().unwrap().to_string(),
        id: 30,
    };
    let mine = app
        .home_ok(
            &publisher,
            "home.service.my",
            json!({"type": 1, "status": 2, "page": 1, "count": 10}),
        )
        .await;
    assert_eq!(mine["total"], 3);
}
