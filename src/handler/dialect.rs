//! A namespace's dialect: how its methods refuse a bad parameter, what
//! its own clients call a missing record and a refused caller, how it
//! pages its lists, what a success says and which envelope its clients
//! read (docs/architecture.md, "Adding a method"). Each product declares
//! one, once, beside its methods; `Registry::dialect` makes it its
//! namespace's, and the namespaces that declare none speak the gateway's.

use std::fmt::Display;

use super::paging::{Page, PageRule};
use crate::protocol::error::{ApiError, ApiResult, code};

/// The envelope a product's own clients read (its seed's): which keys
/// carry the code, the message and the data, and what success is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Envelope {
    /// `{code, msg, data}`, 200 for success (docs/protocol.md §4).
    Gateway,
    /// Seed 000: `{error_code, message, data}`, 0 for success; a failure
    /// carries `request` instead of `data`.
    Home,
    /// Seed 001: `{code, msg, content}`, 0 for success.
    Consult,
    /// Seed 002: `{code, msg, data}`, 200 for success, its own codes for
    /// sessions (100, 600) and failures (400).
    Supplier,
    /// Seed 004: `{code, message, data}`, 0 for success.
    Mp,
}

/// How one namespace speaks.
#[derive(Debug)]
pub struct Dialect {
    /// The namespace it speaks for.
    pub namespace: &'static str,
    /// The code of a parameter its methods refuse (home's 10000 请求参数错误,
    /// mp's 10001, supplier's 400, the gateway's 503).
    pub invalid: u32,
    /// Put before the detail of such a refusal.
    pub invalid_prefix: &'static str,
    /// Whether a parameter that does not parse at all (missing, ill-typed)
    /// answers `invalid` too; else the protocol's 503 names it.
    pub ill_typed_is_invalid: bool,
    /// What the catalogue says of `invalid` on every method when
    /// `ill_typed_is_invalid`.
    pub invalid_doc: &'static str,
    /// Its own clients' code for a record that does not exist or is not
    /// the caller's (the gateway's envelope answers 404).
    pub not_found: u32,
    /// Its own clients' code for a caller refused a method (the gateway's
    /// envelope answers 403).
    pub forbidden: u32,
    /// What a success says.
    pub ok: &'static str,
    pub paging: PageRule,
    pub envelope: Envelope,
}

/// The gateway's own dialect (docs/protocol.md §4, §5): every namespace
/// that declares none.
pub const GATEWAY: Dialect = Dialect {
    namespace: "",
    invalid: code::BUSINESS,
    invalid_prefix: "",
    ill_typed_is_invalid: false,
    invalid_doc: "",
    not_found: code::NOT_FOUND,
    forbidden: code::FORBIDDEN,
    ok: "success",
    paging: PageRule {
        size: 20,
        max_size: 20,
        max_page: None,
        refuse_below_first: false,
    },
    envelope: Envelope::Gateway,
};

impl Dialect {
    /// A parameter refused, saying which and why.
    pub fn invalid(&self, detail: impl Display) -> ApiError {
        ApiError::new(self.invalid, format!("{}{detail}", self.invalid_prefix))
    }

    /// The page a list call asks for (`number` absent: the first; `size`
    /// absent: the rule's), by this dialect's rule.
    ///
    /// # Errors
    /// [`Dialect::invalid`] for a page or size out of the rule's range.
    pub fn page(&self, number: Option<i64>, size: Option<i64>) -> ApiResult<Page> {
        self.paging
            .page(number, size)
            .map_err(|bad| self.invalid(bad.0))
    }

    /// What a parameter that does not parse answers in this dialect: the
    /// protocol's refusal (503 naming it), or `invalid` with its message.
    pub fn ill_typed(&self, e: ApiError) -> ApiError {
        if !self.ill_typed_is_invalid {
            return e;
        }
        match e {
            ApiError::Refused { msg, .. } => ApiError::new(self.invalid, msg),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateway_refuses_a_parameter_with_503_and_pages_by_twenty() {
        let e = GATEWAY.invalid("参数 x 不正确");
        assert_eq!((e.code(), e.public_msg()), (503, "参数 x 不正确"));
        let p = GATEWAY.page(Some(0), None).unwrap();
        assert_eq!((p.number, p.size), (1, 20));
        let parse = ApiError::business("缺少参数 x");
        assert_eq!(GATEWAY.ill_typed(parse).code(), 503);
    }

    #[test]
    fn a_dialect_answers_its_own_code_with_its_prefix() {
        let d = Dialect {
            invalid: 10000,
            invalid_prefix: "请求参数错误：",
            ill_typed_is_invalid: true,
            paging: PageRule {
                refuse_below_first: true,
                max_page: Some(9),
                ..GATEWAY.paging
            },
            ..GATEWAY
        };
        let e = d.page(Some(0), None).unwrap_err();
        assert_eq!(e.code(), 10000);
        assert!(
            e.public_msg().starts_with("请求参数错误：参数 page"),
            "{}",
            e.public_msg()
        );
        assert_eq!(d.ill_typed(ApiError::business("缺少参数 x")).code(), 10000);
    }
}
