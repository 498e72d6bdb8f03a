//! *Send again* on an undelivered lifecycle event (its `event.undelivered` audit row, `/audit`):
//! the kept event to the destination that refused it, once, audited.
use std::sync::Arc;

use crate::audit::{Action, Actor, Outcome};
use crate::error::{chain, Unavailable};
use crate::lifecycle::Undelivered;
use crate::ports::AuditStore;
use crate::services::audit::{AuditLog, Audited, Recorded};
use crate::services::lifecycle::Lifecycle;
use crate::time::{iso_millis, Clock};

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
    use crate::fakes::{Fail, Fakes};
    use crate::ports::Channel;
    use crate::services::lifecycle::Subscriber;

    fn actor() -> Actor {
        Actor { sub: "sub-1".into(), email: "op@example.com".into(), request_id: None }
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
