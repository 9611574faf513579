//! Configuration: the typed settings of gateway.toml, the appids of
//! apps.toml, and one consistent snapshot of both with the rules that must
//! hold between them. Requests read one snapshot each, so a reload never
//! shows them half a config. May use `domain` and `protocol`.

pub mod accounts;
pub mod apps;
pub mod console;
pub mod content;
pub mod home;
pub mod jobs;
pub mod limits;
pub mod log;
pub mod mp;
pub mod patterns;
pub mod payments;
pub mod platforms;
pub mod push;
pub mod secrets;
pub mod settings;
pub mod stores;
pub mod values;
pub mod wechat;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use apps::AppTable;
pub use settings::Settings;
use values::RunEnv;

/// A loaded, validated configuration.
#[derive(Debug)]
pub struct Config {
    pub settings: Settings,
    pub apps: AppTable,
    /// Where gateway.toml was read from (reloads read it again).
    pub source: PathBuf,
    /// Whether the process environment overrides the files (reloads do the same).
    pub env_overrides: bool,
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Settings(#[from] settings::SettingsError),
    #[error(transparent)]
    Apps(#[from] apps::AppsError),
    #[error("{0}")]
    Rule(String),
}

impl Config {
    /// Load gateway.toml at `path`, then the apps file it names, with the
    /// environment's overrides and secrets.
    ///
    /// # Errors
    /// Any problem in either file, or a rule between them that does not hold.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::load_with(path, true)
    }

    /// Like [`Config::load`]; without `env_overrides` the files alone
    /// decide (tests use this so a developer's shell cannot redirect them).
    ///
    /// # Errors
    /// See [`Config::load`].
    pub fn load_with(path: &Path, env_overrides: bool) -> Result<Self, ConfigError> {
        let settings = Settings::load(path, env_overrides)?;
        let apps = AppTable::load(&settings.apps_file, |var| std::env::var(var).ok())?;
        let config = Self {
            settings,
            apps,
            source: path.to_path_buf(),
            env_overrides,
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let enabled = self.apps.iter().filter(|a| a.enabled).count();
        if enabled == 0 {
            return Err(ConfigError::Rule(format!(
                "{}: no enabled appid; nothing could call the gateway",
                self.settings.apps_file.display()
            )));
        }
        let env = self.settings.env;
        if !env.is_dev_or_test() {
            let mut apps: Vec<_> = self.apps.iter().collect();
            apps.sort_by(|a, b| a.appid.cmp(&b.appid));
            for app in apps {
                for slot in &app.secrets {
                    if let Some(why) = secrets::weak_secret(slot.value.expose()) {
                        return Err(ConfigError::Rule(format!(
                            "{}: apps.{}: secret {} {why}; env {env:?} needs a random secret of at least 32 characters (give it with {{ env = \"…\" }})",
                            self.settings.apps_file.display(),
                            app.appid,
                            slot.label
                        )));
                    }
                }
            }
        }
        // After the secrets: a demo secret is the graver refusal.
        wechat::check_apps(&self.settings.wechat, &self.apps).map_err(ConfigError::Rule)?;
        if env == RunEnv::Pro {
            if let Some(first) = self.exposures().first() {
                return Err(ConfigError::Rule(format!(
                    "{first}; env Pro refuses an appid without limits or with every method \
                     (docs/protocol.md §12.3)"
                )));
            }
        }
        Ok(())
    }

    /// What the enabled appids expose (`App::exposures`), one line each,
    /// by appid: warned by `check-config` and at start-up, refused in `pro`.
    pub fn exposures(&self) -> Vec<String> {
        let mut apps: Vec<_> = self.apps.iter().filter(|a| a.enabled).collect();
        apps.sort_by(|a, b| a.appid.cmp(&b.appid));
        apps.into_iter()
            .flat_map(|a| {
                let file = self.settings.apps_file.display().to_string();
                a.exposures()
                    .into_iter()
                    .map(move |why| format!("{file}: apps.{}: {why}", a.appid))
            })
            .collect()
    }

    /// The settings that only take effect at start-up and differ between
    /// `self` and `next` (a reload keeps the old values for these).
    pub fn restart_only_changes(&self, next: &Config) -> Vec<&'static str> {
        let (a, b) = (&self.settings, &next.settings);
        let mut changed = Vec::new();
        if a.server.listen != b.server.listen {
            changed.push("server.listen");
        }
        if a.server.max_connections != b.server.max_connections {
            changed.push("server.max_connections");
        }
        if a.postgres.url != b.postgres.url
            || a.postgres.pool_size != b.postgres.pool_size
            || a.postgres.heavy_reads != b.postgres.heavy_reads
            || a.postgres.pool_url != b.postgres.pool_url
            || a.postgres.read_url != b.postgres.read_url
        {
            changed.push("postgres");
        }
        if a.redis.url != b.redis.url
            || a.redis.key_prefix != b.redis.key_prefix
            || a.redis.cluster_nodes != b.redis.cluster_nodes
        {
            changed.push("redis");
        }
        if a.log.format != b.log.format {
            changed.push("log.format");
        }
        if a.server.body_memory_budget_bytes != b.server.body_memory_budget_bytes {
            changed.push("server.body_memory_budget_bytes");
        }
        if a.cache.max_bytes != b.cache.max_bytes {
            changed.push("cache.max_bytes");
        }
        if a.payments != b.payments {
            changed.push("payments");
        }
        if a.guards.password_workers != b.guards.password_workers {
            changed.push("guards.password_workers");
        }
        changed
    }
}

/// Shared handle to the configuration in force.
pub type ConfigCell = Arc<arc_swap::ArcSwap<Config>>;
