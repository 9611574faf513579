//! Bodies and uploads under abuse (docs/protocol.md §1.4): upload parts are
//! spooled to disk instead of held in memory, the bytes of bodies held in
//! memory are bounded across connections, only images that decode are
//! stored, and each user has a daily upload quota.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::procs::{self, GatewayProcess};
use crate::helpers::{
    IOS_SECRET, Options, TestApp, assert_code, second_instance_of, spawn_app_with, wait_until, wire,
};
use crate::user_catalogue::PNG;

const MIB: usize = 1024 * 1024;

/// A measured gateway process (docs/protocol.md §1.4 is about its memory)
/// whose uploads spool into `spool`.
async fn gateway(
    spool: &std::path::Path,
    change: impl FnOnce(&mut yafgate::config::settings::Settings),
) -> (GatewayProcess, crate::helpers::db::TestDb) {
    let db = crate::helpers::db::TestDb::create().await;
    let spool = spool.to_path_buf();
    let gateway = procs::measured_gateway(&db.url, move |s| {
        s.upload.spool_dir = spool;
        change(s);
    })
    .await;
    (gateway, db)
}

/// Bytes in the files under `dir`.
fn bytes_under(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    })
}

/// Open a connection and send a request head and all of `body` but its
/// last `held_back` bytes.
async fn send_most(port: u16, content_type: &str, body: &[u8], held_back: usize) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body[..body.len() - held_back]).await.unwrap();
    s
}

/// The status line of whatever the server answered on `s`, if it answered.
async fn status_of(s: &mut TcpStream) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    text.lines().next().map(str::to_string)
}

async fn ping(url: &str) -> i64 {
    crate::helpers::Remote::new(url.to_string())
        .call("system.ping", json!({}))
        .await["code"]
        .as_i64()
        .unwrap_or(0)
}

#[tokio::test]
async fn sixty_uploads_held_open_are_spooled_to_disk_not_held_in_memory() {
    let spool = tempfile::tempdir().unwrap();
    let (gw, _db) = gateway(spool.path(), |_| {}).await;
    let rss_before = gw.rss_kib();
    // A signed upload of the largest allowed size, all but its end sent.
    let data = format!(
        r#"{{"method":"system.upload","v":"1.0.0","appid":"ios_app_id","timestamp":"{}","token":""}}"#,
        chrono::Utc::now().timestamp()
    );
    let image = vec![7u8; 5 * MIB - 4096];
    let body = wire::signed_multipart(
        data.as_bytes(),
        IOS_SECRET,
        &[wire::Part::file("image", "big.png", &image)],
    );
    assert!(body.len() <= 5 * MIB, "within upload_limit_bytes");
    let mut open = Vec::new();
    for _ in 0..60 {
        open.push(send_most(gw.port, &wire::multipart_type(), &body, 64).await);
    }
    // Every upload's file part is on disk, nearly whole, while its request
    // is still open.
    let expected = 60 * (image.len() as u64 - 4096);
    wait_until("the 60 file parts are spooled", 60, || async {
        bytes_under(spool.path()) >= expected
    })
    .await;
    let rss = gw.rss_kib();
    assert!(
        rss < rss_before + 96 * 1024,
        "resident memory {rss} KiB with 60 × 5 MiB uploads open (before: {rss_before} KiB)"
    );
    assert_eq!(ping(&gw.url()).await, 200, "others are still served");
    drop(open);
    // Spooled parts go with their requests.
    wait_until("the spool is emptied", 30, || async {
        bytes_under(spool.path()) == 0
    })
    .await;
}

#[tokio::test]
async fn bodies_beyond_the_memory_budget_are_shed_with_503_and_the_budget_comes_back() {
    let spool = tempfile::tempdir().unwrap();
    let (gw, _db) = gateway(spool.path(), |s| {
        s.server.body_limit_bytes = 64 * 1024;
        s.server.body_memory_budget_bytes = 256 * 1024;
    })
    .await;
    let data = format!(
        r#"{{"method":"system.ping","v":"1.0.0","appid":"ios_app_id","timestamp":"{}","pad":"{}"}}"#,
        chrono::Utc::now().timestamp(),
        "x".repeat(60 * 1024)
    );
    let (content_type, body) = wire::signed_body(data.as_bytes(), IOS_SECRET, wire::Encoding::Form);
    // Eight bodies of 60 KiB held open need 480 KiB; the budget is 256 KiB.
    let mut open = Vec::new();
    for _ in 0..8 {
        open.push(send_most(gw.port, &content_type, &body, 16).await);
    }
    let mut shed = 0;
    let mut held = Vec::new();
    for mut s in open {
        // A shed request is answered at once; a held one waits for its end.
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(1500), s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                let text = String::from_utf8_lossy(&buf[..n]);
                assert!(text.starts_with("HTTP/1.1 503"), "{text}");
                assert!(
                    text.to_ascii_lowercase().contains("connection: close"),
                    "{text}"
                );
                shed += 1;
            }
            _ => held.push(s),
        }
    }
    assert!(shed >= 4, "only {shed} of 8 shed with a 256 KiB budget");
    assert!(
        held.len() <= 4,
        "{} bodies of 60 KiB held in 256 KiB",
        held.len()
    );
    let metrics = gw.metrics().await;
    assert!(
        metrics.contains(&format!(
            "yafgate_transport_errors_total{{status=\"503\"}} {shed}"
        )),
        "{metrics}"
    );
    // The held ones complete and are answered; then the budget is free again.
    for mut s in held {
        s.write_all(&body[body.len() - 16..]).await.unwrap();
        assert_eq!(status_of(&mut s).await.as_deref(), Some("HTTP/1.1 200 OK"));
    }
    for _ in 0..4 {
        let mut s = send_most(gw.port, &content_type, &body, 0).await;
        assert_eq!(status_of(&mut s).await.as_deref(), Some("HTTP/1.1 200 OK"));
    }
}

fn upload_options(dir: &std::path::Path, per_day: u32) -> Options {
    let dir = dir.to_path_buf();
    Options::configure(move |s| {
        s.upload.dir = dir.join("files");
        s.upload.spool_dir = dir.join("spool");
        s.upload.daily_per_user = per_day;
    })
}

async fn upload(app: &TestApp, token: &str, file_name: &str, bytes: &[u8]) -> serde_json::Value {
    let data = app.data("system.upload", "ios_app_id", json!({"token": token}));
    let body = wire::signed_multipart(
        data.as_bytes(),
        IOS_SECRET,
        &[wire::Part::file("image", file_name, bytes)],
    );
    crate::helpers::envelope(app.post(&wire::multipart_type(), body).await).await
}

async fn login(app: &TestApp, mobile: &str) -> String {
    let env = app
        .call(
            "user.login",
            json!({"mobile": mobile, "login_type": 2, "code": "demo123456"}),
        )
        .await;
    assert_code(&env, 200);
    env["data"]["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn files_that_only_start_like_images_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(upload_options(dir.path(), 100)).await;
    let token = login(&app, "13800138000").await;
    let php = [
        &b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00"[..],
        b"<?php system($_GET['c']); ?>",
    ]
    .concat();
    let html = [&b"GIF89a"[..], b"<html><script>alert(1)</script></html>"].concat();
    let cut_png = &PNG[..PNG.len() - 20];
    for (name, bytes) in [
        ("a.jpg", &php[..]),
        ("a.gif", &html[..]),
        ("a.png", cut_png),
    ] {
        let env = upload(&app, &token, name, bytes).await;
        assert_code(&env, 503);
        assert_eq!(env["msg"], "图片已损坏或不是有效的图片文件", "{name}");
    }
    assert!(
        !dir.path().join("files").exists() || bytes_under(&dir.path().join("files")) == 0,
        "nothing stored"
    );
    assert_code(&upload(&app, &token, "ok.png", PNG).await, 200);
}

#[tokio::test]
async fn each_user_uploads_at_most_the_daily_quota_across_instances() {
    let dir = tempfile::tempdir().unwrap();
    let a = spawn_app_with(upload_options(dir.path(), 3)).await;
    let b = spawn_app_with(second_instance_of(&a).and_configure({
        let dir = dir.path().to_path_buf();
        move |s| {
            s.upload.dir = dir.join("files");
            s.upload.spool_dir = dir.join("spool");
            s.upload.daily_per_user = 3;
        }
    }))
    .await;
    let token = login(&a, "13800138000").await;
    let tries = (0..12).map(|i| {
        let (app, token) = (if i % 2 == 0 { &a } else { &b }, token.clone());
        async move { upload(app, &token, "p.png", PNG).await }
    });
    let answers = futures_util::future::join_all(tries).await;
    let ok = answers.iter().filter(|e| e["code"] == 200).count();
    let over = answers
        .iter()
        .filter(|e| e["code"] == 503 && e["msg"] == "今日上传次数已达上限，请明天再试")
        .count();
    assert_eq!((ok, over), (3, 9), "{answers:?}");
    // Another user has a quota of their own; the next day the first one can again.
    let other = login(&a, "13900139000").await;
    assert_code(&upload(&a, &other, "p.png", PNG).await, 200);
    a.state.clock.advance(86_400);
    b.state.clock.advance(86_400);
    let token = login(&a, "13800138000").await;
    assert_code(&upload(&b, &token, "p.png", PNG).await, 200);
}

#[tokio::test]
async fn a_refused_upload_does_not_use_up_the_quota() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(upload_options(dir.path(), 1)).await;
    let token = login(&app, "13800138000").await;
    let broken = [&b"GIF89a"[..], b"<html></html>"].concat();
    assert_code(&upload(&app, &token, "x.gif", &broken).await, 503);
    assert_code(&upload(&app, &token, "p.png", PNG).await, 200);
    let env = upload(&app, &token, "p.png", PNG).await;
    assert_eq!(env["msg"], "今日上传次数已达上限，请明天再试");
}
