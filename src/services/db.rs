//! The PostgreSQL handle services and handlers use ([`Db`], [`Tx`]): the
//! calls of a pooled tokio-postgres client, sent as named, cached statements
//! on a direct connection and as unnamed ones through a transaction pooler
//! such as PgBouncer (docs/protocol.md §24).

use std::sync::Arc;

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Error, Row, Statement};

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

/// Run `$named` (tokio-postgres's call) or `$typed` (its unnamed twin).
/// Through a pooler the calls on one connection take turns (`$turn`): two
/// pipelined statements outside a transaction could be split between
/// servers by PgBouncer 1.18, and learning a text's types opens a
/// transaction that a concurrent call must not join.
macro_rules! dispatch {
    ($c:expr, $turn:expr, $mode:expr, $in_tx:expr, $s:expr, $p:expr, $named:ident, $typed:ident) => {{
        let _turn = match $mode {
            Mode::Named => None,
            Mode::Unnamed(_) => Some($turn.lock().await),
        };
        match ($s.source(), $mode) {
            (Source::Named(st), _) => $c.$named(st, $p).await,
            (Source::Typed(sql, types), _) => $c.$typed(sql, &typed($p, types)).await,
            (Source::Text(sql), Mode::Named) => $c.$named(sql, $p).await,
            (Source::Text(sql), Mode::Unnamed(learned)) => {
                let types = learned.types($c, sql, $in_tx).await?;
                $c.$typed(sql, &typed($p, &types)).await
            }
        }
    }};
}

/// The query calls, the same on a connection and in a transaction.
macro_rules! calls {
    ($in_tx:expr) => {
        /// Rows of a statement.
        ///
        /// # Errors
        /// The statement fails.
        pub async fn query<S: Sql + ?Sized>(
            &self,
            s: &S,
            p: Params<'_>,
        ) -> Result<Vec<Row>, Error> {
            dispatch!(
                self.client(),
                self.turn,
                &self.mode,
                $in_tx,
                s,
                p,
                query,
                query_typed
            )
        }

        /// The one row of a statement.
        ///
        /// # Errors
        /// The statement fails or returns no row or several.
        pub async fn query_one<S: Sql + ?Sized>(&self, s: &S, p: Params<'_>) -> Result<Row, Error> {
            dispatch!(
                self.client(),
                self.turn,
                &self.mode,
                $in_tx,
                s,
                p,
                query_one,
                query_typed_one
            )
        }

        /// The row of a statement, if any.
        ///
        /// # Errors
        /// The statement fails or returns several rows.
        pub async fn query_opt<S: Sql + ?Sized>(
            &self,
            s: &S,
            p: Params<'_>,
        ) -> Result<Option<Row>, Error> {
            dispatch!(
                self.client(),
                self.turn,
                &self.mode,
                $in_tx,
                s,
                p,
                query_opt,
                query_typed_opt
            )
        }

        /// Rows changed by a statement.
        ///
        /// # Errors
        /// The statement fails.
        pub async fn execute<S: Sql + ?Sized>(&self, s: &S, p: Params<'_>) -> Result<u64, Error> {
            dispatch!(
                self.client(),
                self.turn,
                &self.mode,
                $in_tx,
                s,
                p,
                execute,
                execute_typed
            )
        }

        /// A statement to run many times: named and cached on this
        /// connection, or unnamed with its parameter types.
        ///
        /// # Errors
        /// The SQL does not prepare.
        pub async fn prepare_cached(&self, sql: &str) -> Result<Stmt, Error> {
            match &self.mode {
                Mode::Named => Ok(Stmt::Named(self.inner.prepare_cached(sql).await?)),
                Mode::Unnamed(learned) => Ok(Stmt::Unnamed {
                    types: {
                        let _turn = self.turn.lock().await;
                        learned.types(self.client(), sql, $in_tx).await?
                    },
                    sql: sql.into(),
                }),
            }
        }

        /// Statements without parameters, in the simple protocol.
        ///
        /// # Errors
        /// A statement fails.
        pub async fn batch_execute(&self, sql: &str) -> Result<(), Error> {
            self.client().batch_execute(sql).await
        }

        /// Statements in the simple protocol, answered as text.
        ///
        /// # Errors
        /// A statement fails.
        pub async fn simple_query(
            &self,
            sql: &str,
        ) -> Result<Vec<tokio_postgres::SimpleQueryMessage>, Error> {
            self.client().simple_query(sql).await
        }
    };
}

/// A connection from the pool.
pub struct Db {
    inner: deadpool_postgres::Object,
    mode: Mode,
    turn: tokio::sync::Mutex<()>,
}

impl Db {
    /// Wrap a pooled connection; `mode` must match what `inner` connects to.
    pub fn new(inner: deadpool_postgres::Object, mode: Mode) -> Self {
        Self {
            inner,
            mode,
            turn: tokio::sync::Mutex::new(()),
        }
    }

    fn client(&self) -> &tokio_postgres::Client {
        &self.inner
    }

    calls!(false);

    /// Begin a transaction; it rolls back when dropped uncommitted.
    ///
    /// # Errors
    /// `BEGIN` fails.
    pub async fn transaction(&mut self) -> Result<Tx<'_>, Error> {
        Ok(Tx {
            inner: self.inner.transaction().await?,
            mode: self.mode.clone(),
            turn: tokio::sync::Mutex::new(()),
        })
    }
}

/// A transaction on a [`Db`].
pub struct Tx<'a> {
    inner: deadpool_postgres::Transaction<'a>,
    mode: Mode,
    turn: tokio::sync::Mutex<()>,
}

impl Tx<'_> {
    fn client(&self) -> &tokio_postgres::Transaction<'_> {
        &self.inner
    }

    calls!(true);

    /// Commit.
    ///
    /// # Errors
    /// `COMMIT` fails; the transaction is rolled back.
    pub async fn commit(self) -> Result<(), Error> {
        self.inner.commit().await
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
