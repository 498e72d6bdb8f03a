//! Install links as the pages show them: the admins' list (never a token: a link's URL is shown
//! once, when it is made) and what a Linear admin opening one sees.
use serde::{Deserialize, Serialize};

pub use console_core::records::install_links::LinkStatus;

/// One link in the admins' list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRow {
    /// The stored id (the token's hash): what *Revoke* names.
    pub id: String,
    pub tail: String,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    /// "Install a workspace" or "Reconnect <slug>".
    pub purpose: String,
    pub bound: Option<String>,
    pub note: Option<String>,
    pub status: LinkStatus,
    /// Used: when, for which workspace, and who the person said they were.
    pub used: Option<String>,
    pub revoked: Option<String>,
}

/// What a Linear admin opening a waiting link sees (no token, secret or internal id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkLanding {
    /// Who asked: the console admin's email.
    pub asked_by: String,
    /// Connect a workspace, or reconnect this one (by its url key).
    pub reconnect: Option<String>,
    /// The Linear workspace the consent must be for, when the link says.
    pub only_for: Option<String>,
    pub note: Option<String>,
    pub expires_at: String,
}

/// What the request's install-link lookup found, put in the request by the server: the landing
/// of a waiting link, `None` for every other case alike, or `Throttled`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkLookup {
    Waiting(LinkLanding),
    NotUsable,
    Throttled,
}
