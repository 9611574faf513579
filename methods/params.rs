//! Checks of business parameters that several namespaces share. Each
//! refusal is a 503 naming the parameter.

use crate::handler::Int;
use crate::handler::{ApiError, ApiResult};

/// A category filter of a list: -1 for every category, else a category id.
pub fn category_filter(name: &str, v: Int) -> ApiResult<i64> {
    match v.0 {
        -1 => Ok(-1),
        id if id >= 1 => Ok(id),
        _ => Err(ApiError::business(format!(
            "参数 {name} 不正确（不限分类时传 -1）"
        ))),
    }
}

/// A positive id of a resource (news_id, goods_id…).
pub fn resource_id(name: &str, v: Int) -> ApiResult<i64> {
    if v.0 >= 1 {
        Ok(v.0)
    } else {
        Err(ApiError::business(format!("参数 {name} 不正确")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_filters_are_minus_one_or_an_id() {
        assert_eq!(category_filter("cat_id", Int(-1)).unwrap(), -1);
        assert_eq!(category_filter("cat_id", Int(7)).unwrap(), 7);
        for bad in [0, -2, i64::MIN] {
            let e = category_filter("cat_id", Int(bad)).unwrap_err();
            assert_eq!(e.public_msg(), "参数 cat_id 不正确（不限分类时传 -1）");
        }
    }

    #[test]
    fn resource_ids_are_positive() {
        assert_eq!(resource_id("news_id", Int(1)).unwrap(), 1);
        for bad in [0, -1] {
            assert_eq!(
                resource_id("news_id", Int(bad)).unwrap_err().public_msg(),
                "参数 news_id 不正确"
            );
        }
    }
}
