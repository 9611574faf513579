//! What the gateway writes to its log: one line per request, and never a
//! secret, signature, password, token or SMS code.

use std::process::Stdio;

use serde_json::json;

use crate::helpers::db::TestDb;
use crate::helpers::procs::{free_port, gateway_bin, services, wait_exit};
use crate::helpers::{IOS_SECRET, Remote, default_apps, unique, wait_until};

#[tokio::test]
async fn request_logs_mask_every_sensitive_value() {
    let db = TestDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    std::fs::write(
        dir.path().join("gateway.toml"),
        format!(
            "env = \"test\"\n[server]\nlisten = \"127.0.0.1:{port}\"\n[postgres]\nurl = \"{}\"\n[redis]\nurl = \"{}\"\nkey_prefix = \"{}:\"\n[sms]\necho_code = true\n",
            db.url,
            services().redis_url,
            unique("logs")
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("apps.toml"), default_apps()).unwrap();
    let log_path = dir.path().join("gateway.log");
    let mut child = gateway_bin()
        .arg("--config")
        .arg(dir.path().join("gateway.toml"))
        .arg("serve")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let client = Remote::new(format!("http://127.0.0.1:{port}/"));
    wait_until("the gateway serves", 20, || async {
        client
            .try_call_as("ios_app_id", IOS_SECRET, "system.ping", json!({}))
            .await
            .is_ok_and(|env| env["code"] == 200)
    })
    .await;

    let (mobile, password) = ("18612345678", "Pa55word_log");
    let sent = client
        .call(
            "sms.send",
            json!({"mobile": mobile, "key": "USER_REGISTER_CODE"}),
        )
        .await;
    let code = sent["data"]["code"].as_str().unwrap().to_string();
    let reg = client
        .call(
            "user.register",
            json!({"mobile": mobile, "password": password, "code": code}),
        )
        .await;
    let token = reg["data"]["token"].as_str().unwrap().to_string();
    client
        .call(
            "user.pwd.edit",
            json!({"token": token, "old_pwd": password, "new_pwd": "N3w_password"}),
        )
        .await;
    let rt = client
        .call("system.request.token", json!({"number": 1, "token": token}))
        .await;
    let req_token = rt["data"]["token"].as_str().unwrap().to_string();
    client
        .call(
            "user.detail",
            json!({"token": token, "req_token": req_token, "realname": "张三丰"}),
        )
        .await;

    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    wait_exit(&mut child, 15).await.expect("the gateway stops");
    let log = std::fs::read_to_string(&log_path).unwrap();

    let requests = log.lines().filter(|l| l.contains(" request ")).count();
    assert!(requests >= 6, "one line per request:\n{log}");
    assert!(log.contains("186****5678"), "mobiles appear masked:\n{log}");
    for secret in [
        mobile,
        password,
        "N3w_password",
        &code,
        &token,
        &req_token,
        "张三丰",
        IOS_SECRET,
    ] {
        assert!(
            !log.contains(secret),
            "`{secret}` leaked into the log:\n{log}"
        );
    }
}
