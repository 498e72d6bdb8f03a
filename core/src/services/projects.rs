//! Projects mapped to repositories (contract §3, §10): a workspace's Linear projects with the
//! mapping row of each, the repositories the platform has onboarded, and the changes an operator
//! makes: map (one or several projects), change, deactivate, reactivate. Every write is one
//! whole-row conditional Put, as the CLI's `onboard-project` writes it plus `linear_workspace_id`,
//! so two admins (or an admin and the CLI) cannot overwrite each other unseen.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::audit::{Action, Actor, Outcome};
use crate::cache::{Epoch, Freshness, ReadCache};
use crate::error::{chain, StoreError, Unavailable};
use crate::ids::{OrgId, ProjectId};
use crate::ports::{ApiError, AuditFilter, LinearApi, ProjectMappings, RegistryStore, Repositories};
use crate::records::projects::{LinearProject, Mapping, Onboarding, ProjectMapping, Repository, Version, ACTIVE, REMOVED};
use crate::records::registry::RegistryRecord;
use crate::services::audit::{AuditLog, Audited, Recorded};
use crate::services::upkeep::Upkeep;
use crate::services::user_links::MembersError;
use crate::services::workspaces::{ReadError, Workspaces};
use crate::time::{iso_millis, Clock};

/// At most this many projects are mapped by one request.
pub const MAX_BATCH: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum ProjectsError {
    #[error("the workspace is not in the registry")]
    UnknownWorkspace,
    #[error("the workspace is revoked: its mappings can be deactivated, not created or reactivated")]
    ReadOnly,
    #[error("that project is not one of this workspace's Linear projects")]
    UnknownProject,
    #[error("that team is not one of the project's teams")]
    UnknownTeam,
    #[error("that project is not mapped")]
    NotMapped,
    #[error("the mapping changed meanwhile (someone else mapped or changed it); nothing was written")]
    Conflict,
    #[error("Linear's projects could not be fetched: {0}")]
    Linear(#[source] MembersError),
    #[error("{0}")]
    Unavailable(#[source] Unavailable),
}

impl From<StoreError> for ProjectsError {
    fn from(e: StoreError) -> ProjectsError {
        match e {
            StoreError::Conflict => ProjectsError::Conflict,
            StoreError::Unavailable(u) => ProjectsError::Unavailable(u),
        }
    }
}

impl ProjectsError {
    fn outcome(&self) -> Outcome {
        match self {
            ProjectsError::Linear(_) | ProjectsError::Unavailable(_) => Outcome::Failure,
            _ => Outcome::Refused,
        }
    }
}

/// Who last changed a mapping through the console, and when (from the audit log: the row itself
/// keeps only what the CLI writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastChange {
    pub by: String,
    pub at: String,
    pub action: String,
}

/// Something about a mapping the platform will not do as the page might suggest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The row is stamped with another registry row (a workspace connected again under another id,
    /// or renamed): the platform reads one row per project, so this workspace's mapping is that one.
    OtherWorkspace { workspace_id: String, slug: Option<String>, active: bool },
    /// The row names this workspace and Linear no longer lists the project.
    ProjectGone,
    /// The workspace is revoked: the platform answers its webhooks 401, so the mapping does nothing.
    WorkspaceRevoked,
    /// The row names a workspace the registry no longer has.
    WorkspaceGone { workspace_id: String },
}

/// One Linear project with its mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRow {
    pub project: LinearProject,
    pub mapping: Option<ProjectMapping>,
    /// Whether the mapping's repository is onboarded (for a mapping with a repository).
    pub onboarding: Option<Onboarding>,
    pub last_change: Option<LastChange>,
    pub problem: Option<Problem>,
}

/// A mapping with no project in the list: its project is gone, or its workspace is revoked or gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrayMapping {
    pub mapping: ProjectMapping,
    pub onboarding: Option<Onboarding>,
    pub last_change: Option<LastChange>,
    pub problem: Problem,
}

/// A workspace's Projects page.
#[derive(Debug, Clone)]
pub struct ProjectsView {
    pub org_id: OrgId,
    pub slug: Option<String>,
    /// Mappings may be created and reactivated (the workspace is active).
    pub writable: bool,
    /// When Linear's projects were fetched, or why they could not be.
    pub fetched_at: Option<String>,
    pub linear_error: Option<String>,
    pub projects: Vec<ProjectRow>,
    pub strays: Vec<StrayMapping>,
    /// The repositories the platform has onboarded (active ones); `None` when not known.
    pub repositories: Option<Vec<String>>,
}

/// Every mapping across workspaces that the platform will not act on as it seems (for `/workspaces`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphans {
    /// Active mappings stamped with a revoked workspace.
    pub revoked: usize,
    /// Active mappings stamped with a workspace the registry no longer has.
    pub gone: usize,
}

/// One project to map (or, when it has a row, to change from the version the page showed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapRequest {
    pub project_id: ProjectId,
    pub mapping: Mapping,
    pub expected: Version,
}

/// How one project's mapping went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapOutcome {
    Mapped(Onboarding),
    Changed(Onboarding),
    Unchanged,
    Refused(String),
    Conflict,
    Failed,
}

/// What the projects service calls.
pub struct ProjectsParts {
    pub registry: Arc<dyn RegistryStore>,
    pub upkeep: Arc<Upkeep>,
    pub linear: Arc<dyn LinearApi>,
    pub mappings: Arc<dyn ProjectMappings>,
    /// The platform's repository table, when configured.
    pub repositories: Option<Arc<dyn Repositories>>,
    pub audit: Arc<AuditLog>,
    pub clock: Arc<dyn Clock>,
    /// How long Linear's project lists are reused.
    pub linear_cache: Duration,
    /// How long the tables' reads are shared by pages.
    pub page_cache: Duration,
    /// The registry's views (a revoke drops the pages' rows).
    pub views: Epoch,
    /// The overview's shared read of the registry (for the workspaces mappings name).
    pub workspaces: Arc<Workspaces>,
}

#[derive(Clone)]
struct Fetched {
    at: String,
    projects: Arc<Vec<LinearProject>>,
}

pub struct Projects {
    p: ProjectsParts,
    linear: ReadCache<OrgId, Fetched>,
    rows: ReadCache<(), Arc<Vec<ProjectMapping>>>,
    repositories: ReadCache<(), Arc<Vec<Repository>>>,
}

impl Projects {
    pub fn new(p: ProjectsParts) -> Projects {
        let clock = p.clock.clone();
        Projects {
            linear: ReadCache::new(p.linear_cache, clock.clone()),
            rows: ReadCache::sharing(p.page_cache, clock.clone(), &p.views),
            repositories: ReadCache::new(p.page_cache, clock),
            p,
        }
    }

    async fn workspace(&self, org: &OrgId) -> Result<RegistryRecord, ProjectsError> {
        self.p.registry.get(org).await?.ok_or(ProjectsError::UnknownWorkspace)
    }

    /// The workspace's projects at Linear, fetched with its stored token and reused a while.
    async fn linear_projects(&self, org: &OrgId, freshness: Freshness) -> Result<Fetched, ProjectsError> {
        let read = || async {
            let bundle = self.p.upkeep.active_bundle(org).await.map_err(|e| ProjectsError::Linear(MembersError::Token(e)))?.bundle;
            let projects = self.p.linear.projects(&bundle.access_token).await.map_err(|e| {
                ProjectsError::Linear(match e {
                    ApiError::Unauthenticated { .. } => MembersError::Refused,
                    other => MembersError::Api(other),
                })
            })?;
            Ok(Fetched { at: iso_millis(self.p.clock.now()), projects: Arc::new(projects) })
        };
        self.linear.get_or_read(org.clone(), freshness, read).await
    }

    /// *Reload from Linear*: the workspace's projects fetched again; how many.
    pub async fn reload(&self, org: &OrgId) -> Result<usize, ProjectsError> {
        self.workspace(org).await?;
        self.linear.forget(org);
        Ok(self.linear_projects(org, Freshness::SinceChange).await?.projects.len())
    }

    async fn rows(&self, freshness: Freshness) -> Result<Arc<Vec<ProjectMapping>>, ProjectsError> {
        let read = || async { Ok::<_, ProjectsError>(Arc::new(self.p.mappings.all().await?)) };
        self.rows.get_or_read((), freshness, read).await
    }

    /// The platform's repositories; `None` when the table is not configured or not readable.
    async fn repositories(&self) -> Option<Arc<Vec<Repository>>> {
        let table = self.p.repositories.as_ref()?;
        let read = || async { table.all().await.map(Arc::new) };
        match self.repositories.get_or_read((), Freshness::Shared, read).await {
            Ok(repos) => Some(repos),
            Err(e) => {
                tracing::warn!(error = %chain(&e), "the platform's repository table could not be read");
                None
            }
        }
    }

    /// Who last changed each project's mapping through the console (its latest `project.` event).
    async fn last_changes(&self, org: &OrgId, freshness: Freshness) -> HashMap<String, LastChange> {
        let filter = AuditFilter { workspace: Some(org.clone()), action: "project.".into(), ..AuditFilter::default() };
        let page = match self.p.audit.search(&filter, 100, freshness).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %chain(&e), "the audit log could not be read for the projects page");
                return HashMap::new();
            }
        };
        let mut last = HashMap::new();
        // Newest first: the first event of each project is its latest.
        for e in page.entries.into_iter().filter(|e| e.outcome == Outcome::Success.code()) {
            let Some(project) = e.detail.as_deref().and_then(|d| d.split_whitespace().next()) else { continue };
            last.entry(project.to_owned()).or_insert_with(|| LastChange {
                by: e.actor_email.clone().or(e.actor_sub.clone()).unwrap_or_default(),
                at: e.at.clone(),
                action: e.action.clone(),
            });
        }
        last
    }

    /// A workspace's Projects page: every Linear project with its mapping, and the mappings of this
    /// workspace that the platform will not act on as they seem.
    pub async fn view(&self, org: &OrgId, freshness: Freshness) -> Result<ProjectsView, ProjectsError> {
        let row = self.workspace(org).await?;
        let writable = row.is_active();
        let (fetched, rows, repos, last) = futures::join!(
            async {
                if writable {
                    Some(self.linear_projects(org, freshness).await)
                } else {
                    None
                }
            },
            self.rows(freshness),
            self.repositories(),
            self.last_changes(org, freshness),
        );
        let rows = rows?;
        let (fetched_at, linear_error, listed) = match fetched {
            Some(Ok(f)) => (Some(f.at), None, Some(f.projects)),
            Some(Err(e)) => (None, Some(e.to_string()), None),
            None => (None, Some("the workspace is revoked: its projects cannot be read from Linear".to_owned()), None),
        };
        let repos_slice = repos.as_deref().map(Vec::as_slice);
        let onboarding = |m: &ProjectMapping| m.repo.as_deref().map(|r| Onboarding::of(r, repos_slice));
        let by_id: HashMap<&str, &ProjectMapping> = rows.iter().map(|r| (r.project_id.as_str(), r)).collect();
        // Only rows stamped with another workspace need the registry (most pages have none).
        let stamped_elsewhere = rows.iter().any(|m| m.workspace_id.as_deref().is_some_and(|w| w != org.as_str()));
        let registry = if stamped_elsewhere { self.registry_rows(freshness).await? } else { HashMap::new() };
        let mut projects = Vec::new();
        for project in listed.iter().flat_map(|l| l.iter()) {
            let mapping = by_id.get(project.id.as_str()).map(|m| (*m).clone());
            let problem = mapping.as_ref().and_then(|m| self.stamped_elsewhere(m, org, &registry));
            projects.push(ProjectRow {
                onboarding: mapping.as_ref().and_then(onboarding),
                last_change: last.get(project.id.as_str()).cloned(),
                project: project.clone(),
                mapping,
                problem,
            });
        }
        projects.sort_by_key(|p| p.project.name.to_lowercase());
        // This workspace's rows the list does not show.
        let listed_ids: Option<Vec<&str>> = listed.as_ref().map(|l| l.iter().map(|p| p.id.as_str()).collect());
        let mut strays: Vec<StrayMapping> = rows
            .iter()
            .filter(|m| m.workspace_id.as_deref() == Some(org.as_str()))
            .filter_map(|m| {
                let problem = match &listed_ids {
                    Some(ids) if ids.contains(&m.project_id.as_str()) => return None,
                    Some(_) => Problem::ProjectGone,
                    None if !writable => Problem::WorkspaceRevoked,
                    // Linear could not be read: nothing is known to be wrong with it.
                    None => return None,
                };
                Some(StrayMapping {
                    mapping: m.clone(),
                    onboarding: onboarding(m),
                    last_change: last.get(m.project_id.as_str()).cloned(),
                    problem,
                })
            })
            .collect();
        strays.sort_by(|a, b| a.mapping.project_id.cmp(&b.mapping.project_id));
        let repositories = repos.map(|r| {
            let mut names: Vec<String> = r.iter().filter(|r| r.is_active()).map(|r| r.repo.clone()).collect();
            names.sort();
            names
        });
        Ok(ProjectsView { org_id: org.clone(), slug: row.slug, writable, fetched_at, linear_error, projects, strays, repositories })
    }

    /// Every registry row by org id, from the overview's shared read (the overview page reads the
    /// same Scan; no GetItem per workspace a mapping names).
    async fn registry_rows(&self, freshness: Freshness) -> Result<HashMap<String, RegistryRecord>, ProjectsError> {
        let rows = self.p.workspaces.overview(freshness).await.map_err(|e| match e {
            ReadError::Registry(e) => ProjectsError::from(e),
            ReadError::Secrets(u) => ProjectsError::Unavailable(u),
        })?;
        Ok(rows.iter().map(|w| (w.record.org_id.to_string(), w.record.clone())).collect())
    }

    /// The problem of a mapping of this workspace's project stamped with another registry row.
    fn stamped_elsewhere(&self, m: &ProjectMapping, org: &OrgId, registry: &HashMap<String, RegistryRecord>) -> Option<Problem> {
        let other = m.workspace_id.as_deref().filter(|w| *w != org.as_str())?;
        Some(match registry.get(other) {
            Some(row) => Problem::OtherWorkspace { workspace_id: other.to_owned(), slug: row.slug.clone(), active: row.is_active() },
            None => Problem::WorkspaceGone { workspace_id: other.to_owned() },
        })
    }

    /// Active mappings across workspaces whose workspace is revoked or gone (for the overview).
    pub async fn orphans(&self, freshness: Freshness) -> Result<Orphans, ProjectsError> {
        let (rows, registry) = futures::join!(self.rows(freshness), self.registry_rows(freshness));
        let (rows, registry) = (rows?, registry?);
        let mut orphans = Orphans { revoked: 0, gone: 0 };
        for m in rows.iter().filter(|m| m.is_active()) {
            let Some(w) = m.workspace_id.as_deref() else { continue };
            match registry.get(w) {
                None => orphans.gone += 1,
                Some(r) if !r.is_active() => orphans.revoked += 1,
                Some(_) => {}
            }
        }
        Ok(orphans)
    }

    /// *Map* one or several projects (or *Change* a mapping): each a conditional whole-row Put
    /// and an audit event of its own.
    pub async fn map(
        &self,
        actor: &Actor,
        org: &OrgId,
        requests: &[MapRequest],
    ) -> Audited<Result<Vec<(ProjectId, MapOutcome)>, ProjectsError>> {
        let prepared = self.prepare(org).await;
        let (listed, repos) = match prepared {
            Ok(p) => p,
            Err(e) => {
                let detail = format!("{} project(s): {e}", requests.len());
                let recorded = self.p.audit.record(actor.event(Action::ProjectMap, org.as_str(), e.outcome(), detail)).await;
                return Audited::new(Err(e), recorded);
            }
        };
        let mut results = Vec::new();
        let mut recorded = Recorded::Yes;
        for req in requests.iter().take(MAX_BATCH) {
            let (outcome, r) = self.map_one(actor, org, req, &listed, repos.as_deref().map(Vec::as_slice)).await;
            if r == Recorded::No {
                recorded = Recorded::No;
            }
            results.push((req.project_id.clone(), outcome));
        }
        self.rows.invalidate();
        Audited::new(Ok(results), recorded)
    }

    /// The workspace, if mappings may be made in it: its Linear projects and the repositories.
    async fn prepare(&self, org: &OrgId) -> Result<(Arc<Vec<LinearProject>>, Option<Arc<Vec<Repository>>>), ProjectsError> {
        if !self.workspace(org).await?.is_active() {
            return Err(ProjectsError::ReadOnly);
        }
        let listed = self.linear_projects(org, Freshness::Shared).await?.projects;
        Ok((listed, self.repositories().await))
    }

    async fn map_one(
        &self,
        actor: &Actor,
        org: &OrgId,
        req: &MapRequest,
        listed: &[LinearProject],
        repos: Option<&[Repository]>,
    ) -> (MapOutcome, Recorded) {
        let repo = req.mapping.repo.as_str();
        let label = req.mapping.label.as_str();
        let project = listed.iter().find(|p| p.id == req.project_id);
        let name = project.map(|p| p.name.as_str()).unwrap_or("?");
        let about = format!("{} ({name}) → {repo}, label {label}", req.project_id);
        let action = if req.expected == Version::Absent { Action::ProjectMap } else { Action::ProjectChange };
        let Some(project) = project else {
            return self.refused(actor, org, action, &about, ProjectsError::UnknownProject).await;
        };
        if let Some(team) = &req.mapping.team_id {
            if !project.teams.iter().any(|t| t.id == *team) {
                return self.refused(actor, org, action, &about, ProjectsError::UnknownTeam).await;
            }
        }
        let now = iso_millis(self.p.clock.now());
        let row = match &req.expected {
            Version::Absent => ProjectMapping::new(req.project_id.clone(), &req.mapping, org, &now),
            Version::Exists(_) => match self.p.mappings.get(&req.project_id).await {
                Ok(Some(current)) => {
                    let same = current.repo.as_deref() == Some(repo)
                        && current.label() == label
                        && current.team_id == req.mapping.team_id
                        && current.is_active()
                        && current.workspace_id.as_deref() == Some(org.as_str());
                    if same && current.version() == req.expected {
                        return (MapOutcome::Unchanged, Recorded::Yes);
                    }
                    current.changed(&req.mapping, org, &now)
                }
                Ok(None) => return self.conflict(actor, org, action, &about).await,
                Err(e) => return self.failed(actor, org, action, &about, e).await,
            },
        };
        let onboarding = Onboarding::of(repo, repos);
        match self.p.mappings.put(&row, &req.expected).await {
            Ok(()) => {
                let warning = onboarding.warning(repo).map(|w| format!("; warned: {w}")).unwrap_or_default();
                let detail = format!("{about}{warning}");
                let recorded = self.p.audit.record(actor.event(action, org.as_str(), Outcome::Success, detail)).await;
                let outcome = if action == Action::ProjectMap { MapOutcome::Mapped(onboarding) } else { MapOutcome::Changed(onboarding) };
                (outcome, recorded)
            }
            Err(StoreError::Conflict) => self.conflict(actor, org, action, &about).await,
            Err(e) => self.failed(actor, org, action, &about, e).await,
        }
    }

    async fn refused(&self, actor: &Actor, org: &OrgId, action: Action, about: &str, why: ProjectsError) -> (MapOutcome, Recorded) {
        let detail = format!("{about}: {why}");
        (MapOutcome::Refused(why.to_string()), self.p.audit.record(actor.event(action, org.as_str(), Outcome::Refused, detail)).await)
    }

    async fn conflict(&self, actor: &Actor, org: &OrgId, action: Action, about: &str) -> (MapOutcome, Recorded) {
        let detail = format!("{about}: {}", ProjectsError::Conflict);
        (MapOutcome::Conflict, self.p.audit.record(actor.event(action, org.as_str(), Outcome::Refused, detail)).await)
    }

    async fn failed(&self, actor: &Actor, org: &OrgId, action: Action, about: &str, e: StoreError) -> (MapOutcome, Recorded) {
        let detail = format!("{about}: {}", chain(&e));
        (MapOutcome::Failed, self.p.audit.record(actor.event(action, org.as_str(), Outcome::Failure, detail)).await)
    }

    /// *Deactivate* (`status = removed`, as the platform's guide does) or *Reactivate* a mapping,
    /// from the version the page showed. Deactivating works on a revoked workspace too.
    pub async fn set_active(
        &self,
        actor: &Actor,
        org: &OrgId,
        project: &ProjectId,
        active: bool,
        expected: &Version,
    ) -> Audited<Result<(), ProjectsError>> {
        let action = if active { Action::ProjectReactivate } else { Action::ProjectDeactivate };
        let result = self.set_active_unaudited(org, project, active, expected).await;
        self.rows.invalidate();
        let (outcome, detail) = match &result {
            Ok(repo) => (Outcome::Success, format!("{project} → {repo}")),
            Err(e) => (e.outcome(), format!("{project}: {}", chain(e))),
        };
        let recorded = self.p.audit.record(actor.event(action, org.as_str(), outcome, detail)).await;
        Audited::new(result.map(|_| ()), recorded)
    }

    async fn set_active_unaudited(
        &self,
        org: &OrgId,
        project: &ProjectId,
        active: bool,
        expected: &Version,
    ) -> Result<String, ProjectsError> {
        let ws = self.workspace(org).await?;
        let current = self.p.mappings.get(project).await?.ok_or(ProjectsError::NotMapped)?;
        if current.version() != *expected {
            return Err(ProjectsError::Conflict);
        }
        let ours = current.workspace_id.as_deref() == Some(org.as_str());
        if active {
            if !ws.is_active() {
                return Err(ProjectsError::ReadOnly);
            }
            let listed = self.linear_projects(org, Freshness::Shared).await?.projects;
            if !listed.iter().any(|p| p.id == *project) {
                return Err(ProjectsError::UnknownProject);
            }
        } else if !ours {
            // A row another workspace (or the CLI) wrote: only while Linear lists it here.
            let listed = self.linear_projects(org, Freshness::Shared).await?.projects;
            if !listed.iter().any(|p| p.id == *project) {
                return Err(ProjectsError::UnknownProject);
            }
        }
        let status = if active { ACTIVE } else { REMOVED };
        let row = current.with_status(status, org, &iso_millis(self.p.clock.now()));
        self.p.mappings.put(&row, expected).await?;
        Ok(current.repo.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fail, Fakes, Workspace};
    use crate::records::projects::{RepoName, TriggerLabel};

    fn actor() -> Actor {
        Actor { sub: "sub-admin".into(), email: "admin@example.com".into(), request_id: None }
    }

    fn to(repo: &str) -> Mapping {
        Mapping { repo: RepoName::parse(repo).unwrap(), label: TriggerLabel::parse("").unwrap(), team_id: None }
    }

    fn new_map(project: &ProjectId, repo: &str) -> MapRequest {
        MapRequest { project_id: project.clone(), mapping: to(repo), expected: Version::Absent }
    }

    #[tokio::test]
    async fn mapping_writes_the_clis_row_with_the_workspace_and_warns_of_a_repository_not_onboarded() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme-eng"));
        let (web, api) = (f.api.project(&ws.org, "p-web", "Web"), f.api.project(&ws.org, "p-api", "API"));
        f.repositories.onboard("acme/web", "active");
        let projects = f.projects();
        let done = projects.map(&actor(), &ws.org, &[new_map(&web, "acme/web"), new_map(&api, "acme/api")]).await;
        assert!(done.recorded.is_recorded());
        let results = done.value.unwrap();
        assert_eq!(results[0].1, MapOutcome::Mapped(Onboarding::Onboarded));
        assert_eq!(results[1].1, MapOutcome::Mapped(Onboarding::NotOnboarded { did_you_mean: None }));
        let row = f.project_mappings.row(&web).unwrap();
        assert_eq!(row.repo.as_deref(), Some("acme/web"));
        assert_eq!(row.label_filter.as_deref(), Some("bgagent"));
        assert_eq!(row.status.as_deref(), Some("active"));
        assert_eq!(row.workspace_id.as_deref(), Some(ws.org.as_str()));
        assert!(row.onboarded_at.is_some() && row.onboarded_at == row.updated_at);
        let events = f.audit.entries();
        assert_eq!(events.iter().filter(|e| e.action == "project.map" && e.outcome == "success").count(), 2);
        assert!(events.iter().any(|e| e.detail.as_deref().is_some_and(|d| d.contains("REPO_NOT_ONBOARDED"))));
    }

    #[tokio::test]
    async fn two_admins_cannot_overwrite_each_other_unseen() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme-eng"));
        let web = f.api.project(&ws.org, "p-web", "Web");
        let projects = f.projects();
        // Both saw the project unmapped; the first one wins, the second is told.
        let first = projects.map(&actor(), &ws.org, &[new_map(&web, "acme/web")]).await.value.unwrap();
        assert!(matches!(first[0].1, MapOutcome::Mapped(_)));
        let second = projects.map(&actor(), &ws.org, &[new_map(&web, "acme/other")]).await.value.unwrap();
        assert_eq!(second[0].1, MapOutcome::Conflict);
        assert_eq!(f.project_mappings.row(&web).unwrap().repo.as_deref(), Some("acme/web"));
        // A change from a stale version is refused too; from the current one it is made.
        let seen = f.project_mappings.row(&web).unwrap().version();
        f.clock.advance(Duration::from_secs(5));
        let change = |v: Version| MapRequest { project_id: web.clone(), mapping: to("acme/api"), expected: v };
        let made = projects.map(&actor(), &ws.org, &[change(seen.clone())]).await.value.unwrap();
        assert!(matches!(made[0].1, MapOutcome::Changed(_)));
        let stale = projects.map(&actor(), &ws.org, &[change(seen)]).await.value.unwrap();
        assert_eq!(stale[0].1, MapOutcome::Conflict);
        let row = f.project_mappings.row(&web).unwrap();
        assert_eq!(row.repo.as_deref(), Some("acme/api"));
        assert_ne!(row.onboarded_at, row.updated_at, "the first onboarding is kept");
    }

    #[tokio::test]
    async fn a_project_of_another_workspace_or_a_revoked_workspace_is_refused_and_nothing_written() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme-eng"));
        let other = f.install(Workspace::active("globex"));
        let theirs = f.api.project(&other.org, "p-theirs", "Theirs");
        let projects = f.projects();
        let r = projects.map(&actor(), &ws.org, &[new_map(&theirs, "acme/web")]).await.value.unwrap();
        assert!(matches!(&r[0].1, MapOutcome::Refused(why) if why.contains("not one of this workspace")));
        let revoked = f.install(Workspace::active("initrode").revoked());
        let mine = f.api.project(&revoked.org, "p-mine", "Mine");
        let r = projects.map(&actor(), &revoked.org, &[new_map(&mine, "acme/web")]).await;
        assert!(matches!(r.value, Err(ProjectsError::ReadOnly)));
        assert!(f.project_mappings.rows().is_empty());
        let refused = f.audit.entries().iter().filter(|e| e.outcome == "refused").count();
        assert_eq!(refused, 2, "each refusal is in the audit log");
    }

    #[tokio::test]
    async fn deactivating_and_reactivating_keep_the_mapping_and_check_the_version() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme-eng"));
        let web = f.api.project(&ws.org, "p-web", "Web");
        let projects = f.projects();
        let _ = projects.map(&actor(), &ws.org, &[new_map(&web, "acme/web")]).await;
        let v = f.project_mappings.row(&web).unwrap().version();
        f.clock.advance(Duration::from_secs(1));
        assert!(projects.set_active(&actor(), &ws.org, &web, false, &v).await.value.is_ok());
        let row = f.project_mappings.row(&web).unwrap();
        assert_eq!((row.status.as_deref(), row.repo.as_deref()), (Some("removed"), Some("acme/web")));
        // The old version no longer holds.
        let stale = projects.set_active(&actor(), &ws.org, &web, true, &v).await;
        assert!(matches!(stale.value, Err(ProjectsError::Conflict)));
        f.clock.advance(Duration::from_secs(1));
        assert!(projects.set_active(&actor(), &ws.org, &web, true, &row.version()).await.value.is_ok());
        assert!(f.project_mappings.row(&web).unwrap().is_active());
        let actions: Vec<String> = f.audit.entries().iter().map(|e| format!("{}:{}", e.action, e.outcome)).collect();
        assert!(actions.contains(&"project.deactivate:success".to_owned()));
        assert!(actions.contains(&"project.reactivate:refused".to_owned()));
        assert!(actions.contains(&"project.reactivate:success".to_owned()));
    }

    #[tokio::test]
    async fn the_page_shows_each_projects_mapping_who_made_it_and_the_problems() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme-eng"));
        let web = f.api.project(&ws.org, "p-web", "Web");
        let gone = f.api.project(&ws.org, "p-gone", "Gone");
        let cli = f.api.project(&ws.org, "p-cli", "CLI-mapped");
        let renamed = f.api.project(&ws.org, "p-renamed", "Renamed");
        let projects = f.projects();
        let _ = projects.map(&actor(), &ws.org, &[new_map(&web, "acme/web"), new_map(&gone, "acme/gone")]).await;
        f.api.delete_project(&ws.org, &gone);
        // Linear's list is reused for minutes; *Reload from Linear* reads it again.
        assert_eq!(projects.reload(&ws.org).await.unwrap(), 3);
        // A row the CLI wrote (no workspace) and one stamped with a registry row that is gone.
        let mut row = ProjectMapping::new(cli.clone(), &to("acme/cli"), &ws.org, "2026-07-30T11:00:00Z");
        row.workspace_id = None;
        f.project_mappings.put_row(row);
        let old = OrgId::parse("org-old-acme").unwrap();
        f.project_mappings.put_row(ProjectMapping::new(renamed.clone(), &to("acme/web"), &old, "2026-07-30T11:00:00Z"));
        let view = projects.view(&ws.org, Freshness::SinceChange).await.unwrap();
        assert!(view.writable && view.linear_error.is_none());
        let by = |id: &ProjectId| view.projects.iter().find(|p| p.project.id == *id).unwrap();
        assert_eq!(by(&web).last_change.as_ref().unwrap().by, "admin@example.com");
        assert!(by(&web).problem.is_none());
        assert_eq!(by(&cli).mapping.as_ref().unwrap().repo.as_deref(), Some("acme/cli"));
        assert!(by(&cli).last_change.is_none(), "the CLI's mapping has no console event");
        assert_eq!(by(&renamed).problem, Some(Problem::WorkspaceGone { workspace_id: "org-old-acme".into() }));
        assert_eq!(view.strays.len(), 1);
        assert_eq!((view.strays[0].mapping.project_id.clone(), view.strays[0].problem.clone()), (gone, Problem::ProjectGone));
        assert_eq!(view.repositories.as_deref(), Some(&[][..]), "the repository table is configured and empty");
    }

    #[tokio::test]
    async fn a_revoked_workspace_shows_its_mappings_as_doing_nothing_and_its_removal_deactivates_them() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme-eng"));
        let web = f.api.project(&ws.org, "p-web", "Web");
        let projects = f.projects();
        let _ = projects.map(&actor(), &ws.org, &[new_map(&web, "acme/web")]).await;
        let mut row = f.registry.row(&ws.org).unwrap();
        row.status = Some(crate::records::registry::Status::Revoked);
        f.registry.put(row.clone());
        let view = projects.view(&ws.org, Freshness::SinceChange).await.unwrap();
        assert!(!view.writable);
        assert_eq!(view.strays[0].problem, Problem::WorkspaceRevoked);
        let orphans = projects.orphans(Freshness::SinceChange).await.unwrap();
        assert_eq!(orphans, Orphans { revoked: 1, gone: 0 });
        // Its removal (with the projects ticked) deactivates it; a revoke without leaves it.
        use crate::services::removal::{Cleanup, Removal, RemovalStep, StepStatus};
        let mut active = f.registry.row(&ws.org).unwrap();
        active.status = Some(crate::records::registry::Status::Active);
        f.registry.put(active);
        let report = f.removals().run(&actor(), Removal::Revoke, &ws.org, "acme-eng", Cleanup::default()).await.value.unwrap();
        assert!(report.statuses().contains(&(RemovalStep::DeactivateProjects, StepStatus::Skipped)));
        assert!(f.project_mappings.row(&web).unwrap().is_active());
        let report = f.removals().run(&actor(), Removal::Remove, &ws.org, "acme-eng", Cleanup::ALL).await.value.unwrap();
        assert!(report.statuses().contains(&(RemovalStep::DeactivateProjects, StepStatus::Done)), "{:?}", report.statuses());
        assert_eq!(report.projects_deactivated, 1);
        assert!(f.project_mappings.row(&web).unwrap().is_removed());
        assert!(report.detail().contains("projects: 1 deactivated"));
    }

    #[tokio::test]
    async fn a_failing_table_is_reported_and_nothing_else_is_claimed() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme-eng"));
        let web = f.api.project(&ws.org, "p-web", "Web");
        let projects = f.projects();
        f.project_mappings.script.fail("put", Fail::Unavailable);
        let r = projects.map(&actor(), &ws.org, &[new_map(&web, "acme/web")]).await.value.unwrap();
        assert_eq!(r[0].1, MapOutcome::Failed);
        assert!(f.audit.entries().iter().any(|e| e.action == "project.map" && e.outcome == "failure"));
        f.repositories.script.fail("all", Fail::Unavailable);
        let view = projects.view(&ws.org, Freshness::SinceChange).await.unwrap();
        assert_eq!(view.repositories, None, "an unreadable repository table is not an empty one");
        f.api.script.fail("projects", Fail::Unavailable);
        let projects = f.projects();
        let view = projects.view(&ws.org, Freshness::SinceChange).await.unwrap();
        assert!(view.linear_error.unwrap().contains("Linear"));
    }
}
