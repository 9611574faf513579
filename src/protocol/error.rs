//! The one error type of the request path and its business codes
//! (docs/protocol.md §5). Internal errors keep their cause for the log; the client
//! only ever sees a stable code and a plain message.

use std::borrow::Cow;

/// Business codes of the envelope. They are not HTTP statuses.
pub mod code {
    pub const OK: u32 = 200;
    pub const FORBIDDEN: u32 = 403;
    pub const NOT_FOUND: u32 = 404;
    pub const INTERNAL: u32 = 500;
    pub const BUSINESS: u32 = 503;
    pub const METHOD_MISSING: u32 = 504;
    pub const VERSION_MISSING: u32 = 505;
    pub const APPID_INVALID: u32 = 506;
    pub const TIMESTAMP_INVALID: u32 = 507;
    pub const IP_NOT_ALLOWED: u32 = 508;
    pub const NO_SUCH_METHOD: u32 = 509;
    pub const IP_BANNED: u32 = 510;
    pub const RATE_LIMITED: u32 = 511;
    pub const SESSION_EXPIRED: u32 = 601;
    pub const NOT_LOGGED_IN: u32 = 602;
    pub const DISPLACED: u32 = 603;
    pub const ALREADY_REGISTERED: u32 = 604;
    pub const NOT_REGISTERED: u32 = 605;
    pub const PASSWORD_CHANGED: u32 = 606;
    pub const LOGIN_LOCKED: u32 = 607;
    /// The method requires a role the caller lacks (docs/protocol.md §8.11).
    pub const ROLE_REQUIRED: u32 = 608;
    pub const SMS_CODE_WRONG: u32 = 700;
}

/// The plain message every internal failure shows the client.
pub const INTERNAL_MSG: &str = "服务器繁忙，请稍后重试";

/// An answer that is not a success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A refusal the client caused or must act on; `msg` is shown to the user.
    #[error("{code}: {msg}")]
    Refused { code: u32, msg: Cow<'static, str> },
    /// Our failure (database, Redis, a bug); logged with its cause, shown as 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A refusal with a code and a user-facing message.
    pub fn new(code: u32, msg: impl Into<Cow<'static, str>>) -> Self {
        debug_assert!(code != code::OK && code != code::INTERNAL);
        Self::Refused {
            code,
            msg: msg.into(),
        }
    }

    /// An ordinary business error (503) whose message the user sees.
    pub fn business(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(code::BUSINESS, msg)
    }

    /// 404: the resource does not exist (or is not the caller's to see).
    pub fn not_found(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(code::NOT_FOUND, msg)
    }

    /// The envelope code.
    pub fn code(&self) -> u32 {
        match self {
            Self::Refused { code, .. } => *code,
            Self::Internal(_) => code::INTERNAL,
        }
    }

    /// The envelope message: the refusal's own, or the plain internal one.
    pub fn public_msg(&self) -> &str {
        match self {
            Self::Refused { msg, .. } => msg,
            Self::Internal(_) => INTERNAL_MSG,
        }
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("postgres"))
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Internal(anyhow::Error::new(e).context("postgres pool"))
    }
}

impl From<redis::RedisError> for ApiError {
    fn from(e: redis::RedisError) -> Self {
        Self::Internal(anyhow::Error::new(e).context("redis"))
    }
}

/// Shorthand for handler and pipeline results.
pub type ApiResult<T> = Result<T, ApiError>;
