//! Domain values: what a mobile number, a password or an SMS code is, how
//! a mobile is masked, what "today" is in the configured timezone, what an amount of money is. Plain
//! values with their rules and unit tests; no I/O. May use `protocol`
//! (for the refusal a bad value gets).

pub mod mobile;
pub mod money;
pub mod password;
pub mod sms_code;
pub mod time;

pub use mobile::{Mobile, is_mobile, mask_mobile};
pub use money::Money;
pub use password::Password;
pub use sms_code::{SmsCode, SmsKey};
