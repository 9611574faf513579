//! Paged lists (docs/methods.md): the block
//! `list, total, page, count, isnext`, in that order, 20 to a page.

use std::fmt;

use serde::Serialize;

use crate::handler::Int;

/// Rows per page; answered as `count`.
pub const PAGE_SIZE: i64 = 20;

/// A requested page number; numbers below 1 mean the first page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageNo(i64);

impl PageNo {
    /// The page asked for, at least 1.
    pub fn new(requested: Int) -> Self {
        Self(requested.0.max(1))
    }

    /// The page number, from 1.
    pub fn number(self) -> i64 {
        self.0
    }

    /// Rows before this page (SQL OFFSET); saturates for absurd pages,
    /// which are simply past the end.
    pub fn offset(self) -> i64 {
        (self.0 - 1).saturating_mul(PAGE_SIZE)
    }

    /// Rows on a page (SQL LIMIT).
    pub fn limit(self) -> i64 {
        PAGE_SIZE
    }
}

impl fmt::Display for PageNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One page of a list, serialised in the seed's key order.
#[derive(Debug, Serialize)]
pub struct Paged<T> {
    pub list: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub count: i64,
    pub isnext: bool,
}

impl<T> Paged<T> {
    /// Page `page` of a list of `total` rows, holding `list`.
    pub fn new(list: Vec<T>, total: i64, page: PageNo) -> Self {
        Self {
            list,
            total,
            page: page.number(),
            count: PAGE_SIZE,
            isnext: page.number().saturating_mul(PAGE_SIZE) < total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_below_one_are_the_first_page() {
        for asked in [0, -1, i64::MIN] {
            assert_eq!(PageNo::new(Int(asked)), PageNo::new(Int(1)));
        }
        assert_eq!(PageNo::new(Int(3)).offset(), 40);
        assert_eq!(PageNo::new(Int(i64::MAX)).offset(), i64::MAX);
    }

    #[test]
    fn isnext_says_whether_rows_remain_after_this_page() {
        let cases = [
            (1, 0, false),
            (1, 20, false),
            (1, 21, true),
            (2, 41, true),
            (3, 50, false),
            (9, 50, false),
        ];
        for (page, total, isnext) in cases {
            let p = Paged::<()>::new(Vec::new(), total, PageNo::new(Int(page)));
            assert_eq!(p.isnext, isnext, "page {page} of {total}");
        }
    }

    #[test]
    fn the_block_serialises_in_seed_order() {
        let p = Paged::new(vec![1], 1, PageNo::new(Int(1)));
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"list":[1],"total":1,"page":1,"count":20,"isnext":false}"#
        );
    }
}
