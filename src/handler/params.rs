//! Checks of business parameters that several namespaces share. Each
//! refusal is a 503 naming the parameter.

use crate::handler::{ApiError, ApiResult};
use crate::handler::{Int, Text};

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

/// A parameter that upstream clients send under another name (`code` and
/// `sms_code`, `code` and `place_code`): whichever is given. Both given and
/// different (ignoring surrounding spaces) is a 503 naming both. An empty
/// value counts as not given, unless neither is.
pub fn aliased(
    name: &str,
    value: Option<Text>,
    alias: &str,
    alias_value: Option<Text>,
) -> ApiResult<Option<Text>> {
    fn given(t: &Option<Text>) -> Option<&str> {
        t.as_ref()
            .map(|t| t.as_str().trim())
            .filter(|t| !t.is_empty())
    }
    match (given(&value), given(&alias_value)) {
        (Some(a), Some(b)) if a != b => Err(ApiError::business(format!(
            "参数 {name} 与 {alias} 不一致，请只传其中一个"
        ))),
        (None, Some(_)) => Ok(alias_value),
        _ => Ok(value.or(alias_value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<Text> {
        Some(Text(s.to_string()))
    }

    #[test]
    fn aliases_take_whichever_is_given_and_refuse_a_conflict() {
        let pick = |a, b| aliased("code", a, "sms_code", b).map(|t| t.map(|t| t.0));
        assert_eq!(pick(t("1"), None).unwrap().as_deref(), Some("1"));
        assert_eq!(pick(None, t("2")).unwrap().as_deref(), Some("2"));
        assert_eq!(pick(t(""), t("2")).unwrap().as_deref(), Some("2"));
        assert_eq!(pick(t("3"), t(" 3")).unwrap().as_deref(), Some("3"));
        assert_eq!(pick(t(""), None).unwrap().as_deref(), Some(""));
        assert_eq!(pick(None, None).unwrap(), None);
        assert_eq!(
            pick(t("1"), t("2")).unwrap_err().public_msg(),
            "参数 code 与 sms_code 不一致，请只传其中一个"
        );
    }

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
