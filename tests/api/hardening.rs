//! The shipped appids hardened (docs/protocol.md §11.3, §12.3): every
//! appid has limits per appid, per client IP and per device, its SMS and
//! login methods their own; the app appids list the namespaces they serve;
//! `check-config` warns of an appid without limits or with every method,
//! and `pro` refuses it; the shipped limits stop one client from flooding
//! the merchant ranking.

use serde_json::json;
use yafgate::config::apps::{AppTable, Scope};
use yafgate::config::settings::{RunEnv, WechatDriver};

use crate::helpers::procs::{check_settings, process_settings};
use crate::helpers::*;

fn shipped_text() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/apps.toml")).unwrap()
}

fn shipped() -> AppTable {
    AppTable::parse(&shipped_text(), |_| None).unwrap()
}

/// The SMS and login methods each product appid serves.
const GUARDED: &[(&str, &[&str])] = &[
    ("ios_app_id", &["sms.send", "user.login", "user.register"]),
    (
        "android_app_id",
        &["sms.send", "user.login", "user.register"],
    ),
    ("h5_app_id", &["sms.send", "user.login", "user.register"]),
    ("home_app_id", &["sms.send", "user.wx.login"]),
    (
        "mp_app_id",
        &["sms.send", "mp.sms.code", "user.wx.login", "mp.wx.login"],
    ),
    (
        "supplier_app_id",
        &[
            "sms.send",
            "user.wx.login",
            "supplier.login",
            "supplier.login.sms",
        ],
    ),
    (
        "consult_app_id",
        &["sms.send", "consult.user.login", "consult.user.signin"],
    ),
];

#[test]
fn every_shipped_appid_has_its_limits_and_lists_its_namespaces() {
    let apps = shipped();
    for app in apps.iter() {
        assert_eq!(app.exposures(), Vec::<String>::new(), "apps.{}", app.appid);
    }
    for (appid, methods) in GUARDED {
        let app = apps.get(appid).unwrap();
        for m in *methods {
            for scope in [Scope::Ip, Scope::Device] {
                let limits = match scope {
                    Scope::Ip => &app.limits.ip,
                    _ => &app.limits.device,
                };
                assert!(
                    limits.methods.contains_key(*m),
                    "apps.{appid}: {m} has no {scope:?} limit of its own"
                );
            }
        }
    }
    // The app appids serve the gateway's namespaces, not the products'.
    for appid in ["ios_app_id", "android_app_id"] {
        let app = apps.get(appid).unwrap();
        assert!(
            app.may_call("user.login") && app.may_call("order.list"),
            "{appid}"
        );
        for product in [
            "mp.merchant.list",
            "home.category.list",
            "supplier.home",
            "consult.post.check",
        ] {
            assert!(!app.may_call(product), "{appid} may call {product}");
        }
    }
    // The expensive ranking has a budget of its own per client.
    let mp = apps.get("mp_app_id").unwrap();
    assert!(mp.limits.ip.methods["mp.merchant.list"].requests <= 60);
    assert!(mp.limits.device.methods["mp.merchant.list"].requests <= 30);
}

/// Settings of `env` that are otherwise fit for it.
fn env_settings(env: RunEnv) -> Settings {
    let mut s = process_settings("postgres://127.0.0.1:1/none");
    s.env = env;
    s.sms.echo_code = false;
    s.wechat.driver = WechatDriver::Api;
    s
}

#[test]
fn check_config_warns_of_an_exposed_appid_and_pro_refuses_it() {
    let strong = "Hn4Rt7Vb2Xc9Lm5Qs8Wd3Kf6Jp1Zg0Ya";
    let open =
        "[apps.shop]\nname = \"Shop\"\ntype = \"app\"\nsecrets = [{ env = \"SHOP_SECRET\" }]\n";
    let env = [("SHOP_SECRET", strong)];
    let (ok, out) = check_settings(&env_settings(RunEnv::Dev), open, &env);
    assert!(ok, "{out}");
    for why in [
        "methods = [\"*\"]",
        "no rate_limit;",
        "no rate_limit_per_ip",
        "no rate_limit_per_device",
    ] {
        assert!(out.contains(&format!("apps.shop: {why}")), "{why}: {out}");
    }
    assert!(out.contains("warning:"), "{out}");
    let (ok, out) = check_settings(&env_settings(RunEnv::Pro), open, &env);
    assert!(!ok, "pro accepted an appid without limits: {out}");
    assert!(
        out.contains("apps.shop") && out.contains("env Pro refuses"),
        "{out}"
    );

    let closed = format!(
        "{open}methods = [\"user.*\"]\nrate_limit = {{ requests = 100 }}\nrate_limit_per_ip = {{ requests = 10 }}\nrate_limit_per_device = {{ requests = 10 }}\n"
    );
    let (ok, out) = check_settings(&env_settings(RunEnv::Pro), &closed, &env);
    assert!(ok && !out.contains("warning:"), "{out}");
    // A server appid has no devices: its IP and appid limits suffice.
    let server = "[apps.office]\nname = \"Office\"\ntype = \"admin\"\nsecrets = [{ env = \"SHOP_SECRET\" }]\n\
         methods = [\"pay.*\"]\nrate_limit = { requests = 100 }\nrate_limit_per_ip = { requests = 10 }\n";
    let (ok, out) = check_settings(&env_settings(RunEnv::Pro), server, &env);
    assert!(ok, "{out}");
}

#[tokio::test]
async fn the_shipped_limits_stop_one_client_flooding_the_merchant_ranking() {
    let app = spawn_app_with(Options {
        apps: shipped_text(),
        ..Options::default()
    })
    .await;
    // Start at the beginning of a limit window, so the burst is in one.
    let now = app.state.clock.now();
    app.state.clock.advance(60 - now.rem_euclid(60));
    let secret = "d3m0m1n1p70g7am0a1b2c3d4e5f60718";
    // Ten at a time: the test's own PostgreSQL is not the subject (the
    // pool would time out under a busy test run), the limit is.
    let mut answers = Vec::new();
    for chunk in 0..30 {
        let calls = (0..10).map(|i| {
            let params = json!({
                "platform": 6, "unique_id": format!("flood-{chunk}-{i}"),
                "lng": 113.32, "lat": 23.13, "radius": 20_000_000.0
            });
            app.call_as("mp_app_id", secret, "mp.merchant.list", params)
        });
        answers.extend(futures_util::future::join_all(calls).await);
    }
    let code = |c: i64| answers.iter().filter(|e| e["code"] == c).count();
    assert_eq!(
        (code(200), code(511)),
        (60, 240),
        "fresh devices, one address"
    );
}

/// Heavy reads of the test below wait here until the test lets them go.
static RELEASE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(0);
static ENTERED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct NoParams {}

async fn held_ranking(
    _: yafgate::handler::Ctx,
    _: NoParams,
) -> yafgate::handler::ApiResult<yafgate::handler::Reply> {
    ENTERED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    RELEASE.acquire().await.unwrap().forget();
    Ok(yafgate::handler::Reply::empty("ranked"))
}

#[tokio::test]
async fn heavy_reads_take_turns_and_those_without_one_answer_511() {
    use yafgate::handler::{Method, Registry};
    let app = spawn_app_with(Options {
        extend: Some(Box::new(|r: &mut Registry| {
            r.add(Method::new("test.ranking", "1.0.0").heavy(), held_ranking);
        })),
        ..Options::configure(|s| {
            s.postgres.heavy_reads = 2;
            s.postgres.heavy_wait_ms = std::time::Duration::from_millis(100);
        })
    })
    .await;
    let app = std::sync::Arc::new(app);
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.call("test.ranking", json!({})).await["code"].clone() })
        })
        .collect();
    // Two take the turns and hold them; the other three wait their 100 ms
    // and are refused, while the two are still running.
    wait_until("two heavy reads run", 10, || async {
        ENTERED.load(std::sync::atomic::Ordering::SeqCst) == 2
    })
    .await;
    wait_until("three are refused", 10, || async {
        calls.iter().filter(|c| c.is_finished()).count() == 3
    })
    .await;
    assert_eq!(ENTERED.load(std::sync::atomic::Ordering::SeqCst), 2);
    RELEASE.add_permits(2);
    let mut codes = Vec::new();
    for c in calls {
        codes.push(c.await.unwrap().as_i64().unwrap());
    }
    codes.sort_unstable();
    assert_eq!(codes, [200, 200, 511, 511, 511]);
}
