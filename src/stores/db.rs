//! The PostgreSQL handle every layer above uses ([`Db`], [`Tx`]): the
//! calls of a pooled tokio-postgres client, sent as named, cached statements
//! on a direct connection and as unnamed ones through a transaction pooler
//! such as PgBouncer (docs/protocol.md §24). Every call of the gateway's
//! pools has a deadline a second past the statement timeout; a connection
//! silent that long is taken out of the pool (§24.4).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Error, Row, Statement};

/// How long a call waits for PostgreSQL: a second past the statement
/// timeout (which the gateway sets on direct connections, and which the
/// server's role setting matches through a pooler, §24.1) the server has
/// cancelled the statement, so no answer by then means the connection
/// itself no longer carries answers (a network that dropped it without a
/// reset). Shared read connections use the same bound (§24.3).
pub fn answer_deadline(statement_timeout: Duration) -> Duration {
    statement_timeout + Duration::from_secs(1)
}

/// What a call on a pooled connection fails with.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// PostgreSQL's error, or the connection's.
    #[error(transparent)]
    Postgres(#[from] Error),
    /// No answer within the deadline; the connection leaves the pool.
    #[error("no answer from postgres within {} ms; the connection is taken out of the pool", .0.as_millis())]
    Silent(Duration),
}

impl From<DbError> for crate::protocol::error::ApiError {
    fn from(e: DbError) -> Self {
        Self::Internal(anyhow::Error::new(e).context("postgres"))
    }
}

impl DbError {
    /// The SQLSTATE of PostgreSQL's error, if it is one.
    pub fn code(&self) -> Option<&SqlState> {
        match self {
            Self::Postgres(e) => e.code(),
            Self::Silent(_) => None,
        }
    }
}

/// The deadline of a connection's calls, and whether one was missed.
struct Watch {
    deadline: Duration,
    silent: AtomicBool,
}

impl Watch {
    /// `call`'s answer, or [`DbError::Silent`] once the deadline passes.
    async fn answered<T>(
        &self,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, DbError> {
        let deadline = self.deadline;
        match tokio::time::timeout(deadline, call).await {
            Ok(answer) => Ok(answer?),
            Err(_) => {
                self.silent.store(true, Ordering::Relaxed);
                Err(DbError::Silent(deadline))
            }
        }
    }
}

/// Parameters of one statement, as tokio-postgres takes them.
pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// How statements reach PostgreSQL.
#[derive(Clone)]
pub enum Mode {
    /// Named statements, prepared once per connection and cached: a
    /// direct connection keeps them for its life.
    Named,
    /// Unnamed statements (Parse/Bind/Execute in one round trip) with the
    /// parameter types learned once per SQL text: a pooler in transaction
    /// mode hands each transaction another server, where a named statement
    /// does not exist or, worse, exists with another text.
    Unnamed(Arc<Learned>),
}

impl Mode {
    /// Unnamed statements, remembering the types of up to `capacity` texts.
    pub fn unnamed(capacity: usize) -> Self {
        Self::Unnamed(Arc::new(Learned(quick_cache::sync::Cache::new(capacity))))
    }
}

/// Parameter types by SQL text, shared by every connection of a pool.
pub struct Learned(quick_cache::sync::Cache<String, Arc<[Type]>>);

impl Learned {
    /// The parameter types of `sql`, asking the server the first time. The
    /// question is a named statement prepared and closed inside one
    /// transaction, so the pooler keeps both on one server and the name
    /// never outlives it.
    async fn types<C>(&self, c: &C, sql: &str, in_tx: bool) -> Result<Arc<[Type]>, Error>
    where
        C: tokio_postgres::GenericClient + Sync,
    {
        if let Some(t) = self.0.get(sql) {
            return Ok(t);
        }
        if !in_tx {
            c.batch_execute("BEGIN").await?;
        }
        let prepared = c
            .prepare(sql)
            .await
            .map(|s| Arc::<[Type]>::from(s.params()));
        if !in_tx {
            let end = if prepared.is_ok() {
                "COMMIT"
            } else {
                "ROLLBACK"
            };
            c.batch_execute(end).await?;
        }
        let types = prepared?;
        self.0.insert(sql.to_owned(), types.clone());
        Ok(types)
    }
}

/// A statement from `prepare_cached`.
pub enum Stmt {
    Named(Statement),
    Unnamed { sql: Arc<str>, types: Arc<[Type]> },
}

/// What the query calls accept: SQL text or a prepared [`Stmt`].
pub trait Sql: Sync {
    /// The statement to send.
    fn source(&self) -> Source<'_>;
}

/// See [`Sql`].
pub enum Source<'a> {
    Text(&'a str),
    Named(&'a Statement),
    Typed(&'a str, &'a [Type]),
}

impl Sql for str {
    fn source(&self) -> Source<'_> {
        Source::Text(self)
    }
}

impl Sql for String {
    fn source(&self) -> Source<'_> {
        Source::Text(self)
    }
}

impl Sql for Stmt {
    fn source(&self) -> Source<'_> {
        match self {
            Stmt::Named(s) => Source::Named(s),
            Stmt::Unnamed { sql, types } => Source::Typed(sql, types),
        }
    }
}

/// Pair each parameter with its type. A count that does not match is left
/// for the server to refuse, as it refuses it for a named statement.
fn typed<'a>(params: Params<'a>, types: &[Type]) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    params
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, types.get(i).cloned().unwrap_or(Type::TEXT)))
        .collect()
}

/// Run `$named` (tokio-postgres's call) or `$typed` (its unnamed twin) on
/// `$self`'s connection, within its deadline ([`Watch`]). Through a pooler
/// the calls on one connection take turns: two pipelined statements
/// outside a transaction could be split between servers by PgBouncer 1.18,
/// and learning a text's types opens a transaction that a concurrent call
/// must not join.
macro_rules! dispatch {
    ($self:ident, $in_tx:expr, $s:expr, $p:expr, $named:ident, $typed:ident) => {
        $self
            .watch()
            .answered(async {
                let (c, mode) = ($self.client(), &$self.mode);
                let _turn = match mode {
                    Mode::Named => None,
                    Mode::Unnamed(_) => Some($self.turn.lock().await),
                };
                match ($s.source(), mode) {
                    (Source::Named(st), _) => c.$named(st, $p).await,
                    (Source::Typed(sql, types), _) => c.$typed(sql, &typed($p, types)).await,
                    (Source::Text(sql), Mode::Named) => c.$named(sql, $p).await,
                    (Source::Text(sql), Mode::Unnamed(learned)) => {
                        let types = learned.types(c, sql, $in_tx).await?;
                        c.$typed(sql, &typed($p, &types)).await
                    }
                }
            })
            .await
    };
}

/// The query calls, the same on a connection and in a transaction, each
/// bounded by the connection's deadline ([`Watch`]).
macro_rules! calls {
    ($in_tx:expr) => {
        /// Rows of a statement.
        ///
        /// # Errors
        /// The statement fails, or no answer comes within the deadline.
        pub async fn query<S: Sql + ?Sized>(
            &self,
            s: &S,
            p: Params<'_>,
        ) -> Result<Vec<Row>, DbError> {
            dispatch!(self, $in_tx, s, p, query, query_typed)
        }

        /// The one row of a statement.
        ///
        /// # Errors
        /// The statement fails or returns no row or several, or no answer
        /// comes within the deadline.
        pub async fn query_one<S: Sql + ?Sized>(
            &self,
            s: &S,
            p: Params<'_>,
        ) -> Result<Row, DbError> {
            dispatch!(self, $in_tx, s, p, query_one, query_typed_one)
        }

        /// The row of a statement, if any.
        ///
        /// # Errors
        /// The statement fails or returns several rows, or no answer comes
        /// within the deadline.
        pub async fn query_opt<S: Sql + ?Sized>(
            &self,
            s: &S,
            p: Params<'_>,
        ) -> Result<Option<Row>, DbError> {
            dispatch!(self, $in_tx, s, p, query_opt, query_typed_opt)
        }

        /// Rows changed by a statement.
        ///
        /// # Errors
        /// The statement fails, or no answer comes within the deadline.
        pub async fn execute<S: Sql + ?Sized>(&self, s: &S, p: Params<'_>) -> Result<u64, DbError> {
            dispatch!(self, $in_tx, s, p, execute, execute_typed)
        }

        /// A statement to run many times: named and cached on this
        /// connection, or unnamed with its parameter types.
        ///
        /// # Errors
        /// The SQL does not prepare, or no answer comes within the deadline.
        pub async fn prepare_cached(&self, sql: &str) -> Result<Stmt, DbError> {
            self.watch()
                .answered(async {
                    match &self.mode {
                        Mode::Named => Ok(Stmt::Named(self.inner().prepare_cached(sql).await?)),
                        Mode::Unnamed(learned) => Ok(Stmt::Unnamed {
                            types: {
                                let _turn = self.turn.lock().await;
                                learned.types(self.client(), sql, $in_tx).await?
                            },
                            sql: sql.into(),
                        }),
                    }
                })
                .await
        }

        /// Statements without parameters, in the simple protocol.
        ///
        /// # Errors
        /// A statement fails, or no answer comes within the deadline.
        pub async fn batch_execute(&self, sql: &str) -> Result<(), DbError> {
            self.watch()
                .answered(self.client().batch_execute(sql))
                .await
        }

        /// Statements in the simple protocol, answered as text.
        ///
        /// # Errors
        /// A statement fails, or no answer comes within the deadline.
        pub async fn simple_query(
            &self,
            sql: &str,
        ) -> Result<Vec<tokio_postgres::SimpleQueryMessage>, DbError> {
            self.watch().answered(self.client().simple_query(sql)).await
        }
    };
}

/// A connection from the pool.
pub struct Db {
    /// `None` only once dropped.
    inner: Option<deadpool_postgres::Object>,
    mode: Mode,
    turn: tokio::sync::Mutex<()>,
    watch: Watch,
}

impl Db {
    /// Wrap a pooled connection; `mode` must match what `inner` connects
    /// to. Each call's wait for its answer is bounded by `deadline` (see
    /// [`answer_deadline`]): past it the call fails and, when this handle
    /// is dropped, the connection is closed instead of going back to the
    /// pool.
    pub fn new(inner: deadpool_postgres::Object, mode: Mode, deadline: Duration) -> Self {
        Self {
            inner: Some(inner),
            mode,
            turn: tokio::sync::Mutex::new(()),
            watch: Watch {
                deadline,
                silent: AtomicBool::new(false),
            },
        }
    }

    fn inner(&self) -> &deadpool_postgres::ClientWrapper {
        self.inner.as_ref().expect("present until dropped")
    }

    fn client(&self) -> &tokio_postgres::Client {
        self.inner()
    }

    fn watch(&self) -> &Watch {
        &self.watch
    }

    calls!(false);

    /// Begin a transaction; it rolls back when dropped uncommitted.
    ///
    /// # Errors
    /// `BEGIN` fails, or no answer comes within the deadline.
    pub async fn transaction(&mut self) -> Result<Tx<'_>, DbError> {
        let Self {
            inner, mode, watch, ..
        } = self;
        let inner = inner.as_mut().expect("present until dropped");
        Ok(Tx {
            inner: watch.answered(inner.transaction()).await?,
            mode: mode.clone(),
            turn: tokio::sync::Mutex::new(()),
            watch,
        })
    }
}

impl Drop for Db {
    /// A connection that missed a deadline is closed, not pooled again: a
    /// later call on it would wait out its deadline too.
    fn drop(&mut self) {
        if self.watch.silent.load(Ordering::Relaxed) {
            if let Some(object) = self.inner.take() {
                tracing::warn!(
                    "a pooled postgres connection gave no answer within its deadline; closing it"
                );
                drop(deadpool_postgres::Object::take(object));
            }
        }
    }
}

/// A transaction on a [`Db`].
pub struct Tx<'a> {
    inner: deadpool_postgres::Transaction<'a>,
    mode: Mode,
    turn: tokio::sync::Mutex<()>,
    watch: &'a Watch,
}

impl Tx<'_> {
    fn inner(&self) -> &deadpool_postgres::Transaction<'_> {
        &self.inner
    }

    fn client(&self) -> &tokio_postgres::Transaction<'_> {
        &self.inner
    }

    fn watch(&self) -> &Watch {
        self.watch
    }

    calls!(true);

    /// Commit.
    ///
    /// # Errors
    /// `COMMIT` fails (the transaction is rolled back), or no answer comes
    /// within the deadline.
    pub async fn commit(self) -> Result<(), DbError> {
        let watch = self.watch;
        watch.answered(self.inner.commit()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_pair_with_their_learned_types_and_extras_are_left_to_the_server() {
        let (a, b) = (1_i64, "x");
        let params: Params<'_> = &[&a, &b];
        let types: Vec<Type> = typed(params, &[Type::INT8])
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(types, [Type::INT8, Type::TEXT]);
        assert_eq!(typed(&[], &[Type::INT8]).len(), 0);
    }

    #[test]
    fn prepared_text_keeps_its_types_and_plain_text_has_none() {
        let stmt = Stmt::Unnamed {
            sql: "SELECT $1".into(),
            types: Arc::from([Type::INT4]),
        };
        assert!(matches!(
            stmt.source(),
            Source::Typed("SELECT $1", [Type::INT4])
        ));
        assert!(matches!("SELECT 1".source(), Source::Text("SELECT 1")));
    }
}
