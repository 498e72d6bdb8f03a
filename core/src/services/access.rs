//! Who may still use the console: the roster of the console's Cognito groups, read again at most
//! once per re-check interval for the whole process (one read per group, side by side), so a
//! member removed from their group or disabled loses their session within minutes whatever the
//! number of sessions, and a changed role takes effect as soon. A failed read keeps the last
//! roster: an outage of Cognito must not sign every operator out in the middle of an incident.
use std::sync::Arc;
use std::time::Duration;

use crate::access::{Role, RoleGroups, Roster};
use crate::cache::{Freshness, ReadCache};
use crate::error::{chain, Unavailable};
use crate::ports::Directory;
use crate::time::Clock;

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
    directory: Arc<dyn Directory>,
    groups: RoleGroups,
    roster: ReadCache<(), Arc<Roster>>,
}

impl Access {
    pub fn new(directory: Arc<dyn Directory>, groups: RoleGroups, recheck: Duration, clock: Arc<dyn Clock>) -> Access {
        Access { directory, groups, roster: ReadCache::new(recheck, clock) }
    }

    pub fn groups(&self) -> &RoleGroups {
        &self.groups
    }

    /// The standing of `sub` now. Concurrent requests wait for one read of the roster instead of
    /// each making their own.
    pub async fn standing(&self, sub: &str) -> Standing {
        let roster = match self.roster.get_or_read((), Freshness::SinceChange, || self.read()).await {
            Ok(roster) => Some(roster),
            Err(e) => {
                tracing::warn!(error = %chain(&e), "could not re-check the console's groups; the last roster stands");
                self.roster.last(&())
            }
        };
        match roster {
            Some(roster) => roster.role_of(sub).map_or(Standing::Gone, Standing::Member),
            None => Standing::Unknown,
        }
    }

    async fn read(&self) -> Result<Arc<Roster>, Unavailable> {
        let [(r1, g1), (r2, g2), (r3, g3)] = self.groups.by_role();
        let d = &self.directory;
        let (a, b, c) = futures::join!(d.group_members(g1), d.group_members(g2), d.group_members(g3));
        Ok(Arc::new(Roster::from_groups([(r1, a?), (r2, b?), (r3, c?)])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fail, Fakes};

    #[tokio::test]
    async fn the_roster_is_read_once_per_interval_and_a_removal_takes_effect_after_it() {
        let f = Fakes::new();
        f.directory.member_of("admins", "s-ann", true);
        f.directory.member_of("viewers", "s-bob", true);
        let access = f.access(Duration::from_secs(120));
        assert_eq!(access.standing("s-ann").await, Standing::Member(Role::Admin));
        assert_eq!(access.standing("s-bob").await, Standing::Member(Role::Viewer));
        assert_eq!(access.standing("s-eve").await, Standing::Gone);
        assert_eq!(f.directory.script.count("group_members"), 3, "one read per group, for everyone");
        f.directory.leave("admins", "s-ann");
        assert_eq!(access.standing("s-ann").await, Standing::Member(Role::Admin), "within the interval");
        f.clock.advance(Duration::from_secs(121));
        assert_eq!(access.standing("s-ann").await, Standing::Gone);
    }

    #[tokio::test]
    async fn an_outage_keeps_the_last_roster_and_without_one_the_session_stands() {
        let f = Fakes::new();
        f.directory.member_of("operators", "s-ops", true);
        let access = f.access(Duration::from_secs(120));
        f.directory.script.fail("group_members", Fail::Unavailable);
        assert_eq!(access.standing("s-ops").await, Standing::Unknown, "never read: the session's own role stands");
        assert_eq!(access.standing("s-ops").await, Standing::Member(Role::Operator));
        f.clock.advance(Duration::from_secs(121));
        f.directory.script.fail_times("group_members", 3, Fail::Unavailable);
        assert_eq!(access.standing("s-ops").await, Standing::Member(Role::Operator), "the last roster stands");
    }
}
