//! Telling someone: each incident event (opened, resolved, a reminder) goes once to every
//! configured channel. Once across console instances: the delivery is claimed with a conditional
//! write before it is sent. A failed send is retried at once (a few times, backing off), then by
//! the sweep later, and every outcome is recorded where the incident's page shows it.
use std::time::Duration;

use crate::adapters::alerting::{Channel, Sender};
use crate::adapters::dynamodb::incidents::{Delivery, Incidents};
use crate::domain::incidents::{retry_after, AlertEvent, AlertMessage, Incident};

/// Attempts made at once before a failure is left to the sweep's retries (a check that opened an
/// incident waits for them; each attempt is bounded by the alert client's 5 s timeout).
const AT_ONCE: u32 = 3;
/// Attempts in all, after which a delivery stays failed.
pub const MAX_ATTEMPTS: u32 = 8;

#[derive(Clone)]
pub struct Alerts {
    channels: Vec<Channel>,
    sender: Sender,
    store: Incidents,
    console_url: String,
    /// The pause between the attempts made at once (short in tests).
    pause: Duration,
}

impl Alerts {
    pub fn new(channels: Vec<Channel>, sender: Sender, store: Incidents, console_url: String) -> Alerts {
        Alerts { channels, sender, store, console_url, pause: Duration::from_millis(500) }
    }

    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// Sends `event` of `incident` to every channel that has not had it yet.
    pub async fn notify(&self, incident: &Incident, event: AlertEvent, now: i64) {
        let msg = AlertMessage::of(incident, event, &self.console_url, now);
        let sends = self.channels.iter().enumerate().map(|(i, ch)| self.deliver_once(i, ch, &msg, now));
        futures::future::join_all(sends).await;
    }

    async fn deliver_once(&self, index: usize, channel: &Channel, msg: &AlertMessage, now: i64) {
        let message = serde_json::to_string(msg).unwrap_or_default();
        let mut d = Delivery {
            incident_id: msg.incident_id.clone(),
            event: msg.event.to_owned(),
            channel: index,
            channel_label: channel.label(),
            delivered: false,
            attempts: 0,
            error: None,
            at: now,
            next_at: None,
            message,
        };
        match self.store.claim(&d).await {
            Ok(true) => {}
            Ok(false) => return, // another instance has it
            Err(e) => {
                // Without a claim the send could be doubled; the sweep's retry finds nothing to do
                // either, so say so loudly.
                tracing::error!(error = %e, channel = %d.channel_label, event = msg.event, "alert not sent: its delivery could not be claimed");
                return;
            }
        }
        self.attempt(channel, msg, &mut d, AT_ONCE).await;
    }

    /// Up to `tries` attempts, backing off; the outcome is recorded.
    async fn attempt(&self, channel: &Channel, msg: &AlertMessage, d: &mut Delivery, tries: u32) {
        for i in 0..tries {
            if i > 0 {
                tokio::time::sleep(self.pause * 2u32.pow(i - 1)).await;
            }
            d.attempts += 1;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            d.at = now;
            match self.sender.send(channel, msg, now).await {
                Ok(()) => {
                    d.delivered = true;
                    d.error = None;
                    d.next_at = None;
                    break;
                }
                Err(why) => {
                    tracing::warn!(channel = %d.channel_label, event = msg.event, attempt = d.attempts, error = %why, "alert delivery failed");
                    d.error = Some(why);
                    d.next_at = (d.attempts < MAX_ATTEMPTS).then(|| now + retry_after(d.attempts));
                }
            }
        }
        if let Err(e) = self.store.delivered(d).await {
            tracing::error!(error = %e, "could not record an alert delivery");
        }
    }

    /// The sweep's retries: failed deliveries whose next attempt is due, one attempt each.
    pub async fn retry_due(&self, deliveries: &[Delivery], now: i64) -> usize {
        let due: Vec<&Delivery> = deliveries.iter().filter(|d| !d.delivered && d.next_at.is_some_and(|t| t <= now)).collect();
        let mut retried = 0;
        for d in due {
            let (Some(channel), Ok(msg)) = (self.channels.get(d.channel), serde_json::from_str::<serde_json::Value>(&d.message)) else {
                continue;
            };
            let Some(msg) = stored_message(&msg) else { continue };
            let mut d = d.clone();
            self.attempt(channel, &msg, &mut d, 1).await;
            retried += 1;
        }
        retried
    }

    /// *Send test alert* to one channel (not claimed: a test may be sent again). How it went.
    pub async fn test(&self, index: usize, now: i64) -> Option<Result<(), String>> {
        let channel = self.channels.get(index)?;
        let probe = Incident {
            id: format!("test-{now}"),
            org_id: "test".to_owned(),
            slug: Some("test".to_owned()),
            name: Some("Test".to_owned()),
            kind: app::wire::IncidentKind::Degraded,
            first_seen: now,
            last_seen: now,
            resolved_at: None,
            evidence: "a test".to_owned(),
            acknowledged_by: None,
            note: None,
            snoozed_until: None,
            snoozed_until_resolved: false,
        };
        let msg = AlertMessage::of(&probe, AlertEvent::Test, &self.console_url, now);
        Some(self.sender.send(channel, &msg, now).await)
    }
}

/// A message kept with its delivery, read back for a retry.
fn stored_message(v: &serde_json::Value) -> Option<AlertMessage> {
    let event = match v.get("event")?.as_str()? {
        "opened" => "opened",
        "resolved" => "resolved",
        "reminder" => "reminder",
        _ => "test",
    };
    let kind = app::wire::IncidentKind::from_code(v.get("kind")?.as_str()?)?.code();
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    Some(AlertMessage {
        event,
        incident_id: s("incident_id")?,
        workspace: s("workspace")?,
        slug: s("slug"),
        org_id: s("org_id")?,
        kind,
        title: s("title")?,
        text: s("text")?,
        link: s("link")?,
    })
}
