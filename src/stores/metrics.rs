//! Metrics: the Prometheus registry with requests by method and code and
//! by appid × method × code, latency overall and per method, secret-slot use, config reloads and watcher events,
//! connections, pool state and timed job runs. Per-request counters are
//! found without allocating: their labels are static, or their handles are
//! cached.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    code: u32,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AppRequestLabels {
    appid: String,
    method: &'static str,
    code: u32,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: &'static str,
}

/// Label of requests whose appid is not a configured one (missing,
/// unknown): client-chosen text never becomes a label.
pub const UNKNOWN_APPID: &str = "_unknown";

type MethodHistograms = Family<MethodLabels, Histogram, fn() -> Histogram>;

/// One appid's request counters, by (method, code).
type MethodCodeCounters = HashMap<(&'static str, u32), Counter>;

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_1, 2.0, 16))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SlotLabels {
    appid: String,
    slot: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobRunLabels {
    job: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    store: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransportLabels {
    status: u16,
}

/// The gateway's Prometheus metrics, one set per process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histogram,
    app_requests: Family<AppRequestLabels, Counter>,
    /// `app_requests` handles by appid, then (method, code): found with the
    /// borrowed appid, so a request allocates nothing once its triple is seen.
    app_handles: RwLock<HashMap<String, MethodCodeCounters>>,
    method_latency: MethodHistograms,
    transport: Family<TransportLabels, Counter>,
    secret_slots: Family<SlotLabels, Counter>,
    /// `secret_slots` handles by appid, then slot: found with the borrowed
    /// strings, where the family needs owned labels (two allocations).
    slot_handles: RwLock<HashMap<String, HashMap<String, Counter>>>,
    reloads: Family<ResultLabels, Counter>,
    watch_events: Counter,
    pools: Family<PoolLabels, Gauge>,
    pay_notifications: Family<OutcomeLabels, Counter>,
    connections: Gauge,
    job_runs: Family<JobRunLabels, Counter>,
    job_items: Family<JobLabels, Counter>,
    job_last_run: Family<JobLabels, Gauge>,
    next_request: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("yafgate");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests answered by the endpoint, by method and business code",
            requests.clone(),
        );
        let latency = latency_histogram();
        registry.register(
            "request_duration_seconds",
            "Time from a complete request head to the answer",
            latency.clone(),
        );
        let app_requests = Family::<AppRequestLabels, Counter>::default();
        registry.register(
            "appid_requests",
            "Requests answered by the endpoint, by appid (_unknown when not a configured one), method and business code",
            app_requests.clone(),
        );
        let method_latency = MethodHistograms::new_with_constructor(latency_histogram);
        registry.register(
            "method_duration_seconds",
            "Time from a complete request head to the answer, by method",
            method_latency.clone(),
        );
        let transport = Family::<TransportLabels, Counter>::default();
        registry.register(
            "transport_errors",
            "Requests refused at the HTTP level (405, 408, 413, 415, 431, 503)",
            transport.clone(),
        );
        let secret_slots = Family::<SlotLabels, Counter>::default();
        registry.register(
            "secret_slot_verifications",
            "Signatures verified, by appid and secret slot (shows when an old secret is idle)",
            secret_slots.clone(),
        );
        let reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "config_reloads",
            "Configuration reloads, by result",
            reloads.clone(),
        );
        let watch_events = Counter::default();
        registry.register(
            "config_watch_events",
            "File events delivered to the config watcher (each one wakes its thread)",
            watch_events.clone(),
        );
        let pools = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "pool_connections",
            "Store pool connections, by store and state",
            pools.clone(),
        );
        let pay_notifications = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "pay_notifications",
            "Payment notifications received, by outcome (docs/protocol.md §18.4)",
            pay_notifications.clone(),
        );
        let connections = Gauge::default();
        registry.register(
            "open_connections",
            "Client connections being served",
            connections.clone(),
        );
        let job_runs = Family::<JobRunLabels, Counter>::default();
        registry.register(
            "job_runs",
            "Runs of the timed jobs by this instance, by job and result",
            job_runs.clone(),
        );
        let job_items = Family::<JobLabels, Counter>::default();
        registry.register(
            "job_items",
            "Records the timed jobs of this instance moved, by job",
            job_items.clone(),
        );
        let job_last_run = Family::<JobLabels, Gauge>::default();
        registry.register(
            "job_last_run_timestamp_seconds",
            "When each job last ran here, Unix seconds by the gateway's clock",
            job_last_run.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            app_requests,
            app_handles: RwLock::default(),
            method_latency,
            transport,
            secret_slots,
            slot_handles: RwLock::default(),
            reloads,
            watch_events,
            pools,
            pay_notifications,
            connections,
            job_runs,
            job_items,
            job_last_run,
            next_request: AtomicU64::new(0),
        }
    }

    /// Count one answered request of `appid` (a configured one, else
    /// [`UNKNOWN_APPID`]).
    pub fn request(&self, appid: &str, method: &'static str, code: u32, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels { method, code })
            .inc();
        self.latency.observe(seconds);
        self.method_latency
            .get_or_create(&MethodLabels { method })
            .observe(seconds);
        self.app_request(appid, method, code);
    }

    fn app_request(&self, appid: &str, method: &'static str, code: u32) {
        {
            let handles = self.app_handles.read().unwrap_or_else(|e| e.into_inner());
            if let Some(c) = handles.get(appid).and_then(|m| m.get(&(method, code))) {
                c.inc();
                return;
            }
        }
        // First request of this triple: build the labels once, keep the handle.
        let labels = AppRequestLabels {
            appid: appid.to_string(),
            method,
            code,
        };
        let counter = self.app_requests.get_or_create(&labels).clone();
        counter.inc();
        let mut handles = self.app_handles.write().unwrap_or_else(|e| e.into_inner());
        handles
            .entry(labels.appid)
            .or_default()
            .insert((method, code), counter);
    }

    /// Count a request refused at the HTTP level.
    pub fn transport_error(&self, status: u16) {
        self.transport
            .get_or_create(&TransportLabels { status })
            .inc();
    }

    /// Count a signature verified by `slot` of `appid`.
    pub fn secret_slot(&self, appid: &str, slot: &str) {
        {
            let handles = self.slot_handles.read().unwrap_or_else(|e| e.into_inner());
            if let Some(c) = handles.get(appid).and_then(|slots| slots.get(slot)) {
                c.inc();
                return;
            }
        }
        // First use of this slot: build the labels once and keep the handle.
        let labels = SlotLabels {
            appid: appid.to_string(),
            slot: slot.to_string(),
        };
        let counter = self.secret_slots.get_or_create(&labels).clone();
        counter.inc();
        let mut handles = self.slot_handles.write().unwrap_or_else(|e| e.into_inner());
        handles
            .entry(labels.appid)
            .or_default()
            .insert(labels.slot, counter);
    }

    /// The counter of config watcher events, for the watcher's callback.
    pub fn watch_events_counter(&self) -> Counter {
        self.watch_events.clone()
    }

    /// Config watcher events so far.
    pub fn watch_events(&self) -> u64 {
        self.watch_events.get()
    }

    /// Count a configuration reload attempt.
    pub fn reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        self.reloads.get_or_create(&ResultLabels { result }).inc();
    }

    /// Count one payment notification by its outcome or refusal.
    pub fn pay_notification(&self, outcome: &'static str) {
        self.pay_notifications
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// Record the number of reloads with a result (tests and `/metrics` readers).
    pub fn reloads(&self, ok: bool) -> u64 {
        let result = if ok { "ok" } else { "error" };
        self.reloads
            .get(&ResultLabels { result })
            .map_or(0, |c| c.get())
    }

    /// Track open client connections.
    pub fn connection_opened(&self) {
        self.connections.inc();
    }

    /// See [`Metrics::connection_opened`].
    pub fn connection_closed(&self) {
        self.connections.dec();
    }

    /// Record a pool's state at scrape time.
    pub fn pool(&self, store: &'static str, size: usize, available: usize, max: usize) {
        let set = |state, v: usize| {
            self.pools
                .get_or_create(&PoolLabels { store, state })
                .set(i64::try_from(v).unwrap_or(i64::MAX));
        };
        set("open", size);
        set("idle", available);
        set("max", max);
    }

    /// Count a run of `job` at `now` that moved `items` records.
    pub fn job_run(&self, job: &'static str, ok: bool, items: u64, now: i64) {
        let result = if ok { "ok" } else { "error" };
        self.job_runs
            .get_or_create(&JobRunLabels { job, result })
            .inc();
        self.job_items
            .get_or_create(&JobLabels { job })
            .inc_by(items);
        self.job_last_run.get_or_create(&JobLabels { job }).set(now);
    }

    /// Records `job` moved in this instance so far.
    pub fn job_items(&self, job: &'static str) -> u64 {
        self.job_items
            .get(&JobLabels { job })
            .map_or(0, |c| c.get())
    }

    /// A short, process-unique request id.
    pub fn next_request_id(&self) -> u64 {
        self.next_request.fetch_add(1, Ordering::Relaxed)
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_in_prometheus_text() {
        let m = Metrics::new();
        m.request("ios_app_id", "system.ping", 200, 0.001);
        m.request("ios_app_id", "system.ping", 200, 0.002);
        m.request(UNKNOWN_APPID, "_unknown", 506, 0.001);
        m.secret_slot("ios_app_id", "1");
        m.secret_slot("ios_app_id", "1");
        m.secret_slot("ios_app_id", "2");
        m.reload(false);
        m.job_run("orders.close_unpaid", true, 3, 1_700_000_000);
        let text = m.encode();
        for line in [
            r#"yafgate_job_runs_total{job="orders.close_unpaid",result="ok"} 1"#,
            r#"yafgate_job_items_total{job="orders.close_unpaid"} 3"#,
            r#"yafgate_job_last_run_timestamp_seconds{job="orders.close_unpaid"} 1700000000"#,
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        for line in [
            r#"yafgate_requests_total{method="system.ping",code="200"} 2"#,
            r#"yafgate_appid_requests_total{appid="ios_app_id",method="system.ping",code="200"} 2"#,
            r#"yafgate_appid_requests_total{appid="_unknown",method="_unknown",code="506"} 1"#,
            r#"yafgate_method_duration_seconds_count{method="system.ping"} 2"#,
            r#"yafgate_method_duration_seconds_bucket{le="0.0016",method="system.ping"} 1"#,
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        assert!(
            text.contains(
                r#"yafgate_secret_slot_verifications_total{appid="ios_app_id",slot="1"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"yafgate_secret_slot_verifications_total{appid="ios_app_id",slot="2"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"yafgate_config_reloads_total{result="error"} 1"#),
            "{text}"
        );
        assert_eq!(m.reloads(false), 1);
    }
}
