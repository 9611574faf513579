//! Services: the stores and what the gateway keeps in them. Each service
//! takes `&Stores` and its own settings, never the request context, so the
//! pipeline and the handlers call them alike. May use `config`, `domain`
//! and `protocol`.

pub mod attempts;
pub mod cache;
pub mod clock;
pub mod consult;
pub mod db;
pub mod gate;
pub mod gate_cluster;
pub mod guards;
pub mod home;
pub mod jobs;
pub mod machine;
pub mod metrics;
pub mod mp;
pub mod orders;
pub mod password;
pub mod pay;
pub mod profile;
pub mod push;
pub mod redis_conn;
pub mod replay;
pub mod reqtoken;
pub mod request_no;
pub mod roles;
pub mod session;
pub mod session_cluster;
pub mod shared_reads;
pub mod sms;
pub mod stores;
pub mod supplier;
pub mod tim;
pub mod upload;
pub mod user_profile;
pub mod wechat;

pub use clock::Clock;
pub use metrics::Metrics;
pub use stores::Stores;
