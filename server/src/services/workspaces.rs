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
use crate::adapters::dynamodb::registry::{Registry, RegistryError};
use crate::adapters::secrets::TokenStore;
use crate::domain::health::{health, Facts};
use crate::domain::parse_iso;
use crate::domain::registry::RegistryRecord;
use crate::domain::token_bundle::StoredBundle;

/// The overview's rows, reused for a few seconds (`CONSOLE_OVERVIEW_CACHE_SECONDS`) and dropped by
/// any change made through the console, so paging, filtering and reloading the overview do not
/// Scan the registry each time. Changes the platform makes show within that time.
#[derive(Clone, Debug, Default)]
pub struct OverviewCache {
    rows: Arc<Mutex<Option<Cached>>>,
    ttl: Duration,
}

/// The rows and when they were read.
type Cached = (Instant, Arc<Vec<WorkspaceSummary>>);

impl OverviewCache {
    pub fn new(ttl: Duration) -> OverviewCache {
        OverviewCache { rows: Arc::default(), ttl }
    }

    fn get(&self) -> Option<Arc<Vec<WorkspaceSummary>>> {
        let rows = self.rows.lock().ok()?;
        rows.as_ref().filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, r)| r.clone())
    }

    fn put(&self, rows: Arc<Vec<WorkspaceSummary>>) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut cached) = self.rows.lock() {
            *cached = Some((Instant::now(), rows));
        }
    }

    /// Called after every state-changing request.
    pub fn invalidate(&self) {
        if let Ok(mut cached) = self.rows.lock() {
            *cached = None;
        }
    }
}

#[derive(Clone, Debug)]
pub struct Workspaces {
    registry: Registry,
    tokens: TokenStore,
    directory: Directory,
    cache: OverviewCache,
}

impl Workspaces {
    pub fn new(registry: Registry, tokens: TokenStore, directory: Directory, cache: OverviewCache) -> Self {
        Workspaces { registry, tokens, directory, cache }
    }

    /// Installers' emails, one Cognito lookup per distinct sub; an unknown sub stays a sub.
    async fn emails(&self, subs: impl Iterator<Item = String>) -> HashMap<String, String> {
        let mut subs: Vec<String> = subs.collect();
        subs.sort();
        subs.dedup();
        futures::stream::iter(subs)
            .map(|sub| async move { self.directory.email_of(&sub).await.map(|e| (sub, e)) })
            .buffer_unordered(8)
            .filter_map(|x| async move { x })
            .collect()
            .await
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

#[async_trait]
impl RegistryPort for Workspaces {
    async fn list_workspaces(&self) -> PortResult<Vec<WorkspaceSummary>> {
        if let Some(rows) = self.cache.get() {
            return Ok((*rows).clone());
        }
        let rows = self.read_overview().await?;
        self.cache.put(Arc::new(rows.clone()));
        Ok(rows)
    }

    async fn workspace(&self, org_id: &str) -> PortResult<Option<WorkspaceDetail>> {
        let Some(record) = self.registry.get(org_id).await.map_err(dynamo)? else { return Ok(None) };
        let mut summary = record.summary(OffsetDateTime::now_utc());
        if let Some(sub) = &summary.installed_by {
            summary.installed_by_email = self.directory.email_of(sub).await;
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
        Ok(Some(WorkspaceDetail {
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
