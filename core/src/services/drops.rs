//! What the platform dropped, from its own log (contract §11): the webhook processor's lines for
//! the last days, read with one filter and kept, so a page asks CloudWatch Logs at most once per
//! reuse time and then only for what is new (with a few minutes' overlap: a line may become
//! readable late). Each workspace's page puts names on them (its Linear members with their link
//! state, its Linear projects with their mapping); the overview counts them; the sweep opens an
//! incident for a workspace that drops more than a threshold in an hour.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::cache::{millis, Freshness, ReadCache};
use crate::drops::{by_kind, filter_pattern, over_threshold, parse, per_workspace, tally, Drop, DropKind, Tally};
use crate::error::{chain, Unavailable};
use crate::ids::OrgId;
use crate::incidents::IncidentKind;
use crate::link_states::MemberRow;
use crate::ports::PlatformLog;
use crate::records::projects::LinearProject;
use crate::records::projects::ProjectMapping;
use crate::records::registry::RegistryRecord;
use crate::services::incidents::Watch;
use crate::services::projects::{Projects, ProjectsError};
use crate::services::upkeep::subject;
use crate::services::user_links::{LinkingError, UserLinks};
use crate::time::Clock;

/// A line may become readable this long after its time: each read starts this far before the
/// previous one ended.
const OVERLAP_MS: i64 = 5 * 60_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropsSettings {
    /// How far back (`CONSOLE_DROPS_DAYS`, default 7 days).
    pub window: Duration,
    /// How long one read is reused (`CONSOLE_DROPS_CACHE_SECONDS`).
    pub ttl: Duration,
    /// An incident when one workspace drops more than this many requests in an hour
    /// (`CONSOLE_DROPS_ALERT_PER_HOUR`; 0: never).
    pub per_hour: usize,
    /// At most this many calls per read (`FilterLogEvents` pages).
    pub max_calls: usize,
}

pub struct DropsParts {
    /// The processor's log; `None`: not known (the pages say how to name it).
    pub log: Option<Arc<dyn PlatformLog>>,
    pub user_links: Arc<UserLinks>,
    pub projects: Arc<Projects>,
    pub watch: Arc<Watch>,
    pub clock: Arc<dyn Clock>,
    pub settings: DropsSettings,
}

/// What was read, kept between reads.
#[derive(Default)]
struct Kept {
    by_id: HashMap<String, Drop>,
    /// Read up to here (Unix ms).
    read_to: Option<i64>,
    /// The last read stopped at its bound: go on from `read_to` itself.
    partial: bool,
}

/// The drops of the window, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub drops: Vec<Drop>,
    /// When the log was read (Unix ms).
    pub read_at: i64,
    /// False: the read stopped at its bound of calls; there may be more.
    pub complete: bool,
}

/// The overview's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropsOverview {
    pub source: String,
    pub days: i64,
    pub read_at: i64,
    pub complete: bool,
    pub total: usize,
    /// Drops whose line names the workspace (people not linked), by org id.
    pub per_workspace: HashMap<String, usize>,
    pub by_kind: HashMap<DropKind, usize>,
}

/// A person of the workspace the platform ignored, with their member row (none when Linear's
/// members could not be read, or they are no longer a member).
#[derive(Debug, Clone)]
pub struct DroppedPerson {
    pub tally: Tally,
    pub member: Option<MemberRow>,
}

/// One of the workspace's Linear projects whose issues were dropped, with its mapping now.
#[derive(Debug, Clone)]
pub struct DroppedProject {
    pub tally: Tally,
    pub project: LinearProject,
    pub mapping: Option<ProjectMapping>,
}

/// A workspace's *Dropped in the last 7 days*.
#[derive(Debug, Clone)]
pub struct WorkspaceDrops {
    pub source: String,
    pub days: i64,
    pub read_at: i64,
    pub complete: bool,
    /// Links may be made (the workspace is active).
    pub writable: bool,
    pub people: Vec<DroppedPerson>,
    pub projects: Vec<DroppedProject>,
    /// Issues in no project, in any workspace (the line names none).
    pub no_project: Vec<Tally>,
    /// Issues in projects that are not this workspace's (or could not be told).
    pub other_projects: usize,
    /// Webhooks without organization or actor, in any workspace.
    pub unattributable: usize,
    /// This workspace's drops in the last hour.
    pub last_hour: usize,
    pub members_error: Option<String>,
    pub projects_error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DropsError {
    #[error("the workspace is not in the registry")]
    UnknownWorkspace,
    #[error("{0}")]
    Unavailable(#[source] Unavailable),
}

pub struct Drops {
    p: DropsParts,
    kept: Mutex<Kept>,
    reads: ReadCache<(), Arc<Seen>>,
}

impl Drops {
    pub fn new(p: DropsParts) -> Drops {
        let reads = ReadCache::new(p.settings.ttl, p.clock.clone());
        Drops { p, kept: Mutex::default(), reads }
    }

    /// The log group read, when one is known.
    pub fn source(&self) -> Option<&str> {
        self.p.log.as_deref().map(|l| l.source())
    }

    pub fn settings(&self) -> &DropsSettings {
        &self.p.settings
    }

    fn days(&self) -> i64 {
        (self.p.settings.window.as_secs() / 86_400).max(1) as i64
    }

    /// Reads what is new since the last read (the whole window the first time), and keeps it.
    async fn read(&self, log: &dyn PlatformLog) -> Result<Arc<Seen>, Unavailable> {
        let now = millis(self.p.clock.now());
        let start = now - self.p.settings.window.as_millis() as i64;
        let from = match self.kept.lock().ok().map(|k| (k.read_to, k.partial)) {
            Some((Some(t), true)) => t.max(start),
            Some((Some(t), false)) => (t - OVERLAP_MS).max(start),
            _ => start,
        };
        let read = log.read(&filter_pattern(), from, now, self.p.settings.max_calls).await?;
        let mut kept = self.kept.lock().map_err(|_| Unavailable::new(crate::error::Service::CloudWatchLogs, "poisoned"))?;
        for e in &read.events {
            if let Some(d) = parse(&e.id, e.at, &e.message) {
                kept.by_id.insert(d.id.clone(), d);
            }
        }
        kept.by_id.retain(|_, d| d.at >= start);
        // Stopped early: the next read goes on from the last line read.
        kept.read_to = Some(if read.complete { now } else { read.events.last().map_or(from, |e| e.at) });
        kept.partial = !read.complete;
        let mut drops: Vec<Drop> = kept.by_id.values().cloned().collect();
        drops.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        Ok(Arc::new(Seen { drops, read_at: now, complete: read.complete }))
    }

    /// The window's drops (`None`: no log is known), reused for the reuse time.
    pub async fn seen(&self, freshness: Freshness) -> Result<Option<Arc<Seen>>, Unavailable> {
        let Some(log) = self.p.log.clone() else { return Ok(None) };
        let read = || async move { self.read(log.as_ref()).await };
        self.reads.get_or_read((), freshness, read).await.map(Some)
    }

    /// The overview's counts.
    pub async fn overview(&self, freshness: Freshness) -> Result<Option<DropsOverview>, Unavailable> {
        let (Some(seen), Some(source)) = (self.seen(freshness).await?, self.source()) else { return Ok(None) };
        Ok(Some(DropsOverview {
            source: source.to_owned(),
            days: self.days(),
            read_at: seen.read_at,
            complete: seen.complete,
            total: seen.drops.len(),
            per_workspace: per_workspace(&seen.drops, i64::MIN),
            by_kind: by_kind(&seen.drops),
        }))
    }

    /// One workspace's drops with names on them: its members (and their link state) and its
    /// projects (and their mapping), each from the caches the users and projects pages share.
    pub async fn of_workspace(&self, org: &OrgId, freshness: Freshness) -> Result<Option<WorkspaceDrops>, DropsError> {
        let (Some(seen), Some(source)) = (self.seen(freshness).await.map_err(DropsError::Unavailable)?, self.source()) else {
            return Ok(None);
        };
        let mine = |d: &&Drop| d.workspace.as_deref() == Some(org.as_str());
        let people = tally(seen.drops.iter().filter(mine).filter(|d| d.kind.is_person()), |d| d.linear_user.as_deref());
        let project_drops: Vec<&Drop> = seen.drops.iter().filter(|d| d.kind == DropKind::UnmappedProject).collect();
        let (members, projects) =
            futures::join!(self.p.user_links.members_of(org, freshness), self.project_list(org, freshness, !project_drops.is_empty()));
        let (rows, members_error, writable) = match members {
            Ok(m) => (m.rows, m.linear_error, !m.read_only),
            Err(LinkingError::UnknownWorkspace) => return Err(DropsError::UnknownWorkspace),
            Err(e) => (Vec::new(), Some(e.to_string()), false),
        };
        let (list, projects_error) = match projects {
            Ok(list) => (list, None),
            Err(ProjectsError::UnknownWorkspace) => return Err(DropsError::UnknownWorkspace),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let people = people
            .into_iter()
            .map(|t| {
                let member = rows.iter().find(|r| r.user.id == t.key).cloned();
                DroppedPerson { tally: t, member }
            })
            .collect();
        let mut other_projects = 0;
        let mut found: Vec<DroppedProject> = Vec::new();
        for t in tally(project_drops.iter().copied(), |d| d.project.as_deref()) {
            match list.iter().find(|(p, _)| p.id.as_str() == t.key) {
                Some((p, mapping)) => found.push(DroppedProject { tally: t, project: p.clone(), mapping: mapping.clone() }),
                None => other_projects += t.times,
            }
        }
        let now = millis(self.p.clock.now());
        Ok(Some(WorkspaceDrops {
            source: source.to_owned(),
            days: self.days(),
            read_at: seen.read_at,
            complete: seen.complete,
            writable,
            people,
            projects: found,
            no_project: tally(seen.drops.iter().filter(|d| d.kind == DropKind::NoProject), |d| d.issue.as_deref()),
            other_projects,
            unattributable: seen.drops.iter().filter(|d| d.kind == DropKind::Unattributable).count(),
            last_hour: per_workspace(&seen.drops, now - 3_600_000).get(org.as_str()).copied().unwrap_or(0),
            members_error,
            projects_error,
        }))
    }

    /// The workspace's Linear projects with their mappings (not fetched when no project was dropped).
    async fn project_list(
        &self,
        org: &OrgId,
        freshness: Freshness,
        wanted: bool,
    ) -> Result<Vec<(LinearProject, Option<ProjectMapping>)>, ProjectsError> {
        if !wanted {
            return Ok(Vec::new());
        }
        let view = self.p.projects.view(org, freshness).await?;
        if let Some(e) = view.linear_error {
            return Err(ProjectsError::Unavailable(Unavailable::new(crate::error::Service::Linear, e)));
        }
        Ok(view.projects.into_iter().map(|r| (r.project, r.mapping)).collect())
    }

    /// The sweep's part: reads the log afresh and, for each active workspace, opens, moves or
    /// resolves its dropped-requests incident. How many workspaces are over the threshold.
    pub async fn judge(&self, records: &[RegistryRecord]) -> usize {
        let (Some(log), per_hour) = (self.p.log.clone(), self.p.settings.per_hour) else { return 0 };
        if per_hour == 0 {
            return 0;
        }
        let seen = match self.read(log.as_ref()).await {
            Ok(seen) => seen,
            Err(e) => {
                tracing::warn!(error = %chain(&e), "sweep: the platform's log could not be read");
                return 0;
            }
        };
        self.reads.put((), seen.clone());
        let now = millis(self.p.clock.now());
        let over: HashMap<String, usize> = over_threshold(&seen.drops, now, per_hour).into_iter().collect();
        let open: Vec<String> = match self.p.watch.open_of_kind(IncidentKind::DroppedEvents).await {
            Ok(open) => open.into_iter().map(|i| i.org_id).collect(),
            Err(e) => {
                tracing::warn!(error = %chain(&e), "sweep: open incidents could not be read");
                return over.len();
            }
        };
        let last_hour = per_workspace(&seen.drops, now - 3_600_000);
        for r in records.iter().filter(|r| r.is_active()) {
            let org = r.org_id.as_str();
            let is_over = over.contains_key(org);
            if is_over || open.iter().any(|o| o == org) {
                let n = last_hour.get(org).copied().unwrap_or(0);
                let evidence =
                    format!("{n} requests by people not linked dropped in the last hour (more than {per_hour} opens an incident)");
                self.p.watch.observe_drops(subject(r), is_over, &evidence).await;
            }
        }
        over.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fail, Fakes, Workspace};
    use crate::link_states::LinkState;

    fn unlinked(org: &str, user: &str, issue: &str) -> String {
        serde_json::json!({
            "level": "WARN",
            "message": "Linear actor has no linked platform user — skipping task creation",
            "linear_workspace_id": org, "linear_user_id": user, "issue_id": issue,
        })
        .to_string()
    }

    fn unmapped(project: &str, issue: &str) -> String {
        serde_json::json!({
            "level": "INFO", "message": "Linear project is not onboarded or is removed — skipping",
            "linear_project_id": project, "issue_id": issue,
        })
        .to_string()
    }

    #[tokio::test]
    async fn a_workspaces_drops_name_its_people_with_their_state_and_its_projects_with_their_mapping() {
        let f = Fakes::new();
        let acme = f.install(Workspace::active("acme"));
        f.api.member(&acme.org, "u-ann", "ann@acme.example");
        f.directory.user("s-ann", "ann@acme.example", true);
        f.api.member(&acme.org, "u-bo", "bo@acme.example");
        f.api.project(&acme.org, "p-web", "Web");
        let now = millis(f.clock.now());
        let log = f.platform_log.clone();
        log.write(now - 3_600_001, &unlinked(acme.org.as_str(), "u-bo", "i-1"));
        log.write(now - 60_000, &unlinked(acme.org.as_str(), "u-ann", "i-2"));
        log.write(now - 50_000, &unlinked(acme.org.as_str(), "u-ann", "i-3"));
        log.write(now - 40_000, &unlinked("org-other", "u-zed", "i-4"));
        log.write(now - 30_000, &unmapped("p-web", "i-5"));
        log.write(now - 20_000, &unmapped("p-elsewhere", "i-6"));
        log.write(now - 10_000, r#"{"level":"INFO","message":"Linear-triggered task created"}"#);
        log.write(now - 8 * 86_400_000, &unlinked(acme.org.as_str(), "u-old", "i-0"));
        let drops = f.drops(3);
        let w = drops.of_workspace(&acme.org, Freshness::Shared).await.unwrap().unwrap();
        let people: Vec<(&str, usize, Option<LinkState>)> =
            w.people.iter().map(|p| (p.tally.key.as_str(), p.tally.times, p.member.as_ref().map(|m| m.state))).collect();
        assert_eq!(
            people,
            vec![("u-ann", 2, Some(LinkState::Suggested)), ("u-bo", 1, Some(LinkState::Unlinked))],
            "older than 7 days: out"
        );
        assert_eq!(w.projects.len(), 1);
        assert_eq!((w.projects[0].project.name.as_str(), w.projects[0].tally.times, w.projects[0].mapping.is_none()), ("Web", 1, true));
        assert_eq!(w.other_projects, 1, "another workspace's project is not named here");
        assert_eq!(w.last_hour, 2, "the line an hour ago is out of the last hour");
        let o = drops.overview(Freshness::Shared).await.unwrap().unwrap();
        assert_eq!((o.total, o.per_workspace.get(acme.org.as_str()), o.per_workspace.get("org-other")), (6, Some(&3), Some(&1)));
    }

    #[tokio::test]
    async fn reads_are_reused_then_only_whats_new_is_asked_for_with_an_overlap() {
        let f = Fakes::new();
        let acme = f.install(Workspace::active("acme"));
        let now = millis(f.clock.now());
        f.platform_log.write(now - 1000, &unlinked(acme.org.as_str(), "u-1", "i-1"));
        let drops = f.drops(3);
        assert_eq!(drops.seen(Freshness::Shared).await.unwrap().unwrap().drops.len(), 1);
        assert_eq!(drops.seen(Freshness::Shared).await.unwrap().unwrap().drops.len(), 1);
        assert_eq!(f.platform_log.script.count("read"), 1, "reused within the reuse time");
        f.clock.advance(Duration::from_secs(61));
        let later = millis(f.clock.now());
        // A line that became readable late, within the overlap, and one new line.
        f.platform_log.write(now + 500, &unlinked(acme.org.as_str(), "u-2", "i-2"));
        f.platform_log.write(later - 100, &unlinked(acme.org.as_str(), "u-3", "i-3"));
        let seen = drops.seen(Freshness::Shared).await.unwrap().unwrap();
        assert_eq!(seen.drops.len(), 3, "the first line once, the late one and the new one");
        let reads = f.platform_log.reads.lock().unwrap().clone();
        assert_eq!(reads[0].0, now - 7 * 86_400_000, "the first read: the whole window");
        assert_eq!(reads[1].0, now - OVERLAP_MS, "then from where it ended, less the overlap");
    }

    #[tokio::test]
    async fn a_read_bounded_in_calls_says_so_and_goes_on_next_time() {
        let f = Fakes::new();
        let acme = f.install(Workspace::active("acme"));
        let now = millis(f.clock.now());
        for i in 0..5 {
            f.platform_log.write(now - 10_000 + i, &unlinked(acme.org.as_str(), "u-1", &format!("i-{i}")));
        }
        f.platform_log.page_size(2);
        let drops = f.drops(3);
        let seen = drops.seen(Freshness::Shared).await.unwrap().unwrap();
        assert_eq!((seen.drops.len(), seen.complete), (4, false), "two calls of two");
        f.clock.advance(Duration::from_secs(61));
        let seen = drops.seen(Freshness::Shared).await.unwrap().unwrap();
        assert_eq!((seen.drops.len(), seen.complete), (5, true));
    }

    #[tokio::test]
    async fn no_log_is_none_and_a_failing_log_is_unavailable_and_nothing_is_kept() {
        let f = Fakes::new();
        let none = f.drops_without_log();
        assert!(none.overview(Freshness::Shared).await.unwrap().is_none());
        let drops = f.drops(3);
        f.platform_log.script.fail("read", Fail::Unavailable);
        let e = drops.overview(Freshness::Shared).await.unwrap_err();
        assert!(e.to_string().contains("CloudWatch Logs"), "{e}");
        assert_eq!(drops.overview(Freshness::Shared).await.unwrap().unwrap().total, 0, "the next read works");
    }

    #[tokio::test]
    async fn a_workspace_over_the_threshold_opens_one_incident_and_an_hour_later_it_resolves() {
        let f = Fakes::new();
        let acme = f.install(Workspace::active("acme"));
        let quiet = f.install(Workspace::active("quiet"));
        let now = millis(f.clock.now());
        for i in 0..4 {
            f.platform_log.write(now - 1000 + i, &unlinked(acme.org.as_str(), "u-1", &format!("i-{i}")));
        }
        f.platform_log.write(now - 1000, &unlinked(quiet.org.as_str(), "u-1", "i-9"));
        let drops = f.drops(3);
        let rows = f.registry.rows();
        assert_eq!(drops.judge(&rows).await, 1);
        assert_eq!(drops.judge(&rows).await, 1);
        let open = f.incidents.open_now();
        assert_eq!(open.len(), 1);
        assert_eq!((open[0].org_id.as_str(), open[0].kind), (acme.org.as_str(), IncidentKind::DroppedEvents));
        assert!(open[0].evidence.starts_with("4 requests"), "{}", open[0].evidence);
        assert_eq!(f.sender.sent().len(), 1, "announced once");
        f.clock.advance(Duration::from_secs(3601));
        assert_eq!(drops.judge(&rows).await, 0);
        assert!(f.incidents.open_now().is_empty(), "resolved after a quiet hour");
    }
}
