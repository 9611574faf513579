//! yafgate: a signed, single-endpoint RPC gateway in the Yaf-Server style.
//!
//! The crate is layered; each folder is a layer and may use only the layers
//! listed before it (`tests/layers.rs` fails the build otherwise, and
//! `docs/architecture.md` draws the picture):
//!
//! 1. [`protocol`]: the wire format (bodies, signatures, envelope, codes).
//! 2. [`domain`]: plain values with rules (mobile numbers, passwords, SMS
//!    codes, local days); no I/O.
//! 3. [`config`]: the typed settings and appids, loaded and validated.
//! 4. [`services`]: stores and what lives in them (sessions, SMS codes,
//!    request tokens, guards, the answer cache, uploads, metrics); each
//!    takes `&Stores` and its own settings.
//! 5. [`handler`]: the handler API: the context a method sees and the
//!    registry it is added to. `methods/` (the handlers) builds on it.
//! 6. [`pipeline`]: the protocol's checks in their order, then the handler.
//! 7. [`http`]: the listener, routes, CORS, body reading, ops endpoints,
//!    the request log line.
//! 8. [`app`]: start-up, reload, the command line.
//!
//! [`client`] (fill the fixed parameters, sign, post) stands beside them
//! and uses only `protocol`.

pub mod protocol;

pub mod domain;

pub mod config;

pub mod stores;

pub mod gate;

pub mod shared;

pub mod handler;

/// The handlers, one folder or file per namespace (`methods/`). This file
/// is the one place in `src/` that names them.
#[path = "../methods/mod.rs"]
pub mod methods;

pub mod pipeline;

pub mod http;

pub mod app;

pub mod client;

pub use app::Application;
pub use config::Config;

/// Every method the gateway answers.
pub fn registry() -> handler::Registry {
    methods::registry()
}
