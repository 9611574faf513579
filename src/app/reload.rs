//! Hot reload: on SIGHUP, and when gateway.toml or apps.toml changes on
//! disk, load both, validate, and swap atomically. A config that fails is
//! refused and the one in force keeps serving. Only the two files are
//! watched, so other writes in their folder cost nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use prometheus_client::metrics::counter::Counter;

use crate::config::{Config, ConfigCell};
use crate::handler::AppState;
use crate::stores::Metrics;

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
    files: Option<FileWatch>,
    hup: Option<Signal>,
}

impl Triggers {
    /// Start watching the config files (when `watch_config` is on) and
    /// listening for SIGHUP. `events` counts what the watcher delivers.
    pub fn install(config: &Config, events: Counter) -> Self {
        let (tx, rx) = mpsc::channel::<()>(16);
        let files = if config.settings.watch_config {
            match FileWatch::start(&watched_files(config), tx, events) {
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
        Self { rx, files, hup }
    }

    /// Watch the files again (a file replaced by a rename is a new file).
    fn rearm(&mut self) {
        if let Some(files) = self.files.as_mut() {
            if let Err(e) = files.arm() {
                tracing::warn!(error = %e, "cannot watch config files; reload with SIGHUP");
            }
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
                // Let the burst of events settle, then drain it. The files
                // are watched again before they are read, so a change after
                // this read wakes the watcher again.
                tokio::time::sleep(SETTLE).await;
                while triggers.rx.try_recv().is_ok() {}
                triggers.rearm();
                reload(&config, &state.metrics);
            }
            Some(()) = hup => {
                tracing::info!("SIGHUP: reloading configuration");
                triggers.rearm();
                reload(&config, &state.metrics);
            }
        }
    }
}

fn watched_files(config: &Config) -> Vec<PathBuf> {
    vec![config.source.clone(), config.settings.apps_file.clone()]
}

/// A watch on the config files themselves, not their folder: writes to
/// other files there (a log beside gateway.toml) never reach the process,
/// where a folder watch woke the watcher's thread on each of them.
///
/// An editor that replaces a file by renaming leaves the watch on the old
/// file, which reports the change (its link count) and goes away; after
/// each change the files are watched again ([`FileWatch::arm`]). While a
/// file is missing its folder is watched instead, until it is back.
struct FileWatch {
    watcher: notify::RecommendedWatcher,
    files: Vec<PathBuf>,
    /// Folders watched for missing files.
    folders: Vec<PathBuf>,
}

impl FileWatch {
    fn start(files: &[PathBuf], tx: mpsc::Sender<()>, events: Counter) -> notify::Result<Self> {
        let files: Vec<PathBuf> = files.iter().map(|f| absolute(f)).collect();
        let wanted = files.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            events.inc();
            let Ok(event) = event else { return };
            if event.kind.is_access() {
                return;
            }
            // Only a folder watch (a file missing) sees other paths.
            if event.paths.iter().any(|p| wanted.iter().any(|w| w == p)) {
                let _ = tx.try_send(());
            }
        })?;
        let mut watch = Self {
            watcher,
            files,
            folders: Vec::new(),
        };
        watch.arm()?;
        Ok(watch)
    }

    /// (Re)place a watch on each file, or on its folder while it is missing.
    fn arm(&mut self) -> notify::Result<()> {
        for path in self.files.iter().chain(&self.folders) {
            // Already gone when the file was replaced or removed.
            let _ = self.watcher.unwatch(path);
        }
        self.folders.clear();
        for file in &self.files {
            if self
                .watcher
                .watch(file, RecursiveMode::NonRecursive)
                .is_ok()
            {
                continue;
            }
            let Some(folder) = file.parent().map(Path::to_path_buf) else {
                continue;
            };
            if !self.folders.contains(&folder) {
                self.watcher.watch(&folder, RecursiveMode::NonRecursive)?;
                self.folders.push(folder);
            }
        }
        Ok(())
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
