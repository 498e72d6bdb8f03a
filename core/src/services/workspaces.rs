//! The workspaces as the pages show them: registry rows read by the platform's rules with their
//! health, open incident and recent days, and one workspace with what its token bundle says (never
//! the tokens themselves). Both are shared by every request for a few seconds and dropped by any
//! change made through the console (the registry's views epoch), so paging, filtering and
//! reloading do not Scan the registry each time.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use secrecy::ExposeSecret;
use time::OffsetDateTime;

use crate::cache::{Epoch, Freshness, ReadCache};
use crate::error::{StoreError, Unavailable};
use crate::health::{health, Facts, Health};
use crate::ids::OrgId;
use crate::incidents::IncidentKind;
use crate::ports::{DayHealth, Directory, RegistryStore, TokenVault};
use crate::records::registry::RegistryRecord;
use crate::records::token_bundle::StoredBundle;
use crate::services::incidents::{IncidentFilter, Listed, Watch};
use crate::time::{day, parse_iso, Clock};

/// The days shown: 7 on the overview, 90 on a workspace's page.
pub const SPARK_DAYS: i64 = 7;
pub const TIMELINE_DAYS: i64 = 90;
/// How long an installer's email is reused.
const EMAIL_TTL: Duration = Duration::from_secs(300);

/// One registry row with what the console judges of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceRow {
    pub record: RegistryRecord,
    pub health: Health,
    /// When the access token expires, as the bundle or the row last said.
    pub token_expires_at: Option<String>,
    /// The installer's Cognito email, when the sub is a user of the pool.
    pub installer_email: Option<String>,
    /// The kind of the workspace's open incident (the first, if several).
    pub open_incident: Option<IncidentKind>,
    /// The worst health of each recent day, oldest first (`None`: nothing recorded that day);
    /// empty when nothing was recorded at all.
    pub days: Vec<Option<Health>>,
    /// Other active rows claiming the same url key (org ids): the platform's lookups by slug (its
    /// CLI, its remove-workspace API) find one row by a filtered Scan and may act on either.
    pub slug_shared_with: Vec<String>,
}

/// Each active row's other active rows with the same url key.
fn mark_shared_slugs(rows: &mut [WorkspaceRow]) {
    let claims: Vec<(String, String)> =
        rows.iter().filter(|w| w.record.is_active()).filter_map(|w| Some((w.record.slug.clone()?, w.record.org_id.to_string()))).collect();
    for w in rows.iter_mut().filter(|w| w.record.is_active()) {
        let Some(slug) = w.record.slug.as_deref() else { continue };
        let org = w.record.org_id.as_str();
        w.slug_shared_with = claims.iter().filter(|(s, o)| s == slug && o != org).map(|(_, o)| o.clone()).collect();
    }
}

/// What a workspace's token bundle says, without its secrets (also the wire's, as the workspace page
/// shows it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BundleState {
    Present {
        scope: Option<String>,
        expires_at: Option<String>,
        has_tokens: bool,
        has_webhook_secret: bool,
    },
    /// The row names no secret, or the secret does not exist.
    Missing,
    /// The secret is not the JSON object the platform writes.
    Unreadable,
}

/// One workspace's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceView {
    pub row: WorkspaceRow,
    pub bundle: BundleState,
    /// Its incidents, open first, then resolved in the last 90 days.
    pub incidents: Vec<Listed>,
    /// The last 90 days' worst health per day (oldest first), with the days an incident opened.
    pub timeline: Option<(Vec<Option<Health>>, Vec<usize>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("registry: {0}")]
    Registry(#[source] StoreError),
    #[error("{0}")]
    Secrets(#[source] Unavailable),
}

/// What the pages' reads call.
pub struct WorkspacesParts {
    pub registry: Arc<dyn RegistryStore>,
    pub vault: Arc<dyn TokenVault>,
    pub directory: Arc<dyn Directory>,
    pub watch: Arc<Watch>,
    pub clock: Arc<dyn Clock>,
    /// Reuse of the pages' reads (`CONSOLE_OVERVIEW_CACHE_SECONDS`).
    pub ttl: Duration,
    pub views: Epoch,
}

pub struct Workspaces {
    p: WorkspacesParts,
    rows: ReadCache<(), Arc<Vec<WorkspaceRow>>>,
    details: ReadCache<OrgId, Option<WorkspaceView>>,
    /// Installers' emails by Cognito sub (an email rarely changes; a page need not ask each time).
    emails: ReadCache<String, Option<String>>,
}

/// The worst health of each of the `n` days up to `now`, oldest first, for one workspace.
fn days_of(rows: &[DayHealth], org: &str, now: i64, n: i64) -> Vec<Option<Health>> {
    (0..n)
        .rev()
        .map(|back| {
            let d = day(now - back * 86_400);
            rows.iter().find(|r| r.day == d && r.org_id == org).map(|r| r.health)
        })
        .collect()
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

/// The row as the overview shows it, judged from the row alone at `now`.
fn row_of(r: &RegistryRecord, now: OffsetDateTime) -> WorkspaceRow {
    WorkspaceRow {
        record: r.clone(),
        health: health(now, &r.facts()),
        token_expires_at: r.console.token_expires_at.clone(),
        installer_email: None,
        open_incident: None,
        days: Vec::new(),
        slug_shared_with: Vec::new(),
    }
}

impl Workspaces {
    pub fn new(p: WorkspacesParts) -> Workspaces {
        let rows = ReadCache::sharing(p.ttl, p.clock.clone(), &p.views);
        let details = ReadCache::sharing(p.ttl, p.clock.clone(), &p.views);
        let emails = ReadCache::new(EMAIL_TTL, p.clock.clone());
        Workspaces { p, rows, details, emails }
    }

    /// Every registry row (sorted by slug), as the overview shows it.
    pub async fn overview(&self, freshness: Freshness) -> Result<Arc<Vec<WorkspaceRow>>, ReadError> {
        let read = || async {
            let mut rows = self.read_overview().await?;
            mark_shared_slugs(&mut rows);
            self.add_incidents(&mut rows, freshness).await;
            Ok(Arc::new(rows))
        };
        self.rows.get_or_read((), freshness, read).await
    }

    /// One workspace's page; `None` when the registry has no such row.
    pub async fn workspace(&self, org: &OrgId, freshness: Freshness) -> Result<Option<WorkspaceView>, ReadError> {
        self.details.get_or_read(org.clone(), freshness, || self.read_workspace(org, freshness)).await
    }

    /// Each row's open incident and recent days (two reads for every workspace at once).
    async fn add_incidents(&self, rows: &mut [WorkspaceRow], freshness: Freshness) {
        let now = self.p.clock.unix();
        let watch = &self.p.watch;
        let (open, days) = futures::join!(watch.open(freshness), watch.days_since(now - (SPARK_DAYS - 1) * 86_400, freshness));
        let (open, days) = match (open, days) {
            (Ok(o), Ok(d)) => (o, d),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %crate::error::chain(&e), "incidents unavailable for the overview");
                return;
            }
        };
        for w in rows.iter_mut() {
            let org = w.record.org_id.as_str();
            w.open_incident = open.iter().filter(|i| i.org_id == org).map(|i| i.kind).next();
            let recent = days_of(&days, org, now, SPARK_DAYS);
            w.days = if recent.iter().any(Option::is_some) { recent } else { Vec::new() };
        }
    }

    /// Installers' emails, one lookup per distinct sub not seen lately; an unknown sub stays a sub.
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
        let read = || async { Ok::<_, ()>(self.p.directory.by_sub(sub).await.ok().flatten().and_then(|u| u.email)) };
        self.emails.get_or_read(sub.to_owned(), Freshness::Shared, read).await.ok().flatten()
    }

    /// Scans the registry and builds every row of the overview.
    async fn read_overview(&self) -> Result<Vec<WorkspaceRow>, ReadError> {
        let records = self.p.registry.all().await.map_err(ReadError::Registry)?;
        // Rows the console never checked carry no token expiry: read those bundles (8 at a time).
        let unchecked: Vec<(usize, String)> = records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.console.token_expires_at.is_none() && r.is_active())
            .filter_map(|(i, r)| Some((i, r.secret_arn.clone()?)))
            .collect();
        let read: HashMap<usize, Option<StoredBundle>> = futures::stream::iter(unchecked)
            .map(|(i, arn)| async move {
                let secret = self.p.vault.read(&arn).await.ok().flatten();
                (i, secret.and_then(|s| StoredBundle::read(s.value.expose_secret()).ok()))
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let now = self.p.clock.now();
        let mut out: Vec<WorkspaceRow> = records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut w = row_of(r, now);
                if let Some(bundle) = read.get(&i) {
                    w.health = health(now, &with_bundle(r, bundle.as_ref()));
                    w.token_expires_at = bundle.as_ref().and_then(|b| b.expires_at.clone());
                }
                w
            })
            .collect();
        let emails = self.emails(out.iter().filter_map(|w| w.record.installed_by.clone())).await;
        for w in &mut out {
            w.installer_email = w.record.installed_by.as_ref().and_then(|sub| emails.get(sub).cloned());
        }
        out.sort_by(|a, b| a.record.slug.cmp(&b.record.slug).then_with(|| a.record.org_id.cmp(&b.record.org_id)));
        Ok(out)
    }

    async fn read_workspace(&self, org: &OrgId, freshness: Freshness) -> Result<Option<WorkspaceView>, ReadError> {
        let Some(record) = self.p.registry.get(org).await.map_err(ReadError::Registry)? else { return Ok(None) };
        let now = self.p.clock.now();
        let mut row = row_of(&record, now);
        if let Some(sub) = &record.installed_by {
            row.installer_email = self.email_of(sub).await;
        }
        let stored = match &record.secret_arn {
            None => None,
            Some(arn) => self.p.vault.read(arn).await.map_err(ReadError::Secrets)?,
        };
        let parsed = stored.as_ref().map(|secret| StoredBundle::read(secret.value.expose_secret()));
        row.health = health(now, &with_bundle(&record, parsed.as_ref().and_then(|p| p.as_ref().ok())));
        if let Some(Ok(b)) = &parsed {
            row.token_expires_at = b.expires_at.clone().or(row.token_expires_at);
        }
        let bundle = match parsed {
            None => BundleState::Missing,
            Some(Ok(b)) => BundleState::Present {
                scope: b.scope,
                expires_at: b.expires_at,
                has_tokens: b.has_tokens,
                has_webhook_secret: b.webhook_signing_secret.is_some(),
            },
            Some(Err(_)) => BundleState::Unreadable,
        };
        let (incidents, timeline) = self.history(org, freshness).await;
        row.open_incident = incidents.iter().find(|l| l.incident.resolved_at.is_none()).map(|l| l.incident.kind);
        // Other rows claiming its url key: from the overview's rows (shared with the overview page).
        if let (true, Some(slug)) = (record.is_active(), record.slug.as_deref()) {
            match self.overview(Freshness::Shared).await {
                Ok(all) => {
                    row.slug_shared_with = all
                        .iter()
                        .filter(|w| w.record.is_active() && w.record.slug.as_deref() == Some(slug) && w.record.org_id != *org)
                        .map(|w| w.record.org_id.to_string())
                        .collect();
                }
                Err(e) => tracing::warn!(error = %crate::error::chain(&e), "the registry could not be read for url keys claimed twice"),
            }
        }
        Ok(Some(WorkspaceView { row, bundle, incidents, timeline }))
    }

    /// A workspace's incidents (open first, then resolved) and its 90-day timeline.
    async fn history(&self, org: &OrgId, freshness: Freshness) -> (Vec<Listed>, Option<(Vec<Option<Health>>, Vec<usize>)>) {
        let now = self.p.clock.unix();
        let filter = IncidentFilter { workspace: Some(org.to_string()), ..IncidentFilter::default() };
        let first = now - (TIMELINE_DAYS - 1) * 86_400;
        let (list, days) =
            futures::join!(self.p.watch.list_since(&filter, TIMELINE_DAYS * 86_400, freshness), self.p.watch.days_since(first, freshness));
        let list = list.unwrap_or_else(|e| {
            tracing::warn!(error = %crate::error::chain(&e), "incidents unavailable for a workspace");
            Vec::new()
        });
        let timeline = days.ok().map(|rows| {
            let days = days_of(&rows, org.as_str(), now, TIMELINE_DAYS);
            let marks: Vec<usize> = list
                .iter()
                .map(|l| ((l.incident.first_seen - first).max(0) / 86_400) as usize)
                .filter(|i| *i < TIMELINE_DAYS as usize)
                .collect();
            (days, marks)
        });
        (list, timeline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fakes, Workspace};

    #[tokio::test]
    async fn the_overview_is_read_once_for_many_pages_and_again_after_a_change() {
        let f = Fakes::new();
        f.install(Workspace::active("beta"));
        f.install(Workspace::active("alpha").unchecked());
        let workspaces = f.workspaces_caching(Duration::from_secs(10));
        let rows = workspaces.overview(Freshness::Shared).await.unwrap();
        assert_eq!(rows.iter().map(|r| r.record.slug.clone().unwrap()).collect::<Vec<_>>(), ["alpha", "beta"]);
        assert_eq!(rows[0].health, Health::Healthy, "an unchecked row's bundle is read for its expiry");
        for _ in 0..5 {
            let _ = workspaces.overview(Freshness::Shared).await.unwrap();
        }
        assert_eq!(f.registry.script.count("all"), 1);
        f.views.bump();
        let _ = workspaces.overview(Freshness::SinceChange).await.unwrap();
        assert_eq!(f.registry.script.count("all"), 2, "read again after a change");
    }

    #[tokio::test]
    async fn two_active_rows_claiming_one_url_key_are_flagged_on_both_and_a_revoked_one_is_not() {
        let f = Fakes::new();
        let a = f.install(Workspace::active("globex"));
        let b = f.install(Workspace::active("globex-b"));
        let c = f.install(Workspace::active("globex-c").revoked());
        for org in [&b.org, &c.org] {
            f.registry.edit(org, |r| r.slug = Some("globex".into()));
        }
        let workspaces = f.workspaces_caching(Duration::ZERO);
        let rows = workspaces.overview(Freshness::SinceChange).await.unwrap();
        let shared = |org: &OrgId| rows.iter().find(|w| w.record.org_id == *org).unwrap().slug_shared_with.clone();
        assert_eq!(shared(&a.org), [b.org.to_string()]);
        assert_eq!(shared(&b.org), [a.org.to_string()]);
        assert!(shared(&c.org).is_empty(), "a revoked row is not found by the platform's lookups");
        let page = workspaces.workspace(&a.org, Freshness::SinceChange).await.unwrap().unwrap();
        assert_eq!(page.row.slug_shared_with, [b.org.to_string()]);
    }

    #[tokio::test]
    async fn a_workspace_page_says_what_its_bundle_holds_and_never_a_token() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        let view = f.workspaces_caching(Duration::ZERO).workspace(&ws.org, Freshness::SinceChange).await.unwrap().unwrap();
        assert!(matches!(view.bundle, BundleState::Present { has_tokens: true, has_webhook_secret: false, .. }));
        assert!(!format!("{view:?}").contains(&ws.refresh), "no token in what the page gets");
        f.vault.set(&ws.arn, "not json");
        let view = f.workspaces_caching(Duration::ZERO).workspace(&ws.org, Freshness::SinceChange).await.unwrap().unwrap();
        assert_eq!((view.bundle, view.row.health), (BundleState::Unreadable, Health::NeedsReconnect));
        assert!(f
            .workspaces_caching(Duration::ZERO)
            .workspace(&OrgId::parse("nope").unwrap(), Freshness::SinceChange)
            .await
            .unwrap()
            .is_none());
    }
}
