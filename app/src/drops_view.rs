//! What the platform dropped, as the pages show it (wire types): per workspace, the people it
//! ignored with their member row (and so the buttons that fix each), its projects not mapped, and
//! the issues in no project; on the overview, the counts. A viewer gets the counts only.
use serde::{Deserialize, Serialize};

use crate::user_links_view::WorkspaceUserRow;

/// A person the platform ignored: how often, when last, and their row on the users page (none
/// when Linear's members could not be read or they are no longer a member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedPerson {
    pub linear_user_id: String,
    pub row: Option<WorkspaceUserRow>,
    pub times: usize,
    /// ISO UTC.
    pub last_at: String,
    /// Some were comments (`@bgagent`), not issues.
    pub commented: bool,
}

/// One of the workspace's projects whose labelled issues were dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedProject {
    pub project_id: String,
    pub name: String,
    pub times: usize,
    pub last_at: String,
    /// What its mapping is now, in words ("not mapped", "deactivated", "mapped to acme/web").
    pub mapping: String,
    /// Mapped and active now: fixed since.
    pub mapped: bool,
}

/// A workspace's *Dropped in the last N days*.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceDrops {
    /// The processor's log group read; `None`: not known (`unknown_because` says why).
    pub source: Option<String>,
    pub unknown_because: Option<String>,
    pub days: i64,
    /// When the log was read (ISO UTC).
    pub read_at: Option<String>,
    /// False: the read stopped at its bound of calls.
    pub complete: bool,
    /// Links may be made (an active workspace).
    pub writable: bool,
    /// The viewer's answer: counts, no names.
    pub counts_only: bool,
    /// People ignored, and how many requests of theirs.
    pub people_count: usize,
    pub people_times: usize,
    /// Empty for a viewer.
    pub people: Vec<DroppedPerson>,
    pub projects: Vec<DroppedProject>,
    /// Issues in no project, in any workspace (the platform's line names no workspace).
    pub no_project: usize,
    pub no_project_issues: Vec<String>,
    /// Issues in projects that are not this workspace's.
    pub other_projects: usize,
    /// Webhooks without organization or actor, in any workspace.
    pub unattributable: usize,
    pub last_hour: usize,
    /// More than this in an hour opens an incident (0: none).
    pub threshold: usize,
    pub members_error: Option<String>,
    pub projects_error: Option<String>,
}

/// The overview's line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropsSummary {
    pub source: Option<String>,
    pub unknown_because: Option<String>,
    pub days: i64,
    pub complete: bool,
    pub total: usize,
    /// Requests of people not linked, per workspace: (org id, its slug or name, how many), most first.
    pub per_workspace: Vec<(String, String, usize)>,
    pub people: usize,
    pub unmapped_projects: usize,
    pub no_project: usize,
    pub unattributable: usize,
}
