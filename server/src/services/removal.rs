//! *Revoke* and *Remove* a workspace, step by step, each step's outcome reported and audited:
//! mark the row revoked (so the platform stops using it before anything else happens), revoke at
//! Linear, delete the bundle, delete its user links and invites, and (Remove) delete the row.
//! A rerun after a partial failure finishes the job; a step already done is reported as such.
use app::outcomes::{RemovalStep as Step, StepReport, StepStatus};
use time::OffsetDateTime;

use crate::adapters::dynamodb::audit::AuditLog;
use crate::adapters::dynamodb::registry::{Registry, RegistryError};
use crate::adapters::dynamodb::user_mappings::UserMappings;
use crate::adapters::linear::oauth::{LinearOAuth, Revocation};
use crate::adapters::secrets::TokenStore;
use crate::domain::audit::{Actor, Outcome};
use crate::domain::iso_millis;
use crate::domain::registry::RegistryRecord;
use crate::domain::token_bundle::StoredBundle;

/// What a step did, with why it failed (for the audit log; the page shows the code only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    Done,
    AlreadyDone,
    Skipped,
    Failed(String),
    NotRun,
}

impl StepOutcome {
    pub fn status(&self) -> StepStatus {
        match self {
            StepOutcome::Done => StepStatus::Done,
            StepOutcome::AlreadyDone => StepStatus::AlreadyDone,
            StepOutcome::Skipped => StepStatus::Skipped,
            StepOutcome::Failed(_) => StepStatus::Failed,
            StepOutcome::NotRun => StepStatus::NotRun,
        }
    }

    fn failed(&self) -> bool {
        matches!(self, StepOutcome::Failed(_))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The workspace's slug (or org id): what the admin typed to confirm.
    pub name: String,
    pub steps: Vec<(Step, StepOutcome)>,
    pub links_deleted: usize,
}

impl Report {
    /// The steps as the page reads them.
    pub fn steps(&self) -> StepReport {
        StepReport(self.steps.iter().map(|(s, o)| (*s, o.status())).collect())
    }

    pub fn complete(&self) -> bool {
        self.steps().complete()
    }

    pub fn detail(&self) -> String {
        let parts: Vec<String> = self
            .steps
            .iter()
            .map(|(s, o)| match o {
                StepOutcome::Failed(e) => format!("{}: failed ({e})", s.code()),
                StepOutcome::Done if *s == Step::DeleteLinks => format!("links: {} deleted", self.links_deleted),
                o => format!("{}: {}", s.code(), o.status().code()),
            })
            .collect();
        format!("{}: {}", self.name, parts.join("; "))
    }
}

/// What *Retry deletion* of an orphaned secret did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrphanRetry {
    Deleted(String),
    NothingToDo,
    /// The recorded secret is the active row's bundle: not deleted.
    InUse,
    Failed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum RemovalError {
    #[error("the workspace is not in the registry")]
    NotFound,
    /// The admin typed something other than the workspace's slug: nothing was done.
    #[error("the confirmation did not match the workspace's slug")]
    ConfirmMismatch,
    #[error("the registry could not be read")]
    Registry(#[source] RegistryError),
}

#[derive(Clone)]
pub struct Removal {
    registry: Registry,
    mappings: UserMappings,
    tokens: TokenStore,
    oauth: LinearOAuth,
    audit: AuditLog,
}

impl Removal {
    pub fn new(registry: Registry, mappings: UserMappings, tokens: TokenStore, oauth: LinearOAuth, audit: AuditLog) -> Removal {
        Removal { registry, mappings, tokens, oauth, audit }
    }

    /// *Revoke*: the workspace stays in the registry, revoked, without tokens.
    pub async fn revoke(&self, actor: &Actor, org_id: &str, confirm: &str, delete_links: bool) -> Result<Report, RemovalError> {
        self.run(actor, "workspace.revoke", org_id, confirm, delete_links, false).await
    }

    /// *Remove*: as Revoke, then the registry row goes too.
    pub async fn remove(&self, actor: &Actor, org_id: &str, confirm: &str, delete_links: bool) -> Result<Report, RemovalError> {
        self.run(actor, "workspace.remove", org_id, confirm, delete_links, true).await
    }

    async fn run(
        &self,
        actor: &Actor,
        action: &'static str,
        org_id: &str,
        confirm: &str,
        delete_links: bool,
        remove_row: bool,
    ) -> Result<Report, RemovalError> {
        let row = match self.registry.get(org_id).await {
            Ok(Some(row)) => row,
            Ok(None) => return Err(RemovalError::NotFound),
            Err(e) => {
                let _ = self.audit.record(actor.event(action, org_id, Outcome::Failure, e.to_string())).await;
                return Err(RemovalError::Registry(e));
            }
        };
        // The slug (or, for a row without one, the org id) must be typed: a deliberate act.
        let name = row.slug.clone().unwrap_or_else(|| org_id.to_owned());
        if confirm.trim() != name {
            return Err(RemovalError::ConfirmMismatch);
        }
        let report = self.steps(actor, &row, name, delete_links, remove_row).await;
        let outcome = if report.complete() { Outcome::Success } else { Outcome::Failure };
        let _ = self.audit.record(actor.event(action, org_id, outcome, report.detail())).await;
        Ok(report)
    }

    /// Runs the steps in order; the first failure stops the ones after it (but link deletion,
    /// which is independent of the secret, still runs after a failed secret deletion).
    async fn steps(&self, actor: &Actor, row: &RegistryRecord, name: String, delete_links: bool, remove_row: bool) -> Report {
        let org_id = row.org_id.as_str();
        let mut steps = Vec::new();

        // 1. Mark the row revoked first: the platform stops using the workspace (within its 60 s
        //    cache) before its tokens die, so no event meets an active row holding dead tokens.
        let mark = self.mark_revoked(row, &actor.sub).await;
        let mut stopped = mark.failed();
        steps.push((Step::MarkRevoked, mark));

        // 2. Revoke at Linear, while the tokens still exist.
        let revoke = match (&row.secret_arn, stopped) {
            (_, true) => StepOutcome::NotRun,
            (None, false) => StepOutcome::AlreadyDone,
            (Some(arn), false) => self.revoke_at_linear(arn).await,
        };
        stopped |= revoke.failed();
        steps.push((Step::RevokeAtLinear, revoke));

        // 3. Delete the bundle without recovery; a failure is recorded on the row.
        let secret = match (&row.secret_arn, stopped) {
            (_, true) => StepOutcome::NotRun,
            (None, false) => StepOutcome::AlreadyDone,
            (Some(arn), false) => self.delete_secret(row, arn).await,
        };
        let secret_failed = secret.failed();
        steps.push((Step::DeleteSecret, secret));

        // 4. The workspace's user links and invites: the platform would keep honouring them.
        let mut links_deleted = 0;
        let links = match (stopped, delete_links) {
            (true, _) => StepOutcome::NotRun,
            (false, false) => StepOutcome::Skipped,
            (false, true) => match self.delete_links(org_id).await {
                Ok(0) => StepOutcome::AlreadyDone,
                Ok(n) => {
                    links_deleted = n;
                    StepOutcome::Done
                }
                Err(e) => StepOutcome::Failed(e),
            },
        };
        stopped |= links.failed();
        steps.push((Step::DeleteLinks, links));

        // 5. Remove: the row goes last, and not while it is the only record of an orphaned secret.
        let delete_row = match (remove_row, stopped || secret_failed) {
            (false, _) => StepOutcome::Skipped,
            (true, true) => StepOutcome::NotRun,
            (true, false) => match self.registry.delete_revoked(org_id).await {
                Ok(()) => StepOutcome::Done,
                Err(e) => StepOutcome::Failed(e.to_string()),
            },
        };
        steps.push((Step::DeleteRow, delete_row));
        Report { name, steps, links_deleted }
    }

    async fn revoke_at_linear(&self, arn: &str) -> StepOutcome {
        let secret = match self.tokens.read(arn).await {
            Ok(Some(s)) => s,
            Ok(None) => return StepOutcome::AlreadyDone,
            Err(e) => return StepOutcome::Failed(e.to_string()),
        };
        let tokens = StoredBundle::tokens(&secret.value);
        let mut revoked_any = false;
        for (field, token) in [("refresh_token", &tokens.refresh), ("access_token", &tokens.access)] {
            let Some(token) = token else { continue };
            match self.oauth.revoke(field, token).await {
                Ok(Revocation::Revoked) => revoked_any = true,
                Ok(Revocation::AlreadyDead) => {}
                Err(e) => return StepOutcome::Failed(e.to_string()),
            }
        }
        match (revoked_any, tokens.refresh.is_some() || tokens.access.is_some()) {
            (true, _) => StepOutcome::Done,
            (false, true) => StepOutcome::AlreadyDone,
            // A vault-managed bundle: no tokens here to revoke.
            (false, false) => StepOutcome::Skipped,
        }
    }

    async fn mark_revoked(&self, row: &RegistryRecord, admin_sub: &str) -> StepOutcome {
        if row.revoked_by_admin() {
            return StepOutcome::AlreadyDone;
        }
        match self.registry.mark_revoked(&row.org_id, admin_sub, &iso_millis(OffsetDateTime::now_utc())).await {
            Ok(()) => StepOutcome::Done,
            Err(e) => StepOutcome::Failed(e.to_string()),
        }
    }

    async fn delete_secret(&self, row: &RegistryRecord, arn: &str) -> StepOutcome {
        let org_id = row.org_id.as_str();
        // Never delete what is not this workspace's bundle.
        let owner = match self.tokens.read_bundle(arn).await {
            Ok(Some(bundle)) => bundle.workspace_id,
            Ok(None) => return self.clear_orphan(row, arn).await.unwrap_or(StepOutcome::AlreadyDone),
            Err(e) => return self.record_orphan(org_id, arn, e.to_string()).await,
        };
        if owner.as_deref().is_some_and(|o| o != org_id) {
            return StepOutcome::Failed(format!("{arn} holds another workspace's tokens; left in place"));
        }
        match self.tokens.delete_now(arn).await {
            Ok(()) => self.clear_orphan(row, arn).await.unwrap_or(StepOutcome::Done),
            Err(e) => self.record_orphan(org_id, arn, e.to_string()).await,
        }
    }

    /// Records the failed deletion as the platform does, so the secret is not forgotten.
    async fn record_orphan(&self, org_id: &str, arn: &str, error: String) -> StepOutcome {
        if let Err(e) = self.registry.mark_orphaned(org_id, arn, &error).await {
            tracing::error!(secret = arn, error = %e, "secret deletion failed and could not be recorded");
        }
        StepOutcome::Failed(error)
    }

    /// After a successful (re)deletion of `arn`, its orphan markers go; `None` if the row
    /// recorded no orphan, or one for another secret (that one stays recorded).
    async fn clear_orphan(&self, row: &RegistryRecord, arn: &str) -> Option<StepOutcome> {
        (row.orphan.as_ref()?.arn == arn).then_some(())?;
        Some(match self.registry.clear_orphan(&row.org_id, arn).await {
            Ok(_) => StepOutcome::Done,
            Err(e) => StepOutcome::Failed(e.to_string()),
        })
    }

    /// The orphaned-secret warning's *Retry deletion*: deletes the secret recorded in
    /// `orphaned_oauth_secret_arn` and then clears the markers, only while they still name it.
    /// Refused while that secret is the bundle an active row uses (it is not an orphan then).
    pub async fn retry_orphan(&self, actor: &Actor, org_id: &str) -> Result<OrphanRetry, RemovalError> {
        let result = self.retry_orphan_steps(org_id).await;
        let (outcome, detail) = match &result {
            Ok(OrphanRetry::Deleted(arn)) => (Outcome::Success, format!("deleted {arn}")),
            Ok(OrphanRetry::NothingToDo) => (Outcome::Success, "no orphaned secret recorded".to_owned()),
            Ok(OrphanRetry::InUse) => (Outcome::Refused, "the recorded secret is the active bundle".to_owned()),
            Ok(OrphanRetry::Failed(e)) => (Outcome::Failure, e.clone()),
            Err(RemovalError::NotFound) => (Outcome::Refused, "not in the registry".to_owned()),
            Err(e) => (Outcome::Failure, e.to_string()),
        };
        let _ = self.audit.record(actor.event("workspace.orphan_retry", org_id, outcome, detail)).await;
        result
    }

    async fn retry_orphan_steps(&self, org_id: &str) -> Result<OrphanRetry, RemovalError> {
        let row = self.registry.get(org_id).await.map_err(RemovalError::Registry)?.ok_or(RemovalError::NotFound)?;
        let Some(arn) = row.orphan.as_ref().map(|o| o.arn.clone()) else { return Ok(OrphanRetry::NothingToDo) };
        if row.secret_arn.as_deref() == Some(arn.as_str()) && row.is_active() {
            return Ok(OrphanRetry::InUse);
        }
        let owner = match self.tokens.read_bundle(&arn).await {
            Ok(bundle) => bundle.and_then(|b| b.workspace_id),
            Err(e) => return Ok(self.orphan_still(org_id, &arn, e.to_string()).await),
        };
        if owner.as_deref().is_some_and(|o| o != org_id) {
            return Ok(OrphanRetry::Failed(format!("{arn} holds another workspace's tokens; left in place")));
        }
        if let Err(e) = self.tokens.delete_now(&arn).await {
            return Ok(self.orphan_still(org_id, &arn, e.to_string()).await);
        }
        // Cleared only while the markers still name it: another orphan recorded meanwhile stays.
        self.registry.clear_orphan(org_id, &arn).await.map_err(RemovalError::Registry)?;
        Ok(OrphanRetry::Deleted(arn))
    }

    async fn orphan_still(&self, org_id: &str, arn: &str, error: String) -> OrphanRetry {
        if let Err(e) = self.registry.mark_orphaned(org_id, arn, &error).await {
            tracing::error!(secret = arn, error = %e, "secret deletion failed again and could not be recorded");
        }
        OrphanRetry::Failed(error)
    }

    /// Deletes the link rows (`<org>#<user>`, also legacy rows without `linear_workspace_id`) and
    /// pending invites of the workspace.
    async fn delete_links(&self, org_id: &str) -> Result<usize, String> {
        let rows = self.mappings.workspace_rows(org_id).await.map_err(|e| e.to_string())?;
        let keys: Vec<String> = rows.iter().map(|r| r.key()).collect();
        self.mappings.delete_all(&keys).await.map_err(|e| e.to_string())
    }
}
