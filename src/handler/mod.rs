//! The handler API: everything a method in `methods/` needs from the core,
//! and the only part of `src/` a handler should name besides `domain` and
//! `services`. A handler is `async fn(Ctx, Params) -> ApiResult<Reply>`,
//! added to the [`Registry`] with its [`Method`] card; `Params` is a
//! `Deserialize + JsonSchema` struct of the parameter types below.
//! docs/architecture.md shows how to add one. May use `services`, `config`,
//! `domain` and `protocol`.

pub mod cached;
pub mod catalogue;
pub mod context;
pub mod dialect;
pub mod guess;
mod markdown;
pub mod paging;
pub mod params;
pub mod refusals;
pub mod registry;

pub use context::{AppState, Caller, Ctx};
pub use dialect::{Dialect, Envelope};
pub use paging::{Page, PageRule, Paged};
pub use registry::{Access, Entry, Lookup, Method, Registry};

pub use crate::protocol::Reply;
pub use crate::protocol::error::{ApiError, ApiResult, code};
pub use crate::protocol::types::{DateTimeText, Float, Int, Platform, Text, Version};
