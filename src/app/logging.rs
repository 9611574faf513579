//! The process's tracing subscriber: text for people, JSON for shippers.
//! Lines are formatted by the subscriber into its own (reused, per-thread)
//! buffer and handed to a worker thread that writes them to stderr, so no
//! request waits on a `write(2)`.

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::settings::{LogFormat, LogSettings};

/// Lines the writer's queue holds before a request has to wait for the
/// worker (tracing-appender's default).
const QUEUED_LINES: usize = 128_000;

/// Install the global tracing subscriber (binary only; tests do not).
///
/// Keep the returned guard alive until the process exits: dropping it
/// flushes the lines still queued, so none is lost at shutdown.
///
/// When the queue is full the writer blocks (not lossy): a full queue means
/// the disk is slower than the requests for a sustained time, and the
/// request lines are the record of what was served, so the requests are
/// slowed to the disk's pace rather than answered without a trace. The
/// queue absorbs any burst shorter than that.
#[must_use = "dropping the guard stops the log writer"]
pub fn init_tracing(log: &LogSettings) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("yafgate-log")
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(writer);
    let result = match log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if let Err(e) = result {
        eprintln!("tracing already initialised: {e}");
    }
    guard
}
