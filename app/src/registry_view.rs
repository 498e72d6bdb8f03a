//! The registry overview's view (search, health filter, sort, page) as the URL states it, and
//! its application to the rows: pure, shared by the server function and the page.
use serde::{Deserialize, Serialize};

use crate::validate::{self, Checked};
use crate::wire::{Health, WorkspaceSummary};

/// Rows per page of `/workspaces`.
pub const PAGE_SIZE: usize = 100;

/// The view asked for in the URL (`?q=&status=&sort=&page=`): a slug or name to search for, a
/// health to filter by, an order and a page; parsed once by the page, sent as is to the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default, deserialize_with = "console_core::codes::none_if_empty", skip_serializing_if = "Option::is_none")]
    pub status: Option<Health>,
    #[serde(default)]
    pub sort: Sort,
    /// The page's index (the URL holds it 1-based).
    #[serde(default)]
    pub page: usize,
}

impl RegistryQuery {
    /// The view in a URL's query; a word it does not know is refused, naming the field.
    pub fn from_params(p: &leptos_router::params::ParamsMap) -> Checked<RegistryQuery> {
        let get = |k: &str| p.get(k).unwrap_or_default();
        let q = get("q");
        validate::text("q", &q, 128)?;
        Ok(RegistryQuery {
            status: validate::choice("status", &get("status"))?,
            sort: validate::choice("sort", &get("sort"))?.unwrap_or_default(),
            page: validate::page_index("page", &get("page"))?,
            q,
        })
    }

    /// The URL query of this view at page index `page`.
    pub fn to_query_at(&self, page: usize) -> String {
        let page = crate::url::page_number(page);
        crate::url::query(&[
            ("q", &self.q),
            ("status", self.status.map_or("", Health::code)),
            ("sort", if self.sort == Sort::default() { "" } else { self.sort.code() }),
            ("page", &page),
        ])
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
    /// Active project mappings naming a revoked workspace, and a workspace the registry no longer has.
    #[serde(default)]
    pub orphan_mappings: (usize, usize),
}

/// The rows of `query`'s page.
pub fn page(rows: Vec<WorkspaceSummary>, query: &RegistryQuery) -> WorkspaceList {
    let summary = Summary::of(&rows);
    let matching = apply(rows, query);
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let page = query.page.min(pages - 1);
    let total = matching.len();
    let rows = matching.into_iter().skip(page * PAGE_SIZE).take(PAGE_SIZE).collect();
    WorkspaceList { rows, matching: total, page, pages, summary, as_of: String::new(), orphan_mappings: (0, 0) }
}

console_core::codes! {
    /// The overview's order.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub enum Sort {
        #[default]
        Name = "name",
        /// Worst health first.
        Health = "health",
        /// Soonest token expiry first.
        Expiry = "expiry",
        /// Newest install first.
        Installed = "installed",
    }
}

impl Sort {
    pub fn label(self) -> &'static str {
        match self {
            Sort::Name => "Name",
            Sort::Health => "Health (worst first)",
            Sort::Expiry => "Token expiry (soonest first)",
            Sort::Installed => "Installed (newest first)",
        }
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

/// Applies the view to the rows (all of them; [`page`] cuts the page): pure, so the URL's meaning
/// is unit-tested.
pub fn apply(rows: Vec<WorkspaceSummary>, view: &RegistryQuery) -> Vec<WorkspaceSummary> {
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
    /// Url keys that more than one active row claims (sorted).
    #[serde(default)]
    pub shared_slugs: Vec<String>,
}

impl Summary {
    pub fn of(rows: &[WorkspaceSummary]) -> Summary {
        let counts = Health::ALL.iter().map(|h| (*h, rows.iter().filter(|w| w.health == *h).count())).filter(|(_, n)| *n > 0).collect();
        let mut shared_slugs: Vec<String> = rows.iter().filter(|w| !w.slug_shared_with.is_empty()).filter_map(|w| w.slug.clone()).collect();
        shared_slugs.sort();
        shared_slugs.dedup();
        Summary { counts, attention: rows.iter().filter(|w| w.health.needs_attention()).count(), shared_slugs }
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
            slug_shared_with: Vec::new(),
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
        let v = |q: &str, status: Option<Health>, sort: Sort| RegistryQuery { q: q.into(), status, sort, page: 0 };
        assert_eq!(slugs(&apply(rows.clone(), &RegistryQuery::default())), ["acme", "globex", "initech"]);
        assert_eq!(slugs(&apply(rows.clone(), &v("GLOB", None, Sort::Name))), ["globex"], "case-insensitive slug search");
        assert_eq!(slugs(&apply(rows.clone(), &v("initech inc", None, Sort::Name))), ["initech"], "name search");
        assert_eq!(slugs(&apply(rows.clone(), &v("", Some(Health::Degraded), Sort::Name))), ["initech"]);
        assert_eq!(slugs(&apply(rows.clone(), &v("", None, Sort::Health))), ["acme", "initech", "globex"]);
        assert_eq!(slugs(&apply(rows.clone(), &v("", None, Sort::Expiry))), ["acme", "globex", "initech"]);
        assert_eq!(slugs(&apply(rows.clone(), &v("", None, Sort::Installed))), ["acme", "initech", "globex"]);
        let s = Summary::of(&rows);
        assert_eq!(s.attention, 2);
        assert_eq!(s.counts.len(), 3);
    }

    #[test]
    fn pages_hold_100_rows_and_the_summary_counts_everything() {
        let rows: Vec<_> =
            (0..250).map(|i| ws(&format!("w{i:03}"), if i < 10 { Health::Degraded } else { Health::Healthy }, None, "x")).collect();
        let q = |page: usize, status: &str| RegistryQuery { page, status: Health::from_code(status), ..RegistryQuery::default() };
        let first = page(rows.clone(), &q(0, ""));
        assert_eq!((first.rows.len(), first.matching, first.pages), (100, 250, 3));
        assert_eq!(first.rows[0].slug.as_deref(), Some("w000"));
        let last = page(rows.clone(), &q(9, ""));
        assert_eq!((last.page, last.rows.len()), (2, 50), "a page past the end shows the last one");
        let degraded = page(rows, &q(0, "degraded"));
        assert_eq!((degraded.matching, degraded.pages, degraded.summary.attention), (10, 1, 10));
    }

    fn params(pairs: &[(&'static str, &str)]) -> leptos_router::params::ParamsMap {
        let mut p = leptos_router::params::ParamsMap::new();
        for (k, v) in pairs {
            p.insert(*k, (*v).to_owned());
        }
        p
    }

    #[test]
    fn the_url_is_read_into_a_typed_view_and_written_back() {
        let q = RegistryQuery::from_params(&params(&[("q", "acme"), ("status", "degraded"), ("sort", "expiry"), ("page", "3")])).unwrap();
        assert_eq!(q, RegistryQuery { q: "acme".into(), status: Some(Health::Degraded), sort: Sort::Expiry, page: 2 });
        assert_eq!(q.to_query_at(3), "q=acme&status=degraded&sort=expiry&page=4");
        assert_eq!(RegistryQuery::from_params(&params(&[])).unwrap(), RegistryQuery::default());
        assert_eq!(RegistryQuery::default().to_query_at(0), "", "the plain view has a plain URL");
        let refused = RegistryQuery::from_params(&params(&[("status", "bogus")])).unwrap_err();
        assert!(refused.starts_with("status must be one of: healthy"), "{refused}");
        assert!(RegistryQuery::from_params(&params(&[("sort", "nonsense")])).unwrap_err().starts_with("sort must be one of"));
        assert!(RegistryQuery::from_params(&params(&[("page", "two")])).is_err());
    }
}
