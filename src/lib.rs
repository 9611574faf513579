//! yafgate: a signed, single-endpoint RPC gateway in the Yaf-Server style.
//!
//! The crate is layered; each folder is a layer and may use only the layers
//! listed before it (`tests/layers.rs` fails the build otherwise, and
//! `docs/architecture.md` draws the picture):
//!
//! 1. [`protocol`]: the wire format (bodies, signatures, envelope, codes).
//! 2. [`domain`]: plain values with rules (mobile numbers, passwords, SMS
//!    codes, money, local days); no I/O.
//! 3. [`config`]: the typed settings and appids, loaded and validated.
//! 4. [`stores`]: the plumbing: PostgreSQL, Redis, migrations, the answer
//!    cache, metrics, the clock.
//! 5. [`gate`]: what a signed call passes through: the one Redis round
//!    trip, sessions, guards and bans, request tokens, guesses.
//! 6. [`shared`]: what products share: accounts, payments, machines, jobs,
//!    SMS codes, roles, pushes, uploads.
//! 7. [`handler`]: the handler API: the context a method sees, the registry
//!    it is added to, dialects and paging. `methods/` builds on it, one
//!    folder or file per namespace, each naming no other.
//! 8. [`pipeline`]: the protocol's checks in their order, then the handler.
//! 9. [`http`]: the listener, routes, CORS, body reading, ops endpoints,
//!    the request log line.
//! 10. [`app`]: start-up, reload, the command line.
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
