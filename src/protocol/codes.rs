//! The protocol's codes (docs/protocol.md §5) as a table for clients: what
//! each means and what a client should do, for the catalogue
//! (`yafgate docs --json`) and docs/codes.md.

use super::error::code;

/// What a client does with an answer of a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Use `data`.
    Proceed,
    /// Show `msg` to the user; the request as sent will not succeed.
    ShowMsg,
    /// Drop the token and send the user to the login page.
    LogIn,
    /// The app is too old for this method: offer the upgrade.
    Upgrade,
    /// Wait and try again later, with growing pauses.
    BackOff,
    /// Show `msg`; trying again later may succeed (quote the request id).
    RetryLater,
    /// The client sent something malformed: a bug to fix, not a user error.
    FixClient,
    /// The device clock is off: show `msg`, which asks to set the time.
    FixClock,
}

impl Action {
    /// The action's name in the catalogue.
    pub fn name(self) -> &'static str {
        match self {
            Self::Proceed => "proceed",
            Self::ShowMsg => "show_msg",
            Self::LogIn => "log_in",
            Self::Upgrade => "upgrade",
            Self::BackOff => "back_off",
            Self::RetryLater => "retry_later",
            Self::FixClient => "fix_client",
            Self::FixClock => "fix_clock",
        }
    }
}

/// One row of the code table.
#[derive(Clone, Copy, Debug)]
pub struct CodeInfo {
    pub code: u32,
    /// When the gateway answers it.
    pub meaning: &'static str,
    pub action: Action,
    /// The action, spelt out for a client developer.
    pub advice: &'static str,
}

const fn row(code: u32, meaning: &'static str, action: Action, advice: &'static str) -> CodeInfo {
    CodeInfo {
        code,
        meaning,
        action,
        advice,
    }
}

/// Every protocol code, in order (docs/protocol.md §5).
pub const PROTOCOL_CODES: &[CodeInfo] = &[
    row(
        code::OK,
        "success",
        Action::Proceed,
        "Use `data`; `msg` may be shown as a confirmation.",
    ),
    row(
        code::FORBIDDEN,
        "signature missing or wrong, or the appid may not call this method",
        Action::FixClient,
        "Sign the exact `data` bytes that are sent with the appid's secret (docs/clients.md); an appid refused a method needs its `methods` changed, not a retry.",
    ),
    row(
        code::NOT_FOUND,
        "the resource does not exist, or is not the caller's",
        Action::ShowMsg,
        "Show `msg` and leave the page or refresh the list.",
    ),
    row(
        code::INTERNAL,
        "internal failure; the cause is only logged",
        Action::RetryLater,
        "Show `msg`, let the user try again later; report the X-Request-Id header.",
    ),
    row(
        code::BUSINESS,
        "ordinary business error, written for the user",
        Action::ShowMsg,
        "Show `msg` as it is; fix the input and send again.",
    ),
    row(
        code::METHOD_MISSING,
        "`method` missing, or `data` missing or not a JSON object",
        Action::FixClient,
        "Send `data` as the JSON text of an object with `method`.",
    ),
    row(
        code::VERSION_MISSING,
        "`v` missing or malformed",
        Action::FixClient,
        "Send `v` as a version like 1.0.0.",
    ),
    row(
        code::APPID_INVALID,
        "`appid` missing, unknown or disabled",
        Action::FixClient,
        "Check the appid built into the client; a disabled one needs the operator.",
    ),
    row(
        code::TIMESTAMP_INVALID,
        "`timestamp` missing, malformed or outside the allowed window",
        Action::FixClock,
        "Show `msg` (it asks the user to set the device time), then send again with a fresh timestamp.",
    ),
    row(
        code::IP_NOT_ALLOWED,
        "the client IP is not in the appid's allow list",
        Action::ShowMsg,
        "A server caller's address must be added to `ip_allow` by the operator.",
    ),
    row(
        code::NO_SUCH_METHOD,
        "no such method, or none for this `v`",
        Action::Upgrade,
        "The app is older or newer than the server's methods: offer the upgrade (system.upgrade).",
    ),
    row(
        code::IP_BANNED,
        "the client IP is banned",
        Action::ShowMsg,
        "Show `msg` (it says until when); do not retry before then.",
    ),
    row(
        code::RATE_LIMITED,
        "rate limit exceeded, or another check for the same mobile is running",
        Action::BackOff,
        "Wait, then retry with growing pauses; do not retry at once.",
    ),
    row(
        code::SESSION_EXPIRED,
        "session expired, unknown or logged out",
        Action::LogIn,
        "Drop the token and log in again.",
    ),
    row(
        code::NOT_LOGGED_IN,
        "the method needs a user and no token was sent",
        Action::LogIn,
        "Send the user to the login page.",
    ),
    row(
        code::DISPLACED,
        "a later login of the same user on the same class of device displaced this token",
        Action::LogIn,
        "Show `msg` (logged in elsewhere), drop the token, log in again.",
    ),
    row(
        code::ALREADY_REGISTERED,
        "account already registered",
        Action::ShowMsg,
        "Show `msg` and offer the login page.",
    ),
    row(
        code::NOT_REGISTERED,
        "account not registered",
        Action::ShowMsg,
        "Show `msg` and offer the register page.",
    ),
    row(
        code::PASSWORD_CHANGED,
        "the password changed after this token was issued",
        Action::LogIn,
        "Drop the token and log in again with the new password.",
    ),
    row(
        code::LOGIN_LOCKED,
        "login locked after too many wrong passwords or codes",
        Action::ShowMsg,
        "Show `msg` (it says until when); offer the SMS login.",
    ),
    row(
        code::ROLE_REQUIRED,
        "the method needs a role in a product (docs/protocol.md §8.11) that the user does not hold",
        Action::ShowMsg,
        "Show `msg` (it names the role); offer the product's sign-up for that role.",
    ),
    row(
        code::SMS_CODE_WRONG,
        "SMS code wrong, malformed or expired",
        Action::ShowMsg,
        "Show `msg`; let the user type the code again or ask for a new one.",
    ),
];

/// The row of a protocol code.
pub fn info(code: u32) -> Option<&'static CodeInfo> {
    PROTOCOL_CODES.iter().find(|c| c.code == code)
}

/// The advice for a product code a method declares (docs/protocol.md §16.1).
pub const PRODUCT_ADVICE: &str = "Show `msg`; the product refuses the action (the record's state, the input or the account's standing).";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_ordered_and_names_the_client_actions_of_the_issue() {
        let codes: Vec<u32> = PROTOCOL_CODES.iter().map(|c| c.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted, "ordered, each code once");
        for (code, action) in [
            (601, Action::LogIn),
            (603, Action::LogIn),
            (606, Action::LogIn),
            (509, Action::Upgrade),
            (511, Action::BackOff),
            (503, Action::ShowMsg),
        ] {
            assert_eq!(info(code).unwrap().action, action, "{code}");
        }
        assert!(info(999).is_none());
    }
}
