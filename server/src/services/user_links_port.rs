//! The user-linking port the server functions call: thin adapters over [`UserLinks`],
//! each change audited.
use std::sync::Arc;

use app::ports::{Actor, PortError, PortFailure, UserLinksPort};
use app::user_links_view::{LinkOutcome, LinkRequest, LinkResult, PlatformUserPage, UsersQuery, WorkspaceUsers};
use async_trait::async_trait;

use super::user_links::{LinkingError, UserLinks};
use crate::adapters::dynamodb::audit::AuditLog;
use crate::domain::audit::{AuditEvent, Outcome};

pub struct UserLinksAdapter {
    pub links: Arc<UserLinks>,
    pub audit: AuditLog,
}

pub fn failure(e: LinkingError) -> PortFailure {
    match e {
        LinkingError::UnknownWorkspace => PortFailure::NotFound("that workspace is not in the registry".into()),
        LinkingError::Unavailable(service) => PortFailure::Backend(PortError { service, cause: "see the log above".into() }),
        other => PortFailure::Invalid(other.to_string()),
    }
}

/// The audit event of one link attempt.
pub fn link_event(
    sub: &str,
    email: &str,
    request_id: Option<String>,
    org_id: &str,
    req: &LinkRequest,
    outcome: &LinkOutcome,
) -> AuditEvent {
    let action = if req.replace.is_some() { "user.link_change" } else { "user.link" };
    let what = match &req.replace {
        Some(old) => format!("Linear user {} from platform user {old} to {}", req.linear_user_id, req.platform_user_id),
        None => format!("Linear user {} to platform user {}", req.linear_user_id, req.platform_user_id),
    };
    AuditEvent {
        action,
        actor_sub: Some(sub.to_owned()),
        actor_email: Some(email.to_owned()),
        target: Some(org_id.to_owned()),
        outcome: match outcome {
            LinkOutcome::Linked => Outcome::Success,
            LinkOutcome::Conflict { .. } | LinkOutcome::Refused(_) => Outcome::Refused,
            LinkOutcome::Failed => Outcome::Failure,
        },
        detail: Some(format!("{what}: {}", outcome.words())),
        request_id,
    }
}

#[async_trait]
impl UserLinksPort for UserLinksAdapter {
    async fn workspace_users(&self, org_id: &str, query: &UsersQuery) -> Result<WorkspaceUsers, PortFailure> {
        self.links.workspace_users(org_id, query).await.map_err(failure)
    }

    async fn suggested(&self, org_id: &str) -> Result<Vec<LinkRequest>, PortFailure> {
        self.links.suggested(org_id).await.map_err(failure)
    }

    async fn link_users(&self, actor: &Actor, org_id: &str, links: &[LinkRequest]) -> Result<Vec<LinkResult>, PortFailure> {
        let results = self.links.link_many(&actor.admin.sub, org_id, links).await;
        for (req, result) in links.iter().zip(&results) {
            let ev = link_event(&actor.admin.sub, &actor.admin.email, Some(actor.request_id.clone()), org_id, req, &result.outcome);
            let _ = self.audit.record(ev).await;
        }
        Ok(results)
    }

    async fn reload(&self, org_id: &str) -> Result<usize, PortFailure> {
        self.links.reload(org_id).await.map_err(failure)
    }

    fn reload_progress(&self, org_id: &str) -> Option<(usize, usize)> {
        self.links.reload_progress(org_id)
    }

    async fn platform_users(&self, prefix: &str, token: Option<String>) -> Result<PlatformUserPage, PortFailure> {
        self.links.platform_users(prefix, token, 60).await.map_err(failure)
    }
}
