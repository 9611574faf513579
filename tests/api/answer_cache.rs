//! The answer cache (README, Caching): public answers lag PostgreSQL by at
//! most cache.ttl_ms, and not at all when it is 0.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

/// A change in the database and where it shows in a public answer.
struct Case {
    method: &'static str,
    params: Value,
    change: &'static str,
    pointer: &'static str,
}

fn cases() -> Vec<Case> {
    let case = |method, params, change, pointer| Case {
        method,
        params,
        change,
        pointer,
    };
    vec![
        case(
            "system.category.list",
            json!({"parentid": 0, "cat_type": 1}),
            "UPDATE categories SET cat_name = '改过' WHERE id = 1",
            "/data/0_1/cat_name",
        ),
        case(
            "system.ads",
            json!({"code": "home_banner"}),
            "UPDATE ads SET ad_name = '改过' WHERE id = 6",
            "/data/list/0/ad_name",
        ),
        case(
            "system.home",
            json!({}),
            "UPDATE ads SET ad_image_url = '改过' WHERE id = 6",
            "/data/ads/0/ad_image_url",
        ),
        case(
            "system.link",
            json!({}),
            "UPDATE links SET link_name = '改过' WHERE id = 1",
            "/data/list/0/links/0/link_name",
        ),
        case(
            "system.upgrade",
            json!({"app_v": "1.9.0"}),
            "UPDATE app_upgrades SET app_title = '改过' WHERE id = 3",
            "/data/app_title",
        ),
        case(
            "notice.list",
            json!({"page": 1}),
            "UPDATE notices SET title = '改过' WHERE id = 3",
            "/data/list/0/title",
        ),
        case(
            "notice.detail",
            json!({"noticeid": 2}),
            "UPDATE notices SET summary = '改过' WHERE id = 2",
            "/data/summary",
        ),
        case(
            "news.list",
            json!({"cat_id": -1, "page": 1}),
            "UPDATE news SET title = '改过' WHERE id = 8",
            "/data/list/0/title",
        ),
        case(
            "news.detail",
            json!({"news_id": 1}),
            "UPDATE news SET content = '改过' WHERE id = 1",
            "/data/content",
        ),
        case(
            "goods.list",
            json!({"cat_id": -1, "keywords": "", "start_price": -1, "end_price": -1, "page": 1}),
            "UPDATE goods SET goods_name = '改过' WHERE id = 21",
            "/data/list/0/goods_name",
        ),
        case(
            "goods.detail",
            json!({"goods_id": 19}),
            "UPDATE goods_products SET stock = 5 WHERE id = 38",
            "/data/products/颜色:::红色/stock",
        ),
    ]
}

async fn at(app: &TestApp, case: &Case) -> Value {
    let env = app.call(case.method, case.params.clone()).await;
    assert_code(&env, 200);
    env.pointer(case.pointer)
        .unwrap_or_else(|| panic!("{}: no {} in {env}", case.method, case.pointer))
        .clone()
}

async fn cached_app(ttl_ms: u64) -> (TestApp, tokio_postgres::Client) {
    let app = spawn_app_with(Options::configure(move |s| {
        config::set_cache_ttl(s, Duration::from_millis(ttl_ms));
    }))
    .await;
    let db = app.database.as_ref().unwrap().client().await;
    (app, db)
}

#[tokio::test]
async fn a_database_change_shows_in_public_answers_only_once_the_ttl_has_passed() {
    let (app, db) = cached_app(60_000).await;
    let cases = cases();
    let mut before = Vec::new();
    for c in &cases {
        before.push(at(&app, c).await);
    }
    for c in &cases {
        db.batch_execute(c.change).await.unwrap();
    }
    for (c, old) in cases.iter().zip(&before) {
        assert_eq!(
            &at(&app, c).await,
            old,
            "{} answered from the database within the TTL",
            c.method
        );
    }
    app.state.clock.advance(61);
    for (c, old) in cases.iter().zip(&before) {
        assert_ne!(
            &at(&app, c).await,
            old,
            "{} still cached after the TTL",
            c.method
        );
    }
}

#[tokio::test]
async fn with_the_cache_off_every_answer_reads_the_database() {
    let (app, db) = cached_app(0).await;
    for c in cases() {
        let old = at(&app, &c).await;
        db.batch_execute(c.change).await.unwrap();
        assert_ne!(at(&app, &c).await, old, "{}", c.method);
    }
}

#[tokio::test]
async fn a_short_ttl_lets_a_change_through_in_real_time() {
    let (app, db) = cached_app(100).await;
    let read = || async {
        let env = app.call("news.detail", json!({"news_id": 8})).await;
        env["data"]["title"].clone()
    };
    assert_ne!(read().await, "改过");
    db.batch_execute("UPDATE news SET title = '改过' WHERE id = 8")
        .await
        .unwrap();
    wait_until(
        "the new title shows once 100 ms have passed",
        10,
        || async { read().await == "改过" },
    )
    .await;
}

#[tokio::test]
async fn not_found_is_cached_too() {
    let (app, db) = cached_app(60_000).await;
    let detail = || app.call("notice.detail", json!({"noticeid": 4}));
    assert_code(&detail().await, 404);
    db.batch_execute("UPDATE notices SET display = TRUE WHERE id = 4")
        .await
        .unwrap();
    assert_code(&detail().await, 404);
    app.state.clock.advance(61);
    assert_code(&detail().await, 200);
}

#[tokio::test]
async fn answers_differ_by_their_parameters() {
    let (app, _db) = cached_app(60_000).await;
    let one = app.call("news.detail", json!({"news_id": 1})).await;
    let two = app.call("news.detail", json!({"news_id": 2})).await;
    assert_eq!(
        (&one["data"]["news_id"], &two["data"]["news_id"]),
        (&json!(1), &json!(2))
    );
    // The upgrade rules are shared; the advice is still the caller's own.
    let old = app.call("system.upgrade", json!({"app_v": "1.0.0"})).await;
    let new = app.call("system.upgrade", json!({"app_v": "1.10.0"})).await;
    assert_eq!(
        (&old["data"]["upgrade_way"], &new["data"]["upgrade_way"]),
        (&json!(2), &json!(0))
    );
    let android = app
        .call("system.upgrade", json!({"app_v": "1.0.0", "platform": 2}))
        .await;
    assert_eq!(android["data"]["app_url"], "https://github.com/fingerQin");
}
