//! system.*: start-up and housekeeping methods (docs/methods.md, system.*),
//! one file per method or small group.

mod ads;
mod category;
mod init;
mod link;
mod ping;
mod upgrade;
mod upload;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::handler::{Method, Registry};

use ads::{ads, home};
use category::category_list;
use init::init;
use link::link;
use ping::{ping, request_token};
use upgrade::upgrade;
use upload::upload;

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
            .summary("APP 启动初始化：token_status（1 令牌有效并已续期，0 无效或未传，从不报错）、升级信息、启动广告（app_start，没有时 {}）、导航与菜单链接（配置 [init]）、弹窗公告（没有时 {}）。"),
        init,
    );
    r.add(
        Method::new("system.upload", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .summary("图片上传：multipart 表单，图片放在字段 image（不参与签名）。按文件内容识别 JPG、PNG、GIF、WebP；大小上限见 [upload] max_image_bytes。"),
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
            .summary("升级检查：按调用方的 platform、channel、app_v（按版本号比较）选出升级规则；iOS 的 app_url 为空；无需升级时 upgrade_way 为 0、其余为空字符串。"),
        upgrade,
    );
    r.add(
        Method::new("system.ads", "1.0.0").summary(
            "广告位的广告，仅投放期内的，按排序。广告位编码：home_banner 首页轮播、app_start APP 启动页；没有该广告位时 404，广告位关闭时为空列表。",
        ),
        ads,
    );
    r.add(
        Method::new("system.link", "1.0.0")
            .summary("友情链接，按链接分类分组；没有链接的分类不列出。"),
        link,
    );
    r.add(
        Method::new("system.category.list", "1.0.0").summary(
            "分类树：parentid 之下某类型的全部可见分类，键为 \"0_<cat_id>\"，没有子分类时 sub 为 []；parentid 不存在时 404。",
        ),
        category_list,
    );
    r.add(
        Method::new("system.home", "1.0.0").summary("首页数据：广告位 home_banner 的广告。"),
        home,
    );
}

/// No business parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoParams {}
