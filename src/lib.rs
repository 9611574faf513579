//! yafgate: a signed, single-endpoint RPC gateway in the Yaf-Server style.
//! The request path reads in three files: `server.rs` (HTTP) →
//! `gateway.rs` (the checks of DESIGN §2.5) → `registry.rs` (dispatch to
//! the handlers in `methods/`).

pub mod apps;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod context;
pub mod error;
pub mod gateway;
pub mod guards;
pub mod password;
pub mod policies;
pub mod protocol;
pub mod registry;
pub mod reload;
pub mod reqtoken;
pub mod server;
pub mod session;
pub mod settings;
pub mod sms;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod upload;

#[path = "../methods/mod.rs"]
pub mod methods;

pub use config::Config;
pub use startup::Application;
