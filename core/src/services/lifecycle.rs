//! The lifecycle event stream (issue 22, part 2): each change the console makes, and each it
//! observes (a grant lost, a recovery, an incident), goes to Amazon EventBridge as one event of the
//! documented schema (`crate::lifecycle`), and to each signed-webhook channel whose filter takes it.
//! Published after the change is stored (the audit log calls here once its row is written, the
//! incident bookkeeping once its row is), tried again twice, and, when still refused, recorded in
//! the audit log as `event.undelivered` with the whole event (nothing lost), logged and counted; the
//! change stands.
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::audit::{Action, AuditEvent, Outcome};
use crate::error::chain;
use crate::lifecycle::{Destination, EventFilter, EventKind, LifecycleEvent, Undelivered, SOURCE};
use crate::ports::{AlertSender, AuditStore, Channel, EventBus, Ids};
use crate::time::Clock;

/// A webhook channel and the events it takes.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub channel: Channel,
    pub filter: EventFilter,
}

pub struct LifecycleParts {
    /// EventBridge; `None`: off (`CONSOLE_EVENT_BUS=off`).
    pub bus: Option<Arc<dyn EventBus>>,
    pub webhooks: Vec<Subscriber>,
    pub sender: Arc<dyn AlertSender>,
    pub store: Arc<dyn AuditStore>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
    /// Tries per destination (3), and the wait before the second (doubling after).
    pub attempts: u32,
    pub wait: Duration,
}

/// Events not delivered to a destination since the process started.
static UNDELIVERED: AtomicU64 = AtomicU64::new(0);

pub fn undelivered_since_start() -> u64 {
    UNDELIVERED.load(Ordering::Relaxed)
}

pub struct Lifecycle {
    p: LifecycleParts,
}

impl Lifecycle {
    pub fn new(p: LifecycleParts) -> Lifecycle {
        Lifecycle { p }
    }

    /// The bus's name, when events go to EventBridge.
    pub fn bus(&self) -> Option<&str> {
        self.p.bus.as_deref().map(|b| b.name())
    }

    /// How many webhook channels take events.
    pub fn subscribers(&self) -> usize {
        self.p.webhooks.iter().filter(|s| !s.filter.is_empty()).count()
    }

    pub fn next_id(&self) -> String {
        self.p.ids.unique()
    }

    /// Sends `e` everywhere it goes; what is refused after the retries is recorded.
    pub async fn publish(&self, e: LifecycleEvent) {
        if let Some(bus) = &self.p.bus {
            let detail = e.detail().to_string();
            let sent = self.retried(|| bus.put(SOURCE, e.kind.detail_type(), &detail)).await;
            if let Err(why) = sent {
                self.undelivered(&e, &Destination::Bus(bus.name().to_owned()), &why).await;
            }
        }
        let body = e.envelope().to_string();
        for (i, s) in self.p.webhooks.iter().enumerate().filter(|(_, s)| s.filter.matches(e.kind)) {
            let sent = self.retried(|| self.p.sender.post_event(&s.channel, &body, self.p.clock.unix())).await;
            if let Err(why) = sent {
                self.undelivered(&e, &Destination::Webhook { label: s.channel.label(), place: i + 1 }, &why).await;
            }
        }
    }

    /// Whether `to` is still where such events go: the bus of that name, or the webhook at that
    /// place with that label whose filter takes the event.
    pub fn takes(&self, to: &Destination, kind: EventKind) -> bool {
        match to {
            Destination::Bus(name) => self.bus() == Some(name.as_str()),
            Destination::Webhook { label, place } => {
                self.p.webhooks.get(place.wrapping_sub(1)).is_some_and(|s| s.channel.label() == *label && s.filter.matches(kind))
            }
        }
    }

    /// Sends a kept event again to where it was refused, with the usual tries.
    pub async fn send_kept(&self, u: &Undelivered) -> Result<(), String> {
        let gone = || "not configured".to_owned();
        match &u.to {
            Destination::Bus(_) => {
                let bus = self.p.bus.as_ref().ok_or_else(gone)?;
                let detail = u.envelope["detail"].to_string();
                self.retried(|| bus.put(SOURCE, u.kind.detail_type(), &detail)).await
            }
            Destination::Webhook { place, .. } => {
                let hook = self.p.webhooks.get(place.wrapping_sub(1)).ok_or_else(gone)?;
                let body = u.envelope.to_string();
                self.retried(|| self.p.sender.post_event(&hook.channel, &body, self.p.clock.unix())).await
            }
        }
    }

    async fn retried<F, Fut, E>(&self, mut call: F) -> Result<(), String>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::error::Error + 'static,
    {
        let mut why = String::new();
        for attempt in 0..self.p.attempts.max(1) {
            if attempt > 0 {
                self.p.clock.sleep(self.p.wait * 2u32.pow(attempt - 1)).await;
            }
            match call().await {
                Ok(()) => return Ok(()),
                Err(e) => why = chain(&e),
            }
        }
        Err(why)
    }

    /// Records an event a destination refused: a warning with a running count, and an audit row
    /// holding the event (its JSON) to send again by hand.
    async fn undelivered(&self, e: &LifecycleEvent, to: &Destination, why: &str) {
        let count = UNDELIVERED.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(event = e.kind.code(), event_id = %e.id, to = %to, error = why, undelivered_since_start = count, "lifecycle event not delivered");
        let row = AuditEvent {
            action: Action::EventUndelivered,
            actor_sub: None,
            actor_email: None,
            target: e.org_id.clone(),
            outcome: Outcome::Failure,
            detail: Some(e.undelivered_detail(to, why)),
            request_id: e.request_id.clone(),
        };
        if let Err(err) = self.p.store.append(&row.bounded(), self.p.clock.now(), &self.p.ids.unique()).await {
            tracing::error!(event_id = %e.id, error = %chain(&err), "an undelivered lifecycle event could not be recorded either");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Actor;
    use crate::fakes::{Fail, Fakes, RULES};
    use crate::health::Health;
    use crate::incidents::Observation;
    use crate::lifecycle::EventKind;
    use crate::services::audit::AuditLog;
    use crate::services::incidents::{Subject, Watch};

    fn actor() -> Actor {
        Actor { sub: "sub-1".into(), email: "op@example.com".into(), request_id: None }
    }

    fn stream(f: &Fakes, webhooks: Vec<Subscriber>) -> (Arc<Lifecycle>, AuditLog) {
        let l = Arc::new(f.lifecycle(webhooks));
        (l.clone(), f.audit_log_publishing(l))
    }

    #[tokio::test]
    async fn a_change_that_happened_is_one_event_after_its_row_and_a_refusal_is_none() {
        let f = Fakes::new();
        let (_, log) = stream(&f, Vec::new());
        let _ = log.record(actor().event(Action::UserLink, "org-1", Outcome::Success, "linked Ann".into())).await;
        let _ = log.record(actor().event(Action::UserLink, "org-1", Outcome::Refused, "not a member".into())).await;
        let _ = log.record(actor().event(Action::WorkspaceCheck, "org-1", Outcome::Success, "ok".into())).await;
        let events = f.events.events();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].0, "Person Linked");
        assert_eq!((events[0].1["event"].as_str(), events[0].1["_source"].as_str()), (Some("person.linked"), Some("linear-console")));
        let journal = f.journal();
        let row = journal.iter().position(|c| c == "audit.append").unwrap();
        let put = journal.iter().position(|c| c == "events.put").unwrap();
        assert!(row < put, "published after its row: {journal:?}");
    }

    #[tokio::test]
    async fn a_refused_put_is_tried_again_and_after_three_recorded_with_the_event_and_the_change_stands() {
        let f = Fakes::new();
        let (_, log) = stream(&f, Vec::new());
        f.events.script.fail_times("put", 2, Fail::Unavailable);
        let recorded = log.record(actor().event(Action::WorkspaceInstall, "org-1", Outcome::Success, "installed acme".into())).await;
        assert!(recorded.is_recorded());
        assert_eq!((f.events.script.count("put"), f.events.events().len()), (3, 1), "the third try took it");
        let before = undelivered_since_start();
        f.events.script.fail_times("put", 3, Fail::Unavailable);
        let _ = log.record(actor().event(Action::WorkspaceRevoke, "org-1", Outcome::Success, "revoked acme".into())).await;
        assert_eq!(f.events.events().len(), 1, "refused three times: not on the bus");
        assert!(undelivered_since_start() > before);
        let rows = f.audit.entries();
        let kept = rows.iter().find(|r| r.action == "event.undelivered").expect("recorded");
        let detail = kept.detail.clone().unwrap_or_default();
        assert!(detail.contains("workspace.revoked") && detail.contains("\"detail-type\":\"Workspace Revoked\""), "{detail}");
        assert!(rows.iter().any(|r| r.action == "workspace.revoke"), "the change's own row stands");
    }

    #[tokio::test]
    async fn webhooks_take_the_events_their_filter_names() {
        let f = Fakes::new();
        let hook = |n: usize, filter: &str| Subscriber {
            channel: Channel::Webhook { url: format!("https://hooks.example/{n}").into(), secret: None },
            filter: crate::lifecycle::EventFilter::parse(filter).unwrap(),
        };
        let (_, log) = stream(&f, vec![hook(1, "workspace.*"), hook(2, "person.linked"), hook(3, "")]);
        let _ = log.record(actor().event(Action::UserLink, "org-1", Outcome::Success, "linked".into())).await;
        let _ = log.record(actor().event(Action::WorkspaceInstall, "org-1", Outcome::Success, "installed".into())).await;
        let posted: Vec<(String, String)> = f
            .sender
            .events()
            .into_iter()
            .map(|(to, body)| {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                (to, v["detail"]["event"].as_str().unwrap_or_default().to_owned())
            })
            .collect();
        assert_eq!(
            posted,
            vec![
                ("webhook hooks.example".to_owned(), "person.linked".to_owned()),
                ("webhook hooks.example".to_owned(), "workspace.connected".to_owned())
            ]
        );
    }

    #[tokio::test]
    async fn a_revocation_stopped_after_marking_the_row_is_told_as_a_failure_and_one_that_marked_nothing_is_not() {
        use crate::fakes::Workspace;
        use crate::services::removal::{Cleanup, Removal};
        let f = Fakes::new();
        let (acme, globex) = (f.install(Workspace::active("acme")), f.install(Workspace::active("globex")));
        let (l, _) = stream(&f, Vec::new());
        let (removals, other) = (f.removals_with(f.audit_log_publishing(l.clone())), f.removals_with(f.audit_log_publishing(l)));
        f.oauth.script.fail("revoke", Fail::Unavailable);
        let done = removals.run(&actor(), Removal::Revoke, &acme.org, "acme", Cleanup::ALL).await;
        assert!(!done.value.unwrap().complete());
        f.registry.script.fail("mark_revoked", Fail::Unavailable);
        let _ = other.run(&actor(), Removal::Revoke, &globex.org, "globex", Cleanup::ALL).await;
        let events = f.events.events();
        assert_eq!(events.len(), 1, "globex was not marked: nothing happened to tell: {events:?}");
        let d = &events[0].1;
        assert_eq!((d["event"].as_str(), d["outcome"].as_str()), (Some("workspace.revoked"), Some("failure")));
        assert_eq!((d["workspace"]["org_id"].as_str(), d["workspace"]["slug"].as_str()), (Some(acme.org.as_str()), Some("acme")));
        assert!(d["summary"].as_str().is_some_and(|s| s.contains("mark: done") && s.contains("revoke: failed")), "{d}");
        let row = f.audit.entries().into_iter().find(|r| r.action == "workspace.revoke" && r.outcome == "failure").unwrap();
        assert_eq!(d["id"].as_str(), row.key.split_once('#').map(|(_, id)| id), "the event's id is its audit row's");
    }

    #[tokio::test]
    async fn a_lost_grant_and_its_recovery_are_events_with_the_incident() {
        let f = Fakes::new();
        let (_, log) = stream(&f, Vec::new());
        let watch =
            Watch::new(f.incidents.clone(), Arc::new(f.alerts(0)), Arc::new(log), f.clock.clone(), f.ids.clone(), RULES, Duration::ZERO);
        let who = Subject { org_id: "org-1", slug: Some("acme"), name: None };
        let seen = |health| Observation { health, expired: false, refresh_failed: false, revoked_by_admin: false };
        watch.observe(who, seen(Health::NeedsReconnect), "check", "check: Linear answered unauthenticated").await;
        watch.observe(who, seen(Health::NeedsReconnect), "check", "again").await;
        watch.observe(who, seen(Health::Healthy), "check", "ok").await;
        let kinds: Vec<String> = f.events.events().iter().map(|(_, d)| d["event"].as_str().unwrap_or_default().to_owned()).collect();
        assert_eq!(kinds, vec!["incident.opened", "workspace.grant_lost", "incident.resolved", "workspace.recovered"]);
        let lost = &f.events.events()[1].1;
        assert_eq!((lost["workspace"]["slug"].as_str(), lost["incident"]["kind"].as_str()), (Some("acme"), Some("needs_reconnect")));
        assert_eq!(lost["actor"]["system"], "console");
        assert!(EventKind::ALL.len() >= 18);
    }
}
