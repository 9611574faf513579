//! news.list and news.detail (docs/methods.md). The demo data has 50
//! published articles (three pages of 20), 25 under each top category.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::shape::{assert_shape, seed_data};
use crate::helpers::*;

const SEED_LIST: &str = r#"{
    "code": 200, "msg": "success",
    "data": {
        "list": [
            {"news_id": 8, "title": "警方通报检察长妻子岳母殴打公交司机：两打人者被拘留",
             "intro": "经查，30路公交车女司机娄某珍在行驶过程中，与乘客杜某因小孩乘车问题发生言语纠纷。娄某珍先后于车上、车下用随车携带的水杯里的水、水桶里的污水泼洒杜某，杜某在车下用随身携带水杯里的水回泼娄某珍，后该公交车继续行驶。",
             "image_url": "", "source": "腾讯新闻", "c_time": "2019-08-21 20:04:07"},
            {"news_id": 7, "title": "全国“秋老虎”出没地图出炉！今年的秋老虎咬人吗？",
             "intro": "全国“秋老虎”出没地图出炉！今年的秋老虎咬人吗？",
             "image_url": "", "source": "腾讯新闻", "c_time": "2019-08-21 20:03:31"}
        ],
        "total": 8, "page": 1, "count": 20, "isnext": false
    }
}"#;

const SEED_DETAIL: &str = r#"{
    "code": 200, "msg": "success",
    "data": {
        "news_id": 1,
        "title": "为什么对老鼠的研究并不总能在人类身上重现",
        "intro": "十多年前，当人们开始为老鼠和人类绘制基因图谱时，一个国际研究团队就开始研究并比较二者之间的“任务控制中心”功能了。期待已久的报告发布在11月20日出版的《自然》杂志上。",
        "image_url": "",
        "source": "中国科学院",
        "c_time": "2019-08-21 19:56:14",
        "content": "<p>\r\n\t十多年前，当人们开始为老鼠和人类绘制基因图谱时，一个国际研究团队就开始研究并比较二者之间的“任务控制中心”功能了。期待已久的报告发布在11月20日出版的《自然》杂志上。</p>"
    }
}"#;

/// Unix seconds of 2099-01-02 00:00:00 +08:00, after article 52 is due.
const JAN_2099: i64 = 4_070_966_400;

async fn page(app: &TestApp, cat_id: Value, page: Value) -> Value {
    let env = app
        .call("news.list", json!({"cat_id": cat_id, "page": page}))
        .await;
    assert_code(&env, 200);
    env["data"].clone()
}

fn news_ids(data: &Value) -> Vec<i64> {
    data["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["news_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn news_list_is_newest_first_in_the_seed_shape() {
    let app = spawn_app().await;
    let data = page(&app, json!(-1), json!(1)).await;
    let seed = seed_data(SEED_LIST);
    assert_shape(&data, &seed);
    assert_eq!(data["list"][0], seed["list"][0]);
    assert_eq!(data["list"][1], seed["list"][1]);
}

#[tokio::test]
async fn news_pages_hold_twenty_and_say_whether_more_follow() {
    let app = spawn_app().await;
    // (asked, answered page, rows, isnext)
    let cases = [
        (0, 1, 20, true),
        (-3, 1, 20, true),
        (1, 1, 20, true),
        (2, 2, 20, true),
        (3, 3, 10, false),
        (4, 4, 0, false),
        (1000, 1000, 0, false),
        (i64::MAX / 10, i64::MAX / 10, 0, false),
    ];
    for (asked, answered, rows, isnext) in cases {
        let data = page(&app, json!(-1), json!(asked)).await;
        let case = format!("page {asked}");
        assert_eq!(data["list"].as_array().unwrap().len(), rows, "{case}");
        assert_eq!(data["total"], 50, "{case}");
        assert_eq!(data["page"], answered, "{case}");
        assert_eq!(data["count"], 20, "{case}");
        assert_eq!(data["isnext"], isnext, "{case}");
    }
}

#[tokio::test]
async fn news_pages_together_list_every_published_article_once() {
    let app = spawn_app().await;
    let mut seen = Vec::new();
    for p in 1..=3 {
        seen.extend(news_ids(&page(&app, json!(-1), json!(p)).await));
    }
    let distinct: HashSet<_> = seen.iter().copied().collect();
    assert_eq!((seen.len(), distinct.len()), (50, 50));
    assert_eq!(distinct, (1..=50).collect());
}

#[tokio::test]
async fn a_category_filter_takes_in_its_visible_subcategories() {
    let app = spawn_app().await;
    // (cat_id, total): 1 and 4 are top categories (with 2, 3 and 5, 6 under
    // them); 16 is hidden; 7 is a link category; 999 does not exist.
    for (cat_id, total) in [
        (1, 25),
        (4, 25),
        (2, 12),
        (5, 12),
        (6, 11),
        (16, 0),
        (7, 0),
        (999, 0),
    ] {
        let data = page(&app, json!(cat_id), json!(1)).await;
        assert_eq!(data["total"], total, "cat_id {cat_id}");
    }
    let mut sports = news_ids(&page(&app, json!(4), json!(1)).await);
    sports.extend(news_ids(&page(&app, json!(4), json!(2)).await));
    assert_eq!(sports.len(), 25);
    assert_eq!(&sports[..3], [8, 7, 6]);
    let football = news_ids(&page(&app, json!("5"), json!("1")).await);
    assert_eq!(football.len(), 12);
    assert!(
        football.iter().all(|id| sports.contains(id)),
        "{football:?}"
    );
}

#[tokio::test]
async fn news_list_refuses_bad_parameters_by_name() {
    let app = spawn_app().await;
    let cat_msg = "参数 cat_id 不正确（不限分类时传 -1）";
    for (params, msg) in [
        (json!({"page": 1}), "缺少参数 cat_id"),
        (json!({"cat_id": -1}), "缺少参数 page"),
        (json!({"cat_id": 0, "page": 1}), cat_msg),
        (json!({"cat_id": -2, "page": 1}), cat_msg),
        (json!({"cat_id": -1, "page": "x"}), "参数 page 格式不正确"),
        (json!({"cat_id": -1, "page": 1.5}), "参数 page 格式不正确"),
    ] {
        let env = app.call("news.list", params.clone()).await;
        assert_code(&env, 503);
        assert_eq!(env["msg"], msg, "{params}");
    }
}

#[tokio::test]
async fn an_article_in_detail_is_the_seeds_example() {
    let app = spawn_app().await;
    let env = app.call("news.detail", json!({"news_id": 1})).await;
    assert_code(&env, 200);
    assert_shape(&env["data"], &seed_data(SEED_DETAIL));
    assert_eq!(env["data"], seed_data(SEED_DETAIL));
}

#[tokio::test]
async fn a_missing_hidden_or_unpublished_article_is_404() {
    let app = spawn_app().await;
    for id in [9999, 51, 52] {
        let env = app.call("news.detail", json!({"news_id": id})).await;
        assert_code(&env, 404);
        assert_eq!(env["msg"], "文章不存在或已删除", "news_id {id}");
    }
    let env = app.call("news.detail", json!({"news_id": 0})).await;
    assert_code(&env, 503);
    assert_eq!(env["msg"], "参数 news_id 不正确");
}

#[tokio::test]
async fn a_scheduled_article_appears_once_its_time_comes() {
    let app = spawn_app().await;
    app.state.clock.advance(JAN_2099 - app.state.clock.now());
    let env = app.call("news.detail", json!({"news_id": 52})).await;
    assert_code(&env, 200);
    assert_eq!(env["data"]["c_time"], "2099-01-01 00:00:00");
    let data = page(&app, json!(-1), json!(1)).await;
    assert_eq!((news_ids(&data)[0], &data["total"]), (52, &json!(51)));
}
