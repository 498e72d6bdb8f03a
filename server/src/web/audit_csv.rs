//! `GET /audit.csv`: the audit log's filtered view as a CSV download (a browser download, not a
//! UI action, so a plain axum route).
use app::edge::Member;
use app::identity::Role;
use app::wire::{AuditEntry, AuditQuery};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use console_core::cache::Freshness;

use crate::web::state::{AppState, ExportLimits};

/// `GET /audit.csv?<the view's query>`: the filtered view as a CSV download (up to 10,000 events).
/// The log names people, so a viewer may not export it; each session may export a few times a
/// minute (each export can read a year of days).
pub async fn csv_export(
    State(state): State<AppState>,
    State(limits): State<ExportLimits>,
    member: Member,
    session: tower_sessions::Session,
    Query(mut q): Query<AuditQuery>,
) -> Response {
    let member = match member.at_least(Role::Operator) {
        Ok(member) => member,
        Err(refused) => return refused.into_response(),
    };
    q.before.clear();
    let filter = match q.filter() {
        Ok(filter) => filter,
        Err(why) => return (StatusCode::BAD_REQUEST, why).into_response(),
    };
    let who = session.id().map(|id| id.to_string()).unwrap_or_else(|| member.identity().sub.clone());
    if !limits.allow(&who, app::edge::now_unix()) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(axum::http::header::RETRY_AFTER, "60")],
            "Too many exports from this session; wait a minute.",
        )
            .into_response();
    }
    match state.services.audit.search(&filter, 10_000, Freshness::SinceChange).await {
        Ok(page) => (
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"linear-console-audit.csv\""),
            ],
            to_csv(&page.entries),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %console_core::error::chain(&e), "audit export failed");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, "The audit log is unavailable right now; try again shortly.").into_response()
        }
    }
}

/// The CSV of an audit view (cells quoted and formulas defused by [`crate::web::csv::line`]).
pub fn to_csv(entries: &[AuditEntry]) -> String {
    let mut out = crate::web::csv::line(&["time", "actor_email", "actor_sub", "action", "workspace", "outcome", "detail", "request_id"]);
    for e in entries {
        out.push_str(&crate::web::csv::line(&[
            e.at.as_str(),
            e.actor_email.as_deref().unwrap_or(""),
            e.actor_sub.as_deref().unwrap_or(""),
            e.action.as_str(),
            e.target.as_deref().unwrap_or(""),
            e.outcome.as_str(),
            e.detail.as_deref().unwrap_or(""),
            e.request_id.as_deref().unwrap_or(""),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::state::EXPORTS_PER_MINUTE;

    #[test]
    fn exports_are_limited_per_session_per_minute() {
        let limits = ExportLimits::default();
        for _ in 0..EXPORTS_PER_MINUTE {
            assert!(limits.allow("a", 100));
        }
        assert!(!limits.allow("a", 110), "a sixth within the minute");
        assert!(limits.allow("b", 110), "another session is not affected");
        assert!(limits.allow("a", 160), "a minute later");
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
        let e = AuditEntry {
            at: "2026-11-23T10:00:00Z".into(),
            actor_email: Some("a@example.com".into()),
            actor_sub: None,
            action: "workspace.revoke".into(),
            target: Some("org".into()),
            outcome: "success".into(),
            detail: Some("acme: links: 3 deleted, \"all\"".into()),
            request_id: Some("=HYPERLINK(1)".into()),
            key: "2026-11-23T10:00:00Z#1".into(),
            resent: None,
        };
        let csv = to_csv(&[e]);
        let line = csv.lines().nth(1).unwrap();
        assert!(line.contains("\"acme: links: 3 deleted, \"\"all\"\"\""), "{line}");
        assert!(line.ends_with(",'=HYPERLINK(1)"), "{line}");
        assert_eq!(csv.lines().count(), 2);
    }
}
