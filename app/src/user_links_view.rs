//! The user-linking pages' wire types and their view in the URL (`?q=&state=&page=`):
//! each Linear user of a workspace with its link state, and platform users with their links.
use serde::{Deserialize, Serialize};

pub use console_core::link_states::LinkState;
pub use console_core::records::members::PlatformUser;

use crate::url::enc;

/// Rows per page of a workspace's users.
pub const PAGE_SIZE: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinearUserView {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub active: bool,
    pub admin: bool,
    pub guest: bool,
    pub app: bool,
    /// False for a link whose Linear user is no longer a member at all.
    pub in_workspace: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteView {
    pub code: String,
    pub linear_user_id: Option<String>,
    pub linear_user_name: Option<String>,
    pub linear_user_email: Option<String>,
    pub invited_at: Option<String>,
    /// When the `ttl` runs out (ISO UTC).
    pub expires_at: Option<String>,
    pub expired: bool,
}

/// One Linear user of the workspace and its link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceUserRow {
    pub user: LinearUserView,
    pub state: LinkState,
    /// Linked or stale: the linked platform user (email unknown if the sub left the pool);
    /// suggested: the platform user with the same email.
    pub platform_user: Option<PlatformUser>,
    pub platform_sub: Option<String>,
    pub linked_at: Option<String>,
    pub link_method: Option<String>,
    /// Why the row is stale or not linkable.
    pub note: Option<String>,
    pub invite: Option<InviteView>,
}

/// A workspace's users page as the URL asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersQuery {
    /// Part of a name, display name or email.
    #[serde(default)]
    pub q: String,
    /// A [`LinkState`] code, or empty for all.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub page: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceUsers {
    pub org_id: String,
    pub slug: Option<String>,
    /// Set when the workspace cannot be changed here (revoked): the banner's words.
    pub read_only: Option<String>,
    /// When the Linear users were fetched (the cache's age), or why they could not be.
    pub fetched_at: Option<String>,
    pub linear_error: Option<String>,
    pub rows: Vec<WorkspaceUserRow>,
    pub matching: usize,
    pub page: usize,
    pub pages: usize,
    /// Count per state over the whole workspace.
    pub counts: Vec<(LinkState, usize)>,
    pub invites: Vec<InviteView>,
    /// How a user redeems an invite, `{code}` replaced.
    pub redeem_command: String,
}

/// One link to create (or, with `replace`, to change from that platform user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRequest {
    pub linear_user_id: String,
    pub platform_user_id: String,
    #[serde(default)]
    pub replace: Option<String>,
    /// "Name → email", for a progress display; not used to link.
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkOutcome {
    Linked,
    /// Someone linked this Linear user meanwhile: not overwritten.
    Conflict {
        linked_to: String,
    },
    /// Bad input (the words say which): nothing written.
    Refused(String),
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkResult {
    pub linear_user_id: String,
    pub outcome: LinkOutcome,
}

impl LinkOutcome {
    pub fn code(&self) -> &'static str {
        match self {
            LinkOutcome::Linked => "linked",
            LinkOutcome::Conflict { .. } => "conflict",
            LinkOutcome::Refused(_) => "refused",
            LinkOutcome::Failed => "failed",
        }
    }

    pub fn words(&self) -> String {
        match self {
            LinkOutcome::Linked => "linked".into(),
            LinkOutcome::Conflict { linked_to } => format!("already linked to {linked_to}; not changed"),
            LinkOutcome::Refused(why) => why.clone(),
            LinkOutcome::Failed => "could not be saved (DynamoDB unavailable); try again".into(),
        }
    }
}

/// A platform user's link to a Linear identity, for `/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityLink {
    /// The row's key, `<org id>#<linear user id>`.
    pub identity: String,
    pub org_id: String,
    pub workspace_slug: Option<String>,
    pub linear_user_id: String,
    pub linked_at: Option<String>,
    pub link_method: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformUserLinks {
    pub user: PlatformUser,
    pub links: Vec<IdentityLink>,
}

/// A page of the pool's users (the picker and `/users`), filtered by email prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformUserPage {
    pub users: Vec<PlatformUserLinks>,
    /// Cognito's pagination token for the next page.
    pub next: Option<String>,
}

impl UsersQuery {
    /// `q=…&state=…&page=…` (page 1-based, as the URL holds it), empty parts left out.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if !self.q.is_empty() {
            parts.push(format!("q={}", enc(&self.q)));
        }
        if !self.state.is_empty() {
            parts.push(format!("state={}", enc(&self.state)));
        }
        if self.page > 0 {
            parts.push(format!("page={}", self.page + 1));
        }
        parts.join("&")
    }
}

/// Rows matching `query`, then its page.
pub fn page(rows: Vec<WorkspaceUserRow>, query: &UsersQuery) -> (Vec<WorkspaceUserRow>, usize, usize, usize) {
    let q = query.q.trim().to_lowercase();
    let state = LinkState::from_code(&query.state);
    let matching: Vec<WorkspaceUserRow> = rows
        .into_iter()
        .filter(|r| state.is_none_or(|s| r.state == s))
        .filter(|r| {
            q.is_empty()
                || r.user.name.to_lowercase().contains(&q)
                || r.user.display_name.as_deref().is_some_and(|d| d.to_lowercase().contains(&q))
                || r.user.email.as_deref().is_some_and(|e| e.to_lowercase().contains(&q))
                || r.platform_user.as_ref().and_then(|p| p.email.as_deref()).is_some_and(|e| e.to_lowercase().contains(&q))
        })
        .collect();
    let total = matching.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query.page.min(pages - 1);
    (matching.into_iter().skip(page * PAGE_SIZE).take(PAGE_SIZE).collect(), total, page, pages)
}

/// Count per state, every state listed.
pub fn counts(rows: &[WorkspaceUserRow]) -> Vec<(LinkState, usize)> {
    LinkState::ALL.iter().copied().map(|s| (s, rows.iter().filter(|r| r.state == s).count())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: usize, state: LinkState) -> WorkspaceUserRow {
        WorkspaceUserRow {
            user: LinearUserView {
                id: format!("u-{n}"),
                name: format!("Member {n:03}"),
                email: Some(format!("member{n:03}@acme.example")),
                display_name: None,
                active: true,
                admin: false,
                guest: false,
                app: false,
                in_workspace: true,
            },
            state,
            platform_user: None,
            platform_sub: None,
            linked_at: None,
            link_method: None,
            note: None,
            invite: None,
        }
    }

    #[test]
    fn state_and_search_filter_then_page() {
        let rows: Vec<_> = (0..250).map(|n| row(n, if n % 2 == 0 { LinkState::Linked } else { LinkState::Unlinked })).collect();
        let all = |page, state: &str, q: &str| page_of(rows.clone(), page, state, q);
        assert_eq!(all(0, "", "").1, 250);
        assert_eq!(all(0, "", "").0.len(), 100);
        assert_eq!(all(2, "", "").0.len(), 50);
        assert_eq!(all(9, "", "").2, 2, "a page past the end shows the last");
        assert_eq!(all(0, "linked", "").1, 125);
        assert_eq!(all(0, "linked", "MEMBER01").1, 5, "case-insensitive: 010, 012, … 018");
        assert_eq!(all(0, "bogus", "").1, 250, "an unknown state filters nothing");
        assert_eq!(counts(&rows)[0], (LinkState::Linked, 125));
    }

    fn page_of(rows: Vec<WorkspaceUserRow>, page_no: usize, state: &str, q: &str) -> (Vec<WorkspaceUserRow>, usize, usize) {
        let (rows, total, page, _) = page(rows, &UsersQuery { q: q.into(), state: state.into(), page: page_no });
        (rows, total, page)
    }
}
