//! The incidents table and the alert channels in memory.
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, Script};
use crate::error::{Service, Unavailable};
use crate::health::Health;
use crate::incidents::{AlertMessage, Incident, IncidentKind};
use crate::ports::{AlertSender, Channel, DayHealth, Delivery, IncidentStore, SendError, CLAIM_SECONDS};
use crate::time::day;

#[derive(Default)]
struct Table {
    open: BTreeMap<(String, &'static str), Incident>,
    resolved: Vec<Incident>,
    degraded_since: HashMap<String, i64>,
    history: Vec<(String, i64, String, Health, String)>,
    days: BTreeMap<(String, String), Health>,
    deliveries: BTreeMap<(String, String, usize), Delivery>,
}

pub struct FakeIncidents {
    pub script: Script,
    table: Mutex<Table>,
}

impl FakeIncidents {
    pub(super) fn new(script: Script) -> FakeIncidents {
        FakeIncidents { script, table: Mutex::default() }
    }

    pub fn open_now(&self) -> Vec<Incident> {
        lock(&self.table).open.values().cloned().collect()
    }

    pub fn deliveries_now(&self) -> Vec<Delivery> {
        lock(&self.table).deliveries.values().cloned().collect()
    }

    /// A workspace's health history: (time, event, health, detail).
    pub fn history(&self, org: &str) -> Vec<(i64, String, Health, String)> {
        lock(&self.table).history.iter().filter(|h| h.0 == org).map(|h| (h.1, h.2.clone(), h.3, h.4.clone())).collect()
    }

    fn enter(&self, op: &'static str) -> Result<(), Unavailable> {
        self.script.enter(op).map_err(|f| f.unavailable(Service::DynamoDb))
    }
}

#[async_trait]
impl IncidentStore for FakeIncidents {
    async fn open(&self, org: Option<&str>) -> Result<Vec<Incident>, Unavailable> {
        self.enter("open")?;
        Ok(lock(&self.table).open.values().filter(|i| org.is_none_or(|o| i.org_id == o)).cloned().collect())
    }

    async fn create(&self, incident: &Incident) -> Result<bool, Unavailable> {
        self.enter("create")?;
        let mut t = lock(&self.table);
        let key = (incident.org_id.clone(), incident.kind.code());
        if t.open.contains_key(&key) {
            return Ok(false);
        }
        t.open.insert(key, incident.clone());
        Ok(true)
    }

    async fn seen(&self, org: &str, kind: IncidentKind, now: i64, evidence: &str) -> Result<(), Unavailable> {
        self.enter("seen")?;
        if let Some(i) = lock(&self.table).open.get_mut(&(org.to_owned(), kind.code())) {
            i.last_seen = now;
            i.evidence = evidence.to_owned();
        }
        Ok(())
    }

    async fn resolve(&self, incident: &Incident, now: i64) -> Result<bool, Unavailable> {
        self.enter("resolve")?;
        let mut t = lock(&self.table);
        let key = (incident.org_id.clone(), incident.kind.code());
        match t.open.get(&key) {
            Some(i) if i.id == incident.id => {
                let mut done = t.open.remove(&key).unwrap_or_else(|| incident.clone());
                done.resolved_at = Some(now);
                done.last_seen = done.last_seen.max(now);
                t.resolved.push(done);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn resolved_since(&self, since: i64, _now: i64) -> Result<Vec<Incident>, Unavailable> {
        self.enter("resolved_since")?;
        Ok(lock(&self.table).resolved.iter().filter(|i| i.resolved_at.is_some_and(|t| t >= since)).cloned().collect())
    }

    async fn acknowledge(&self, org: &str, kind: IncidentKind, by: &str, note: &str) -> Result<bool, Unavailable> {
        self.enter("acknowledge")?;
        Ok(match lock(&self.table).open.get_mut(&(org.to_owned(), kind.code())) {
            Some(i) => {
                i.acknowledged_by = Some(by.to_owned());
                i.note = Some(note.to_owned());
                true
            }
            None => false,
        })
    }

    async fn snooze(&self, org: &str, kind: IncidentKind, until: Option<i64>) -> Result<bool, Unavailable> {
        self.enter("snooze")?;
        Ok(match lock(&self.table).open.get_mut(&(org.to_owned(), kind.code())) {
            Some(i) => {
                match until {
                    Some(t) => {
                        i.snoozed_until = Some(t);
                        i.snoozed_until_resolved = false;
                    }
                    None => i.snoozed_until_resolved = true,
                }
                true
            }
            None => false,
        })
    }

    async fn degraded_since(&self, org: &str) -> Result<Option<i64>, Unavailable> {
        self.enter("degraded_since")?;
        Ok(lock(&self.table).degraded_since.get(org).copied())
    }

    async fn set_degraded_since(&self, org: &str, since: Option<i64>) -> Result<(), Unavailable> {
        self.enter("set_degraded_since")?;
        let mut t = lock(&self.table);
        match since {
            Some(s) => {
                t.degraded_since.entry(org.to_owned()).or_insert(s);
            }
            None => {
                t.degraded_since.remove(org);
            }
        }
        Ok(())
    }

    async fn record_health(&self, org: &str, now: i64, event: &str, health: Health, detail: &str) -> Result<(), Unavailable> {
        self.enter("record_health")?;
        let mut t = lock(&self.table);
        t.history.push((org.to_owned(), now, event.to_owned(), health, detail.to_owned()));
        let worst = t.days.entry((day(now), org.to_owned())).or_insert(health);
        if health.severity() > worst.severity() {
            *worst = health;
        }
        Ok(())
    }

    async fn days_since(&self, from_day: &str) -> Result<Vec<DayHealth>, Unavailable> {
        self.enter("days_since")?;
        Ok(lock(&self.table)
            .days
            .iter()
            .filter(|((d, _), _)| d.as_str() >= from_day)
            .map(|((d, org), h)| DayHealth { day: d.clone(), org_id: org.clone(), health: *h })
            .collect())
    }

    async fn claim(&self, d: &Delivery) -> Result<bool, Unavailable> {
        self.enter("claim")?;
        let mut t = lock(&self.table);
        let key = (d.incident_id.clone(), d.event.clone(), d.channel);
        if t.deliveries.contains_key(&key) {
            return Ok(false);
        }
        t.deliveries.insert(key, Delivery { next_at: Some(d.at + CLAIM_SECONDS), ..d.clone() });
        Ok(true)
    }

    async fn delivered(&self, d: &Delivery) -> Result<(), Unavailable> {
        self.enter("delivered")?;
        lock(&self.table).deliveries.insert((d.incident_id.clone(), d.event.clone(), d.channel), d.clone());
        Ok(())
    }

    async fn deliveries(&self) -> Result<Vec<Delivery>, Unavailable> {
        self.enter("deliveries")?;
        Ok(self.deliveries_now())
    }
}

pub struct FakeSender {
    pub script: Script,
    sent: Mutex<Vec<(usize, AlertMessage)>>,
    failing: Mutex<usize>,
    events: Mutex<Vec<(String, String)>>,
}

impl FakeSender {
    pub(super) fn new(script: Script) -> FakeSender {
        FakeSender { script, sent: Mutex::default(), failing: Mutex::default(), events: Mutex::default() }
    }

    /// The next `n` sends fail.
    pub fn fail_times(&self, n: usize) {
        *lock(&self.failing) = n;
    }

    /// The lifecycle events posted: (the channel's label, the envelope's JSON).
    pub fn events(&self) -> Vec<(String, String)> {
        lock(&self.events).clone()
    }

    /// What was delivered: the channel's number (`…:alerts-<n>`) and the message.
    pub fn sent(&self) -> Vec<(usize, AlertMessage)> {
        lock(&self.sent).clone()
    }
}

#[async_trait]
impl AlertSender for FakeSender {
    async fn send(&self, channel: &Channel, message: &AlertMessage, _now: i64) -> Result<(), SendError> {
        self.script.enter("send").map_err(|_| SendError("scripted failure".into()))?;
        {
            let mut failing = lock(&self.failing);
            if *failing > 0 {
                *failing -= 1;
                return Err(SendError("HTTP 500".into()));
            }
        }
        let index = channel.label().rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(usize::MAX);
        lock(&self.sent).push((index, message.clone()));
        Ok(())
    }

    async fn post_event(&self, channel: &Channel, body: &str, _now: i64) -> Result<(), SendError> {
        self.script.enter("post_event").map_err(|_| SendError("scripted failure".into()))?;
        lock(&self.events).push((channel.label(), body.to_owned()));
        Ok(())
    }
}
