//! The background health sweep: on one console instance at a time (a lease item in the console's
//! sessions table), *Check now* every active, non-vault workspace with bounded concurrency; a
//! token Linear said is out of requests is left alone until its reset. It refreshes only inside a
//! configured window before expiry (off by default: the platform owns refresh).
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use futures::StreamExt;
use time::OffsetDateTime;
use tokio::sync::Mutex;

use crate::health::CheckResult;
use crate::platform::parse_iso;
use crate::platform::registry_row::s;
use crate::registry::Registry;
use crate::token_upkeep::{RefreshOutcome, TokenUpkeep};

#[derive(Debug, Clone)]
pub struct SweepSettings {
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
}

#[derive(Clone)]
pub struct Sweeper {
    registry: Registry,
    upkeep: Arc<TokenUpkeep>,
    dynamodb: aws_sdk_dynamodb::Client,
    lease_table: String,
    instance: String,
    settings: SweepSettings,
    /// Per workspace: Linear's rate-limit reset (epoch ms) when it said nothing remains.
    backoff: Arc<Mutex<HashMap<String, i64>>>,
}

const LEASE_ID: &str = "lease#health-sweep";

impl Sweeper {
    pub fn new(registry: Registry, upkeep: Arc<TokenUpkeep>, dynamodb: aws_sdk_dynamodb::Client, lease_table: String, settings: SweepSettings) -> Sweeper {
        Sweeper {
            registry,
            upkeep,
            dynamodb,
            lease_table,
            instance: uuid::Uuid::new_v4().to_string(),
            settings,
            backoff: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// One instance sweeps: a conditional put of a lease item that runs out by itself.
    pub async fn take_lease(&self, seconds: i64) -> bool {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let res = self
            .dynamodb
            .put_item()
            .table_name(&self.lease_table)
            .item("id", AttributeValue::S(LEASE_ID.into()))
            .item("owner", AttributeValue::S(self.instance.clone()))
            .item("expires_at", AttributeValue::N((now + seconds).to_string()))
            .condition_expression("attribute_not_exists(id) OR expires_at < :now OR #o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":me", AttributeValue::S(self.instance.clone()))
            .send()
            .await;
        match res {
            Ok(_) => true,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => false,
            Err(e) => {
                tracing::warn!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(e), "sweep lease unavailable");
                false
            }
        }
    }

    /// Checks every active, non-vault workspace once.
    pub async fn sweep_once(&self) -> SweepReport {
        let items = match self.registry.items().await {
            Ok(items) => items,
            Err(e) => {
                tracing::warn!(error = %e, "sweep: registry unavailable");
                return SweepReport::default();
            }
        };
        let now_ms = OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let targets: Vec<(String, Option<OffsetDateTime>)> = items
            .iter()
            .filter(|i| s(i, "status").as_deref() == Some("active") && s(i, "provider_name").is_none())
            .filter(|i| s(i, "oauth_secret_arn").is_some() && s(i, "workspace_slug").is_some())
            .filter_map(|i| Some((s(i, "linear_workspace_id")?, s(i, "token_expires_at").and_then(|e| parse_iso(&e)))))
            .collect();
        let mut report = SweepReport::default();
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
                        matches!(self.upkeep.refresh(&org).await, Ok(RefreshOutcome::Refreshed { .. }))
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
        report
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
