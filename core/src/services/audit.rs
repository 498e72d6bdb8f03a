//! The audit log as the services write it and the pages read it. Every change goes through
//! [`AuditLog::record`], which says whether the event was stored: a failed write is logged once
//! with its cause, counted, and reported to the caller ([`Recorded::No`]), never dropped silently.
//! Pages of the log are shared by every request for a short while; every event recorded here drops
//! them.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::audit::AuditEvent;
use crate::cache::{Freshness, ReadCache};
use crate::error::{chain, Unavailable};
use crate::lifecycle::LifecycleEvent;
use crate::ports::{AuditEntry, AuditFilter, AuditPage, AuditStore, Ids};
use crate::services::lifecycle::Lifecycle;
use crate::time::{iso_millis, Clock};

/// Whether a change's audit event was stored.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Yes,
    /// The change happened but its event is not in the log: the page says so.
    No,
}

impl Recorded {
    pub fn is_recorded(self) -> bool {
        self == Recorded::Yes
    }
}

/// What a change answered, and whether its audit event was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audited<T> {
    pub value: T,
    pub recorded: Recorded,
}

impl<T> Audited<T> {
    pub fn new(value: T, recorded: Recorded) -> Audited<T> {
        Audited { value, recorded }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Audited<U> {
        Audited { value: f(self.value), recorded: self.recorded }
    }
}

/// Audit events not stored since the process started (the log line of each failure carries it).
static UNRECORDED: AtomicU64 = AtomicU64::new(0);

/// Which reads a cached page came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PageKey {
    Recent(usize),
    Search(AuditFilter, usize),
}

pub struct AuditLog {
    store: Arc<dyn AuditStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn Ids>,
    pages: ReadCache<PageKey, AuditPage>,
    /// Where a change's lifecycle event goes once its row is written (none: nowhere).
    lifecycle: Option<Arc<Lifecycle>>,
}

impl AuditLog {
    /// Pages of the log are reused for `ttl` (zero: every read is a query).
    pub fn new(store: Arc<dyn AuditStore>, clock: Arc<dyn Clock>, ids: Arc<dyn Ids>, ttl: std::time::Duration) -> AuditLog {
        let pages = ReadCache::new(ttl, clock.clone());
        AuditLog { store, clock, ids, pages, lifecycle: None }
    }

    /// Each change recorded here is also published as its lifecycle event (if it is one).
    pub fn publishing(self, lifecycle: Arc<Lifecycle>) -> AuditLog {
        AuditLog { lifecycle: Some(lifecycle), ..self }
    }

    /// Publishes an event the console observed (an incident, a used install link), if events go anywhere.
    pub async fn publish(&self, make: impl FnOnce(String, String) -> LifecycleEvent) {
        if let Some(l) = &self.lifecycle {
            l.publish(make(l.next_id(), iso_millis(self.clock.now()))).await;
        }
    }

    /// Stores the event (bounded field by field). A failure is logged here, once, with its cause
    /// and the running count of unrecorded events; the caller tells the user.
    pub async fn record(&self, event: AuditEvent) -> Recorded {
        self.record_telling(event, LifecycleEvent::of_audit).await
    }

    /// As [`AuditLog::record`], with `tell` saying which lifecycle event the change is (given the
    /// stored event, the row's id and time), for a change whose event its audit row alone does not
    /// decide (a revocation that stopped part way after marking the row).
    pub async fn record_telling(
        &self,
        event: AuditEvent,
        tell: impl FnOnce(&AuditEvent, String, String) -> Option<LifecycleEvent>,
    ) -> Recorded {
        let event = event.bounded();
        let at = self.clock.now();
        let id = self.ids.unique();
        self.pages.invalidate();
        let written = self.store.append(&event, at, &id).await;
        // Again once written: a page read while the write was under way is not read since it.
        self.pages.invalidate();
        // The change happened whether or not its row was written: other systems are told of it.
        if let Some(l) = &self.lifecycle {
            if let Some(e) = tell(&event, id.clone(), iso_millis(at)) {
                l.publish(e).await;
            }
        }
        match written {
            Ok(()) => Recorded::Yes,
            Err(e) => {
                let unrecorded = UNRECORDED.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::error!(
                    action = event.action.code(),
                    target = event.target.as_deref().unwrap_or("-"),
                    request_id = event.request_id.as_deref().unwrap_or("-"),
                    unrecorded_since_start = unrecorded,
                    error = %chain(&e),
                    "audit event not recorded"
                );
                Recorded::No
            }
        }
    }

    /// Events matching `filter`, newest first, a page of at most `limit`.
    pub async fn search(&self, filter: &AuditFilter, limit: usize, freshness: Freshness) -> Result<AuditPage, Unavailable> {
        let today = self.clock.now().date();
        let read = || self.store.search(filter, limit, today);
        self.pages.get_or_read(PageKey::Search(filter.clone(), limit), freshness, read).await
    }

    /// The latest `limit` events.
    pub async fn recent(&self, limit: usize, freshness: Freshness) -> Result<Vec<AuditEntry>, Unavailable> {
        let today = self.clock.now().date();
        let read = || async {
            let every = AuditFilter { from: Some(today - time::Duration::days(365)), ..AuditFilter::default() };
            self.store.search(&every, limit, today).await
        };
        Ok(self.pages.get_or_read(PageKey::Recent(limit), freshness, read).await?.entries)
    }
}

/// Audit events not stored since the process started.
pub fn unrecorded_since_start() -> u64 {
    UNRECORDED.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Action, Actor, Outcome};
    use crate::fakes::{Fail, Fakes};

    fn actor() -> Actor {
        Actor { sub: "sub-1".into(), email: "ann@example.com".into(), request_id: None }
    }

    #[tokio::test]
    async fn a_failed_write_is_reported_and_counted_not_dropped() {
        let f = Fakes::new();
        let log = f.audit_log();
        let ev = actor().event(Action::WorkspaceCheck, "org-1", Outcome::Success, "ok".into());
        assert_eq!(log.record(ev.clone()).await, Recorded::Yes);
        f.audit.fail_next(Fail::Unavailable);
        let before = unrecorded_since_start();
        assert_eq!(log.record(ev).await, Recorded::No);
        assert!(unrecorded_since_start() > before);
        assert_eq!(f.audit.entries().len(), 1, "only the stored one");
    }

    #[tokio::test]
    async fn a_recorded_event_is_on_its_viewers_next_page_and_on_everyones_within_the_pages_time() {
        let f = Fakes::new();
        let log = f.audit_log_caching(std::time::Duration::from_secs(60));
        assert!(log.recent(10, Freshness::Shared).await.unwrap().is_empty());
        let _ = log.record(actor().event(Action::WorkspaceCheck, "org-1", Outcome::Success, "ok".into())).await;
        let page = log.recent(10, Freshness::SinceChange).await.unwrap();
        assert_eq!(page.len(), 1, "the viewer of the change reads since it");
        assert_eq!(page[0].action, "workspace.check");
        let _ = log.record(actor().event(Action::WorkspaceRefresh, "org-1", Outcome::Success, "ok".into())).await;
        assert_eq!(log.recent(10, Freshness::Shared).await.unwrap().len(), 1, "other pages: the shared read, no query per event");
        f.clock.advance(std::time::Duration::from_secs(61));
        assert_eq!(log.recent(10, Freshness::Shared).await.unwrap().len(), 2, "and the new event once its time is up");
    }
}
