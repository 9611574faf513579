//! The wire protocol (docs/protocol.md §1–§5): bodies, signatures,
//! validated values, the envelope and its codes, and who the client is.
//! The bottom layer: it uses no other part of the crate.

pub mod body;
pub mod client_ip;
pub mod codes;
pub mod envelope;
pub mod error;
pub mod params;
pub mod sign;
pub mod types;

pub use envelope::Reply;
