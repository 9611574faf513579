//! system.upgrade (app.upgrade): the upgrade advice for a caller's platform,
//! channel and app_v, also used by system.init.

use serde::{Deserialize, Serialize};

use crate::handler::{ApiResult, Ctx, Reply};

use super::NoParams;
use crate::handler::{Platform, Version, cached};

pub(super) async fn upgrade(ctx: Ctx, _: NoParams) -> ApiResult<Reply> {
    Reply::data("success", &upgrade_for(&ctx).await?)
}

/// The upgrade advice for a caller (and system.init's `upgrade`).
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
    cached::value(ctx, &key, load_upgrade_rules(ctx, platform)).await
}

async fn load_upgrade_rules(ctx: &Ctx, platform: Platform) -> ApiResult<Vec<UpgradeRule>> {
    let db = ctx.stores().pg_read().await?;
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
}
