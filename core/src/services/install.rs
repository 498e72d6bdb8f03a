//! Installing and reconnecting a Linear workspace: consent URL, code exchange, workspace facts,
//! token bundle, then the registry row, in that order, so a failure never leaves a row that
//! points at tokens that were not saved. Once Linear has issued tokens, a path that does not store
//! them revokes them at Linear before it returns: no grant is left live without a record. Every
//! outcome of a consent is audited here.
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::audit::{Action, Actor, Outcome};
use crate::cache::Epoch;
use crate::error::{chain, StoreError, Unavailable};
use crate::ids::{OrgId, UrlKey};
use crate::ports::{
    ApiError, AppCredentials, InstallFacts, InstallLinkStore, IssuedTokens, LinearApi, LinearOAuth, RegistryStore, Revocation, TokenError,
    TokenKind, TokenVault,
};
use crate::records::install_links::{InstallLink, LinkUse, Purpose};
use crate::records::registry::{Expect, InstallRecord, RegistryRecord};
use crate::records::token_bundle::{StoredBundle, TokenBundle, WebhookSecret};
use crate::services::audit::{AuditLog, Audited, Recorded};
use crate::time::{iso_millis, parse_iso, Clock};

/// How long a consent may take, from the redirect to Linear to the callback.
pub const CONSENT_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Registry writes after the bundle was saved are tried this many times.
const REGISTRY_ATTEMPTS: u32 = 3;

/// Kept in the server-side session between the redirect to Linear and the callback.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingConsent {
    pub state: String,
    pub verifier: String,
    pub expires_at: i64,
    pub reconnect: Option<ReconnectTarget>,
    /// The install link a Linear admin opened, when the consent came through one.
    #[serde(default)]
    pub via_link: Option<ViaLink>,
}

/// The install link a consent came through: its id (the token's hash), its tail, and who the person
/// said they were (Linear does not say who consented to an `actor=app` install).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViaLink {
    pub id: String,
    pub tail: String,
    pub stated_by: Option<String>,
}

impl std::fmt::Debug for PendingConsent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingConsent")
            .field("expires_at", &self.expires_at)
            .field("reconnect", &self.reconnect)
            .field("via_link", &self.via_link.as_ref().map(|v| &v.tail))
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconnectTarget {
    pub org_id: OrgId,
    pub slug: Option<String>,
}

/// An install whose bundle is saved but whose registry row is not: enough to finish it
/// (no tokens here; they are in the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfinished {
    pub org_id: OrgId,
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
    pub org_id: OrgId,
    pub slug: String,
    pub name: String,
    pub reconnected: bool,
    pub webhook: WebhookSource,
    /// The bundle the workspace used before its slug changed, and what became of it.
    pub retired: Option<Retired>,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retired {
    /// Deleted at once: a deletion scheduled for later would block the platform's
    /// `setup <old slug>` (CreateSecret of that name) for its whole recovery window.
    Deleted(String),
    /// Could not be deleted: recorded on the row as an orphaned secret.
    Orphaned(String),
}

/// Where the Linear app's credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// `LINEAR_CLIENT_ID` / `LINEAR_CLIENT_SECRET` in the console's configuration.
    Configured { client_id: String },
    /// Reused from an active workspace's bundle, as the platform's CLI does.
    Reused { client_id: String, slug: String },
}

/// What Linear sent back to the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentAnswer {
    /// Consent given: the code to exchange.
    Code(String),
    /// Linear answered with an OAuth error (`access_denied` when the person declined).
    Error(String),
    /// Neither a code nor an error.
    Nothing,
}

/// Why an install stopped. Each has one page message and one audit outcome.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("no consent of this session is waiting")]
    StateMissing,
    #[error("the consent's state does not match one of this session")]
    StateMismatch,
    #[error("the session could not be read or written")]
    SessionUnavailable,
    #[error("consent took longer than 10 minutes")]
    StateExpired,
    #[error("Linear answered access_denied: the person declined")]
    AccessDenied,
    #[error("Linear answered {0}")]
    LinearRefused(String),
    #[error("no Linear OAuth app credentials are configured or reusable")]
    NoCredentials,
    #[error("the workspace to reconnect is not in the registry")]
    UnknownWorkspace,
    #[error("code exchange: {0}")]
    Exchange(#[source] TokenError),
    #[error("GraphQL: {0}")]
    Api(#[source] ApiError),
    #[error("Linear urlKey {url_key:?} does not match the platform's slug rule")]
    InvalidSlug { url_key: String },
    #[error("bgagent-linear-oauth-{slug} holds the tokens of organization {owner}")]
    SlugInUse { slug: String, owner: String },
    #[error("Linear authorized {authorized_slug} ({authorized_name}, {authorized_org}) instead")]
    WrongWorkspace { authorized_name: String, authorized_slug: String, authorized_org: String },
    #[error("{0}")]
    Secrets(#[source] Unavailable),
    #[error("the saved token bundle is no longer there (or is another workspace's)")]
    BundleGone,
    #[error("registry read: {0}")]
    RegistryRead(#[source] StoreError),
    #[error("the install link was used, revoked or expired meanwhile")]
    LinkUnusable,
    #[error("Linear authorized {authorized_slug} ({authorized_name}), but the install link is for {bound} only")]
    LinkWrongWorkspace { authorized_name: String, authorized_slug: String, bound: String },
    #[error("install links: {0}")]
    LinkStore(#[source] Unavailable),
    #[error("tokens saved in {} but the registry row was not written: {cause}", unfinished.secret_arn)]
    Unfinished { cause: StoreError, unfinished: Box<Unfinished> },
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

    /// Whether the grant is known dead (`revoked` in the page's URL) or may still be live.
    pub fn dead(&self) -> bool {
        !matches!(self, GrantFate::RevokeFailed(_))
    }
}

/// An install that stopped: why, and (once Linear had issued tokens) what became of them.
#[derive(Debug)]
pub struct Failed {
    pub error: InstallError,
    pub grant: Option<GrantFate>,
    /// The workspace being reconnected, whose slug the admin expected.
    pub expected_slug: Option<String>,
}

impl Failed {
    /// A failure before Linear issued anything.
    fn kept(error: InstallError) -> Failed {
        Failed { error, grant: None, expected_slug: None }
    }
}

/// Time spent in each backend call of one install, for the `Server-Timing` header.
#[derive(Debug, Default, Clone)]
pub struct Timings(pub Vec<(&'static str, Duration)>);

impl Timings {
    pub fn header(&self) -> String {
        self.0.iter().map(|(n, d)| format!("{n};dur={:.1}", d.as_secs_f64() * 1000.0)).collect::<Vec<_>>().join(", ")
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
    #[error("registry: {0}")]
    Registry(#[source] StoreError),
    #[error("{0}")]
    Secrets(#[source] Unavailable),
}

/// What saving a webhook signing secret did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookSaved {
    /// The bundle had none.
    Stored,
    /// The bundle's secret was replaced.
    Replaced,
}

/// The Linear app as configured (its credentials may also come from a bundle).
#[derive(Debug, Clone, Default)]
pub struct InstallSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// The stack's webhook signing secret (its ARN), copied into a new bundle.
    pub webhook_secret_arn: String,
}

/// What the installer calls.
pub struct InstallParts {
    pub registry: Arc<dyn RegistryStore>,
    pub vault: Arc<dyn TokenVault>,
    pub oauth: Arc<dyn LinearOAuth>,
    pub api: Arc<dyn LinearApi>,
    pub audit: Arc<AuditLog>,
    pub clock: Arc<dyn Clock>,
    pub views: Epoch,
    pub settings: InstallSettings,
    pub links: Arc<dyn InstallLinkStore>,
}

pub struct Installer {
    p: InstallParts,
}

impl Installer {
    pub fn new(parts: InstallParts) -> Installer {
        Installer { p: parts }
    }

    /// Awaits a backend call and records how long it took.
    async fn timed<T>(&self, t: &mut Timings, name: &'static str, call: impl std::future::Future<Output = T>) -> T {
        let start = self.p.clock.now();
        let out = call.await;
        t.0.push((name, (self.p.clock.now() - start).try_into().unwrap_or_default()));
        out
    }

    /// The Linear app's credentials: configured, or reused from the first active workspace
    /// whose bundle carries them (as the platform's CLI does).
    pub async fn credentials(&self) -> Result<Option<(AppCredentials, CredentialSource)>, InstallError> {
        let s = &self.p.settings;
        if let (Some(id), Some(secret)) = (&s.client_id, &s.client_secret) {
            let creds = AppCredentials { client_id: id.clone(), client_secret: secret.clone() };
            return Ok(Some((creds, CredentialSource::Configured { client_id: id.clone() })));
        }
        let mut active: Vec<RegistryRecord> =
            self.p.registry.all().await.map_err(InstallError::RegistryRead)?.into_iter().filter(RegistryRecord::is_active).collect();
        active.sort_by(|a, b| a.slug.cmp(&b.slug));
        for ws in active {
            let Some(arn) = &ws.secret_arn else { continue };
            let Some(secret) = self.p.vault.read(arn).await.map_err(InstallError::Secrets)? else { continue };
            let Ok(bundle) = StoredBundle::read(secret.value.expose_secret()) else { continue };
            if let Some((client_id, client_secret)) = bundle.app_credentials() {
                let source = CredentialSource::Reused { client_id: client_id.clone(), slug: ws.slug.unwrap_or_default() };
                return Ok(Some((AppCredentials { client_id, client_secret }, source)));
            }
        }
        Ok(None)
    }

    /// Starts a consent (an install, or a reconnect of `reconnect`): the URL to send the admin
    /// to and what the session must keep. Refused consents are audited.
    pub async fn begin(&self, reconnect: Option<&OrgId>) -> Result<(String, PendingConsent), InstallError> {
        let reconnect = match reconnect {
            None => None,
            Some(org) => {
                let row = self.p.registry.get(org).await.map_err(InstallError::RegistryRead)?;
                let row = row.ok_or(InstallError::UnknownWorkspace)?;
                Some(ReconnectTarget { org_id: org.clone(), slug: row.slug })
            }
        };
        let (creds, _) = self.credentials().await?.ok_or(InstallError::NoCredentials)?;
        let auth = self.p.oauth.authorization(&creds).map_err(|_| InstallError::NoCredentials)?;
        let pending = PendingConsent {
            state: auth.state,
            verifier: auth.verifier.expose_secret().to_owned(),
            expires_at: self.p.clock.unix() + CONSENT_WINDOW.as_secs() as i64,
            reconnect,
            via_link: None,
        };
        Ok((auth.url, pending))
    }

    /// Starts the consent of an install link (a reconnect when the link is one), for a Linear
    /// admin with no console account; `stated_by` is who they said they were.
    pub async fn begin_link(&self, link: &InstallLink, stated_by: Option<String>) -> Result<(String, PendingConsent), InstallError> {
        let reconnect = match &link.purpose {
            Purpose::Reconnect(org) => Some(org),
            Purpose::Install => None,
        };
        let (url, mut pending) = self.begin(reconnect).await?;
        pending.via_link = Some(ViaLink { id: link.id.clone(), tail: link.tail.clone(), stated_by });
        Ok((url, pending))
    }

    /// The link a consent came through, for the actor its install is made as (the link's maker).
    pub async fn link_of(&self, via: &ViaLink) -> Result<Option<InstallLink>, InstallError> {
        self.p.links.get(&via.id).await.map_err(InstallError::LinkStore)
    }

    /// Uses the consent's install link for the organization Linear authorized: it must be the
    /// workspace the link is bound to, and still waiting (claimed conditionally: used once).
    async fn claim_link(&self, via: &ViaLink, org_id: &OrgId, key: &UrlKey, name: &str) -> Result<(), InstallError> {
        let link = self.link_of(via).await?.ok_or(InstallError::LinkUnusable)?;
        if let Some(bound) = link.must_be().filter(|b| !b.matches(org_id, key.as_str())) {
            return Err(InstallError::LinkWrongWorkspace {
                authorized_name: name.to_owned(),
                authorized_slug: key.to_string(),
                bound: bound.describe(),
            });
        }
        let now = self.p.clock.unix();
        let used = LinkUse::Used { at: now, org_id: org_id.to_string(), slug: Some(key.to_string()), stated_by: via.stated_by.clone() };
        match self.p.links.claim(&via.id, now, &used).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict) => Err(InstallError::LinkUnusable),
            Err(StoreError::Unavailable(u)) => Err(InstallError::LinkStore(u)),
        }
    }

    /// A callback that matched no consent of the session (nothing written): audited.
    pub async fn refused(&self, actor: &Actor, why: &InstallError) -> Recorded {
        let detail = format!("consent refused: {why} (nothing written)");
        self.p.audit.record(actor.event(Action::WorkspaceInstall, None, Outcome::Refused, detail)).await
    }

    /// The callback of a consent: exchange, facts, bundle, registry; every outcome audited.
    pub async fn callback(
        &self,
        actor: &Actor,
        consent: &PendingConsent,
        answer: ConsentAnswer,
        t: &mut Timings,
    ) -> Audited<Result<Completed, Failed>> {
        let early = if consent.expires_at <= self.p.clock.unix() {
            Some(InstallError::StateExpired)
        } else {
            match answer {
                ConsentAnswer::Error(e) if e == "access_denied" => Some(InstallError::AccessDenied),
                ConsentAnswer::Error(e) => {
                    Some(InstallError::LinearRefused(e.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect()))
                }
                ConsentAnswer::Nothing => Some(InstallError::LinearRefused("neither a code nor an error".to_owned())),
                ConsentAnswer::Code(code) if code.is_empty() => Some(InstallError::LinearRefused("neither a code nor an error".to_owned())),
                ConsentAnswer::Code(code) => {
                    let result = self.complete(&actor.sub, consent, &code, t).await;
                    let recorded = self.record_outcome(actor, consent, &result).await;
                    return Audited::new(result, recorded);
                }
            }
        };
        let result = Err(Failed::kept(early.unwrap_or(InstallError::StateExpired)));
        let recorded = self.record_outcome(actor, consent, &result).await;
        Audited::new(result, recorded)
    }

    async fn record_outcome(&self, actor: &Actor, consent: &PendingConsent, result: &Result<Completed, Failed>) -> Recorded {
        let reconnect = consent.reconnect.as_ref().map(|r| r.org_id.clone());
        let (action, target, outcome, mut detail) = match result {
            Ok(done) => (action_of(done.reconnected), Some(done.org_id.clone()), Outcome::Success, done.detail()),
            Err(failed) => {
                let target = match &failed.error {
                    InstallError::Unfinished { unfinished, .. } => Some(unfinished.org_id.clone()),
                    _ => reconnect.clone(),
                };
                (action_of(reconnect.is_some()), target, Outcome::Failure, failure_detail(failed))
            }
        };
        if let Some(via) = &consent.via_link {
            let who =
                via.stated_by.as_deref().map(|w| format!("who gave their name as {w:?}")).unwrap_or_else(|| "who gave no name".to_owned());
            detail.push_str(&format!(
                "; through install link …{} made by {}, consented on Linear by a workspace admin {who} (Linear does not name them for an app install)",
                via.tail, actor.email
            ));
        }
        self.p.audit.record(actor.event(action, target.as_ref().map(OrgId::as_str), outcome, detail)).await
    }

    /// Completes a consent Linear approved: exchange, facts, bundle, registry. Once Linear has
    /// issued tokens, a path that does not store them revokes them at Linear before it returns;
    /// the failure says how that went.
    async fn complete(&self, admin_sub: &str, pending: &PendingConsent, code: &str, t: &mut Timings) -> Result<Completed, Failed> {
        let expected_slug = pending.reconnect.as_ref().and_then(|r| r.slug.clone());
        let with = |error| Failed { error, grant: None, expected_slug: expected_slug.clone() };
        let creds = self.timed(t, "credentials", self.credentials()).await.map_err(with)?;
        let (creds, _) = creds.ok_or_else(|| with(InstallError::NoCredentials))?;
        let verifier = SecretString::from(pending.verifier.clone());
        let issued = self.timed(t, "linear-token", self.p.oauth.exchange(&creds, code, &verifier)).await;
        let issued = issued.map_err(|e| with(InstallError::Exchange(e)))?;
        let (access, refresh) = (issued.access_token.clone(), issued.refresh_token.clone());
        match self.keep_issued(admin_sub, pending, issued, creds, t).await {
            Ok(done) => Ok(done),
            // The bundle is saved: the tokens have their record.
            Err(error @ InstallError::Unfinished { .. }) => Err(with(error)),
            Err(error) => {
                let grant = self.timed(t, "linear-revoke", self.discard(&access, Some(&refresh))).await;
                Err(Failed { error, grant: Some(grant), expected_slug })
            }
        }
    }

    /// Revokes tokens the console will not store (the refresh token first, as a removal does).
    async fn discard(&self, access: &SecretString, refresh: Option<&SecretString>) -> GrantFate {
        let mut fate = GrantFate::AlreadyDead;
        for (kind, token) in [(TokenKind::Refresh, refresh), (TokenKind::Access, Some(access))] {
            let Some(token) = token else { continue };
            match self.p.oauth.revoke(kind, token).await {
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
        admin_sub: &str,
        pending: &PendingConsent,
        issued: IssuedTokens,
        creds: AppCredentials,
        t: &mut Timings,
    ) -> Result<Completed, InstallError> {
        let facts: InstallFacts =
            self.timed(t, "linear-graphql", self.p.api.install_facts(&issued.access_token)).await.map_err(InstallError::Api)?;
        let org = &facts.organization;
        let key = UrlKey::parse(&org.url_key).map_err(|_| InstallError::InvalidSlug { url_key: org.url_key.clone() })?;
        let org_id = OrgId::parse(&org.id).map_err(|_| InstallError::Api(ApiError::Malformed))?;
        if let Some(target) = &pending.reconnect {
            if target.org_id != org_id {
                return Err(InstallError::WrongWorkspace {
                    authorized_name: org.name.clone(),
                    authorized_slug: key.to_string(),
                    authorized_org: org.id.clone(),
                });
            }
        }
        // Through an install link: the bound workspace, and the link used once, before anything is written.
        if let Some(via) = &pending.via_link {
            self.timed(t, "install-link", self.claim_link(via, &org_id, &key, &org.name)).await?;
        }

        // Two independent reads side by side: the bundle under this slug and the registry row
        // the write will be conditioned on.
        let name = key.secret_name();
        let start = self.p.clock.now();
        let (existing, previous) = futures::join!(self.p.vault.read(&name), self.p.registry.get(&org_id));
        let took: Duration = (self.p.clock.now() - start).try_into().unwrap_or_default();
        t.0.extend([("secrets-read", took), ("dynamodb-read", took)]);
        let current = existing.map_err(InstallError::Secrets)?.map(|s| s.value);
        let existing = current.as_ref().and_then(|v| StoredBundle::read(v.expose_secret()).ok());
        // A slug Linear gave another organization before (renamed since) must not overwrite its tokens.
        if let Some(owner) = existing.as_ref().and_then(|b| b.workspace_id.clone()).filter(|owner| owner != org_id.as_str()) {
            return Err(InstallError::SlugInUse { slug: key.to_string(), owner });
        }
        // Keep the bundle's webhook secret; else the stack's real one; else ask the admin.
        let (webhook_signing_secret, webhook) = match existing.and_then(|b| b.webhook_signing_secret) {
            Some(w) => (Some(w), WebhookSource::Kept),
            None => match self.timed(t, "secrets-read-stack", self.stack_webhook_secret()).await {
                Ok(Some(WebhookSecret(w))) => (Some(w), WebhookSource::CopiedFromStack),
                Ok(None) => (None, WebhookSource::Missing),
                Err(e) => return Err(InstallError::Secrets(e)),
            },
        };

        // A reconnect keeps the original installer, in the bundle as on the row (the platform's
        // remove-workspace API lets only the installer remove a workspace).
        let installer = previous.as_ref().ok().and_then(|p| p.as_ref()?.installed_by.clone()).unwrap_or_else(|| admin_sub.to_owned());
        let now = self.p.clock.now();
        let installed_at = iso_millis(now);
        let bundle = TokenBundle {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            expires_at: iso_millis(now + issued.expires_in),
            scope: issued.scope,
            client_id: creds.client_id,
            client_secret: creds.client_secret,
            workspace_id: org_id.to_string(),
            workspace_slug: key.to_string(),
            installed_at: installed_at.clone(),
            updated_at: installed_at.clone(),
            installed_by_platform_user_id: installer,
            webhook_signing_secret,
        };
        let value = bundle.over(current.as_ref());
        let secret_arn = self.timed(t, "secrets-write", self.p.vault.write_bundle(&key, &value)).await.map_err(InstallError::Secrets)?;

        let unfinished = Unfinished {
            org_id,
            slug: key.to_string(),
            name: org.name.clone(),
            secret_arn,
            installed_at,
            token_expires_at: bundle.expires_at.clone(),
            team_keys: facts.team_keys.clone(),
            webhook,
        };
        self.timed(t, "dynamodb-write", self.write_registry(admin_sub, unfinished, previous.ok())).await
    }

    /// The stack-wide webhook signing secret, when it holds a real `lin_wh_` value.
    async fn stack_webhook_secret(&self) -> Result<Option<WebhookSecret>, Unavailable> {
        let secret = self.p.vault.read(&self.p.settings.webhook_secret_arn).await?;
        Ok(secret.and_then(|s| WebhookSecret::parse(s.value.expose_secret()).ok()))
    }

    /// Writes the registry row for a saved bundle: retried on throttling or a lost race.
    /// `known` is the row as just read, if it was; otherwise (and on every retry) it is read again.
    async fn write_registry(
        &self,
        admin_sub: &str,
        u: Unfinished,
        known: Option<Option<RegistryRecord>>,
    ) -> Result<Completed, InstallError> {
        let mut known = known;
        let slug = match UrlKey::parse(&u.slug) {
            Ok(slug) => slug,
            Err(_) => return Err(InstallError::InvalidSlug { url_key: u.slug }),
        };
        let record = InstallRecord {
            org_id: u.org_id.clone(),
            slug,
            name: u.name.clone(),
            secret_arn: u.secret_arn.clone(),
            consented_by: admin_sub.to_owned(),
            installed_at: u.installed_at.clone(),
            team_keys: u.team_keys.clone(),
            token_expires_at: u.token_expires_at.clone(),
        };
        let mut last = StoreError::Conflict;
        for attempt in 0..REGISTRY_ATTEMPTS {
            if attempt > 0 {
                self.p.clock.sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            }
            let previous = match known.take() {
                Some(row) => row,
                None => match self.p.registry.get(&u.org_id).await {
                    Ok(row) => row,
                    Err(e) => {
                        last = e;
                        continue;
                    }
                },
            };
            let row = record.row(previous.as_ref());
            match self.p.registry.put_install(&row, &Expect::of(previous.as_ref())).await {
                Ok(()) => {
                    self.p.views.bump();
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
        Err(InstallError::Unfinished { cause: last, unfinished: Box::new(u) })
    }

    /// After a reconnect under a new slug, the old bundle holds superseded tokens of the same
    /// organization: delete it, or record it on the row as orphaned.
    async fn retire_previous_bundle(&self, org: &OrgId, old_arn: &str, new_arn: &str) -> Option<Retired> {
        if old_arn == new_arn || secret_name_of_arn(old_arn) == secret_name_of_arn(new_arn) {
            return None;
        }
        // Only a bundle that is this organization's: never delete what is not ours to delete.
        let old = self.p.vault.read(old_arn).await.ok().flatten()?;
        let owner = StoredBundle::read(old.value.expose_secret()).ok().and_then(|b| b.workspace_id);
        if owner.as_deref() != Some(org.as_str()) {
            return None;
        }
        match self.p.vault.delete_now(&old.arn).await {
            Ok(()) => Some(Retired::Deleted(old.arn)),
            Err(e) => {
                tracing::warn!(error = %chain(&e), "could not delete the superseded token bundle");
                if let Err(e) = self.p.registry.mark_orphaned(org, &old.arn, &chain(&e)).await {
                    tracing::error!(error = %chain(&e), secret = %old.arn, "superseded token bundle neither deleted nor recorded");
                }
                Some(Retired::Orphaned(old.arn))
            }
        }
    }

    /// *Finish install*: writes the registry row of an install whose bundle was saved (no new
    /// consent), from the saved bundle; audited.
    pub async fn finish(&self, actor: &Actor, u: Unfinished) -> Audited<Result<Completed, Failed>> {
        let result = self.finish_steps(&actor.sub, u).await.map_err(Failed::kept);
        let (action, target, outcome, detail) = match &result {
            Ok(done) => (action_of(done.reconnected), Some(done.org_id.clone()), Outcome::Success, done.detail()),
            Err(failed) => {
                let target = match &failed.error {
                    InstallError::Unfinished { unfinished, .. } => Some(unfinished.org_id.clone()),
                    _ => None,
                };
                (Action::WorkspaceInstall, target, Outcome::Failure, failure_detail(failed))
            }
        };
        let recorded = self.p.audit.record(actor.event(action, target.as_ref().map(OrgId::as_str), outcome, detail)).await;
        Audited::new(result, recorded)
    }

    async fn finish_steps(&self, admin_sub: &str, u: Unfinished) -> Result<Completed, InstallError> {
        let secret = self.p.vault.read(&u.secret_arn).await.map_err(InstallError::Secrets)?;
        let bundle = secret.and_then(|s| StoredBundle::read(s.value.expose_secret()).ok());
        if bundle.and_then(|b| b.workspace_id).as_deref() != Some(u.org_id.as_str()) {
            // The bundle is gone or now belongs elsewhere: a fresh consent is the only safe way.
            return Err(InstallError::BundleGone);
        }
        self.write_registry(admin_sub, u, None).await
    }

    /// Stores the webhook signing secret an admin typed, validated, in the workspace's bundle
    /// (replacing the one there, if any); audited (never with the value).
    pub async fn save_webhook_secret(
        &self,
        actor: &Actor,
        org: &OrgId,
        typed: &SecretString,
    ) -> Audited<Result<WebhookSaved, WebhookError>> {
        let result = match WebhookSecret::parse(typed.expose_secret()) {
            Ok(secret) => self.set_webhook_secret(org, secret).await,
            Err(_) => Err(WebhookError::Invalid),
        };
        self.p.views.bump();
        let (outcome, detail) = match &result {
            Ok(WebhookSaved::Stored) => (Outcome::Success, "webhook signing secret stored".to_owned()),
            Ok(WebhookSaved::Replaced) => (Outcome::Success, "webhook signing secret replaced (the previous one is gone)".to_owned()),
            Err(e @ (WebhookError::Registry(_) | WebhookError::Secrets(_) | WebhookError::Unreadable)) => (Outcome::Failure, chain(e)),
            Err(e) => (Outcome::Refused, e.to_string()),
        };
        let recorded = self.p.audit.record(actor.event(Action::WorkspaceWebhookSecret, org.as_str(), outcome, detail)).await;
        Audited::new(result, recorded)
    }

    async fn set_webhook_secret(&self, org: &OrgId, secret: WebhookSecret) -> Result<WebhookSaved, WebhookError> {
        let row = self.p.registry.get(org).await.map_err(WebhookError::Registry)?;
        let arn = row.and_then(|r| r.secret_arn).ok_or(WebhookError::NotInstalled)?;
        let stored = self.p.vault.read(&arn).await.map_err(WebhookError::Secrets)?;
        let stored = stored.ok_or(WebhookError::NotInstalled)?;
        let bundle = StoredBundle::read(stored.value.expose_secret()).map_err(|_| WebhookError::Unreadable)?;
        // A platform Lambda rewrites the whole bundle when it refreshes (within 60 s of expiry).
        // Writing outside that window cannot undo a rotation it makes.
        let expires = bundle.expires_at.as_deref().and_then(parse_iso);
        if expires.is_some_and(|e| e - self.p.clock.now() < time::Duration::minutes(5)) {
            return Err(WebhookError::RefreshDue);
        }
        let saved = if bundle.webhook_signing_secret.is_some() { WebhookSaved::Replaced } else { WebhookSaved::Stored };
        let value = secret.into_bundle(&stored.value).map_err(|_| WebhookError::Unreadable)?;
        self.p.vault.put_value(&arn, &value).await.map_err(WebhookError::Secrets)?;
        Ok(saved)
    }
}

fn action_of(reconnect: bool) -> Action {
    if reconnect {
        Action::WorkspaceReconnect
    } else {
        Action::WorkspaceInstall
    }
}

/// The audit detail of an install that stopped: why, that nothing was written (or what was), and
/// what became of the grant.
fn failure_detail(failed: &Failed) -> String {
    let detail = match &failed.error {
        InstallError::Unfinished { unfinished, .. } => {
            format!("tokens saved in {} but the registry row was not written; finish from the connect page", unfinished.secret_arn)
        }
        InstallError::InvalidSlug { url_key } => {
            let shown: String = url_key.chars().filter(|c| !c.is_control()).take(60).collect();
            format!("Linear urlKey {shown:?} does not match the platform's slug rule; nothing written")
        }
        e @ (InstallError::StateExpired | InstallError::AccessDenied | InstallError::LinearRefused(_)) => format!("{e} (nothing written)"),
        other => format!("{}; nothing written", chain(other)),
    };
    match &failed.grant {
        Some(g) => format!("{detail}; {}", g.describe()),
        None => detail,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fail, Fakes, LinearOrg, Workspace};

    fn admin() -> Actor {
        Actor { sub: "sub-admin".into(), email: "admin@example.com".into(), request_id: None }
    }

    async fn consent(f: &Fakes, installer: &Installer, reconnect: Option<&OrgId>) -> PendingConsent {
        let (url, pending) = installer.begin(reconnect).await.unwrap();
        assert!(url.contains(&pending.state));
        let _ = f;
        pending
    }

    fn creator() -> Actor {
        Actor { sub: "sub-creator".into(), email: "creator@example.com".into(), request_id: None }
    }

    /// A link made by `creator()`, with its consent begun as a Linear admin opening it would.
    async fn link_consent(
        f: &Fakes,
        installer: &Installer,
        purpose: Purpose,
        bound: Option<crate::records::install_links::Bound>,
    ) -> (InstallLink, PendingConsent) {
        use crate::services::install_links::NewLink;
        let (_, link) = f.install_links().create(&creator(), NewLink { purpose, bound, note: None, hours: 24 }).await.value.unwrap();
        let (_, pending) = installer.begin_link(&link, Some("Lin Admin".into())).await.unwrap();
        (link, pending)
    }

    #[tokio::test]
    async fn a_links_consent_writes_what_an_admins_install_writes_once_and_names_the_link() {
        let f = Fakes::new();
        let org = f.api.org(LinearOrg::new("org-1", "acme-eng", "Acme"));
        let installer = f.installer();
        let (link, pending) = link_consent(&f, &installer, Purpose::Install, None).await;
        let code = ConsentAnswer::Code(f.oauth.code_for(&org));
        let done = installer.callback(&creator(), &pending, code, &mut Timings::default()).await.value.unwrap();
        let row = f.registry.row(&done.org_id).unwrap();
        assert_eq!(row.installed_by.as_deref(), Some("sub-creator"), "the installer is the link's maker");
        let stored = f.install_link_store.all_links().pop().unwrap();
        assert!(
            matches!(&stored.state, LinkUse::Used { org_id, stated_by, .. } if org_id == "org-1" && stated_by.as_deref() == Some("Lin Admin"))
        );
        let detail = f.audit.entries().pop().unwrap().detail.unwrap();
        assert!(detail.contains(&format!("install link …{}", link.tail)) && detail.contains("Lin Admin"), "{detail}");
        // The same link again: nothing written, the new grant revoked at Linear.
        let (_, again) = installer.begin(None).await.unwrap();
        let again = PendingConsent { via_link: pending.via_link.clone(), ..again };
        let before = f.journal().iter().filter(|j| j.starts_with("vault.write")).count();
        let refused = installer.callback(&creator(), &again, ConsentAnswer::Code(f.oauth.code_for(&org)), &mut Timings::default()).await;
        let failed = refused.value.unwrap_err();
        assert!(matches!(failed.error, InstallError::LinkUnusable), "{:?}", failed.error);
        assert_eq!(failed.grant, Some(GrantFate::Revoked));
        assert_eq!(f.journal().iter().filter(|j| j.starts_with("vault.write")).count(), before, "nothing written");
    }

    #[tokio::test]
    async fn a_link_for_another_workspace_or_an_expired_one_writes_nothing_and_revokes_the_grant() {
        use crate::records::install_links::Bound;
        let f = Fakes::new();
        let other = f.api.org(LinearOrg::new("org-2", "globex", "Globex"));
        let installer = f.installer();
        let bound = Some(Bound::UrlKey(UrlKey::parse("acme-eng").unwrap()));
        let (_, pending) = link_consent(&f, &installer, Purpose::Install, bound).await;
        let done = installer.callback(&creator(), &pending, ConsentAnswer::Code(f.oauth.code_for(&other)), &mut Timings::default()).await;
        let failed = done.value.unwrap_err();
        assert!(
            matches!(&failed.error, InstallError::LinkWrongWorkspace { bound, .. } if bound == "linear.app/acme-eng"),
            "{:?}",
            failed.error
        );
        assert_eq!(failed.grant, Some(GrantFate::Revoked));
        assert!(f.registry.row(&other).is_none());
        assert!(
            f.install_link_store.all_links().iter().all(|l| l.state == LinkUse::Waiting),
            "the link still waits for the right workspace"
        );
        // Expired meanwhile (the consent itself is still within its window).
        let (_, pending) = link_consent(&f, &installer, Purpose::Install, None).await;
        f.clock.advance(Duration::from_secs(24 * 3600 - 60));
        let (_, fresh) = installer.begin(None).await.unwrap();
        let late = PendingConsent { via_link: pending.via_link.clone(), ..fresh };
        f.clock.advance(Duration::from_secs(120));
        let done = installer.callback(&creator(), &late, ConsentAnswer::Code(f.oauth.code_for(&other)), &mut Timings::default()).await;
        assert!(matches!(done.value.unwrap_err().error, InstallError::LinkUnusable));
        assert!(f.registry.row(&other).is_none());
    }

    #[test]
    fn secret_names_are_read_from_arns() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bgagent-linear-oauth-acme-eng-Ab12Cd";
        assert_eq!(secret_name_of_arn(arn), "bgagent-linear-oauth-acme-eng");
        assert_eq!(secret_name_of_arn("bgagent-linear-oauth-acmeco"), "bgagent-linear-oauth-acmeco");
        assert_eq!(secret_name_of_arn("arn:aws:secretsmanager:r:1:secret:plain"), "plain");
    }

    #[tokio::test]
    async fn an_install_stores_the_bundle_then_the_row_and_is_audited() {
        let f = Fakes::new();
        let org = f.api.org(LinearOrg::new("org-1", "acme-eng", "Acme"));
        let installer = f.installer();
        let pending = consent(&f, &installer, None).await;
        let done = installer.callback(&admin(), &pending, ConsentAnswer::Code(f.oauth.code_for(&org)), &mut Timings::default()).await;
        let completed = done.value.unwrap();
        assert!(!completed.reconnected);
        let row = f.registry.row(&completed.org_id).unwrap();
        assert!(row.is_active());
        let arn = row.secret_arn.unwrap();
        let bundle = f.vault.bundle(&arn).unwrap();
        assert_eq!((bundle.workspace_id.as_str(), bundle.workspace_slug.as_str()), ("org-1", "acme-eng"));
        let journal = f.journal();
        let at = |call: &str| journal.iter().position(|j| j == call).unwrap_or_else(|| panic!("{call} not made: {journal:?}"));
        assert!(at("vault.write_bundle") < at("registry.put_install"), "the bundle first, then the row");
        assert_eq!(f.audit.entries()[0].action, "workspace.install");
        assert!(f.oauth.revoked().is_empty(), "a stored grant is kept");
    }

    /// Every refusal after the exchange revokes the grant at Linear; a saved bundle whose row
    /// could not be written keeps it (the tokens have their record).
    #[tokio::test]
    async fn every_install_failure_after_the_token_exchange_revokes_the_grant() {
        type Setup = fn(&Fakes, &OrgId);
        let cases: Vec<(&str, Setup, bool)> = vec![
            ("linear api down", |f, _| f.api.script.fail("install_facts", Fail::Unavailable), true),
            ("invalid url key", |f, _| f.api.rename_url_key("org-1", "a b"), true),
            ("url key taken by another organization", |f, _| f.vault.seed_bundle_of("org-other", "acme-eng"), true),
            ("bundle unreadable", |f, _| f.vault.script.fail("read", Fail::Unavailable), true),
            ("bundle write failing", |f, _| f.vault.script.fail("write_bundle", Fail::Unavailable), true),
            ("registry write failing", |f, _| f.registry.script.fail_times("put_install", 3, Fail::Unavailable), false),
        ];
        for (name, setup, revoked) in cases {
            let f = Fakes::new();
            let org = f.api.org(LinearOrg::new("org-1", "acme-eng", "Acme"));
            setup(&f, &org);
            let installer = f.installer();
            let pending = consent(&f, &installer, None).await;
            let code = f.oauth.code_for(&org);
            let done = installer.callback(&admin(), &pending, ConsentAnswer::Code(code), &mut Timings::default()).await;
            let failed = done.value.expect_err(name);
            if revoked {
                assert_eq!(failed.grant, Some(GrantFate::Revoked), "{name}");
                assert_eq!(f.oauth.revoked(), [TokenKind::Refresh, TokenKind::Access], "{name}");
                assert!(f.registry.row(&org).is_none(), "{name}: no row");
            } else {
                assert!(matches!(failed.error, InstallError::Unfinished { .. }), "{name}");
                assert_eq!(failed.grant, None, "{name}: kept");
                assert!(f.oauth.revoked().is_empty(), "{name}");
            }
            let audit = f.audit.entries();
            assert_eq!(audit.len(), 1, "{name}");
            assert_eq!(audit[0].outcome, "failure", "{name}");
            if revoked {
                assert!(audit[0].detail.as_deref().unwrap_or("").contains("were revoked"), "{name}: {:?}", audit[0].detail);
            }
        }
    }

    #[tokio::test]
    async fn a_reconnect_of_another_workspace_is_refused_and_its_grant_revoked() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        let other = f.api.org(LinearOrg::new("org-other", "globex", "Globex"));
        let installer = f.installer();
        let pending = consent(&f, &installer, Some(&ws.org)).await;
        let done = installer.callback(&admin(), &pending, ConsentAnswer::Code(f.oauth.code_for(&other)), &mut Timings::default()).await;
        let failed = done.value.unwrap_err();
        assert!(matches!(failed.error, InstallError::WrongWorkspace { .. }));
        assert_eq!(failed.expected_slug.as_deref(), Some("acme"));
        assert_eq!(failed.grant, Some(GrantFate::Revoked));
        assert_eq!(f.audit.entries()[0].action, "workspace.reconnect");
    }

    #[tokio::test]
    async fn a_failed_revocation_is_said_so_the_grant_is_not_forgotten() {
        let f = Fakes::new();
        let org = f.api.org(LinearOrg::new("org-1", "acme-eng", "Acme"));
        f.api.script.fail("install_facts", Fail::Unavailable);
        f.oauth.script.fail("revoke", Fail::Unavailable);
        let installer = f.installer();
        let pending = consent(&f, &installer, None).await;
        let done = installer.callback(&admin(), &pending, ConsentAnswer::Code(f.oauth.code_for(&org)), &mut Timings::default()).await;
        let failed = done.value.unwrap_err();
        assert!(matches!(failed.grant, Some(GrantFate::RevokeFailed(_))));
        assert!(f.audit.entries()[0].detail.as_deref().unwrap().contains("remove the app's grant on Linear"));
    }

    #[tokio::test]
    async fn a_late_declined_or_empty_answer_writes_nothing_and_exchanges_nothing() {
        for (answer, late) in [
            (ConsentAnswer::Error("access_denied".into()), false),
            (ConsentAnswer::Nothing, false),
            (ConsentAnswer::Code("c".into()), true),
        ] {
            let f = Fakes::new();
            let installer = f.installer();
            let pending = consent(&f, &installer, None).await;
            if late {
                f.clock.advance(CONSENT_WINDOW);
            }
            let done = installer.callback(&admin(), &pending, answer, &mut Timings::default()).await;
            assert!(done.value.is_err());
            assert_eq!(f.oauth.exchanges(), 0);
            assert!(f.registry.script.calls().iter().all(|c| !c.starts_with("put")));
            assert!(f.audit.entries()[0].detail.as_deref().unwrap().contains("nothing written"));
        }
    }

    #[tokio::test]
    async fn finish_install_writes_the_row_of_a_saved_bundle_without_a_new_consent() {
        let f = Fakes::new();
        let org = f.api.org(LinearOrg::new("org-1", "acme-eng", "Acme"));
        f.registry.script.fail_times("put_install", 3, Fail::Unavailable);
        let installer = f.installer();
        let pending = consent(&f, &installer, None).await;
        let done = installer.callback(&admin(), &pending, ConsentAnswer::Code(f.oauth.code_for(&org)), &mut Timings::default()).await;
        let InstallError::Unfinished { unfinished, .. } = done.value.unwrap_err().error else { panic!("not unfinished") };
        let exchanges = f.oauth.exchanges();
        let finished = installer.finish(&admin(), *unfinished).await.value.unwrap();
        assert_eq!(finished.org_id, org);
        assert!(f.registry.row(&org).unwrap().is_active());
        assert_eq!(f.oauth.exchanges(), exchanges, "no new consent");
    }

    #[tokio::test]
    async fn a_webhook_secret_is_validated_stored_and_never_audited_whole() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        let installer = f.installer();
        let bad = installer.save_webhook_secret(&admin(), &ws.org, &SecretString::from("whsec_nope".to_owned())).await;
        assert!(matches!(bad.value, Err(WebhookError::Invalid)));
        let typed = SecretString::from("lin_wh_0123456789abcdef".to_owned());
        assert_eq!(installer.save_webhook_secret(&admin(), &ws.org, &typed).await.value.unwrap(), WebhookSaved::Stored);
        let stored: serde_json::Value = serde_json::from_str(&f.vault.value(&ws.arn).unwrap()).unwrap();
        assert_eq!(stored["webhook_signing_secret"], "lin_wh_0123456789abcdef");
        // A second one replaces it, and says so.
        let rotated = SecretString::from("lin_wh_rotated0000000000".to_owned());
        assert_eq!(installer.save_webhook_secret(&admin(), &ws.org, &rotated).await.value.unwrap(), WebhookSaved::Replaced);
        let stored: serde_json::Value = serde_json::from_str(&f.vault.value(&ws.arn).unwrap()).unwrap();
        assert_eq!(stored["webhook_signing_secret"], "lin_wh_rotated0000000000");
        assert_eq!(stored["access_token"], ws.access, "nothing else in the bundle changed");
        assert!(f.audit.entries().iter().any(|e| e.detail.as_deref().is_some_and(|d| d.contains("replaced"))));
        let details: Vec<String> = f.audit.entries().iter().filter_map(|e| e.detail.clone()).collect();
        assert!(details.iter().all(|d| !d.contains("lin_wh_0123") && !d.contains("lin_wh_rotated")), "{details:?}");
        // Within five minutes of the token's expiry the platform may rewrite the bundle: refused.
        f.vault.edit_bundle(&ws.arn, |b| b["expires_at"] = iso_millis(f.clock.now() + time::Duration::minutes(4)).into());
        assert!(matches!(installer.save_webhook_secret(&admin(), &ws.org, &typed).await.value, Err(WebhookError::RefreshDue)));
    }
}
