//! Every server function of the console. Each is a shim: it demands an [`Admin`],
//! calls a port, and returns a wire type. Rules and AWS calls live in the server crate.
use leptos::prelude::*;

use crate::errors::AppError;
use crate::identity::AdminIdentity;
use crate::wire::{AuditEntry, AuditPage, AuditQuery, ConnectInfo, PlatformUser, WorkspaceDetail, WorkspaceSummary};
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

#[server(prefix = "/api", endpoint = "users")]
pub async fn list_platform_users() -> Result<Vec<PlatformUser>, AppError> {
    let _admin = Admin::require().await?;
    Ok(Ports::from_context()?.directory.list_users(60).await?)
}
