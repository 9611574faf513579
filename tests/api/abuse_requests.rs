//! What a client holding an app secret (it ships inside the apps) can do
//! to others: exhaust the appid's rate limit for everyone, replay signed
//! calls, pose as the proxy with a forged X-Forwarded-For, send times the
//! database cannot hold (docs/protocol.md §11.3, §11.5, §12.4, §3.3).

use std::sync::Arc;

use serde_json::{Value, json};
use yafgate::protocol::sign::sign;

use crate::helpers::db::TestDb;
use crate::helpers::procs::{GatewayProcess, Launch, process_settings};
use crate::helpers::{
    ADMIN_SECRET, IOS_SECRET, Options, TestApp, assert_code, default_apps, envelope,
    second_instance_of, spawn_app, spawn_app_with,
};

const REPLAYED: &str = "请求重复，请勿重复提交";

fn trust_loopback(s: &mut crate::helpers::Settings) {
    s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

/// Two instances sharing Redis, trusting the loopback proxy, with `limits`
/// added to the iOS appid.
async fn pair(limits: &str) -> (Arc<TestApp>, Arc<TestApp>) {
    let apps = default_apps().replacen(
        "[apps.ios_app_id]\n",
        &format!("[apps.ios_app_id]\n{limits}\n"),
        1,
    );
    let a = spawn_app_with(Options {
        apps: apps.clone(),
        ..Options::configure(trust_loopback)
    })
    .await;
    let mut opts = second_instance_of(&a).and_configure(trust_loopback);
    opts.apps = apps;
    let b = spawn_app_with(opts).await;
    (Arc::new(a), Arc::new(b))
}

/// One call as iOS from client address `ip` (through the trusted proxy)
/// and device `device`; the code.
async fn code_from(app: &TestApp, ip: &str, device: &str, method: &str, mut p: Value) -> i64 {
    p["unique_id"] = json!(device);
    let r = app
        .signed("ios_app_id", IOS_SECRET, method, p)
        .header("x-forwarded-for", ip)
        .send()
        .await
        .unwrap();
    envelope(r).await["code"].as_i64().unwrap()
}

/// `n` parallel calls, alternating between the two instances; the codes.
async fn burst(
    (a, b): &(Arc<TestApp>, Arc<TestApp>),
    n: usize,
    ip: &str,
    device: &str,
    method: &'static str,
    params: Value,
) -> Vec<i64> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let app = if i % 2 == 0 { a.clone() } else { b.clone() };
            let (ip, device, params) = (ip.to_string(), device.to_string(), params.clone());
            tokio::spawn(async move { code_from(&app, &ip, &device, method, params).await })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    codes.sort_unstable();
    codes
}

fn count(codes: &[i64], code: i64) -> usize {
    codes.iter().filter(|c| **c == code).count()
}

#[tokio::test]
async fn one_client_ip_spends_its_own_budget_not_the_whole_appids() {
    let pair = pair("rate_limit_per_ip = { requests = 3, per_secs = 3600 }").await;
    // user.detail without a token reaches the session step: 602 when the
    // limits let it through.
    let codes = burst(&pair, 20, "198.51.100.1", "d1", "user.detail", json!({})).await;
    assert_eq!(
        (count(&codes, 602), count(&codes, 511)),
        (3, 17),
        "{codes:?}"
    );
    // Another address of the same appid, same device, is still served.
    let codes = burst(&pair, 3, "198.51.100.2", "d1", "user.detail", json!({})).await;
    assert_eq!(codes, [602; 3]);
}

#[tokio::test]
async fn the_appid_limit_stays_the_ceiling_over_all_clients() {
    let pair = pair(
        "rate_limit = { requests = 10, per_secs = 3600 }\n\
         rate_limit_per_ip = { requests = 3, per_secs = 3600 }",
    )
    .await;
    // Each of 5 addresses sends 3 at once: every address's own budget lets
    // all 15 through, the appid's lets exactly 10. (A 4th per address in
    // the same burst would make the count depend on arrival order: the
    // appid's counter is taken before the address's.)
    let burst_all = |n: usize| {
        let pair = &pair;
        futures_util::future::join_all((1..=5).map(move |i| async move {
            let ip = format!("198.51.100.{i}");
            burst(pair, n, &ip, "d", "user.detail", json!({})).await
        }))
    };
    let codes: Vec<i64> = burst_all(3).await.into_iter().flatten().collect();
    // 5 addresses × 3 would be 15; the appid allows 10 in all.
    assert_eq!(
        (count(&codes, 602), count(&codes, 511)),
        (10, 5),
        "{codes:?}"
    );
    // With the appid's budget spent, every address is refused.
    let codes: Vec<i64> = burst_all(1).await.into_iter().flatten().collect();
    assert_eq!(codes, [511; 5], "{codes:?}");
}

#[tokio::test]
async fn one_device_spends_its_own_budget_per_method() {
    let pair = pair(
        "method_rate_limits_per_device = { \"system.request.token\" = { requests = 2, per_secs = 3600 } }",
    )
    .await;
    let p = json!({"number": 1});
    // The same device from many addresses.
    let (a, b) = &pair;
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let app = if i % 2 == 0 { a.clone() } else { b.clone() };
            let p = p.clone();
            tokio::spawn(async move {
                let ip = format!("203.0.113.{i}");
                code_from(&app, &ip, "phone-1", "system.request.token", p).await
            })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    assert_eq!(
        (count(&codes, 200), count(&codes, 511)),
        (2, 10),
        "{codes:?}"
    );
    // Other devices have their own budget; other methods are not limited.
    let codes = burst(
        &pair,
        2,
        "203.0.113.1",
        "phone-2",
        "system.request.token",
        p,
    )
    .await;
    assert_eq!(codes, [200; 2]);
    assert_eq!(
        code_from(a, "203.0.113.1", "phone-1", "user.detail", json!({})).await,
        602
    );
}

#[tokio::test]
async fn one_user_spends_their_own_budget_across_instances() {
    let pair = pair(
        "rate_limit_per_user = { requests = 100, per_secs = 3600 }\n\
         method_rate_limits_per_user = { \"user.detail\" = { requests = 3, per_secs = 3600 } }",
    )
    .await;
    let one = pair.0.register_token("13800000031", "Pa55word_1").await;
    let two = pair.0.register_token("13800000032", "Pa55word_2").await;
    let codes = burst(
        &pair,
        16,
        "198.51.100.7",
        "d",
        "user.detail",
        json!({"token": one}),
    )
    .await;
    assert_eq!(
        (count(&codes, 200), count(&codes, 511)),
        (3, 13),
        "{codes:?}"
    );
    // Same address and device, another user: served.
    let codes = burst(
        &pair,
        3,
        "198.51.100.7",
        "d",
        "user.detail",
        json!({"token": two}),
    )
    .await;
    assert_eq!(codes, [200; 3]);
}

/// Send `data` (already signed bytes' text) as iOS; the envelope.
async fn replay(app: &TestApp, data: &str) -> Value {
    app.send_data(data, IOS_SECRET).await
}

#[tokio::test]
async fn a_replayed_sms_send_sends_no_new_code_even_after_the_interval() {
    let (a, b) = pair("").await;
    let mobile = "13800000041";
    let data = a.data(
        "sms.send",
        "ios_app_id",
        json!({"mobile": mobile, "key": "USER_REGISTER_CODE"}),
    );
    let first = replay(&a, &data).await;
    assert_code(&first, 200);
    let code = first["data"]["code"].as_str().unwrap().to_string();
    // 61 s later, past the send interval, still inside the timestamp window.
    a.state.clock.advance(61);
    b.state.clock.advance(61);
    for app in [&a, &b] {
        assert_eq!(
            replay(app, &data).await,
            json!({"code": 503, "msg": REPLAYED})
        );
    }
    // The same bytes with the signature in lower case are the same call.
    let lower = sign(data.as_bytes(), IOS_SECRET).to_lowercase();
    let r = a.post_form(&[("data", &data), ("sign", &lower)]).await;
    assert_eq!(envelope(r).await, json!({"code": 503, "msg": REPLAYED}));
    // The first code is still the live one: no new code replaced it.
    let verify = a
        .call(
            "sms.verify",
            json!({"mobile": mobile, "key": "USER_REGISTER_CODE", "code": code}),
        )
        .await;
    assert_code(&verify, 200);
}

#[tokio::test]
async fn a_replayed_login_neither_issues_a_token_nor_displaces_the_session() {
    let (a, b) = pair("").await;
    a.register_token("13800000051", "Pa55word_5").await;
    let data = a.data(
        "user.login",
        "ios_app_id",
        json!({"mobile": "13800000051", "login_type": 2, "code": "Pa55word_5"}),
    );
    let first = replay(&a, &data).await;
    assert_code(&first, 200);
    let token = first["data"]["token"].as_str().unwrap().to_string();
    b.state.clock.advance(30);
    assert_eq!(
        replay(&b, &data).await,
        json!({"code": 503, "msg": REPLAYED})
    );
    assert_code(
        &a.call_with_token("user.detail", &token, json!({})).await,
        200,
    );
}

#[tokio::test]
async fn parallel_submissions_of_the_same_bytes_let_exactly_one_through() {
    let (a, b) = pair("").await;
    a.register_token("13800000061", "Pa55word_6").await;
    let login = a.data(
        "user.login",
        "ios_app_id",
        json!({"mobile": "13800000061", "login_type": 2, "code": "Pa55word_6"}),
    );
    let send = a.data(
        "sms.send",
        "ios_app_id",
        json!({"mobile": "13800000062", "key": "USER_REGISTER_CODE"}),
    );
    for data in [login, send] {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let app = if i % 2 == 0 { a.clone() } else { b.clone() };
                let data = data.clone();
                tokio::spawn(async move { replay(&app, &data).await })
            })
            .collect();
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap());
        }
        let ok = answers.iter().filter(|e| e["code"] == 200).count();
        let replays = answers.iter().filter(|e| e["msg"] == REPLAYED).count();
        assert_eq!((ok, replays), (1, 15), "{data}: {answers:?}");
    }
}

#[tokio::test]
async fn identical_reads_in_the_same_second_are_all_served() {
    let (a, b) = pair("").await;
    let session = a.register_token("13800000071", "Pa55word_7").await;
    for (method, params) in [
        ("news.list", json!({"cat_id": 1, "page": 1})),
        ("user.detail", json!({"token": session})),
        ("system.request.token", json!({"number": 1})),
    ] {
        let data = a.data(method, "ios_app_id", params);
        for app in [&a, &a, &b] {
            assert_code(&replay(app, &data).await, 200);
        }
    }
}

/// The admin appid allows only the proxy's own address.
fn admin_from_loopback() -> String {
    default_apps().replace(
        r#"ip_allow = ["10.0.0.0/8", "2001:db8::/32"]"#,
        r#"ip_allow = ["127.0.0.1"]"#,
    )
}

#[tokio::test]
async fn malformed_forwarded_chains_never_count_as_the_trusted_proxy() {
    let app = spawn_app_with(Options {
        apps: admin_from_loopback(),
        ..Options::configure(trust_loopback)
    })
    .await;
    let admin_ping = |xff: Option<&'static str>| {
        let mut r = app.signed("admin_app_id", ADMIN_SECRET, "system.ping", json!({}));
        if let Some(v) = xff {
            r = r.header("x-forwarded-for", v);
        }
        async move {
            envelope(r.send().await.unwrap()).await["code"]
                .as_i64()
                .unwrap()
        }
    };
    let metrics = |xff: Option<&'static str>| {
        let mut r = app
            .http
            .get(format!("http://127.0.0.1:{}/metrics", app.port));
        if let Some(v) = xff {
            r = r.header("x-forwarded-for", v);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    // The proxy's own requests (no X-Forwarded-For) are the proxy's.
    assert_eq!((admin_ping(None).await, metrics(None).await), (200, 200));
    for xff in [
        "8.8.8.8, junk",
        "unknown",
        "",
        "fe80::1%eth0",
        "8.8.8.8,",
        "[fe80::1%1]:80",
    ] {
        let got = (admin_ping(Some(xff)).await, metrics(Some(xff)).await);
        assert_eq!(got, (508, 403), "X-Forwarded-For: {xff:?}");
    }
}

#[tokio::test]
async fn metrics_are_served_to_loopback_only_by_default() {
    let app = spawn_app_with(Options::configure(trust_loopback)).await;
    for (client, status) in [("10.1.2.3", 403), ("192.168.1.9", 403), ("127.0.0.1", 200)] {
        let r = app
            .http
            .get(format!("http://127.0.0.1:{}/metrics", app.port))
            .header("x-forwarded-for", client)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{client}");
    }
}

#[tokio::test]
async fn forwarding_without_trusted_proxies_is_warned_about_once() {
    const WARNING: &str = "server.trusted_proxies is empty";
    let db = TestDb::create().await;
    let mut gateway = GatewayProcess::start_with(
        process_settings(&db.url),
        &default_apps(),
        Launch::default().env("RUST_LOG", "warn").log_to_file(),
    )
    .await;
    let client = gateway.remote();
    assert_code(&client.call("system.ping", json!({})).await, 200);
    assert_eq!(
        gateway.log().matches(WARNING).count(),
        0,
        "{}",
        gateway.log()
    );
    for _ in 0..3 {
        let r = client
            .http
            .get(format!("http://127.0.0.1:{}/healthz", gateway.port))
            .header("x-forwarded-for", "203.0.113.5")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let status = gateway.terminate().await;
    assert!(status.success(), "{status:?}");
    let log = gateway.log();
    assert_eq!(log.matches(WARNING).count(), 1, "{log}");
}

#[tokio::test]
async fn order_times_outside_the_years_are_refused_by_name() {
    let app = spawn_app().await;
    let session = app.register_token("13800000081", "Pa55word_8").await;
    for (params, name) in [
        (json!({"start_time": "-5000-01-01 00:00:00"}), "start_time"),
        (json!({"end_time": "10000-01-01 00:00:00"}), "end_time"),
        (json!({"end_time": "+12345-01-01 00:00:00"}), "end_time"),
        (json!({"start_time": "1969-12-31 23:59:59"}), "start_time"),
    ] {
        let env = app
            .call_with_token("order.list", &session, params.clone())
            .await;
        assert_eq!(
            env,
            json!({"code": 503, "msg": format!("参数 {name} 不正确：须为 Y-m-d H:i:s 格式的时间，年份 1970-9999")}),
            "{params}"
        );
    }
    let whole = json!({"start_time": "1970-01-01 00:00:00", "end_time": "9999-12-31 23:59:59"});
    assert_code(
        &app.call_with_token("order.list", &session, whole).await,
        200,
    );
}
