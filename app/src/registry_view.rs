//! The registry overview's view (search, health filter, sort, page) as the URL states it, and
//! its application to the rows: pure, shared by the server function and the page.
use serde::{Deserialize, Serialize};

use crate::wire::{Health, WorkspaceSummary};

/// Rows per page of `/workspaces`.
pub const PAGE_SIZE: usize = 100;

/// The URL's words, as the server function receives them (`?q=&status=&sort=&page=`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: usize,
}

impl RegistryQuery {
    pub fn view(&self) -> View {
        View { q: self.q.clone(), status: Health::from_code(&self.status), sort: Sort::from_code(&self.sort) }
    }
}

/// One page of the overview, with the counts of the whole registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceList {
    pub rows: Vec<WorkspaceSummary>,
    /// Rows matching the view, over all pages.
    pub matching: usize,
    pub page: usize,
    pub pages: usize,
    pub summary: Summary,
    /// When the server answered (ISO UTC): "expires in" is relative to it.
    pub as_of: String,
}

/// The rows of `query`'s page.
pub fn page(rows: Vec<WorkspaceSummary>, query: &RegistryQuery) -> WorkspaceList {
    let summary = Summary::of(&rows);
    let matching = apply(rows, &query.view());
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let page = query.page.min(pages - 1);
    let total = matching.len();
    let rows = matching.into_iter().skip(page * PAGE_SIZE).take(PAGE_SIZE).collect();
    WorkspaceList { rows, matching: total, page, pages, summary, as_of: String::new() }
}

/// The view asked for in the URL: `?q=` (slug or name), `?status=` (a health code), `?sort=`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    pub q: String,
    pub status: Option<Health>,
    pub sort: Sort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Name,
    /// Worst health first.
    Health,
    /// Soonest token expiry first.
    Expiry,
    /// Newest install first.
    Installed,
}

impl Sort {
    pub const ALL: [(Sort, &'static str, &'static str); 4] = [
        (Sort::Name, "name", "Name"),
        (Sort::Health, "health", "Health (worst first)"),
        (Sort::Expiry, "expiry", "Token expiry (soonest first)"),
        (Sort::Installed, "installed", "Installed (newest first)"),
    ];

    pub fn code(self) -> &'static str {
        Sort::ALL.iter().find(|s| s.0 == self).map_or("name", |s| s.1)
    }

    pub fn from_code(code: &str) -> Sort {
        Sort::ALL.iter().find(|s| s.1 == code).map_or(Sort::Name, |s| s.0)
    }
}

fn severity(h: Health) -> u8 {
    match h {
        Health::NeedsReconnect => 0,
        Health::NotRegistered => 1,
        Health::Degraded => 2,
        Health::ExpiredRefreshable => 3,
        Health::ExpiringSoon => 4,
        Health::Revoked => 5,
        Health::Healthy => 6,
        Health::VaultManaged => 7,
    }
}

/// Applies the view to the rows: pure, so the URL's meaning is unit-tested.
pub fn apply(rows: Vec<WorkspaceSummary>, view: &View) -> Vec<WorkspaceSummary> {
    let q = view.q.trim().to_lowercase();
    let mut out: Vec<WorkspaceSummary> = rows
        .into_iter()
        .filter(|w| view.status.is_none_or(|s| w.health == s))
        .filter(|w| {
            q.is_empty()
                || w.slug.as_deref().is_some_and(|s| s.to_lowercase().contains(&q))
                || w.name.as_deref().is_some_and(|n| n.to_lowercase().contains(&q))
                || w.org_id.starts_with(&q)
        })
        .collect();
    let name = |w: &WorkspaceSummary| (w.slug.clone().unwrap_or_default(), w.org_id.clone());
    match view.sort {
        Sort::Name => out.sort_by_key(name),
        Sort::Health => out.sort_by_key(|w| (severity(w.health), name(w))),
        // ISO-8601 UTC sorts as time; unknown expiry last.
        Sort::Expiry => out.sort_by_key(|w| (w.token_expires_at.is_none(), w.token_expires_at.clone(), name(w))),
        Sort::Installed => out.sort_by(|a, b| b.installed_at.cmp(&a.installed_at).then_with(|| name(a).cmp(&name(b)))),
    }
    out
}

/// Count per health state, and how many need attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub counts: Vec<(Health, usize)>,
    pub attention: usize,
}

impl Summary {
    pub fn of(rows: &[WorkspaceSummary]) -> Summary {
        let counts = Health::ALL.iter().map(|h| (*h, rows.iter().filter(|w| w.health == *h).count())).filter(|(_, n)| *n > 0).collect();
        Summary { counts, attention: rows.iter().filter(|w| w.health.needs_attention()).count() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::RegistryState;

    fn ws(slug: &str, health: Health, expires: Option<&str>, installed: &str) -> WorkspaceSummary {
        WorkspaceSummary {
            open_incident: None,
            spark: None,
            org_id: format!("id-{slug}"),
            slug: Some(slug.into()),
            name: Some(format!("{slug} Inc")),
            state: RegistryState::Active,
            raw_status: Some("active".into()),
            installed_at: Some(installed.into()),
            team_keys: vec![],
            health,
            token_expires_at: expires.map(str::to_owned),
            last_check_at: None,
            last_check_result: None,
            last_refresh_at: None,
            last_refresh_error: None,
            installed_by: None,
            installed_by_email: None,
        }
    }

    fn slugs(rows: &[WorkspaceSummary]) -> Vec<&str> {
        rows.iter().map(|w| w.slug.as_deref().unwrap()).collect()
    }

    #[test]
    fn search_filter_and_sort_follow_the_url() {
        let rows = vec![
            ws("globex", Health::Healthy, Some("2026-11-24T10:00:00Z"), "2026-01-01"),
            ws("acme", Health::NeedsReconnect, Some("2026-11-23T10:00:00Z"), "2026-03-01"),
            ws("initech", Health::Degraded, None, "2026-02-01"),
        ];
        let v = |q: &str, status: Option<Health>, sort: Sort| View { q: q.into(), status, sort };
        assert_eq!(slugs(&apply(rows.clone(), &View::default())), ["acme", "globex", "initech"]);
        assert_eq!(slugs(&apply(rows.clone(), &v("GLOB", None, Sort::Name))), ["globex"], "case-insensitive slug search");
        assert_eq!(slugs(&apply(rows.clone(), &v("initech inc", None, Sort::Name))), ["initech"], "name search");
        assert_eq!(slugs(&apply(rows.clone(), &v("", Some(Health::Degraded), Sort::Name))), ["initech"]);
        assert_eq!(slugs(&apply(rows.clone(), &v("", None, Sort::Health))), ["acme", "initech", "globex"]);
        assert_eq!(slugs(&apply(rows.clone(), &v("", None, Sort::Expiry))), ["acme", "globex", "initech"]);
        assert_eq!(slugs(&apply(rows.clone(), &v("", None, Sort::Installed))), ["acme", "initech", "globex"]);
        assert_eq!(Sort::from_code("nonsense"), Sort::Name);
        let s = Summary::of(&rows);
        assert_eq!(s.attention, 2);
        assert_eq!(s.counts.len(), 3);
    }

    #[test]
    fn pages_hold_100_rows_and_the_summary_counts_everything() {
        let rows: Vec<_> =
            (0..250).map(|i| ws(&format!("w{i:03}"), if i < 10 { Health::Degraded } else { Health::Healthy }, None, "x")).collect();
        let q = |page: usize, status: &str| RegistryQuery { page, status: status.into(), ..RegistryQuery::default() };
        let first = page(rows.clone(), &q(0, ""));
        assert_eq!((first.rows.len(), first.matching, first.pages), (100, 250, 3));
        assert_eq!(first.rows[0].slug.as_deref(), Some("w000"));
        let last = page(rows.clone(), &q(9, ""));
        assert_eq!((last.page, last.rows.len()), (2, 50), "a page past the end shows the last one");
        let degraded = page(rows, &q(0, "degraded"));
        assert_eq!((degraded.matching, degraded.pages, degraded.summary.attention), (10, 1, 10));
    }
}
