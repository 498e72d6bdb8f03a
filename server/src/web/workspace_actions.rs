//! The workspace page's changes behind its server functions: *Check now*, *Refresh token*,
//! *Revoke*/*Remove*, *Retry deletion* and the webhook signing secret. Each calls a service (which
//! audits it) and answers where the browser goes next: the page with the typed outcome.
use std::sync::Arc;

use app::outcomes::{Notice, WorkspaceNotice};
use app::ports::{Actor as Author, WorkspaceActionsPort};
use async_trait::async_trait;
use tower_sessions::Session;

use crate::domain::audit::Actor;
use crate::domain::health::CheckResult;
use crate::services::install::{Installer, WebhookError};
use crate::services::removal::{OrphanRetry, Removal, RemovalError, Report};
use crate::services::upkeep::{RefreshOutcome, TokenUpkeep, UpkeepError};
use crate::services::workspaces::OverviewCache;
use crate::web::security::encode_component;

pub struct WorkspaceActions {
    pub upkeep: Arc<TokenUpkeep>,
    pub removal: Arc<Removal>,
    pub installer: Arc<Installer>,
    /// Dropped after every change, so the overview shows it at once.
    pub overview: OverviewCache,
}

fn actor(a: &Author) -> Actor {
    Actor::from(a)
}

fn page(org_id: &str, query: &str) -> String {
    format!("/workspaces/{}?{query}", encode_component(org_id))
}

fn back(org_id: &str, notice: WorkspaceNotice) -> String {
    page(org_id, &notice.query())
}

fn refused(e: &UpkeepError) -> WorkspaceNotice {
    match e {
        UpkeepError::NotFound => WorkspaceNotice::NotFound,
        UpkeepError::NotActive => WorkspaceNotice::NotActive,
        UpkeepError::BundleUnusable => WorkspaceNotice::BundleUnusable,
        UpkeepError::Unsaved(_) => WorkspaceNotice::RefreshUnsaved,
        UpkeepError::Registry(_) | UpkeepError::Secrets(_) => WorkspaceNotice::ActionUnavailable,
    }
}

/// Where a revoke or remove lands: the page with each step, or (a finished Remove) the registry.
fn removal_landing(org_id: &str, result: Result<Report, RemovalError>, removed_row: bool) -> String {
    match result {
        Ok(report) if removed_row && report.complete() => {
            format!("/workspaces?removed={}&steps={}", encode_component(&report.name), report.steps().code())
        }
        Ok(report) => page(org_id, &format!("steps={}", report.steps().code())),
        Err(RemovalError::ConfirmMismatch) => back(org_id, WorkspaceNotice::ConfirmMismatch),
        Err(RemovalError::NotFound) => back(org_id, WorkspaceNotice::NotFound),
        Err(e) => {
            tracing::error!(error = %e, "revoke failed before its first step");
            back(org_id, WorkspaceNotice::ActionUnavailable)
        }
    }
}

#[async_trait]
impl WorkspaceActionsPort for WorkspaceActions {
    async fn check(&self, author: &Author, org_id: &str) -> String {
        let notice = match self.upkeep.check(&actor(author), org_id).await {
            Ok(CheckResult::Ok) => WorkspaceNotice::CheckOk,
            Ok(CheckResult::Unauthenticated) => WorkspaceNotice::CheckRefused,
            Ok(_) => WorkspaceNotice::CheckDegraded,
            Err(e) => {
                tracing::warn!(error = %e, "check failed");
                refused(&e)
            }
        };
        self.overview.invalidate();
        back(org_id, notice)
    }

    async fn refresh(&self, author: &Author, org_id: &str) -> String {
        let notice = match self.upkeep.refresh(&actor(author), org_id).await {
            Ok(RefreshOutcome::Refreshed { .. }) => WorkspaceNotice::Refreshed,
            Ok(RefreshOutcome::AlreadyRefreshed) => WorkspaceNotice::AlreadyRefreshed,
            Ok(RefreshOutcome::GrantDead) => WorkspaceNotice::GrantDead,
            Ok(RefreshOutcome::Busy) => WorkspaceNotice::RefreshBusy,
            Ok(RefreshOutcome::Failed { .. }) => WorkspaceNotice::RefreshFailed,
            Err(e) => {
                tracing::warn!(error = %e, "refresh failed");
                refused(&e)
            }
        };
        self.overview.invalidate();
        back(org_id, notice)
    }

    async fn revoke(&self, author: &Author, org_id: &str, confirm: &str, delete_links: bool) -> String {
        let result = self.removal.revoke(&actor(author), org_id, confirm, delete_links).await;
        self.overview.invalidate();
        removal_landing(org_id, result, false)
    }

    async fn remove(&self, author: &Author, org_id: &str, confirm: &str, delete_links: bool) -> String {
        let result = self.removal.remove(&actor(author), org_id, confirm, delete_links).await;
        self.overview.invalidate();
        removal_landing(org_id, result, true)
    }

    async fn retry_orphan(&self, author: &Author, org_id: &str) -> String {
        let notice = match self.removal.retry_orphan(&actor(author), org_id).await {
            Ok(OrphanRetry::Deleted(_)) => WorkspaceNotice::OrphanDeleted,
            Ok(OrphanRetry::NothingToDo) => WorkspaceNotice::OrphanNone,
            Ok(OrphanRetry::InUse) => WorkspaceNotice::OrphanInUse,
            Ok(OrphanRetry::Failed(_)) => WorkspaceNotice::OrphanRetryFailed,
            Err(RemovalError::NotFound) => WorkspaceNotice::NotFound,
            Err(e) => {
                tracing::error!(error = %e, "orphan retry failed");
                WorkspaceNotice::ActionUnavailable
            }
        };
        back(org_id, notice)
    }

    async fn finish_install(&self, author: &Author, session: &Session) -> String {
        let to = crate::web::install::finish(session, &self.installer, &actor(author), &author.admin).await;
        self.overview.invalidate();
        to
    }

    async fn save_webhook_secret(&self, author: &Author, org_id: &str, secret: &str) -> String {
        match self.installer.save_webhook_secret(&actor(author), org_id, secret).await {
            Ok(()) => back(org_id, WorkspaceNotice::WebhookSaved),
            Err(WebhookError::Invalid) => back(org_id, WorkspaceNotice::WebhookInvalid),
            Err(WebhookError::NotInstalled) => back(org_id, WorkspaceNotice::WebhookNotInstalled),
            Err(WebhookError::RefreshDue) => back(org_id, WorkspaceNotice::WebhookRefreshDue),
            Err(e) => {
                tracing::error!(error = %e, "could not store the webhook signing secret");
                page(org_id, &format!("{}&rid={}", WorkspaceNotice::WebhookUnavailable.query(), encode_component(&author.request_id)))
            }
        }
    }
}
