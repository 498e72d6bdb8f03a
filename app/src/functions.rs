//! Every server function of the console. Each is a shim: it demands an [`Admin`],
//! calls a port, and returns a wire type. Rules and AWS calls live in the server crate.
use leptos::prelude::*;

use crate::errors::AppError;
use crate::identity::AdminIdentity;
use crate::user_links_view::{LinkRequest, LinkResult, PlatformUserPage, UsersQuery, WorkspaceUsers};
use crate::wire::{AuditEntry, AuditPage, AuditQuery, ConnectInfo, WorkspaceDetail, WorkspaceSummary};
#[cfg(feature = "ssr")]
use crate::{guard::Admin, ports::Ports};

#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<AdminIdentity, AppError> {
    let admin = Admin::require().await?;
    Ok(admin.identity().clone())
}

#[server(prefix = "/api", endpoint = "workspaces")]
pub async fn list_workspaces() -> Result<Vec<WorkspaceSummary>, AppError> {
    let _admin = Admin::require().await?;
    Ok(Ports::from_context()?.registry.list_workspaces().await?)
}

/// One page of the registry overview for the view in the URL (only that page crosses the wire).
#[server(prefix = "/api", endpoint = "workspace_list")]
pub async fn workspace_list(query: crate::registry_view::RegistryQuery) -> Result<crate::registry_view::WorkspaceList, AppError> {
    let _admin = Admin::require().await?;
    let rows = Ports::from_context()?.registry.list_workspaces().await?;
    let mut list = crate::registry_view::page(rows, &query);
    list.as_of = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    Ok(list)
}

/// One workspace; `NotFound` when the registry has no row for it.
#[server(prefix = "/api", endpoint = "workspace")]
pub async fn get_workspace(org_id: String) -> Result<WorkspaceDetail, AppError> {
    let _admin = Admin::require().await?;
    Ports::from_context()?.registry.workspace(&org_id).await?.ok_or_else(|| {
        crate::guard::set_status(404);
        AppError::NotFound(format!("no workspace {org_id} in the registry"))
    })
}

#[server(prefix = "/api", endpoint = "connect_info")]
pub async fn get_connect_info() -> Result<ConnectInfo, AppError> {
    let _admin = Admin::require().await?;
    Ok(Ports::from_context()?.install.connect_info().await?)
}

#[server(prefix = "/api", endpoint = "audit")]
pub async fn recent_audit() -> Result<Vec<AuditEntry>, AppError> {
    let _admin = Admin::require().await?;
    Ok(Ports::from_context()?.audit.recent(200).await?)
}

/// A page of the audit log (100 events) for the view in `/audit`'s URL.
#[server(prefix = "/api", endpoint = "audit_search")]
pub async fn search_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    let _admin = Admin::require().await?;
    Ok(Ports::from_context()?.audit.search(&query, 100).await?)
}

/// A workspace's members with their link states, as the URL's view asks.
#[server(prefix = "/api", endpoint = "workspace_users")]
pub async fn get_workspace_users(org_id: String, query: UsersQuery) -> Result<WorkspaceUsers, AppError> {
    let _admin = Admin::require().await?;
    Ok(Ports::from_context()?.user_links.workspace_users(&org_id, &query).await?)
}

/// What *Link all suggested* would link, for the progress display to work through.
#[server(prefix = "/api", endpoint = "suggested_links")]
pub async fn get_suggested_links(org_id: String) -> Result<Vec<LinkRequest>, AppError> {
    let _admin = Admin::require().await?;
    Ok(Ports::from_context()?.user_links.suggested(&org_id).await?)
}

/// Links a batch of members; each row gets its own outcome and audit event.
#[server(prefix = "/api", endpoint = "link_users")]
pub async fn link_users(org_id: String, links: Vec<LinkRequest>) -> Result<Vec<LinkResult>, AppError> {
    let admin = Admin::require().await?;
    if links.len() > 100 {
        return Err(AppError::Invalid("at most 100 links per request".into()));
    }
    let actor = crate::ports::Actor { admin: admin.identity().clone(), request_id: crate::guard::request_id() };
    Ok(Ports::from_context()?.user_links.link_users(&actor, &org_id, &links).await?)
}

/// *Reload from Linear*: fetches the members again; returns how many.
#[server(prefix = "/api", endpoint = "reload_linear_users")]
pub async fn reload_linear_users(org_id: String) -> Result<usize, AppError> {
    let _admin = Admin::require().await?;
    Ok(Ports::from_context()?.user_links.reload(&org_id).await?)
}

/// (pages, users) fetched so far by a reload under way, for its progress line.
#[server(prefix = "/api", endpoint = "reload_progress")]
pub async fn get_reload_progress(org_id: String) -> Result<Option<(usize, usize)>, AppError> {
    let _admin = Admin::require().await?;
    Ok(Ports::from_context()?.user_links.reload_progress(&org_id))
}

/// Pool users by email prefix, a page at a time, with their Linear links (`/users`, the picker).
#[server(prefix = "/api", endpoint = "platform_users")]
pub async fn search_platform_users(prefix: String, next: Option<String>) -> Result<PlatformUserPage, AppError> {
    let _admin = Admin::require().await?;
    Ok(Ports::from_context()?.user_links.platform_users(&prefix, next).await?)
}
