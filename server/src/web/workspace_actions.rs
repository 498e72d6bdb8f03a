//! The workspace page's token buttons: `POST /workspaces/{org}/check` (*Check now*) and
//! `POST /workspaces/{org}/refresh` (*Refresh token*). Plain form POSTs answered with a redirect
//! back to the page with the outcome; each is audited. Also *Revoke*/*Remove* and the
//! orphaned secret's *Retry deletion*.
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use crate::domain::audit::Outcome;
use crate::domain::health::CheckResult;
use crate::services::removal::{OrphanRetry, RemovalError};
use crate::services::upkeep::{RefreshOutcome, UpkeepError};
use crate::web::admin::{actor, record_change, SignedInAdmin};
use crate::web::security::encode_component;
use crate::web::state::AppState;
use app::outcomes::{Notice, WorkspaceNotice};

fn back(org_id: &str, notice: WorkspaceNotice) -> Response {
    to_page(org_id, &notice.query())
}

fn to_page(org_id: &str, query: &str) -> Response {
    Redirect::to(&format!("/workspaces/{}?{query}", encode_component(org_id))).into_response()
}

fn refused(e: &UpkeepError) -> (WorkspaceNotice, Outcome) {
    match e {
        UpkeepError::NotFound => (WorkspaceNotice::NotFound, Outcome::Refused),
        UpkeepError::NotActive => (WorkspaceNotice::NotActive, Outcome::Refused),
        UpkeepError::BundleUnusable => (WorkspaceNotice::BundleUnusable, Outcome::Failure),
        UpkeepError::Unsaved(_) => (WorkspaceNotice::RefreshUnsaved, Outcome::Failure),
        UpkeepError::Registry(_) | UpkeepError::Secrets(_) => (WorkspaceNotice::ActionUnavailable, Outcome::Failure),
    }
}

async fn audit(
    state: &AppState,
    admin: &SignedInAdmin,
    headers: &HeaderMap,
    action: &'static str,
    org_id: &str,
    outcome: Outcome,
    detail: String,
) {
    record_change(&state.audit, admin, headers, action, org_id, outcome, detail).await;
}

pub async fn check(State(state): State<AppState>, admin: SignedInAdmin, headers: HeaderMap, Path(org_id): Path<String>) -> Response {
    let (notice, outcome, detail) = match state.upkeep.check(&org_id).await {
        Ok(r) => {
            let notice = match r {
                CheckResult::Ok => WorkspaceNotice::CheckOk,
                CheckResult::Unauthenticated => WorkspaceNotice::CheckRefused,
                _ => WorkspaceNotice::CheckDegraded,
            };
            let outcome = if r == CheckResult::Ok { Outcome::Success } else { Outcome::Failure };
            (notice, outcome, format!("Linear answered: {}", r.as_str()))
        }
        Err(e) => {
            tracing::warn!(error = %e, "check failed");
            let (q, o) = refused(&e);
            (q, o, e.to_string())
        }
    };
    audit(&state, &admin, &headers, "workspace.check", &org_id, outcome, detail).await;
    back(&org_id, notice)
}

pub async fn refresh(State(state): State<AppState>, admin: SignedInAdmin, headers: HeaderMap, Path(org_id): Path<String>) -> Response {
    let (notice, outcome, detail) = match state.upkeep.refresh(&org_id).await {
        Ok(RefreshOutcome::Refreshed { expires_at }) => {
            (WorkspaceNotice::Refreshed, Outcome::Success, format!("new access token until {expires_at}"))
        }
        Ok(RefreshOutcome::AlreadyRefreshed) => {
            (WorkspaceNotice::AlreadyRefreshed, Outcome::Success, "another actor refreshed first; its tokens are in the bundle".to_owned())
        }
        Ok(RefreshOutcome::GrantDead) => {
            (WorkspaceNotice::GrantDead, Outcome::Failure, "invalid_grant: the workspace needs reconnecting".to_owned())
        }
        Ok(RefreshOutcome::Busy) => (WorkspaceNotice::RefreshBusy, Outcome::Refused, "another console instance is refreshing".to_owned()),
        Ok(RefreshOutcome::Failed { reason }) => {
            (WorkspaceNotice::RefreshFailed, Outcome::Failure, format!("Linear: {reason}; nothing changed"))
        }
        Err(e) => {
            tracing::warn!(error = %e, "refresh failed");
            let (q, o) = refused(&e);
            (q, o, e.to_string())
        }
    };
    audit(&state, &admin, &headers, "workspace.refresh", &org_id, outcome, detail).await;
    back(&org_id, notice)
}

#[derive(serde::Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    confirm: String,
    /// A checkbox: present ("on") when checked.
    #[serde(default)]
    delete_links: Option<String>,
    mode: RemoveMode,
}

/// The form's two buttons: the same confirmation, two verbs.
#[derive(serde::Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RemoveMode {
    Revoke,
    Remove,
}

/// *Revoke* (or *Remove*): confirmed by typing the slug, then every step in order, reported.
pub async fn remove(
    State(state): State<AppState>,
    admin: SignedInAdmin,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    axum::Form(form): axum::Form<RemoveForm>,
) -> Response {
    let actor = actor(&admin.0, &headers);
    let delete_links = form.delete_links.is_some();
    let result = match form.mode {
        RemoveMode::Revoke => state.removal.revoke(&actor, &org_id, &form.confirm, delete_links).await,
        RemoveMode::Remove => state.removal.remove(&actor, &org_id, &form.confirm, delete_links).await,
    };
    match result {
        Ok(report) if form.mode == RemoveMode::Remove && report.complete() => {
            Redirect::to(&format!("/workspaces?removed={}&steps={}", encode_component(&report.name), report.steps().code())).into_response()
        }
        Ok(report) => to_page(&org_id, &format!("steps={}", report.steps().code())),
        Err(RemovalError::ConfirmMismatch) => back(&org_id, WorkspaceNotice::ConfirmMismatch),
        Err(RemovalError::NotFound) => back(&org_id, WorkspaceNotice::NotFound),
        Err(e) => {
            tracing::error!(error = %e, "revoke failed before its first step");
            back(&org_id, WorkspaceNotice::ActionUnavailable)
        }
    }
}

/// *Retry deletion* on the orphaned-secret warning.
pub async fn retry_orphan(State(state): State<AppState>, admin: SignedInAdmin, headers: HeaderMap, Path(org_id): Path<String>) -> Response {
    let notice = match state.removal.retry_orphan(&actor(&admin.0, &headers), &org_id).await {
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
    back(&org_id, notice)
}
