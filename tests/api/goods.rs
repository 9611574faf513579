//! goods.list and goods.detail (docs/methods.md). Visible demo goods,
//! newest first: 21, 19, 4, 3, 2, 1 (5 is hidden).

use serde_json::{Value, json};

use crate::helpers::shape::{assert_each_value_shape, assert_shape, seed_data};
use crate::helpers::*;

const SEED_LIST: &str = r#"{
    "code": 200, "msg": "success",
    "data": {
        "list": [
            {"goodsid": 21, "goods_name": "ChinaJoy 服装", "min_price": 9000, "max_price": 9000, "goods_img": "", "buy_count": 0, "month_buy_count": 0},
            {"goodsid": 19, "goods_name": "明基绝地求生吃鸡鼠标", "min_price": 160, "max_price": 160, "goods_img": "", "buy_count": 0, "month_buy_count": 0}
        ],
        "total": 16, "page": 1, "count": 20, "isnext": false
    }
}"#;

const SEED_SINGLE: &str = r#"{
    "code": 200, "msg": "success",
    "data": {
        "goodsid": 1, "goods_name": "ikbc C104 樱桃轴机械键盘",
        "min_market_price": 399, "max_market_price": 399, "min_price": 399, "max_price": 399,
        "goods_img": "http://files.xxx.com/images/voucher/20180822/5b7cbe51ea911.jpg",
        "buy_count": 0, "month_buy_count": 0, "limit_count": 0, "description": "",
        "products": {
            "single_product": {"productid": 33, "market_price": 399, "sales_price": 399, "stock": 993, "spec_val": "", "skuid": "ikbc00000001", "arr_spec_val": []}
        },
        "spec_val": [],
        "goods_image": [
            "http://files.xxx.com/images/voucher/20180822/5b7cbe51ea911.jpg",
            "http://files.xxx.com/images/voucher/20180822/5b7cbe53eb153.jpg",
            "http://files.xxx.com/images/voucher/20180822/5b7cbe558dc44.jpg",
            "http://files.xxx.com/images/voucher/20180822/5b7cbe59214c9.jpg",
            "http://files.xxx.com/images/voucher/20180822/5b7cbe5b1d2fc.jpg"
        ]
    }
}"#;

const SEED_MULTI: &str = r#"{
    "code": 200, "msg": "success",
    "data": {
        "goodsid": 19, "goods_name": "明基绝地求生吃鸡鼠标",
        "min_market_price": 199, "max_market_price": 199, "min_price": 160, "max_price": 160,
        "goods_img": "http://files.xxx.com/images/voucher/20180828/5b84a62196ac6.jpg",
        "buy_count": 0, "month_buy_count": 0, "limit_count": 0, "description": "",
        "products": {
            "颜色:::红色": {"productid": 38, "market_price": 199, "sales_price": 160, "stock": 999, "spec_val": "颜色:::红色", "skuid": "ben001", "arr_spec_val": {"颜色": "红色"}},
            "颜色:::黑色": {"productid": 39, "market_price": 199, "sales_price": 160, "stock": 999, "spec_val": "颜色:::黑色", "skuid": "ben002", "arr_spec_val": {"颜色": "黑色"}}
        },
        "spec_val": {"颜色": ["红色", "黑色"]},
        "goods_image": [
            "http://files.xxx.com/images/voucher/20180822/5b7cbc17cb04f.jpg",
            "http://files.xxx.com/images/voucher/20180822/5b7cbc19bb25c.jpg",
            "http://files.xxx.com/images/voucher/20180828/5b84a5c54f47a.jpg",
            "http://files.xxx.com/images/voucher/20180828/5b84a5c7c2e03.jpg",
            "http://files.xxx.com/images/voucher/20180828/5b84a62196ac6.jpg"
        ]
    }
}"#;

fn query(cat_id: Value, keywords: &str, start: Value, end: Value, page: Value) -> Value {
    json!({"cat_id": cat_id, "keywords": keywords, "start_price": start, "end_price": end, "page": page, "token": ""})
}

fn goods_ids(data: &Value) -> Vec<i64> {
    data["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["goodsid"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn goods_list_is_newest_first_in_the_seed_shape() {
    let app = spawn_app().await;
    let env = app
        .call(
            "goods.list",
            query(json!(-1), "", json!(-1), json!(-1), json!(1)),
        )
        .await;
    assert_code(&env, 200);
    let seed = seed_data(SEED_LIST);
    assert_shape(&env["data"], &seed);
    let d = &env["data"];
    assert_eq!(goods_ids(d), [21, 19, 4, 3, 2, 1]);
    assert_eq!(d["list"][0], seed["list"][0]);
    assert_eq!((&d["total"], &d["isnext"]), (&json!(6), &json!(false)));
    // Goods 3 has products at two prices; goods 4 was bought twice.
    assert_eq!(
        (&d["list"][3]["min_price"], &d["list"][3]["max_price"]),
        (&json!(599), &json!(649))
    );
    assert_eq!(d["list"][2]["buy_count"], 2);
}

#[tokio::test]
async fn goods_list_filters_by_category_keywords_and_price() {
    let app = spawn_app().await;
    let open = || json!(-1);
    let cases: Vec<(Value, &str, Value, Value, Vec<i64>)> = vec![
        (json!(11), "", open(), open(), vec![19, 3, 2, 1]),
        (json!(12), "", open(), open(), vec![3, 1]),
        (json!("14"), "", open(), open(), vec![21, 4]),
        (json!(999), "", open(), open(), vec![]),
        (open(), "键盘", open(), open(), vec![3, 1]),
        (open(), " 鼠标 ", open(), open(), vec![19, 2]),
        (open(), "chinajoy", open(), open(), vec![21]),
        (open(), "%", open(), open(), vec![]),
        (open(), "", json!(600), open(), vec![21, 3]),
        (open(), "", open(), json!(100), vec![4]),
        (open(), "", json!(100), json!(200), vec![19, 4]),
        (open(), "", json!(160), json!(160), vec![19]),
        (open(), "", json!("150.5"), json!("399"), vec![19, 2, 1]),
        (open(), "", json!(0), json!(0), vec![]),
        (json!(13), "", json!(200), open(), vec![2]),
    ];
    for (cat_id, keywords, start, end, expected) in cases {
        let params = query(cat_id, keywords, start, end, json!(1));
        let env = app.call("goods.list", params.clone()).await;
        assert_code(&env, 200);
        assert_eq!(goods_ids(&env["data"]), expected, "{params}");
        assert_eq!(env["data"]["total"], expected.len(), "{params}");
    }
}

#[tokio::test]
async fn goods_pages_below_one_are_the_first_and_past_the_end_are_empty() {
    let app = spawn_app().await;
    let list = |page: Value| {
        app.call(
            "goods.list",
            query(json!(-1), "", json!(-1), json!(-1), page),
        )
    };
    let first = list(json!(1)).await;
    assert_eq!(list(json!(0)).await["data"], first["data"]);
    assert_eq!(
        list(json!(2)).await["data"],
        json!({"list": [], "total": 6, "page": 2, "count": 20, "isnext": false})
    );
}

#[tokio::test]
async fn goods_list_refuses_bad_parameters_by_name() {
    let app = spawn_app().await;
    let mut missing = query(json!(-1), "", json!(-1), json!(-1), json!(1));
    missing.as_object_mut().unwrap().remove("keywords");
    let cases = [
        (missing, "缺少参数 keywords"),
        (
            query(json!(0), "", json!(-1), json!(-1), json!(1)),
            "参数 cat_id 不正确（不限分类时传 -1）",
        ),
        (
            query(json!(-1), "", json!(-2), json!(-1), json!(1)),
            "参数 start_price 不正确（不限时传 -1）",
        ),
        (
            query(json!(-1), "", json!(-1), json!(-0.5), json!(1)),
            "参数 end_price 不正确（不限时传 -1）",
        ),
        (
            query(json!(-1), "", json!("abc"), json!(-1), json!(1)),
            "参数 start_price 格式不正确",
        ),
        (
            query(json!(-1), "", json!(300), json!(200), json!(1)),
            "最低价格不能高于最高价格",
        ),
        (
            query(json!(-1), &"商".repeat(51), json!(-1), json!(-1), json!(1)),
            "参数 keywords 不能超过 50 个字",
        ),
        (
            query(json!(-1), "a\u{0}b", json!(-1), json!(-1), json!(1)),
            "参数 keywords 格式不正确",
        ),
    ];
    for (params, msg) in cases {
        let env = app.call("goods.list", params.clone()).await;
        assert_code(&env, 503);
        assert_eq!(env["msg"], msg, "{params}");
    }
}

#[tokio::test]
async fn a_multi_spec_goods_in_detail_is_the_seeds_example() {
    let app = spawn_app().await;
    let env = app
        .call("goods.detail", json!({"goods_id": 19, "token": ""}))
        .await;
    assert_code(&env, 200);
    let seed = seed_data(SEED_MULTI);
    assert_shape(&env["data"], &seed);
    assert_each_value_shape(&env["data"]["products"], &seed["products"]["颜色:::红色"]);
    assert_eq!(env["data"], seed);
}

#[tokio::test]
async fn a_single_spec_goods_in_detail_is_the_seeds_example() {
    let app = spawn_app().await;
    let env = app.call("goods.detail", json!({"goods_id": "1"})).await;
    assert_code(&env, 200);
    let mut seed = seed_data(SEED_SINGLE);
    assert_shape(&env["data"], &seed);
    // The demo's order 49 (the seed's order.list example) bought one.
    seed["buy_count"] = json!(1);
    assert_eq!(env["data"], seed);
}

#[tokio::test]
async fn a_goods_with_two_spec_dimensions_gathers_each_value_once() {
    let app = spawn_app().await;
    let env = app.call("goods.detail", json!({"goods_id": 4})).await;
    assert_code(&env, 200);
    let d = &env["data"];
    // A product as the seed shows one, with this goods' two spec names.
    let mut product = seed_data(SEED_MULTI)["products"]["颜色:::红色"].clone();
    product["arr_spec_val"] = json!({"颜色": "", "尺码": ""});
    assert_each_value_shape(&d["products"], &product);
    assert_eq!(
        d["spec_val"],
        json!({"颜色": ["白色", "黑色"], "尺码": ["L", "XL"]})
    );
    assert_eq!(
        d["products"]["颜色:::白色|||尺码:::XL"]["arr_spec_val"],
        json!({"颜色": "白色", "尺码": "XL"})
    );
    assert_eq!(
        (&d["min_price"], &d["max_price"]),
        (&json!(99), &json!(109))
    );
}

#[tokio::test]
async fn buy_counts_add_up_paid_orders_and_the_month_count_only_recent_ones() {
    let app = spawn_app().await;
    let db = app.database.as_ref().unwrap().client().await;
    // Paid 3 today, paid 2 forty days ago, 5 in an unpaid order and 7 in a
    // closed one: bought 5 in all, 3 in the last 30 days.
    db.batch_execute(
        "INSERT INTO orders (id, order_sn, user_id, order_status, total_price, pay_time, closed_time) VALUES
           (901, 'T901', 1, 1, 480, now(), NULL),
           (902, 'T902', 2, 3, 320, now() - interval '40 days', NULL),
           (903, 'T903', 1, 0, 800, NULL, NULL),
           (904, 'T904', 1, 4, 1120, NULL, now());
         INSERT INTO order_items (order_id, goods_id, product_id, goods_name, market_price, sales_price,
                                  quantity, payment_price, total_price) VALUES
           (901, 19, 38, '明基绝地求生吃鸡鼠标', 199, 160, 3, 480, 480),
           (902, 19, 39, '明基绝地求生吃鸡鼠标', 199, 160, 2, 320, 320),
           (903, 19, 38, '明基绝地求生吃鸡鼠标', 199, 160, 5, 800, 800),
           (904, 19, 39, '明基绝地求生吃鸡鼠标', 199, 160, 7, 1120, 1120);",
    )
    .await
    .unwrap();
    let env = app.call("goods.detail", json!({"goods_id": 19})).await;
    assert_eq!(
        (&env["data"]["buy_count"], &env["data"]["month_buy_count"]),
        (&json!(5), &json!(3))
    );
    let env = app
        .call(
            "goods.list",
            query(json!(13), "吃鸡", json!(-1), json!(-1), json!(1)),
        )
        .await;
    assert_eq!(
        (
            &env["data"]["list"][0]["buy_count"],
            &env["data"]["list"][0]["month_buy_count"]
        ),
        (&json!(5), &json!(3))
    );
}

#[tokio::test]
async fn a_missing_or_hidden_goods_is_404() {
    let app = spawn_app().await;
    for id in [9999, 5] {
        let env = app.call("goods.detail", json!({"goods_id": id})).await;
        assert_code(&env, 404);
        assert_eq!(env["msg"], "商品不存在或已下架", "goods_id {id}");
    }
    for (params, msg) in [
        (json!({}), "缺少参数 goods_id"),
        (json!({"goods_id": -1}), "参数 goods_id 不正确"),
    ] {
        let env = app.call("goods.detail", params.clone()).await;
        assert_code(&env, 503);
        assert_eq!(env["msg"], msg, "{params}");
    }
}
