//! *Revoke* and *Remove* a workspace, step by step, each step's outcome reported and audited:
//! mark the row revoked (so the platform stops using it before anything else happens), revoke at
//! Linear, delete the bundle, delete its user links and invites, and (Remove) delete the row.
//! A rerun after a partial failure finishes the job; a step already done is reported as such.
use std::sync::Arc;

use secrecy::ExposeSecret;

use crate::audit::{Action, Actor, AuditEvent, Outcome};
use crate::cache::Epoch;
use crate::codes;
use crate::error::{chain, StoreError, Unavailable};
use crate::ids::OrgId;
use crate::lifecycle::{EventKind, LifecycleEvent};
use crate::ports::{LinearOAuth, Mappings, ProjectMappings, RegistryStore, Revocation, TokenError, TokenKind, TokenVault};
use crate::records::projects::REMOVED;
use crate::records::registry::RegistryRecord;
use crate::records::token_bundle::StoredBundle;
use crate::services::audit::{AuditLog, Audited, Recorded};
use crate::time::{iso_millis, Clock};

codes! {
    /// A step of *Revoke* / *Remove*, in the order they run.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum RemovalStep {
        /// The registry row says `revoked` first: the platform stops using the workspace within its cache.
        MarkRevoked = "mark",
        RevokeAtLinear = "revoke",
        DeleteSecret = "secret",
        DeleteLinks = "links",
        DeactivateProjects = "projects",
        DeleteRow = "row",
    }
}

impl RemovalStep {
    pub fn words(self) -> &'static str {
        match self {
            RemovalStep::MarkRevoked => "Mark the registry row revoked",
            RemovalStep::RevokeAtLinear => "Revoke the tokens at Linear",
            RemovalStep::DeleteSecret => "Delete the token bundle from Secrets Manager",
            RemovalStep::DeleteLinks => "Delete the workspace's user links and invites",
            RemovalStep::DeactivateProjects => "Deactivate the workspace's project mappings",
            RemovalStep::DeleteRow => "Delete the registry row",
        }
    }
}

codes! {
    /// What became of one step.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum StepStatus {
        Done = "done",
        AlreadyDone = "already",
        /// Not asked for (links kept, or Revoke rather than Remove), or nothing to do (no tokens).
        Skipped = "skipped",
        Failed = "failed",
        /// An earlier step failed; this one waits for a rerun.
        NotRun = "notrun",
    }
}

impl StepStatus {
    pub fn ok(self) -> bool {
        !matches!(self, StepStatus::Failed | StepStatus::NotRun)
    }

    pub fn words(self) -> &'static str {
        match self {
            StepStatus::Done => "done",
            StepStatus::AlreadyDone => "already done",
            StepStatus::Skipped => "skipped",
            StepStatus::Failed => "FAILED: see the audit log; run it again to finish",
            StepStatus::NotRun => "not run (an earlier step failed)",
        }
    }
}

/// Why a step failed (kept whole for the log and the audit detail; the page shows the status).
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("registry: {0}")]
    Registry(#[source] StoreError),
    #[error("user links: {0}")]
    Mappings(#[source] StoreError),
    #[error("project mappings: {0}")]
    Projects(#[source] StoreError),
    #[error("{0}")]
    Vault(#[source] Unavailable),
    #[error("{0}")]
    Linear(#[source] TokenError),
    #[error("{arn} holds another workspace's tokens; left in place")]
    ForeignBundle { arn: String },
}

/// What a step did, with why it failed.
#[derive(Debug, Clone)]
pub enum StepOutcome {
    Done,
    AlreadyDone,
    Skipped,
    Failed(Arc<StepError>),
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

    fn failure(e: StepError) -> StepOutcome {
        StepOutcome::Failed(Arc::new(e))
    }
}

/// Revoke, or Remove (the row goes too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Revoke,
    Remove,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub mode: Removal,
    /// The workspace's slug (or org id): what the admin typed to confirm.
    pub name: String,
    pub steps: Vec<(RemovalStep, StepOutcome)>,
    pub links_deleted: usize,
    pub projects_deactivated: usize,
}

/// What a removal also cleans up (the platform's own removal leaves both behind).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleanup {
    /// Delete the workspace's user links and pending invites.
    pub links: bool,
    /// Deactivate the project mappings that name the workspace (`status = removed`).
    pub projects: bool,
}

impl Cleanup {
    pub const ALL: Cleanup = Cleanup { links: true, projects: true };
}

impl Report {
    /// Each step with its status, in the order they ran.
    pub fn statuses(&self) -> Vec<(RemovalStep, StepStatus)> {
        self.steps.iter().map(|(s, o)| (*s, o.status())).collect()
    }

    pub fn complete(&self) -> bool {
        self.steps.iter().all(|(_, o)| o.status().ok())
    }

    /// The row is gone: a Remove that finished.
    pub fn removed(&self) -> bool {
        self.mode == Removal::Remove && self.complete()
    }

    pub fn detail(&self) -> String {
        let parts: Vec<String> = self
            .steps
            .iter()
            .map(|(s, o)| match o {
                StepOutcome::Failed(e) => format!("{}: failed ({})", s.code(), chain(e.as_ref())),
                StepOutcome::Done if *s == RemovalStep::DeleteLinks => format!("links: {} deleted", self.links_deleted),
                StepOutcome::Done if *s == RemovalStep::DeactivateProjects => {
                    format!("projects: {} deactivated", self.projects_deactivated)
                }
                o => format!("{}: {}", s.code(), o.status().code()),
            })
            .collect();
        format!("{}: {}", self.name, parts.join("; "))
    }
}

/// What *Retry deletion* of an orphaned secret did.
#[derive(Debug, Clone)]
pub enum OrphanRetry {
    Deleted(String),
    NothingToDo,
    /// The recorded secret is the active row's bundle: not deleted.
    InUse,
    Failed(Arc<StepError>),
}

#[derive(Debug, thiserror::Error)]
pub enum RemovalError {
    #[error("the workspace is not in the registry")]
    NotFound,
    /// The admin typed something other than the workspace's slug: nothing was done.
    #[error("the confirmation did not match the workspace's slug")]
    ConfirmMismatch,
    #[error("the registry could not be read: {0}")]
    Registry(#[source] StoreError),
}

/// What a removal calls.
pub struct RemovalParts {
    pub registry: Arc<dyn RegistryStore>,
    pub mappings: Arc<dyn Mappings>,
    pub projects: Arc<dyn ProjectMappings>,
    pub vault: Arc<dyn TokenVault>,
    pub oauth: Arc<dyn LinearOAuth>,
    pub audit: Arc<AuditLog>,
    pub clock: Arc<dyn Clock>,
    pub views: Epoch,
}

pub struct Removals {
    p: RemovalParts,
}

impl Removals {
    pub fn new(parts: RemovalParts) -> Removals {
        Removals { p: parts }
    }

    /// *Revoke* (the workspace stays in the registry, revoked, without tokens) or *Remove* (the
    /// registry row goes too), confirmed by the workspace's slug typed again.
    pub async fn run(
        &self,
        actor: &Actor,
        mode: Removal,
        org: &OrgId,
        confirm: &str,
        cleanup: Cleanup,
    ) -> Audited<Result<Report, RemovalError>> {
        let action = match mode {
            Removal::Revoke => Action::WorkspaceRevoke,
            Removal::Remove => Action::WorkspaceRemove,
        };
        let row = match self.p.registry.get(org).await {
            Ok(Some(row)) => row,
            Ok(None) => return Audited::new(Err(RemovalError::NotFound), Recorded::Yes),
            Err(e) => {
                let recorded = self.p.audit.record(actor.event(action, org.as_str(), Outcome::Failure, chain(&e))).await;
                return Audited::new(Err(RemovalError::Registry(e)), recorded);
            }
        };
        // The slug (or, for a row without one, the org id) must be typed: a deliberate act.
        let name = row.slug.clone().unwrap_or_else(|| org.to_string());
        if confirm.trim() != name {
            return Audited::new(Err(RemovalError::ConfirmMismatch), Recorded::Yes);
        }
        let report = self.steps(actor, &row, name, mode, cleanup).await;
        self.p.views.bump();
        let outcome = if report.complete() { Outcome::Success } else { Outcome::Failure };
        // Stopped part way with the row marked revoked: the platform already refuses the workspace,
        // so other systems are told too, with the outcome `failure` and the steps in the summary.
        let marked = report.steps.first().is_some_and(|(s, o)| *s == RemovalStep::MarkRevoked && o.status().ok());
        let stopped = (!report.complete() && marked).then_some(if mode == Removal::Revoke {
            EventKind::WorkspaceRevoked
        } else {
            EventKind::WorkspaceRemoved
        });
        let tell = |e: &AuditEvent, id, at| match stopped {
            Some(kind) => Some(LifecycleEvent { slug: row.slug.clone(), ..LifecycleEvent::of_change(kind, e, id, at) }),
            None => LifecycleEvent::of_audit(e, id, at),
        };
        let recorded = self.p.audit.record_telling(actor.event(action, org.as_str(), outcome, report.detail()), tell).await;
        Audited::new(Ok(report), recorded)
    }

    /// Runs the steps in order; the first failure stops the ones after it (but link deletion,
    /// which is independent of the secret, still runs after a failed secret deletion).
    async fn steps(&self, actor: &Actor, row: &RegistryRecord, name: String, mode: Removal, cleanup: Cleanup) -> Report {
        let mut steps = Vec::new();

        // 1. Mark the row revoked first: the platform stops using the workspace (within its 60 s
        //    cache) before its tokens die, so no event meets an active row holding dead tokens.
        let mark = self.mark_revoked(row, &actor.sub).await;
        let mut stopped = mark.failed();
        steps.push((RemovalStep::MarkRevoked, mark));

        // 2. Revoke at Linear, while the tokens still exist.
        let revoke = match (&row.secret_arn, stopped) {
            (_, true) => StepOutcome::NotRun,
            (None, false) => StepOutcome::AlreadyDone,
            (Some(arn), false) => self.revoke_at_linear(arn).await,
        };
        stopped |= revoke.failed();
        steps.push((RemovalStep::RevokeAtLinear, revoke));

        // 3. Delete the bundle without recovery; a failure is recorded on the row.
        let secret = match (&row.secret_arn, stopped) {
            (_, true) => StepOutcome::NotRun,
            (None, false) => StepOutcome::AlreadyDone,
            (Some(arn), false) => self.delete_secret(row, arn).await,
        };
        let secret_failed = secret.failed();
        steps.push((RemovalStep::DeleteSecret, secret));

        // 4. The workspace's user links and invites: the platform would keep honouring them.
        let mut links_deleted = 0;
        let links = match (stopped, cleanup.links) {
            (true, _) => StepOutcome::NotRun,
            (false, false) => StepOutcome::Skipped,
            (false, true) => match self.delete_links(&row.org_id).await {
                Ok(0) => StepOutcome::AlreadyDone,
                Ok(n) => {
                    links_deleted = n;
                    StepOutcome::Done
                }
                Err(e) => StepOutcome::failure(StepError::Mappings(e)),
            },
        };
        stopped |= links.failed();
        steps.push((RemovalStep::DeleteLinks, links));

        // 5. The project mappings that name it: the platform would route its projects' issues to
        //    their repositories again if the workspace came back under another install.
        let mut projects_deactivated = 0;
        let projects = match (stopped, cleanup.projects) {
            (true, _) => StepOutcome::NotRun,
            (false, false) => StepOutcome::Skipped,
            (false, true) => match self.deactivate_projects(&row.org_id).await {
                Ok(0) => StepOutcome::AlreadyDone,
                Ok(n) => {
                    projects_deactivated = n;
                    StepOutcome::Done
                }
                Err(e) => StepOutcome::failure(StepError::Projects(e)),
            },
        };
        stopped |= projects.failed();
        steps.push((RemovalStep::DeactivateProjects, projects));

        // 6. Remove: the row goes last, and not while it is the only record of an orphaned secret.
        let delete_row = match (mode, stopped || secret_failed) {
            (Removal::Revoke, _) => StepOutcome::Skipped,
            (Removal::Remove, true) => StepOutcome::NotRun,
            (Removal::Remove, false) => match self.p.registry.delete_revoked(&row.org_id).await {
                Ok(()) => StepOutcome::Done,
                Err(e) => StepOutcome::failure(StepError::Registry(e)),
            },
        };
        steps.push((RemovalStep::DeleteRow, delete_row));
        Report { mode, name, steps, links_deleted, projects_deactivated }
    }

    async fn revoke_at_linear(&self, arn: &str) -> StepOutcome {
        let secret = match self.p.vault.read(arn).await {
            Ok(Some(s)) => s,
            Ok(None) => return StepOutcome::AlreadyDone,
            Err(e) => return StepOutcome::failure(StepError::Vault(e)),
        };
        let tokens = StoredBundle::tokens(&secret.value);
        let mut revoked_any = false;
        for (kind, token) in [(TokenKind::Refresh, &tokens.refresh), (TokenKind::Access, &tokens.access)] {
            let Some(token) = token else { continue };
            match self.p.oauth.revoke(kind, token).await {
                Ok(Revocation::Revoked) => revoked_any = true,
                Ok(Revocation::AlreadyDead) => {}
                Err(e) => return StepOutcome::failure(StepError::Linear(e)),
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
        match self.p.registry.mark_revoked(&row.org_id, admin_sub, &iso_millis(self.p.clock.now())).await {
            Ok(()) => StepOutcome::Done,
            Err(e) => StepOutcome::failure(StepError::Registry(e)),
        }
    }

    /// The bundle's owner as the bundle says: `Err` when it cannot be read (so it is not deleted).
    async fn owner_of(&self, arn: &str) -> Result<Option<Option<String>>, Unavailable> {
        let secret = self.p.vault.read(arn).await?;
        Ok(secret.map(|s| StoredBundle::read(s.value.expose_secret()).ok().and_then(|b| b.workspace_id)))
    }

    async fn delete_secret(&self, row: &RegistryRecord, arn: &str) -> StepOutcome {
        // Never delete what is not this workspace's bundle.
        let owner = match self.owner_of(arn).await {
            Ok(Some(owner)) => owner,
            Ok(None) => return self.clear_orphan(row, arn).await.unwrap_or(StepOutcome::AlreadyDone),
            Err(e) => return self.record_orphan(&row.org_id, arn, StepError::Vault(e)).await,
        };
        if owner.as_deref().is_some_and(|o| o != row.org_id.as_str()) {
            return StepOutcome::failure(StepError::ForeignBundle { arn: arn.to_owned() });
        }
        match self.p.vault.delete_now(arn).await {
            Ok(()) => self.clear_orphan(row, arn).await.unwrap_or(StepOutcome::Done),
            Err(e) => self.record_orphan(&row.org_id, arn, StepError::Vault(e)).await,
        }
    }

    /// Records the failed deletion as the platform does, so the secret is not forgotten.
    async fn record_orphan(&self, org: &OrgId, arn: &str, error: StepError) -> StepOutcome {
        if let Err(e) = self.p.registry.mark_orphaned(org, arn, &chain(&error)).await {
            tracing::error!(secret = arn, error = %chain(&e), "secret deletion failed and could not be recorded");
        }
        StepOutcome::failure(error)
    }

    /// After a successful (re)deletion of `arn`, its orphan markers go; `None` if the row
    /// recorded no orphan, or one for another secret (that one stays recorded).
    async fn clear_orphan(&self, row: &RegistryRecord, arn: &str) -> Option<StepOutcome> {
        (row.orphan.as_ref()?.arn == arn).then_some(())?;
        Some(match self.p.registry.clear_orphan(&row.org_id, arn).await {
            Ok(_) => StepOutcome::Done,
            Err(e) => StepOutcome::failure(StepError::Registry(e)),
        })
    }

    /// The orphaned-secret warning's *Retry deletion*: deletes the secret recorded in
    /// `orphaned_oauth_secret_arn` and then clears the markers, only while they still name it.
    /// Refused while that secret is the bundle an active row uses (it is not an orphan then).
    pub async fn retry_orphan(&self, actor: &Actor, org: &OrgId) -> Audited<Result<OrphanRetry, RemovalError>> {
        let result = self.retry_orphan_steps(org).await;
        self.p.views.bump();
        let (outcome, detail) = match &result {
            Ok(OrphanRetry::Deleted(arn)) => (Outcome::Success, format!("deleted {arn}")),
            Ok(OrphanRetry::NothingToDo) => (Outcome::Success, "no orphaned secret recorded".to_owned()),
            Ok(OrphanRetry::InUse) => (Outcome::Refused, "the recorded secret is the active bundle".to_owned()),
            Ok(OrphanRetry::Failed(e)) => (Outcome::Failure, chain(e.as_ref())),
            Err(RemovalError::NotFound) => (Outcome::Refused, "not in the registry".to_owned()),
            Err(e) => (Outcome::Failure, chain(e)),
        };
        let recorded = self.p.audit.record(actor.event(Action::WorkspaceOrphanRetry, org.as_str(), outcome, detail)).await;
        Audited::new(result, recorded)
    }

    async fn retry_orphan_steps(&self, org: &OrgId) -> Result<OrphanRetry, RemovalError> {
        let row = self.p.registry.get(org).await.map_err(RemovalError::Registry)?.ok_or(RemovalError::NotFound)?;
        let Some(arn) = row.orphan.as_ref().map(|o| o.arn.clone()) else { return Ok(OrphanRetry::NothingToDo) };
        if row.secret_arn.as_deref() == Some(arn.as_str()) && row.is_active() {
            return Ok(OrphanRetry::InUse);
        }
        let owner = match self.owner_of(&arn).await {
            Ok(owner) => owner.flatten(),
            Err(e) => return Ok(self.orphan_still(org, &arn, StepError::Vault(e)).await),
        };
        if owner.as_deref().is_some_and(|o| o != org.as_str()) {
            return Ok(OrphanRetry::Failed(Arc::new(StepError::ForeignBundle { arn })));
        }
        if let Err(e) = self.p.vault.delete_now(&arn).await {
            return Ok(self.orphan_still(org, &arn, StepError::Vault(e)).await);
        }
        // Cleared only while the markers still name it: another orphan recorded meanwhile stays.
        self.p.registry.clear_orphan(org, &arn).await.map_err(RemovalError::Registry)?;
        Ok(OrphanRetry::Deleted(arn))
    }

    async fn orphan_still(&self, org: &OrgId, arn: &str, error: StepError) -> OrphanRetry {
        if let Err(e) = self.p.registry.mark_orphaned(org, arn, &chain(&error)).await {
            tracing::error!(secret = arn, error = %chain(&e), "secret deletion failed again and could not be recorded");
        }
        OrphanRetry::Failed(Arc::new(error))
    }

    /// Deletes the link rows (`<org>#<user>`, also legacy rows without `linear_workspace_id`) and
    /// pending invites of the workspace.
    /// Deactivates every active mapping stamped with this workspace, each conditioned on the
    /// version read; how many.
    async fn deactivate_projects(&self, org: &OrgId) -> Result<usize, StoreError> {
        let rows = self.p.projects.all().await?;
        let now = iso_millis(self.p.clock.now());
        let mut done = 0;
        for m in rows.iter().filter(|m| m.is_active() && m.workspace_id.as_deref() == Some(org.as_str())) {
            self.p.projects.put(&m.with_status(REMOVED, org, &now), &m.version()).await?;
            done += 1;
        }
        Ok(done)
    }

    async fn delete_links(&self, org: &OrgId) -> Result<usize, StoreError> {
        let rows = self.p.mappings.workspace_rows(org).await?;
        let keys: Vec<String> = rows.iter().map(|r| r.key()).collect();
        self.p.mappings.delete_all(&keys).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fail, Fakes, Workspace};

    fn admin() -> Actor {
        Actor { sub: "sub-admin".into(), email: "admin@example.com".into(), request_id: None }
    }

    fn statuses(r: &Report) -> Vec<&'static str> {
        r.statuses().iter().map(|(_, s)| s.code()).collect()
    }

    #[tokio::test]
    async fn a_revoke_runs_every_step_in_order_and_is_audited() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme").with_links(2).with_invites(1));
        let done = f.removals().run(&admin(), Removal::Revoke, &ws.org, "acme", Cleanup::ALL).await;
        let report = done.value.unwrap();
        assert_eq!(statuses(&report), ["done", "done", "done", "done", "already", "skipped"]);
        assert_eq!(report.links_deleted, 3);
        let row = f.registry.row(&ws.org).unwrap();
        assert!(row.revoked_by_admin(), "still in the registry, revoked");
        assert!(f.vault.value(&ws.arn).is_none(), "bundle deleted");
        assert_eq!(f.oauth.revoked(), [TokenKind::Refresh, TokenKind::Access], "the refresh token first");
        assert_eq!(f.registry.script.calls()[1], "mark_revoked", "marked before anything else changed");
        assert!(f.mappings.rows_of(&ws.org).is_empty());
        let audit = f.audit.entries();
        assert_eq!((audit[0].action.as_str(), audit[0].outcome.as_str()), ("workspace.revoke", "success"));
    }

    #[tokio::test]
    async fn a_wrong_confirmation_does_nothing() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        let done = f.removals().run(&admin(), Removal::Remove, &ws.org, "acme-typo", Cleanup::ALL).await;
        assert!(matches!(done.value, Err(RemovalError::ConfirmMismatch)));
        assert!(f.registry.row(&ws.org).unwrap().is_active());
        assert!(f.oauth.revoked().is_empty() && f.vault.value(&ws.arn).is_some());
    }

    /// Each step failing in turn: what it leaves, and that a rerun finishes the job.
    #[tokio::test]
    async fn each_step_failing_stops_what_depends_on_it_and_a_rerun_finishes() {
        type Case = (&'static str, &'static str, [&'static str; 6]);
        let cases: [Case; 7] = [
            ("registry", "mark_revoked", ["failed", "notrun", "notrun", "notrun", "notrun", "notrun"]),
            ("oauth", "revoke", ["done", "failed", "notrun", "notrun", "notrun", "notrun"]),
            ("vault", "delete_now", ["done", "done", "failed", "done", "already", "notrun"]),
            ("mappings", "workspace_rows", ["done", "done", "done", "failed", "notrun", "notrun"]),
            ("mappings", "delete_all", ["done", "done", "done", "failed", "notrun", "notrun"]),
            ("project_mappings", "all", ["done", "done", "done", "done", "failed", "notrun"]),
            ("registry", "delete_revoked", ["done", "done", "done", "done", "already", "failed"]),
        ];
        for (fake, op, expected) in cases {
            let f = Fakes::new();
            let ws = f.install(Workspace::active("acme").with_links(1));
            f.script(fake).fail(op, Fail::Unavailable);
            let removals = f.removals();
            let first = removals.run(&admin(), Removal::Remove, &ws.org, "acme", Cleanup::ALL).await.value.unwrap();
            assert_eq!(statuses(&first), expected, "{op} failing");
            assert!(!first.complete());
            assert_eq!(f.audit.entries().last().unwrap().outcome, "failure", "{op}");
            if op == "delete_now" {
                let row = f.registry.row(&ws.org).unwrap();
                assert_eq!(row.orphan.map(|o| o.arn), Some(ws.arn.clone()), "the orphan is recorded on the row");
            }
            let again = removals.run(&admin(), Removal::Remove, &ws.org, "acme", Cleanup::ALL).await.value.unwrap();
            assert!(again.complete(), "{op}: the rerun finishes: {:?}", statuses(&again));
            assert!(again.removed());
            assert!(f.registry.row(&ws.org).is_none(), "{op}: the row is gone");
            assert!(f.vault.value(&ws.arn).is_none() && f.mappings.rows_of(&ws.org).is_empty());
        }
    }

    #[tokio::test]
    async fn a_rerun_reports_what_was_already_done() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        let removals = f.removals();
        let _ = removals.run(&admin(), Removal::Revoke, &ws.org, "acme", Cleanup::default()).await;
        let again = removals.run(&admin(), Removal::Revoke, &ws.org, "acme", Cleanup::default()).await.value.unwrap();
        assert_eq!(statuses(&again), ["already", "already", "already", "skipped", "skipped", "skipped"]);
    }

    #[tokio::test]
    async fn another_workspaces_bundle_is_never_deleted() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        let other = f.install(Workspace::active("globex"));
        f.registry.edit(&ws.org, |r| r.secret_arn = Some(other.arn.clone()));
        let report = f.removals().run(&admin(), Removal::Revoke, &ws.org, "acme", Cleanup::default()).await.value.unwrap();
        assert_eq!(report.statuses()[2].1, StepStatus::Failed);
        assert!(report.detail().contains("another workspace's tokens"), "{}", report.detail());
        assert!(f.vault.value(&other.arn).is_some());
    }

    #[tokio::test]
    async fn a_change_whose_audit_event_was_not_stored_says_so() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.audit.fail_next(Fail::Unavailable);
        let done = f.removals().run(&admin(), Removal::Revoke, &ws.org, "acme", Cleanup::default()).await;
        assert!(done.value.unwrap().complete(), "the revoke happened");
        assert_eq!(done.recorded, Recorded::No);
    }

    #[tokio::test]
    async fn retry_deletion_deletes_the_orphan_and_refuses_the_bundle_in_use() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.vault.script.fail("delete_now", Fail::Unavailable);
        let removals = f.removals();
        let _ = removals.run(&admin(), Removal::Revoke, &ws.org, "acme", Cleanup::default()).await;
        assert!(f.registry.row(&ws.org).unwrap().orphan.is_some());
        let retried = removals.retry_orphan(&admin(), &ws.org).await.value.unwrap();
        assert!(matches!(retried, OrphanRetry::Deleted(arn) if arn == ws.arn));
        assert!(f.registry.row(&ws.org).unwrap().orphan.is_none());
        assert!(matches!(removals.retry_orphan(&admin(), &ws.org).await.value.unwrap(), OrphanRetry::NothingToDo));
        let active = f.install(Workspace::active("globex"));
        f.registry
            .edit(&active.org, |r| r.orphan = Some(crate::records::registry::OrphanedSecret { arn: active.arn.clone(), error: None }));
        assert!(matches!(removals.retry_orphan(&admin(), &active.org).await.value.unwrap(), OrphanRetry::InUse));
        assert!(f.vault.value(&active.arn).is_some());
    }
}
