//! The Projects page's wire types and its view in the URL (`?q=&show=&page=`): each Linear project
//! of a workspace with its mapping to a repository, the mappings the platform will not act on as
//! they seem, and the repositories the platform has onboarded.
use serde::{Deserialize, Serialize};

pub use console_core::records::projects::Onboarding;

use crate::validate::{self, Checked};

/// Rows per page.
pub const PAGE_SIZE: usize = 50;

console_core::codes! {
    /// Which projects a view shows.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Show {
        Mapped = "mapped",
        Unmapped = "unmapped",
        Removed = "removed",
        Problems = "problems",
    }
}

impl Show {
    pub fn label(self) -> &'static str {
        match self {
            Show::Mapped => "Mapped",
            Show::Unmapped => "Not mapped",
            Show::Removed => "Deactivated",
            Show::Problems => "Problems",
        }
    }
}

/// A project's mapping row as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingView {
    pub repo: Option<String>,
    pub label: String,
    pub team_id: Option<String>,
    /// The row's `status` as stored (`active`, `removed`, or anything a hand edit left).
    pub status: Option<String>,
    pub active: bool,
    pub onboarded_at: Option<String>,
    pub updated_at: Option<String>,
    /// The version a change must find: what a form sends back as `version`.
    pub version: String,
    /// The workspace the row names (none: the CLI wrote it).
    pub workspace_id: Option<String>,
    pub onboarding: Option<Onboarding>,
    /// What the platform will answer when the repository is not onboarded.
    pub warning: Option<String>,
    /// Who last changed it through the console, when, and how (`project.map`, …).
    pub changed_by: Option<String>,
    pub changed_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub id: String,
    pub key: String,
}

/// One Linear project and its mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectView {
    pub id: String,
    pub name: String,
    pub state: Option<String>,
    pub teams: Vec<TeamView>,
    pub mapping: Option<MappingView>,
    /// What is wrong with the mapping, in words.
    pub problem: Option<String>,
}

impl ProjectView {
    pub fn shown_by(&self, show: Show) -> bool {
        match show {
            Show::Mapped => self.mapping.as_ref().is_some_and(|m| m.active),
            Show::Unmapped => self.mapping.is_none(),
            Show::Removed => self.mapping.as_ref().is_some_and(|m| !m.active),
            Show::Problems => self.problem.is_some() || self.mapping.as_ref().is_some_and(|m| m.active && m.warning.is_some()),
        }
    }
}

/// A mapping of this workspace whose project is not listed (gone at Linear, or the workspace revoked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrayView {
    pub project_id: String,
    pub mapping: MappingView,
    pub problem: String,
}

/// A workspace's Projects page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceProjects {
    pub org_id: String,
    pub slug: Option<String>,
    /// Mappings may be created here (the workspace is active).
    pub writable: bool,
    pub fetched_at: Option<String>,
    pub linear_error: Option<String>,
    pub rows: Vec<ProjectView>,
    pub matching: usize,
    pub page: usize,
    pub pages: usize,
    pub counts: Vec<(Show, usize)>,
    pub strays: Vec<StrayView>,
    /// The repositories the platform has onboarded; `None` when that cannot be known.
    pub repositories: Option<Vec<String>>,
}

/// The page's view as its URL holds it: parsed once, sent to the server, carried back by each form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectsQuery {
    /// Part of a project's name or its repository.
    #[serde(default)]
    pub q: String,
    #[serde(default, deserialize_with = "console_core::codes::none_if_empty", skip_serializing_if = "Option::is_none")]
    pub show: Option<Show>,
    #[serde(default)]
    pub page: usize,
}

impl ProjectsQuery {
    pub fn from_params(p: &leptos_router::params::ParamsMap) -> Checked<ProjectsQuery> {
        let get = |k: &str| p.get(k).unwrap_or_default();
        ProjectsQuery::from_fields(&get("q"), &get("show"), &get("page"))
    }

    pub fn from_fields(q: &str, show: &str, page: &str) -> Checked<ProjectsQuery> {
        validate::text("q", q, 128)?;
        Ok(ProjectsQuery { q: q.to_owned(), show: validate::choice("show", show)?, page: validate::page_index("page", page)? })
    }

    pub fn to_query(&self) -> String {
        self.to_query_at(self.page)
    }

    pub fn to_query_at(&self, page: usize) -> String {
        let page = crate::url::page_number(page);
        crate::url::query(&[("q", &self.q), ("show", self.show.map_or("", Show::code)), ("page", &page)])
    }
}

/// Every row matching `query`'s search and view (all pages: an export's rows).
pub fn matching(rows: Vec<ProjectView>, query: &ProjectsQuery) -> Vec<ProjectView> {
    let q = query.q.trim().to_lowercase();
    rows.into_iter()
        .filter(|r| query.show.is_none_or(|s| r.shown_by(s)))
        .filter(|r| {
            q.is_empty()
                || r.name.to_lowercase().contains(&q)
                || r.mapping.as_ref().and_then(|m| m.repo.as_deref()).is_some_and(|repo| repo.to_lowercase().contains(&q))
        })
        .collect()
}

/// Rows matching `query`, then its page: (rows, matching, page, pages).
pub fn page(rows: Vec<ProjectView>, query: &ProjectsQuery) -> (Vec<ProjectView>, usize, usize, usize) {
    let matching = matching(rows, query);
    let total = matching.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query.page.min(pages - 1);
    (matching.into_iter().skip(page * PAGE_SIZE).take(PAGE_SIZE).collect(), total, page, pages)
}

/// How many projects each view shows.
pub fn counts(rows: &[ProjectView]) -> Vec<(Show, usize)> {
    Show::ALL.iter().copied().map(|s| (s, rows.iter().filter(|r| r.shown_by(s)).count())).collect()
}

/// One project's outcome in a *Map* of several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapResult {
    pub project_id: String,
    pub words: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(n: usize, mapping: Option<bool>) -> ProjectView {
        ProjectView {
            id: format!("p-{n}"),
            name: format!("Project {n:03}"),
            state: None,
            teams: Vec::new(),
            mapping: mapping.map(|active| MappingView {
                repo: Some(format!("acme/repo-{n}")),
                label: "bgagent".into(),
                team_id: None,
                status: Some(if active { "active" } else { "removed" }.into()),
                active,
                onboarded_at: None,
                updated_at: None,
                version: String::new(),
                workspace_id: None,
                onboarding: Some(Onboarding::Onboarded),
                warning: None,
                changed_by: None,
                changed_at: None,
            }),
            problem: None,
        }
    }

    #[test]
    fn the_view_filters_searches_and_pages() {
        let rows: Vec<_> = (0..120).map(|n| project(n, [None, Some(true), Some(false)][n % 3])).collect();
        let q = |show: &str, text: &str, at: &str| page(rows.clone(), &ProjectsQuery::from_fields(text, show, at).unwrap());
        assert_eq!(q("", "", "").1, 120);
        assert_eq!(q("", "", "").0.len(), 50);
        assert_eq!(q("", "", "3").0.len(), 20);
        assert_eq!(q("mapped", "", "").1, 40);
        assert_eq!(q("unmapped", "", "").1, 40);
        assert_eq!(q("removed", "", "").1, 40);
        assert_eq!(q("", "ACME/", "").1, 80, "the repository is searched, without case: every mapped project");
        assert_eq!(q("", "project 011", "").1, 1, "and the project's name");
        assert_eq!(counts(&rows)[0], (Show::Mapped, 40));
        assert!(ProjectsQuery::from_fields("", "bogus", "").unwrap_err().starts_with("show must be one of"));
        let view = ProjectsQuery::from_fields("web app", "unmapped", "2").unwrap();
        assert_eq!(view.to_query(), "q=web%20app&show=unmapped&page=2");
    }
}
