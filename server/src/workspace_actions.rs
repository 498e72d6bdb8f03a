//! The workspace page's token buttons: `POST /workspaces/{org}/check` (*Check now*) and
//! `POST /workspaces/{org}/refresh` (*Refresh token*). Plain form POSTs answered with a redirect
//! back to the page with the outcome; each is audited. Also *Revoke*/*Remove* and the
//! orphaned secret's *Retry deletion*.
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use crate::audit::Outcome;
use crate::health::CheckResult;
use crate::security::{encode_component, SignedInAdmin};
use crate::state::AppState;
use crate::removal::RemovalError;
use crate::token_upkeep::{RefreshOutcome, UpkeepError};

fn back(org_id: &str, query: &str) -> Response {
    Redirect::to(&format!("/workspaces/{}?{query}", encode_component(org_id))).into_response()
}

fn refused(e: &UpkeepError) -> (&'static str, Outcome) {
    match e {
        UpkeepError::NotFound => ("error=not_found", Outcome::Refused),
        UpkeepError::NotActive => ("error=not_active", Outcome::Refused),
        UpkeepError::BundleUnusable => ("error=bundle_unusable", Outcome::Failure),
        UpkeepError::Unsaved(_) => ("error=refresh_unsaved", Outcome::Failure),
        UpkeepError::Unavailable(_) => ("error=action_unavailable", Outcome::Failure),
    }
}

async fn audit(state: &AppState, admin: &SignedInAdmin, headers: &HeaderMap, action: &'static str, org_id: &str, outcome: Outcome, detail: String) {
    state.audit.record_admin_change(admin, headers, action, org_id, outcome, detail).await;
}

pub async fn check(State(state): State<AppState>, admin: SignedInAdmin, headers: HeaderMap, Path(org_id): Path<String>) -> Response {
    let (query, outcome, detail) = match state.upkeep.check(&org_id).await {
        Ok(r) => {
            let query = match r {
                CheckResult::Ok => "notice=check_ok",
                CheckResult::Unauthenticated => "notice=check_refused",
                _ => "notice=check_degraded",
            };
            let outcome = if r == CheckResult::Ok { Outcome::Success } else { Outcome::Failure };
            (query, outcome, format!("Linear answered: {}", r.as_str()))
        }
        Err(e) => {
            tracing::warn!(error = %e, "check failed");
            let (q, o) = refused(&e);
            (q, o, e.to_string())
        }
    };
    audit(&state, &admin, &headers, "workspace.check", &org_id, outcome, detail).await;
    back(&org_id, query)
}

pub async fn refresh(State(state): State<AppState>, admin: SignedInAdmin, headers: HeaderMap, Path(org_id): Path<String>) -> Response {
    let (query, outcome, detail) = match state.upkeep.refresh(&org_id).await {
        Ok(RefreshOutcome::Refreshed { expires_at }) => ("notice=refreshed", Outcome::Success, format!("new access token until {expires_at}")),
        Ok(RefreshOutcome::AlreadyRefreshed) => {
            ("notice=already_refreshed", Outcome::Success, "another actor refreshed first; its tokens are in the bundle".to_owned())
        }
        Ok(RefreshOutcome::GrantDead) => ("notice=grant_dead", Outcome::Failure, "invalid_grant: the workspace needs reconnecting".to_owned()),
        Ok(RefreshOutcome::Busy) => ("notice=refresh_busy", Outcome::Refused, "another console instance is refreshing".to_owned()),
        Ok(RefreshOutcome::Failed { reason }) => ("notice=refresh_failed", Outcome::Failure, format!("Linear: {reason}; nothing changed")),
        Err(e) => {
            tracing::warn!(error = %e, "refresh failed");
            let (q, o) = refused(&e);
            (q, o, e.to_string())
        }
    };
    audit(&state, &admin, &headers, "workspace.refresh", &org_id, outcome, detail).await;
    back(&org_id, query)
}

#[derive(serde::Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    confirm: String,
    /// A checkbox: present ("on") when checked.
    #[serde(default)]
    delete_links: Option<String>,
    /// `revoke` or `remove`.
    mode: String,
}

/// *Revoke* (or *Remove*): confirmed by typing the slug, then every step in order, reported.
pub async fn remove(
    State(state): State<AppState>,
    admin: SignedInAdmin,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    axum::Form(form): axum::Form<RemoveForm>,
) -> Response {
    let remove_row = form.mode == "remove";
    let action = if remove_row { "workspace.remove" } else { "workspace.revoke" };
    let row = match state.registry.get(&org_id).await {
        Ok(Some(row)) => row,
        Ok(None) => return back(&org_id, "error=not_found"),
        Err(e) => {
            tracing::error!(error = %e, "registry unavailable");
            return back(&org_id, "error=action_unavailable");
        }
    };
    // The slug (or, for a row without one, the org id) must be typed: a deliberate act.
    let expected = crate::platform::registry_row::s(&row, "workspace_slug").unwrap_or_else(|| org_id.clone());
    if form.confirm.trim() != expected {
        return back(&org_id, "error=confirm_mismatch");
    }
    match state.removal.run(&org_id, &admin.0.sub, form.delete_links.is_some(), remove_row).await {
        Ok(report) => {
            let outcome = if report.complete() { Outcome::Success } else { Outcome::Failure };
            audit(&state, &admin, &headers, action, &org_id, outcome, format!("{expected}: {}", report.detail())).await;
            if remove_row && report.complete() {
                Redirect::to(&format!("/workspaces?removed={}&steps={}", encode_component(&expected), report.query())).into_response()
            } else {
                back(&org_id, &format!("steps={}", report.query()))
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "revoke failed before its first step");
            audit(&state, &admin, &headers, action, &org_id, Outcome::Failure, e.to_string()).await;
            back(&org_id, "error=action_unavailable")
        }
    }
}

/// *Retry deletion* on the orphaned-secret warning.
pub async fn retry_orphan(State(state): State<AppState>, admin: SignedInAdmin, headers: HeaderMap, Path(org_id): Path<String>) -> Response {
    use crate::removal::OrphanRetry;
    let (query, outcome, detail) = match state.removal.retry_orphan(&org_id).await {
        Ok(OrphanRetry::Deleted(arn)) => ("notice=orphan_deleted", Outcome::Success, format!("deleted {arn}")),
        Ok(OrphanRetry::NothingToDo) => ("notice=orphan_none", Outcome::Success, "no orphaned secret recorded".to_owned()),
        Ok(OrphanRetry::InUse) => ("error=orphan_in_use", Outcome::Refused, "the recorded secret is the active bundle".to_owned()),
        Ok(OrphanRetry::Failed(e)) => ("error=orphan_retry_failed", Outcome::Failure, e),
        Err(RemovalError::NotFound) => ("error=not_found", Outcome::Refused, "not in the registry".to_owned()),
        Err(e) => {
            tracing::error!(error = %e, "orphan retry failed");
            ("error=action_unavailable", Outcome::Failure, e.to_string())
        }
    };
    audit(&state, &admin, &headers, "workspace.orphan_retry", &org_id, outcome, detail).await;
    back(&org_id, query)
}
