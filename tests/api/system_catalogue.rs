//! system.upgrade (app.upgrade), system.ads, system.link,
//! system.category.list and system.home (docs/methods.md), against
//! the demo data of sql/demo/2x_*.sql.

use serde_json::{Value, json};

use crate::helpers::shape::{assert_shape, seed_data};
use crate::helpers::*;

const SEED_UPGRADE: &str = r#"{
    "code": 200, "msg": "success",
    "data": {"upgrade_way": 0, "app_v": "", "app_title": "", "app_desc": "", "app_url": "", "dialog_repeat": 0, "origin_v": "1.0.0"}
}"#;

const SEED_ADS: &str = r#"{
    "code": 200, "msg": "success",
    "data": {"list": [{"ad_id": 6, "ad_name": "世界杯广告", "ad_image_url": "http://xx.com/files/5b9a1b9e34193.png", "ad_url": "http://www.baidu.com"}]}
}"#;

const SEED_LINK: &str = r#"{
    "code": 200, "msg": "success",
    "data": {"list": [{"cat_id": 7, "cat_name": "搜索引擎", "links": [{"link_name": "Google", "link_url": "https://www.google.com", "image_url": ""}]}]}
}"#;

const SEED_CATEGORIES: &str = r#"{
    "code": 200, "msg": "Success",
    "data": {
        "0_1": {"cat_id": 1, "cat_name": "理财资讯", "parentid": 0, "cat_code": "100000000000000000000000000000",
            "sub": {
                "0_2": {"cat_id": 2, "cat_name": "基金", "parentid": 1, "cat_code": "100100000000000000000000000000", "sub": []},
                "0_3": {"cat_id": 3, "cat_name": "股票", "parentid": 1, "cat_code": "100101000000000000000000000000", "sub": []}
            }},
        "0_4": {"cat_id": 4, "cat_name": "体育新闻", "parentid": 0, "cat_code": "101000000000000000000000000000",
            "sub": {
                "0_5": {"cat_id": 5, "cat_name": "足球", "parentid": 4, "cat_code": "101100000000000000000000000000", "sub": []},
                "0_6": {"cat_id": 6, "cat_name": "篮球", "parentid": 4, "cat_code": "101101000000000000000000000000", "sub": []}
            }}
    }
}"#;

const SEED_HOME: &str = r#"{
    "code": 200, "msg": "success",
    "data": {"ads": [{"ad_id": 6, "ad_name": "世界杯广告", "ad_image_url": "http://xxx.com/files/5b9a1b9e34193.png", "ad_url": "http://www.baidu.com"}]}
}"#;

/// Unix seconds of 2099-06-01 00:00:00 +08:00.
const MID_2099: i64 = 4_083_926_400;

fn ids(list: &Value, key: &str) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_i64().unwrap())
        .collect()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

// system.upgrade ------------------------------------------------------------

#[tokio::test]
async fn upgrade_for_the_latest_version_is_the_seeds_no_upgrade_answer() {
    let app = spawn_app().await;
    let env = app.call("system.upgrade", json!({"app_v": "1.10.0"})).await;
    assert_code(&env, 200);
    assert_shape(&env["data"], &seed_data(SEED_UPGRADE));
    let mut expected = seed_data(SEED_UPGRADE);
    expected["origin_v"] = json!("1.10.0");
    assert_eq!(env["data"], expected);
}

#[tokio::test]
async fn upgrade_compares_versions_as_numbers_so_1_9_0_is_older_than_1_10_0() {
    let app = spawn_app().await;
    let env = app.call("system.upgrade", json!({"app_v": "1.9.0"})).await;
    assert_code(&env, 200);
    assert_shape(&env["data"], &seed_data(SEED_UPGRADE));
    assert_eq!(
        env["data"],
        json!({
            "upgrade_way": 1, "app_v": "1.10.0", "app_title": "发现新版本 1.10.0",
            "app_desc": "修复了若干问题，体验更流畅。", "app_url": "", "dialog_repeat": 0, "origin_v": "1.9.0"
        })
    );
}

#[tokio::test]
async fn upgrade_picks_the_rule_of_platform_channel_and_version() {
    let app = spawn_app().await;
    let github = "https://github.com/fingerQin";
    // (platform, channel, app_v) → (upgrade_way, target, app_url)
    let cases = [
        (1, "", "0.9.0", 3, "", ""),
        (1, "", "1.0.0", 2, "1.10.0", ""),
        (1, "", "1.4.99", 2, "1.10.0", ""),
        (1, "", "1.5.0", 1, "1.10.0", ""),
        (1, "", "1.10.0", 0, "", ""),
        (1, "", "", 0, "", ""),
        (2, "", "0.5", 3, "", github),
        (2, "", "1.2.0", 2, "1.10.0", github),
        (2, "", "1.6.0", 1, "1.10.0", github),
        (
            2,
            "huawei",
            "1.6.0",
            1,
            "1.10.0",
            "https://appgallery.huawei.com/app/yafgate",
        ),
        (2, "huawei", "1.2.0", 2, "1.10.0", github),
        (2, "internal", "1.0.0", 0, "", ""),
        (2, "", "2.0", 0, "", ""),
        (3, "", "", 0, "", ""),
        (4, "", "1.0.0", 0, "", ""),
    ];
    for (platform, channel, app_v, way, target, url) in cases {
        let params = json!({"platform": platform, "channel": channel, "app_v": app_v});
        let env = app.call("system.upgrade", params).await;
        assert_code(&env, 200);
        let d = &env["data"];
        let case = format!("platform {platform} channel {channel:?} app_v {app_v:?}: {d}");
        assert_eq!(d["upgrade_way"], way, "{case}");
        assert_eq!(d["app_v"], target, "{case}");
        assert_eq!(d["app_url"], url, "{case}");
        assert_eq!(d["origin_v"], app_v, "{case}");
    }
}

#[tokio::test]
async fn app_upgrade_is_an_alias_answering_exactly_as_system_upgrade() {
    let app = spawn_app().await;
    for app_v in ["1.0.0", "1.9.0", "1.10.0"] {
        let a = app.call("system.upgrade", json!({"app_v": app_v})).await;
        let b = app.call("app.upgrade", json!({"app_v": app_v})).await;
        assert_code(&a, 200);
        assert_eq!(a, b, "app_v {app_v}");
    }
}

#[tokio::test]
async fn a_switched_off_rule_is_ignored() {
    let app = spawn_app().await;
    // Rule 9 (Android, every version, app closed) is disabled in the demo data.
    let env = app
        .call("system.upgrade", json!({"platform": 2, "app_v": "1.10.0"}))
        .await;
    assert_eq!(env["data"]["upgrade_way"], 0, "{env}");
}

// system.ads and system.home ------------------------------------------------

#[tokio::test]
async fn ads_list_the_positions_current_ads_in_the_seed_shape() {
    let app = spawn_app().await;
    let env = app.call("system.ads", json!({"code": "home_banner"})).await;
    assert_code(&env, 200);
    assert_shape(&env["data"], &seed_data(SEED_ADS));
    // 9 has ended, 10 has not started, 11 is hidden.
    assert_eq!(ids(&env["data"]["list"], "ad_id"), [6, 8]);
    assert_eq!(env["data"]["list"][0], seed_data(SEED_ADS)["list"][0]);

    let env = app.call("system.ads", json!({"code": "app_start"})).await;
    assert_eq!(ids(&env["data"]["list"], "ad_id"), [7]);
}

#[tokio::test]
async fn ads_show_only_within_their_display_window() {
    let app = spawn_app().await;
    app.state.clock.advance(MID_2099 - app.state.clock.now());
    let env = app.call("system.ads", json!({"code": "home_banner"})).await;
    assert_code(&env, 200);
    // Ad 10 runs through 2099 and sorts first.
    assert_eq!(ids(&env["data"]["list"], "ad_id"), [10, 6, 8]);
}

#[tokio::test]
async fn ads_of_a_switched_off_position_are_an_empty_list_and_an_unknown_one_is_404() {
    let app = spawn_app().await;
    let env = app
        .call("system.ads", json!({"code": "activity_popup"}))
        .await;
    assert_code(&env, 200);
    assert_eq!(env["data"], json!({"list": []}));

    let env = app
        .call("system.ads", json!({"code": "no_such_position"}))
        .await;
    assert_code(&env, 404);
    assert_eq!(env["msg"], "广告位不存在");
    assert!(env.get("data").is_none());
}

#[tokio::test]
async fn ads_refuse_a_missing_or_empty_code_by_name() {
    let app = spawn_app().await;
    for (params, msg) in [
        (json!({}), "缺少参数 code"),
        (json!({"code": ""}), "参数 code 不能为空"),
        (json!({"code": "  "}), "参数 code 不能为空"),
        (json!({"code": ["home_banner"]}), "参数 code 格式不正确"),
        (json!({"code": "home\u{0}banner"}), "参数 code 格式不正确"),
    ] {
        let env = app.call("system.ads", params.clone()).await;
        assert_code(&env, 503);
        assert_eq!(env["msg"], msg, "{params}");
    }
}

#[tokio::test]
async fn home_shows_the_home_banner_ads_in_the_seed_shape() {
    let app = spawn_app().await;
    let env = app.call("system.home", json!({"token": ""})).await;
    assert_code(&env, 200);
    assert_shape(&env["data"], &seed_data(SEED_HOME));
    assert_eq!(ids(&env["data"]["ads"], "ad_id"), [6, 8]);
}

// system.link ---------------------------------------------------------------

#[tokio::test]
async fn links_are_grouped_by_visible_category_in_the_seed_shape() {
    let app = spawn_app().await;
    let env = app.call("system.link", json!({"token": ""})).await;
    assert_code(&env, 200);
    assert_shape(&env["data"], &seed_data(SEED_LINK));
    let list = &env["data"]["list"];
    // Category 8 has no links of its own; Bing (in 7) is hidden.
    assert_eq!(ids(list, "cat_id"), [7, 9, 10]);
    assert_eq!(list[0], seed_data(SEED_LINK)["list"][0]);
    assert_eq!(list[1]["links"].as_array().unwrap().len(), 2);
}

// system.category.list ------------------------------------------------------

#[tokio::test]
async fn the_news_category_tree_is_the_seeds_example() {
    let app = spawn_app().await;
    let env = app
        .call(
            "system.category.list",
            json!({"parentid": 0, "cat_type": 1, "token": ""}),
        )
        .await;
    assert_code(&env, 200);
    assert_shape(&env["data"], &seed_data(SEED_CATEGORIES));
    // The hidden category 16 (under 4) is left out.
    assert_eq!(env["data"], seed_data(SEED_CATEGORIES));
}

#[tokio::test]
async fn a_category_subtree_is_what_lies_under_parentid_of_that_type() {
    let app = spawn_app().await;
    let tree = |parentid: i64, cat_type: i64| {
        let app = &app;
        async move {
            let params = json!({"parentid": parentid, "cat_type": cat_type});
            let env = app.call("system.category.list", params).await;
            assert_code(&env, 200);
            env["data"].clone()
        }
    };
    let sports = tree(4, 1).await;
    assert_eq!(keys(&sports), ["0_5", "0_6"]);
    assert_eq!(sports["0_5"]["sub"], json!([]));

    let goods = tree(0, 3).await;
    assert_eq!(keys(&goods), ["0_11", "0_14"]);
    assert_eq!(keys(&goods["0_11"]["sub"]), ["0_12", "0_13"]);
    assert_eq!(goods["0_11"]["sub"]["0_13"]["parentid"], 11);

    let links = tree(0, 2).await;
    assert_eq!(keys(&links), ["0_7", "0_8"]);
    assert_eq!(links["0_7"]["sub"], json!([]));

    // A leaf has nothing under it: an empty object, never a list.
    assert_eq!(tree(5, 1).await, json!({}));
}

#[tokio::test]
async fn a_category_parent_that_is_missing_hidden_or_of_another_type_is_404() {
    let app = spawn_app().await;
    for (parentid, cat_type) in [(999, 1), (16, 1), (7, 1), (1, 3)] {
        let params = json!({"parentid": parentid, "cat_type": cat_type});
        let env = app.call("system.category.list", params).await;
        assert_code(&env, 404);
        assert_eq!(env["msg"], "分类不存在");
    }
}

#[tokio::test]
async fn category_list_refuses_bad_parameters_by_name() {
    let app = spawn_app().await;
    let type_msg = "参数 cat_type 不正确（1-文章分类、2-友情链接、3-商品分类）";
    for (params, msg) in [
        (json!({"parentid": 0}), "缺少参数 cat_type"),
        (json!({"cat_type": 1}), "缺少参数 parentid"),
        (json!({"parentid": 0, "cat_type": 0}), type_msg),
        (json!({"parentid": 0, "cat_type": 4}), type_msg),
        (
            json!({"parentid": 0, "cat_type": "x"}),
            "参数 cat_type 格式不正确",
        ),
        (
            json!({"parentid": -1, "cat_type": 1}),
            "参数 parentid 不正确（顶级传 0）",
        ),
        (
            json!({"parentid": 1.5, "cat_type": 1}),
            "参数 parentid 格式不正确",
        ),
    ] {
        let env = app.call("system.category.list", params.clone()).await;
        assert_code(&env, 503);
        assert_eq!(env["msg"], msg, "{params}");
    }
    // Numbers may come as strings.
    let env = app
        .call(
            "system.category.list",
            json!({"parentid": "0", "cat_type": "1"}),
        )
        .await;
    assert_code(&env, 200);
}
