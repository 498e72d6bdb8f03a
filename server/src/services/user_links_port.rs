//! The user-linking port the server functions read through: thin adapters over [`UserLinks`]
//! (whose changes audit themselves).
use std::sync::Arc;

use app::ports::{Actor, PortError, PortFailure, UserLinksPort};
use app::user_links_view::{LinkRequest, LinkResult, PlatformUserPage, UsersQuery, WorkspaceUsers};
use async_trait::async_trait;

use super::user_links::{LinkingError, UserLinks};

pub struct UserLinksAdapter {
    pub links: Arc<UserLinks>,
}

pub fn failure(e: LinkingError) -> PortFailure {
    match e {
        LinkingError::UnknownWorkspace => PortFailure::NotFound("that workspace is not in the registry".into()),
        LinkingError::Unavailable(service) => PortFailure::Backend(PortError { service, cause: "see the log above".into() }),
        other => PortFailure::Invalid(other.to_string()),
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
        Ok(self.links.link_many(&actor.into(), org_id, links).await)
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
