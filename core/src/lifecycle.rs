//! The lifecycle events other systems subscribe to (issue 22, part 2): what the console changed or
//! observed, as one versioned, documented event each (EventBridge's `source`, `detail-type` and
//! `detail`; the signed-webhook channels get the same envelope). Pure: which audited change or
//! observation is which event, the event's JSON, and the channels' filters. Built only from audit
//! fields and incident fields, so an event cannot carry a token.
use serde_json::{json, Value};

use crate::audit::{cut, Action, AuditEvent, Outcome, DETAIL_MAX};
use crate::codes;
use crate::incidents::{Incident, IncidentKind};

/// EventBridge's `source` of every event.
pub const SOURCE: &str = "linear-console";
/// The detail's schema version (`detail.version`): a field is only ever added within a version.
pub const VERSION: u32 = 1;

codes! {
    /// What happened (`detail.event`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum EventKind {
        WorkspaceConnected = "workspace.connected",
        WorkspaceReconnected = "workspace.reconnected",
        WorkspaceRevoked = "workspace.revoked",
        WorkspaceRemoved = "workspace.removed",
        GrantLost = "workspace.grant_lost",
        RefreshFailed = "workspace.refresh_failed",
        Recovered = "workspace.recovered",
        IncidentOpened = "incident.opened",
        IncidentAcknowledged = "incident.acknowledged",
        IncidentResolved = "incident.resolved",
        PersonLinked = "person.linked",
        PersonUnlinked = "person.unlinked",
        PersonInvited = "person.invited",
        PersonCreated = "person.created",
        ProjectMapped = "project.mapped",
        ProjectDeactivated = "project.deactivated",
        InstallLinkCreated = "install_link.created",
        InstallLinkUsed = "install_link.used",
    }
}

impl EventKind {
    /// EventBridge's `detail-type`.
    pub fn detail_type(self) -> &'static str {
        match self {
            EventKind::WorkspaceConnected => "Workspace Connected",
            EventKind::WorkspaceReconnected => "Workspace Reconnected",
            EventKind::WorkspaceRevoked => "Workspace Revoked",
            EventKind::WorkspaceRemoved => "Workspace Removed",
            EventKind::GrantLost => "Workspace Grant Lost",
            EventKind::RefreshFailed => "Workspace Token Refresh Failed",
            EventKind::Recovered => "Workspace Recovered",
            EventKind::IncidentOpened => "Incident Opened",
            EventKind::IncidentAcknowledged => "Incident Acknowledged",
            EventKind::IncidentResolved => "Incident Resolved",
            EventKind::PersonLinked => "Person Linked",
            EventKind::PersonUnlinked => "Person Unlinked",
            EventKind::PersonInvited => "Person Invited",
            EventKind::PersonCreated => "Person Created",
            EventKind::ProjectMapped => "Project Mapped",
            EventKind::ProjectDeactivated => "Project Deactivated",
            EventKind::InstallLinkCreated => "Install Link Created",
            EventKind::InstallLinkUsed => "Install Link Used",
        }
    }

    /// The event an audited change is, if any: only a change that happened (a failed refresh is an
    /// observation that happened).
    pub fn of_audit(action: Action, outcome: Outcome) -> Option<EventKind> {
        let kind = match (action, outcome) {
            (Action::WorkspaceRefresh, Outcome::Failure) => return Some(EventKind::RefreshFailed),
            (_, Outcome::Success) => action,
            _ => return None,
        };
        Some(match kind {
            Action::WorkspaceInstall => EventKind::WorkspaceConnected,
            Action::WorkspaceReconnect => EventKind::WorkspaceReconnected,
            Action::WorkspaceRevoke => EventKind::WorkspaceRevoked,
            Action::WorkspaceRemove => EventKind::WorkspaceRemoved,
            Action::UserLink | Action::UserLinkChange => EventKind::PersonLinked,
            Action::UserUnlink => EventKind::PersonUnlinked,
            Action::UserInvite => EventKind::PersonInvited,
            Action::UserCreate => EventKind::PersonCreated,
            Action::ProjectMap | Action::ProjectChange | Action::ProjectReactivate => EventKind::ProjectMapped,
            Action::ProjectDeactivate => EventKind::ProjectDeactivated,
            Action::InstallLinkCreate => EventKind::InstallLinkCreated,
            Action::IncidentAcknowledge => EventKind::IncidentAcknowledged,
            _ => return None,
        })
    }

    /// The events an incident's opening is: always *incident opened*, and *grant lost* or *token
    /// refresh failed* when that is what it is about.
    pub fn of_opening(kind: IncidentKind) -> Vec<EventKind> {
        let also = match kind {
            IncidentKind::NeedsReconnect | IncidentKind::Revoked => Some(EventKind::GrantLost),
            _ => None,
        };
        std::iter::once(EventKind::IncidentOpened).chain(also).collect()
    }

    /// The events an incident's resolution is: *incident resolved*, and *recovered* for the token's health.
    pub fn of_resolution(kind: IncidentKind) -> Vec<EventKind> {
        let also = kind.is_health().then_some(EventKind::Recovered);
        std::iter::once(EventKind::IncidentResolved).chain(also).collect()
    }
}

/// One event, before it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleEvent {
    pub id: String,
    pub kind: EventKind,
    /// ISO-8601 UTC.
    pub at: String,
    pub org_id: Option<String>,
    pub slug: Option<String>,
    pub actor_sub: Option<String>,
    pub actor_email: Option<String>,
    pub outcome: Outcome,
    pub request_id: Option<String>,
    /// What was done, in words (the audit event's detail, or the incident's evidence).
    pub summary: Option<String>,
    /// The incident, for incident and health events.
    pub incident: Option<(String, IncidentKind)>,
}

impl LifecycleEvent {
    /// The event of an audited change (`None`: not one other systems are told of).
    pub fn of_audit(e: &AuditEvent, id: String, at: String) -> Option<LifecycleEvent> {
        Some(LifecycleEvent::of_change(EventKind::of_audit(e.action, e.outcome)?, e, id, at))
    }

    /// Event `kind` of an audited change, whatever its outcome (a revocation that stopped part way
    /// with the row already marked is one, as `failure`).
    pub fn of_change(kind: EventKind, e: &AuditEvent, id: String, at: String) -> LifecycleEvent {
        LifecycleEvent {
            id,
            kind,
            at,
            org_id: e.target.clone(),
            slug: None,
            actor_sub: e.actor_sub.clone(),
            actor_email: e.actor_email.clone(),
            outcome: e.outcome,
            request_id: e.request_id.clone(),
            summary: e.detail.clone(),
            incident: None,
        }
    }

    /// An event about an incident (`kind` from [`EventKind::of_opening`] or `of_resolution`),
    /// observed by the console itself.
    pub fn of_incident(kind: EventKind, i: &Incident, id: String, at: String) -> LifecycleEvent {
        LifecycleEvent {
            id,
            kind,
            at,
            org_id: Some(i.org_id.clone()),
            slug: i.slug.clone(),
            actor_sub: None,
            actor_email: None,
            outcome: Outcome::Success,
            request_id: None,
            summary: Some(i.evidence.clone()),
            incident: Some((i.id.clone(), i.kind)),
        }
    }

    /// EventBridge's `detail` (version 1).
    pub fn detail(&self) -> Value {
        let actor = match (&self.actor_sub, &self.actor_email) {
            (None, None) => json!({ "system": "console" }),
            (sub, email) => json!({ "sub": sub, "email": email }),
        };
        let mut d = json!({
            "version": VERSION,
            "id": self.id,
            "event": self.kind.code(),
            "at": self.at,
            "workspace": self.org_id.as_ref().map(|o| json!({ "org_id": o, "slug": self.slug })),
            "actor": actor,
            "outcome": self.outcome.code(),
            "request_id": self.request_id,
            // Bounded: the event is for machines; the audit log keeps the whole text.
            "summary": self.summary.as_ref().map(|s| s.chars().take(500).collect::<String>()),
        });
        if let (Some((id, kind)), Some(o)) = (&self.incident, d.as_object_mut()) {
            o.insert("incident".into(), json!({ "id": id, "kind": kind.code() }));
        }
        d
    }

    /// The envelope a webhook channel is posted (EventBridge's fields, as a rule's target sees them).
    pub fn envelope(&self) -> Value {
        json!({ "source": SOURCE, "detail-type": self.kind.detail_type(), "time": self.at, "detail": self.detail() })
    }

    /// The audit detail that keeps this event when `to` refused it (`why`): the event's envelope
    /// whole, last, so that it can be sent again by hand. The audit log bounds a detail, so the
    /// reason is shortened and, when the whole would still not fit, the event's summary (the
    /// change's own audit row has it in full); never a cut envelope.
    pub fn undelivered_detail(&self, to: &Destination, why: &str) -> String {
        let head = format!("{} {} not delivered to {} ({}); event: ", self.kind.code(), self.id, cut(&to.to_string(), 300), cut(why, 300));
        let mut e = self.clone();
        e.summary = e.summary.map(|s| s.chars().take(500).collect());
        loop {
            let text = format!("{head}{}", e.envelope());
            match e.summary.as_mut() {
                Some(s) if text.chars().count() > DETAIL_MAX && !s.is_empty() => {
                    let keep = s.chars().count() / 2;
                    *s = s.chars().take(keep).collect();
                }
                _ => return text,
            }
        }
    }
}

/// Where an event went, as an undelivered event's record names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The EventBridge bus of that name.
    Bus(String),
    /// The signed webhook at that place (from 1) of `CONSOLE_ALERT_WEBHOOK_URLS`, with its label.
    Webhook { label: String, place: usize },
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::Bus(name) => write!(f, "event bus {name}"),
            Destination::Webhook { label, place } => write!(f, "{label} #{place}"),
        }
    }
}

impl Destination {
    fn parse(s: &str) -> Option<Destination> {
        if let Some(name) = s.strip_prefix("event bus ") {
            return Some(Destination::Bus(name.to_owned()));
        }
        let (label, place) = s.rsplit_once(" #")?;
        Some(Destination::Webhook { label: label.to_owned(), place: place.parse().ok().filter(|p| *p > 0)? })
    }
}

/// An undelivered event's record read back: which event, where it was refused, and the envelope
/// as it was to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Undelivered {
    pub kind: EventKind,
    pub id: String,
    pub to: Destination,
    pub envelope: Value,
}

impl Undelivered {
    /// The record [`LifecycleEvent::undelivered_detail`] wrote; `None` for any other text.
    pub fn parse(detail: &str) -> Option<Undelivered> {
        let (head, rest) = detail.split_once(" not delivered to ")?;
        let (code, id) = head.split_once(' ')?;
        let (to, _) = rest.split_once(" (")?;
        // The envelope is last; the reason before it is cut text and may hold anything.
        let envelope = rest
            .match_indices("; event: ")
            .find_map(|(i, m)| serde_json::from_str::<Value>(&rest[i + m.len()..]).ok())
            .filter(|e| e["detail"]["id"] == id && e["detail"]["event"] == code && e["source"] == SOURCE)?;
        Some(Undelivered { kind: EventKind::from_code(code)?, id: id.to_owned(), to: Destination::parse(to)?, envelope })
    }
}

/// Which events a channel takes: names (`person.linked`), prefixes (`workspace.*`) or `*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter(Vec<String>);

impl EventFilter {
    /// A comma-separated list; every entry must name an event or a prefix of one (the error names
    /// the first that does not).
    pub fn parse(list: &str) -> Result<EventFilter, String> {
        let entries: Vec<String> = list.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned).collect();
        for e in &entries {
            let known = e == "*"
                || match e.strip_suffix(".*") {
                    Some(prefix) => EventKind::ALL.iter().any(|k| k.code().starts_with(&format!("{prefix}."))),
                    None => EventKind::from_code(e).is_some(),
                };
            if !known {
                return Err(e.clone());
            }
        }
        Ok(EventFilter(entries))
    }

    pub fn matches(&self, kind: EventKind) -> bool {
        self.0
            .iter()
            .any(|e| e == "*" || e == kind.code() || e.strip_suffix(".*").is_some_and(|p| kind.code().starts_with(&format!("{p}."))))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: Action, outcome: Outcome) -> AuditEvent {
        AuditEvent {
            action,
            actor_sub: Some("sub-1".into()),
            actor_email: Some("op@example.com".into()),
            target: Some("org-1".into()),
            outcome,
            detail: Some("linked Ann → ann@example.com".into()),
            request_id: Some("req-1".into()),
        }
    }

    #[test]
    fn only_changes_that_happened_are_events() {
        assert_eq!(EventKind::of_audit(Action::WorkspaceInstall, Outcome::Success), Some(EventKind::WorkspaceConnected));
        assert_eq!(EventKind::of_audit(Action::WorkspaceInstall, Outcome::Failure), None);
        assert_eq!(EventKind::of_audit(Action::UserLink, Outcome::Refused), None);
        assert_eq!(EventKind::of_audit(Action::WorkspaceRefresh, Outcome::Failure), Some(EventKind::RefreshFailed));
        assert_eq!(EventKind::of_audit(Action::WorkspaceRefresh, Outcome::Success), None, "a refresh is routine");
        assert_eq!(EventKind::of_audit(Action::SignIn, Outcome::Success), None, "sign-ins stay in the audit log");
        assert_eq!(EventKind::of_opening(IncidentKind::NeedsReconnect), vec![EventKind::IncidentOpened, EventKind::GrantLost]);
        assert_eq!(EventKind::of_resolution(IncidentKind::DroppedEvents), vec![EventKind::IncidentResolved]);
    }

    #[test]
    fn an_undelivered_events_record_keeps_the_whole_event_within_the_audit_bound() {
        let mut change = event(Action::WorkspaceRevoke, Outcome::Success);
        // The longest fields an audit row holds, and a summary that JSON doubles ("\"" each).
        change.actor_email = Some(format!("{}@example.com", "a".repeat(240)));
        change.actor_sub = Some("s".repeat(128));
        change.target = Some("o".repeat(256));
        change.detail = Some("\"".repeat(2000));
        let e = LifecycleEvent::of_audit(&change, "ev-9".into(), "2026-12-03T10:00:00.000Z".into()).unwrap();
        let why = "the bus said no; ".repeat(200);
        let kept = e.undelivered_detail(&Destination::Bus("default".into()), &why);
        let bounded = AuditEvent { detail: Some(kept.clone()), ..change.clone() }.bounded();
        assert_eq!(bounded.detail.as_deref(), Some(kept.as_str()), "the audit log keeps it uncut");
        assert!(kept.starts_with("workspace.revoked ev-9 not delivered to event bus default (the bus said no;"), "{kept}");
        let (_, json) = kept.split_once("; event: ").unwrap();
        let env: Value = serde_json::from_str(json).expect("the whole envelope");
        assert_eq!((env["detail-type"].as_str(), env["detail"]["id"].as_str()), (Some("Workspace Revoked"), Some("ev-9")));
        assert_eq!(env["detail"]["actor"]["email"].as_str(), change.actor_email.as_deref());
        let summary = env["detail"]["summary"].as_str().unwrap();
        assert!(!summary.is_empty() && summary.chars().all(|c| c == '"'), "shortened, not dropped: {summary}");
        let short = LifecycleEvent::of_audit(&event(Action::UserLink, Outcome::Success), "ev-1".into(), "t".into()).unwrap();
        let to = Destination::Webhook { label: "webhook hooks.example".into(), place: 2 };
        let kept = short.undelivered_detail(&to, "503; event: {not json");
        let (_, json) = kept.split_once("; event: {\"").unwrap();
        assert_eq!(serde_json::from_str::<Value>(&format!("{{\"{json}")).unwrap(), short.envelope(), "a short event is kept as sent");
        let back = Undelivered::parse(&kept).expect("read back");
        assert_eq!((back.kind, back.id.as_str(), &back.to, &back.envelope), (EventKind::PersonLinked, "ev-1", &to, &short.envelope()));
        let bus = Undelivered::parse(&e.undelivered_detail(&Destination::Bus("ops-bus".into()), &why)).unwrap();
        assert_eq!((bus.to, bus.envelope["detail"]["id"].as_str()), (Destination::Bus("ops-bus".into()), Some("ev-9")));
        assert_eq!(Undelivered::parse("linked Ann"), None);
        let forged = kept.replace("\"id\":\"ev-1\"", "\"id\":\"ev-2\"");
        assert_eq!(Undelivered::parse(&forged), None, "the envelope must be the event the record names");
    }

    #[test]
    fn the_detail_is_version_1_with_the_workspace_actor_outcome_and_request() {
        let e =
            LifecycleEvent::of_audit(&event(Action::UserLink, Outcome::Success), "ev-1".into(), "2026-12-03T10:00:00.000Z".into()).unwrap();
        let d = e.detail();
        assert_eq!(d["version"], 1);
        assert_eq!(d["event"], "person.linked");
        assert_eq!(d["workspace"]["org_id"], "org-1");
        assert_eq!((d["actor"]["sub"].as_str(), d["actor"]["email"].as_str()), (Some("sub-1"), Some("op@example.com")));
        assert_eq!((d["outcome"].as_str(), d["request_id"].as_str()), (Some("success"), Some("req-1")));
        assert!(d.get("incident").is_none());
        let env = e.envelope();
        assert_eq!((env["source"].as_str(), env["detail-type"].as_str()), (Some(SOURCE), Some("Person Linked")));
    }

    #[test]
    fn filters_take_names_prefixes_and_everything_and_refuse_the_unknown() {
        let f = EventFilter::parse("workspace.*, person.linked").unwrap();
        assert!(f.matches(EventKind::GrantLost) && f.matches(EventKind::PersonLinked));
        assert!(!f.matches(EventKind::PersonUnlinked) && !f.matches(EventKind::IncidentOpened));
        assert!(EventFilter::parse("*").unwrap().matches(EventKind::InstallLinkUsed));
        assert!(EventFilter::parse("").unwrap().is_empty());
        assert_eq!(EventFilter::parse("person.linked,grant.lost"), Err("grant.lost".to_owned()));
        assert_eq!(EventFilter::parse("people.*"), Err("people.*".to_owned()));
    }

    #[test]
    fn every_kind_has_a_detail_type_of_its_own() {
        let mut types: Vec<&str> = EventKind::ALL.iter().map(|k| k.detail_type()).collect();
        types.sort_unstable();
        types.dedup();
        assert_eq!(types.len(), EventKind::ALL.len());
    }
}
