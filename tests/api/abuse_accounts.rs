//! Abuse resistance of accounts (issue: abuse resistance, items 1–4, 10,
//! 11): guesses checked under an atomic reservation across instances,
//! bounded password work, wrong old passwords counted, locks per
//! (mobile, IP) that leave the owner a way in, tokens bound to their
//! class, and demo secrets refused outside dev and test. The burst of
//! password work against a separate process is in `burst`.

mod burst;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::procs::{GatewayProcess, Launch, process_settings};
use crate::helpers::*;

const MOBILE: &str = "18575202691";
const PASSWORD: &str = "secret_123";
const WRONG: &str = "账号或密码不正确";

/// Trust the loopback proxy so tests can speak for other client IPs.
fn behind_proxy(s: &mut Settings) {
    s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

/// Call as iOS from client IP `ip` (X-Forwarded-For through the trusted
/// loopback proxy).
async fn call_from(app: &TestApp, ip: &str, method: &str, params: Value) -> Value {
    let resp = app
        .signed("ios_app_id", IOS_SECRET, method, params)
        .header("x-forwarded-for", ip)
        .send()
        .await
        .expect("gateway answers");
    envelope(resp).await
}

async fn password_login_from(app: &TestApp, ip: &str, password: &str) -> Value {
    call_from(
        app,
        ip,
        "user.login",
        json!({"mobile": MOBILE, "login_type": 2, "password": password}),
    )
    .await
}

/// Password checks run by `apps` together.
fn checks(apps: &[&TestApp]) -> u64 {
    apps.iter().map(|a| a.state.password_work.checks()).sum()
}

fn count(answers: &[Value], code: i64, msg: Option<&str>) -> usize {
    answers
        .iter()
        .filter(|e| e["code"] == code && msg.is_none_or(|m| e["msg"] == m))
        .count()
}

/// Every answer is one of `allowed` codes (and never a 500).
#[track_caller]
fn only_codes(answers: &[Value], allowed: &[i64]) {
    for e in answers {
        let c = e["code"].as_i64().unwrap();
        assert!(allowed.contains(&c), "unexpected answer {e}");
    }
}

#[tokio::test]
async fn a_hundred_parallel_guesses_on_two_instances_check_at_most_five() {
    let a = spawn_app().await;
    let b = spawn_app_with(second_instance_of(&a)).await;
    a.register_token(MOBILE, PASSWORD).await;
    let before = checks(&[&a, &b]);
    let guesses = (0..100).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        async move {
            app.login_as("ios_app_id", IOS_SECRET, MOBILE, &format!("guess-{i:03}"))
                .await
        }
    });
    let answers = join_all(guesses).await;
    only_codes(&answers, &[503, 511, 607]);
    let wrong = count(&answers, 503, Some(WRONG));
    assert!(
        wrong <= 4,
        "{wrong} wrong passwords were checked and answered"
    );
    assert!(checks(&[&a, &b]) - before <= 5);
    // Whatever the burst left, guessing on reaches the lock after exactly
    // five checks, and the right password is then refused unchecked.
    let mut wrong_total = wrong;
    loop {
        let env = b
            .login_as("ios_app_id", IOS_SECRET, MOBILE, "guess-x")
            .await;
        match env["code"].as_i64() {
            Some(503) => wrong_total += 1,
            Some(607) => break,
            _ => panic!("unexpected {env}"),
        }
    }
    assert_eq!(wrong_total, 4);
    assert_eq!(checks(&[&a, &b]) - before, 5);
    assert_code(
        &a.login_as("ios_app_id", IOS_SECRET, MOBILE, PASSWORD).await,
        607,
    );
    assert_eq!(checks(&[&a, &b]) - before, 5);
}

#[tokio::test]
async fn parallel_wrong_login_codes_are_bounded_the_same_way() {
    let a = spawn_app().await;
    let b = spawn_app_with(second_instance_of(&a)).await;
    a.register_token(MOBILE, PASSWORD).await;
    a.sms_code(MOBILE, "USER_LOGIN_CODE").await;
    let guesses = (0..100).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.call(
            "user.login",
            json!({"mobile": MOBILE, "login_type": 1, "code": format!("{:06}", 900_000 + i)}),
        )
    });
    let answers = join_all(guesses).await;
    only_codes(&answers, &[700, 511, 607]);
    let refused = count(&answers, 700, None);
    assert!(refused <= 4, "{refused} codes were checked and refused");
}

#[tokio::test]
async fn wrong_old_passwords_count_like_wrong_logins() {
    let a = spawn_app_with(Options::configure(behind_proxy)).await;
    let b = spawn_app_with(second_instance_of(&a).and_configure(behind_proxy)).await;
    let token = a.register_token(MOBILE, PASSWORD).await;
    let edits = (0..30).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.call_with_token(
            "user.pwd.edit",
            &token,
            json!({"old_pwd": format!("old-guess-{i}"), "new_pwd": "taken-over-1"}),
        )
    });
    let answers = join_all(edits).await;
    only_codes(&answers, &[503, 511, 607]);
    assert!(count(&answers, 503, Some("旧密码不正确")) <= 4);
    let mut locked = false;
    for _ in 0..5 {
        let env = a
            .call_with_token(
                "user.pwd.edit",
                &token,
                json!({"old_pwd": "old-guess-x", "new_pwd": "taken-over-1"}),
            )
            .await;
        if env["code"] == 607 {
            locked = true;
            break;
        }
        assert_eq!(env, json!({"code": 503, "msg": "旧密码不正确"}));
    }
    assert!(locked, "wrong old passwords never locked");
    assert!(checks(&[&a, &b]) <= 5, "at most 5 old passwords checked");
    // The right old password is refused too: the password did not change.
    let env = a
        .call_with_token(
            "user.pwd.edit",
            &token,
            json!({"old_pwd": PASSWORD, "new_pwd": "taken-over-1"}),
        )
        .await;
    assert_code(&env, 607);
    assert_code(
        &password_login_from(&a, "198.51.100.7", PASSWORD).await,
        200,
    );
    assert_code(
        &password_login_from(&a, "198.51.100.7", "taken-over-1").await,
        503,
    );
}

#[tokio::test]
async fn one_attackers_ip_locks_only_itself() {
    let a = spawn_app_with(Options::configure(behind_proxy)).await;
    let b = spawn_app_with(second_instance_of(&a).and_configure(behind_proxy)).await;
    a.register_token(MOBILE, PASSWORD).await;
    let attacker = "203.0.113.7";
    let guesses = (0..40).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        password_login_from(app, attacker, "not-the-one")
    });
    only_codes(&join_all(guesses).await, &[503, 511, 607]);
    loop {
        let env = password_login_from(&b, attacker, "not-the-one").await;
        if env["code"] == 607 {
            assert!(
                env["msg"].as_str().unwrap().contains("登录已被限制"),
                "{env}"
            );
            break;
        }
        assert_eq!(env, json!({"code": 503, "msg": WRONG}));
    }
    assert_code(&password_login_from(&a, attacker, PASSWORD).await, 607);
    // The owner, elsewhere, is not locked out.
    assert_code(
        &password_login_from(&a, "198.51.100.1", PASSWORD).await,
        200,
    );
    assert_code(
        &password_login_from(&b, "198.51.100.2", PASSWORD).await,
        200,
    );
}

/// sms.send from `ip` for `mobile`, past the (1 s) interval.
async fn send_from(app: &TestApp, ip: &str, key: &str) -> Value {
    poll_until(
        "sms.send is past the interval",
        10,
        || call_from(app, ip, "sms.send", json!({"mobile": MOBILE, "key": key})),
        |env: &Value| !env["msg"].as_str().unwrap_or("").contains("间隔"),
    )
    .await
}

#[tokio::test]
async fn a_distributed_attacker_stops_passwords_but_the_owner_gets_in_by_sms() {
    let a = spawn_app_with(Options::configure(|s| {
        behind_proxy(s);
        s.guards.login_max_failures_per_mobile = 8;
        s.sms.daily_per_mobile = 3;
        s.sms.daily_per_mobile_ip = 2;
    }))
    .await;
    let home = "198.51.100.1";
    // The owner registered from home: home is a known IP of the mobile.
    let code = send_from(&a, home, "USER_REGISTER_CODE").await;
    let env = call_from(
        &a,
        home,
        "user.register",
        json!({"mobile": MOBILE, "password": PASSWORD, "code": code["data"]["code"]}),
    )
    .await;
    assert_code(&env, 200);

    // Four attacker addresses, one after the other, each 20 parallel wrong
    // passwords and then more until its answer is 607.
    let attackers = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"];
    for ip in attackers {
        let guesses = (0..20).map(|_| password_login_from(&a, ip, "nope"));
        only_codes(&join_all(guesses).await, &[503, 511, 607]);
        let mut locked = false;
        for _ in 0..5 {
            if password_login_from(&a, ip, "nope").await["code"] == 607 {
                locked = true;
                break;
            }
        }
        assert!(locked, "{ip} never locked");
    }
    // Eight failures in all lock password checks for the mobile, from
    // everywhere: a fresh address cannot even try the right password.
    let checked = checks(&[&a]);
    let fresh = join_all((0..20).map(|_| password_login_from(&a, "203.0.113.99", PASSWORD))).await;
    only_codes(&fresh, &[607]);
    assert!(
        fresh[0]["msg"].as_str().unwrap().contains("短信验证码登录"),
        "{}",
        fresh[0]
    );
    assert_eq!(
        checks(&[&a]),
        checked,
        "no password was checked under the lock"
    );
    assert_code(&password_login_from(&a, home, PASSWORD).await, 607);

    // The attackers spend the mobile's daily SMS cap (3, one used by the
    // registration), two sends per address at most.
    let capped = json!({"code": 503, "msg": "今日短信发送次数已达上限，请明天再试"});
    assert_code(&send_from(&a, attackers[0], "USER_LOGIN_CODE").await, 200);
    assert_code(&send_from(&a, attackers[0], "USER_LOGIN_CODE").await, 200);
    assert_eq!(send_from(&a, attackers[0], "USER_LOGIN_CODE").await, capped);
    assert_eq!(send_from(&a, attackers[1], "USER_LOGIN_CODE").await, capped);
    // The owner's home is not held to the mobile's cap: a code, a login.
    let sent = send_from(&a, home, "USER_LOGIN_CODE").await;
    assert_code(&sent, 200);
    let env = call_from(
        &a,
        home,
        "user.login",
        json!({"mobile": MOBILE, "login_type": 1, "code": sent["data"]["code"]}),
    )
    .await;
    assert_code(&env, 200);
    // The SMS login lifted the mobile's password lock.
    assert_code(&password_login_from(&a, home, PASSWORD).await, 200);
    assert_code(
        &password_login_from(&a, "198.51.100.50", PASSWORD).await,
        200,
    );
    // The first attacker's address stays locked (its own five failures).
    assert_code(&password_login_from(&a, attackers[0], PASSWORD).await, 607);
}

#[tokio::test]
async fn tokens_answer_only_to_their_own_class() {
    let app = spawn_app().await;
    let ios = app.register_token(MOBILE, PASSWORD).await;
    let h5 = app.login_as("h5_app_id", H5_SECRET, MOBILE, PASSWORD).await;
    assert_code(&h5, 200);
    let h5 = h5["data"]["token"].as_str().unwrap().to_string();
    let detail = |appid: &'static str, secret: &'static str, token: String, platform: i64| {
        app.call_as(
            appid,
            secret,
            "user.detail",
            json!({"token": token, "platform": platform}),
        )
    };
    let expired = json!({"code": 601, "msg": "登录超时，请重新登录"});
    // A web token is no app token, on an app appid or an app platform.
    assert_eq!(
        detail("ios_app_id", IOS_SECRET, h5.clone(), 1).await,
        expired
    );
    assert_eq!(
        detail("android_app_id", ANDROID_SECRET, h5.clone(), 2).await,
        expired
    );
    // A 30-day app token is no web token, by appid type or by platform.
    assert_eq!(
        detail("h5_app_id", H5_SECRET, ios.clone(), 3).await,
        expired
    );
    assert_eq!(
        detail("h5_app_id", H5_SECRET, ios.clone(), 1).await,
        expired
    );
    assert_eq!(
        detail("ios_app_id", IOS_SECRET, ios.clone(), 3).await,
        expired
    );
    // Each still works where it was issued, and in its own class.
    assert_code(&detail("ios_app_id", IOS_SECRET, ios.clone(), 1).await, 200);
    assert_code(&detail("android_app_id", ANDROID_SECRET, ios, 2).await, 200);
    assert_code(&detail("h5_app_id", H5_SECRET, h5, 3).await, 200);
}

/// `yafgate check-config` on `settings` and `apps`: success and output.
fn check_config(settings: &Settings, apps: &str, envs: &[(&str, &str)]) -> (bool, String) {
    crate::helpers::procs::check_settings(settings, apps, envs)
}

fn env_settings(env: yafgate::config::settings::RunEnv) -> Settings {
    let mut s = process_settings("postgres://127.0.0.1:1/none");
    s.env = env;
    s.sms.echo_code = false;
    s.wechat.driver = yafgate::config::settings::WechatDriver::Api;
    s
}

#[tokio::test]
async fn shared_environments_refuse_demo_and_weak_secrets() {
    use yafgate::config::settings::RunEnv;
    let strong = "Zq3v8Lk1Tn5Wc0Rb7Yh2Pm9Xs4Df6Gj8";
    let one_app = |secret: &str| {
        format!(
            "[apps.shop_app]\nname = \"Shop\"\ntype = \"app\"\nsecrets = [\"{strong}\", {secret}]\n\
             methods = [\"user.*\"]\nrate_limit = {{ requests = 100 }}\nrate_limit_per_ip = {{ requests = 10 }}\n\
             rate_limit_per_device = {{ requests = 10 }}\n"
        )
    };
    for env in [RunEnv::Pre, RunEnv::Beta, RunEnv::Pro] {
        let s = env_settings(env);
        let (ok, out) = check_config(&s, &default_apps(), &[]);
        assert!(!ok, "{env:?} accepted the demo secrets: {out}");
        assert!(
            out.contains("apps.admin_app_id") && out.contains("demo secret"),
            "{out}"
        );
        assert!(!out.contains(ADMIN_SECRET), "the secret is printed: {out}");
        let shipped =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/apps.toml"))
                .unwrap();
        let (ok, out) = check_config(&s, &shipped, &[]);
        assert!(!ok && out.contains("demo secret"), "{out}");
        for (secret, why) in [
            ("\"Zq3v8Lk1Tn5Wc0Rb7Yh2\"", "shorter than 32"),
            ("{ id = \"2026\", env = \"SHOP_SECRET\" }", "distinct"),
        ] {
            let (ok, out) =
                check_config(&s, &one_app(secret), &[("SHOP_SECRET", &"ab".repeat(20))]);
            assert!(!ok, "{env:?} accepted a weak secret: {out}");
            assert!(out.contains("apps.shop_app") && out.contains(why), "{out}");
            assert!(
                !out.contains("Zq3v8Lk1Tn5Wc0Rb7Yh2") && !out.contains(&"ab".repeat(20)),
                "{out}"
            );
        }
        let good = "{ env = \"SHOP_SECRET\" }".to_string();
        let (ok, out) = check_config(
            &s,
            &one_app(&good),
            &[("SHOP_SECRET", "Hn4Rt7Vb2Xc9Lm5Qs8Wd3Kf6Jp1Zg0Ya")],
        );
        assert!(ok, "{env:?} refused strong secrets: {out}");
    }
    // dev and test keep working on the demo values.
    for env in [RunEnv::Dev, RunEnv::Test] {
        let (ok, out) = check_config(&env_settings(env), &default_apps(), &[]);
        assert!(ok, "{out}");
    }
    // serve refuses too, and says why.
    let s = env_settings(RunEnv::Pro);
    let mut gateway = GatewayProcess::start_raw(
        &config::to_toml(&s),
        &default_apps(),
        Launch::default().log_to_file(),
    );
    let status = gateway.wait_exit(30).await.expect("serve exits");
    assert!(!status.success());
    let log = gateway.log();
    assert!(
        log.contains("apps.admin_app_id") && log.contains("demo secret"),
        "{log}"
    );
}
