//! Any Content-Type and any bytes through `BodyKind::from_content_type` and
//! `body::parse`, then on through the data decoding, as the endpoint does.
//! Input: the Content-Type up to the first newline, the body after it.

#![no_main]

use std::sync::OnceLock;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use yafgate::pipeline::{decode_data, read_head};
use yafgate::protocol::body::{self, BodyError, BodyKind};

/// Small, so the size-limit paths are reached too.
const LIMIT: usize = 4096;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

fuzz_target!(|input: &[u8]| {
    let split = input
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(input.len());
    let Ok(content_type) = std::str::from_utf8(&input[..split]) else {
        return;
    };
    let Some(kind) = BodyKind::from_content_type(content_type) else {
        return;
    };
    let rest = Bytes::copy_from_slice(input.get(split + 1..).unwrap_or_default());
    let len = rest.len();
    match runtime().block_on(body::parse(&kind, rest, LIMIT)) {
        Ok(sub) => {
            // Form decoding is lossy: an invalid byte becomes U+FFFD (3 bytes).
            assert!(sub.data.len() <= 3 * len && sub.sign.len() <= 3 * len);
            if kind.is_multipart() {
                assert!(sub.files.len() <= 16, "more parts than allowed");
                assert!(sub.files.iter().all(|f| f.content.len() <= LIMIT as u64));
            } else {
                assert!(sub.files.is_empty(), "files outside multipart");
            }
            if let Ok(data) = decode_data(&sub.data) {
                let _ = read_head(&data);
            }
        }
        Err(BodyError::TooLarge) => assert!(kind.is_multipart(), "only multipart has a limit here"),
        Err(BodyError::Malformed(_)) => {}
    }
});
