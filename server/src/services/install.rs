//! Installing and reconnecting a Linear workspace: consent URL, code exchange, workspace facts,
//! token bundle, then the registry row, in that order, so a failure never leaves a row that
//! points at tokens that were not saved. Every outcome is audited by the routes in `routes.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::identity::Identity;
use app::ports::{InstallPort, PortError, PortResult};
use app::wire::{ConnectInfo, CredentialSource, InstallFailure};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::adapters::dynamodb::audit::AuditLog;
use crate::adapters::dynamodb::registry::{Registry, RegistryError};
use crate::adapters::linear::graphql::{ApiError, InstallFacts, LinearApi};
use crate::adapters::linear::oauth::{AppCredentials, LinearOAuth, Revocation, TokenError, SCOPES};
use crate::adapters::secrets::{StoreError, TokenStore};
use crate::config::Config;
use crate::domain::audit::{Actor, Outcome};
use crate::domain::iso_millis;
use crate::domain::registry::{Expect, InstallRecord, RegistryRecord};
use crate::domain::slug::WorkspaceSlug;
use crate::domain::token_bundle::{StoredBundle, TokenBundle, WebhookSecret};

/// How long a consent may take, from the redirect to Linear to the callback.
pub const CONSENT_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Registry writes after the bundle was saved are tried this many times.
const REGISTRY_ATTEMPTS: u32 = 3;

/// Kept in the server-side session between `/linear/connect` and `/linear/callback`.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingConsent {
    pub state: String,
    pub verifier: String,
    pub expires_at: i64,
    pub reconnect: Option<ReconnectTarget>,
}

impl std::fmt::Debug for PendingConsent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingConsent").field("expires_at", &self.expires_at).field("reconnect", &self.reconnect).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconnectTarget {
    pub org_id: String,
    pub slug: Option<String>,
}

/// An install whose bundle is saved but whose registry row is not: enough to finish it
/// (no tokens here; they are in the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfinished {
    pub org_id: String,
    pub slug: String,
    pub name: String,
    pub secret_arn: String,
    pub installed_at: String,
    pub token_expires_at: String,
    pub team_keys: Vec<String>,
    pub webhook: WebhookSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebhookSource {
    /// The bundle already had one.
    Kept,
    /// Copied from the stack-wide secret.
    CopiedFromStack,
    /// Neither: the admin is asked for it.
    Missing,
}

impl WebhookSource {
    fn describe(self) -> &'static str {
        match self {
            WebhookSource::Kept => "webhook signing secret kept",
            WebhookSource::CopiedFromStack => "webhook signing secret copied from the stack",
            WebhookSource::Missing => "no webhook signing secret yet",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub org_id: String,
    pub slug: String,
    pub name: String,
    pub reconnected: bool,
    pub webhook: WebhookSource,
    /// The bundle the workspace used before its slug changed, and what became of it.
    pub retired: Option<Retired>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retired {
    /// Deleted at once: a deletion scheduled for later would block the platform's
    /// `setup <old slug>` (CreateSecret of that name) for its whole recovery window.
    Deleted(String),
    /// Could not be deleted: recorded on the row as an orphaned secret.
    Orphaned(String),
}

/// Why an install stopped. Each maps to one page message and one audit outcome.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("no Linear OAuth app credentials are configured or reusable")]
    NoCredentials,
    #[error("the workspace to reconnect is not in the registry")]
    UnknownWorkspace,
    #[error("code exchange: {0}")]
    Exchange(#[source] TokenError),
    #[error("GraphQL: {0}")]
    Api(#[source] ApiError),
    #[error("Linear's urlKey is not a valid workspace slug")]
    InvalidSlug { url_key: String },
    #[error("bgagent-linear-oauth-{slug} holds the tokens of organization {owner}")]
    SlugInUse { slug: String, owner: String },
    #[error("authorized {authorized_slug} instead of the workspace being reconnected")]
    WrongWorkspace { authorized_name: String, authorized_slug: String, authorized_org: String },
    #[error("{0}")]
    Secrets(#[source] StoreError),
    #[error("the saved token bundle is no longer there (or is another workspace's)")]
    BundleGone,
    #[error("registry read: {0}")]
    RegistryRead(#[source] RegistryError),
    #[error("bundle saved, registry row not written: {cause}")]
    Unfinished { cause: RegistryError, unfinished: Unfinished },
}

impl InstallError {
    pub fn failure(&self) -> InstallFailure {
        match self {
            InstallError::NoCredentials => InstallFailure::NoCredentials,
            InstallError::UnknownWorkspace => InstallFailure::UnknownWorkspace,
            InstallError::Exchange(TokenError::Rejected { .. } | TokenError::Malformed(_)) => InstallFailure::ExchangeRejected,
            InstallError::Exchange(TokenError::Timeout) => InstallFailure::ExchangeTimeout,
            InstallError::Exchange(TokenError::Unavailable { .. } | TokenError::Unreachable) => InstallFailure::ExchangeUnavailable,
            InstallError::Api(ApiError::RateLimited | ApiError::RateLimitedUntil(_)) => InstallFailure::LinearRateLimited,
            InstallError::Api(_) => InstallFailure::LinearApi,
            InstallError::InvalidSlug { .. } => InstallFailure::InvalidSlug,
            InstallError::WrongWorkspace { .. } => InstallFailure::WrongWorkspace,
            InstallError::SlugInUse { .. } => InstallFailure::SlugInUse,
            InstallError::Secrets(_) | InstallError::BundleGone | InstallError::RegistryRead(_) => InstallFailure::SecretsUnavailable,
            InstallError::Unfinished { .. } => InstallFailure::RegistryUnfinished,
        }
    }
}

/// What became of the tokens Linear issued for a consent the console did not store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantFate {
    Revoked,
    /// Linear said the token was no longer live.
    AlreadyDead,
    /// The revocation failed (why, without a token): the grant may still be live at Linear.
    RevokeFailed(String),
}

impl GrantFate {
    pub fn describe(&self) -> String {
        match self {
            GrantFate::Revoked => "the tokens Linear issued were revoked".to_owned(),
            GrantFate::AlreadyDead => "the tokens Linear issued were already dead".to_owned(),
            GrantFate::RevokeFailed(why) => format!("revoking the tokens Linear issued FAILED ({why}): remove the app's grant on Linear"),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            GrantFate::Revoked | GrantFate::AlreadyDead => "revoked",
            GrantFate::RevokeFailed(_) => "revoke_failed",
        }
    }
}

/// An install that stopped: why, and (once Linear had issued tokens) what became of them.
#[derive(Debug)]
pub struct Failed {
    pub error: InstallError,
    pub grant: Option<GrantFate>,
}

impl Failed {
    /// A failure before Linear issued anything.
    fn kept(error: InstallError) -> Failed {
        Failed { error, grant: None }
    }
}

/// Time spent in each backend call of one request, for the `Server-Timing` header.
#[derive(Debug, Default, Clone)]
pub struct Timings(pub Vec<(&'static str, Duration)>);

/// Awaits a backend call and records how long it took.
macro_rules! timed {
    ($t:expr, $name:literal, $call:expr) => {{
        let start = Instant::now();
        let out = $call.await;
        $t.0.push(($name, start.elapsed()));
        out
    }};
}

/// Runs a backend call and says how long it took (for calls made side by side).
pub async fn clock<T>(fut: impl std::future::Future<Output = T>) -> (T, Duration) {
    let start = Instant::now();
    let out = fut.await;
    (out, start.elapsed())
}

impl Timings {
    pub fn header(&self) -> String {
        self.0.iter().map(|(n, d)| format!("{n};dur={:.1}", d.as_secs_f64() * 1000.0)).collect::<Vec<_>>().join(", ")
    }
}

#[derive(Clone)]
pub struct Installer {
    config: Arc<Config>,
    registry: Registry,
    tokens: TokenStore,
    oauth: LinearOAuth,
    api: LinearApi,
    audit: AuditLog,
}

impl Installer {
    pub fn new(config: Arc<Config>, registry: Registry, tokens: TokenStore, http: reqwest::Client, audit: AuditLog) -> Installer {
        let l = &config.linear;
        let oauth = LinearOAuth::new(http.clone(), &l.base_url, &l.api_url, &l.redirect_uri);
        let api = LinearApi::new(http, &l.api_url);
        Installer { config, registry, tokens, oauth, api, audit }
    }

    /// The Linear app's credentials: configured, or reused from the first active workspace
    /// whose bundle carries them (as the platform's CLI does).
    pub async fn credentials(&self) -> Result<Option<(AppCredentials, CredentialSource)>, InstallError> {
        if let (Some(id), Some(secret)) = (&self.config.linear.client_id, &self.config.linear.client_secret) {
            let creds = AppCredentials { client_id: id.clone(), client_secret: secret.clone() };
            return Ok(Some((creds, CredentialSource::Configured { client_id: id.clone() })));
        }
        let mut active: Vec<RegistryRecord> =
            self.registry.records().await.map_err(InstallError::RegistryRead)?.into_iter().filter(RegistryRecord::is_active).collect();
        active.sort_by(|a, b| a.slug.cmp(&b.slug));
        for ws in active {
            let Some(arn) = &ws.secret_arn else { continue };
            let Some(bundle) = self.tokens.read_bundle(arn).await.map_err(InstallError::Secrets)? else { continue };
            if let Some((client_id, client_secret)) = bundle.app_credentials() {
                let source = CredentialSource::Reused { client_id: client_id.clone(), slug: ws.slug.unwrap_or_default() };
                return Ok(Some((AppCredentials { client_id, client_secret }, source)));
            }
        }
        Ok(None)
    }

    /// Starts a consent: the URL to send the admin to and what the session must keep.
    pub async fn begin(&self, reconnect_org: Option<&str>, now: i64) -> Result<(String, PendingConsent), InstallError> {
        let reconnect = match reconnect_org {
            None => None,
            Some(org_id) => {
                let row = self.registry.get(org_id).await.map_err(InstallError::RegistryRead)?;
                let row = row.ok_or(InstallError::UnknownWorkspace)?;
                Some(ReconnectTarget { org_id: org_id.to_owned(), slug: row.slug })
            }
        };
        let (creds, _) = self.credentials().await?.ok_or(InstallError::NoCredentials)?;
        let auth = self.oauth.authorization(&creds).map_err(|_| InstallError::NoCredentials)?;
        let pending = PendingConsent {
            state: auth.state,
            verifier: auth.verifier.expose_secret().to_owned(),
            expires_at: now + CONSENT_WINDOW.as_secs() as i64,
            reconnect,
        };
        Ok((auth.url, pending))
    }

    /// Completes a consent Linear approved: exchange, facts, bundle, registry. Once Linear has
    /// issued tokens, a path that does not store them revokes them at Linear before it returns
    /// (no grant is left live without a record); the failure says how that went.
    pub async fn complete(&self, admin: &Identity, pending: &PendingConsent, code: &str, t: &mut Timings) -> Result<Completed, Failed> {
        let (creds, _) =
            timed!(t, "credentials", self.credentials()).map_err(Failed::kept)?.ok_or(Failed::kept(InstallError::NoCredentials))?;
        let verifier = SecretString::from(pending.verifier.clone());
        let issued =
            timed!(t, "linear-token", self.oauth.exchange(&creds, code, &verifier)).map_err(|e| Failed::kept(InstallError::Exchange(e)))?;
        let (access, refresh) = (issued.access_token.clone(), issued.refresh_token.clone());
        match self.keep_issued(admin, pending, issued, creds, t).await {
            Ok(done) => Ok(done),
            // The bundle is saved: the tokens have their record.
            Err(error @ InstallError::Unfinished { .. }) => Err(Failed { error, grant: None }),
            Err(error) => {
                let (grant, took) = clock(self.discard(&access, Some(&refresh))).await;
                t.0.push(("linear-revoke", took));
                Err(Failed { error, grant: Some(grant) })
            }
        }
    }

    /// Revokes tokens the console will not store (the refresh token first, as a removal does).
    async fn discard(&self, access: &SecretString, refresh: Option<&SecretString>) -> GrantFate {
        let mut fate = GrantFate::AlreadyDead;
        for (field, token) in [("refresh_token", refresh), ("access_token", Some(access))] {
            let Some(token) = token else { continue };
            match self.oauth.revoke(field, token).await {
                Ok(Revocation::Revoked) => fate = GrantFate::Revoked,
                Ok(Revocation::AlreadyDead) => {}
                Err(e) => {
                    tracing::error!(error = %e, "tokens Linear issued for an install that stopped could not be revoked");
                    return GrantFate::RevokeFailed(e.to_string());
                }
            }
        }
        fate
    }

    /// The part of [`Installer::complete`] after the exchange: facts, checks, bundle, registry.
    async fn keep_issued(
        &self,
        admin: &Identity,
        pending: &PendingConsent,
        issued: crate::adapters::linear::oauth::IssuedTokens,
        creds: AppCredentials,
        t: &mut Timings,
    ) -> Result<Completed, InstallError> {
        let facts: InstallFacts = timed!(t, "linear-graphql", self.api.install_facts(&issued.access_token)).map_err(InstallError::Api)?;
        let org = &facts.organization;
        let slug = WorkspaceSlug::parse(&org.url_key).map_err(|_| InstallError::InvalidSlug { url_key: org.url_key.clone() })?;
        if let Some(target) = &pending.reconnect {
            if target.org_id != org.id {
                return Err(InstallError::WrongWorkspace {
                    authorized_name: org.name.clone(),
                    authorized_slug: slug.to_string(),
                    authorized_org: org.id.clone(),
                });
            }
        }

        // Two independent reads side by side: the bundle under this slug and the registry row
        // the write will be conditioned on.
        let name = slug.secret_name();
        let ((existing, d1), (previous, d2)) = tokio::join!(clock(self.tokens.read(&name)), clock(self.registry.get(&org.id)));
        t.0.extend([("secrets-read", d1), ("dynamodb-read", d2)]);
        let current = existing.map_err(InstallError::Secrets)?.map(|s| s.value);
        let existing = current.as_ref().and_then(|v| StoredBundle::read(v.expose_secret()).ok());
        // A slug Linear gave another organization before (renamed since) must not overwrite its tokens.
        if let Some(owner) = existing.as_ref().and_then(|b| b.workspace_id.clone()).filter(|owner| *owner != org.id) {
            return Err(InstallError::SlugInUse { slug: slug.to_string(), owner });
        }
        // Keep the bundle's webhook secret; else the stack's real one; else ask the admin.
        let (webhook_signing_secret, webhook) = match existing.and_then(|b| b.webhook_signing_secret) {
            Some(w) => (Some(w), WebhookSource::Kept),
            None => match timed!(t, "secrets-read-stack", self.tokens.stack_webhook_secret(&self.config.webhook_secret_arn)) {
                Ok(Some(WebhookSecret(w))) => (Some(w), WebhookSource::CopiedFromStack),
                Ok(None) => (None, WebhookSource::Missing),
                Err(e) => return Err(InstallError::Secrets(e)),
            },
        };

        // A reconnect keeps the original installer, in the bundle as on the row (the platform's
        // remove-workspace API lets only the installer remove a workspace).
        let installer = previous.as_ref().ok().and_then(|p| p.as_ref()?.installed_by.clone()).unwrap_or_else(|| admin.sub.clone());
        let now = OffsetDateTime::now_utc();
        let installed_at = iso_millis(now);
        let bundle = TokenBundle {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            expires_at: iso_millis(now + issued.expires_in),
            scope: issued.scope,
            client_id: creds.client_id,
            client_secret: creds.client_secret,
            workspace_id: org.id.clone(),
            workspace_slug: slug.to_string(),
            installed_at: installed_at.clone(),
            updated_at: installed_at.clone(),
            installed_by_platform_user_id: installer,
            webhook_signing_secret,
        };
        let secret_arn =
            timed!(t, "secrets-write", self.tokens.write_bundle(&slug, &bundle, current.as_ref())).map_err(InstallError::Secrets)?;

        let unfinished = Unfinished {
            org_id: org.id.clone(),
            slug: slug.to_string(),
            name: org.name.clone(),
            secret_arn,
            installed_at,
            token_expires_at: bundle.expires_at.clone(),
            team_keys: facts.team_keys.clone(),
            webhook,
        };
        timed!(t, "dynamodb-write", self.write_registry(admin, unfinished, previous.ok()))
    }

    /// Writes the registry row for a saved bundle: retried on throttling or a lost race.
    /// `known` is the row as just read, if it was; otherwise (and on every retry) it is read again.
    pub async fn write_registry(
        &self,
        admin: &Identity,
        u: Unfinished,
        known: Option<Option<RegistryRecord>>,
    ) -> Result<Completed, InstallError> {
        let mut known = known;
        let slug = match WorkspaceSlug::parse(&u.slug) {
            Ok(slug) => slug,
            Err(_) => return Err(InstallError::InvalidSlug { url_key: u.slug }),
        };
        let record = InstallRecord {
            org_id: u.org_id.clone(),
            slug,
            name: u.name.clone(),
            secret_arn: u.secret_arn.clone(),
            consented_by: admin.sub.clone(),
            installed_at: u.installed_at.clone(),
            team_keys: u.team_keys.clone(),
            token_expires_at: u.token_expires_at.clone(),
        };
        let mut last = RegistryError::Conflict;
        for attempt in 0..REGISTRY_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            }
            let previous = match known.take() {
                Some(row) => row,
                None => match self.registry.get(&u.org_id).await {
                    Ok(row) => row,
                    Err(e) => {
                        last = e;
                        continue;
                    }
                },
            };
            match self.registry.record_install(&record, &Expect::of(previous.as_ref()), previous.as_ref()).await {
                Ok(_) => {
                    let old_arn = previous.as_ref().and_then(|p| p.secret_arn.clone());
                    let retired = match old_arn {
                        Some(old) => self.retire_previous_bundle(&u.org_id, &old, &u.secret_arn).await,
                        None => None,
                    };
                    return Ok(Completed {
                        org_id: u.org_id,
                        slug: u.slug,
                        name: u.name,
                        reconnected: previous.is_some(),
                        webhook: u.webhook,
                        retired,
                    });
                }
                Err(e) => last = e,
            }
        }
        Err(InstallError::Unfinished { cause: last, unfinished: u })
    }

    /// After a reconnect under a new slug, the old bundle holds superseded tokens of the same
    /// organization: schedule its deletion, or record it on the row as orphaned.
    async fn retire_previous_bundle(&self, org_id: &str, old_arn: &str, new_arn: &str) -> Option<Retired> {
        if old_arn == new_arn || secret_name_of_arn(old_arn) == secret_name_of_arn(new_arn) {
            return None;
        }
        // Only a bundle that is this organization's: never delete what is not ours to delete.
        let old = self.tokens.read(old_arn).await.ok().flatten()?;
        let owner = StoredBundle::read(old.value.expose_secret()).ok().and_then(|b| b.workspace_id);
        if owner.as_deref() != Some(org_id) {
            return None;
        }
        match self.tokens.delete_now(&old.arn).await {
            Ok(()) => Some(Retired::Deleted(old.arn)),
            Err(e) => {
                tracing::warn!(error = %e, "could not delete the superseded token bundle");
                if let Err(e) = self.registry.mark_orphaned(org_id, &old.arn, &e.to_string()).await {
                    tracing::error!(error = %e, secret = %old.arn, "superseded token bundle neither deleted nor recorded");
                }
                Some(Retired::Orphaned(old.arn))
            }
        }
    }

    /// Finishes an install whose registry write failed, from the saved bundle (no new consent).
    pub async fn finish(&self, admin: &Identity, u: Unfinished) -> Result<Completed, InstallError> {
        let secret = self.tokens.read(&u.secret_arn).await.map_err(InstallError::Secrets)?;
        let bundle = secret.and_then(|s| StoredBundle::read(s.value.expose_secret()).ok());
        if bundle.and_then(|b| b.workspace_id).as_deref() != Some(u.org_id.as_str()) {
            // The bundle is gone or now belongs elsewhere: a fresh consent is the only safe way.
            return Err(InstallError::BundleGone);
        }
        self.write_registry(admin, u, None).await
    }

    /// Stores the webhook signing secret an admin typed, validated, in the workspace's bundle;
    /// audited (never with the value).
    pub async fn save_webhook_secret(&self, actor: &Actor, org_id: &str, typed: &str) -> Result<(), WebhookError> {
        let result = match WebhookSecret::parse(typed) {
            Ok(secret) => self.set_webhook_secret(org_id, secret).await,
            Err(_) => Err(WebhookError::Invalid),
        };
        let (outcome, detail) = match &result {
            Ok(()) => (Outcome::Success, "webhook signing secret stored".to_owned()),
            Err(e @ (WebhookError::Registry(_) | WebhookError::Secrets(_) | WebhookError::Unreadable)) => (Outcome::Failure, e.to_string()),
            Err(e) => (Outcome::Refused, e.to_string()),
        };
        let _ = self.audit.record(actor.event("workspace.webhook_secret", org_id, outcome, detail)).await;
        result
    }

    async fn set_webhook_secret(&self, org_id: &str, secret: WebhookSecret) -> Result<(), WebhookError> {
        let row = self.registry.get(org_id).await.map_err(WebhookError::Registry)?;
        let arn = row.and_then(|r| r.secret_arn).ok_or(WebhookError::NotInstalled)?;
        let stored = self.tokens.read(&arn).await.map_err(WebhookError::Secrets)?;
        let stored = stored.ok_or(WebhookError::NotInstalled)?;
        let bundle = StoredBundle::read(stored.value.expose_secret()).map_err(|_| WebhookError::Unreadable)?;
        // A platform Lambda rewrites the whole bundle when it refreshes (within 60 s of expiry).
        // Writing outside that window cannot undo a rotation it makes.
        let expires = bundle.expires_at.as_deref().and_then(crate::domain::parse_iso);
        if expires.is_some_and(|e| e - OffsetDateTime::now_utc() < time::Duration::minutes(5)) {
            return Err(WebhookError::RefreshDue);
        }
        let value = secret.into_bundle(&stored.value).map_err(|_| WebhookError::Unreadable)?;
        self.tokens.put_value(&arn, &value).await.map_err(WebhookError::Secrets)
    }

    /// Records an install event. A failing audit write is logged by the audit log itself.
    pub async fn record(&self, actor: &Actor, action: &'static str, target: Option<&str>, outcome: Outcome, detail: String) {
        let _ = self.audit.record(actor.event(action, target, outcome, detail)).await;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("not a Linear webhook signing secret (lin_wh_…)")]
    Invalid,
    #[error("the workspace is not installed")]
    NotInstalled,
    #[error("the token bundle is not JSON")]
    Unreadable,
    #[error("the access token is about to be refreshed by the platform")]
    RefreshDue,
    #[error("{0}")]
    Registry(#[source] RegistryError),
    #[error("{0}")]
    Secrets(#[source] StoreError),
}

impl Completed {
    pub fn detail(&self) -> String {
        let retired = match &self.retired {
            Some(Retired::Deleted(arn)) => format!("; previous bundle {arn} deleted"),
            Some(Retired::Orphaned(arn)) => format!("; previous bundle {arn} could not be deleted (recorded as orphaned)"),
            None => String::new(),
        };
        format!("{} ({}); {}{retired}", self.slug, self.name, self.webhook.describe())
    }
}

/// `bgagent-linear-oauth-acme` from `arn:aws:secretsmanager:…:secret:bgagent-linear-oauth-acme-Ab12Cd`.
/// (AWS appends `-` and six characters to the name in every secret ARN; a bare name is kept.)
fn secret_name_of_arn(arn: &str) -> &str {
    let Some((_, name)) = arn.rsplit_once(":secret:") else { return arn };
    match name.rsplit_once('-') {
        Some((base, suffix)) if suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric()) => base,
        _ => name,
    }
}

#[async_trait]
impl InstallPort for Installer {
    async fn connect_info(&self) -> PortResult<ConnectInfo> {
        let credentials = match self.credentials().await {
            Ok(Some((_, source))) => source,
            Ok(None) => CredentialSource::Missing,
            Err(e) => return Err(PortError { service: "AWS", cause: e.to_string() }),
        };
        Ok(ConnectInfo { redirect_uri: self.config.linear.redirect_uri.clone(), scopes: SCOPES.to_owned(), credentials })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_read_from_arns() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bgagent-linear-oauth-acme-eng-Ab12Cd";
        assert_eq!(secret_name_of_arn(arn), "bgagent-linear-oauth-acme-eng");
        assert_eq!(secret_name_of_arn("bgagent-linear-oauth-acmeco"), "bgagent-linear-oauth-acmeco");
        assert_eq!(secret_name_of_arn("arn:aws:secretsmanager:r:1:secret:plain"), "plain");
    }

    #[test]
    fn every_install_error_has_a_page() {
        let e = InstallError::SlugInUse { slug: "acme".into(), owner: "other".into() };
        assert_eq!(e.failure(), InstallFailure::SlugInUse);
        assert!(!e.to_string().is_empty());
    }
}
