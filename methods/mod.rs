//! Handler modules, one folder or file per namespace, each with a
//! `register`. A namespace names no other: what two share lives in
//! `src/shared` (business) or `src/handler` (the handler API).

pub mod consult;
pub mod goods;
pub mod home;
pub mod message;
pub mod mp;
pub mod news;
pub mod notice;
pub mod order;
pub mod pay;
pub mod sms;
pub mod supplier;
pub mod system;
pub mod user;

use crate::handler::Registry;

/// Every method the gateway answers.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    system::register(&mut r);
    user::register(&mut r);
    sms::register(&mut r);
    notice::register(&mut r);
    news::register(&mut r);
    goods::register(&mut r);
    message::register(&mut r);
    order::register(&mut r);
    pay::register(&mut r);
    consult::register(&mut r);
    supplier::register(&mut r);
    home::register(&mut r);
    mp::register(&mut r);
    r
}
