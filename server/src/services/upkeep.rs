//! *Check now* and *Refresh token* for one workspace. A refresh is single-flight across console
//! instances (a lease on the registry row), re-reads the bundle after taking the lease, and
//! saves the rotated tokens at once: a refresh token Linear has rotated is never left unsaved
//! without an error in the log and on the row.
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use crate::adapters::dynamodb::audit::AuditLog;
use crate::adapters::dynamodb::registry::{Registry, RegistryError};
use crate::adapters::linear::graphql::{ApiError, LinearApi};
use crate::adapters::linear::oauth::{AppCredentials, LinearOAuth, TokenError};
use crate::adapters::secrets::{StoreError, TokenStore};
use crate::domain::audit::{Actor, Outcome};
use crate::domain::health::CheckResult;
use crate::domain::incidents::Observation;
use crate::domain::iso_millis;
use crate::domain::parse_iso;
use crate::domain::registry::RegistryRecord;
use crate::domain::token_bundle::TokenBundle;
use crate::services::incidents::{Subject, Watch};

/// How long a refresh may hold the row; a crashed holder's lease runs out after this.
pub const LEASE_SECONDS: i64 = 60;
const SAVE_ATTEMPTS: u32 = 4;
/// After `invalid_grant`, the bundle is read again after each of these pauses (about 5 s in all)
/// before the grant is called dead: a platform Lambda refreshes without the console's lease and
/// may save its rotated token a moment after Linear already refused ours.
const GRANT_RECHECKS: [Duration; 4] =
    [Duration::from_millis(250), Duration::from_millis(750), Duration::from_millis(1500), Duration::from_millis(2500)];

/// An active workspace's bundle: its secret id, the platform's reading of it, and its value as
/// stored (so a rewrite keeps the fields the console does not know).
pub struct ActiveBundle {
    pub arn: String,
    pub bundle: TokenBundle,
    pub stored: SecretString,
    /// The registry row it was found through.
    pub row: RegistryRecord,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    Refreshed {
        expires_at: String,
    },
    /// Linear said `invalid_grant`, but the bundle's refresh token had changed: another actor
    /// (a platform Lambda) refreshed first, and its tokens are in the bundle.
    AlreadyRefreshed,
    /// `invalid_grant` and the bundle unchanged: the grant is dead.
    GrantDead,
    /// Another console instance holds the lease right now.
    Busy,
    /// Linear failed for a passing reason; nothing changed.
    Failed {
        reason: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum UpkeepError {
    #[error("the workspace is not in the registry")]
    NotFound,
    #[error("the workspace is not active")]
    NotActive,
    #[error("the token bundle is missing or not usable for tokens")]
    BundleUnusable,
    /// Linear rotated the refresh token and the new one could not be saved.
    #[error("the refreshed tokens could not be saved: {0}")]
    Unsaved(#[source] StoreError),
    #[error("{0}")]
    Registry(#[source] RegistryError),
    #[error("{0}")]
    Secrets(#[source] StoreError),
}

impl UpkeepError {
    /// How its audit event reads: refused for the admin's mistake, failed for a service's.
    pub fn outcome(&self) -> Outcome {
        match self {
            UpkeepError::NotFound | UpkeepError::NotActive => Outcome::Refused,
            _ => Outcome::Failure,
        }
    }
}

#[derive(Clone)]
pub struct TokenUpkeep {
    audit: AuditLog,
    registry: Registry,
    tokens: TokenStore,
    oauth: LinearOAuth,
    api: LinearApi,
    /// Names this console instance in leases.
    instance: String,
    watch: Option<Watch>,
}

impl TokenUpkeep {
    pub fn new(registry: Registry, tokens: TokenStore, oauth: LinearOAuth, api: LinearApi, audit: AuditLog) -> TokenUpkeep {
        TokenUpkeep { audit, registry, tokens, oauth, api, instance: uuid::Uuid::new_v4().to_string(), watch: None }
    }

    /// An active workspace's bundle, parsed by the platform's rule for token use.
    pub async fn active_bundle(&self, org_id: &str) -> Result<ActiveBundle, UpkeepError> {
        let row = self.registry.get(org_id).await.map_err(UpkeepError::Registry)?.ok_or(UpkeepError::NotFound)?;
        if !row.is_active() {
            return Err(UpkeepError::NotActive);
        }
        let arn = row.secret_arn.clone().ok_or(UpkeepError::BundleUnusable)?;
        let secret = self.tokens.read(&arn).await.map_err(UpkeepError::Secrets)?.ok_or(UpkeepError::BundleUnusable)?;
        let bundle = TokenBundle::parse(secret.value.expose_secret()).map_err(|_| UpkeepError::BundleUnusable)?;
        Ok(ActiveBundle { arn, bundle, stored: secret.value, row })
    }

    /// *Check now*: a `viewer` query with the stored access token, recorded on the row and audited.
    pub async fn check(&self, actor: &Actor, org_id: &str) -> Result<CheckResult, UpkeepError> {
        let result = self.check_with_limit(org_id).await.map(|(r, _)| r);
        let (outcome, detail) = match &result {
            Ok(CheckResult::Ok) => (Outcome::Success, "Linear answered: ok".to_owned()),
            Ok(r) => (Outcome::Failure, format!("Linear answered: {}", r.as_str())),
            Err(e) => (e.outcome(), e.to_string()),
        };
        let _ = self.audit.record(actor.event("workspace.check", org_id, outcome, detail)).await;
        result
    }

    /// As `check`, also returning when Linear's rate limit for this token resets (epoch ms)
    /// if it said the token has no requests left.
    pub async fn check_with_limit(&self, org_id: &str) -> Result<(CheckResult, Option<i64>), UpkeepError> {
        let active = match self.active_bundle(org_id).await {
            Ok(active) => active,
            Err(e @ UpkeepError::BundleUnusable) => {
                self.observe_unusable(org_id).await;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let (bundle, row) = (active.bundle, active.row);
        let (result, reset) = match self.api.viewer(&bundle.access_token).await {
            Ok(_) => (CheckResult::Ok, None),
            Err(ApiError::Unauthenticated { .. }) => (CheckResult::Unauthenticated, None),
            Err(ApiError::RateLimited) => (CheckResult::RateLimited, None),
            Err(ApiError::RateLimitedUntil(reset)) => (CheckResult::RateLimited, reset),
            Err(ApiError::Timeout) => (CheckResult::Timeout, None),
            Err(_) => (CheckResult::Unavailable, None),
        };
        let at = OffsetDateTime::now_utc();
        let now = iso_millis(at);
        self.registry.record_check(org_id, &now, result.as_str(), Some(&bundle.expires_at)).await.map_err(UpkeepError::Registry)?;
        if let Some(watch) = &self.watch {
            let mut facts = row.facts();
            facts.bundle_has_tokens = Some(true);
            facts.expires_at = parse_iso(&bundle.expires_at);
            facts.last_check = Some((at, result));
            let o = Observation::of(at, &facts, row.revoked_by_admin());
            let who = Subject { org_id, slug: row.slug.as_deref(), name: row.console.name.as_deref() };
            watch.observe(who, o, "check", &format!("check: Linear answered {}", result.as_str()), at.unix_timestamp()).await;
        }
        Ok((result, reset))
    }

    /// A bundle without usable tokens: the workspace needs reconnecting (an incident).
    async fn observe_unusable(&self, org_id: &str) {
        let Some(watch) = &self.watch else { return };
        let Ok(Some(row)) = self.registry.get(org_id).await else { return };
        let at = OffsetDateTime::now_utc();
        let mut facts = row.facts();
        facts.bundle_has_tokens = Some(false);
        let o = Observation::of(at, &facts, row.revoked_by_admin());
        let who = Subject { org_id, slug: row.slug.as_deref(), name: row.console.name.as_deref() };
        watch.observe(who, o, "check", "check: the token bundle is missing or holds no tokens", at.unix_timestamp()).await;
    }

    /// After a refresh: the row as it now stands (the refresh recorded on it), observed.
    async fn observe_refresh(&self, org_id: &str, evidence: &str) {
        let Some(watch) = &self.watch else { return };
        let Ok(Some(row)) = self.registry.get(org_id).await else { return };
        let at = OffsetDateTime::now_utc();
        let o = Observation::of(at, &row.facts(), row.revoked_by_admin());
        let who = Subject { org_id, slug: row.slug.as_deref(), name: row.console.name.as_deref() };
        watch.observe(who, o, "refresh", evidence, at.unix_timestamp()).await;
    }

    /// The incident bookkeeping every check and refresh goes through (set once at start).
    pub fn with_watch(mut self, watch: Watch) -> TokenUpkeep {
        self.watch = Some(watch);
        self
    }

    /// *Refresh token* (or the sweep's refresh): rotation-safe, single-flight, audited.
    pub async fn refresh(&self, actor: &Actor, org_id: &str) -> Result<RefreshOutcome, UpkeepError> {
        let result = self.refresh_tokens(org_id).await;
        let (outcome, detail) = match &result {
            Ok(RefreshOutcome::Refreshed { expires_at }) => (Outcome::Success, format!("new access token until {expires_at}")),
            Ok(RefreshOutcome::AlreadyRefreshed) => {
                (Outcome::Success, "another actor refreshed first; its tokens are in the bundle".to_owned())
            }
            Ok(RefreshOutcome::GrantDead) => (Outcome::Failure, "invalid_grant: the workspace needs reconnecting".to_owned()),
            Ok(RefreshOutcome::Busy) => (Outcome::Refused, "another console instance is refreshing".to_owned()),
            Ok(RefreshOutcome::Failed { reason }) => (Outcome::Failure, format!("Linear: {reason}; nothing changed")),
            Err(e) => (e.outcome(), e.to_string()),
        };
        let _ = self.audit.record(actor.event("workspace.refresh", org_id, outcome, detail)).await;
        result
    }

    async fn refresh_tokens(&self, org_id: &str) -> Result<RefreshOutcome, UpkeepError> {
        let now = OffsetDateTime::now_utc();
        match self.registry.take_lease(org_id, &self.instance, now.unix_timestamp(), LEASE_SECONDS).await {
            Ok(()) => {}
            Err(RegistryError::Conflict) => {
                // No row, or someone else's lease: tell which.
                return match self.registry.get(org_id).await.map_err(UpkeepError::Registry)? {
                    None => Err(UpkeepError::NotFound),
                    Some(_) => Ok(RefreshOutcome::Busy),
                };
            }
            Err(e) => return Err(UpkeepError::Registry(e)),
        }
        let result = self.refresh_leased(org_id).await;
        let at = iso_millis(OffsetDateTime::now_utc());
        let record = match &result {
            Ok(RefreshOutcome::Refreshed { expires_at }) => Some((at.as_str(), None, Some(expires_at.as_str()))),
            Ok(RefreshOutcome::GrantDead) => Some((at.as_str(), Some("invalid_grant"), None)),
            Ok(RefreshOutcome::Failed { reason }) => Some((at.as_str(), Some(reason.as_str()), None)),
            Err(UpkeepError::Unsaved(_)) => Some((at.as_str(), Some("unsaved"), None)),
            _ => None,
        };
        if let Err(e) = self.registry.release_lease(org_id, &self.instance, record).await {
            // The lease runs out by itself; the outcome stands.
            tracing::warn!(error = %e, "could not release the refresh lease");
        }
        let evidence = match &result {
            Ok(RefreshOutcome::Refreshed { .. }) => Some("refresh: new tokens".to_owned()),
            Ok(RefreshOutcome::GrantDead) => Some("refresh: Linear answered invalid_grant".to_owned()),
            Ok(RefreshOutcome::Failed { reason }) => Some(format!("refresh: Linear answered {reason}")),
            _ => None,
        };
        if let Some(evidence) = evidence {
            self.observe_refresh(org_id, &evidence).await;
        }
        result
    }

    async fn refresh_leased(&self, org_id: &str) -> Result<RefreshOutcome, UpkeepError> {
        // Re-read after taking the lease: a Lambda may have refreshed just before.
        let ActiveBundle { arn, bundle, stored, .. } = self.active_bundle(org_id).await?;
        let creds = AppCredentials { client_id: bundle.client_id.clone(), client_secret: bundle.client_secret.clone() };
        let issued = match self.oauth.refresh(&creds, &bundle.refresh_token, &bundle.scope).await {
            Ok(issued) => issued,
            Err(TokenError::Rejected { code }) if code == "invalid_grant" => return self.after_invalid_grant(org_id, &bundle).await,
            Err(TokenError::Rejected { code }) => return Ok(RefreshOutcome::Failed { reason: code }),
            Err(TokenError::Timeout) => return Ok(RefreshOutcome::Failed { reason: "timeout".into() }),
            Err(_) => return Ok(RefreshOutcome::Failed { reason: "unavailable".into() }),
        };
        let now = OffsetDateTime::now_utc();
        let expires_at = iso_millis(now + issued.expires_in);
        let updated = TokenBundle {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            expires_at: expires_at.clone(),
            scope: issued.scope,
            updated_at: iso_millis(now),
            ..bundle
        };
        // The old refresh token is dead now: the new one must be saved, so try hard.
        let value: SecretString = updated.over(Some(&stored));
        let mut last = None;
        for attempt in 0..SAVE_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt))).await;
            }
            match self.tokens.put_value(&arn, &value).await {
                Ok(()) => return Ok(RefreshOutcome::Refreshed { expires_at }),
                Err(e) => last = Some(e),
            }
        }
        let last = last.unwrap_or_else(|| StoreError("no attempt was made".into()));
        tracing::error!(error = %last, workspace = org_id, "refreshed tokens could not be saved: the workspace needs reconnecting");
        Err(UpkeepError::Unsaved(last))
    }

    /// Linear refused our refresh token. If another actor rotated it, its tokens are (or are about
    /// to be) in the bundle: read it again a few times over a few seconds before calling the grant dead.
    async fn after_invalid_grant(&self, org_id: &str, ours: &TokenBundle) -> Result<RefreshOutcome, UpkeepError> {
        for pause in GRANT_RECHECKS {
            tokio::time::sleep(pause).await;
            let now = self.active_bundle(org_id).await?.bundle;
            if now.refresh_token.expose_secret() != ours.refresh_token.expose_secret() {
                return Ok(RefreshOutcome::AlreadyRefreshed);
            }
        }
        Ok(RefreshOutcome::GrantDead)
    }
}
