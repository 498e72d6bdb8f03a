//! The domain: the platform's records (registry rows, token bundles, user mappings) with its
//! parsing rules as UPSTREAM_CONTRACT.md states them, token health and link states. Pure: no SDK,
//! no HTTP, no clock of its own, so every rule is unit-tested here.
pub mod access;
pub mod audit;
pub mod health;
pub mod incidents;
pub mod link_states;
pub mod members;
pub mod registry;
pub mod sign_in_throttle;
pub mod slug;
pub mod token_bundle;
pub mod user_mapping;

use time::macros::format_description;
use time::OffsetDateTime;

/// ISO-8601 UTC with milliseconds, the form the platform's CLI writes (`2026-07-30T09:14:02.511Z`).
pub fn iso_millis(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC).format(&fmt).unwrap_or_default()
}

/// Parses the ISO-8601 timestamps the platform writes (with or without fractions).
pub fn parse_iso(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
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
    }
}
