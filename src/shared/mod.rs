//! Shared business infrastructure: what more than one product builds on.
//! Status machines and timed jobs, payments (drivers, notifications,
//! refunds), SMS codes, roles, pushes, uploads, WeChat `code2session`, and
//! the writes of an account's profile. A product's own rules live beside
//! its methods in `methods/<product>/`, never here. May use `gate`,
//! `stores`, `config`, `domain` and `protocol`.

pub mod jobs;
pub mod machine;
pub mod pay;
pub mod push;
pub mod roles;
pub mod sms;
pub mod upload;
pub mod user_profile;
pub mod wechat;
