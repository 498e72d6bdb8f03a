//! The incidents page's and the settings page's port: the list, *Acknowledge*, *Snooze* and
//! *Send test alert*, each answered with where the browser goes next.
use async_trait::async_trait;

use app::ports::{Actor as Author, IncidentsPort, PortError, PortResult};
use app::wire::{ChannelView, IncidentKind, IncidentQuery, IncidentView, SettingsView};

use crate::domain::audit::{Actor, Outcome};
use crate::services::incidents::Watch;

pub struct IncidentActions {
    pub watch: Watch,
    pub sweep_interval: Option<std::time::Duration>,
    pub webhook_signed: bool,
    pub audit: crate::adapters::dynamodb::audit::AuditLog,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn unavailable(e: impl std::fmt::Display) -> PortError {
    PortError { service: "DynamoDB", cause: e.to_string() }
}

#[async_trait]
impl IncidentsPort for IncidentActions {
    async fn list(&self, query: &IncidentQuery) -> PortResult<Vec<IncidentView>> {
        self.watch.list(query, now()).await.map_err(unavailable)
    }

    async fn acknowledge(&self, author: &Author, org_id: &str, kind: IncidentKind, note: &str) -> String {
        match self.watch.acknowledge(&Actor::from(author), org_id, kind, note).await {
            Ok(true) => "/incidents?notice=acknowledged".to_owned(),
            Ok(false) => "/incidents?error=not_open".to_owned(),
            Err(e) => {
                tracing::error!(error = %e, "acknowledge failed");
                "/incidents?error=unavailable".to_owned()
            }
        }
    }

    async fn snooze(&self, author: &Author, org_id: &str, kind: IncidentKind, seconds: Option<i64>) -> String {
        match self.watch.snooze(&Actor::from(author), org_id, kind, seconds, now()).await {
            Ok(true) => "/incidents?notice=snoozed".to_owned(),
            Ok(false) => "/incidents?error=not_open".to_owned(),
            Err(e) => {
                tracing::error!(error = %e, "snooze failed");
                "/incidents?error=unavailable".to_owned()
            }
        }
    }

    fn settings(&self) -> SettingsView {
        let rules = self.watch.rules();
        SettingsView {
            channels: self
                .watch
                .alerts()
                .channels()
                .iter()
                .enumerate()
                .map(|(index, c)| ChannelView { index, kind: c.kind().to_owned(), target: c.label() })
                .collect(),
            degraded_after_minutes: (rules.degraded_after / 60) as u64,
            reminder_after_minutes: (rules.remind_after / 60) as u64,
            sweep_interval_seconds: self.sweep_interval.map(|d| d.as_secs()),
            webhook_signed: self.webhook_signed,
        }
    }

    async fn test_alert(&self, author: &Author, index: usize) -> String {
        let actor = Actor::from(author);
        let (to, outcome, detail) = match self.watch.alerts().test(index, now()).await {
            None => ("/settings?error=no_channel".to_owned(), Outcome::Refused, format!("no channel {index}")),
            Some(Ok(())) => {
                (format!("/settings?notice=test_sent&channel={index}"), Outcome::Success, format!("test alert to channel {index}"))
            }
            Some(Err(why)) => {
                (format!("/settings?error=test_failed&channel={index}"), Outcome::Failure, format!("test alert to channel {index}: {why}"))
            }
        };
        let _ = self.audit.record(actor.event("alert.test", None, outcome, detail)).await;
        to
    }
}
