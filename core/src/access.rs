//! Who may use the console, and as what: the three Cognito groups mapped to roles, and the roster
//! a session is re-checked against (group members whose accounts are enabled).
use std::collections::HashMap;

use crate::codes;
use crate::records::members::PlatformUser;

codes! {
    /// What a signed-in person may do. Each role includes the ones below it; a person in several of
    /// the console's Cognito groups gets the highest. The code is the role's name as shown.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
    pub enum Role {
        /// Reads every page; changes nothing and exports nothing with personal data.
        #[default]
        Viewer = "viewer",
        /// Also *Check now*, *Refresh token*, and linking (link, unlink, invite, reload, export).
        Operator = "operator",
        /// Also connect, reconnect, revoke, remove, webhook secrets and settings.
        Admin = "admin",
    }
}

impl Role {
    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }

    pub fn label(self) -> &'static str {
        self.code()
    }
}

/// The Cognito group of each role (names configurable; the admin group is the one the console
/// always had, so an existing deployment keeps working).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGroups {
    pub admin: String,
    pub operator: String,
    pub viewer: String,
}

impl RoleGroups {
    /// The groups, highest role first.
    pub fn by_role(&self) -> [(Role, &str); 3] {
        [(Role::Admin, self.admin.as_str()), (Role::Operator, self.operator.as_str()), (Role::Viewer, self.viewer.as_str())]
    }

    /// The role of someone in `groups` (from the ID token's `cognito:groups`): the highest whose
    /// group they are in, or none.
    pub fn role_of<S: AsRef<str>>(&self, groups: &[S]) -> Option<Role> {
        self.by_role().into_iter().find(|(_, g)| groups.iter().any(|m| m.as_ref() == *g)).map(|(role, _)| role)
    }
}

/// The members of the console's groups right now, by Cognito `sub`. A disabled account has no
/// role, whatever its groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster(HashMap<String, Role>);

impl Roster {
    pub fn from_groups(members: impl IntoIterator<Item = (Role, Vec<PlatformUser>)>) -> Roster {
        let mut roles: HashMap<String, Role> = HashMap::new();
        for (role, users) in members {
            for u in users.into_iter().filter(|u| u.enabled && !u.sub.is_empty()) {
                let entry = roles.entry(u.sub).or_insert(role);
                *entry = (*entry).max(role);
            }
        }
        Roster(roles)
    }

    pub fn role_of(&self, sub: &str) -> Option<Role> {
        self.0.get(sub).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> RoleGroups {
        RoleGroups { admin: "admins".into(), operator: "operators".into(), viewer: "viewers".into() }
    }

    fn user(sub: &str, enabled: bool) -> PlatformUser {
        PlatformUser { sub: sub.into(), email: None, enabled, status: "CONFIRMED".into() }
    }

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Admin.allows(Role::Operator) && Role::Admin.allows(Role::Viewer));
        assert!(Role::Operator.allows(Role::Viewer) && !Role::Operator.allows(Role::Admin));
        assert!(!Role::Viewer.allows(Role::Operator));
        assert!(crate::codes::round_trips::<Role>());
    }

    #[test]
    fn the_highest_group_decides_the_role() {
        let g = groups();
        assert_eq!(g.role_of(&["viewers", "admins"]), Some(Role::Admin));
        assert_eq!(g.role_of(&["operators"]), Some(Role::Operator));
        assert_eq!(g.role_of(&["viewers", "other"]), Some(Role::Viewer));
        assert_eq!(g.role_of(&["other"]), None);
        assert_eq!(g.role_of::<&str>(&[]), None);
    }

    #[test]
    fn the_roster_keeps_enabled_members_at_their_highest_role() {
        let roster = Roster::from_groups([
            (Role::Viewer, vec![user("ann", true), user("bob", true), user("cat", false)]),
            (Role::Admin, vec![user("ann", true)]),
            (Role::Operator, vec![user("dan", false)]),
        ]);
        assert_eq!(roster.role_of("ann"), Some(Role::Admin));
        assert_eq!(roster.role_of("bob"), Some(Role::Viewer));
        assert_eq!(roster.role_of("cat"), None, "disabled");
        assert_eq!(roster.role_of("dan"), None, "disabled");
        assert_eq!(roster.role_of("eve"), None);
    }
}
