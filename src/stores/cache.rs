//! The answer cache: public, read-mostly answers (categories, ads, news,
//! goods, notices, upgrade rules) kept in process, pre-serialised, for
//! `cache.ttl_ms`, so those methods do not query PostgreSQL on every request.
//! One loader per key at a time; the others wait for its answer.

use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::{Cache, EntryAction, EntryResult};

use crate::protocol::error::{ApiError, ApiResult, code};

/// Bytes counted per entry for bookkeeping, on top of key and answer.
const ENTRY_OVERHEAD: u64 = 96;

/// An answer, or a refusal that is as lasting as an answer (404).
type Outcome = Result<Bytes, (u32, Cow<'static, str>)>;

#[derive(Clone)]
struct Entry {
    /// On the clock's monotonic scale: served while `now < expires_ms`.
    expires_ms: i64,
    outcome: Outcome,
}

#[derive(Clone)]
struct ByteWeighter;

impl Weighter<String, Entry> for ByteWeighter {
    fn weight(&self, key: &String, entry: &Entry) -> u64 {
        let len = match &entry.outcome {
            Ok(json) => json.len(),
            Err((_, msg)) => msg.len(),
        };
        (key.len() + len) as u64 + ENTRY_OVERHEAD
    }
}

/// Pre-serialised answers by key, bounded in bytes.
pub struct AnswerCache {
    entries: Cache<String, Entry, ByteWeighter>,
}

impl AnswerCache {
    /// An empty cache holding at most about `max_bytes` of keys and answers.
    pub fn new(max_bytes: u64) -> Self {
        let estimated_items = usize::try_from(max_bytes / 2048).unwrap_or(usize::MAX);
        Self {
            entries: Cache::with_weighter(estimated_items.max(64), max_bytes, ByteWeighter),
        }
    }

    /// The answer under `key` while it is fresh; otherwise the one `load`
    /// gives, kept for `ttl` from the moment `load` started (so an
    /// answer never reflects data older than `ttl`). While one caller
    /// loads a key, the others wait for its answer instead of loading too.
    /// Internal errors are never kept; 404s are. A zero `ttl` bypasses the
    /// cache.
    ///
    /// # Errors
    /// What `load` returned (now or when it was cached).
    pub async fn get_or_load(
        &self,
        key: &str,
        ttl: Duration,
        now_ms: impl Fn() -> i64,
        load: impl Future<Output = ApiResult<Bytes>>,
    ) -> ApiResult<Bytes> {
        if ttl.is_zero() {
            return load.await;
        }
        let asked_at = now_ms();
        if let Some(entry) = self.entries.get(key).filter(|e| e.expires_ms > asked_at) {
            return into_result(entry.outcome);
        }
        let fresh = |_: &String, e: &mut Entry| {
            if e.expires_ms > asked_at {
                EntryAction::Retain(e.outcome.clone())
            } else {
                EntryAction::ReplaceWithGuard
            }
        };
        let guard = match self.entries.entry_async(key, fresh).await {
            EntryResult::Retained(outcome) => return into_result(outcome),
            EntryResult::Vacant(guard) | EntryResult::Replaced(guard, _) => guard,
            EntryResult::Removed(..) | EntryResult::Timeout => return load.await,
        };
        let loaded_at = now_ms();
        let result = load.await;
        if let Some(outcome) = lasting(&result) {
            let ttl = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
            let _ = guard.insert(Entry {
                expires_ms: loaded_at.saturating_add(ttl),
                outcome,
            });
        }
        result
    }

    /// How many answers are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no answer is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn into_result(outcome: Outcome) -> ApiResult<Bytes> {
    outcome.map_err(|(code, msg)| ApiError::new(code, msg))
}

/// What of a load result may be kept: answers and 404s, never internal
/// errors or other refusals.
fn lasting(result: &ApiResult<Bytes>) -> Option<Outcome> {
    match result {
        Ok(json) => Some(Ok(json.clone())),
        Err(ApiError::Refused { code, msg }) if *code == code::NOT_FOUND => {
            Some(Err((*code, msg.clone())))
        }
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

    struct Fixture {
        cache: AnswerCache,
        now: AtomicI64,
        loads: AtomicUsize,
    }

    impl Fixture {
        fn new() -> Arc<Self> {
            Arc::new(Self {
                cache: AnswerCache::new(1024 * 1024),
                now: AtomicI64::new(0),
                loads: AtomicUsize::new(0),
            })
        }

        async fn get(
            &self,
            key: &str,
            ttl: u64,
            answer: ApiResult<&'static str>,
        ) -> ApiResult<Bytes> {
            self.cache
                .get_or_load(
                    key,
                    Duration::from_millis(ttl),
                    || self.now.load(Ordering::SeqCst),
                    async {
                        self.loads.fetch_add(1, Ordering::SeqCst);
                        answer.map(|s| Bytes::from_static(s.as_bytes()))
                    },
                )
                .await
        }

        fn loads(&self) -> usize {
            self.loads.load(Ordering::SeqCst)
        }
    }

    #[tokio::test]
    async fn an_answer_is_served_from_memory_until_its_ttl_passes() {
        let f = Fixture::new();
        assert_eq!(f.get("k", 100, Ok("{\"v\":1}")).await.unwrap(), "{\"v\":1}");
        f.now.store(99, Ordering::SeqCst);
        assert_eq!(f.get("k", 100, Ok("{\"v\":2}")).await.unwrap(), "{\"v\":1}");
        assert_eq!(f.loads(), 1);
        f.now.store(100, Ordering::SeqCst);
        assert_eq!(f.get("k", 100, Ok("{\"v\":2}")).await.unwrap(), "{\"v\":2}");
        assert_eq!(f.loads(), 2);
    }

    #[tokio::test]
    async fn a_zero_ttl_loads_every_time() {
        let f = Fixture::new();
        f.get("k", 0, Ok("{}")).await.unwrap();
        f.get("k", 0, Ok("{}")).await.unwrap();
        assert_eq!(f.loads(), 2);
        assert!(f.cache.is_empty());
    }

    #[tokio::test]
    async fn not_found_is_kept_and_internal_errors_are_not() {
        let f = Fixture::new();
        let e = f
            .get("gone", 100, Err(ApiError::not_found("不存在")))
            .await
            .unwrap_err();
        assert_eq!((e.code(), e.public_msg()), (404, "不存在"));
        let e = f.get("gone", 100, Ok("{}")).await.unwrap_err();
        assert_eq!(e.code(), 404);
        assert_eq!(f.loads(), 1);

        let boom = || Err(ApiError::Internal(anyhow::anyhow!("db down")));
        assert_eq!(f.get("flaky", 100, boom()).await.unwrap_err().code(), 500);
        assert_eq!(f.get("flaky", 100, Ok("{}")).await.unwrap(), "{}");
        assert_eq!(f.loads(), 3);
    }

    #[tokio::test]
    async fn concurrent_misses_of_one_key_load_once() {
        let f = Fixture::new();
        let (release, gate) = tokio::sync::watch::channel(false);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let f = f.clone();
                let mut gate = gate.clone();
                tokio::spawn(async move {
                    f.cache
                        .get_or_load("hot", Duration::from_secs(1), || 0, async {
                            f.loads.fetch_add(1, Ordering::SeqCst);
                            let _ = gate.wait_for(|open| *open).await;
                            Ok(Bytes::from_static(b"{}"))
                        })
                        .await
                })
            })
            .collect();
        // On this single-threaded runtime, yielding runs every task up to
        // where it waits: one in its load, seven for that load.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        assert_eq!(f.loads(), 1);
        release.send(true).unwrap();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "{}");
        }
        assert_eq!(f.loads(), 1);
    }

    #[test]
    fn the_size_bound_evicts() {
        let cache = AnswerCache::new(1024 * 1024);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let big = Bytes::from(vec![b'x'; 64 * 1024]);
        for i in 0..64 {
            let json = big.clone();
            rt.block_on(
                cache.get_or_load(&format!("k{i}"), Duration::from_secs(1), || 0, async {
                    Ok(json)
                }),
            )
            .unwrap();
        }
        let held = cache.len();
        assert!(held > 0 && held < 64, "{held} entries of 64 KiB in 1 MiB");
    }
}
