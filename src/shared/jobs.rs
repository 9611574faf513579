//! The timed jobs (docs/protocol.md §17): what a job is (which records
//! are due by the gateway's clock, and the machine action that moves them,
//! or one set-based statement for records without a machine) and how one
//! run goes. Each product declares its jobs beside its machines and adds
//! them to the registry (`Registry::job`, `Registry::sweep`). A run locks
//! its due rows with `FOR UPDATE SKIP LOCKED`, so instances running the
//! same job at once never move a record twice.

use std::time::Instant;

use crate::config::Settings;
use crate::protocol::error::ApiResult;
use crate::shared::machine::{self, Actor, By, Key, Machine};
use crate::stores::{Metrics, Stores};

/// What a job does to a record after moving it, in the same transaction
/// (e.g. give an order's stock back).
pub type Then = for<'a> fn(
    &'a crate::stores::db::Tx<'a>,
    i64,
) -> futures_util::future::BoxFuture<'a, ApiResult<()>>;

/// A timed transition: records `due` by the clock move by `action`.
#[derive(Clone, Copy, Debug)]
pub struct Job {
    /// Also the actor id recorded with each transition.
    pub name: &'static str,
    pub machine: &'static Machine,
    pub action: &'static str,
    /// Ids of due records: `$1` the cutoff (Unix seconds), `$2` the batch
    /// size; ends with `FOR UPDATE SKIP LOCKED`.
    pub due: &'static str,
    /// How long before a record is due, in seconds, under these settings.
    pub after_secs: fn(&Settings) -> i64,
    /// Run after each move, in its transaction.
    pub then: Option<Then>,
}

/// A timed statement over records that have no machine (e.g. expired
/// payments close): `sql` changes at most `$2` rows due by `$1` (the
/// cutoff, Unix seconds), locking them with `FOR UPDATE SKIP LOCKED`, and
/// answers how many it changed.
#[derive(Clone, Copy, Debug)]
pub struct Sweep {
    pub name: &'static str,
    pub sql: &'static str,
    /// How long before a record is due, in seconds, under these settings.
    pub after_secs: fn(&Settings) -> i64,
}

/// One thing the scheduler runs.
#[derive(Clone, Copy, Debug)]
pub enum Task {
    Move(Job),
    Sweep(Sweep),
}

impl Task {
    /// The job's name (its `job_runs` and metrics label).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Move(j) => j.name,
            Self::Sweep(s) => s.name,
        }
    }

    fn after_secs(&self, s: &Settings) -> i64 {
        match self {
            Self::Move(j) => (j.after_secs)(s),
            Self::Sweep(w) => (w.after_secs)(s),
        }
    }

    /// Whether the task is well declared.
    ///
    /// # Errors
    /// What is wrong, naming the task.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Self::Move(j) => j.check(),
            Self::Sweep(s) if !s.sql.contains("FOR UPDATE SKIP LOCKED") => Err(format!(
                "sweep {}: its statement must lock with FOR UPDATE SKIP LOCKED",
                s.name
            )),
            Self::Sweep(_) => Ok(()),
        }
    }
}

/// What one run of a job did.
#[derive(Debug)]
pub struct Run {
    pub job: &'static str,
    /// Records moved (committed).
    pub items: u64,
    pub ok: bool,
}

/// Run `job` once at `now` (Unix seconds by the gateway's clock), batch by
/// batch until nothing is due, then record the run in `job_runs` and the
/// metrics. A failed batch is rolled back; the ones before it stay.
pub async fn run(
    stores: &Stores,
    metrics: &Metrics,
    settings: &Settings,
    job: &Task,
    instance: u32,
    now: i64,
) -> Run {
    let name = job.name();
    let started = Instant::now();
    let mut items = 0;
    let result = loop {
        match batch(stores, job, settings, now).await {
            Ok(n) => {
                items += n;
                if i64::try_from(n).unwrap_or(i64::MAX) < settings.jobs.batch_size {
                    break Ok(());
                }
            }
            Err(e) => break Err(e),
        }
    };
    let error = match &result {
        Ok(()) => String::new(),
        Err(e) => {
            tracing::error!(job = name, error = ?e, "job run failed");
            format!("{e:#}")
        }
    };
    let ok = result.is_ok();
    if let Err(e) = record(stores, name, instance, now, started, items, &error).await {
        tracing::error!(job = name, error = ?e, "recording a job run failed");
    }
    metrics.job_run(name, ok, items, now);
    Run {
        job: name,
        items,
        ok,
    }
}

/// One transaction: lock up to `batch_size` due records and move each.
async fn batch(stores: &Stores, task: &Task, settings: &Settings, now: i64) -> ApiResult<u64> {
    let cutoff = (now - task.after_secs(settings)) as f64;
    let mut db = stores.pg().await?;
    let tx = db.transaction().await?;
    let job = match task {
        Task::Move(job) => job,
        Task::Sweep(s) => {
            let n = tx
                .execute(s.sql, &[&cutoff, &settings.jobs.batch_size])
                .await?;
            tx.commit().await?;
            return Ok(n);
        }
    };
    let due = tx.prepare_cached(job.due).await?;
    let rows = tx
        .query(&due, &[&cutoff, &settings.jobs.batch_size])
        .await?;
    let actor = Actor::System(job.name);
    for row in &rows {
        let id: i64 = row.get(0);
        machine::transition(&tx, job.machine, Key::Id(id), job.action, &actor, now).await?;
        if let Some(then) = job.then {
            then(&tx, id).await?;
        }
    }
    tx.commit().await?;
    Ok(rows.len() as u64)
}

async fn record(
    stores: &Stores,
    job: &str,
    instance: u32,
    now: i64,
    started: Instant,
    items: u64,
    error: &str,
) -> ApiResult<()> {
    let db = stores.pg().await?;
    let stmt = db
        .prepare_cached(
            "INSERT INTO job_runs (job, instance, started_at, finished_at, items, result, error) \
             VALUES ($1, $2, to_timestamp($3), to_timestamp($3) + make_interval(secs => $4), $5, $6, $7)",
        )
        .await?;
    let result = if error.is_empty() { "ok" } else { "error" };
    db.execute(
        &stmt,
        &[
            &job,
            &format!("{instance:08x}"),
            &(now as f64),
            &started.elapsed().as_secs_f64(),
            &i32::try_from(items).unwrap_or(i32::MAX),
            &result,
            &error,
        ],
    )
    .await?;
    Ok(())
}

impl Job {
    /// Whether the job is well declared: its action is one of its
    /// machine's, taken by the system, and its query locks what it finds.
    ///
    /// # Errors
    /// What is wrong, naming the job.
    pub fn check(&self) -> Result<(), String> {
        let taken_by_system = self
            .machine
            .actions
            .iter()
            .any(|a| a.name == self.action && a.by.contains(&By::System));
        if !taken_by_system {
            return Err(format!(
                "job {}: {} is no system action of its machine",
                self.name, self.action
            ));
        }
        if !self.due.ends_with("FOR UPDATE SKIP LOCKED") {
            return Err(format!(
                "job {}: its query must end with FOR UPDATE SKIP LOCKED",
                self.name
            ));
        }
        Ok(())
    }
}
