//! The user-linking pages' wire types and their view in the URL (`?q=&state=&page=`):
//! each Linear user of a workspace with its link state, and platform users with their links.
use serde::{Deserialize, Serialize};

pub use console_core::link_states::LinkState;
pub use console_core::records::members::PlatformUser;
pub use console_core::services::user_links::LinkOutcome;

use crate::validate::{self, Checked};

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

/// A workspace's users page as the URL asks for it (`?q=&state=&page=`): parsed once by the page,
/// sent as is to the server, carried back by each form's redirect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersQuery {
    /// Part of a name, display name or email.
    #[serde(default)]
    pub q: String,
    /// Only the rows in this state; all when none.
    #[serde(default, deserialize_with = "console_core::codes::none_if_empty", skip_serializing_if = "Option::is_none")]
    pub state: Option<LinkState>,
    /// The page's index (the URL holds it 1-based).
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
    /// Active members with an email, no link and no platform user: what *Create platform users and
    /// link all* would make.
    pub unmatched: usize,
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
pub struct LinkResult {
    pub linear_user_id: String,
    pub outcome: LinkOutcome,
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
    /// The view in a URL's query, or a form's fields; a word it does not know is refused, naming
    /// the field.
    pub fn from_params(p: &leptos_router::params::ParamsMap) -> Checked<UsersQuery> {
        let get = |k: &str| p.get(k).unwrap_or_default();
        UsersQuery::from_fields(&get("q"), &get("state"), &get("page"))
    }

    /// The view from its three fields as a URL or a form holds them (`page` 1-based).
    pub fn from_fields(q: &str, state: &str, page: &str) -> Checked<UsersQuery> {
        validate::text("q", q, 128)?;
        Ok(UsersQuery { q: q.to_owned(), state: validate::choice("state", state)?, page: validate::page_index("page", page)? })
    }

    /// `q=…&state=…&page=…` (page 1-based, as the URL holds it), empty parts left out.
    pub fn to_query(&self) -> String {
        self.to_query_at(self.page)
    }

    /// As [`UsersQuery::to_query`], at page index `page`.
    pub fn to_query_at(&self, page: usize) -> String {
        let page = crate::url::page_number(page);
        crate::url::query(&[("q", &self.q), ("state", self.state.map_or("", LinkState::code)), ("page", &page)])
    }
}

/// Every row matching `query`'s search and state (all pages: an export's rows).
pub fn matching(rows: Vec<WorkspaceUserRow>, query: &UsersQuery) -> Vec<WorkspaceUserRow> {
    let q = query.q.trim().to_lowercase();
    let state = query.state;
    rows.into_iter()
        .filter(|r| state.is_none_or(|s| r.state == s))
        .filter(|r| {
            q.is_empty()
                || r.user.name.to_lowercase().contains(&q)
                || r.user.display_name.as_deref().is_some_and(|d| d.to_lowercase().contains(&q))
                || r.user.email.as_deref().is_some_and(|e| e.to_lowercase().contains(&q))
                || r.platform_user.as_ref().and_then(|p| p.email.as_deref()).is_some_and(|e| e.to_lowercase().contains(&q))
        })
        .collect()
}

/// Rows matching `query`, then its page.
pub fn page(rows: Vec<WorkspaceUserRow>, query: &UsersQuery) -> (Vec<WorkspaceUserRow>, usize, usize, usize) {
    let matching = matching(rows, query);
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
        assert_eq!(all(0, "", "").0[0].user.id, "u-0");
        assert_eq!(counts(&rows)[0], (LinkState::Linked, 125));
    }

    fn page_of(rows: Vec<WorkspaceUserRow>, page_no: usize, state: &str, q: &str) -> (Vec<WorkspaceUserRow>, usize, usize) {
        let (rows, total, page, _) = page(rows, &UsersQuery { q: q.into(), state: LinkState::from_code(state), page: page_no });
        (rows, total, page)
    }

    #[test]
    fn the_view_reads_from_the_url_and_is_written_back_the_same() {
        let q = UsersQuery::from_fields("ada & co", "suggested", "2").unwrap();
        assert_eq!(q, UsersQuery { q: "ada & co".into(), state: Some(LinkState::Suggested), page: 1 });
        assert_eq!(q.to_query(), "q=ada%20%26%20co&state=suggested&page=2");
        assert_eq!(UsersQuery::from_fields("", "", "").unwrap().to_query(), "");
        assert!(UsersQuery::from_fields("", "bogus", "").unwrap_err().starts_with("state must be one of"));
        assert!(UsersQuery::from_fields("", "", "x").unwrap_err().starts_with("page "));
    }
}
