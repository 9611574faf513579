//! system.link: friendly links grouped by their category.

use serde::Serialize;

use super::NoParams;
use crate::handler::{ApiResult, Ctx, Reply, cached};

#[derive(Serialize)]
struct LinkList {
    list: Vec<LinkCategory>,
}

#[derive(Serialize)]
struct LinkCategory {
    cat_id: i64,
    cat_name: String,
    links: Vec<Link>,
}

#[derive(Serialize)]
struct Link {
    link_name: String,
    link_url: String,
    image_url: String,
}

pub(super) async fn link(ctx: Ctx, _: NoParams) -> ApiResult<Reply> {
    cached::reply(&ctx, "", link_categories(&ctx)).await
}

async fn link_categories(ctx: &Ctx) -> ApiResult<LinkList> {
    let db = ctx.stores().pg_read().await?;
    // Visible link categories in tree order (a hidden parent hides its
    // children), each with its visible links.
    let stmt = db
        .prepare_cached(
            "WITH RECURSIVE shown AS ( \
                 SELECT id, cat_name, ARRAY[sort::bigint, id] AS path FROM categories \
                 WHERE cat_type = 2 AND parent_id IS NULL AND display \
               UNION ALL \
                 SELECT c.id, c.cat_name, s.path || ARRAY[c.sort::bigint, c.id] \
                 FROM categories c JOIN shown s ON c.parent_id = s.id WHERE c.display \
             ) \
             SELECT s.id, s.cat_name, l.link_name, l.link_url, l.image_url \
             FROM shown s JOIN links l ON l.cat_id = s.id \
             WHERE l.display ORDER BY s.path, l.sort, l.id",
        )
        .await?;
    let mut list: Vec<LinkCategory> = Vec::new();
    for r in db.query(&stmt, &[]).await? {
        let cat_id: i64 = r.get(0);
        if list.last().is_none_or(|c| c.cat_id != cat_id) {
            list.push(LinkCategory {
                cat_id,
                cat_name: r.get(1),
                links: Vec::new(),
            });
        }
        if let Some(category) = list.last_mut() {
            category.links.push(Link {
                link_name: r.get(2),
                link_url: r.get(3),
                image_url: r.get(4),
            });
        }
    }
    Ok(LinkList { list })
}
