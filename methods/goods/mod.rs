//! goods.*: the points mall (docs/methods.md, goods.*). Public and cached.
//! Prices are whole coins. buy_count and month_buy_count add up the
//! quantities of paid orders (待发货, 已发货, 交易成功), all time and in the
//! last 30 days.

// Shared SQL of both methods; defined before the modules that use it.
/// How much of a goods paid orders bought, all time and since 30 days
/// before time $N (the macro's argument).
macro_rules! sold {
    ($goods:literal, $now:literal) => {
        concat!(
            "CROSS JOIN LATERAL ( \
                 SELECT coalesce(sum(i.quantity), 0)::bigint AS buy_count, \
                        coalesce(sum(i.quantity) FILTER ( \
                            WHERE o.pay_time > to_timestamp(",
            $now,
            "::bigint) - interval '30 days'), 0)::bigint AS month_buy_count \
                 FROM order_items i JOIN orders o ON o.id = i.order_id \
                 WHERE i.goods_id = ",
            $goods,
            " AND o.order_status IN (1, 2, 3) \
             ) sold "
        )
    };
}

mod detail;
mod list;

use crate::handler::{Method, Registry};

use detail::detail;
use list::list;

/// Register the goods namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("goods.list", "1.0.0").summary(
            "商品列表：上架的商品，新的在前，每页 20 条。cat_id 为 -1 不限分类，否则为该分类及其可见子分类；keywords 按商品名称模糊匹配；有货品售价落在 [start_price, end_price] 内的商品才列出，-1 表示不限。",
        ),
        list,
    );
    r.add(
        Method::new("goods.detail", "1.0.0").summary(
            "商品详情：单规格商品的货品在 products.single_product，spec_val 为 []；多规格商品的货品以规格值（\"颜色:::红色\"，多个规格以 \"|||\" 相连）为键。不存在或已下架时 404。",
        ),
        detail,
    );
}
