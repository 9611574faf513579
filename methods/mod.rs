//! Handler modules, one file per namespace, each with a `register`.

pub mod sms;
pub mod system;
pub mod user;

use crate::registry::Registry;

/// Every method the gateway answers.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    system::register(&mut r);
    user::register(&mut r);
    sms::register(&mut r);
    r
}
