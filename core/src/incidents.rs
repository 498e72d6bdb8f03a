//! When a workspace's health becomes an incident, and when an incident ends: pure rules over what
//! a check or refresh found. An incident is one (workspace, kind) at a time; the same kind seen again
//! while open only moves "last seen"; a healthy workspace resolves what is open.
use serde::{Deserialize, Serialize};

use crate::codes;
use crate::health::{grant_dead, health, Facts, Health};

codes! {
    /// What kind of trouble an incident is.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum IncidentKind {
        NeedsReconnect = "needs_reconnect",
        /// Revoked, but not by an admin through the console.
        Revoked = "revoked",
        /// Degraded (Linear failing transiently) for longer than the configured time.
        Degraded = "degraded",
        /// The access token expired and its refresh failed.
        ExpiredRefreshFailed = "expired_refresh_failed",
        /// The platform dropped more of the workspace's requests in an hour than the threshold
        /// (people not linked): not a health of the token, so a check never resolves it.
        DroppedEvents = "dropped_events",
    }
}

impl IncidentKind {
    pub fn label(self) -> &'static str {
        match self {
            IncidentKind::NeedsReconnect => "Needs reconnect",
            IncidentKind::Revoked => "Revoked",
            IncidentKind::Degraded => "Degraded",
            IncidentKind::ExpiredRefreshFailed => "Expired, refresh failed",
            IncidentKind::DroppedEvents => "Dropping requests",
        }
    }

    /// What to do about it, for the page and the alert.
    pub fn action(self) -> &'static str {
        match self {
            IncidentKind::NeedsReconnect => "Reconnect the workspace from its page: Linear no longer accepts its grant.",
            IncidentKind::Revoked => "The app was removed or the workspace revoked outside the console: reconnect it if it should work.",
            IncidentKind::Degraded => "Linear is failing for this workspace: check Linear's status; the console keeps checking.",
            IncidentKind::ExpiredRefreshFailed => "Refresh the token from the workspace's page; if it keeps failing, reconnect.",
            IncidentKind::DroppedEvents => {
                "The platform is ignoring people who are not linked: open the workspace's page, Dropped in the last 7 days, and link, create or invite them."
            }
        }
    }

    /// A kind about the token's health: checks and refreshes open and resolve it.
    pub fn is_health(self) -> bool {
        self != IncidentKind::DroppedEvents
    }
}

codes! {
    /// Where an incident stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum IncidentState {
        Open = "open",
        Acknowledged = "acknowledged",
        Resolved = "resolved",
    }
}

codes! {
    /// How long a snoozed incident stays quiet: the snooze form's choices.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Snooze {
        Hour = "1h",
        Day = "1d",
        UntilResolved = "resolved",
    }
}

impl Snooze {
    /// How many seconds; `None` until the incident resolves.
    pub fn seconds(self) -> Option<i64> {
        match self {
            Snooze::Hour => Some(3600),
            Snooze::Day => Some(86_400),
            Snooze::UntilResolved => None,
        }
    }
}

/// What one check or refresh (or the sweep reading a row) tells about a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub health: Health,
    /// The access token has expired.
    pub expired: bool,
    /// The latest refresh failed (for a reason other than a dead grant).
    pub refresh_failed: bool,
    /// Revoked by an admin through the console (`admin_removed`): intended, not an incident.
    pub revoked_by_admin: bool,
}

impl Observation {
    /// What a workspace's facts say at `now` (its health, and whether its token is expired and its
    /// last refresh failed for a reason other than a dead grant).
    pub fn of(now: time::OffsetDateTime, f: &Facts, revoked_by_admin: bool) -> Observation {
        Observation {
            health: health(now, f),
            expired: f.expires_at.is_none_or(|e| e <= now),
            refresh_failed: f.last_refresh.as_ref().is_some_and(|(_, e)| e.as_deref().is_some_and(|e| !grant_dead(e))),
            revoked_by_admin,
        }
    }

    /// The incident kind this observation means, if any.
    pub fn kind(&self) -> Option<IncidentKind> {
        match self.health {
            Health::NeedsReconnect => Some(IncidentKind::NeedsReconnect),
            Health::Revoked if !self.revoked_by_admin => Some(IncidentKind::Revoked),
            Health::Degraded if self.expired && self.refresh_failed => Some(IncidentKind::ExpiredRefreshFailed),
            Health::Degraded => Some(IncidentKind::Degraded),
            _ => None,
        }
    }

    /// Healthy enough to end every incident of the workspace.
    pub fn is_healthy(&self) -> bool {
        matches!(self.health, Health::Healthy | Health::ExpiringSoon | Health::ExpiredRefreshable)
    }
}

/// What to do with the workspace's incidents after an observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Open an incident of this kind (none is open).
    Open(IncidentKind),
    /// The kind is already open: move its "last seen".
    Seen(IncidentKind),
    /// Degraded, but not for long enough yet: remember since when.
    Wait {
        since: i64,
    },
    /// Resolve every open incident.
    ResolveAll,
    Nothing,
}

/// The decision. `open`: kinds open for the workspace; `degraded_since`: when it was first seen
/// degraded without a break (if it was); `degraded_after`: seconds a degradation must last.
pub fn decide(o: &Observation, open: &[IncidentKind], degraded_since: Option<i64>, now: i64, degraded_after: i64) -> Step {
    if o.is_healthy() {
        return if open.is_empty() { Step::Nothing } else { Step::ResolveAll };
    }
    let Some(kind) = o.kind() else { return Step::Nothing };
    if open.contains(&kind) {
        return Step::Seen(kind);
    }
    if kind == IncidentKind::Degraded {
        let since = degraded_since.unwrap_or(now);
        if now - since < degraded_after {
            return Step::Wait { since };
        }
    }
    Step::Open(kind)
}

/// Whether an incident in this state stays quiet (no reminder; an acknowledged or snoozed one).
pub fn is_quiet(acknowledged: bool, snoozed_until: Option<i64>, now: i64) -> bool {
    acknowledged || snoozed_until.is_some_and(|until| until > now)
}

/// Whether a reminder is due: open, not quiet, first seen long enough ago, none sent yet.
pub fn reminder_due(first_seen: i64, reminded: bool, quiet: bool, now: i64, remind_after: i64) -> bool {
    !reminded && !quiet && now - first_seen >= remind_after
}

/// The wait before delivery attempt `attempt` (1-based) is tried again: 1 min, doubling, at most 1 h.
pub fn retry_after(attempt: u32) -> i64 {
    (60_i64 << attempt.saturating_sub(1).min(6)).min(3600)
}

/// A duration for people: "3 h 12 min", "4 min", "2 days 1 h".
pub fn lasted(seconds: i64) -> String {
    let m = seconds.max(0) / 60;
    let (d, h, m) = (m / 1440, m / 60 % 24, m % 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} day{} {h} h", if d == 1 { "" } else { "s" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(health: Health) -> Observation {
        Observation { health, expired: false, refresh_failed: false, revoked_by_admin: false }
    }

    #[test]
    fn a_dead_grant_opens_an_incident_once_and_is_then_only_seen_again() {
        let o = seen(Health::NeedsReconnect);
        assert_eq!(decide(&o, &[], None, 100, 1800), Step::Open(IncidentKind::NeedsReconnect));
        assert_eq!(decide(&o, &[IncidentKind::NeedsReconnect], None, 200, 1800), Step::Seen(IncidentKind::NeedsReconnect));
    }

    #[test]
    fn a_degradation_opens_only_after_it_lasted() {
        let o = seen(Health::Degraded);
        assert_eq!(decide(&o, &[], None, 1000, 1800), Step::Wait { since: 1000 });
        assert_eq!(decide(&o, &[], Some(1000), 2799, 1800), Step::Wait { since: 1000 });
        assert_eq!(decide(&o, &[], Some(1000), 2800, 1800), Step::Open(IncidentKind::Degraded));
    }

    #[test]
    fn an_expired_token_whose_refresh_failed_opens_at_once() {
        let o = Observation { expired: true, refresh_failed: true, ..seen(Health::Degraded) };
        assert_eq!(decide(&o, &[], None, 0, 1800), Step::Open(IncidentKind::ExpiredRefreshFailed));
    }

    #[test]
    fn a_revocation_by_an_admin_is_not_an_incident() {
        assert_eq!(decide(&seen(Health::Revoked), &[], None, 0, 0), Step::Open(IncidentKind::Revoked));
        let intended = Observation { revoked_by_admin: true, ..seen(Health::Revoked) };
        assert_eq!(decide(&intended, &[], None, 0, 0), Step::Nothing);
    }

    #[test]
    fn health_resolves_what_is_open_and_nothing_else() {
        for h in [Health::Healthy, Health::ExpiringSoon, Health::ExpiredRefreshable] {
            assert_eq!(decide(&seen(h), &[IncidentKind::Degraded], None, 0, 0), Step::ResolveAll, "{h:?}");
            assert_eq!(decide(&seen(h), &[], None, 0, 0), Step::Nothing);
        }
        assert_eq!(decide(&seen(Health::VaultManaged), &[IncidentKind::Degraded], None, 0, 0), Step::Nothing);
    }

    #[test]
    fn quiet_incidents_get_no_reminder_and_reminders_come_once() {
        assert!(is_quiet(true, None, 0));
        assert!(is_quiet(false, Some(100), 50));
        assert!(!is_quiet(false, Some(100), 100), "the snooze is over");
        assert!(reminder_due(0, false, false, 3600, 3600));
        assert!(!reminder_due(0, true, false, 9999, 3600), "already reminded");
        assert!(!reminder_due(0, false, true, 9999, 3600), "quiet");
        assert!(!reminder_due(0, false, false, 3599, 3600));
    }

    #[test]
    fn retries_back_off_and_durations_read_well() {
        assert_eq!((retry_after(1), retry_after(2), retry_after(3)), (60, 120, 240));
        assert_eq!(retry_after(30), 3600);
        assert_eq!(lasted(240), "4 min");
        assert_eq!(lasted(3 * 3600 + 12 * 60), "3 h 12 min");
        assert_eq!(lasted(49 * 3600), "2 days 1 h");
    }
}

/// An incident as the console keeps it (times in Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: String,
    pub org_id: String,
    pub slug: Option<String>,
    pub name: Option<String>,
    pub kind: IncidentKind,
    pub first_seen: i64,
    pub last_seen: i64,
    pub resolved_at: Option<i64>,
    /// What the check or refresh found (never a token).
    pub evidence: String,
    pub acknowledged_by: Option<String>,
    pub note: Option<String>,
    pub snoozed_until: Option<i64>,
    pub snoozed_until_resolved: bool,
}

impl Incident {
    pub fn quiet(&self, now: i64) -> bool {
        self.snoozed_until_resolved || is_quiet(self.acknowledged_by.is_some(), self.snoozed_until, now)
    }
}

codes! {
    /// An alert event of an incident.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum AlertEvent {
        Opened = "opened",
        Resolved = "resolved",
        Reminder = "reminder",
        Test = "test",
        /// Not an incident: an install link was used (its maker is told).
        LinkUsed = "link_used",
    }
}

/// The message of an alert: workspace, health, what happened, what to do, where to look.
/// Built from the incident's fields only, so it cannot carry a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertMessage {
    pub event: AlertEvent,
    pub incident_id: String,
    pub workspace: String,
    pub slug: Option<String>,
    pub org_id: String,
    /// The incident's kind (none for a notice such as a used install link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<IncidentKind>,
    pub title: String,
    pub text: String,
    pub link: String,
}

impl AlertMessage {
    pub fn of(incident: &Incident, event: AlertEvent, console_url: &str, now: i64) -> AlertMessage {
        let who = incident.slug.clone().or(incident.name.clone()).unwrap_or_else(|| incident.org_id.clone());
        let named = match (&incident.name, &incident.slug) {
            (Some(n), Some(s)) if n != s => format!("{n} ({s})"),
            _ => who.clone(),
        };
        let kind = incident.kind.label();
        let (title, text) = match event {
            AlertEvent::Opened => (
                format!("Linear workspace {who}: {kind}"),
                format!("{named} is {kind}. What happened: {}. What to do: {}", incident.evidence, incident.kind.action()),
            ),
            AlertEvent::Reminder => (
                format!("Still open: Linear workspace {who}: {kind}"),
                format!(
                    "{named} has been {kind} for {} and nobody has acknowledged it. What to do: {}",
                    lasted(now - incident.first_seen),
                    incident.kind.action()
                ),
            ),
            AlertEvent::Resolved => (
                format!("Resolved: Linear workspace {who} is healthy again"),
                format!("{named} is healthy again after {} ({kind}).", lasted(incident.resolved_at.unwrap_or(now) - incident.first_seen)),
            ),
            AlertEvent::Test => ("Test alert from the Linear console".to_owned(), "This channel receives the console's alerts.".to_owned()),
            AlertEvent::LinkUsed => (format!("Linear workspace {who} connected through an install link"), incident.evidence.clone()),
        };
        AlertMessage {
            event,
            incident_id: incident.id.clone(),
            workspace: named,
            slug: incident.slug.clone(),
            org_id: incident.org_id.clone(),
            kind: (event != AlertEvent::LinkUsed).then_some(incident.kind),
            title,
            text,
            link: format!("{}/workspaces/{}", console_url.trim_end_matches('/'), incident.org_id),
        }
    }
}

#[cfg(test)]
mod message_tests {
    use super::*;

    #[test]
    fn a_message_names_the_workspace_what_happened_what_to_do_and_where() {
        let i = Incident {
            id: "inc-1".into(),
            org_id: "org-1".into(),
            slug: Some("acme".into()),
            name: Some("Acme".into()),
            kind: IncidentKind::NeedsReconnect,
            first_seen: 0,
            last_seen: 0,
            resolved_at: Some(2 * 3600 + 5 * 60),
            evidence: "refresh: invalid_grant".into(),
            acknowledged_by: None,
            note: None,
            snoozed_until: None,
            snoozed_until_resolved: false,
        };
        let m = AlertMessage::of(&i, AlertEvent::Opened, "https://console.example/", 60);
        assert_eq!(m.title, "Linear workspace acme: Needs reconnect");
        assert!(m.text.contains("Acme (acme)") && m.text.contains("invalid_grant") && m.text.contains("Reconnect"), "{}", m.text);
        assert_eq!(m.link, "https://console.example/workspaces/org-1");
        let r = AlertMessage::of(&i, AlertEvent::Resolved, "https://console.example", 0);
        assert!(r.text.contains("after 2 h 5 min"), "{}", r.text);
    }
}
