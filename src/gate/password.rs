//! Password hashing with argon2id (PHC strings), bounded: every hash and
//! check runs on a small, fixed number of workers sized to the cores, with
//! a short queue and a short wait, so a burst of password work cannot take
//! the memory (about 19 MiB per check) or the CPU of the process
//! (docs/protocol.md §8.6).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::config::accounts::GuardSettings;
use crate::protocol::error::{ApiError, ApiResult};

/// What a client is told when no worker is free in time.
pub const BUSY_MSG: &str = "系统繁忙，请稍后再试";

/// The process's password workers: a semaphore of `workers` permits, the
/// number of jobs waiting for one, and how many checks ran (for tests and
/// operators).
pub struct PasswordWork {
    permits: Arc<Semaphore>,
    workers: usize,
    waiting: AtomicUsize,
    checks: AtomicU64,
}

/// Counts a waiting job while it waits.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl PasswordWork {
    /// `workers` permits; 0 means half the cores, at least one (the other
    /// half keeps serving requests).
    pub fn new(workers: u32) -> Self {
        let workers = match workers {
            0 => std::thread::available_parallelism()
                .map_or(1, |n| n.get() / 2)
                .max(1),
            n => n as usize,
        };
        Self {
            permits: Arc::new(Semaphore::new(workers)),
            workers,
            waiting: AtomicUsize::new(0),
            checks: AtomicU64::new(0),
        }
    }

    /// How many jobs may run at once.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Password checks run so far (wrong or right).
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// Run `job` on a worker: at once when one is free, else after a wait of
    /// at most `guards.password_wait_ms` behind at most
    /// `guards.password_queue` others. The permit travels with the job, so
    /// a caller that gives up does not free a worker still hashing.
    async fn run<T: Send + 'static>(
        &self,
        g: &GuardSettings,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                let ahead = self.waiting.fetch_add(1, Ordering::AcqRel);
                let _waiting = Waiting(&self.waiting);
                if ahead >= g.password_queue as usize {
                    return Err(ApiError::business(BUSY_MSG));
                }
                match tokio::time::timeout(g.password_wait_ms, self.permits.clone().acquire_owned())
                    .await
                {
                    Ok(Ok(p)) => p,
                    _ => return Err(ApiError::business(BUSY_MSG)),
                }
            }
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("password worker failed: {e}")))
    }

    /// Hash `password` with argon2id and a random salt.
    ///
    /// # Errors
    /// 503 busy (no worker in time); 500 when the worker fails.
    pub async fn hash(&self, g: &GuardSettings, password: String) -> ApiResult<String> {
        self.run(g, move || hash_now(&password))
            .await?
            .map_err(ApiError::Internal)
    }

    /// Whether `password` matches the stored PHC `hash`. A malformed stored
    /// hash never matches.
    ///
    /// # Errors
    /// 503 busy (no worker in time); 500 when the worker fails.
    pub async fn verify(
        &self,
        g: &GuardSettings,
        password: String,
        hash: String,
    ) -> ApiResult<bool> {
        self.checks.fetch_add(1, Ordering::Relaxed);
        self.run(g, move || verify_now(&password, &hash)).await
    }
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))
}

fn verify_now(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let work = PasswordWork::new(1);
        let g = GuardSettings::default();
        let h = work.hash(&g, "secret-123".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(
            work.verify(&g, "secret-123".into(), h.clone())
                .await
                .unwrap()
        );
        assert!(!work.verify(&g, "secret-124".into(), h).await.unwrap());
        assert!(!verify_now("x", "not a phc string"));
        assert_eq!(work.checks(), 2);
    }

    #[tokio::test]
    async fn jobs_beyond_the_queue_are_refused_as_busy() {
        let work = Arc::new(PasswordWork::new(1));
        let g = GuardSettings {
            password_queue: 1,
            ..GuardSettings::default()
        };
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let running = {
            let (work, g) = (work.clone(), g.clone());
            tokio::spawn(async move { work.run(&g, move || rx.recv().is_ok()).await })
        };
        while work.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let queued = {
            let (work, g) = (work.clone(), g.clone());
            tokio::spawn(async move { work.run(&g, || true).await })
        };
        while work.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        let refused = work.run(&g, || true).await.unwrap_err();
        assert_eq!((refused.code(), refused.public_msg()), (503, BUSY_MSG));
        tx.send(()).unwrap();
        assert!(running.await.unwrap().unwrap());
        assert!(queued.await.unwrap().unwrap());
    }

    #[test]
    fn the_demo_hash_matches_the_demo_password() {
        let sql = include_str!("../../sql/demo/10_users.sql");
        let start = sql
            .find("$argon2id$")
            .expect("demo user has an argon2id hash");
        let end = start + sql[start..].find('\'').unwrap();
        assert!(verify_now("demo123456", &sql[start..end]));
    }
}
