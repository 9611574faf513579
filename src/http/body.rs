//! Reading a request body (docs/protocol.md §1.4): its encoding, its size
//! limit and deadline, and the process-wide budget of body bytes held in
//! memory. Form and JSON bodies are read into memory under the budget;
//! multipart bodies are read as a stream, with file parts spooled to
//! temporary files, so an upload is never held whole in memory.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::TryStreamExt;
use http_body_util::BodyExt;
use hyper::StatusCode;
use hyper::body::Incoming;
use hyper::header;
use tokio::io::AsyncWriteExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::Config;
use crate::protocol::body::{
    self, BodyError, BodyKind, FileContent, FileHead, Submission, multipart_error,
};

/// A body refused as too large is still read on, and thrown away, up to
/// this many bytes for at most [`DRAIN_TIME`], before the 413 is sent: a
/// client still sending would otherwise meet a reset before it reads the
/// answer, and a browser shows only "Failed to fetch" (docs/protocol.md
/// §1.3).
const DRAIN_BYTES: usize = 8 * 1024 * 1024;
/// See [`DRAIN_BYTES`].
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// Budget units are KiB, so a semaphore's u32 permits can count gigabytes.
const UNIT: usize = 1024;

/// The bytes of request bodies that may be held in memory at once, across
/// all connections (`server.body_memory_budget_bytes`).
pub struct BodyBudget(Arc<Semaphore>);

impl BodyBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> Self {
        Self(Arc::new(Semaphore::new(bytes.div_ceil(UNIT))))
    }

    /// How many bytes are free now.
    pub fn available(&self) -> usize {
        self.0.available_permits() * UNIT
    }
}

/// The share of the budget one request holds; given back when dropped.
#[derive(Default)]
pub struct Held(Option<OwnedSemaphorePermit>);

impl Held {
    /// Take `bytes` more from `budget`, or refuse at once (shedding load).
    fn take(&mut self, budget: &BodyBudget, bytes: usize) -> Result<(), Refusal> {
        let units = u32::try_from(bytes.div_ceil(UNIT)).map_err(|_| Refusal::Shed)?;
        if units == 0 {
            return Ok(());
        }
        let permit = budget
            .0
            .clone()
            .try_acquire_many_owned(units)
            .map_err(|_| Refusal::Shed)?;
        match &mut self.0 {
            Some(held) => held.merge(permit),
            None => self.0 = Some(permit),
        }
        Ok(())
    }
}

/// Why a body was not read.
pub enum Refusal {
    /// Refused at the HTTP level with this status.
    Transport(StatusCode),
    /// The body budget is spent: HTTP 503, try again.
    Shed,
    /// The body is not what its Content-Type says: answered as code 504.
    Body,
    /// A file part could not be spooled: our failure, code 500.
    Spool(String),
}

/// Read the body of `req` under `config`'s limits and `budget`. The
/// [`Held`] share must live as long as the submission is in use.
pub async fn read(
    config: &Config,
    budget: &BodyBudget,
    req: hyper::Request<Incoming>,
) -> Result<(Submission, Held), Refusal> {
    let server = &config.settings.server;
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(BodyKind::from_content_type)
        .ok_or(Refusal::Transport(StatusCode::UNSUPPORTED_MEDIA_TYPE))?;
    let limit = if kind.is_multipart() {
        server.upload_limit_bytes
    } else {
        server.body_limit_bytes
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        drain(req.into_body()).await;
        return Err(Refusal::Transport(StatusCode::PAYLOAD_TOO_LARGE));
    }
    let body = req.into_body();
    let reading = async {
        match &kind {
            BodyKind::Multipart { boundary } => {
                let spool = config.settings.upload.spool_dir.clone();
                read_multipart(
                    boundary,
                    body,
                    limit,
                    server.body_limit_bytes,
                    budget,
                    spool,
                )
                .await
            }
            _ => read_whole(&kind, body, limit, budget).await,
        }
    };
    tokio::time::timeout(server.body_read_timeout_ms, reading)
        .await
        .unwrap_or(Err(Refusal::Transport(StatusCode::REQUEST_TIMEOUT)))
}

/// A form or JSON body, read into memory chunk by chunk, each chunk paid
/// for from the budget as it arrives.
async fn read_whole(
    kind: &BodyKind,
    mut body: Incoming,
    limit: usize,
    budget: &BodyBudget,
) -> Result<(Submission, Held), Refusal> {
    let mut held = Held::default();
    // A small body usually comes in one chunk: it is kept as it came, and
    // copied into `buf` only when a second one follows.
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| Refusal::Transport(StatusCode::BAD_REQUEST))?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        let so_far = first.as_ref().map_or(0, Bytes::len) + buf.len();
        if so_far + chunk.len() > limit {
            drop((first, buf));
            drain(body).await;
            return Err(Refusal::Transport(StatusCode::PAYLOAD_TOO_LARGE));
        }
        held.take(budget, chunk.len())?;
        if let Some(before) = first.take() {
            buf.extend_from_slice(&before);
        }
        if buf.is_empty() {
            first = Some(chunk);
        } else {
            buf.extend_from_slice(&chunk);
        }
    }
    let whole = first.unwrap_or_else(|| buf.freeze());
    let sub = body::parse(kind, whole, limit).await.map_err(refusal)?;
    Ok((sub, held))
}

/// Read and discard what is left of a refused body, within [`DRAIN_BYTES`]
/// and [`DRAIN_TIME`]; nothing of it is kept.
async fn drain(mut body: Incoming) {
    let reading = async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len());
            if seen > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, reading).await;
}

/// A multipart body as a stream: the signed fields in memory (paid from the
/// budget), file parts written to temporary files in `spool`.
async fn read_multipart(
    boundary: &str,
    body: Incoming,
    limit: usize,
    field_limit: usize,
    budget: &BodyBudget,
    spool: PathBuf,
) -> Result<(Submission, Held), Refusal> {
    let stream = body
        .into_data_stream()
        .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>);
    let sub = body::parse_multipart_stream(boundary, stream, limit, field_limit, |head, field| {
        spool_part(spool.clone(), head, field)
    })
    .await
    .map_err(refusal)?;
    let mut held = Held::default();
    held.take(budget, sub.data.len() + sub.sign.len())?;
    Ok((sub, held))
}

/// Write one file part to a temporary file in `dir`, chunk by chunk.
async fn spool_part(
    dir: PathBuf,
    _head: FileHead,
    mut field: multer::Field<'static>,
) -> Result<FileContent, BodyError> {
    let disk = |e: std::io::Error| BodyError::Spool(format!("{}: {e}", dir.display()));
    tokio::fs::create_dir_all(&dir).await.map_err(disk)?;
    let (file, path) = tempfile::Builder::new()
        .prefix("part-")
        .tempfile_in(&dir)
        .map_err(disk)?
        .into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let mut len = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        file.write_all(&chunk).await.map_err(disk)?;
        len += chunk.len() as u64;
    }
    file.flush().await.map_err(disk)?;
    Ok(FileContent::Spooled {
        path: Arc::new(path),
        len,
    })
}

fn refusal(e: BodyError) -> Refusal {
    match e {
        BodyError::TooLarge => Refusal::Transport(StatusCode::PAYLOAD_TOO_LARGE),
        BodyError::Malformed(_) => Refusal::Body,
        BodyError::Spool(why) => Refusal::Spool(why),
    }
}
