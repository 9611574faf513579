//! The gate: what a signed call passes through between its signature and
//! its handler (docs/protocol.md §6). The one Redis round trip (ban, limits,
//! `request_no`, replay guard, session with its profile, the user's
//! limits), the sessions and the profile kept with them, abuse guards and
//! bans, request tokens, and what guards a login (guess attempts, bounded
//! password hashing). No product rule lives here. May use `stores`,
//! `config`, `domain` and `protocol`.

pub mod attempts;
pub mod guards;
pub mod password;
pub mod profile;
pub mod replay;
pub mod reqtoken;
pub mod request_no;
pub mod round_trip;
pub mod session;
pub mod session_cluster;
