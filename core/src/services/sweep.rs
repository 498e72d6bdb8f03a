//! The background health sweep: on one console instance at a time (a lease), *Check now* every
//! active, non-vault workspace with bounded concurrency; a token Linear said is out of requests is
//! left alone until its reset. It refreshes only inside a configured window before expiry (off by
//! default: the platform owns refresh). Each check goes through the incident bookkeeping; a row
//! revoked outside the console is observed too; then reminders of open incidents and due alert
//! retries are sent, and invites past their `ttl` deleted. The platform's log is read for workspaces
//! dropping requests (`services::drops`).
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use time::OffsetDateTime;

use crate::audit::Actor;
use crate::error::chain;
use crate::health::{CheckResult, RegistryState};
use crate::ids::OrgId;
use crate::incidents::Observation;
use crate::ports::{Leases, Mappings, RegistryStore};
use crate::services::incidents::Watch;
use crate::services::upkeep::{subject, RefreshOutcome, Upkeep};
use crate::time::{parse_iso, Clock};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepSettings {
    /// How often a sweep runs; `None`: never.
    pub interval: Option<Duration>,
    pub concurrency: usize,
    /// Refresh tokens expiring within this window; `None`: never (the default).
    pub refresh_within: Option<Duration>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub checked: usize,
    pub ok: usize,
    pub failed: usize,
    /// Left alone: Linear said the token has no requests left until its reset.
    pub rate_limited_skipped: usize,
    pub refreshed: usize,
    /// Invites past their `ttl` that DynamoDB had not removed yet, deleted.
    pub expired_invites_deleted: usize,
    /// Reminders sent for open, unacknowledged incidents.
    pub reminders: usize,
    /// Failed alert deliveries tried again.
    pub alert_retries: usize,
    /// Workspaces that dropped more requests in the last hour than the threshold.
    pub dropping: usize,
}

/// What the sweep calls.
pub struct SweepParts {
    pub registry: Arc<dyn RegistryStore>,
    pub upkeep: Arc<Upkeep>,
    pub mappings: Arc<dyn Mappings>,
    pub leases: Arc<dyn Leases>,
    pub watch: Arc<Watch>,
    /// The platform's dropped requests, judged after the checks.
    pub drops: Arc<crate::services::drops::Drops>,
    pub clock: Arc<dyn Clock>,
    pub instance: String,
    pub settings: SweepSettings,
}

pub struct Sweeper {
    p: SweepParts,
    /// Per workspace: Linear's rate-limit reset (epoch ms) when it said nothing remains.
    backoff: Mutex<HashMap<OrgId, i64>>,
}

const LEASE_ID: &str = "lease#health-sweep";

impl Sweeper {
    pub fn new(parts: SweepParts) -> Sweeper {
        Sweeper { p: parts, backoff: Mutex::new(HashMap::new()) }
    }

    pub fn interval(&self) -> Option<Duration> {
        self.p.settings.interval
    }

    /// One instance sweeps: a lease that runs out by itself.
    pub async fn take_lease(&self, seconds: i64) -> bool {
        match self.p.leases.take(LEASE_ID, &self.p.instance, self.p.clock.unix(), seconds).await {
            Ok(taken) => taken,
            Err(e) => {
                tracing::warn!(error = %chain(&e), "sweep lease unavailable");
                false
            }
        }
    }

    /// Checks every active, non-vault workspace once.
    pub async fn sweep_once(&self) -> SweepReport {
        let expired_invites_deleted = self.delete_expired_invites().await;
        let records = match self.p.registry.all().await {
            Ok(records) => records,
            Err(e) => {
                tracing::warn!(error = %chain(&e), "sweep: registry unavailable");
                return SweepReport { expired_invites_deleted, ..SweepReport::default() };
            }
        };
        let now_ms = self.p.clock.unix() * 1000;
        // A row revoked outside the console (the platform saw invalid_grant, or another tool) is
        // an incident nobody else reports.
        let at = self.p.clock.now();
        for r in records.iter().filter(|r| r.state() == RegistryState::Revoked) {
            let o = Observation::of(at, &r.facts(), r.revoked_by_admin());
            let evidence = format!("registry: status {}", r.status.as_ref().map(|s| s.as_str()).unwrap_or("?"));
            self.p.watch.observe(subject(r), o, "sweep", &evidence).await;
        }
        // The platform's log: a workspace dropping people's requests is an incident too.
        let dropping = self.p.drops.judge(&records).await;
        let targets: Vec<(OrgId, Option<OffsetDateTime>)> = records
            .into_iter()
            .filter(|r| r.is_active() && !r.vault_managed())
            .map(|r| (r.org_id, r.console.token_expires_at.as_deref().and_then(parse_iso)))
            .collect();
        let mut report = SweepReport { expired_invites_deleted, dropping, ..SweepReport::default() };
        let mut due = Vec::new();
        if let Ok(mut backoff) = self.backoff.lock() {
            backoff.retain(|_, reset| *reset > now_ms);
            for t in targets {
                if backoff.contains_key(&t.0) {
                    report.rate_limited_skipped += 1;
                } else {
                    due.push(t);
                }
            }
        }
        let results: Vec<_> = futures::stream::iter(due)
            .map(|(org, expires)| async move {
                let refreshed = match (self.p.settings.refresh_within, expires) {
                    (Some(window), Some(exp)) if exp - self.p.clock.now() < window => {
                        matches!(self.p.upkeep.refresh(&Actor::sweep(), &org).await.value, Ok(RefreshOutcome::Refreshed { .. }))
                    }
                    _ => false,
                };
                let checked = self.p.upkeep.check_with_limit(&org).await;
                (org, checked, refreshed)
            })
            .buffer_unordered(self.p.settings.concurrency.max(1))
            .collect()
            .await;
        if let Ok(mut backoff) = self.backoff.lock() {
            for (org, result, refreshed) in results {
                report.checked += 1;
                report.refreshed += usize::from(refreshed);
                match result {
                    Ok((CheckResult::Ok, _)) => report.ok += 1,
                    Ok((CheckResult::RateLimited, Some(reset))) => {
                        report.failed += 1;
                        backoff.insert(org, reset);
                    }
                    _ => report.failed += 1,
                }
            }
        }
        match self.p.watch.remind_and_retry().await {
            Ok((reminders, retries)) => (report.reminders, report.alert_retries) = (reminders, retries),
            Err(e) => tracing::warn!(error = %chain(&e), "sweep: reminders and alert retries skipped"),
        }
        report
    }

    /// Deletes invites past their `ttl` that DynamoDB has not removed yet: the platform would
    /// still redeem them. Each delete is conditioned on the row still being that expired invite.
    pub async fn delete_expired_invites(&self) -> usize {
        let now = self.p.clock.unix();
        let expired = match self.p.mappings.expired_invites(now).await {
            Ok(expired) => expired,
            Err(e) => {
                tracing::warn!(error = %chain(&e), "sweep: expired invites not read");
                return 0;
            }
        };
        let mut deleted = 0;
        for invite in expired {
            match self.p.mappings.delete_expired_invite(&invite.code, now).await {
                Ok(true) => deleted += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %chain(&e), "sweep: an expired invite was not deleted"),
            }
        }
        deleted
    }

    /// The background loop (started by the server when an interval is configured).
    pub async fn run(self: Arc<Self>) {
        let Some(interval) = self.p.settings.interval else { return };
        loop {
            self.p.clock.sleep(interval).await;
            if self.take_lease(interval.as_secs() as i64 + 60).await {
                let report = self.sweep_once().await;
                tracing::info!(?report, "health sweep done");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fakes, Workspace};
    use crate::incidents::IncidentKind;
    use crate::ports::ApiError;
    use secrecy::ExposeSecret;

    #[tokio::test]
    async fn one_instance_sweeps_while_its_lease_runs() {
        let f = Fakes::new();
        let (one, two) = (f.sweeper(None), f.sweeper(None));
        assert!(one.take_lease(90).await);
        assert!(!two.take_lease(90).await, "the other instance waits");
        f.clock.advance(Duration::from_secs(91));
        assert!(two.take_lease(90).await, "a lease runs out by itself");
    }

    #[tokio::test]
    async fn every_active_workspace_is_checked_and_a_revocation_outside_the_console_is_an_incident() {
        let f = Fakes::new();
        f.install(Workspace::active("acme"));
        f.install(Workspace::active("globex"));
        f.install(Workspace::active("vault").vault());
        let gone = f.install(Workspace::active("initech").revoked_by("refresh_token_rejected"));
        let report = f.sweeper(None).sweep_once().await;
        assert_eq!((report.checked, report.ok, report.failed), (2, 2, 0));
        let open = f.incidents.open_now();
        assert_eq!(open.len(), 1);
        assert_eq!((open[0].org_id.as_str(), open[0].kind), (gone.org.as_str(), IncidentKind::Revoked));
    }

    #[tokio::test]
    async fn a_token_out_of_requests_is_left_alone_until_its_reset() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        let reset_ms = (f.clock.unix() + 600) * 1000;
        f.api.fail_viewer(&ws.access, ApiError::RateLimited { reset_ms: Some(reset_ms) });
        let sweeper = f.sweeper(None);
        assert_eq!(sweeper.sweep_once().await.failed, 1);
        let calls = f.api.script.count("viewer");
        assert_eq!(sweeper.sweep_once().await.rate_limited_skipped, 1);
        assert_eq!(f.api.script.count("viewer"), calls, "Linear was not asked again");
        f.clock.advance(Duration::from_secs(601));
        assert_eq!(sweeper.sweep_once().await.checked, 1, "checked again after the reset");
    }

    #[tokio::test]
    async fn tokens_are_refreshed_only_inside_the_configured_window() {
        let f = Fakes::new();
        let soon = f.install(Workspace::active("acme").expiring_in(time::Duration::minutes(10)));
        let later = f.install(Workspace::active("globex"));
        assert_eq!(f.sweeper(None).sweep_once().await.refreshed, 0, "off by default");
        let report = f.sweeper(Some(Duration::from_secs(30 * 60))).sweep_once().await;
        assert_eq!(report.refreshed, 1);
        assert_ne!(f.vault.bundle(&soon.arn).unwrap().refresh_token.expose_secret(), soon.refresh);
        assert_eq!(f.vault.bundle(&later.arn).unwrap().refresh_token.expose_secret(), later.refresh);
    }

    #[tokio::test]
    async fn invites_past_their_time_are_deleted() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme").with_invites(2));
        f.clock.advance(Duration::from_secs(2 * 86_400));
        assert_eq!(f.sweeper(None).sweep_once().await.expired_invites_deleted, 2);
        assert!(f.mappings.rows_of(&ws.org).is_empty());
    }
}
