//! system.category.list: the category tree under a parent.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply, cached};

/// Parameters of system.category.list.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CategoryListParams {
    /// 父分类 ID，0 为顶级（整棵树）
    pub parentid: Int,
    /// 分类类型：1 文章分类、2 友情链接、3 商品分类
    pub cat_type: Int,
}

/// Deepest level shown; the seed's trees have two.
const MAX_DEPTH: usize = 8;

pub(super) async fn category_list(ctx: Ctx, p: CategoryListParams) -> ApiResult<Reply> {
    let cat_type = cat_type(p.cat_type)?;
    let parentid = parentid(p.parentid)?;
    let key = format!("{parentid}|{cat_type}");
    cached::reply(&ctx, key, category_tree(&ctx, parentid, cat_type)).await
}

fn cat_type(v: Int) -> ApiResult<i16> {
    match v.0 {
        1 => Ok(1),
        2 => Ok(2),
        3 => Ok(3),
        _ => Err(ApiError::business(
            "参数 cat_type 不正确（1-文章分类、2-友情链接、3-商品分类）",
        )),
    }
}

fn parentid(v: Int) -> ApiResult<i64> {
    if v.0 >= 0 {
        Ok(v.0)
    } else {
        Err(ApiError::business("参数 parentid 不正确（顶级传 0）"))
    }
}

/// A visible category and the visible ones under it.
#[derive(Debug, Serialize)]
struct CategoryNode {
    cat_id: i64,
    cat_name: String,
    parentid: i64,
    cat_code: String,
    sub: Sub,
}

/// Children: `[]` when there are none, else keyed as the tree is.
#[derive(Debug)]
struct Sub(Vec<CategoryNode>);

impl Serialize for Sub {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_empty() {
            s.serialize_seq(Some(0))?.end()
        } else {
            keyed(&self.0, s)
        }
    }
}

/// The answer: always an object, `{}` when nothing is under the parent.
#[derive(Debug)]
struct CategoryTree(Vec<CategoryNode>);

impl Serialize for CategoryTree {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        keyed(&self.0, s)
    }
}

/// The seed keys each category as "0_<cat_id>".
fn keyed<S: Serializer>(nodes: &[CategoryNode], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(nodes.len()))?;
    for n in nodes {
        map.serialize_entry(&format!("0_{}", n.cat_id), n)?;
    }
    map.end()
}

/// (cat_id, cat_name, parentid, cat_code) of one visible category.
type CategoryRow = (i64, String, i64, String);

async fn category_tree(ctx: &Ctx, parentid: i64, cat_type: i16) -> ApiResult<CategoryTree> {
    let db = ctx.stores().pg_read().await?;
    let stmt = db
        .prepare_cached(
            "SELECT id, cat_name, coalesce(parent_id, 0), cat_code FROM categories \
             WHERE cat_type = $1 AND display ORDER BY sort, id",
        )
        .await?;
    let rows: Vec<CategoryRow> = db
        .query(&stmt, &[&cat_type])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    if parentid != 0 && !rows.iter().any(|r| r.0 == parentid) {
        return Err(ApiError::not_found("分类不存在"));
    }
    let mut children: HashMap<i64, Vec<CategoryRow>> = HashMap::new();
    for row in rows {
        children.entry(row.2).or_default().push(row);
    }
    Ok(CategoryTree(subtree(&mut children, parentid, 0)))
}

/// The children of `parent`, each with its own subtree. Taking rows out
/// of the map visits each at most once, so a cycle cannot loop.
fn subtree(
    children: &mut HashMap<i64, Vec<CategoryRow>>,
    parent: i64,
    depth: usize,
) -> Vec<CategoryNode> {
    if depth >= MAX_DEPTH {
        return Vec::new();
    }
    let rows = children.remove(&parent).unwrap_or_default();
    rows.into_iter()
        .map(|(cat_id, cat_name, parentid, cat_code)| CategoryNode {
            sub: Sub(subtree(children, cat_id, depth + 1)),
            cat_id,
            cat_name,
            parentid,
            cat_code,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(cat_id: i64, sub: Vec<CategoryNode>) -> CategoryNode {
        CategoryNode {
            cat_id,
            cat_name: format!("c{cat_id}"),
            parentid: 0,
            cat_code: String::new(),
            sub: Sub(sub),
        }
    }

    #[test]
    fn categories_are_keyed_and_empty_subs_are_lists() {
        let tree = CategoryTree(vec![node(1, vec![node(2, vec![])])]);
        assert_eq!(
            serde_json::to_string(&tree).unwrap(),
            r#"{"0_1":{"cat_id":1,"cat_name":"c1","parentid":0,"cat_code":"","sub":{"0_2":{"cat_id":2,"cat_name":"c2","parentid":0,"cat_code":"","sub":[]}}}}"#
        );
        assert_eq!(serde_json::to_string(&CategoryTree(vec![])).unwrap(), "{}");
    }

    #[test]
    fn a_cycle_in_the_tree_cannot_loop() {
        let row = |id: i64, parent: i64| (id, format!("c{id}"), parent, String::new());
        let mut children: HashMap<i64, Vec<CategoryRow>> = HashMap::new();
        children.insert(1, vec![row(2, 1)]);
        children.insert(2, vec![row(1, 2)]);
        let nodes = subtree(&mut children, 1, 0);
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].sub.0[0].cat_id, 1);
        assert!(nodes[0].sub.0[0].sub.0.is_empty());
    }
}
