//! The workspaces as the UI shows them: registry rows read by the platform's rules, and one
//! workspace with what its token bundle says (never the tokens themselves).
use app::ports::{PortError, PortResult, RegistryPort};
use app::wire::{BundleView, WorkspaceDetail, WorkspaceSummary};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use secrecy::ExposeSecret;

use futures::StreamExt;
use time::OffsetDateTime;

use crate::adapters::cognito::directory::Directory;
use crate::adapters::dynamodb::incidents::day;
use crate::adapters::dynamodb::registry::{Registry, RegistryError};
use crate::adapters::secrets::TokenStore;
use crate::domain::health::{health, Facts};
use crate::domain::parse_iso;
use crate::domain::registry::RegistryRecord;
use crate::domain::token_bundle::StoredBundle;
use crate::services::charts::strip;
use crate::services::incidents::Watch;
use app::wire::Health;

use crate::adapters::read_cache::{Epoch, ReadCache};

/// The overview's rows and each workspace's page, reused for a few seconds
/// (`CONSOLE_OVERVIEW_CACHE_SECONDS`) by every request and dropped by any change made through the
/// console, so paging, filtering and reloading do not Scan the registry each time and a page that
/// many admins open at once is read once. Changes the platform makes show within that time.
#[derive(Clone, Debug)]
pub struct OverviewCache {
    rows: ReadCache<(), Arc<Vec<WorkspaceSummary>>>,
    details: ReadCache<String, Option<WorkspaceDetail>>,
}

impl Default for OverviewCache {
    fn default() -> Self {
        OverviewCache::new(Duration::ZERO)
    }
}

impl OverviewCache {
    pub fn new(ttl: Duration) -> OverviewCache {
        let rows = ReadCache::new(ttl);
        let details = ReadCache::sharing(ttl, rows.epoch());
        OverviewCache { rows, details }
    }

    /// For the other reads of registry rows that a change through the console must drop too.
    pub fn epoch(&self) -> &Epoch {
        self.rows.epoch()
    }

    /// Called after every state-changing request.
    pub fn invalidate(&self) {
        self.rows.invalidate();
        self.details.invalidate();
    }
}

#[derive(Clone)]
pub struct Workspaces {
    registry: Registry,
    tokens: TokenStore,
    directory: Directory,
    cache: OverviewCache,
    watch: Option<Watch>,
    /// Installers' emails by Cognito sub (an email rarely changes; a page need not ask each time).
    emails: Arc<Mutex<HashMap<String, KnownEmail>>>,
}

/// An installer's email (or that the pool has none) and when it was read.
type KnownEmail = (Instant, Option<String>);

/// How long an installer's email is reused.
const EMAIL_TTL: Duration = Duration::from_secs(300);

/// The days shown: 7 on the overview, 90 on a workspace's page.
const SPARK_DAYS: i64 = 7;
const TIMELINE_DAYS: i64 = 90;

/// The worst health of each of the `n` days up to today, oldest first, for one workspace.
fn days_of(rows: &[(String, String, Health)], org_id: &str, now: i64, n: i64) -> Vec<Option<Health>> {
    (0..n)
        .rev()
        .map(|back| {
            let d = day(now - back * 86_400);
            rows.iter().find(|(rd, org, _)| *rd == d && org == org_id).map(|(_, _, h)| *h)
        })
        .collect()
}

impl Workspaces {
    pub fn new(registry: Registry, tokens: TokenStore, directory: Directory, cache: OverviewCache) -> Self {
        Workspaces { registry, tokens, directory, cache, watch: None, emails: Arc::default() }
    }

    /// The incidents and health history the pages show beside each workspace.
    pub fn with_watch(mut self, watch: Watch) -> Workspaces {
        self.watch = Some(watch);
        self
    }

    /// Each row's open incident and 7-day sparkline (two reads for every workspace at once).
    async fn add_incidents(&self, rows: &mut [WorkspaceSummary]) {
        let Some(watch) = &self.watch else { return };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let (open, days) = tokio::join!(watch.open(), watch.days_since(now - (SPARK_DAYS - 1) * 86_400));
        let (open, days) = match (open, days) {
            (Ok(o), Ok(d)) => (o, d),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "incidents unavailable for the overview");
                return;
            }
        };
        for w in rows.iter_mut() {
            w.open_incident = open.iter().filter(|i| i.org_id == w.org_id).map(|i| i.kind).next();
            let days = days_of(&days, &w.org_id, now, SPARK_DAYS);
            w.spark = days.iter().any(Option::is_some).then(|| strip(&days, &[], 10, 12));
        }
    }

    /// Installers' emails, one Cognito lookup per distinct sub not seen lately; an unknown sub stays a sub.
    async fn emails(&self, subs: impl Iterator<Item = String>) -> HashMap<String, String> {
        let mut subs: Vec<String> = subs.collect();
        subs.sort();
        subs.dedup();
        futures::stream::iter(subs)
            .map(|sub| async move { self.email_of(&sub).await.map(|e| (sub, e)) })
            .buffer_unordered(8)
            .filter_map(|x| async move { x })
            .collect()
            .await
    }

    /// One installer's email, reused for a few minutes.
    async fn email_of(&self, sub: &str) -> Option<String> {
        let known = self.emails.lock().ok().and_then(|m| m.get(sub).filter(|(at, _)| at.elapsed() < EMAIL_TTL).map(|(_, e)| e.clone()));
        if let Some(email) = known {
            return email;
        }
        let email = self.directory.email_of(sub).await;
        if let Ok(mut m) = self.emails.lock() {
            m.insert(sub.to_owned(), (Instant::now(), email.clone()));
        }
        email
    }

    /// Scans the registry and builds every row of the overview.
    async fn read_overview(&self) -> PortResult<Vec<WorkspaceSummary>> {
        let records = self.registry.records().await.map_err(dynamo)?;
        // Rows the console never checked carry no token expiry: read those bundles (8 at a time).
        let unchecked: Vec<(usize, String)> = records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.console.token_expires_at.is_none() && r.is_active())
            .filter_map(|(i, r)| Some((i, r.secret_arn.clone()?)))
            .collect();
        let read: HashMap<usize, Option<StoredBundle>> = futures::stream::iter(unchecked)
            .map(|(i, arn)| async move { (i, self.tokens.read_bundle(&arn).await.ok().flatten()) })
            .buffer_unordered(8)
            .collect()
            .await;
        let now = OffsetDateTime::now_utc();
        let mut out: Vec<WorkspaceSummary> = records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut w = r.summary(now);
                if let Some(bundle) = read.get(&i) {
                    w.health = health(now, &with_bundle(r, bundle.as_ref()));
                    w.token_expires_at = bundle.as_ref().and_then(|b| b.expires_at.clone());
                }
                w
            })
            .collect();
        let emails = self.emails(out.iter().filter_map(|w| w.installed_by.clone())).await;
        for w in &mut out {
            w.installed_by_email = w.installed_by.as_ref().and_then(|sub| emails.get(sub).cloned());
        }
        out.sort_by(|a, b| a.slug.cmp(&b.slug).then_with(|| a.org_id.cmp(&b.org_id)));
        Ok(out)
    }
}

/// The row's health inputs, corrected by what the bundle itself says.
fn with_bundle(r: &RegistryRecord, bundle: Option<&StoredBundle>) -> Facts {
    let mut f = r.facts();
    f.bundle_has_tokens = bundle.map(|b| b.has_tokens);
    if let Some(exp) = bundle.and_then(|b| b.expires_at.as_deref()).and_then(parse_iso) {
        f.expires_at = Some(exp);
    }
    f
}

fn dynamo(e: RegistryError) -> PortError {
    PortError { service: "DynamoDB", cause: e.to_string() }
}

impl Workspaces {
    /// A workspace's incidents (open first, then resolved) and its 90-day timeline.
    async fn history(&self, org_id: &str) -> (Vec<app::wire::IncidentView>, Option<String>) {
        let Some(watch) = &self.watch else { return (Vec::new(), None) };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let q = app::wire::IncidentQuery { workspace: org_id.to_owned(), ..Default::default() };
        let (list, days) =
            tokio::join!(watch.list_since(&q, now, TIMELINE_DAYS * 86_400), watch.days_since(now - (TIMELINE_DAYS - 1) * 86_400));
        let list = list.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "incidents unavailable for a workspace");
            Vec::new()
        });
        let timeline = days.ok().map(|rows| {
            let days = days_of(&rows, org_id, now, TIMELINE_DAYS);
            let first = now - (TIMELINE_DAYS - 1) * 86_400;
            let marks: Vec<usize> = list
                .iter()
                .filter_map(|i| crate::domain::parse_iso(&i.first_seen))
                .map(|t| ((t.unix_timestamp() - first).max(0) / 86_400) as usize)
                .filter(|i| *i < TIMELINE_DAYS as usize)
                .collect();
            strip(&days, &marks, 4, 20)
        });
        (list, timeline)
    }
}

#[async_trait]
impl RegistryPort for Workspaces {
    async fn list_workspaces(&self) -> PortResult<Vec<WorkspaceSummary>> {
        let read = || async {
            let mut rows = self.read_overview().await?;
            self.add_incidents(&mut rows).await;
            Ok(Arc::new(rows))
        };
        Ok((*self.cache.rows.get_or_read((), read).await?).clone())
    }

    async fn workspace(&self, org_id: &str) -> PortResult<Option<WorkspaceDetail>> {
        self.cache.details.get_or_read(org_id.to_owned(), || self.read_workspace(org_id)).await
    }
}

impl Workspaces {
    async fn read_workspace(&self, org_id: &str) -> PortResult<Option<WorkspaceDetail>> {
        let Some(record) = self.registry.get(org_id).await.map_err(dynamo)? else { return Ok(None) };
        let mut summary = record.summary(OffsetDateTime::now_utc());
        if let Some(sub) = &summary.installed_by {
            summary.installed_by_email = self.email_of(sub).await;
        }
        let secret_arn = record.secret_arn.clone();
        let stored = match &secret_arn {
            None => None,
            Some(arn) => self.tokens.read(arn).await.map_err(|e| PortError { service: "Secrets Manager", cause: e.to_string() })?,
        };
        let parsed = stored.as_ref().map(|secret| StoredBundle::read(secret.value.expose_secret()));
        summary.health = health(OffsetDateTime::now_utc(), &with_bundle(&record, parsed.as_ref().and_then(|p| p.as_ref().ok())));
        if let Some(Ok(b)) = &parsed {
            summary.token_expires_at = b.expires_at.clone().or(summary.token_expires_at);
        }
        let bundle = match &secret_arn {
            None => BundleView::Missing,
            Some(_) => match parsed {
                None => BundleView::Missing,
                Some(parsed) => match parsed {
                    Ok(b) => BundleView::Present {
                        scope: b.scope,
                        expires_at: b.expires_at,
                        has_tokens: b.has_tokens,
                        has_webhook_secret: b.webhook_signing_secret.is_some(),
                    },
                    Err(_) => BundleView::Unreadable,
                },
            },
        };
        let (incidents, timeline) = self.history(org_id).await;
        summary.open_incident = incidents.iter().find(|i| i.resolved_at.is_none()).map(|i| i.kind);
        Ok(Some(WorkspaceDetail {
            incidents,
            timeline,
            summary,
            installed_by: record.installed_by.clone(),
            updated_at: record.updated_at.clone(),
            secret_arn,
            revoked_at: record.revocation.at.clone(),
            revoked_reason: record.revocation.reason.clone(),
            vault_managed: record.vault_managed(),
            orphaned_secret_arn: record.orphan.as_ref().map(|o| o.arn.clone()),
            orphan_error: record.orphan.as_ref().and_then(|o| o.error.clone()),
            bundle,
        }))
    }
}
