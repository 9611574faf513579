//! Shared, pipelined PostgreSQL connections for single read statements
//! (`postgres.shared_reads`, docs/protocol.md §24.3).
//!
//! A pooled connection carries one statement at a time, so every read
//! wakes a backend of its own. Here a few connections are shared by every
//! request: statements from concurrent requests queue on one connection,
//! tokio-postgres writes them together, and the backend runs them back to
//! back and answers them together. On the bench's order.list this took
//! PostgreSQL's CPU per statement from about 95 to about 60 µs.
//!
//! "Together" needs one more step on tokio's scheduler: a task woken by
//! the running task runs next (its LIFO slot), so the connection's task
//! would write each statement as soon as its request queued it, one
//! `write(2)` and one backend wake-up per statement. The connection is
//! therefore driven one scheduler round late (`one_round_late`): woken, it
//! waits until the requests already runnable have had their turn, then
//! writes everything they queued at once and reads every answer that has
//! arrived. On the bench this raised order.list by about a tenth.
//!
//! Which methods read here is listed in docs/protocol.md §24.3.
//!
//! What may come here: one statement that only reads, outside any
//! transaction, whose answer may wait behind the statements queued before
//! it on the same connection (at most `postgres.statement_timeout_ms`
//! each). A statement is sent on the connection with the fewest in flight.
//! Nothing here fails a request that the pool would have served: until a
//! connection is up (at start, and after PostgreSQL dropped it) the
//! statement goes through the pool while the connection is opened again
//! in the background, and a statement whose connection died under it is
//! sent again through the pool (it only reads). So is one that has not
//! been answered a second past `postgres.statement_timeout_ms`, which the
//! server would have cancelled by then: its connection is taken as broken
//! (a network that dropped it without a reset) and replaced.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use tokio_postgres::{Client, Error, NoTls, Row, Statement};

use super::db::Params;

/// How long a connection that failed to open is left before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Statements kept prepared per connection. The texts are the handlers'
/// constants, a few dozen; past this many a text is prepared, used and
/// closed instead, so a text built per request cannot grow the cache (or
/// the server's prepared statements) without bound.
const MAX_STATEMENTS: usize = 1024;

/// The shared connections of one process.
pub struct SharedReads {
    slots: Box<[Arc<Slot>]>,
    config: tokio_postgres::Config,
    /// A statement unanswered this long means its connection is broken.
    deadline: Duration,
    /// Statements answered on a shared connection, since the start.
    served: AtomicU64,
}

#[derive(Default)]
struct Slot {
    conn: ArcSwapOption<Conn>,
    /// A connect of this slot is under way.
    opening: AtomicBool,
    /// No connect before this instant (after a failed one).
    not_before: Mutex<Option<Instant>>,
}

/// One shared connection and the statements prepared on it.
pub struct Conn {
    client: Client,
    statements: Mutex<HashMap<Box<str>, Statement>>,
    in_flight: AtomicUsize,
    /// A statement on it outlived the deadline: replace it.
    broken: AtomicBool,
}

impl Conn {
    fn usable(&self) -> bool {
        !self.client.is_closed() && !self.broken.load(Ordering::Relaxed)
    }
}

/// Why a statement on a shared connection was not answered.
#[derive(Debug)]
pub enum Failed {
    /// PostgreSQL's error, or the connection closed.
    Postgres(Error),
    /// No answer within the deadline: the connection is now set aside.
    Stuck,
}

/// A connection lent to one statement; counts it in flight until dropped.
pub struct Lease<'a> {
    conn: Arc<Conn>,
    reads: &'a SharedReads,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.conn.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl SharedReads {
    /// `count` shared connections to `config` (named "yafgate reads" in
    /// `pg_stat_activity`), whose statements are answered within
    /// `statement_timeout` or cancelled by the server. None is opened here.
    pub fn new(count: usize, config: &tokio_postgres::Config, statement_timeout: Duration) -> Self {
        let mut config = config.clone();
        config.application_name("yafgate reads");
        Self {
            slots: (0..count).map(|_| Arc::new(Slot::default())).collect(),
            config,
            deadline: super::db::answer_deadline(statement_timeout),
            served: AtomicU64::new(0),
        }
    }

    /// The open connection with the fewest statements in flight, or `None`
    /// when none is open. A slot found closed or empty is opened again in
    /// the background.
    pub fn lease(&self) -> Option<Lease<'_>> {
        let mut best: Option<(Arc<Conn>, usize)> = None;
        for slot in &*self.slots {
            match slot.conn.load_full() {
                Some(c) if c.usable() => {
                    let n = c.in_flight.load(Ordering::Relaxed);
                    if best.as_ref().is_none_or(|(_, m)| n < *m) {
                        best = Some((c, n));
                    }
                }
                _ => self.open(slot),
            }
        }
        let (conn, _) = best?;
        conn.in_flight.fetch_add(1, Ordering::Relaxed);
        Some(Lease { conn, reads: self })
    }

    /// Open `slot` in the background, once at a time and not before its
    /// retry instant.
    fn open(&self, slot: &Arc<Slot>) {
        {
            let not_before = slot
                .not_before
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if not_before.is_some_and(|t| Instant::now() < t) {
                return;
            }
        }
        if slot.opening.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            slot.opening.store(false, Ordering::Release);
            return;
        };
        let config = self.config.clone();
        let slot = slot.clone();
        runtime.spawn(async move {
            match config.connect(NoTls).await {
                Ok((client, connection)) => {
                    tokio::spawn(async move {
                        if let Err(e) = one_round_late(connection).await {
                            tracing::warn!(error = %e, "shared read connection closed");
                        }
                    });
                    slot.conn.store(Some(Arc::new(Conn {
                        client,
                        statements: Mutex::new(HashMap::new()),
                        in_flight: AtomicUsize::new(0),
                        broken: AtomicBool::new(false),
                    })));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "opening a shared read connection");
                    *slot
                        .not_before
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) =
                        Some(Instant::now() + RETRY_AFTER);
                }
            }
            slot.opening.store(false, Ordering::Release);
        });
    }

    /// (open, idle, configured) connections: idle ones have no statement
    /// in flight.
    pub fn status(&self) -> (usize, usize, usize) {
        let (mut open, mut idle) = (0, 0);
        for slot in &*self.slots {
            if let Some(c) = &*slot.conn.load()
                && c.usable()
            {
                open += 1;
                if c.in_flight.load(Ordering::Relaxed) == 0 {
                    idle += 1;
                }
            }
        }
        (open, idle, self.slots.len())
    }

    /// The most statements any open connection keeps prepared.
    pub fn cached_statements(&self) -> usize {
        self.slots
            .iter()
            .filter_map(|s| {
                s.conn.load().as_ref().map(|c| {
                    c.statements
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .len()
                })
            })
            .max()
            .unwrap_or(0)
    }

    /// Statements answered on a shared connection since the start.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }
}

impl Lease<'_> {
    /// Rows of `sql` with `p`: prepared once on this connection and cached.
    ///
    /// # Errors
    /// The statement fails, the connection is closed, or no answer came
    /// within the deadline (the connection is then set aside).
    pub async fn query(&self, sql: &str, p: Params<'_>) -> Result<Vec<Row>, Failed> {
        match tokio::time::timeout(self.reads.deadline, self.run(sql, p)).await {
            Ok(Ok(rows)) => {
                self.reads.served.fetch_add(1, Ordering::Relaxed);
                Ok(rows)
            }
            Ok(Err(e)) => Err(Failed::Postgres(e)),
            Err(_) => {
                self.conn.broken.store(true, Ordering::Relaxed);
                Err(Failed::Stuck)
            }
        }
    }

    async fn run(&self, sql: &str, p: Params<'_>) -> Result<Vec<Row>, Error> {
        let cached = self
            .conn
            .statements
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(sql)
            .cloned();
        let statement = match cached {
            Some(s) => s,
            None => {
                let s = self.conn.client.prepare(sql).await?;
                let mut statements = self
                    .conn
                    .statements
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if statements.len() < MAX_STATEMENTS {
                    statements.insert(sql.into(), s.clone());
                }
                s
            }
        };
        self.conn.client.query(&statement, p).await
    }

    /// Whether the connection has closed (the statement may go elsewhere).
    pub fn is_closed(&self) -> bool {
        self.conn.client.is_closed()
    }
}

/// Drives `fut` to completion, but polls it only after each wake-up has
/// waited one scheduler round (`yield_now`, which tokio runs after the
/// tasks already runnable and a look at the sockets), so that the work of
/// several requests meets in one poll. See the module's comment.
async fn one_round_late<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    loop {
        // Poll once; the waker it registers is this task's.
        if let Some(out) = futures_util::future::poll_immediate(fut.as_mut()).await {
            return out;
        }
        // Sleep until that waker fires, then let the round finish.
        futures_util::pending!();
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::task::Poll;

    use super::one_round_late;

    /// Eight tasks each queue one item for a driver, as eight requests
    /// queue one statement each for a shared connection. How many items
    /// did the driver find at each poll that found any?
    fn batches(late: bool) -> Vec<usize> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        rt.block_on(async move {
            tokio::spawn(async move {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u8>();
                let driver = std::future::poll_fn(move |cx| {
                    let (mut n, mut closed) = (0, false);
                    loop {
                        match rx.poll_recv(cx) {
                            Poll::Ready(Some(_)) => n += 1,
                            Poll::Ready(None) => {
                                closed = true;
                                break;
                            }
                            Poll::Pending => break,
                        }
                    }
                    if n > 0 {
                        record.lock().unwrap().push(n);
                    }
                    if closed {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                });
                let driver = if late {
                    tokio::spawn(one_round_late(driver))
                } else {
                    tokio::spawn(driver)
                };
                tokio::task::yield_now().await;
                let senders: Vec<_> = (0..8)
                    .map(|_| {
                        let tx = tx.clone();
                        tokio::spawn(async move { tx.send(1).unwrap() })
                    })
                    .collect();
                drop(tx);
                for s in senders {
                    s.await.unwrap();
                }
                driver.await.unwrap();
            })
            .await
            .unwrap();
        });
        Arc::try_unwrap(seen).unwrap().into_inner().unwrap()
    }

    #[test]
    fn a_woken_driver_finds_the_whole_round_queued() {
        assert_eq!(batches(true), vec![8]);
    }

    #[test]
    fn without_it_the_driver_runs_after_each_request() {
        // What one_round_late is for: tokio runs the woken driver right
        // after the task that woke it, before the others have queued.
        let plain = batches(false);
        assert_eq!(plain.iter().sum::<usize>(), 8);
        assert!(plain.len() > 1, "{plain:?}");
    }
}
