//! Incidents: after every check and refresh (by an admin or the sweep) the workspace's health is
//! observed here, kept in its history, and turned into incidents by `domain::incidents::decide`;
//! an opened or resolved incident is announced through the alerts. Acknowledging and snoozing
//! are audited. The sweep also sends the reminders and retries failed deliveries.
use std::sync::Arc;

use app::wire::{DeliveryView, Health, IncidentKind, IncidentQuery, IncidentState, IncidentView};

use crate::adapters::dynamodb::audit::AuditLog;
use crate::adapters::dynamodb::incidents::{day, Delivery, Incidents, IncidentsError};
use crate::adapters::read_cache::ReadCache;
use crate::domain::audit::{Actor, Outcome};
use crate::domain::incidents::{decide, reminder_due, AlertEvent, Incident, Observation, Step};
use crate::domain::iso_millis;
use crate::services::alerts::Alerts;

/// How incidents are judged (from the configuration).
#[derive(Debug, Clone, Copy)]
pub struct IncidentRules {
    /// Seconds a degradation must last before it is an incident.
    pub degraded_after: i64,
    /// Seconds after which an open, unacknowledged incident is announced again (once).
    pub remind_after: i64,
}

/// The workspace an observation is about.
pub struct Subject<'a> {
    pub org_id: &'a str,
    pub slug: Option<&'a str>,
    pub name: Option<&'a str>,
}

#[derive(Clone)]
pub struct Watch {
    store: Incidents,
    alerts: Arc<Alerts>,
    audit: AuditLog,
    rules: IncidentRules,
    reads: ReadCache<(), Arc<Reads>>,
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
    days: Vec<(String, String, Health)>,
}

/// How far back the pages look.
const KEEP_DAYS: i64 = 90;

fn at(unix: i64) -> String {
    iso_millis(time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH))
}

impl Watch {
    pub fn new(store: Incidents, alerts: Arc<Alerts>, audit: AuditLog, rules: IncidentRules) -> Watch {
        Watch { store, alerts, audit, rules, reads: ReadCache::new(std::time::Duration::ZERO) }
    }

    /// Reuses the pages' reads for `ttl` (zero: read every time).
    pub fn with_read_cache(mut self, ttl: std::time::Duration) -> Watch {
        self.reads = ReadCache::new(ttl);
        self
    }

    /// Drops the pages' reads (after any change this instance makes).
    fn changed(&self) {
        self.reads.invalidate();
    }

    async fn reads(&self, now: i64) -> Result<Arc<Reads>, IncidentsError> {
        let read = || async {
            let since = now - KEEP_DAYS * 86_400;
            let first_day = day(since + 86_400);
            let (open, resolved, deliveries, days) = tokio::join!(
                self.store.open(None),
                self.store.resolved_since(since, now),
                self.store.deliveries(),
                self.store.days_since(&first_day),
            );
            Ok(Arc::new(Reads { open: open?, resolved: resolved?, deliveries: deliveries?, days: days? }))
        };
        self.reads.get_or_read((), read).await
    }

    pub fn alerts(&self) -> &Alerts {
        &self.alerts
    }

    pub fn rules(&self) -> IncidentRules {
        self.rules
    }

    /// Records what a check or refresh found and opens, moves or resolves incidents. A failure
    /// here is logged: it never fails the check that observed it.
    pub async fn observe(&self, who: Subject<'_>, o: Observation, event: &str, evidence: &str, now: i64) {
        let result = self.try_observe(&who, o, event, evidence, now).await;
        // Every observation adds to the history the pages show.
        self.changed();
        if let Err(e) = result {
            tracing::error!(error = %e, org_id = who.org_id, "incident bookkeeping failed");
        }
    }

    async fn try_observe(&self, who: &Subject<'_>, o: Observation, event: &str, evidence: &str, now: i64) -> Result<(), IncidentsError> {
        let (open, since, recorded) = tokio::join!(
            self.store.open(Some(who.org_id)),
            self.store.degraded_since(who.org_id),
            self.store.record_health(who.org_id, now, event, o.health, evidence),
        );
        recorded?;
        let open = open?;
        let kinds: Vec<IncidentKind> = open.iter().map(|i| i.kind).collect();
        let degraded = o.health == Health::Degraded;
        let since = since?;
        if degraded != since.is_some() {
            self.store.set_degraded_since(who.org_id, degraded.then_some(now)).await?;
        }
        match decide(&o, &kinds, since, now, self.rules.degraded_after) {
            Step::Open(kind) => {
                let incident = Incident {
                    id: uuid::Uuid::new_v4().to_string(),
                    org_id: who.org_id.to_owned(),
                    slug: who.slug.map(str::to_owned),
                    name: who.name.map(str::to_owned),
                    kind,
                    first_seen: since.filter(|_| kind == IncidentKind::Degraded).unwrap_or(now),
                    last_seen: now,
                    resolved_at: None,
                    evidence: evidence.to_owned(),
                    acknowledged_by: None,
                    note: None,
                    snoozed_until: None,
                    snoozed_until_resolved: false,
                };
                // Only the instance whose conditional write succeeds announces it.
                if self.store.create(&incident).await? {
                    tracing::warn!(org_id = who.org_id, kind = kind.code(), "incident opened");
                    self.alerts.notify(&incident, AlertEvent::Opened, now).await;
                }
            }
            Step::Seen(kind) => self.store.seen(who.org_id, kind, now, evidence).await?,
            Step::ResolveAll => {
                for incident in open {
                    if self.store.resolve(&incident, now).await? {
                        tracing::info!(org_id = who.org_id, kind = incident.kind.code(), "incident resolved");
                        // Announced unless it was snoozed until resolved (then nobody wanted news of it).
                        if !incident.snoozed_until_resolved {
                            let resolved = Incident { resolved_at: Some(now), ..incident };
                            self.alerts.notify(&resolved, AlertEvent::Resolved, now).await;
                        }
                    }
                }
            }
            Step::Wait { .. } | Step::Nothing => {}
        }
        Ok(())
    }

    /// The sweep's part: reminders for open, quiet-less incidents, then due retries.
    pub async fn remind_and_retry(&self, now: i64) -> Result<(usize, usize), IncidentsError> {
        let (open, deliveries) = tokio::join!(self.store.open(None), self.store.deliveries());
        let (open, deliveries) = (open?, deliveries?);
        let mut reminded = 0;
        for incident in &open {
            let already = deliveries.iter().any(|d| d.incident_id == incident.id && d.event == AlertEvent::Reminder.code());
            if reminder_due(incident.first_seen, already, incident.quiet(now), now, self.rules.remind_after) {
                self.alerts.notify(incident, AlertEvent::Reminder, now).await;
                reminded += 1;
            }
        }
        let retried = self.alerts.retry_due(&deliveries, now).await;
        self.changed();
        Ok((reminded, retried))
    }

    /// *Acknowledge* with a note: quiet from now on; audited.
    pub async fn acknowledge(&self, actor: &Actor, org_id: &str, kind: IncidentKind, note: &str) -> Result<bool, IncidentsError> {
        let done = self.store.acknowledge(org_id, kind, &actor.email, note).await?;
        self.changed();
        let (outcome, detail) = if done {
            (Outcome::Success, format!("{} acknowledged: {note}", kind.label()))
        } else {
            (Outcome::Refused, format!("{} is not open", kind.label()))
        };
        let _ = self.audit.record(actor.event("incident.acknowledge", org_id, outcome, detail)).await;
        Ok(done)
    }

    /// *Snooze* for `seconds`, or until resolved (`None`); audited.
    pub async fn snooze(
        &self,
        actor: &Actor,
        org_id: &str,
        kind: IncidentKind,
        seconds: Option<i64>,
        now: i64,
    ) -> Result<bool, IncidentsError> {
        let done = self.store.snooze(org_id, kind, seconds.map(|s| now + s)).await?;
        self.changed();
        let how = match seconds {
            Some(s) => format!("for {}", crate::domain::incidents::lasted(s)),
            None => "until resolved".to_owned(),
        };
        let (outcome, detail) = if done {
            (Outcome::Success, format!("{} snoozed {how}", kind.label()))
        } else {
            (Outcome::Refused, format!("{} is not open", kind.label()))
        };
        let _ = self.audit.record(actor.event("incident.snooze", org_id, outcome, detail)).await;
        Ok(done)
    }

    /// The incidents `/incidents` shows: open first (newest first), then those resolved in the
    /// last 30 days, filtered as the URL says. Three reads: open, resolved, deliveries.
    pub async fn list(&self, q: &IncidentQuery, now: i64) -> Result<Vec<IncidentView>, IncidentsError> {
        self.list_since(q, now, 30 * 24 * 3600).await
    }

    /// As [`Watch::list`], with resolved incidents of the last `window` seconds.
    pub async fn list_since(&self, q: &IncidentQuery, now: i64, window: i64) -> Result<Vec<IncidentView>, IncidentsError> {
        let reads = self.reads(now).await?;
        let mut open = reads.open.clone();
        let mut resolved: Vec<Incident> =
            reads.resolved.iter().filter(|i| i.resolved_at.is_some_and(|t| t >= now - window)).cloned().collect();
        let deliveries = &reads.deliveries;
        open.sort_by_key(|i| std::cmp::Reverse(i.first_seen));
        resolved.sort_by_key(|i| std::cmp::Reverse(i.resolved_at));
        let views = open.iter().chain(resolved.iter()).map(|i| view(i, deliveries, now));
        Ok(views
            .filter(|v| q.workspace.is_empty() || v.org_id == q.workspace || v.slug.as_deref() == Some(q.workspace.as_str()))
            .filter(|v| q.kind.is_empty() || v.kind.code() == q.kind)
            .filter(|v| q.state.is_empty() || v.state.code() == q.state)
            .collect())
    }

    /// Every open incident (the registry page's badges): one read.
    pub async fn open(&self) -> Result<Vec<Incident>, IncidentsError> {
        Ok(self.reads(time::OffsetDateTime::now_utc().unix_timestamp()).await?.open.clone())
    }

    /// The worst health of each day from `from` on, for every workspace (one read).
    pub async fn days_since(&self, from: i64) -> Result<Vec<(String, String, Health)>, IncidentsError> {
        let reads = self.reads(time::OffsetDateTime::now_utc().unix_timestamp()).await?;
        let from = day(from);
        Ok(reads.days.iter().filter(|(d, _, _)| *d >= from).cloned().collect())
    }
}

/// An incident as the pages show it, with its deliveries.
pub fn view(i: &Incident, deliveries: &[Delivery], now: i64) -> IncidentView {
    let state = if i.resolved_at.is_some() {
        IncidentState::Resolved
    } else if i.acknowledged_by.is_some() {
        IncidentState::Acknowledged
    } else {
        IncidentState::Open
    };
    IncidentView {
        id: i.id.clone(),
        org_id: i.org_id.clone(),
        slug: i.slug.clone(),
        name: i.name.clone(),
        kind: i.kind,
        state,
        first_seen: at(i.first_seen),
        last_seen: at(i.last_seen),
        resolved_at: i.resolved_at.map(at),
        evidence: i.evidence.clone(),
        acknowledged_by: i.acknowledged_by.clone(),
        note: i.note.clone(),
        snoozed_until: i.snoozed_until.filter(|t| *t > now).map(at),
        snoozed_until_resolved: i.snoozed_until_resolved,
        deliveries: deliveries
            .iter()
            .filter(|d| d.incident_id == i.id)
            .map(|d| DeliveryView {
                event: d.event.clone(),
                channel: d.channel_label.clone(),
                delivered: d.delivered,
                attempts: d.attempts,
                error: d.error.clone(),
                at: at(d.at),
            })
            .collect(),
    }
}
