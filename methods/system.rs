//! system.*: start-up and housekeeping methods (seed 003 §2.1–2.4, 2.13–2.16).

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

use crate::cache;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::protocol::Reply;
use crate::protocol::types::{Int, Platform, Text, Version};
use crate::registry::{Method, Registry};

/// Ad position of the home page carousel (system.home).
pub const HOME_ADS: &str = "home_banner";
/// Ad position of the app's start-up ad (system.init's `start_ad`).
pub const START_AD: &str = "app_start";

/// Register the system namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("system.ping", "1.0.0")
            .bare()
            .summary("连通性与时钟检查：返回服务器时间（Unix 秒），不访问任何存储。"),
        ping,
    );
    r.add(
        Method::new("system.init", "1.0.0")
            .optional_user()
            .summary("APP 启动初始化（seed §2.1）：token_status（1 令牌有效并已续期，0 无效或未传，从不报错）、升级信息、启动广告（app_start，没有时 {}）、导航与菜单链接（配置 [init]）、弹窗公告（没有时 {}）。"),
        init,
    );
    r.add(
        Method::new("system.upload", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .summary("图片上传（seed §2.4）：multipart 表单，图片放在字段 image（不参与签名）。按文件内容识别 JPG、PNG、GIF、WebP；大小上限见 [upload] max_image_bytes。"),
        upload,
    );
    r.add(
        Method::new("system.request.token", "1.0.0")
            .optional_user()
            .summary("获取防重复提交令牌（number 1-5 个，30 分钟有效，一次性）。需要令牌的接口以 req_token 传入。"),
        request_token,
    );
    r.add(
        Method::new("system.upgrade", "1.0.0")
            .aliases(&["app.upgrade"])
            .summary("升级检查（seed §2.2）：按调用方的 platform、channel、app_v（按版本号比较）选出升级规则；iOS 的 app_url 为空；无需升级时 upgrade_way 为 0、其余为空字符串。"),
        upgrade,
    );
    r.add(
        Method::new("system.ads", "1.0.0").summary(
            "广告位的广告（seed §2.13），仅投放期内的，按排序。广告位编码：home_banner 首页轮播、app_start APP 启动页；没有该广告位时 404，广告位关闭时为空列表。",
        ),
        ads,
    );
    r.add(
        Method::new("system.link", "1.0.0")
            .summary("友情链接（seed §2.14），按链接分类分组；没有链接的分类不列出。"),
        link,
    );
    r.add(
        Method::new("system.category.list", "1.0.0").summary(
            "分类树（seed §2.15）：parentid 之下某类型的全部可见分类，键为 \"0_<cat_id>\"，没有子分类时 sub 为 []；parentid 不存在时 404。",
        ),
        category_list,
    );
    r.add(
        Method::new("system.home", "1.0.0")
            .summary("首页数据（seed §2.16）：广告位 home_banner 的广告。"),
        home,
    );
}

/// No business parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoParams {}

#[derive(Serialize)]
struct Pong {
    server_time: i64,
}

async fn ping(ctx: Ctx, _: NoParams) -> ApiResult<Reply> {
    Reply::data(
        "success",
        &Pong {
            server_time: ctx.now(),
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
struct RequestTokenParams {
    /// 令牌数量：1-5
    number: Int,
}

#[derive(Serialize)]
struct RequestTokens {
    token: String,
    tokens: Vec<String>,
}

async fn request_token(ctx: Ctx, p: RequestTokenParams) -> ApiResult<Reply> {
    let n = usize::try_from(p.number.0)
        .ok()
        .filter(|n| (1..=5).contains(n))
        .ok_or_else(|| ApiError::business("参数 number 须为 1-5"))?;
    let tokens = crate::reqtoken::issue(&ctx, n).await?;
    Reply::data(
        "success",
        &RequestTokens {
            token: tokens[0].clone(),
            tokens,
        },
    )
}

// §2.2 system.upgrade ------------------------------------------------------

async fn upgrade(ctx: Ctx, _: NoParams) -> ApiResult<Reply> {
    Reply::data("success", &upgrade_for(&ctx).await?)
}

/// The upgrade advice for a caller (seed §2.2, and system.init's `upgrade`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upgrade {
    /// 0 none, 1 suggested, 2 forced, 3 app closed.
    pub upgrade_way: i16,
    /// Target version; '' when there is none.
    pub app_v: String,
    pub app_title: String,
    pub app_desc: String,
    /// Download address; always '' for iOS.
    pub app_url: String,
    pub dialog_repeat: i16,
    /// The caller's app_v, as sent.
    pub origin_v: String,
}

impl Upgrade {
    fn none(origin_v: &str) -> Self {
        Self {
            upgrade_way: 0,
            app_v: String::new(),
            app_title: String::new(),
            app_desc: String::new(),
            app_url: String::new(),
            dialog_repeat: 0,
            origin_v: origin_v.to_string(),
        }
    }
}

/// The upgrade advice for the caller's platform, channel and app_v. The
/// rules of a platform are cached; choosing among them costs no query.
///
/// # Errors
/// PostgreSQL failed.
pub async fn upgrade_for(ctx: &Ctx) -> ApiResult<Upgrade> {
    let caller = &ctx.caller;
    let rules = match caller.platform {
        Some(p) if p.is_app() => upgrade_rules(ctx, p).await?,
        _ => Vec::new(),
    };
    Ok(choose_upgrade(
        &rules,
        caller.platform,
        &caller.channel,
        &caller.app_v,
    ))
}

/// An enabled row of app_upgrades.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UpgradeRule {
    id: i64,
    /// '' for every channel.
    channel: String,
    min_app_v: Option<String>,
    max_app_v: Option<String>,
    upgrade_way: i16,
    app_v: Option<String>,
    app_title: String,
    app_desc: String,
    app_url: String,
    dialog_repeat: i16,
}

impl UpgradeRule {
    fn target(&self) -> Option<Version> {
        self.app_v.as_deref().and_then(|v| v.parse().ok())
    }

    /// Whether the rule speaks to this channel and app version: within
    /// [min_app_v, max_app_v], and older than the target when the rule
    /// asks for an upgrade.
    fn applies_to(&self, channel: &str, current: &Version) -> bool {
        let bound = |v: &Option<String>, ok: fn(&Version, &Version) -> bool| match v {
            None => true,
            Some(text) => text.parse::<Version>().is_ok_and(|b| ok(current, &b)),
        };
        let in_channel = self.channel.is_empty() || self.channel == channel;
        let in_range =
            bound(&self.min_app_v, |c, b| c >= b) && bound(&self.max_app_v, |c, b| c <= b);
        let needed = match self.upgrade_way {
            1 | 2 => self.target().is_some_and(|t| *current < t),
            _ => true,
        };
        in_channel && in_range && needed
    }

    /// Which of two applicable rules wins: the caller's own channel over
    /// every channel, then the newer target, the stronger way, the newer rule.
    fn precedence(&self) -> (bool, Option<Version>, i16, i64) {
        (
            !self.channel.is_empty(),
            self.target(),
            self.upgrade_way,
            self.id,
        )
    }

    fn advice(&self, platform: Option<Platform>, origin_v: &str) -> Upgrade {
        if self.upgrade_way == 0 {
            return Upgrade::none(origin_v);
        }
        let app_url = match platform {
            Some(Platform::Ios) => String::new(),
            _ => self.app_url.clone(),
        };
        Upgrade {
            upgrade_way: self.upgrade_way,
            app_v: self.app_v.clone().unwrap_or_default(),
            app_title: self.app_title.clone(),
            app_desc: self.app_desc.clone(),
            app_url,
            dialog_repeat: self.dialog_repeat,
            origin_v: origin_v.to_string(),
        }
    }
}

/// The advice of the winning applicable rule; none for a caller whose
/// app_v is not a version (H5 and web send '').
fn choose_upgrade(
    rules: &[UpgradeRule],
    platform: Option<Platform>,
    channel: &str,
    app_v: &str,
) -> Upgrade {
    let Ok(current) = app_v.parse::<Version>() else {
        return Upgrade::none(app_v);
    };
    rules
        .iter()
        .filter(|r| r.applies_to(channel, &current))
        .max_by_key(|r| r.precedence())
        .map_or_else(|| Upgrade::none(app_v), |r| r.advice(platform, app_v))
}

async fn upgrade_rules(ctx: &Ctx, platform: Platform) -> ApiResult<Vec<UpgradeRule>> {
    let key = format!("upgrade.rules|{}", platform.number());
    cache::value(ctx, &key, load_upgrade_rules(ctx, platform)).await
}

async fn load_upgrade_rules(ctx: &Ctx, platform: Platform) -> ApiResult<Vec<UpgradeRule>> {
    let db = ctx.state.stores.pg().await?;
    let stmt = db
        .prepare_cached(
            "SELECT id, channel, min_app_v::text, max_app_v::text, upgrade_way, app_v::text, \
                    app_title, app_desc, app_url, dialog_repeat \
             FROM app_upgrades WHERE platform = $1 AND enabled",
        )
        .await?;
    let rows = db.query(&stmt, &[&platform.number()]).await?;
    Ok(rows
        .iter()
        .map(|r| UpgradeRule {
            id: r.get(0),
            channel: r.get(1),
            min_app_v: r.get(2),
            max_app_v: r.get(3),
            upgrade_way: r.get(4),
            app_v: r.get(5),
            app_title: r.get(6),
            app_desc: r.get(7),
            app_url: r.get(8),
            dialog_repeat: r.get(9),
        })
        .collect())
}

// §2.13 system.ads ---------------------------------------------------------

/// Parameters of system.ads.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AdsParams {
    /// 广告位编码：home_banner 首页轮播、app_start APP 启动页
    pub code: Text,
}

/// One ad, as system.ads, system.home and system.init show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ad {
    pub ad_id: i64,
    pub ad_name: String,
    pub ad_image_url: String,
    pub ad_url: String,
}

#[derive(Serialize)]
struct AdList {
    list: Vec<Ad>,
}

async fn ads(ctx: Ctx, p: AdsParams) -> ApiResult<Reply> {
    let code = p.code.as_str().trim();
    if code.is_empty() {
        return Err(ApiError::business("参数 code 不能为空"));
    }
    if code.contains('\0') {
        return Err(ApiError::business("参数 code 不正确"));
    }
    let list = ads_of(&ctx, code)
        .await?
        .ok_or_else(|| ApiError::not_found("广告位不存在"))?;
    Reply::data("success", &AdList { list })
}

/// The ads showing now in position `code`, in display order (an empty list
/// while the position is switched off); `None` when there is no such
/// position. Cached.
///
/// # Errors
/// PostgreSQL failed.
pub async fn ads_of(ctx: &Ctx, code: &str) -> ApiResult<Option<Vec<Ad>>> {
    if code.chars().count() > 50 {
        return Ok(None);
    }
    cache::value(ctx, &format!("ads|{code}"), load_ads(ctx, code)).await
}

async fn load_ads(ctx: &Ctx, code: &str) -> ApiResult<Option<Vec<Ad>>> {
    let db = ctx.state.stores.pg().await?;
    let position = db
        .prepare_cached("SELECT id, enabled, pos_ad_count FROM ad_positions WHERE pos_code = $1")
        .await?;
    let Some(position) = db.query_opt(&position, &[&code]).await? else {
        return Ok(None);
    };
    let (pos_id, enabled, shown): (i64, bool, i16) =
        (position.get(0), position.get(1), position.get(2));
    if !enabled {
        return Ok(Some(Vec::new()));
    }
    let stmt = db
        .prepare_cached(
            "SELECT id, ad_name, ad_image_url, ad_url FROM ads \
             WHERE pos_id = $1 AND display \
               AND start_time <= to_timestamp($2::bigint) AND end_time > to_timestamp($2::bigint) \
             ORDER BY sort, id DESC LIMIT $3",
        )
        .await?;
    let rows = db
        .query(&stmt, &[&pos_id, &ctx.now(), &i64::from(shown)])
        .await?;
    Ok(Some(
        rows.iter()
            .map(|r| Ad {
                ad_id: r.get(0),
                ad_name: r.get(1),
                ad_image_url: r.get(2),
                ad_url: r.get(3),
            })
            .collect(),
    ))
}

// §2.14 system.link --------------------------------------------------------

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

async fn link(ctx: Ctx, _: NoParams) -> ApiResult<Reply> {
    cache::reply(&ctx, "", link_categories(&ctx)).await
}

async fn link_categories(ctx: &Ctx) -> ApiResult<LinkList> {
    let db = ctx.state.stores.pg().await?;
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

// §2.15 system.category.list -----------------------------------------------

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

async fn category_list(ctx: Ctx, p: CategoryListParams) -> ApiResult<Reply> {
    let cat_type = cat_type(p.cat_type)?;
    let parentid = parentid(p.parentid)?;
    let key = format!("{parentid}|{cat_type}");
    cache::reply(&ctx, key, category_tree(&ctx, parentid, cat_type)).await
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
    let db = ctx.state.stores.pg().await?;
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

// §2.16 system.home --------------------------------------------------------

#[derive(Serialize)]
struct Home {
    ads: Vec<Ad>,
}

async fn home(ctx: Ctx, _: NoParams) -> ApiResult<Reply> {
    let ads = ads_of(&ctx, HOME_ADS).await?.unwrap_or_default();
    Reply::data("success", &Home { ads })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, channel: &str, range: (&str, &str), way: i16, target: &str) -> UpgradeRule {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        UpgradeRule {
            id,
            channel: channel.into(),
            min_app_v: opt(range.0),
            max_app_v: opt(range.1),
            upgrade_way: way,
            app_v: opt(target),
            app_title: format!("rule {id}"),
            app_desc: String::new(),
            app_url: "https://example.com/app.apk".into(),
            dialog_repeat: 1,
        }
    }

    fn chosen(
        rules: &[UpgradeRule],
        platform: Platform,
        channel: &str,
        app_v: &str,
    ) -> (i16, String) {
        let u = choose_upgrade(rules, Some(platform), channel, app_v);
        assert_eq!(u.origin_v, app_v);
        (u.upgrade_way, u.app_title)
    }

    #[test]
    fn versions_compare_as_numbers_so_1_9_upgrades_to_1_10() {
        let rules = [rule(1, "", ("", ""), 1, "1.10.0")];
        assert_eq!(
            chosen(&rules, Platform::Android, "", "1.9.0"),
            (1, "rule 1".into())
        );
        assert_eq!(chosen(&rules, Platform::Android, "", "1.10.0").0, 0);
        assert_eq!(chosen(&rules, Platform::Android, "", "1.10.1").0, 0);
    }

    #[test]
    fn ranges_are_inclusive_and_open_ends_are_unbounded() {
        let rules = [
            rule(1, "", ("", "0.9.99"), 3, ""),
            rule(2, "", ("1.0.0", "1.4.99"), 2, "2.0.0"),
            rule(3, "", ("1.5.0", ""), 1, "2.0.0"),
        ];
        for (v, way) in [
            ("0.1", 3),
            ("0.9.99", 3),
            ("1.0", 2),
            ("1.4.99", 2),
            ("1.5.0", 1),
            ("1.99.0", 1),
            ("2.0.0", 0),
        ] {
            assert_eq!(chosen(&rules, Platform::Android, "", v).0, way, "app_v {v}");
        }
    }

    #[test]
    fn the_callers_channel_wins_over_every_channel() {
        let rules = [
            rule(1, "", ("", ""), 2, "2.0.0"),
            rule(2, "huawei", ("", ""), 1, "2.0.0"),
            rule(3, "internal", ("", ""), 0, ""),
        ];
        assert_eq!(
            chosen(&rules, Platform::Android, "huawei", "1.0.0"),
            (1, "rule 2".into())
        );
        assert_eq!(chosen(&rules, Platform::Android, "internal", "1.0.0").0, 0);
        assert_eq!(
            chosen(&rules, Platform::Android, "xiaomi", "1.0.0"),
            (2, "rule 1".into())
        );
    }

    #[test]
    fn ios_gets_no_url_and_no_upgrade_reads_as_empty_strings() {
        let rules = [rule(1, "", ("", ""), 1, "2.0.0")];
        let u = choose_upgrade(&rules, Some(Platform::Ios), "", "1.0.0");
        assert_eq!(
            (u.upgrade_way, u.app_url.as_str(), u.app_v.as_str()),
            (1, "", "2.0.0")
        );
        let u = choose_upgrade(&rules, Some(Platform::Android), "", "1.0.0");
        assert_eq!(u.app_url, "https://example.com/app.apk");
        for app_v in ["", "1.0.0-beta", "2.0.0"] {
            assert_eq!(
                choose_upgrade(&rules, Some(Platform::Android), "", app_v),
                Upgrade::none(app_v)
            );
        }
    }

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

// §2.1 system.init -----------------------------------------------------------

#[derive(Serialize)]
struct Button {
    txt: String,
    url: String,
}

#[derive(Serialize, Deserialize)]
struct NoticeDialog {
    title: String,
    summary: String,
    edition: String,
}

#[derive(Serialize)]
struct Init {
    /// 1 when the token is live (and now refreshed), else 0.
    token_status: i16,
    upgrade: Upgrade,
    /// The start-up ad, or `{}`.
    start_ad: serde_json::Value,
    app_home_right_btn_url: String,
    app_service: Button,
    app_about: Button,
    app_feedback: Button,
    /// The pop-up notice, or `{}`.
    notice_dialog: serde_json::Value,
}

/// Parameters of system.init: only the (optional) `token`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct InitParams {}

async fn init(ctx: Ctx, _: InitParams) -> ApiResult<Reply> {
    let links = &ctx.config.settings.init;
    let start_ad = ads_of(&ctx, START_AD)
        .await?
        .unwrap_or_default()
        .into_iter()
        .next();
    let dialog = cache::value(&ctx, "notice_dialog", notice_dialog(&ctx)).await?;
    let button = |txt: &str, url: &str| Button {
        txt: txt.to_string(),
        url: url.to_string(),
    };
    Reply::data(
        "success",
        &Init {
            token_status: i16::from(ctx.user.is_some()),
            upgrade: upgrade_for(&ctx).await?,
            start_ad: object_or_empty(start_ad)?,
            app_home_right_btn_url: links.home_right_btn_url.clone(),
            app_service: button(&links.service_txt, &links.service_url),
            app_about: button(&links.about_txt, &links.about_url),
            app_feedback: button(&links.feedback_txt, &links.feedback_url),
            notice_dialog: object_or_empty(dialog)?,
        },
    )
}

fn object_or_empty<T: Serialize>(v: Option<T>) -> ApiResult<serde_json::Value> {
    match v {
        Some(v) => serde_json::to_value(v).map_err(|e| ApiError::Internal(e.into())),
        None => Ok(serde_json::Value::Object(serde_json::Map::new())),
    }
}

/// The newest published notice flagged as a dialog.
async fn notice_dialog(ctx: &Ctx) -> ApiResult<Option<NoticeDialog>> {
    let db = ctx.state.stores.pg().await?;
    let stmt = db
        .prepare_cached(
            "SELECT title, summary, edition FROM notices \
             WHERE display AND dialog AND publish_time <= to_timestamp($1::bigint) \
             ORDER BY publish_time DESC, id DESC LIMIT 1",
        )
        .await?;
    Ok(db
        .query_opt(&stmt, &[&ctx.now()])
        .await?
        .map(|r| NoticeDialog {
            title: r.get(0),
            summary: r.get(1),
            edition: r.get(2),
        }))
}

// §2.4 system.upload ---------------------------------------------------------

/// Parameters of system.upload: the signed `token`; the image itself is the
/// unsigned multipart part `image`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UploadParams {}

#[derive(Serialize)]
struct Uploaded {
    file_id: String,
    image_url: String,
    relative_image_url: String,
}

async fn upload(ctx: Ctx, _: UploadParams) -> ApiResult<Reply> {
    let stored = crate::upload::store_image(&ctx, "image").await?;
    let base = ctx
        .config
        .settings
        .upload
        .public_base_url
        .trim_end_matches('/');
    Reply::data(
        "上传成功",
        &Uploaded {
            file_id: stored.file_id.to_string(),
            image_url: format!("{base}{}", stored.relative_url),
            relative_image_url: stored.relative_url,
        },
    )
}
