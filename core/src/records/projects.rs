//! Projects and repositories as the platform reads them (contract §3, §10): the project-mapping
//! row (`linear_project_id` → `repo`, trigger label, `status`), the platform's repository table
//! (`repo`, `status`), Linear's projects, and the two values an admin types: a repository name and
//! a trigger label. Pure: the DynamoDB adapter reads rows into these types and writes them back.
use crate::ids::{OrgId, ProjectId};

/// The trigger label the platform's CLI writes when none is given.
pub const DEFAULT_LABEL: &str = "bgagent";
/// The `status` the platform's webhook processor honours; anything else is ignored.
pub const ACTIVE: &str = "active";
/// The `status` the platform's setup guide writes to stop a mapping.
pub const REMOVED: &str = "removed";

/// A project-mapping row as anyone wrote it (the CLI's `onboard-project`, a hand edit, this
/// console). The console writes exactly the CLI's attributes plus `linear_workspace_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectMapping {
    pub project_id: ProjectId,
    pub repo: Option<String>,
    /// `label_filter`; the platform uses `bgagent` when it is absent.
    pub label_filter: Option<String>,
    /// Stored by the CLI, never read by the platform.
    pub team_id: Option<String>,
    pub status: Option<String>,
    pub onboarded_at: Option<String>,
    pub updated_at: Option<String>,
    /// The workspace the project belongs to, as this console stamps it (the name the platform plans
    /// to use); rows the CLI wrote have none.
    pub workspace_id: Option<String>,
}

impl ProjectMapping {
    /// A new active mapping, as the CLI's `onboard-project` writes it, stamped with the workspace.
    pub fn new(project_id: ProjectId, mapping: &Mapping, workspace: &OrgId, now: &str) -> ProjectMapping {
        ProjectMapping {
            project_id,
            repo: Some(mapping.repo.as_str().to_owned()),
            label_filter: Some(mapping.label.as_str().to_owned()),
            team_id: mapping.team_id.clone(),
            status: Some(ACTIVE.to_owned()),
            onboarded_at: Some(now.to_owned()),
            updated_at: Some(now.to_owned()),
            workspace_id: Some(workspace.as_str().to_owned()),
        }
    }

    /// This row changed to `mapping` at `now`: first onboarding kept, the workspace stamped.
    pub fn changed(&self, mapping: &Mapping, workspace: &OrgId, now: &str) -> ProjectMapping {
        ProjectMapping { onboarded_at: self.onboarded_at.clone(), ..ProjectMapping::new(self.project_id.clone(), mapping, workspace, now) }
    }

    /// This row with `status` set (deactivated or reactivated) at `now`, the workspace stamped.
    pub fn with_status(&self, status: &str, workspace: &OrgId, now: &str) -> ProjectMapping {
        ProjectMapping {
            status: Some(status.to_owned()),
            updated_at: Some(now.to_owned()),
            workspace_id: Some(workspace.as_str().to_owned()),
            ..self.clone()
        }
    }

    /// Whether the platform routes this project's issues (only `status = active` counts).
    pub fn is_active(&self) -> bool {
        self.status.as_deref() == Some(ACTIVE)
    }

    pub fn is_removed(&self) -> bool {
        self.status.as_deref() == Some(REMOVED)
    }

    /// The trigger label the platform compares with (its default when the row has none).
    pub fn label(&self) -> &str {
        self.label_filter.as_deref().filter(|l| !l.is_empty()).unwrap_or(DEFAULT_LABEL)
    }

    /// The version a change must find unchanged: the row's `updated_at` (a conditional write
    /// names it, so two admins cannot overwrite each other unseen).
    pub fn version(&self) -> Version {
        Version::Exists(self.updated_at.clone())
    }
}

/// What a write expects to find under the project's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    /// No row yet.
    Absent,
    /// The row with this `updated_at` (`None`: a row without one).
    Exists(Option<String>),
}

/// What an admin maps a project to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub repo: RepoName,
    pub label: TriggerLabel,
    /// One of the project's teams, if chosen.
    pub team_id: Option<String>,
}

/// Why a typed repository or label is refused (the words follow the field's name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShapeError(pub String);

/// A repository as the platform names it: `owner/repo`, GitHub's rules for each half.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoName(String);

impl RepoName {
    pub fn parse(raw: &str) -> Result<RepoName, ShapeError> {
        let bad = |why: &str| Err(ShapeError(format!("repository {why} (owner/repo, as the platform onboarded it)")));
        let raw = raw.trim();
        if raw.is_empty() {
            return bad("is required");
        }
        let Some((owner, repo)) = raw.split_once('/') else {
            return bad("must be owner/repo");
        };
        let owner_ok = (1..=39).contains(&owner.len())
            && owner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !owner.starts_with('-')
            && !owner.ends_with('-');
        if !owner_ok {
            return bad("has an owner that is not a GitHub account name");
        }
        let repo_ok = (1..=100).contains(&repo.len())
            && repo.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && repo != "."
            && repo != "..";
        if !repo_ok {
            return bad("has a name that is not a GitHub repository name");
        }
        if repo.to_ascii_lowercase().ends_with(".git") {
            return bad("must not end in .git");
        }
        Ok(RepoName(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The label whose presence on an issue makes the platform act (compared case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerLabel(String);

impl TriggerLabel {
    /// Trimmed; empty means the platform's default, `bgagent`.
    pub fn parse(raw: &str) -> Result<TriggerLabel, ShapeError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(TriggerLabel(DEFAULT_LABEL.to_owned()));
        }
        if raw.chars().count() > 80 {
            return Err(ShapeError("label is too long (at most 80 characters)".into()));
        }
        if raw.chars().any(char::is_control) {
            return Err(ShapeError("label must not contain control characters".into()));
        }
        Ok(TriggerLabel(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A row of the platform's repository table (`repo`, `status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub repo: String,
    pub status: Option<String>,
}

impl Repository {
    /// Whether the platform creates tasks for it (an `active` row; 422 `REPO_NOT_ONBOARDED` otherwise).
    pub fn is_active(&self) -> bool {
        self.status.as_deref() == Some(ACTIVE)
    }
}

/// Whether the platform will run tasks for a repository, by its repository table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Onboarding {
    Onboarded,
    /// No active row; with the onboarded one that differs only in case, if any.
    NotOnboarded {
        did_you_mean: Option<String>,
    },
    /// The repository table is not configured or could not be read.
    Unknown,
}

impl Onboarding {
    /// `repo` judged against the repository table's rows (`None`: not known).
    pub fn of(repo: &str, repos: Option<&[Repository]>) -> Onboarding {
        let Some(repos) = repos else {
            return Onboarding::Unknown;
        };
        if repos.iter().any(|r| r.repo == repo && r.is_active()) {
            return Onboarding::Onboarded;
        }
        let did_you_mean = repos.iter().find(|r| r.is_active() && r.repo.eq_ignore_ascii_case(repo)).map(|r| r.repo.clone());
        Onboarding::NotOnboarded { did_you_mean }
    }

    /// What the platform will answer, in words, when it is not onboarded.
    pub fn warning(&self, repo: &str) -> Option<String> {
        match self {
            Onboarding::Onboarded => None,
            Onboarding::NotOnboarded { did_you_mean } => Some(format!(
                "{repo} is not onboarded on the platform: every task for this project will fail with 422 REPO_NOT_ONBOARDED \
                 until it is onboarded{}",
                did_you_mean.as_ref().map(|m| format!(" (the platform has {m}: names are compared exactly)")).unwrap_or_default()
            )),
            Onboarding::Unknown => Some(format!(
                "whether {repo} is onboarded on the platform could not be checked (its repository table is not configured or not readable)"
            )),
        }
    }
}

/// One of a project's teams.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ProjectTeam {
    pub id: String,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub name: String,
}

/// A Linear project as its workspace lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinearProject {
    pub id: ProjectId,
    pub name: String,
    /// `planned`, `started`, `paused`, `completed`, `canceled`, `backlog`.
    pub state: Option<String>,
    pub teams: Vec<ProjectTeam>,
}

/// The platform's webhook processor's rule, as the console reads a row: the repository an issue
/// of this project carrying `labels` becomes a task for, if any (only an active row with a
/// repository; the trigger label compared case-insensitively).
pub fn routes<'a>(row: Option<&'a ProjectMapping>, labels: &[&str]) -> Option<&'a str> {
    let row = row.filter(|r| r.is_active())?;
    let repo = row.repo.as_deref().filter(|r| !r.is_empty())?;
    let label = row.label().to_lowercase();
    labels.iter().any(|l| l.to_lowercase() == label).then_some(repo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> OrgId {
        OrgId::parse("org-1").unwrap()
    }

    fn mapping(repo: &str, label: &str) -> Mapping {
        Mapping { repo: RepoName::parse(repo).unwrap(), label: TriggerLabel::parse(label).unwrap(), team_id: None }
    }

    #[test]
    fn repository_names_follow_githubs_rules() {
        for ok in ["acme/web", "a/b", "Acme-Co/web.site_2", "x/.github"] {
            assert!(RepoName::parse(ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "acme", "acme/", "/web", "-acme/web", "acme-/web", "ac me/web", "acme/web/extra", "acme/..", "acme/web.git", "acme/wéb"]
        {
            let e = RepoName::parse(bad).unwrap_err();
            assert!(e.0.starts_with("repository "), "{bad}: {e}");
        }
        assert_eq!(RepoName::parse("  acme/web ").unwrap().as_str(), "acme/web");
    }

    #[test]
    fn an_empty_label_is_the_platforms_default_and_a_long_one_is_refused() {
        assert_eq!(TriggerLabel::parse(" ").unwrap().as_str(), "bgagent");
        assert_eq!(TriggerLabel::parse(" Agent ").unwrap().as_str(), "Agent");
        assert!(TriggerLabel::parse(&"x".repeat(81)).is_err());
        assert!(TriggerLabel::parse("a\nb").is_err());
    }

    #[test]
    fn a_change_keeps_the_first_onboarding_and_stamps_the_workspace() {
        let p = ProjectId::parse("p-1").unwrap();
        let row = ProjectMapping::new(p, &mapping("acme/web", ""), &org(), "2026-12-01T00:00:00.000Z");
        assert!(row.is_active());
        assert_eq!(row.label(), "bgagent");
        let changed = row.changed(&mapping("acme/api", "Agent"), &org(), "2026-12-02T00:00:00.000Z");
        assert_eq!(changed.onboarded_at.as_deref(), Some("2026-12-01T00:00:00.000Z"));
        assert_eq!(changed.updated_at.as_deref(), Some("2026-12-02T00:00:00.000Z"));
        assert_eq!(changed.repo.as_deref(), Some("acme/api"));
        let removed = changed.with_status(REMOVED, &org(), "2026-12-03T00:00:00.000Z");
        assert!(!removed.is_active() && removed.is_removed());
        assert_eq!(removed.repo.as_deref(), Some("acme/api"), "deactivating keeps the mapping");
    }

    #[test]
    fn only_an_active_row_routes_and_the_label_is_compared_without_case() {
        let p = ProjectId::parse("p-1").unwrap();
        let row = ProjectMapping::new(p, &mapping("acme/web", "BGAgent"), &org(), "t");
        assert_eq!(routes(Some(&row), &["bug", "bgagent"]), Some("acme/web"));
        assert_eq!(routes(Some(&row), &["bug"]), None);
        assert_eq!(routes(Some(&row.with_status(REMOVED, &org(), "t2")), &["bgagent"]), None);
        assert_eq!(routes(None, &["bgagent"]), None);
    }

    #[test]
    fn onboarding_is_judged_exactly_and_a_case_slip_is_named() {
        let repos = [
            Repository { repo: "acme/web".into(), status: Some("active".into()) },
            Repository { repo: "acme/old".into(), status: Some("removed".into()) },
        ];
        assert_eq!(Onboarding::of("acme/web", Some(&repos)), Onboarding::Onboarded);
        assert_eq!(Onboarding::of("acme/old", Some(&repos)), Onboarding::NotOnboarded { did_you_mean: None });
        let slip = Onboarding::of("Acme/Web", Some(&repos));
        assert_eq!(slip, Onboarding::NotOnboarded { did_you_mean: Some("acme/web".into()) });
        assert!(slip.warning("Acme/Web").unwrap().contains("REPO_NOT_ONBOARDED"));
        assert_eq!(Onboarding::of("acme/web", None), Onboarding::Unknown);
        assert!(Onboarding::Onboarded.warning("acme/web").is_none());
    }
}
