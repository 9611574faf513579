//! The scheduler inside `serve` (docs/protocol.md §17): every
//! `jobs.interval_ms`, when `jobs.enabled`, run each job the registry
//! declared (`AppState::jobs`) once at the gateway's clock. Settings are read from the live config at each tick.

use std::sync::Arc;

use crate::config::ConfigCell;
use crate::handler::AppState;
use crate::shared::jobs::{self, Run};

/// Tick until `stop` resolves. The first run waits one interval.
pub async fn schedule(state: Arc<AppState>, config: ConfigCell, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        let interval = config.load().settings.jobs.interval_ms;
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(interval) => {}
        }
        let snapshot = config.load_full();
        if snapshot.settings.jobs.enabled {
            run_all(&state, &snapshot.settings).await;
        }
    }
}

/// Run every job once now; what each did. Tests call it to run the jobs
/// at a moved clock without waiting for a tick.
pub async fn run_all(state: &AppState, settings: &crate::config::Settings) -> Vec<Run> {
    let mut runs = Vec::with_capacity(state.jobs.len());
    for job in &state.jobs {
        let now = state.clock.now();
        runs.push(
            jobs::run(
                &state.stores,
                &state.metrics,
                settings,
                job,
                state.instance,
                now,
            )
            .await,
        );
    }
    runs
}
