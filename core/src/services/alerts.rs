//! Telling someone: each incident event (opened, resolved, a reminder) goes once to every
//! configured channel. Once across console instances: the delivery is claimed with a conditional
//! write before it is sent. A failed send is retried at once (a few times, backing off), then by
//! the sweep later, and every outcome is recorded where the incident's page shows it.
use std::sync::Arc;
use std::time::Duration;

use crate::error::chain;
use crate::incidents::{retry_after, AlertEvent, AlertMessage, Incident, IncidentKind};
use crate::ports::{AlertSender, Channel, Delivery, IncidentStore, SendError};
use crate::time::Clock;

/// Attempts made at once before a failure is left to the sweep's retries (a check that opened an
/// incident waits for them; each attempt is bounded by the alert client's timeout).
const AT_ONCE: u32 = 3;
/// Attempts in all, after which a delivery stays failed.
pub const MAX_ATTEMPTS: u32 = 8;
/// The pause before the second attempt made at once; it doubles for the third.
const PAUSE: Duration = Duration::from_millis(500);

pub struct Alerts {
    channels: Vec<Channel>,
    sender: Arc<dyn AlertSender>,
    store: Arc<dyn IncidentStore>,
    clock: Arc<dyn Clock>,
    console_url: String,
}

impl Alerts {
    pub fn new(
        channels: Vec<Channel>,
        sender: Arc<dyn AlertSender>,
        store: Arc<dyn IncidentStore>,
        clock: Arc<dyn Clock>,
        console_url: String,
    ) -> Alerts {
        Alerts { channels, sender, store, clock, console_url }
    }

    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// Sends `event` of `incident` to every channel that has not had it yet.
    pub async fn notify(&self, incident: &Incident, event: AlertEvent) {
        let now = self.clock.unix();
        let msg = AlertMessage::of(incident, event, &self.console_url, now);
        let sends = self.channels.iter().enumerate().map(|(i, ch)| self.deliver_once(i, ch, &msg, now));
        futures::future::join_all(sends).await;
    }

    async fn deliver_once(&self, index: usize, channel: &Channel, msg: &AlertMessage, now: i64) {
        let mut d = Delivery {
            incident_id: msg.incident_id.clone(),
            event: msg.event.code().to_owned(),
            channel: index,
            channel_label: channel.label(),
            delivered: false,
            attempts: 0,
            error: None,
            at: now,
            next_at: None,
            message: serde_json::to_string(msg).unwrap_or_default(),
        };
        match self.store.claim(&d).await {
            Ok(true) => {}
            Ok(false) => return, // another instance has it
            Err(e) => {
                // Without a claim the send could be doubled; the sweep's retry finds nothing to do
                // either, so say so loudly.
                tracing::error!(error = %chain(&e), channel = %d.channel_label, event = msg.event.code(), "alert not sent: its delivery could not be claimed");
                return;
            }
        }
        self.attempt(channel, msg, &mut d, AT_ONCE).await;
    }

    /// Up to `tries` attempts, backing off; the outcome is recorded.
    async fn attempt(&self, channel: &Channel, msg: &AlertMessage, d: &mut Delivery, tries: u32) {
        for i in 0..tries {
            if i > 0 {
                self.clock.sleep(PAUSE * 2u32.pow(i - 1)).await;
            }
            d.attempts += 1;
            let now = self.clock.unix();
            d.at = now;
            match self.sender.send(channel, msg, now).await {
                Ok(()) => {
                    d.delivered = true;
                    d.error = None;
                    d.next_at = None;
                    break;
                }
                Err(SendError(why)) => {
                    tracing::warn!(channel = %d.channel_label, event = msg.event.code(), attempt = d.attempts, error = %why, "alert delivery failed");
                    d.error = Some(why);
                    d.next_at = (d.attempts < MAX_ATTEMPTS).then(|| now + retry_after(d.attempts));
                }
            }
        }
        if let Err(e) = self.store.delivered(d).await {
            tracing::error!(error = %chain(&e), "could not record an alert delivery");
        }
    }

    /// The sweep's retries: failed deliveries whose next attempt is due, one attempt each.
    pub async fn retry_due(&self, deliveries: &[Delivery], now: i64) -> usize {
        let due = deliveries.iter().filter(|d| !d.delivered && d.next_at.is_some_and(|t| t <= now));
        let mut retried = 0;
        for d in due {
            let (Some(channel), Ok(msg)) = (self.channels.get(d.channel), serde_json::from_str::<AlertMessage>(&d.message)) else {
                continue;
            };
            let mut d = d.clone();
            self.attempt(channel, &msg, &mut d, 1).await;
            retried += 1;
        }
        retried
    }

    /// Tells every channel that an install link was used (once each, not retried: a notice, not an
    /// incident). Failures are logged.
    pub async fn announce_link_used(&self, org_id: &str, slug: &str, text: String) {
        let now = self.clock.unix();
        let notice = Incident {
            id: format!("link-{org_id}-{now}"),
            org_id: org_id.to_owned(),
            slug: Some(slug.to_owned()),
            name: None,
            kind: IncidentKind::Degraded,
            first_seen: now,
            last_seen: now,
            resolved_at: None,
            evidence: text,
            acknowledged_by: None,
            note: None,
            snoozed_until: None,
            snoozed_until_resolved: false,
        };
        let msg = AlertMessage::of(&notice, AlertEvent::LinkUsed, &self.console_url, now);
        for channel in &self.channels {
            if let Err(e) = self.sender.send(channel, &msg, now).await {
                tracing::warn!(channel = %channel.label(), error = %e, "an install link's notice was not delivered");
            }
        }
    }

    /// *Send test alert* to one channel (not claimed: a test may be sent again). `None`: no such
    /// channel.
    pub async fn test(&self, index: usize) -> Option<Result<(), SendError>> {
        let channel = self.channels.get(index)?;
        let now = self.clock.unix();
        let probe = Incident {
            id: format!("test-{now}"),
            org_id: "test".to_owned(),
            slug: Some("test".to_owned()),
            name: Some("Test".to_owned()),
            kind: IncidentKind::Degraded,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{incident, Fail, Fakes};

    #[tokio::test]
    async fn an_event_is_claimed_once_across_two_senders() {
        let f = Fakes::new();
        let (one, two) = (f.alerts(2), f.alerts(2));
        let i = incident("org-1", IncidentKind::NeedsReconnect, 0);
        futures::join!(one.notify(&i, AlertEvent::Opened), two.notify(&i, AlertEvent::Opened));
        assert_eq!(f.sender.sent().len(), 2, "one message per channel, not per console");
        let deliveries = f.incidents.deliveries_now();
        assert_eq!(deliveries.len(), 2);
        assert!(deliveries.iter().all(|d| d.delivered && d.attempts == 1));
    }

    #[tokio::test]
    async fn a_failing_channel_is_tried_three_times_backing_off_then_left_to_the_sweep() {
        let f = Fakes::new();
        let alerts = f.alerts(1);
        f.sender.fail_times(4);
        alerts.notify(&incident("org-1", IncidentKind::Degraded, 0), AlertEvent::Opened).await;
        assert_eq!(f.clock.slept(), [Duration::from_millis(500), Duration::from_millis(1000)], "no wall-clock waits");
        let d = &f.incidents.deliveries_now()[0];
        assert_eq!((d.delivered, d.attempts), (false, 3));
        assert_eq!(d.next_at, Some(d.at + retry_after(3)));
        // The sweep's retry, once due: a fourth failure, then a fifth try delivers.
        let due = d.next_at.unwrap();
        assert_eq!(alerts.retry_due(&f.incidents.deliveries_now(), due - 1).await, 0, "not due yet");
        assert_eq!(alerts.retry_due(&f.incidents.deliveries_now(), due).await, 1);
        assert!(!f.incidents.deliveries_now()[0].delivered);
        f.clock.advance(Duration::from_secs(3600));
        assert_eq!(alerts.retry_due(&f.incidents.deliveries_now(), f.clock.unix()).await, 1);
        let d = &f.incidents.deliveries_now()[0];
        assert!(d.delivered && d.error.is_none() && d.next_at.is_none() && d.attempts == 5);
    }

    #[tokio::test]
    async fn a_claim_that_cannot_be_written_sends_nothing() {
        let f = Fakes::new();
        f.incidents.script.fail("claim", Fail::Unavailable);
        f.alerts(1).notify(&incident("org-1", IncidentKind::Revoked, 0), AlertEvent::Opened).await;
        assert!(f.sender.sent().is_empty());
    }

    #[tokio::test]
    async fn a_test_alert_goes_to_the_chosen_channel_unclaimed() {
        let f = Fakes::new();
        let alerts = f.alerts(2);
        assert!(alerts.test(5).await.is_none());
        assert_eq!(alerts.test(1).await, Some(Ok(())));
        assert_eq!(alerts.test(1).await, Some(Ok(())), "a test may be sent again");
        let sent = f.sender.sent();
        assert_eq!(sent.len(), 2);
        assert!(sent.iter().all(|(ch, m)| *ch == 1 && m.event == AlertEvent::Test));
        assert!(f.incidents.deliveries_now().is_empty());
    }
}
