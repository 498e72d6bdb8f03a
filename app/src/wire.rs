//! Wire types: what server functions send to the browser. Nothing here holds a token.
use serde::{Deserialize, Serialize};

/// One registry row as the overview lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub org_id: String,
    /// None when the row lacks a slug (the platform counts it as not registered).
    pub slug: Option<String>,
    /// `active`, `revoked`, or the platform's reading of anything else.
    pub state: RegistryState,
    pub raw_status: Option<String>,
    pub installed_at: Option<String>,
    pub team_keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegistryState {
    Active,
    Revoked,
    NotRegistered,
}

impl RegistryState {
    pub fn label(self) -> &'static str {
        match self {
            RegistryState::Active => "Active",
            RegistryState::Revoked => "Revoked",
            RegistryState::NotRegistered => "Not registered",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: String,
    pub actor_email: Option<String>,
    pub actor_sub: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformUser {
    pub sub: String,
    pub email: Option<String>,
    pub enabled: bool,
    pub status: String,
}
