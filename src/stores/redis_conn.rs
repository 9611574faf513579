//! The gateway's Redis connection: one multiplexed single-node connection
//! (the default) or a Redis Cluster connection when `redis.cluster_nodes`
//! is set (docs/protocol.md §12.6). Both implement `ConnectionLike`, so
//! callers send commands, pipelines and scripts the same way.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};
use tokio::sync::OnceCell;

use crate::config::stores::RedisSettings;

/// A cheap handle on the shared connection; clone it per use.
#[derive(Clone)]
pub enum RedisConn {
    /// One Redis: a self-reconnecting multiplexed connection.
    Single(ConnectionManager),
    /// Redis Cluster: slot-routed, follows MOVED/ASK and failovers.
    Cluster(Arc<LazyCluster>),
}

/// A cluster connection dialled on first use, so the gateway starts
/// while the cluster is down (as the single-node connection does); a
/// failed dial is retried by the next command.
pub struct LazyCluster {
    client: ClusterClient,
    conn: OnceCell<ClusterConnection>,
}

impl LazyCluster {
    async fn get(&self) -> redis::RedisResult<ClusterConnection> {
        self.conn
            .get_or_try_init(|| self.client.get_async_connection())
            .await
            .cloned()
    }
}

impl RedisConn {
    /// Build the connection `settings` ask for. Nothing is dialled here.
    ///
    /// # Errors
    /// A URL or node address that does not parse.
    pub fn build(r: &RedisSettings) -> anyhow::Result<Self> {
        if r.cluster_nodes.is_empty() {
            return single(r);
        }
        let nodes: Vec<String> = r
            .cluster_nodes
            .iter()
            .map(|n| {
                if n.contains("://") {
                    n.clone()
                } else {
                    format!("redis://{n}")
                }
            })
            .collect();
        // Few, quick retries: while a failed master's slots have no
        // master, a command fails (500) within about a command timeout
        // instead of hanging; the next one finds the promoted replica.
        let client = ClusterClient::builder(nodes)
            .connection_timeout(r.connect_timeout_ms)
            // A single-use consumption's WAIT may take replica_wait_ms.
            .response_timeout(r.command_timeout_ms + r.replica_wait_ms)
            .retries(3)
            .min_retry_wait(10)
            .max_retry_wait(200)
            .build()
            .context("redis.cluster_nodes do not parse")?;
        Ok(Self::Cluster(Arc::new(LazyCluster {
            client,
            conn: OnceCell::new(),
        })))
    }

    /// Whether this is a cluster connection (keys of one call must then
    /// share a slot, and single-use writes wait for a replica).
    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

fn single(r: &RedisSettings) -> anyhow::Result<RedisConn> {
    let client = redis::Client::open(r.url.expose()).context("redis.url does not parse")?;
    // Lazy: nothing is dialled until the first command, so the gateway
    // starts while Redis is down. While it stays down each command fails
    // after one quick retry (a 500), and the next one dials again.
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(r.connect_timeout_ms))
        .set_response_timeout(Some(r.command_timeout_ms))
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(10))
        .set_max_delay(Duration::from_millis(100));
    let m = ConnectionManager::new_lazy_with_config(client, config)
        .context("building the redis connection")?;
    Ok(RedisConn::Single(m))
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(lazy) => Box::pin(async move {
                let mut c = lazy.get().await?;
                c.req_packed_command(cmd).await
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(lazy) => Box::pin(async move {
                let mut c = lazy.get().await?;
                c.req_packed_commands(pipeline, offset, count).await
            }),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(_) => 0,
        }
    }
}

/// Send `cmds`, each on its own (they may live in different slots): one
/// pipeline on a single Redis, concurrent commands on a cluster.
///
/// # Errors
/// The first Redis failure.
pub async fn each(conn: &RedisConn, cmds: Vec<Cmd>) -> redis::RedisResult<()> {
    if !conn.is_cluster() {
        let mut pipe = redis::pipe();
        for cmd in cmds {
            pipe.add_command(cmd).ignore();
        }
        return pipe.query_async::<()>(&mut conn.clone()).await;
    }
    let sends = cmds.into_iter().map(|cmd| {
        let mut c = conn.clone();
        async move { cmd.query_async::<Value>(&mut c).await }
    });
    futures_util::future::try_join_all(sends).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cluster_nodes_choose_the_cluster_connection() {
        let mut r = RedisSettings::default();
        assert!(!RedisConn::build(&r).unwrap().is_cluster());
        r.cluster_nodes = vec!["127.0.0.1:57001".into(), "redis://127.0.0.1:57002".into()];
        assert!(RedisConn::build(&r).unwrap().is_cluster());
        r.cluster_nodes = vec!["not a node".into()];
        assert!(RedisConn::build(&r).is_err());
    }
}
