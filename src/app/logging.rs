//! The process's tracing subscriber: text for people, JSON for shippers.
//! Lines are formatted into reused per-thread buffers (by the subscriber,
//! or by `http::access_log` for the request line) and appended whole to one
//! shared queue; a writer thread empties it into stderr, so no request
//! waits on a `write(2)`.
//!
//! The writer gathers: woken by the first line after an empty spell, it
//! lets lines arrive for [`GATHER`] and then writes all of them at once. A
//! request pays an uncontended lock and a copy; under load the process
//! makes a few hundred `write(2)` calls a second instead of one per line,
//! and no thread is woken per line (docs/protocol.md §14).

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::settings::{LogFormat, LogSettings};

/// Bytes the queue holds before a line has to wait for the writer (about
/// 128 000 request lines).
const QUEUED_BYTES: usize = 32 << 20;

/// How long the writer lets lines gather after the first one of a batch.
const GATHER: Duration = Duration::from_millis(2);

/// Install the global tracing subscriber (binary only; tests do not).
///
/// Keep the returned guard alive until the process exits: dropping it
/// writes the lines still queued, so none is lost at shutdown.
///
/// When the queue is full a line waits for the writer (not lossy): a full
/// queue means the disk is slower than the requests for a sustained time,
/// and the request lines are the record of what was served, so the
/// requests are slowed to the disk's pace rather than answered without a
/// trace. The queue absorbs any burst shorter than that.
#[must_use = "dropping the guard stops the log writer"]
pub fn init_tracing(log: &LogSettings) -> LogGuard {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (queue, guard) = start(std::io::stderr());
    let lines = queue.clone();
    crate::http::access_log::install(log.format, move |line| lines.push(line));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(queue);
    let result = match log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if let Err(e) = result {
        eprintln!("tracing already initialised: {e}");
    }
    guard
}

/// The shared queue of lines (cheap to clone).
#[derive(Clone)]
pub struct Queue(Arc<Shared>);

struct Shared {
    state: Mutex<State>,
    /// The writer waits here for a first line.
    wake: Condvar,
    /// Lines wait here while the queue is full.
    drained: Condvar,
}

#[derive(Default)]
struct State {
    lines: Vec<u8>,
    /// The writer is waiting on `wake` (a line then wakes it).
    idle: bool,
    closed: bool,
}

/// Stops the writer when dropped, after it has written every queued line.
pub struct LogGuard {
    queue: Queue,
    writer: Option<JoinHandle<()>>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.queue.lock().closed = true;
        self.queue.0.wake.notify_one();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// A queue whose lines a new thread writes to `out`.
pub fn start(out: impl Write + Send + 'static) -> (Queue, LogGuard) {
    let queue = Queue(Arc::new(Shared {
        state: Mutex::new(State::default()),
        wake: Condvar::new(),
        drained: Condvar::new(),
    }));
    let worker = queue.clone();
    let writer = std::thread::Builder::new()
        .name("yafgate-log".into())
        .spawn(move || worker.write_to(out))
        .expect("spawning the log writer thread");
    let guard = LogGuard {
        queue: queue.clone(),
        writer: Some(writer),
    };
    (queue, guard)
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves whole lines behind.
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queue `line` (whole lines, each ending in `\n`).
    pub fn push(&self, line: &[u8]) {
        let mut state = self.lock();
        while state.lines.len() >= QUEUED_BYTES && !state.closed {
            state = self
                .0
                .drained
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.lines.extend_from_slice(line);
        let wake = std::mem::take(&mut state.idle);
        drop(state);
        if wake {
            self.0.wake.notify_one();
        }
    }

    fn write_to(&self, mut out: impl Write) {
        let mut batch = Vec::new();
        loop {
            let mut state = self.lock();
            while state.lines.is_empty() && !state.closed {
                state.idle = true;
                state = self
                    .0
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            state.idle = false;
            if state.lines.is_empty() {
                return; // closed, and everything written
            }
            if !state.closed {
                drop(state);
                std::thread::sleep(GATHER);
                state = self.lock();
            }
            std::mem::swap(&mut state.lines, &mut batch);
            drop(state);
            self.0.drained.notify_all();
            // Nowhere to report a failing stderr; the next batch tries again.
            let _ = out.write_all(&batch).and_then(|()| out.flush());
            batch.clear();
            if batch.capacity() > 4 << 20 {
                batch = Vec::new();
            }
        }
    }
}

/// What tracing writes an event through: the subscriber hands each event
/// over in one `write_all`, so lines from different threads stay whole.
impl Write for &Queue {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Queue {
    type Writer = &'a Queue;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that counts its `write_all` calls and keeps what it got.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut r = self.0.lock().unwrap();
            r.0.extend_from_slice(buf);
            r.1 += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_from_many_threads_is_written_whole_in_few_writes_before_the_guard_returns() {
        let out = Recorder::default();
        let (queue, guard) = start(out.clone());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let q = queue.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        q.push(format!("thread {t} line {i}\n").as_bytes());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard);
        let (text, writes) = out.0.lock().unwrap().clone();
        let text = String::from_utf8(text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 40_000);
        for t in 0..8 {
            let mine: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            let expected: Vec<String> =
                (0..5_000).map(|i| format!("thread {t} line {i}")).collect();
            assert_eq!(mine, expected, "thread {t}'s lines whole and in order");
        }
        assert!(writes < 40_000 / 10, "{writes} writes for 40 000 lines");
    }
}
