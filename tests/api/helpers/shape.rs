//! Comparing an answer with the seed's example JSON by shape: the same
//! keys in the same order, the same nesting, the same JSON types
//! (integer, float, string, boolean, null), whatever the values.

use serde_json::Value;

/// Assert that `actual` has the shape of `example`. Arrays: each element
/// of `actual` has the shape of the example's first element (an empty
/// array on either side says nothing about elements).
#[track_caller]
pub fn assert_shape(actual: &Value, example: &Value) {
    if let Err(why) = check(actual, example, "$") {
        panic!("{why}\nactual: {actual}");
    }
}

/// Assert that every value of the object `actual` (whose keys are data,
/// such as "0_<cat_id>" or a product's spec) has the shape of `example`.
#[track_caller]
pub fn assert_each_value_shape(actual: &Value, example: &Value) {
    let map = actual
        .as_object()
        .unwrap_or_else(|| panic!("expected an object: {actual}"));
    for (key, value) in map {
        if let Err(why) = check(value, example, &format!("$.{key}")) {
            panic!("{why}\nactual: {actual}");
        }
    }
}

fn check(actual: &Value, example: &Value, path: &str) -> Result<(), String> {
    match (actual, example) {
        (Value::Object(a), Value::Object(e)) => {
            let (ak, ek): (Vec<_>, Vec<_>) = (a.keys().collect(), e.keys().collect());
            if ak != ek {
                return Err(format!("{path}: keys {ak:?}, the seed has {ek:?}"));
            }
            for (k, v) in a {
                check(v, &e[k], &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(e)) => match e.first() {
            Some(first) => a
                .iter()
                .enumerate()
                .try_for_each(|(i, v)| check(v, first, &format!("{path}[{i}]"))),
            None => Ok(()),
        },
        (Value::Number(a), Value::Number(e)) if is_integer(a) == is_integer(e) => Ok(()),
        (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Null, Value::Null) => Ok(()),
        _ => Err(format!(
            "{path}: {} ({actual}), the seed has {} ({example})",
            kind(actual),
            kind(example)
        )),
    }
}

fn is_integer(n: &serde_json::Number) -> bool {
    n.is_i64() || n.is_u64()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "an object",
        Value::Array(_) => "a list",
        Value::Number(n) if is_integer(n) => "an integer",
        Value::Number(_) => "a float",
        Value::String(_) => "a string",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    }
}

/// The `data` of a seed example envelope, parsed in key order.
pub fn seed_data(example: &str) -> Value {
    let v: Value = serde_json::from_str(example).expect("seed example is JSON");
    v["data"].clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_differ_by_key_order_type_and_nesting() {
        let seed = json!({"a": 1, "b": [{"c": "x"}], "d": {"e": false}});
        assert!(check(&json!({"a": 9, "b": [], "d": {"e": true}}), &seed, "$").is_ok());
        for bad in [
            json!({"b": [], "a": 1, "d": {"e": true}}),
            json!({"a": "1", "b": [], "d": {"e": true}}),
            json!({"a": 1.5, "b": [], "d": {"e": true}}),
            json!({"a": 1, "b": [{"c": 1}], "d": {"e": true}}),
            json!({"a": 1, "b": {}, "d": {"e": true}}),
            json!({"a": 1, "b": [], "d": {"e": true, "f": 1}}),
        ] {
            assert!(check(&bad, &seed, "$").is_err(), "{bad}");
        }
    }
}
