//! Paged lists: one rule of how a product pages ([`PageRule`], part of its
//! dialect), the page a call asks for ([`Page`]), and the gateway's block
//! `list, total, page, count, isnext` ([`Paged`], docs/methods.md). A
//! product with a block of its own (home's, supplier's) builds it from the
//! same [`Page`].

use std::fmt;

use serde::Serialize;

/// How a product pages its lists.
#[derive(Clone, Copy, Debug)]
pub struct PageRule {
    /// Rows a page, unless the client may choose (`max_size` above it) and
    /// does.
    pub size: i64,
    /// The most rows a client may ask for; `size` when it may not choose.
    pub max_size: i64,
    /// The highest page number; `None` for no limit (a page past the end is
    /// empty).
    pub max_page: Option<i64>,
    /// Whether a page below 1 is refused; else it is the first.
    pub refuse_below_first: bool,
}

/// Why a page cannot be served, for the dialect's parameter refusal.
#[derive(Debug, PartialEq, Eq)]
pub struct BadPage(pub String);

impl PageRule {
    /// The page asked for: `number` (absent: the first) of `size` rows
    /// (absent: the rule's).
    ///
    /// # Errors
    /// A number or size out of the rule's range.
    pub fn page(&self, number: Option<i64>, size: Option<i64>) -> Result<Page, BadPage> {
        let number = number.unwrap_or(1);
        let top = self.max_page.unwrap_or(i64::MAX);
        if (number < 1 && self.refuse_below_first) || number > top {
            let range = self
                .max_page
                .map_or("起始页为 1".to_string(), |m| format!("须为 1-{m}"));
            return Err(BadPage(format!("参数 page {range}")));
        }
        let size = size.unwrap_or(self.size);
        if !(1..=self.max_size).contains(&size) {
            return Err(BadPage(format!("参数 count 须为 1-{}", self.max_size)));
        }
        Ok(Page {
            number: number.max(1),
            size,
        })
    }
}

/// One page of a list: its number from 1 and its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub number: i64,
    pub size: i64,
}

impl Page {
    /// Rows before this page (SQL OFFSET); saturates for absurd pages,
    /// which are simply past the end.
    pub fn offset(self) -> i64 {
        (self.number - 1).saturating_mul(self.size)
    }

    /// Rows on a page (SQL LIMIT).
    pub fn limit(self) -> i64 {
        self.size
    }

    /// Pages of `total` rows (at least one).
    pub fn last(self, total: i64) -> i64 {
        ((total + self.size - 1) / self.size).max(1)
    }

    /// Whether rows remain after this page.
    pub fn more_after(self, total: i64) -> bool {
        self.number.saturating_mul(self.size) < total
    }
}

/// `number/size`: the page in an answer cache's key.
impl fmt::Display for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.number, self.size)
    }
}

/// One page of a list in the gateway's block, in the seed's key order.
#[derive(Debug, Serialize)]
pub struct Paged<T> {
    pub list: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub count: i64,
    pub isnext: bool,
}

impl<T> Paged<T> {
    /// `page` of a list of `total` rows, holding `list`.
    pub fn new(list: Vec<T>, total: i64, page: Page) -> Self {
        Self {
            list,
            total,
            page: page.number,
            count: page.size,
            isnext: page.more_after(total),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GATEWAY: PageRule = PageRule {
        size: 20,
        max_size: 20,
        max_page: None,
        refuse_below_first: false,
    };

    #[test]
    fn pages_below_one_are_the_first_page_or_refused() {
        for asked in [0, -1, i64::MIN] {
            assert_eq!(GATEWAY.page(Some(asked), None), GATEWAY.page(None, None));
        }
        let strict = PageRule {
            refuse_below_first: true,
            max_page: Some(100),
            ..GATEWAY
        };
        assert!(strict.page(Some(0), None).is_err());
        assert!(strict.page(Some(101), None).is_err());
        assert_eq!(strict.page(Some(100), None).unwrap().number, 100);
        assert_eq!(GATEWAY.page(Some(3), None).unwrap().offset(), 40);
        assert_eq!(
            GATEWAY.page(Some(i64::MAX), None).unwrap().offset(),
            i64::MAX
        );
    }

    #[test]
    fn a_client_chooses_the_size_only_within_the_rule() {
        let chosen = PageRule {
            max_size: 100,
            ..GATEWAY
        };
        assert_eq!(chosen.page(None, Some(100)).unwrap().limit(), 100);
        assert!(chosen.page(None, Some(101)).is_err());
        assert!(chosen.page(None, Some(0)).is_err());
        assert!(GATEWAY.page(None, Some(21)).is_err());
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
            let p = Paged::<()>::new(Vec::new(), total, GATEWAY.page(Some(page), None).unwrap());
            assert_eq!(p.isnext, isnext, "page {page} of {total}");
        }
    }

    #[test]
    fn the_block_serialises_in_seed_order() {
        let p = Paged::new(vec![1], 1, GATEWAY.page(Some(1), None).unwrap());
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"list":[1],"total":1,"page":1,"count":20,"isnext":false}"#
        );
    }
}
