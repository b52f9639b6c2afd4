//! Single values as the imports write them: dates, booleans, sign-in times and group lists.

use bulwark_core::validate::FieldError;
use chrono::{DateTime, NaiveDate, Utc};

/// The value, or `None` with its error added to `errors` (so a row reports every bad value).
pub(crate) fn keep<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

/// `None` for an empty cell.
pub(crate) fn optional(s: &str) -> Option<&str> {
    Some(s).filter(|s| !s.is_empty())
}

/// A calendar date written exactly `YYYY-MM-DD`.
pub(crate) fn iso_date(field: &str, s: &str) -> Result<NaiveDate, FieldError> {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shaped
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| FieldError::new(field, format!("`{s}` is not a date written YYYY-MM-DD")))
}

/// `true` or `false`, in any letter case.
pub(crate) fn boolean(field: &str, s: &str) -> Result<bool, FieldError> {
    if s.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if s.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(FieldError::new(
            field,
            format!("`{s}` must be true or false"),
        ))
    }
}

/// A point in time: `YYYY-MM-DD` (midnight UTC) or RFC 3339 (`2026-11-23T09:40:00+01:00`).
pub(crate) fn instant(field: &str, s: &str) -> Result<DateTime<Utc>, FieldError> {
    if s.len() == 10 {
        return iso_date(field, s).map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            FieldError::new(
                field,
                format!("`{s}` is neither a date (YYYY-MM-DD) nor an RFC 3339 time"),
            )
        })
}

/// Adds a group name, trimmed, unless it is empty or already there (in any letter case).
pub(crate) fn add_group(groups: &mut Vec<String>, name: &str) {
    let name = name.trim();
    let lower = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<Vec<_>>();
    if !name.is_empty() && !groups.iter().any(|g| lower(g) == lower(name)) {
        groups.push(name.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict() {
        assert_eq!(
            iso_date("d", "2026-02-28").unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        for bad in [
            "2026-2-28",
            "2026-02-30",
            "28/02/2026",
            "2026-02-28T00:00",
            " 2026-02-28",
            "+026-02-28",
        ] {
            let e = iso_date("d", bad).unwrap_err();
            assert_eq!(e.field, "d");
        }
    }

    #[test]
    fn booleans_and_instants() {
        assert!(boolean("b", "TRUE").unwrap());
        assert!(!boolean("b", "False").unwrap());
        for bad in ["yes", "1", ""] {
            assert!(boolean("b", bad).is_err(), "{bad}");
        }
        assert_eq!(
            instant("t", "2026-11-23").unwrap().to_rfc3339(),
            "2026-11-23T00:00:00+00:00"
        );
        assert_eq!(
            instant("t", "2026-11-23T10:40:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2026-11-23T09:40:00+00:00"
        );
        assert!(instant("t", "2026-11-23 10:40").is_err());
    }

    #[test]
    fn groups_are_trimmed_and_deduplicated() {
        let mut g = Vec::new();
        for name in [" Finance ", "", "finance", "HR", "  "] {
            add_group(&mut g, name);
        }
        assert_eq!(g, ["Finance", "HR"]);
    }
}
