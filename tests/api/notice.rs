//! notice.list and notice.detail (docs/methods.md).

use serde_json::json;

use crate::helpers::shape::{assert_shape, seed_data};
use crate::helpers::*;

const SEED_LIST: &str = r#"{
    "code": 200, "msg": "success",
    "data": {
        "list": [
            {"noticeid": 2, "title": "清明节假期公告", "summary": "清明节将至，平台放假通知。", "c_time": "2019-04-19 16:18:04"},
            {"noticeid": 1, "title": "五一放假安排", "summary": "尊敬的各位用户，大家好。关于 5.1 节，平台放假时间如下。", "c_time": "2019-04-19 10:22:08"}
        ],
        "total": 2, "page": 1, "count": 20, "isnext": false
    }
}"#;

const SEED_DETAIL: &str = r#"{
    "code": 200, "msg": "success",
    "data": {
        "noticeid": 1, "title": "五一放假安排",
        "summary": "尊敬的各位用户，大家好。关于 5.1 节，平台放假时间如下。",
        "body": "尊敬的各位用户，大家好。关于 5.1 节，平台放假时间如下。",
        "c_time": "2019-04-19 10:22:08"
    }
}"#;

#[tokio::test]
async fn notices_are_listed_newest_first_in_the_seed_shape() {
    let app = spawn_app().await;
    let env = app
        .call("notice.list", json!({"page": 1, "token": ""}))
        .await;
    assert_code(&env, 200);
    let seed = seed_data(SEED_LIST);
    assert_shape(&env["data"], &seed);
    let d = &env["data"];
    // 3 is the dialog notice; 4 is hidden and 5 not yet published.
    let ids: Vec<_> = d["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["noticeid"].clone())
        .collect();
    assert_eq!(ids, [3, 2, 1]);
    assert_eq!(d["list"][1], seed["list"][0]);
    assert_eq!(d["list"][2], seed["list"][1]);
    assert_eq!(
        (&d["total"], &d["page"], &d["count"], &d["isnext"]),
        (&json!(3), &json!(1), &json!(20), &json!(false))
    );
}

#[tokio::test]
async fn notice_pages_below_one_are_the_first_and_past_the_end_are_empty() {
    let app = spawn_app().await;
    let first = app.call("notice.list", json!({"page": 1})).await;
    for page in [0, -5] {
        let env = app.call("notice.list", json!({"page": page})).await;
        assert_eq!(env["data"], first["data"], "page {page}");
    }
    let env = app.call("notice.list", json!({"page": "2"})).await;
    assert_eq!(
        env["data"],
        json!({"list": [], "total": 3, "page": 2, "count": 20, "isnext": false})
    );
}

#[tokio::test]
async fn a_notice_in_detail_is_the_seeds_example() {
    let app = spawn_app().await;
    let env = app
        .call("notice.detail", json!({"noticeid": 1, "token": ""}))
        .await;
    assert_code(&env, 200);
    assert_shape(&env["data"], &seed_data(SEED_DETAIL));
    assert_eq!(env["data"], seed_data(SEED_DETAIL));
}

#[tokio::test]
async fn a_missing_hidden_or_unpublished_notice_is_404() {
    let app = spawn_app().await;
    for id in [999, 4, 5] {
        let env = app.call("notice.detail", json!({"noticeid": id})).await;
        assert_code(&env, 404);
        assert_eq!(env["msg"], "公告不存在或已删除");
    }
}

#[tokio::test]
async fn notice_detail_refuses_a_bad_id_by_name() {
    let app = spawn_app().await;
    for (params, msg) in [
        (json!({}), "缺少参数 noticeid"),
        (json!({"noticeid": 0}), "参数 noticeid 不正确"),
        (json!({"noticeid": "abc"}), "参数 noticeid 格式不正确"),
    ] {
        let env = app.call("notice.detail", params.clone()).await;
        assert_code(&env, 503);
        assert_eq!(env["msg"], msg, "{params}");
    }
}
