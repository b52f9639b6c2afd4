//! UTC timestamps with one textual form shared by every backend.
//!
//! Stored as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (fixed width), so text order is time order on SQLite and
//! PostgreSQL alike and exports read the same whatever the backend.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// A point in time, UTC, microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Wraps a chrono time, truncated to microseconds.
    pub fn from_datetime(t: DateTime<Utc>) -> Self {
        let micros = t.timestamp_micros();
        Timestamp(DateTime::from_timestamp_micros(micros).unwrap_or(t))
    }

    /// The wrapped time.
    pub fn datetime(self) -> DateTime<Utc> {
        self.0
    }

    /// The stored form.
    pub fn to_db(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// Parses the stored form (or any RFC 3339 time, converted to UTC).
    pub fn parse(s: &str) -> Result<Self, chrono::ParseError> {
        DateTime::parse_from_rfc3339(s).map(|t| Self::from_datetime(t.with_timezone(&Utc)))
    }

    /// This time plus a number of seconds (negative goes back).
    pub fn plus_seconds(self, secs: i64) -> Self {
        Timestamp(self.0 + chrono::Duration::seconds(secs))
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0.timestamp()
    }

    /// A short human form: `2026-11-23 09:40 UTC`.
    pub fn human(self) -> String {
        self.0.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_db()
    }
}

impl TryFrom<String> for Timestamp {
    type Error = chrono::ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Timestamp::parse(&s)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_db())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_order_is_time_order() {
        let a = Timestamp::parse("2026-01-02T03:04:05Z").unwrap();
        let b = a.plus_seconds(1);
        let c = Timestamp::parse("2026-01-02T03:04:05.5+01:00").unwrap();
        assert!(a.to_db() < b.to_db());
        assert!(c.to_db() < a.to_db());
        assert_eq!(a.to_db(), "2026-01-02T03:04:05.000000Z");
        assert_eq!(Timestamp::parse(&b.to_db()).unwrap(), b);
    }
}
