//! The `filter` query parameter, in the one form provisioning clients use to look a resource up:
//! `userName eq "x"`, `externalId eq "x"` or `displayName eq "x"`.

use super::ScimError;

/// The attributes a filter may compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterAttribute {
    /// `userName` (Users), compared regardless of letter case.
    UserName,
    /// `externalId` (Users and Groups), compared exactly.
    ExternalId,
    /// `displayName` (Users and Groups), compared regardless of letter case.
    DisplayName,
}

/// A parsed `attribute eq "value"` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// What is compared.
    pub attribute: FilterAttribute,
    /// The value it must equal.
    pub value: String,
}

impl Filter {
    /// Whether a resource's value of the attribute satisfies the filter (RFC 7643 `caseExact`:
    /// only `externalId` is compared with its letter case).
    pub fn matches(&self, candidate: &str) -> bool {
        match self.attribute {
            FilterAttribute::ExternalId => candidate == self.value,
            FilterAttribute::UserName | FilterAttribute::DisplayName => {
                candidate.to_lowercase() == self.value.to_lowercase()
            }
        }
    }
}

/// Parses a filter; any other expression is `invalidFilter` (400).
pub fn parse_filter(s: &str) -> Result<Filter, ScimError> {
    let bad = || {
        ScimError::bad_request(
            "invalidFilter",
            format!(
                "`{s}` is not supported; use userName eq \"…\", externalId eq \"…\" or displayName eq \"…\""
            ),
        )
    };
    let mut parts = s.trim().splitn(3, char::is_whitespace);
    let (name, op, value) = match (parts.next(), parts.next(), parts.next()) {
        (Some(n), Some(o), Some(v)) => (n, o, v.trim()),
        _ => return Err(bad()),
    };
    let attribute = [
        ("userName", FilterAttribute::UserName),
        ("externalId", FilterAttribute::ExternalId),
        ("displayName", FilterAttribute::DisplayName),
    ]
    .into_iter()
    .find(|(n, _)| n.eq_ignore_ascii_case(name))
    .map(|(_, a)| a)
    .ok_or_else(bad)?;
    if !op.eq_ignore_ascii_case("eq") || !value.starts_with('"') {
        return Err(bad());
    }
    // A JSON string literal, so escapes (\" \\ \u00e9) read as RFC 7644 §3.4.2.2 says.
    let value: String = serde_json::from_str(value).map_err(|_| bad())?;
    Ok(Filter { attribute, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_filters() {
        let f = parse_filter("userName eq \"Alice@Example.org\"").unwrap();
        assert_eq!(f.attribute, FilterAttribute::UserName);
        assert!(f.matches("alice@example.org"));
        let f = parse_filter("  EXTERNALID EQ \"a \\\"b\\\"\" ").unwrap();
        assert_eq!(
            (f.attribute, f.value.as_str()),
            (FilterAttribute::ExternalId, "a \"b\"")
        );
        assert!(!f.matches("A \"B\""));
        let f = parse_filter("displayName eq \"Finance Team\"").unwrap();
        assert_eq!(f.value, "Finance Team");
    }

    #[test]
    fn anything_else_is_invalid_filter() {
        for bad in [
            "",
            "userName",
            "userName eq",
            "userName ne \"a\"",
            "userName sw \"a\"",
            "emails eq \"a@b.org\"",
            "userName eq a",
            "userName eq \"a\" and active eq true",
            "userName eq \"a",
        ] {
            let e = parse_filter(bad).unwrap_err();
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some("invalidFilter")),
                "{bad}"
            );
        }
    }
}
