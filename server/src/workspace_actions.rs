//! The workspace page's token buttons: `POST /workspaces/{org}/check` (*Check now*) and
//! `POST /workspaces/{org}/refresh` (*Refresh token*). Plain form POSTs answered with a redirect
//! back to the page with the outcome; each is audited.
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use crate::audit::{AuditEvent, Outcome};
use crate::health::CheckResult;
use crate::security::{encode_component, SignedInAdmin};
use crate::state::AppState;
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
    let _ = state
        .audit
        .record(AuditEvent {
            action,
            actor_sub: Some(admin.0.sub.clone()),
            actor_email: Some(admin.0.email.clone()),
            target: Some(org_id.to_owned()),
            outcome,
            detail: Some(detail),
            request_id: headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned),
        })
        .await;
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
