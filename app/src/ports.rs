//! What the server functions need from the server crate, as traits: the UI crate
//! names no AWS SDK. The server provides an implementation of each through context.
use std::sync::Arc;

use async_trait::async_trait;

use crate::identity::Identity;
use crate::user_links_view::{LinkRequest, LinkResult, PlatformUserPage, UsersQuery, WorkspaceUsers};
use crate::wire::{AuditEntry, AuditPage, AuditQuery, ConnectInfo, Profile, WorkspaceDetail, WorkspaceSummary};

tokio::task_local! {
    /// Whether the page being rendered follows a change its viewer just made (the change's
    /// redirect put its outcome in the URL). Such a page's reads wait for data read after the
    /// change; any other page may be answered from before the latest change while that data is
    /// being read again. Outside a page read (changes, background work) reads are never older
    /// than the latest change.
    pub static AFTER_CHANGE: bool;
}

/// A backend call that failed; `cause` is logged, never shown.
#[derive(Debug)]
pub struct PortError {
    pub service: &'static str,
    pub cause: String,
}

pub type PortResult<T> = Result<T, PortError>;

#[async_trait]
pub trait RegistryPort: Send + Sync {
    async fn list_workspaces(&self) -> PortResult<Vec<WorkspaceSummary>>;
    /// One workspace with what its bundle says; `None` when the registry has no such row.
    async fn workspace(&self, org_id: &str) -> PortResult<Option<WorkspaceDetail>>;
}

#[async_trait]
pub trait InstallPort: Send + Sync {
    async fn connect_info(&self) -> PortResult<ConnectInfo>;
}

#[async_trait]
pub trait AuditPort: Send + Sync {
    async fn recent(&self, limit: usize) -> PortResult<Vec<AuditEntry>>;
    /// Events matching the query, newest first, at most `limit`, with the next page's cursor.
    async fn search(&self, query: &AuditQuery, limit: usize) -> PortResult<AuditPage>;
}

/// A port call that failed for a reason the admin should read (bad input, unknown workspace),
/// or because a backend failed.
#[derive(Debug)]
pub enum PortFailure {
    NotFound(String),
    Invalid(String),
    Backend(PortError),
}

impl From<PortError> for PortFailure {
    fn from(e: PortError) -> Self {
        PortFailure::Backend(e)
    }
}

/// Who made a change, for its audit event.
#[derive(Debug, Clone)]
pub struct Actor {
    pub admin: Identity,
    pub request_id: String,
}

#[async_trait]
pub trait UserLinksPort: Send + Sync {
    async fn workspace_users(&self, org_id: &str, query: &UsersQuery) -> Result<WorkspaceUsers, PortFailure>;
    /// Every suggested member with its match (what *Link all suggested* links).
    async fn suggested(&self, org_id: &str) -> Result<Vec<LinkRequest>, PortFailure>;
    /// Links each (audited one by one); a conflict or bad input is that row's outcome.
    async fn link_users(&self, actor: &Actor, org_id: &str, links: &[LinkRequest]) -> Result<Vec<LinkResult>, PortFailure>;
    /// Fetches the members from Linear again; how many there are.
    async fn reload(&self, org_id: &str) -> Result<usize, PortFailure>;
    /// (pages, users) fetched so far by a reload under way.
    fn reload_progress(&self, org_id: &str) -> Option<(usize, usize)>;
    /// Pool users by email prefix, with their links.
    async fn platform_users(&self, prefix: &str, token: Option<String>) -> Result<PlatformUserPage, PortFailure>;
}

/// The view of a workspace's users page (`?q=&state=&page=`) a form's redirect returns to.
#[derive(Debug, Clone, Default)]
pub struct UsersView {
    pub q: String,
    pub state: String,
    pub page: String,
}

/// The workspace page's changes. Each answers where the browser goes next: the page again with
/// the typed outcome in its query (`?notice=`, `?error=`, `?steps=`); refusals are outcomes too.
#[async_trait]
pub trait WorkspaceActionsPort: Send + Sync {
    async fn check(&self, actor: &Actor, org_id: &str) -> String;
    async fn refresh(&self, actor: &Actor, org_id: &str) -> String;
    async fn revoke(&self, actor: &Actor, org_id: &str, confirm: &str, delete_links: bool) -> String;
    async fn remove(&self, actor: &Actor, org_id: &str, confirm: &str, delete_links: bool) -> String;
    async fn retry_orphan(&self, actor: &Actor, org_id: &str) -> String;
    async fn save_webhook_secret(&self, actor: &Actor, org_id: &str, secret: &str) -> String;
    /// *Finish install*: the registry write of an install whose bundle is saved, kept in `session`.
    async fn finish_install(&self, actor: &Actor, session: &tower_sessions::Session) -> String;
}

/// The users pages' changes, answered like [`WorkspaceActionsPort`]'s.
#[async_trait]
pub trait LinkActionsPort: Send + Sync {
    async fn link(&self, actor: &Actor, org_id: &str, req: LinkRequest, view: &UsersView) -> String;
    async fn unlink(&self, actor: &Actor, org_id: &str, linear_user_id: &str, platform_user_id: &str, view: &UsersView) -> String;
    async fn link_suggested(&self, actor: &Actor, org_id: &str, view: &UsersView) -> String;
    async fn invite(&self, actor: &Actor, org_id: &str, linear_user_id: &str, view: &UsersView) -> String;
    async fn revoke_invite(&self, actor: &Actor, org_id: &str, code: &str, view: &UsersView) -> String;
    async fn reload(&self, org_id: &str, view: &UsersView) -> String;
    /// From `/users`: by the row's key; `email` is the view to return to.
    async fn unlink_identity(&self, actor: &Actor, identity: &str, platform_user_id: &str, email: &str) -> String;
}

/// Incidents, their acknowledgement and snoozing, and the alert settings.
#[async_trait]
pub trait IncidentsPort: Send + Sync {
    async fn list(&self, query: &crate::wire::IncidentQuery) -> PortResult<Vec<crate::wire::IncidentView>>;
    /// Answers where the browser goes next, as the other change ports do.
    async fn acknowledge(&self, actor: &Actor, org_id: &str, kind: crate::wire::IncidentKind, note: &str) -> String;
    async fn snooze(&self, actor: &Actor, org_id: &str, kind: crate::wire::IncidentKind, seconds: Option<i64>) -> String;
    fn settings(&self) -> crate::wire::SettingsView;
    async fn test_alert(&self, actor: &Actor, index: usize) -> String;
}

/// The signed-in member's own page: their second factor.
#[async_trait]
pub trait ProfilePort: Send + Sync {
    async fn profile(&self, member: &Identity, session: &tower_sessions::Session) -> Profile;
}

/// Everything the server functions may call, provided once per request.
#[derive(Clone)]
pub struct Ports {
    pub registry: Arc<dyn RegistryPort>,
    pub user_links: Arc<dyn UserLinksPort>,
    pub audit: Arc<dyn AuditPort>,
    pub install: Arc<dyn InstallPort>,
    pub workspace_actions: Arc<dyn WorkspaceActionsPort>,
    pub link_actions: Arc<dyn LinkActionsPort>,
    pub profile: Arc<dyn ProfilePort>,
    pub incidents: Arc<dyn IncidentsPort>,
}

impl Ports {
    pub fn from_context() -> Result<Ports, crate::errors::AppError> {
        leptos::prelude::use_context::<Ports>().ok_or_else(|| crate::guard::unavailable("console", "Ports missing from context"))
    }
}
