//! Time as the console's rules see it: a [`Clock`] the services are given (the system's in the
//! server, a fake one in tests, so nothing waits on the wall clock in a test), and the timestamp
//! forms the platform writes.
use std::time::Duration;

use async_trait::async_trait;
use time::macros::format_description;
use time::OffsetDateTime;

/// The time now, and a pause. Services that wait or expire take one of these.
#[async_trait]
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;

    /// Waits `d` (a fake clock moves its time on instead).
    async fn sleep(&self, d: Duration);

    /// Unix seconds now.
    fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }
}

/// ISO-8601 UTC with milliseconds, the form the platform's CLI writes (`2026-07-30T09:14:02.511Z`).
pub fn iso_millis(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC).format(&fmt).unwrap_or_default()
}

/// [`iso_millis`] of a Unix time.
pub fn iso_of_unix(unix: i64) -> String {
    iso_millis(OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

/// Parses the ISO-8601 timestamps the platform writes (with or without fractions).
pub fn parse_iso(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// The UTC day of a Unix time, `YYYY-MM-DD`.
pub fn day(unix: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_written_as_the_cli_writes_them_and_read_back() {
        let t = time::macros::datetime!(2026-07-30 09:14:02.511 UTC);
        assert_eq!(iso_millis(t), "2026-07-30T09:14:02.511Z");
        assert_eq!(parse_iso("2026-07-30T09:14:02.511Z"), Some(t));
        assert!(parse_iso("2026-06-01T12:00:00Z").is_some());
        assert!(parse_iso("yesterday").is_none());
        assert_eq!(day(t.unix_timestamp()), "2026-07-30");
    }
}
