//! Method name patterns of apps.toml's `methods` (docs/protocol.md §12.1):
//! `*`, `user.*` or an exact name.

/// A pattern of method names: `*`, `user.*` or an exact name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MethodPattern {
    Any,
    Prefix(String),
    Exact(String),
}

impl MethodPattern {
    /// Read a pattern as apps.toml writes it.
    ///
    /// # Errors
    /// Text that is not `*`, `ns.*` or a method name.
    pub fn parse(text: &str) -> Result<Self, String> {
        let valid = |s: &str| {
            !s.is_empty()
                && s.split('.').all(|part| {
                    !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                })
        };
        if text == "*" {
            Ok(Self::Any)
        } else if let Some(ns) = text.strip_suffix(".*") {
            if valid(ns) {
                Ok(Self::Prefix(format!("{ns}.")))
            } else {
                Err(format!("`{text}` is not a method pattern"))
            }
        } else if valid(text) {
            Ok(Self::Exact(text.to_string()))
        } else {
            Err(format!(
                "`{text}` is not a method pattern (`*`, `user.*` or `user.login`)"
            ))
        }
    }

    /// Whether `method` is covered by this pattern.
    pub fn matches(&self, method: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Prefix(p) => method.starts_with(p.as_str()),
            Self::Exact(m) => m == method,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_any_a_namespace_or_a_name() {
        assert!(MethodPattern::parse("*").unwrap().matches("user.login"));
        let ns = MethodPattern::parse("user.*").unwrap();
        assert!(ns.matches("user.pwd.edit") && !ns.matches("users.x") && !ns.matches("user"));
        let exact = MethodPattern::parse("system.init").unwrap();
        assert!(exact.matches("system.init") && !exact.matches("system.init2"));
        for bad in ["", "user.", "User.*", "user..x", "a b", ".*"] {
            assert!(MethodPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
