//! Places: over 10 000 merchants the nearest come first with the distances
//! computed here, walking the GiST index; radius filters; the demo areas
//! answer the tree, the cities with the hot list and the nearest county.

use serde_json::json;
use tokio_postgres::Client;

use super::*;

/// 10 000 merchants scattered over about 100 km around 成都 (category 4,
/// city 510100), as scripts/bench seeds them.
async fn ten_thousand(db: &Client) {
    db.batch_execute(
        "INSERT INTO mp_merchants (oper_id, merchant_category_id, name, province_id, city_id, area_id, lng, lat) \
         SELECT 2, 4, '压测商家' || i, 510000, 510100, 510104, \
                104.066 + 0.5 * sin(i * 1.7), 30.572 + 0.4 * cos(i * 2.3) \
         FROM generate_series(1, 10000) AS i; ANALYZE mp_merchants;",
    )
    .await
    .unwrap();
}

async fn index_scans(db: &Client) -> i64 {
    db.query_one(
        "SELECT COALESCE(idx_scan, 0) FROM pg_stat_user_indexes WHERE indexrelname = 'mp_merchants_earth'",
        &[],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn over_ten_thousand_merchants_the_nearest_come_first_by_the_index() {
    let app = mp_app().await;
    let db = db(&app).await;
    ten_thousand(&db).await;
    let here = (104.0, 30.6);

    // The test's own order of every listed merchant.
    let mut all: Vec<(f64, i64)> = db
        .query(
            "SELECT id, lng, lat FROM mp_merchants WHERE status = 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (haversine(EARTH, here, (r.get(1), r.get(2))), r.get(0)))
        .collect();
    assert!(all.len() > 10_000);
    all.sort_by(|a, b| a.0.total_cmp(&b.0));

    let scans = index_scans(&db).await;
    let mut seen = Vec::new();
    for page in 1..=3 {
        let data = app
            .mp_ok(
                "mp.merchant.list",
                "",
                json!({"lng": here.0, "lat": here.1, "page": page}),
            )
            .await;
        assert_eq!(data["total"].as_i64().unwrap(), all.len() as i64);
        for m in data["list"].as_array().unwrap() {
            let ours = haversine(
                EARTH,
                here,
                (m["lng"].as_f64().unwrap(), m["lat"].as_f64().unwrap()),
            );
            assert!(close(m["distance"].as_f64().unwrap(), ours), "{m}");
            seen.push((ours, m["id"].as_i64().unwrap()));
        }
    }
    assert_eq!(seen.len(), 30);
    for (i, (d, _)) in seen.iter().enumerate() {
        assert!((d - all[i].0).abs() < 0.5, "rank {i}: {d} vs {}", all[i].0);
    }

    // The gateway's own query went through the GiST index.
    let db2 = &db;
    wait_until("the index scans are counted", 10, || async move {
        index_scans(db2).await >= scans + 3
    })
    .await;
    let plan: Vec<String> = db
        .query(
            "EXPLAIN SELECT m.id FROM mp_merchants m WHERE m.status = 1 \
             ORDER BY ll_to_earth(m.lat, m.lng) <-> ll_to_earth(30.6, 104.0) LIMIT 10",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(plan.join("\n").contains("mp_merchants_earth"), "{plan:?}");

    // A radius keeps only what is inside it, still nearest first.
    let data = app
        .mp_ok(
            "mp.merchant.list",
            "",
            json!({"lng": here.0, "lat": here.1, "radius": 2000}),
        )
        .await;
    let inside = all.iter().filter(|(d, _)| *d <= 2000.0 * 0.998).count() as i64;
    let total = data["total"].as_i64().unwrap();
    assert!(
        total >= inside && total <= inside + 5,
        "{total} vs {inside}"
    );
    for m in data["list"].as_array().unwrap() {
        assert!(m["distance"].as_f64().unwrap() <= 2000.0);
    }
}

#[tokio::test]
async fn the_demo_places_answer_areas_categories_and_filters() {
    let app = mp_app().await;
    let tree = app.mp_ok("mp.area.tree", "", json!({})).await;
    let sichuan = tree["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["area_id"] == 510000)
        .unwrap()
        .clone();
    assert_eq!(sichuan["name"], "四川省");
    assert_eq!(sichuan["sub"][0]["name"], "成都市");
    assert_eq!(sichuan["sub"][0]["sub"][0]["name"], "锦江区");
    let top = app.mp_ok("mp.area.tree", "", json!({"tier": 1})).await;
    assert!(top["list"][0].get("sub").is_none());
    assert_eq!(top["list"].as_array().unwrap().len(), 5);

    let cities = app.mp_ok("mp.area.cities", "", json!({})).await;
    let keys: Vec<&String> = cities.as_object().unwrap().keys().collect();
    assert_eq!(keys[0], "热门");
    assert!(
        cities["热门"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "成都市")
    );
    assert!(
        cities["C"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "成都市")
    );
    assert!(
        cities["N"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "成都市")
    );

    // 天府广场, then the Bund.
    let at = app
        .mp_ok("mp.area.by_gps", "", json!({"lng": 104.066, "lat": 30.657}))
        .await;
    assert_eq!(
        (
            at["province"].clone(),
            at["city"].clone(),
            at["area_id"].clone()
        ),
        (json!("四川省"), json!("成都市"), json!(510104))
    );
    let at = app
        .mp_ok(
            "mp.area.by_gps",
            "",
            json!({"lng": "121.490", "lat": "31.240"}),
        )
        .await;
    assert_eq!(
        (at["city_id"].clone(), at["area"].clone()),
        (json!(310100), json!("黄浦区"))
    );

    let cats = app.mp_ok("mp.merchant.category.tree", "", json!({})).await;
    let list = cats["list"].as_array().unwrap();
    assert_eq!(list.len(), 3, "the disabled category is not listed");
    assert_eq!(list[0]["sub"][0]["name"], "火锅");

    // City, category (with its children) and keyword filters.
    let data = app
        .mp_ok(
            "mp.merchant.list",
            "",
            json!({"city_id": 510100, "merchant_category_id": 1}),
        )
        .await;
    for m in data["list"].as_array().unwrap() {
        assert_eq!(m["city_id"], 510100);
        assert!(
            m["merchant_category_id"] == 4 || m["merchant_category_id"] == 5,
            "{m}"
        );
        assert!(m.get("distance").is_none());
    }
    let hotpot = app
        .mp_ok(
            "mp.merchant.list",
            "",
            json!({"keyword": "锦江区老码头火锅1"}),
        )
        .await;
    assert_eq!(hotpot["total"], 1);
    let percent = app
        .mp_ok("mp.merchant.list", "", json!({"keyword": "%"}))
        .await;
    assert_eq!(percent["total"], 0, "a wildcard is matched literally");

    let id = hotpot["list"][0]["id"].as_i64().unwrap();
    let m = app
        .mp_ok(
            "mp.merchant.detail",
            "",
            json!({"id": id, "lng": 104.083, "lat": 30.656}),
        )
        .await;
    assert_eq!(m["merchantCategoryName"], "火锅");
    assert_eq!(m["business_time"], json!(["10:00:00", "22:00:00"]));
    assert!(m["distance"].as_i64().unwrap() < 5000);
    let env = app.mpc("mp.merchant.detail", "", json!({"id": 16})).await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(404), json!("商家不存在"))
    );
}
