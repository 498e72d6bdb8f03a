//! The people the console links: a member of a Linear workspace (as Linear's `users` query lists
//! them) and a user of the platform's Cognito pool.
use serde::{Deserialize, Serialize};

/// A member of the workspace, as `users(includeDisabled: true)` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LinearUser {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, rename = "displayName")]
    pub display_name: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub guest: bool,
    /// An app's bot user (such as this platform's own).
    #[serde(default)]
    pub app: bool,
}

fn yes() -> bool {
    true
}

/// A user of the platform's pool: its `sub`, email and standing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformUser {
    pub sub: String,
    pub email: Option<String>,
    pub enabled: bool,
    pub status: String,
}
