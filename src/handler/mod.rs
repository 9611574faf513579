//! The handler API: everything a method in `methods/` needs from the core
//! besides the `shared` services and the `domain` values. A handler is
//! `async fn(Ctx, Params) -> ApiResult<Reply>`, added to the [`Registry`]
//! with its [`Method`] card in its namespace's `register`; `Params` is a
//! `Deserialize + JsonSchema` struct of the parameter types below, and a
//! product's [`Dialect`] says how it refuses and pages.
//! docs/architecture.md shows how to add one. May use `shared`, `gate`,
//! `stores`, `config`, `domain` and `protocol`.

pub mod cached;
pub mod catalogue;
pub mod context;
pub mod dialect;
pub mod guess;
mod markdown;
pub mod native;
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
