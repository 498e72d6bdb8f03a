//! *Check now* and *Refresh token* for one workspace. A refresh is single-flight across console
//! instances (a lease on the registry row), re-reads the bundle after taking the lease, and
//! saves the rotated tokens at once: a refresh token Linear has rotated is never left unsaved
//! without an error in the log and on the row.
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::audit::{Action, Actor, Outcome};
use crate::cache::Epoch;
use crate::error::{chain, StoreError, Unavailable};
use crate::health::CheckResult;
use crate::ids::OrgId;
use crate::incidents::Observation;
use crate::ports::{ApiError, AppCredentials, LinearApi, LinearOAuth, RefreshRecord, RegistryStore, TokenError, TokenVault};
use crate::records::registry::RegistryRecord;
use crate::records::token_bundle::TokenBundle;
use crate::services::audit::{AuditLog, Audited};
use crate::services::incidents::{Subject, Watch};
use crate::time::{iso_millis, parse_iso, Clock};

/// How long a refresh may hold the row; a crashed holder's lease runs out after this.
pub const LEASE_SECONDS: i64 = 60;
/// Tries at saving rotated tokens, the pause growing by this much each time.
const SAVE_ATTEMPTS: u32 = 4;
const SAVE_PAUSE: Duration = Duration::from_millis(250);
/// After `invalid_grant`, the bundle is read again after each of these pauses (about 5 s in all)
/// before the grant is called dead: a platform Lambda refreshes without the console's lease and
/// may save its rotated token a moment after Linear already refused ours.
pub const GRANT_RECHECKS: [Duration; 4] =
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
    Unsaved(#[source] Unavailable),
    #[error("registry: {0}")]
    Registry(#[source] StoreError),
    #[error("{0}")]
    Secrets(#[source] Unavailable),
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

pub struct Upkeep {
    registry: Arc<dyn RegistryStore>,
    vault: Arc<dyn TokenVault>,
    oauth: Arc<dyn LinearOAuth>,
    api: Arc<dyn LinearApi>,
    audit: Arc<AuditLog>,
    watch: Arc<Watch>,
    clock: Arc<dyn Clock>,
    /// Names this console instance in leases.
    instance: String,
    /// The registry's views (overview, workspace pages): dropped by a check or refresh.
    views: Epoch,
}

/// What the upkeep calls.
pub struct UpkeepParts {
    pub registry: Arc<dyn RegistryStore>,
    pub vault: Arc<dyn TokenVault>,
    pub oauth: Arc<dyn LinearOAuth>,
    pub api: Arc<dyn LinearApi>,
    pub audit: Arc<AuditLog>,
    pub watch: Arc<Watch>,
    pub clock: Arc<dyn Clock>,
    pub instance: String,
    pub views: Epoch,
}

impl Upkeep {
    pub fn new(p: UpkeepParts) -> Upkeep {
        Upkeep {
            registry: p.registry,
            vault: p.vault,
            oauth: p.oauth,
            api: p.api,
            audit: p.audit,
            watch: p.watch,
            clock: p.clock,
            instance: p.instance,
            views: p.views,
        }
    }

    /// An active workspace's bundle, parsed by the platform's rule for token use.
    pub async fn active_bundle(&self, org: &OrgId) -> Result<ActiveBundle, UpkeepError> {
        let row = self.registry.get(org).await.map_err(UpkeepError::Registry)?.ok_or(UpkeepError::NotFound)?;
        if !row.is_active() {
            return Err(UpkeepError::NotActive);
        }
        let arn = row.secret_arn.clone().ok_or(UpkeepError::BundleUnusable)?;
        let secret = self.vault.read(&arn).await.map_err(UpkeepError::Secrets)?.ok_or(UpkeepError::BundleUnusable)?;
        let bundle = TokenBundle::parse(secret.value.expose_secret()).map_err(|_| UpkeepError::BundleUnusable)?;
        Ok(ActiveBundle { arn, bundle, stored: secret.value, row })
    }

    /// *Check now*: a `viewer` query with the stored access token, recorded on the row and audited.
    pub async fn check(&self, actor: &Actor, org: &OrgId) -> Audited<Result<CheckResult, UpkeepError>> {
        let result = self.check_with_limit(org).await.map(|(r, _)| r);
        self.views.bump();
        let (outcome, detail) = match &result {
            Ok(CheckResult::Ok) => (Outcome::Success, "Linear answered: ok".to_owned()),
            Ok(r) => (Outcome::Failure, format!("Linear answered: {}", r.code())),
            Err(e) => (e.outcome(), chain(e)),
        };
        let recorded = self.audit.record(actor.event(Action::WorkspaceCheck, org.as_str(), outcome, detail)).await;
        Audited::new(result, recorded)
    }

    /// As `check` (not audited: the sweep's), also returning when Linear's rate limit for this
    /// token resets (epoch ms) if it said the token has no requests left.
    pub async fn check_with_limit(&self, org: &OrgId) -> Result<(CheckResult, Option<i64>), UpkeepError> {
        let active = match self.active_bundle(org).await {
            Ok(active) => active,
            Err(e @ UpkeepError::BundleUnusable) => {
                self.observe_unusable(org).await;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let (bundle, row) = (active.bundle, active.row);
        let (result, reset) = match self.api.viewer(&bundle.access_token).await {
            Ok(_) => (CheckResult::Ok, None),
            Err(ApiError::Unauthenticated { .. }) => (CheckResult::Unauthenticated, None),
            Err(ApiError::RateLimited { reset_ms }) => (CheckResult::RateLimited, reset_ms),
            Err(ApiError::Timeout) => (CheckResult::Timeout, None),
            Err(_) => (CheckResult::Unavailable, None),
        };
        let at = self.clock.now();
        self.registry.record_check(org, &iso_millis(at), result, Some(&bundle.expires_at)).await.map_err(UpkeepError::Registry)?;
        let mut facts = row.facts();
        facts.bundle_has_tokens = Some(true);
        facts.expires_at = parse_iso(&bundle.expires_at);
        facts.last_check = Some((at, result));
        let o = Observation::of(at, &facts, row.revoked_by_admin());
        self.watch.observe(subject(&row), o, "check", &format!("check: Linear answered {}", result.code())).await;
        Ok((result, reset))
    }

    /// A bundle without usable tokens: the workspace needs reconnecting (an incident).
    async fn observe_unusable(&self, org: &OrgId) {
        let Ok(Some(row)) = self.registry.get(org).await else { return };
        let at = self.clock.now();
        let mut facts = row.facts();
        facts.bundle_has_tokens = Some(false);
        let o = Observation::of(at, &facts, row.revoked_by_admin());
        self.watch.observe(subject(&row), o, "check", "check: the token bundle is missing or holds no tokens").await;
    }

    /// After a refresh: the row as it now stands (the refresh recorded on it), observed.
    async fn observe_refresh(&self, org: &OrgId, evidence: &str) {
        let Ok(Some(row)) = self.registry.get(org).await else { return };
        let o = Observation::of(self.clock.now(), &row.facts(), row.revoked_by_admin());
        self.watch.observe(subject(&row), o, "refresh", evidence).await;
    }

    /// *Refresh token* (or the sweep's refresh): rotation-safe, single-flight, audited.
    pub async fn refresh(&self, actor: &Actor, org: &OrgId) -> Audited<Result<RefreshOutcome, UpkeepError>> {
        let result = self.refresh_tokens(org).await;
        self.views.bump();
        let (outcome, detail) = match &result {
            Ok(RefreshOutcome::Refreshed { expires_at }) => (Outcome::Success, format!("new access token until {expires_at}")),
            Ok(RefreshOutcome::AlreadyRefreshed) => {
                (Outcome::Success, "another actor refreshed first; its tokens are in the bundle".to_owned())
            }
            Ok(RefreshOutcome::GrantDead) => (Outcome::Failure, "invalid_grant: the workspace needs reconnecting".to_owned()),
            Ok(RefreshOutcome::Busy) => (Outcome::Refused, "another console instance is refreshing".to_owned()),
            Ok(RefreshOutcome::Failed { reason }) => (Outcome::Failure, format!("Linear: {reason}; nothing changed")),
            Err(e) => (e.outcome(), chain(e)),
        };
        let recorded = self.audit.record(actor.event(Action::WorkspaceRefresh, org.as_str(), outcome, detail)).await;
        Audited::new(result, recorded)
    }

    async fn refresh_tokens(&self, org: &OrgId) -> Result<RefreshOutcome, UpkeepError> {
        match self.registry.take_lease(org, &self.instance, self.clock.unix(), LEASE_SECONDS).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                // No row, or someone else's lease: tell which.
                return match self.registry.get(org).await.map_err(UpkeepError::Registry)? {
                    None => Err(UpkeepError::NotFound),
                    Some(_) => Ok(RefreshOutcome::Busy),
                };
            }
            Err(e) => return Err(UpkeepError::Registry(e)),
        }
        let result = self.refresh_leased(org).await;
        let at = iso_millis(self.clock.now());
        let record = |error: Option<&str>, expires_at: Option<&str>| RefreshRecord {
            at: at.clone(),
            error: error.map(str::to_owned),
            expires_at: expires_at.map(str::to_owned),
        };
        let record = match &result {
            Ok(RefreshOutcome::Refreshed { expires_at }) => Some(record(None, Some(expires_at))),
            Ok(RefreshOutcome::GrantDead) => Some(record(Some("invalid_grant"), None)),
            Ok(RefreshOutcome::Failed { reason }) => Some(record(Some(reason), None)),
            Err(UpkeepError::Unsaved(_)) => Some(record(Some("unsaved"), None)),
            _ => None,
        };
        if let Err(e) = self.registry.release_lease(org, &self.instance, record.as_ref()).await {
            // The lease runs out by itself; the outcome stands.
            tracing::warn!(error = %chain(&e), "could not release the refresh lease");
        }
        let evidence = match &result {
            Ok(RefreshOutcome::Refreshed { .. }) => Some("refresh: new tokens".to_owned()),
            Ok(RefreshOutcome::GrantDead) => Some("refresh: Linear answered invalid_grant".to_owned()),
            Ok(RefreshOutcome::Failed { reason }) => Some(format!("refresh: Linear answered {reason}")),
            _ => None,
        };
        if let Some(evidence) = evidence {
            self.observe_refresh(org, &evidence).await;
        }
        result
    }

    async fn refresh_leased(&self, org: &OrgId) -> Result<RefreshOutcome, UpkeepError> {
        // Re-read after taking the lease: a Lambda may have refreshed just before.
        let ActiveBundle { arn, bundle, stored, .. } = self.active_bundle(org).await?;
        let creds = AppCredentials { client_id: bundle.client_id.clone(), client_secret: bundle.client_secret.clone() };
        let issued = match self.oauth.refresh(&creds, &bundle.refresh_token, &bundle.scope).await {
            Ok(issued) => issued,
            Err(TokenError::Rejected { code }) if code == "invalid_grant" => return self.after_invalid_grant(org, &bundle).await,
            Err(TokenError::Rejected { code }) => return Ok(RefreshOutcome::Failed { reason: code }),
            Err(TokenError::Timeout) => return Ok(RefreshOutcome::Failed { reason: "timeout".into() }),
            Err(_) => return Ok(RefreshOutcome::Failed { reason: "unavailable".into() }),
        };
        let now = self.clock.now();
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
                self.clock.sleep(SAVE_PAUSE * attempt).await;
            }
            match self.vault.put_value(&arn, &value).await {
                Ok(()) => return Ok(RefreshOutcome::Refreshed { expires_at }),
                Err(e) => last = Some(e),
            }
        }
        let last = last.unwrap_or_else(|| Unavailable::new(crate::error::Service::SecretsManager, "no attempt was made"));
        tracing::error!(error = %chain(&last), workspace = %org, "refreshed tokens could not be saved: the workspace needs reconnecting");
        Err(UpkeepError::Unsaved(last))
    }

    /// Linear refused our refresh token. If another actor rotated it, its tokens are (or are about
    /// to be) in the bundle: read it again a few times over a few seconds before calling the grant dead.
    async fn after_invalid_grant(&self, org: &OrgId, ours: &TokenBundle) -> Result<RefreshOutcome, UpkeepError> {
        for pause in GRANT_RECHECKS {
            self.clock.sleep(pause).await;
            let now = self.active_bundle(org).await?.bundle;
            if now.refresh_token.expose_secret() != ours.refresh_token.expose_secret() {
                return Ok(RefreshOutcome::AlreadyRefreshed);
            }
        }
        Ok(RefreshOutcome::GrantDead)
    }
}

/// The workspace a row is, for the incident bookkeeping.
pub fn subject(row: &RegistryRecord) -> Subject<'_> {
    Subject { org_id: row.org_id.as_str(), slug: row.slug.as_deref(), name: row.console.name.as_deref() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{bundle_json, Fail, Fakes, Workspace};
    use crate::incidents::IncidentKind;

    fn actor() -> Actor {
        Actor { sub: "sub-op".into(), email: "op@example.com".into(), request_id: None }
    }

    #[tokio::test]
    async fn a_check_is_recorded_on_the_row_audited_and_observed() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        let upkeep = f.upkeep();
        let done = upkeep.check(&actor(), &ws.org).await;
        assert_eq!(done.value.unwrap(), CheckResult::Ok);
        assert!(done.recorded.is_recorded());
        let row = f.registry.row(&ws.org).unwrap();
        assert_eq!(row.console.last_check_result.as_deref(), Some("ok"));
        assert_eq!(f.incidents.history(ws.org.as_str()).len(), 1, "kept in the health history");
        let audit = f.audit.entries();
        assert_eq!((audit[0].action.as_str(), audit[0].outcome.as_str()), ("workspace.check", "success"));
    }

    #[tokio::test]
    async fn a_refused_unexpired_token_opens_a_reconnect_incident() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.api.refuse_token(&ws.access);
        let done = f.upkeep().check(&actor(), &ws.org).await;
        assert_eq!(done.value.unwrap(), CheckResult::Unauthenticated);
        let open = f.incidents.open_now();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].kind, IncidentKind::NeedsReconnect);
    }

    #[tokio::test]
    async fn a_revoked_or_unknown_workspace_is_refused_and_a_missing_bundle_is_an_incident() {
        let f = Fakes::new();
        let revoked = f.install(Workspace::active("gone").revoked());
        let upkeep = f.upkeep();
        assert!(matches!(upkeep.check(&actor(), &revoked.org).await.value, Err(UpkeepError::NotActive)));
        assert!(matches!(upkeep.check(&actor(), &OrgId::parse("nope").unwrap()).await.value, Err(UpkeepError::NotFound)));
        assert!(f.audit.entries().iter().all(|e| e.outcome == "refused"));
        let broken = f.install(Workspace::active("broken"));
        f.vault.set(&broken.arn, "{}");
        assert!(matches!(upkeep.check(&actor(), &broken.org).await.value, Err(UpkeepError::BundleUnusable)));
        assert_eq!(f.incidents.open_now()[0].kind, IncidentKind::NeedsReconnect);
    }

    #[tokio::test]
    async fn a_refresh_saves_the_rotated_tokens_and_gives_the_lease_back() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        let done = f.upkeep().refresh(&actor(), &ws.org).await;
        assert!(matches!(done.value.unwrap(), RefreshOutcome::Refreshed { .. }));
        let stored = f.vault.bundle(&ws.arn).unwrap();
        assert_ne!(stored.refresh_token.expose_secret(), ws.refresh, "the new refresh token is saved");
        let raw: serde_json::Value = serde_json::from_str(&f.vault.value(&ws.arn).unwrap()).unwrap();
        assert_eq!(raw["team_hint"], "kept", "fields the console does not know survive");
        let row = f.registry.row(&ws.org).unwrap();
        assert_eq!(row.console.lease, None);
        assert!(row.console.last_refresh_at.is_some() && row.console.last_refresh_error.is_none());
    }

    #[tokio::test]
    async fn a_lease_another_instance_holds_makes_the_refresh_wait_its_turn() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.registry.hold_lease(&ws.org, "another-instance", f.clock.unix() + 30);
        let done = f.upkeep().refresh(&actor(), &ws.org).await;
        assert_eq!(done.value.unwrap(), RefreshOutcome::Busy);
        assert_eq!(f.oauth.refreshes(), 0, "Linear was not asked");
        assert_eq!(f.audit.entries()[0].outcome, "refused");
    }

    #[tokio::test]
    async fn invalid_grant_is_read_again_on_the_clock_and_a_lambdas_rotation_is_seen() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.oauth.reject_refresh("invalid_grant");
        // A platform Lambda saves its rotated token a moment after Linear refused ours.
        let theirs = bundle_json(&ws.org, &ws.key, "lin_oauth_theirs", "lin_refresh_theirs");
        f.vault.replace_after_reads(&ws.arn, 2, &theirs);
        let done = f.upkeep().refresh(&actor(), &ws.org).await;
        assert_eq!(done.value.unwrap(), RefreshOutcome::AlreadyRefreshed);
        assert_eq!(f.clock.slept(), GRANT_RECHECKS[..2].to_vec(), "waited on the fake clock only");
        assert!(f.incidents.open_now().is_empty(), "not an incident");
    }

    #[tokio::test]
    async fn invalid_grant_with_the_bundle_unchanged_is_a_dead_grant() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.oauth.reject_refresh("invalid_grant");
        let done = f.upkeep().refresh(&actor(), &ws.org).await;
        assert_eq!(done.value.unwrap(), RefreshOutcome::GrantDead);
        assert_eq!(f.clock.slept(), GRANT_RECHECKS.to_vec());
        let row = f.registry.row(&ws.org).unwrap();
        assert_eq!(row.console.last_refresh_error.as_deref(), Some("invalid_grant"));
        assert_eq!(f.incidents.open_now()[0].kind, IncidentKind::NeedsReconnect);
    }

    #[tokio::test]
    async fn rotated_tokens_are_saved_through_passing_failures_and_an_unsaved_rotation_is_recorded() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.vault.script.fail_times("put_value", 2, Fail::Unavailable);
        let done = f.upkeep().refresh(&actor(), &ws.org).await;
        assert!(matches!(done.value.unwrap(), RefreshOutcome::Refreshed { .. }), "saved on the third try");
        f.vault.script.fail_times("put_value", 4, Fail::Unavailable);
        let done = f.upkeep().refresh(&actor(), &ws.org).await;
        assert!(matches!(done.value, Err(UpkeepError::Unsaved(_))));
        assert_eq!(f.registry.row(&ws.org).unwrap().console.last_refresh_error.as_deref(), Some("unsaved"));
        assert_eq!(f.audit.entries().last().unwrap().outcome, "failure");
    }

    #[tokio::test]
    async fn a_passing_failure_at_linear_changes_nothing() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.oauth.fail_refresh(TokenError::Unavailable { status: 503 });
        let done = f.upkeep().refresh(&actor(), &ws.org).await;
        assert_eq!(done.value.unwrap(), RefreshOutcome::Failed { reason: "unavailable".into() });
        assert_eq!(f.vault.bundle(&ws.arn).unwrap().refresh_token.expose_secret(), ws.refresh);
    }
}
