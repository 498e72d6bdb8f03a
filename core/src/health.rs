//! Token health: a pure function of the time, the registry row, what the bundle says and the
//! last check and refresh the console recorded. No I/O here, so every transition is a table test.
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::codes;

/// An access token closer than this to expiry is "expiring soon".
pub const EXPIRING_SOON: Duration = Duration::hours(1);

codes! {
    /// A workspace's token health, as the console judges it. The code is the URL's (`?status=`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Health {
        Healthy = "healthy",
        ExpiringSoon = "expiring",
        ExpiredRefreshable = "expired",
        /// Transient failures at Linear (5xx, timeout, rate limit).
        Degraded = "degraded",
        /// Linear rejected the grant (`invalid_grant`, authentication error), or the bundle is unusable.
        NeedsReconnect = "reconnect",
        Revoked = "revoked",
        VaultManaged = "vault",
        NotRegistered = "unregistered",
    }
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Healthy => "Healthy",
            Health::ExpiringSoon => "Expiring soon",
            Health::ExpiredRefreshable => "Expired, refreshable",
            Health::Degraded => "Degraded",
            Health::NeedsReconnect => "Needs reconnect",
            Health::Revoked => "Revoked",
            Health::VaultManaged => "Vault: not usable",
            Health::NotRegistered => "Not registered",
        }
    }

    /// One line on why, for the badge's page.
    pub fn explanation(self) -> &'static str {
        match self {
            Health::Healthy => "The access token is valid and Linear accepted it at the last check.",
            Health::ExpiringSoon => "The access token expires within the hour; the platform refreshes it when it is next used.",
            Health::ExpiredRefreshable => "The access token has expired; the platform refreshes it on next use with the stored refresh token.",
            Health::Degraded => "The last call to Linear failed for a passing reason (server error, timeout or rate limit).",
            Health::NeedsReconnect => "Linear no longer accepts this workspace's grant (or the token bundle is unusable): tasks from it will fail.",
            Health::Revoked => "The registry marks this workspace revoked: the platform ignores it.",
            Health::VaultManaged => "The row names an AgentCore token vault, but this platform version reads tokens only from the bundle, and the bundle holds none: every event from this workspace is dropped.",
            Health::NotRegistered => "The registry row lacks a slug or a secret ARN: the platform does not see this workspace.",
        }
    }

    /// What to do about it.
    pub fn action(self) -> &'static str {
        match self {
            Health::Healthy => "Nothing.",
            Health::VaultManaged => "Reconnect the workspace: the console writes a token bundle the platform reads.",
            Health::ExpiringSoon | Health::ExpiredRefreshable => "Nothing, or Refresh token now.",
            Health::Degraded => "Check now again later; if it persists, look at Linear's status.",
            Health::NeedsReconnect => "Reconnect the workspace.",
            Health::Revoked => "Reconnect it to use it again, or Remove it.",
            Health::NotRegistered => "Connect the workspace, or Remove the row.",
        }
    }

    /// Counted in "needs attention".
    pub fn needs_attention(self) -> bool {
        matches!(self, Health::Degraded | Health::NeedsReconnect | Health::NotRegistered)
    }

    /// How bad it is, for a day's worst: 0 fine, 1 expiring, 2 degraded, 3 broken.
    pub fn severity(self) -> u8 {
        match self {
            Health::Healthy | Health::VaultManaged | Health::NotRegistered => 0,
            Health::ExpiringSoon | Health::ExpiredRefreshable => 1,
            Health::Degraded => 2,
            Health::NeedsReconnect | Health::Revoked => 3,
        }
    }
}

/// The registry row as the platform reads it (contract §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegistryState {
    Active,
    Revoked,
    NotRegistered,
}

impl RegistryState {
    pub fn label(self) -> &'static str {
        match self {
            RegistryState::Active => "Active",
            RegistryState::Revoked => "Revoked",
            RegistryState::NotRegistered => "Not registered",
        }
    }
}

codes! {
    /// What a *Check now* (a `viewer` query with the stored token) found; the code is what the row keeps.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum CheckResult {
        Ok = "ok",
        /// Linear refused the token (authentication error).
        Unauthenticated = "unauthenticated",
        RateLimited = "rate_limited",
        Unavailable = "unavailable",
        Timeout = "timeout",
    }
}

impl CheckResult {
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
    fn code_tables_round_trip() {
        assert!(crate::codes::round_trips::<CheckResult>());
        assert!(crate::codes::round_trips::<Health>());
        assert_eq!(CheckResult::from_code("nope"), None);
        for h in Health::ALL {
            assert!(!h.explanation().is_empty() && !h.action().is_empty());
        }
        assert!(Health::NeedsReconnect.needs_attention() && !Health::Healthy.needs_attention());
    }
}
