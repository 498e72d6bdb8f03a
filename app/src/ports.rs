//! What the server functions need from the server crate, as traits: the UI crate
//! names no AWS SDK. The server provides an implementation of each through context.
use std::sync::Arc;

use async_trait::async_trait;

use crate::wire::{AuditEntry, AuditPage, AuditQuery, ConnectInfo, PlatformUser, WorkspaceDetail, WorkspaceSummary};

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

#[async_trait]
pub trait DirectoryPort: Send + Sync {
    async fn list_users(&self, limit: usize) -> PortResult<Vec<PlatformUser>>;
}

/// Everything the server functions may call, provided once per request.
#[derive(Clone)]
pub struct Ports {
    pub registry: Arc<dyn RegistryPort>,
    pub audit: Arc<dyn AuditPort>,
    pub directory: Arc<dyn DirectoryPort>,
    pub install: Arc<dyn InstallPort>,
}

impl Ports {
    pub fn from_context() -> Result<Ports, crate::errors::AppError> {
        leptos::prelude::use_context::<Ports>()
            .ok_or_else(|| crate::guard::unavailable("console", "Ports missing from context"))
    }
}

impl From<PortError> for crate::errors::AppError {
    fn from(e: PortError) -> Self {
        crate::guard::unavailable(e.service, e.cause)
    }
}
