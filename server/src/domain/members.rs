//! A member of a Linear workspace, as the console reads it from Linear's `users` query.
use serde::Deserialize;

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
