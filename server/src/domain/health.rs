//! Token health: a pure function of the time, the registry row, what the bundle says and the
//! last check and refresh the console recorded. No I/O here, so every transition is a table test.
use app::wire::{Health, RegistryState};
use time::{Duration, OffsetDateTime};

/// An access token closer than this to expiry is "expiring soon".
pub const EXPIRING_SOON: Duration = Duration::hours(1);

/// What a *Check now* (a `viewer` query with the stored token) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckResult {
    Ok,
    /// Linear refused the token (authentication error).
    Unauthenticated,
    RateLimited,
    Unavailable,
    Timeout,
}

impl CheckResult {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckResult::Ok => "ok",
            CheckResult::Unauthenticated => "unauthenticated",
            CheckResult::RateLimited => "rate_limited",
            CheckResult::Unavailable => "unavailable",
            CheckResult::Timeout => "timeout",
        }
    }

    pub fn parse(s: &str) -> Option<CheckResult> {
        [CheckResult::Ok, CheckResult::Unauthenticated, CheckResult::RateLimited, CheckResult::Unavailable, CheckResult::Timeout]
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    fn transient(self) -> bool {
        matches!(self, CheckResult::RateLimited | CheckResult::Unavailable | CheckResult::Timeout)
    }
}

/// The inputs, already read from the row and the bundle.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub state: Option<RegistryState>,
    pub vault_managed: bool,
    /// `None`: the bundle is missing or unreadable; `Some(false)`: it has no tokens.
    pub bundle_has_tokens: Option<bool>,
    pub expires_at: Option<OffsetDateTime>,
    pub last_check: Option<(OffsetDateTime, CheckResult)>,
    /// Time of the last refresh attempt, and its error (`None` = it succeeded).
    pub last_refresh: Option<(OffsetDateTime, Option<String>)>,
}

/// Refresh errors that mean the grant is dead (as opposed to Linear being unwell).
pub fn grant_dead(error: &str) -> bool {
    matches!(error, "invalid_grant" | "unauthenticated" | "invalid_client")
}

pub fn health(now: OffsetDateTime, f: &Facts) -> Health {
    match f.state {
        None | Some(RegistryState::NotRegistered) => return Health::NotRegistered,
        Some(RegistryState::Revoked) => return Health::Revoked,
        Some(RegistryState::Active) => {}
    }
    // The platform's released code reads tokens only from the bundle: a vault row whose bundle
    // holds none resolves to no token and every event for it is dropped (contract §9).
    if f.vault_managed && f.bundle_has_tokens != Some(true) {
        return Health::VaultManaged;
    }
    if f.bundle_has_tokens != Some(true) {
        return Health::NeedsReconnect;
    }
    let expired = f.expires_at.is_none_or(|e| e <= now);
    // The most recent event decides; a refresh and a check at the same instant: the refresh.
    let check = f.last_check.map(|(at, r)| (at, Some(r), None));
    let refresh = f.last_refresh.as_ref().map(|(at, e)| (*at, None, Some(e.clone())));
    let latest = match (check, refresh) {
        (Some(c), Some(r)) => Some(if c.0 > r.0 { c } else { r }),
        (c, r) => c.or(r),
    };
    match latest {
        Some((_, None, Some(Some(err)))) if grant_dead(&err) => return Health::NeedsReconnect,
        Some((_, None, Some(Some(_)))) => return Health::Degraded,
        // An expired token refused is expected; an unexpired one refused means the grant died.
        Some((_, Some(CheckResult::Unauthenticated), _)) if !expired => return Health::NeedsReconnect,
        Some((_, Some(r), _)) if r.transient() => return Health::Degraded,
        _ => {}
    }
    if expired {
        Health::ExpiredRefreshable
    } else if f.expires_at.is_some_and(|e| e - now < EXPIRING_SOON) {
        Health::ExpiringSoon
    } else {
        Health::Healthy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

    fn active() -> Facts {
        Facts {
            state: Some(RegistryState::Active),
            bundle_has_tokens: Some(true),
            expires_at: Some(NOW + Duration::hours(20)),
            ..Facts::default()
        }
    }

    fn with(f: impl FnOnce(&mut Facts)) -> Facts {
        let mut facts = active();
        f(&mut facts);
        facts
    }

    #[test]
    fn every_state_and_transition() {
        let ago = |m: i64| NOW - Duration::minutes(m);
        let table: Vec<(&str, Facts, Health)> = vec![
            ("fresh token", active(), Health::Healthy),
            ("checked ok", with(|f| f.last_check = Some((ago(5), CheckResult::Ok))), Health::Healthy),
            ("expires in 30 min", with(|f| f.expires_at = Some(NOW + Duration::minutes(30))), Health::ExpiringSoon),
            ("expired a minute ago", with(|f| f.expires_at = Some(ago(1))), Health::ExpiredRefreshable),
            ("no expiry recorded", with(|f| f.expires_at = None), Health::ExpiredRefreshable),
            (
                "expired and refused: expected",
                with(|f| {
                    f.expires_at = Some(ago(10));
                    f.last_check = Some((ago(1), CheckResult::Unauthenticated));
                }),
                Health::ExpiredRefreshable,
            ),
            ("unexpired but refused", with(|f| f.last_check = Some((ago(1), CheckResult::Unauthenticated))), Health::NeedsReconnect),
            ("check hit 5xx", with(|f| f.last_check = Some((ago(1), CheckResult::Unavailable))), Health::Degraded),
            ("check timed out", with(|f| f.last_check = Some((ago(1), CheckResult::Timeout))), Health::Degraded),
            ("check rate limited", with(|f| f.last_check = Some((ago(1), CheckResult::RateLimited))), Health::Degraded),
            ("refresh invalid_grant", with(|f| f.last_refresh = Some((ago(1), Some("invalid_grant".into())))), Health::NeedsReconnect),
            ("refresh 5xx", with(|f| f.last_refresh = Some((ago(1), Some("unavailable".into())))), Health::Degraded),
            (
                "a good check after a failed refresh",
                with(|f| {
                    f.last_refresh = Some((ago(10), Some("unavailable".into())));
                    f.last_check = Some((ago(1), CheckResult::Ok));
                }),
                Health::Healthy,
            ),
            (
                "a good refresh after a dead check",
                with(|f| {
                    f.last_check = Some((ago(10), CheckResult::Unauthenticated));
                    f.last_refresh = Some((ago(1), None));
                }),
                Health::Healthy,
            ),
            (
                "a 5xx check after a dead refresh",
                with(|f| {
                    f.last_refresh = Some((ago(10), Some("invalid_grant".into())));
                    f.last_check = Some((ago(1), CheckResult::Unavailable));
                }),
                Health::Degraded,
            ),
            ("bundle without tokens", with(|f| f.bundle_has_tokens = Some(false)), Health::NeedsReconnect),
            ("bundle missing", with(|f| f.bundle_has_tokens = None), Health::NeedsReconnect),
            (
                "vault row, bundle without tokens",
                with(|f| {
                    f.vault_managed = true;
                    f.bundle_has_tokens = Some(false);
                }),
                Health::VaultManaged,
            ),
            (
                "vault row, bundle not read",
                with(|f| {
                    f.vault_managed = true;
                    f.bundle_has_tokens = None;
                }),
                Health::VaultManaged,
            ),
            ("vault row whose bundle holds usable tokens", with(|f| f.vault_managed = true), Health::Healthy),
            ("revoked", with(|f| f.state = Some(RegistryState::Revoked)), Health::Revoked),
            (
                "revoked wins over a dead grant",
                with(|f| {
                    f.state = Some(RegistryState::Revoked);
                    f.last_refresh = Some((ago(1), Some("invalid_grant".into())));
                }),
                Health::Revoked,
            ),
            ("not registered", with(|f| f.state = Some(RegistryState::NotRegistered)), Health::NotRegistered),
        ];
        for (name, facts, expected) in table {
            assert_eq!(health(NOW, &facts), expected, "{name}");
        }
    }

    #[test]
    fn check_results_round_trip_their_stored_form() {
        for r in [CheckResult::Ok, CheckResult::Unauthenticated, CheckResult::RateLimited, CheckResult::Unavailable, CheckResult::Timeout] {
            assert_eq!(CheckResult::parse(r.as_str()), Some(r));
        }
        assert_eq!(CheckResult::parse("nope"), None);
    }
}
