//! Who may still use the console: the roster of the console's Cognito groups, read again at most
//! once per re-check interval for the whole process (one `ListUsersInGroup` per group, side by
//! side), so a member removed from their group or disabled loses their session within minutes
//! whatever the number of sessions, and a changed role takes effect as soon.
use std::time::Duration;

use app::identity::Role;
use app::ports::PortError;
use tokio::sync::Mutex;

use crate::adapters::cognito::directory::Directory;
use crate::domain::access::{RoleGroups, Roster};

/// What the re-check says of a session's member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Still in a group, enabled: their role now.
    Member(Role),
    /// No longer in any of the groups, or disabled.
    Gone,
    /// Cognito could not be asked and no roster was ever read: the session's own role stands.
    Unknown,
}

pub struct Access {
    directory: Directory,
    groups: RoleGroups,
    recheck: Duration,
    /// The last roster read and when (Unix seconds: wall clock, so a frozen Lambda's cache ages).
    roster: Mutex<Option<(i64, Roster)>>,
}

impl Access {
    pub fn new(directory: Directory, groups: RoleGroups, recheck: Duration) -> Access {
        Access { directory, groups, recheck, roster: Mutex::new(None) }
    }

    pub fn groups(&self) -> &RoleGroups {
        &self.groups
    }

    /// The standing of `sub` now. The lock is held while the roster is read again, so concurrent
    /// requests wait for one read instead of each making their own. A failed read keeps the last
    /// roster (an outage of Cognito must not sign every operator out in the middle of an incident).
    pub async fn standing(&self, sub: &str, now: i64) -> Standing {
        let mut cached = self.roster.lock().await;
        let fresh = cached.as_ref().is_some_and(|(at, _)| now - at < self.recheck.as_secs() as i64);
        if !fresh {
            match self.read().await {
                Ok(roster) => *cached = Some((now, roster)),
                Err(e) => tracing::warn!(error = %e.cause, "could not re-check the console's groups; the last roster stands"),
            }
        }
        match cached.as_ref() {
            Some((_, roster)) => roster.role_of(sub).map_or(Standing::Gone, Standing::Member),
            None => Standing::Unknown,
        }
    }

    async fn read(&self) -> Result<Roster, PortError> {
        let [(r1, g1), (r2, g2), (r3, g3)] = self.groups.by_role();
        let (a, b, c) = tokio::join!(self.directory.group_members(g1), self.directory.group_members(g2), self.directory.group_members(g3));
        Ok(Roster::from_groups([(r1, a?), (r2, b?), (r3, c?)]))
    }
}
