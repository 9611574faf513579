//! Shared business infrastructure: what more than one product builds on.
//! Status machines and timed jobs, payments (drivers, notifications,
//! refunds), accounts (the one writer of `users`), SMS codes, roles,
//! pushes, uploads and WeChat `code2session`. A product's own rules live beside
//! its methods in `methods/<product>/`, never here. May use `gate`,
//! `stores`, `config`, `domain` and `protocol`.

pub mod accounts;
pub mod jobs;
pub mod machine;
pub mod pay;
pub mod push;
pub mod roles;
pub mod sms;
pub mod upload;
pub mod wechat;
