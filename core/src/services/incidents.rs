//! Incidents: after every check and refresh (by an admin or the sweep) the workspace's health is
//! observed here, kept in its history, and turned into incidents by `incidents::decide`; an opened
//! or resolved incident is announced through the alerts. Acknowledging and snoozing are audited.
//! The sweep also sends the reminders and retries failed deliveries.
use std::sync::Arc;

use crate::audit::{Action, Actor, Outcome};
use crate::cache::{Freshness, ReadCache};
use crate::error::{chain, Unavailable};
use crate::health::Health;
use crate::incidents::{decide, lasted, reminder_due, AlertEvent, Incident, IncidentKind, IncidentState, Observation, Snooze, Step};
use crate::lifecycle::{EventKind, LifecycleEvent};
use crate::ports::{Channel, DayHealth, Delivery, Ids, IncidentStore, SendError};
use crate::services::alerts::Alerts;
use crate::services::audit::{AuditLog, Audited};
use crate::time::{day, Clock};

/// How incidents are judged (from the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentRules {
    /// Seconds a degradation must last before it is an incident.
    pub degraded_after: i64,
    /// Seconds after which an open, unacknowledged incident is announced again (once).
    pub remind_after: i64,
}

/// The workspace an observation is about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub org_id: &'a str,
    pub slug: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// Which incidents a page lists (every field: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    /// A workspace's org id or slug.
    pub workspace: Option<String>,
    pub kind: Option<IncidentKind>,
    pub state: Option<IncidentState>,
}

/// An incident as the pages list it: where it stands and what was sent about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub incident: Incident,
    pub state: IncidentState,
    pub deliveries: Vec<Delivery>,
}

/// What *Send test alert* did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestAlert {
    NoChannel,
    Sent,
    Failed(SendError),
}

/// What the pages read of incidents, read together and reused for a few seconds (as the registry
/// overview is): every change this instance makes drops it, another instance's shows within the
/// reuse time. The sweep's and an observation's own reads are always fresh.
struct Reads {
    open: Vec<Incident>,
    /// Resolved in the last 90 days.
    resolved: Vec<Incident>,
    deliveries: Vec<Delivery>,
    /// The worst health of each (day, workspace) of the last 90 days.
    days: Vec<DayHealth>,
}

/// How far back the pages look.
const KEEP_DAYS: i64 = 90;
/// How far back `/incidents` lists resolved incidents.
const LIST_DAYS: i64 = 30;

pub struct Watch {
    store: Arc<dyn IncidentStore>,
    alerts: Arc<Alerts>,
    audit: Arc<AuditLog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn Ids>,
    rules: IncidentRules,
    reads: ReadCache<(), Arc<Reads>>,
}

impl Watch {
    /// The pages' reads are reused for `ttl` (zero: read every time).
    pub fn new(
        store: Arc<dyn IncidentStore>,
        alerts: Arc<Alerts>,
        audit: Arc<AuditLog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn Ids>,
        rules: IncidentRules,
        ttl: std::time::Duration,
    ) -> Watch {
        let reads = ReadCache::new(ttl, clock.clone());
        Watch { store, alerts, audit, clock, ids, rules, reads }
    }

    /// Drops the pages' reads (after any change this instance makes).
    fn changed(&self) {
        self.reads.invalidate();
    }

    async fn reads(&self, freshness: Freshness) -> Result<Arc<Reads>, Unavailable> {
        let now = self.clock.unix();
        let read = || async {
            let since = now - KEEP_DAYS * 86_400;
            let first_day = day(since + 86_400);
            let (open, resolved, deliveries, days) = futures::join!(
                self.store.open(None),
                self.store.resolved_since(since, now),
                self.store.deliveries(),
                self.store.days_since(&first_day),
            );
            Ok(Arc::new(Reads { open: open?, resolved: resolved?, deliveries: deliveries?, days: days? }))
        };
        self.reads.get_or_read((), freshness, read).await
    }

    pub fn channels(&self) -> &[Channel] {
        self.alerts.channels()
    }

    pub fn rules(&self) -> IncidentRules {
        self.rules
    }

    /// Records what a check or refresh found and opens, moves or resolves incidents. A failure
    /// here is logged: it never fails the check that observed it.
    pub async fn observe(&self, who: Subject<'_>, o: Observation, event: &str, evidence: &str) {
        let result = self.try_observe(&who, o, event, evidence, self.clock.unix()).await;
        // Every observation adds to the history the pages show.
        self.changed();
        if let Err(e) = result {
            tracing::error!(error = %chain(&e), org_id = who.org_id, "incident bookkeeping failed");
        }
    }

    async fn try_observe(&self, who: &Subject<'_>, o: Observation, event: &str, evidence: &str, now: i64) -> Result<(), Unavailable> {
        let (open, since, recorded) = futures::join!(
            self.store.open(Some(who.org_id)),
            self.store.degraded_since(who.org_id),
            self.store.record_health(who.org_id, now, event, o.health, evidence),
        );
        recorded?;
        // Only the token's health is judged here (dropped requests open and end by their own rule).
        let open: Vec<Incident> = open?.into_iter().filter(|i| i.kind.is_health()).collect();
        let kinds: Vec<IncidentKind> = open.iter().map(|i| i.kind).collect();
        let degraded = o.health == Health::Degraded;
        let since = since?;
        if degraded != since.is_some() {
            self.store.set_degraded_since(who.org_id, degraded.then_some(now)).await?;
        }
        match decide(&o, &kinds, since, now, self.rules.degraded_after) {
            Step::Open(kind) => {
                let first_seen = since.filter(|_| kind == IncidentKind::Degraded).unwrap_or(now);
                let incident = self.new_incident(who, kind, first_seen, now, evidence);
                // Only the instance whose conditional write succeeds announces it.
                if self.store.create(&incident).await? {
                    tracing::warn!(org_id = who.org_id, kind = kind.code(), "incident opened");
                    self.alerts.notify(&incident, AlertEvent::Opened).await;
                    self.announce(&incident, EventKind::of_opening(kind)).await;
                }
            }
            Step::Seen(kind) => self.store.seen(who.org_id, kind, now, evidence).await?,
            Step::ResolveAll => {
                for incident in open {
                    self.resolve(incident, now).await?;
                }
            }
            Step::Wait { .. } | Step::Nothing => {}
        }
        Ok(())
    }

    /// What the sweep read of a workspace's dropped requests: over the threshold opens one
    /// [`IncidentKind::DroppedEvents`] (announced once, as any incident), over it again moves its
    /// "last seen", back under it resolves it. A failure is logged, as an observation's.
    pub async fn observe_drops(&self, who: Subject<'_>, over: bool, evidence: &str) {
        let result = self.try_observe_drops(&who, over, evidence, self.clock.unix()).await;
        self.changed();
        if let Err(e) = result {
            tracing::error!(error = %chain(&e), org_id = who.org_id, "incident bookkeeping of dropped requests failed");
        }
    }

    async fn try_observe_drops(&self, who: &Subject<'_>, over: bool, evidence: &str, now: i64) -> Result<(), Unavailable> {
        let kind = IncidentKind::DroppedEvents;
        let open = self.store.open(Some(who.org_id)).await?.into_iter().find(|i| i.kind == kind);
        match (open, over) {
            (None, true) => {
                let incident = self.new_incident(who, kind, now, now, evidence);
                if self.store.create(&incident).await? {
                    tracing::warn!(org_id = who.org_id, kind = kind.code(), "incident opened");
                    self.alerts.notify(&incident, AlertEvent::Opened).await;
                    self.announce(&incident, EventKind::of_opening(kind)).await;
                }
            }
            (Some(_), true) => self.store.seen(who.org_id, kind, now, evidence).await?,
            (Some(incident), false) => self.resolve(incident, now).await?,
            (None, false) => {}
        }
        Ok(())
    }

    fn new_incident(&self, who: &Subject<'_>, kind: IncidentKind, first_seen: i64, now: i64, evidence: &str) -> Incident {
        Incident {
            id: self.ids.unique(),
            org_id: who.org_id.to_owned(),
            slug: who.slug.map(str::to_owned),
            name: who.name.map(str::to_owned),
            kind,
            first_seen,
            last_seen: now,
            resolved_at: None,
            evidence: evidence.to_owned(),
            acknowledged_by: None,
            note: None,
            snoozed_until: None,
            snoozed_until_resolved: false,
        }
    }

    /// Resolves one incident, announced unless it was snoozed until resolved (then nobody wanted
    /// news of it); only the instance whose write succeeds announces it.
    async fn resolve(&self, incident: Incident, now: i64) -> Result<(), Unavailable> {
        if self.store.resolve(&incident, now).await? {
            tracing::info!(org_id = incident.org_id, kind = incident.kind.code(), "incident resolved");
            let resolved = Incident { resolved_at: Some(now), ..incident };
            if !resolved.snoozed_until_resolved {
                self.alerts.notify(&resolved, AlertEvent::Resolved).await;
            }
            // Other systems are told either way: a snooze quiets people, not automation.
            self.announce(&resolved, EventKind::of_resolution(resolved.kind)).await;
        }
        Ok(())
    }

    /// The lifecycle events of an incident's opening or resolution.
    async fn announce(&self, incident: &Incident, kinds: Vec<EventKind>) {
        for kind in kinds {
            self.audit.publish(|id, at| LifecycleEvent::of_incident(kind, incident, id, at)).await;
        }
    }

    /// The sweep's part: reminders for open, unquiet incidents, then due retries. (reminders, retries)
    pub async fn remind_and_retry(&self) -> Result<(usize, usize), Unavailable> {
        let now = self.clock.unix();
        let (open, deliveries) = futures::join!(self.store.open(None), self.store.deliveries());
        let (open, deliveries) = (open?, deliveries?);
        let mut reminded = 0;
        for incident in &open {
            let already = deliveries.iter().any(|d| d.incident_id == incident.id && d.event == AlertEvent::Reminder.code());
            if reminder_due(incident.first_seen, already, incident.quiet(now), now, self.rules.remind_after) {
                self.alerts.notify(incident, AlertEvent::Reminder).await;
                reminded += 1;
            }
        }
        let retried = self.alerts.retry_due(&deliveries, now).await;
        self.changed();
        Ok((reminded, retried))
    }

    /// *Acknowledge* with a note: quiet from now on; audited. `false`: it is not open.
    pub async fn acknowledge(&self, actor: &Actor, org_id: &str, kind: IncidentKind, note: &str) -> Audited<Result<bool, Unavailable>> {
        let done = self.store.acknowledge(org_id, kind, &actor.email, note).await;
        self.quieted(actor, Action::IncidentAcknowledge, org_id, done, format!("{} acknowledged: {note}", kind.label()), kind).await
    }

    /// *Snooze* for a while, or until resolved; audited. `false`: it is not open.
    pub async fn snooze(&self, actor: &Actor, org_id: &str, kind: IncidentKind, span: Snooze) -> Audited<Result<bool, Unavailable>> {
        let until = span.seconds().map(|s| self.clock.unix() + s);
        let done = self.store.snooze(org_id, kind, until).await;
        let how = match span.seconds() {
            Some(s) => format!("for {}", lasted(s)),
            None => "until resolved".to_owned(),
        };
        self.quieted(actor, Action::IncidentSnooze, org_id, done, format!("{} snoozed {how}", kind.label()), kind).await
    }

    /// After *Acknowledge* or *Snooze*: the pages read afresh, and the event recorded (`did` when
    /// it was done; refused when the incident is not open).
    async fn quieted(
        &self,
        actor: &Actor,
        action: Action,
        org_id: &str,
        done: Result<bool, Unavailable>,
        did: String,
        kind: IncidentKind,
    ) -> Audited<Result<bool, Unavailable>> {
        self.changed();
        let (outcome, detail) = match &done {
            Ok(true) => (Outcome::Success, did),
            Ok(false) => (Outcome::Refused, format!("{} is not open", kind.label())),
            Err(e) => (Outcome::Failure, chain(e)),
        };
        let recorded = self.audit.record(actor.event(action, org_id, outcome, detail)).await;
        Audited::new(done, recorded)
    }

    /// Tells the alert channels (and so the link's maker) that an install link was used.
    pub async fn announce_link_used(&self, link: &crate::records::install_links::InstallLink, done: &crate::services::install::Completed) {
        let how = if done.reconnected { "reconnected" } else { "connected" };
        let text = format!(
            "A Linear workspace admin {how} {} ({}) through the install link …{} that {} made. The audit log has the details.",
            done.name, done.slug, link.tail, link.created_by_email
        );
        self.alerts.announce_link_used(done.org_id.as_str(), &done.slug, text.clone()).await;
        let (org, slug) = (done.org_id.to_string(), done.slug.clone());
        self.audit
            .publish(|id, at| LifecycleEvent {
                id,
                kind: EventKind::InstallLinkUsed,
                at,
                org_id: Some(org),
                slug: Some(slug),
                actor_sub: None,
                actor_email: None,
                outcome: Outcome::Success,
                request_id: None,
                summary: Some(text),
                incident: None,
            })
            .await;
    }

    /// *Send test alert* to channel `index`; audited.
    pub async fn test_alert(&self, actor: &Actor, index: usize) -> Audited<TestAlert> {
        let (result, outcome, detail) = match self.alerts.test(index).await {
            None => (TestAlert::NoChannel, Outcome::Refused, format!("no channel {index}")),
            Some(Ok(())) => (TestAlert::Sent, Outcome::Success, format!("test alert to channel {index}")),
            Some(Err(why)) => {
                let detail = format!("test alert to channel {index}: {why}");
                (TestAlert::Failed(why), Outcome::Failure, detail)
            }
        };
        let recorded = self.audit.record(actor.event(Action::AlertTest, None, outcome, detail)).await;
        Audited::new(result, recorded)
    }

    /// The incidents `/incidents` shows: open first (newest first), then those resolved in the
    /// last 30 days, filtered.
    pub async fn list(&self, filter: &IncidentFilter, freshness: Freshness) -> Result<Vec<Listed>, Unavailable> {
        self.list_since(filter, LIST_DAYS * 86_400, freshness).await
    }

    /// As [`Watch::list`], with resolved incidents of the last `window` seconds.
    pub async fn list_since(&self, filter: &IncidentFilter, window: i64, freshness: Freshness) -> Result<Vec<Listed>, Unavailable> {
        let reads = self.reads(freshness).await?;
        let now = self.clock.unix();
        let mut open = reads.open.clone();
        let mut resolved: Vec<Incident> =
            reads.resolved.iter().filter(|i| i.resolved_at.is_some_and(|t| t >= now - window)).cloned().collect();
        open.sort_by_key(|i| std::cmp::Reverse(i.first_seen));
        resolved.sort_by_key(|i| std::cmp::Reverse(i.resolved_at));
        let listed = open.into_iter().chain(resolved).map(|i| Listed {
            state: state_of(&i),
            deliveries: reads.deliveries.iter().filter(|d| d.incident_id == i.id).cloned().collect(),
            incident: i,
        });
        let workspace = filter.workspace.as_deref();
        Ok(listed
            .filter(|l| workspace.is_none_or(|w| l.incident.org_id == w || l.incident.slug.as_deref() == Some(w)))
            .filter(|l| filter.kind.is_none_or(|k| l.incident.kind == k))
            .filter(|l| filter.state.is_none_or(|s| l.state == s))
            .collect())
    }

    /// Every open incident of `kind`, read now (the sweep's: never the pages' shared read, which
    /// it would otherwise fill with what was open before its own checks).
    pub async fn open_of_kind(&self, kind: IncidentKind) -> Result<Vec<Incident>, Unavailable> {
        Ok(self.store.open(None).await?.into_iter().filter(|i| i.kind == kind).collect())
    }

    /// Every open incident (the registry page's badges): one read.
    pub async fn open(&self, freshness: Freshness) -> Result<Vec<Incident>, Unavailable> {
        Ok(self.reads(freshness).await?.open.clone())
    }

    /// The worst health of each day from `from` (Unix seconds) on, for every workspace (one read).
    pub async fn days_since(&self, from: i64, freshness: Freshness) -> Result<Vec<DayHealth>, Unavailable> {
        let reads = self.reads(freshness).await?;
        let from = day(from);
        Ok(reads.days.iter().filter(|d| d.day >= from).cloned().collect())
    }
}

fn state_of(i: &Incident) -> IncidentState {
    if i.resolved_at.is_some() {
        IncidentState::Resolved
    } else if i.acknowledged_by.is_some() {
        IncidentState::Acknowledged
    } else {
        IncidentState::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fail, Fakes};
    use std::time::Duration;

    fn seen(health: Health) -> Observation {
        Observation { health, expired: false, refresh_failed: false, revoked_by_admin: false }
    }

    const WHO: Subject<'static> = Subject { org_id: "org-1", slug: Some("acme"), name: Some("Acme") };

    fn actor() -> Actor {
        Actor { sub: "sub-1".into(), email: "op@example.com".into(), request_id: None }
    }

    #[tokio::test]
    async fn a_dead_grant_opens_one_incident_announced_once_and_recovery_resolves_it() {
        let f = Fakes::new();
        let watch = f.watch(1);
        watch.observe(WHO, seen(Health::NeedsReconnect), "check", "check: Linear answered unauthenticated").await;
        watch.observe(WHO, seen(Health::NeedsReconnect), "check", "again").await;
        let open = f.incidents.open_now();
        assert_eq!(open.len(), 1);
        assert_eq!((open[0].kind, open[0].evidence.as_str()), (IncidentKind::NeedsReconnect, "again"));
        assert_eq!(f.sender.sent().len(), 1, "opened once");
        f.clock.advance(Duration::from_secs(600));
        watch.observe(WHO, seen(Health::Healthy), "check", "check: ok").await;
        assert!(f.incidents.open_now().is_empty());
        let sent = f.sender.sent();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[1].1.event, AlertEvent::Resolved);
        assert!(sent[1].1.text.contains("after 10 min"), "{}", sent[1].1.text);
        let listed = watch.list(&IncidentFilter::default(), Freshness::SinceChange).await.unwrap();
        assert_eq!(listed[0].state, IncidentState::Resolved);
        assert_eq!(listed[0].deliveries.len(), 2);
    }

    #[tokio::test]
    async fn a_degradation_opens_only_after_it_lasted_and_counts_from_its_start() {
        let f = Fakes::new();
        let watch = f.watch(1);
        let start = f.clock.unix();
        watch.observe(WHO, seen(Health::Degraded), "check", "5xx").await;
        f.clock.advance(Duration::from_secs(29 * 60));
        watch.observe(WHO, seen(Health::Degraded), "check", "5xx").await;
        assert!(f.incidents.open_now().is_empty(), "not yet: 29 minutes");
        f.clock.advance(Duration::from_secs(60));
        watch.observe(WHO, seen(Health::Degraded), "check", "5xx").await;
        let open = f.incidents.open_now();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].first_seen, start, "first seen when the degradation began");
    }

    #[tokio::test]
    async fn reminders_come_once_and_never_for_acknowledged_or_snoozed_incidents() {
        let f = Fakes::new();
        let watch = f.watch(1);
        watch.observe(WHO, seen(Health::NeedsReconnect), "check", "dead").await;
        let other = Subject { org_id: "org-2", slug: Some("globex"), name: None };
        watch.observe(other, seen(Health::NeedsReconnect), "check", "dead").await;
        let third = Subject { org_id: "org-3", slug: Some("initech"), name: None };
        watch.observe(third, seen(Health::Revoked), "sweep", "registry: status revoked").await;
        let acked = watch.acknowledge(&actor(), "org-2", IncidentKind::NeedsReconnect, "on it").await;
        assert!(acked.value.unwrap() && acked.recorded.is_recorded());
        let snoozed = watch.snooze(&actor(), "org-3", IncidentKind::Revoked, Snooze::Day).await;
        assert!(snoozed.value.unwrap());
        assert_eq!(watch.remind_and_retry().await.unwrap(), (0, 0), "too early");
        f.clock.advance(Duration::from_secs(2 * 3600));
        assert_eq!(watch.remind_and_retry().await.unwrap(), (1, 0), "only the one nobody acknowledged or snoozed");
        assert_eq!(watch.remind_and_retry().await.unwrap(), (0, 0), "once");
        let reminders: Vec<_> = f.sender.sent().into_iter().filter(|(_, m)| m.event == AlertEvent::Reminder).collect();
        assert_eq!(reminders.len(), 1);
        assert_eq!(reminders[0].1.org_id, "org-1");
        f.clock.advance(Duration::from_secs(86_400));
        assert_eq!(watch.remind_and_retry().await.unwrap(), (1, 0), "the snooze ran out");
    }

    #[tokio::test]
    async fn snoozed_until_resolved_stays_quiet_even_when_it_resolves() {
        let f = Fakes::new();
        let watch = f.watch(1);
        watch.observe(WHO, seen(Health::NeedsReconnect), "check", "dead").await;
        let done = watch.snooze(&actor(), "org-1", IncidentKind::NeedsReconnect, Snooze::UntilResolved).await;
        assert!(done.value.unwrap());
        f.clock.advance(Duration::from_secs(3 * 3600));
        assert_eq!(watch.remind_and_retry().await.unwrap().0, 0);
        watch.observe(WHO, seen(Health::Healthy), "check", "ok").await;
        assert!(f.incidents.open_now().is_empty());
        assert_eq!(f.sender.sent().len(), 1, "the opening only");
    }

    #[tokio::test]
    async fn dropped_requests_open_one_incident_a_healthy_check_leaves_it_and_a_quiet_hour_resolves_it() {
        let f = Fakes::new();
        let watch = f.watch(1);
        watch.observe_drops(WHO, true, "12 requests dropped in the last hour").await;
        watch.observe_drops(WHO, true, "15 requests dropped in the last hour").await;
        let open = f.incidents.open_now();
        assert_eq!(open.len(), 1, "one incident");
        assert_eq!((open[0].kind, open[0].evidence.as_str()), (IncidentKind::DroppedEvents, "15 requests dropped in the last hour"));
        let sent = f.sender.sent();
        assert_eq!(sent.len(), 1, "announced once");
        assert!(sent[0].1.title.contains("Dropping requests") && sent[0].1.text.contains("link"), "{:?}", sent[0].1);
        watch.observe(WHO, seen(Health::Healthy), "check", "check: ok").await;
        assert_eq!(f.incidents.open_now().len(), 1, "a healthy token does not end it");
        watch.observe(WHO, seen(Health::NeedsReconnect), "check", "dead").await;
        watch.observe(WHO, seen(Health::Healthy), "check", "ok").await;
        assert_eq!(f.incidents.open_now().iter().map(|i| i.kind).collect::<Vec<_>>(), vec![IncidentKind::DroppedEvents]);
        watch.observe_drops(WHO, false, "2 requests dropped in the last hour").await;
        assert!(f.incidents.open_now().is_empty());
        assert_eq!(f.sender.sent().last().map(|(_, m)| m.event), Some(AlertEvent::Resolved));
    }

    #[tokio::test]
    async fn acknowledging_what_is_not_open_is_refused_and_audited() {
        let f = Fakes::new();
        let watch = f.watch(0);
        let done = watch.acknowledge(&actor(), "org-1", IncidentKind::Degraded, "x").await;
        assert!(!done.value.unwrap());
        let entries = f.audit.entries();
        assert_eq!((entries[0].action.as_str(), entries[0].outcome.as_str()), ("incident.acknowledge", "refused"));
    }

    #[tokio::test]
    async fn a_bookkeeping_failure_never_fails_the_observation_and_a_failed_store_fails_the_change() {
        let f = Fakes::new();
        let watch = f.watch(1);
        f.incidents.script.fail("record_health", Fail::Unavailable);
        watch.observe(WHO, seen(Health::NeedsReconnect), "check", "dead").await;
        assert!(f.incidents.open_now().is_empty(), "nothing opened this time");
        f.incidents.script.fail("acknowledge", Fail::Unavailable);
        assert!(watch.acknowledge(&actor(), "org-1", IncidentKind::NeedsReconnect, "x").await.value.is_err());
        assert_eq!(f.audit.entries()[0].outcome, "failure", "the failed attempt is in the log");
    }
}
