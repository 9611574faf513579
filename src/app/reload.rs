//! Hot reload: on SIGHUP, and when gateway.toml or apps.toml changes on
//! disk, load both, validate, and swap atomically. A config that fails is
//! refused and the one in force keeps serving.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use crate::config::{Config, ConfigCell};
use crate::handler::AppState;
use crate::services::Metrics;

/// Quiet time after the last file event before reloading, so an editor's
/// write-rename-chmod sequence causes one reload.
const SETTLE: Duration = Duration::from_millis(100);

/// Load the files again and swap them in when valid. Returns whether it did.
pub fn reload(config: &ConfigCell, metrics: &Metrics) -> bool {
    let current = config.load_full();
    match Config::load_with(&current.source, current.env_overrides) {
        Ok(next) => {
            let ignored = current.restart_only_changes(&next);
            if !ignored.is_empty() {
                tracing::warn!(settings = ?ignored, "changed settings take effect only after a restart");
            }
            config.store(Arc::new(next));
            metrics.reload(true);
            tracing::info!(file = %current.source.display(), "configuration reloaded");
            true
        }
        Err(e) => {
            metrics.reload(false);
            tracing::error!(error = %e, "configuration refused; the previous one stays in force");
            false
        }
    }
}

/// What makes the gateway reload: file events and SIGHUP. Installed when
/// the application is built, so no change made after `build` is missed.
pub struct Triggers {
    rx: mpsc::Receiver<()>,
    _watcher: Option<notify::RecommendedWatcher>,
    hup: Option<Signal>,
}

impl Triggers {
    /// Start watching the config files (when `watch_config` is on) and
    /// listening for SIGHUP.
    pub fn install(config: &Config) -> Self {
        let (tx, rx) = mpsc::channel::<()>(16);
        let watcher = if config.settings.watch_config {
            match file_watcher(&watched_files(config), tx) {
                Ok(w) => Some(w),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot watch config files; reload with SIGHUP");
                    None
                }
            }
        } else {
            None
        };
        let hup = match signal(SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP");
                None
            }
        };
        Self {
            rx,
            _watcher: watcher,
            hup,
        }
    }
}

/// Reload on every trigger until `stop` resolves.
pub async fn run(
    config: ConfigCell,
    state: Arc<AppState>,
    mut triggers: Triggers,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        let hup = async {
            match triggers.hup.as_mut() {
                Some(h) => h.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = &mut stop => break,
            Some(()) = triggers.rx.recv() => {
                // Let the burst of events settle, then drain it.
                tokio::time::sleep(SETTLE).await;
                while triggers.rx.try_recv().is_ok() {}
                reload(&config, &state.metrics);
            }
            Some(()) = hup => {
                tracing::info!("SIGHUP: reloading configuration");
                reload(&config, &state.metrics);
            }
        }
    }
}

fn watched_files(config: &Config) -> Vec<PathBuf> {
    vec![config.source.clone(), config.settings.apps_file.clone()]
}

/// Watch the folders holding `files` (editors replace files by renaming,
/// which a watch on the file itself would lose) and signal on changes to them.
fn file_watcher(
    files: &[PathBuf],
    tx: mpsc::Sender<()>,
) -> notify::Result<notify::RecommendedWatcher> {
    let names: Vec<PathBuf> = files.iter().map(|f| absolute(f)).collect();
    let wanted = names.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if event.kind.is_access() {
            return;
        }
        if event.paths.iter().any(|p| wanted.iter().any(|w| w == p)) {
            let _ = tx.try_send(());
        }
    })?;
    let mut dirs: Vec<PathBuf> = names
        .iter()
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    dirs.dedup();
    for dir in dirs {
        watcher.watch(&dir, RecursiveMode::NonRecursive)?;
    }
    Ok(watcher)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
