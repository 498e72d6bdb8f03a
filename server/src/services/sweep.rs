//! The background health sweep: on one console instance at a time (a lease item in the console's
//! sessions table), *Check now* every active, non-vault workspace with bounded concurrency; a
//! token Linear said is out of requests is left alone until its reset. It refreshes only inside a
//! configured window before expiry (off by default: the platform owns refresh). Each check goes
//! through the incident bookkeeping; a row revoked outside the console is observed too; then
//! reminders of open incidents and due alert retries are sent.
use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use time::OffsetDateTime;
use tokio::sync::Mutex;

use crate::adapters::dynamodb::leases::Leases;
use crate::adapters::dynamodb::registry::Registry;
use crate::adapters::dynamodb::user_mappings::UserMappings;
use crate::config::SweepSettings;
use crate::domain::audit::Actor;
use crate::domain::health::CheckResult;
use crate::domain::incidents::Observation;
use crate::domain::parse_iso;
use crate::services::incidents::{Subject, Watch};
use crate::services::upkeep::{RefreshOutcome, TokenUpkeep};

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
}

#[derive(Clone)]
pub struct Sweeper {
    registry: Registry,
    upkeep: Arc<TokenUpkeep>,
    mappings: UserMappings,
    leases: Leases,
    instance: String,
    settings: SweepSettings,
    /// Per workspace: Linear's rate-limit reset (epoch ms) when it said nothing remains.
    backoff: Arc<Mutex<HashMap<String, i64>>>,
    watch: Option<Watch>,
}

const LEASE_ID: &str = "lease#health-sweep";

impl Sweeper {
    pub fn new(registry: Registry, upkeep: Arc<TokenUpkeep>, mappings: UserMappings, leases: Leases, settings: SweepSettings) -> Sweeper {
        Sweeper {
            registry,
            upkeep,
            mappings,
            leases,
            instance: uuid::Uuid::new_v4().to_string(),
            settings,
            backoff: Arc::new(Mutex::new(HashMap::new())),
            watch: None,
        }
    }

    /// The incident bookkeeping the sweep feeds (set once at start).
    pub fn with_watch(mut self, watch: Watch) -> Sweeper {
        self.watch = Some(watch);
        self
    }

    /// One instance sweeps: a lease item that runs out by itself.
    pub async fn take_lease(&self, seconds: i64) -> bool {
        match self.leases.take(LEASE_ID, &self.instance, OffsetDateTime::now_utc().unix_timestamp(), seconds).await {
            Ok(taken) => taken,
            Err(e) => {
                tracing::warn!(error = %e, "sweep lease unavailable");
                false
            }
        }
    }

    /// Checks every active, non-vault workspace once.
    pub async fn sweep_once(&self) -> SweepReport {
        let expired_invites_deleted = self.delete_expired_invites().await;
        let records = match self.registry.records().await {
            Ok(records) => records,
            Err(e) => {
                tracing::warn!(error = %e, "sweep: registry unavailable");
                return SweepReport { expired_invites_deleted, ..SweepReport::default() };
            }
        };
        let now_ms = OffsetDateTime::now_utc().unix_timestamp() * 1000;
        if let Some(watch) = &self.watch {
            // A row revoked outside the console (the platform saw invalid_grant, or another tool)
            // is an incident nobody else reports.
            let at = OffsetDateTime::now_utc();
            for r in records.iter().filter(|r| r.state() == app::wire::RegistryState::Revoked) {
                let o = Observation::of(at, &r.facts(), r.revoked_by_admin());
                let evidence = format!("registry: status {}", r.status.as_ref().map(|s| s.as_str()).unwrap_or("?"));
                let who = Subject { org_id: &r.org_id, slug: r.slug.as_deref(), name: r.console.name.as_deref() };
                watch.observe(who, o, "sweep", &evidence, at.unix_timestamp()).await;
            }
        }
        let targets: Vec<(String, Option<OffsetDateTime>)> = records
            .into_iter()
            .filter(|r| r.is_active() && !r.vault_managed())
            .map(|r| (r.org_id, r.console.token_expires_at.as_deref().and_then(parse_iso)))
            .collect();
        let mut report = SweepReport { expired_invites_deleted, ..SweepReport::default() };
        let mut due = Vec::new();
        {
            let mut backoff = self.backoff.lock().await;
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
                let refreshed = match (self.settings.refresh_within, expires) {
                    (Some(window), Some(exp)) if exp - OffsetDateTime::now_utc() < window => {
                        matches!(self.upkeep.refresh(&Actor::sweep(), &org).await, Ok(RefreshOutcome::Refreshed { .. }))
                    }
                    _ => false,
                };
                (org.clone(), self.upkeep.check_with_limit(&org).await, refreshed)
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let mut backoff = self.backoff.lock().await;
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
        drop(backoff);
        if let Some(watch) = &self.watch {
            match watch.remind_and_retry(OffsetDateTime::now_utc().unix_timestamp()).await {
                Ok((reminders, retries)) => (report.reminders, report.alert_retries) = (reminders, retries),
                Err(e) => tracing::warn!(error = %e, "sweep: reminders and alert retries skipped"),
            }
        }
        report
    }

    /// Deletes invites past their `ttl` that DynamoDB has not removed yet: the platform would
    /// still redeem them. Each delete is conditioned on the row still being that expired invite.
    pub async fn delete_expired_invites(&self) -> usize {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let expired = match self.mappings.expired_invites(now).await {
            Ok(expired) => expired,
            Err(e) => {
                tracing::warn!(error = %e, "sweep: expired invites not read");
                return 0;
            }
        };
        let mut deleted = 0;
        for invite in expired {
            match self.mappings.delete_expired_invite(&invite.code, now).await {
                Ok(true) => deleted += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "sweep: an expired invite was not deleted"),
            }
        }
        deleted
    }

    /// The background loop (started by `main` when an interval is configured).
    pub async fn run(self) {
        let Some(interval) = self.settings.interval else { return };
        loop {
            tokio::time::sleep(interval).await;
            if self.take_lease(interval.as_secs() as i64 + 60).await {
                let report = self.sweep_once().await;
                tracing::info!(?report, "health sweep done");
            }
        }
    }
}
