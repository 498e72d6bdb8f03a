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

use crate::audit::{Action, Actor, AuditEvent, Outcome};
use crate::error::{chain, Unavailable};
use crate::lifecycle::{Destination, EventFilter, EventKind, LifecycleEvent, Undelivered, SOURCE};
use crate::ports::{AlertSender, AuditStore, Channel, EventBus, Ids};
use crate::services::audit::{AuditLog, Audited, Recorded};
use crate::time::{iso_millis, Clock};

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
    fn takes(&self, to: &Destination, kind: EventKind) -> bool {
        match to {
            Destination::Bus(name) => self.bus() == Some(name.as_str()),
            Destination::Webhook { label, place } => {
                self.p.webhooks.get(place.wrapping_sub(1)).is_some_and(|s| s.channel.label() == *label && s.filter.matches(kind))
            }
        }
    }

    /// Sends a kept event again to where it was refused, with the usual tries.
    async fn send_kept(&self, u: &Undelivered) -> Result<(), String> {
        let bus = self.p.bus.as_ref().filter(|_| matches!(u.to, Destination::Bus(_)));
        if let Some(bus) = bus {
            let detail = u.envelope["detail"].to_string();
            return self.retried(|| bus.put(SOURCE, u.kind.detail_type(), &detail)).await;
        }
        let hook = match &u.to {
            Destination::Webhook { place, .. } => self.p.webhooks.get(place.wrapping_sub(1)),
            Destination::Bus(_) => None,
        };
        let Some(hook) = hook else { return Err("not configured".to_owned()) };
        let body = u.envelope.to_string();
        self.retried(|| self.p.sender.post_event(&hook.channel, &body, self.p.clock.unix())).await
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

/// Why an undelivered event was not sent again.
#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    #[error("there is no such audit event")]
    NotFound,
    #[error("only an undelivered lifecycle event can be sent again")]
    NotUndelivered,
    #[error("it was already sent again ({0})")]
    AlreadySent(String),
    #[error("{0} no longer takes this event (the console's configuration changed): nothing was sent")]
    Gone(String),
    #[error("{to} refused it again ({why}); it can be sent again later")]
    Refused { to: String, why: String },
    #[error("{0}")]
    Unavailable(#[source] Unavailable),
}

/// *Send again* on an undelivered lifecycle event (its `event.undelivered` audit row): to the
/// destination that refused it, and only there, with the event's own id (a receiver can tell a
/// repeat), once: the row is marked first, conditionally, so of two operators one sends; a send
/// refused again takes the mark back. Each send is audited (`event.resent`); a refusal to try
/// (no such row, not an undelivered event, already sent, destination gone) writes nothing.
pub struct Resend {
    lifecycle: Arc<Lifecycle>,
    audit: Arc<AuditLog>,
    store: Arc<dyn AuditStore>,
    clock: Arc<dyn Clock>,
}

impl Resend {
    pub fn new(lifecycle: Arc<Lifecycle>, audit: Arc<AuditLog>, store: Arc<dyn AuditStore>, clock: Arc<dyn Clock>) -> Resend {
        Resend { lifecycle, audit, store, clock }
    }

    /// Sends the event kept under `key` again; where it went.
    pub async fn send_again(&self, actor: &Actor, key: &str) -> Audited<Result<String, ResendError>> {
        let nothing = |e| Audited::new(Err(e), Recorded::Yes);
        let row = match self.store.get(key).await {
            Ok(Some(row)) => row,
            Ok(None) => return nothing(ResendError::NotFound),
            Err(e) => return nothing(ResendError::Unavailable(e)),
        };
        let kept = (row.action == Action::EventUndelivered.code()).then(|| row.detail.as_deref().and_then(Undelivered::parse)).flatten();
        let Some(u) = kept else { return nothing(ResendError::NotUndelivered) };
        if let Some(note) = row.resent {
            return nothing(ResendError::AlreadySent(note));
        }
        let to = u.to.to_string();
        if !self.lifecycle.takes(&u.to, u.kind) {
            return nothing(ResendError::Gone(to));
        }
        let note = format!("by {} at {}", actor.email, iso_millis(self.clock.now()));
        match self.store.mark_resent(key, &note).await {
            Ok(true) => {}
            Ok(false) => {
                let by = self.store.get(key).await.ok().flatten().and_then(|r| r.resent).unwrap_or_else(|| "by someone else".into());
                return nothing(ResendError::AlreadySent(by));
            }
            Err(e) => return nothing(ResendError::Unavailable(e)),
        }
        let target = row.target.as_deref();
        match self.lifecycle.send_kept(&u).await {
            Ok(()) => {
                let said = format!("{} {} sent again to {to}", u.kind.code(), u.id);
                let recorded = self.audit.record(actor.event(Action::EventResent, target, Outcome::Success, said)).await;
                Audited::new(Ok(to), recorded)
            }
            Err(why) => {
                if let Err(e) = self.store.unmark_resent(key, &note).await {
                    tracing::error!(event_id = %u.id, error = %chain(&e), "a refused resend's mark could not be taken back");
                }
                let said = format!("{} {} refused again by {to} ({why})", u.kind.code(), u.id);
                let recorded = self.audit.record(actor.event(Action::EventResent, target, Outcome::Failure, said)).await;
                Audited::new(Err(ResendError::Refused { to, why }), recorded)
            }
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

    fn resend(f: &Fakes, webhooks: Vec<Subscriber>) -> (Resend, Arc<AuditLog>) {
        let l = Arc::new(f.lifecycle(webhooks));
        let log = Arc::new(f.audit_log_publishing(l.clone()));
        (Resend::new(l, log.clone(), f.audit.clone(), f.clock.clone()), log)
    }

    fn undelivered_key(f: &Fakes) -> String {
        f.audit.entries().iter().find(|r| r.action == "event.undelivered").expect("an undelivered event").key.clone()
    }

    #[tokio::test]
    async fn an_undelivered_event_is_sent_again_once_with_its_id_to_the_bus_that_refused_it() {
        let f = Fakes::new();
        let (resend, log) = resend(&f, Vec::new());
        f.events.script.fail_times("put", 3, Fail::Unavailable);
        let _ = log.record(actor().event(Action::UserLink, "org-1", Outcome::Success, "linked Ann".into())).await;
        assert!(f.events.events().is_empty());
        let key = undelivered_key(&f);
        let link_id = f.audit.entries()[0].key.split_once('#').unwrap().1.to_owned();

        let sent = resend.send_again(&actor(), &key).await;
        assert_eq!(sent.value.as_deref().ok(), Some("event bus default"), "{:?}", sent.value);
        assert!(sent.recorded.is_recorded());
        let events = f.events.events();
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].0.as_str(), events[0].1["id"].as_str()),
            ("Person Linked", Some(link_id.as_str())),
            "the same event, its own id"
        );
        let row = f.audit.entries().into_iter().find(|r| r.key == key).unwrap();
        assert!(row.resent.as_deref().is_some_and(|n| n.starts_with("by op@example.com at ")), "{row:?}");
        let resent = f.audit.entries().into_iter().find(|r| r.action == "event.resent").expect("audited");
        assert_eq!((resent.outcome.as_str(), resent.target.as_deref()), ("success", Some("org-1")));

        let again = resend.send_again(&actor(), &key).await;
        assert!(matches!(again.value, Err(ResendError::AlreadySent(ref by)) if by.starts_with("by op@example.com")), "{:?}", again.value);
        assert_eq!(f.events.events().len(), 1, "sent once");
        assert_eq!(f.audit.entries().iter().filter(|r| r.action == "event.resent").count(), 1, "a refusal to try writes nothing");
    }

    #[tokio::test]
    async fn a_send_refused_again_is_recorded_and_leaves_the_event_to_send_later() {
        let f = Fakes::new();
        let hook = Subscriber {
            channel: Channel::Webhook { url: "https://hooks.example/1".to_owned().into(), secret: None },
            filter: crate::lifecycle::EventFilter::parse("person.*").unwrap(),
        };
        let (resend, log) = resend(&f, vec![hook]);
        f.sender.script.fail_times("post_event", 3, Fail::Unavailable);
        let _ = log.record(actor().event(Action::UserLink, "org-1", Outcome::Success, "linked Ann".into())).await;
        let key = undelivered_key(&f);
        assert_eq!(f.events.events().len(), 1, "the bus took it: only the webhook is undelivered");

        f.sender.script.fail_times("post_event", 3, Fail::Unavailable);
        let refused = resend.send_again(&actor(), &key).await;
        assert!(
            matches!(refused.value, Err(ResendError::Refused { ref to, .. }) if to == "webhook hooks.example #1"),
            "{:?}",
            refused.value
        );
        let failure = f.audit.entries().into_iter().find(|r| r.action == "event.resent").expect("the refusal is audited");
        assert_eq!(failure.outcome, "failure");
        assert_eq!(f.audit.entries().into_iter().find(|r| r.key == key).unwrap().resent, None, "the mark is taken back");

        let sent = resend.send_again(&actor(), &key).await;
        assert_eq!(sent.value.as_deref().ok(), Some("webhook hooks.example #1"));
        assert_eq!(f.sender.events().len(), 1, "posted to the webhook only");
        assert_eq!(f.events.events().len(), 1, "not to the bus again");
    }

    #[tokio::test]
    async fn only_a_kept_undelivered_event_for_a_destination_still_configured_is_sent_and_a_refusal_writes_nothing() {
        let f = Fakes::new();
        let hook = |filter: &str| Subscriber {
            channel: Channel::Webhook { url: "https://hooks.example/1".to_owned().into(), secret: None },
            filter: crate::lifecycle::EventFilter::parse(filter).unwrap(),
        };
        let (_, log) = resend(&f, vec![hook("*")]);
        f.sender.script.fail_times("post_event", 3, Fail::Unavailable);
        let _ = log.record(actor().event(Action::UserLink, "org-1", Outcome::Success, "linked Ann".into())).await;
        let (key, link) = (undelivered_key(&f), f.audit.entries()[0].key.clone());
        let rows = f.audit.entries().len();
        // The console restarted with that webhook taking workspace events only, then with none.
        for webhooks in [vec![hook("workspace.*")], Vec::new()] {
            let (resend, _) = resend(&f, webhooks);
            let gone = resend.send_again(&actor(), &key).await;
            assert!(matches!(gone.value, Err(ResendError::Gone(ref to)) if to == "webhook hooks.example #1"), "{:?}", gone.value);
        }
        let (resend, _) = resend(&f, vec![hook("*")]);
        assert!(matches!(resend.send_again(&actor(), &link).await.value, Err(ResendError::NotUndelivered)));
        assert!(matches!(resend.send_again(&actor(), "2026-01-01T00:00:00Z#nope").await.value, Err(ResendError::NotFound)));
        f.audit.script.fail("get", Fail::Unavailable);
        assert!(matches!(resend.send_again(&actor(), &key).await.value, Err(ResendError::Unavailable(_))));
        assert_eq!(f.audit.entries().len(), rows, "nothing written");
        assert!(f.sender.events().is_empty());
    }
}
