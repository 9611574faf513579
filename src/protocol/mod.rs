//! The wire protocol: bodies, signatures, validated values, the envelope,
//! and who the client is.

pub mod body;
pub mod client_ip;
pub mod envelope;
pub mod sign;
pub mod types;

pub use envelope::Reply;
