//! *Create platform user and link*: a Linear member with an email and no platform user becomes a
//! user of the pool (email as its username, verified; the pool emails a temporary password) and is
//! linked to it, in one action that is safe to run again: a user that already has the email is
//! linked, never duplicated.
use std::sync::Arc;

use super::{LinkingError, UserLinks};
use crate::audit::{Action, Actor};
use crate::cache::Freshness;
use crate::ids::{LinearUserId, LinkKey, OrgId, PlatformUserId};
use crate::link_states::{self as matching, LinkState, MemberRow, PlatformIndex};
use crate::ports::Mappings;
use crate::records::members::PlatformUser;
use crate::records::user_mapping::{normalize_email, Link};
use crate::services::audit::{Audited, Recorded};
use crate::time::iso_millis;

/// What one *Create platform user and link* did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// A new pool user, linked.
    New(PlatformUser),
    /// A pool user already had the email: linked to it, nothing created.
    Existing(PlatformUser),
}

impl Created {
    pub fn user(&self) -> &PlatformUser {
        match self {
            Created::New(u) | Created::Existing(u) => u,
        }
    }
}

/// How a run over several members went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatedTally {
    pub created: usize,
    pub linked_existing: usize,
    pub refused: usize,
    pub failed: usize,
}

/// At most this many members in one run.
pub const MAX_CREATE_BATCH: usize = 100;

impl UserLinks {
    /// *Create platform user and link* for one member; audited as `user.create`.
    pub async fn create_and_link(&self, actor: &Actor, org: &OrgId, user: &LinearUserId) -> Audited<Result<Created, LinkingError>> {
        let result = match self.writable_workspace(org).await {
            Ok(_) => self.create_and_link_in(&actor.sub, org, user).await,
            Err(e) => Err(e),
        };
        let detail = match &result {
            Ok(Created::New(u)) => format!("Linear user {user}: platform user {} created ({}) and linked", u.sub, email_of(u)),
            Ok(Created::Existing(u)) => format!("Linear user {user}: linked to the existing platform user {} ({})", u.sub, email_of(u)),
            Err(_) => format!("Linear user {user}"),
        };
        let recorded = self.record(actor, Action::UserCreate, org.as_str(), &result, detail).await;
        Audited::new(result, recorded)
    }

    /// The members *Create platform users and link all* would make: active members with an email,
    /// no link, no invite, and no pool user with that email.
    pub async fn unmatched(&self, org: &OrgId) -> Result<Vec<LinearUserId>, LinkingError> {
        self.writable_workspace(org).await?;
        let members = self.members(org).await?;
        let (links, invites) = self.rows(org, Freshness::SinceChange).await?;
        let pool = self.pool().await?;
        let rows = matching::rows(&members.users, &links, &invites, &pool, self.p.clock.unix());
        Ok(rows
            .iter()
            .filter(|r| unmatched(r, &pool))
            .filter_map(|r| LinearUserId::parse(&r.user.id).ok())
            .take(MAX_CREATE_BATCH)
            .collect())
    }

    /// *Create platform user and link* for each of `users`, each audited; how it went.
    pub async fn create_and_link_many(&self, actor: &Actor, org: &OrgId, users: &[LinearUserId]) -> Audited<CreatedTally> {
        let mut tally = CreatedTally::default();
        let mut recorded = Recorded::Yes;
        for user in users.iter().take(MAX_CREATE_BATCH) {
            let done = self.create_and_link(actor, org, user).await;
            if done.recorded == Recorded::No {
                recorded = Recorded::No;
            }
            match done.value {
                Ok(Created::New(_)) => tally.created += 1,
                Ok(Created::Existing(_)) => tally.linked_existing += 1,
                Err(LinkingError::Unavailable(_) | LinkingError::Linear(_)) => tally.failed += 1,
                Err(_) => tally.refused += 1,
            }
        }
        Audited::new(tally, recorded)
    }

    async fn create_and_link_in(&self, admin_sub: &str, org: &OrgId, user_id: &LinearUserId) -> Result<Created, LinkingError> {
        let member = self.linkable_member(org, user_id).await?;
        let email = member.email.as_deref().and_then(normalize_email).ok_or(LinkingError::NoEmail)?;
        let (user, created) = match self.pool_user_with(&email, false).await? {
            Some(existing) => (existing, false),
            None => match self.p.directory.create(&email).await.map_err(LinkingError::Unavailable)? {
                Some(new) => (new, true),
                // Made meanwhile (another admin, the platform), or the pool differs only in case.
                None => (self.pool_user_with(&email, true).await?.ok_or(LinkingError::UnknownPlatformUser)?, false),
            },
        };
        if !user.enabled {
            return Err(LinkingError::PlatformUserDisabled);
        }
        let sub = PlatformUserId::parse(&user.sub).map_err(|_| LinkingError::UnknownPlatformUser)?;
        if created {
            let kept = user.clone();
            self.pool.update(&(), move |cached| {
                let mut index = (**cached).clone();
                index.insert(kept);
                *cached = Arc::new(index);
            });
        }
        let link = Link::by_console(LinkKey::new(org.clone(), user_id.clone()), &sub, &iso_millis(self.p.clock.now()), admin_sub);
        self.p.mappings.put_new_link(&link).await?;
        Ok(if created { Created::New(user) } else { Created::Existing(user) })
    }

    /// The one pool user with this email (`fresh`: the pool read again); two are refused.
    async fn pool_user_with(&self, email: &str, fresh: bool) -> Result<Option<PlatformUser>, LinkingError> {
        if fresh {
            self.pool.forget(&());
        }
        let pool: Arc<PlatformIndex> = self.pool().await?;
        match pool.with_email(email).as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            _ => Err(LinkingError::AmbiguousEmail),
        }
    }
}

/// An active, unlinked member with an email no pool user has.
fn unmatched(r: &MemberRow, pool: &PlatformIndex) -> bool {
    r.state == LinkState::Unlinked
        && r.user.active
        && r.user.email.as_deref().and_then(normalize_email).is_some_and(|e| pool.with_email(&e).is_empty())
}

/// How many of `rows` *Create platform users and link all* would make.
pub(super) fn count_unmatched(rows: &[MemberRow], pool: &PlatformIndex) -> usize {
    rows.iter().filter(|r| unmatched(r, pool)).count()
}

fn email_of(u: &PlatformUser) -> &str {
    u.email.as_deref().unwrap_or("no email")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fail, Fakes, Workspace};
    use crate::records::user_mapping::MappingRow;

    fn admin() -> Actor {
        Actor { sub: "sub-admin".into(), email: "admin@example.com".into(), request_id: None }
    }

    fn id(s: &str) -> LinearUserId {
        LinearUserId::parse(s).unwrap()
    }

    fn linked_sub(f: &Fakes, org: &OrgId, user: &str) -> Option<String> {
        f.mappings.rows_of(org).into_iter().find_map(|r| match r {
            MappingRow::Link(l) if l.key.user_id.as_str() == user => Some(l.platform_user_id.to_string()),
            _ => None,
        })
    }

    #[tokio::test]
    async fn a_member_becomes_a_platform_user_and_is_linked_and_a_rerun_creates_nothing() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.api.member(&ws.org, "u-dana", "Dana@Acme.example");
        let links = f.user_links();
        let done = links.create_and_link(&admin(), &ws.org, &id("u-dana")).await;
        let Ok(Created::New(user)) = done.value else { panic!("{:?}", done.value) };
        assert_eq!(user.email.as_deref(), Some("dana@acme.example"), "the email, trimmed and lower-cased, is the username");
        assert_eq!(linked_sub(&f, &ws.org, "u-dana"), Some(user.sub.clone()));
        assert_eq!(f.directory.script.count("create"), 1);
        let entry = f.audit.entries().pop().unwrap();
        assert_eq!((entry.action.as_str(), entry.outcome.as_str()), ("user.create", "success"));
        // Again: the user exists and the member is linked; nothing is created twice.
        let again = links.create_and_link(&admin(), &ws.org, &id("u-dana")).await;
        assert!(matches!(again.value, Err(LinkingError::Conflict)), "{:?}", again.value);
        assert_eq!(f.directory.script.count("create"), 1);
    }

    #[tokio::test]
    async fn a_pool_user_that_has_the_email_is_linked_not_duplicated() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.api.member(&ws.org, "u-pat", "pat@acme.example");
        f.directory.user("sub-pat", "PAT@acme.example", true);
        let done = f.user_links().create_and_link(&admin(), &ws.org, &id("u-pat")).await;
        assert!(matches!(&done.value, Ok(Created::Existing(u)) if u.sub == "sub-pat"), "{:?}", done.value);
        assert_eq!(f.directory.script.count("create"), 0);
        assert_eq!(linked_sub(&f, &ws.org, "u-pat").as_deref(), Some("sub-pat"));
    }

    #[tokio::test]
    async fn a_user_made_meanwhile_is_found_and_linked() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.api.member(&ws.org, "u-lee", "lee@acme.example");
        let links = f.user_links();
        // The pool is read (and kept) before someone else creates the user.
        assert!(links.unmatched(&ws.org).await.unwrap().contains(&id("u-lee")));
        f.directory.user("sub-lee", "lee@acme.example", true);
        let done = links.create_and_link(&admin(), &ws.org, &id("u-lee")).await;
        assert!(matches!(&done.value, Ok(Created::Existing(u)) if u.sub == "sub-lee"), "{:?}", done.value);
    }

    #[tokio::test]
    async fn refusals_write_nothing() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.api.guest(&ws.org, "u-guest", "guest@partner.example");
        f.api.member(&ws.org, "u-off", "off@acme.example");
        f.directory.user("sub-off", "off@acme.example", false);
        f.api.member(&ws.org, "u-twice", "twice@acme.example");
        f.directory.user("sub-t1", "twice@acme.example", true);
        f.directory.user("sub-t2", "Twice@acme.example", true);
        let links = f.user_links();
        let refused = |u: &'static str| {
            let links = &links;
            let org = ws.org.clone();
            async move { links.create_and_link(&admin(), &org, &id(u)).await.value.unwrap_err() }
        };
        assert!(matches!(refused("u-guest").await, LinkingError::NotLinkable(_)));
        assert!(matches!(refused("u-off").await, LinkingError::PlatformUserDisabled));
        assert!(matches!(refused("u-twice").await, LinkingError::AmbiguousEmail));
        assert!(matches!(refused("u-nobody").await, LinkingError::UnknownLinearUser));
        assert_eq!(f.directory.script.count("create"), 0);
        assert!(f.mappings.rows_of(&ws.org).is_empty());
        let revoked = f.install(Workspace::active("globex").revoked());
        f.api.member(&revoked.org, "u-r", "r@globex.example");
        assert!(matches!(links.create_and_link(&admin(), &revoked.org, &id("u-r")).await.value, Err(LinkingError::ReadOnly)));
    }

    #[tokio::test]
    async fn a_run_over_the_unmatched_members_counts_each_outcome() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        for n in 0..3 {
            f.api.member(&ws.org, &format!("u-{n}"), &format!("m{n}@acme.example"));
        }
        f.api.member(&ws.org, "u-has", "has@acme.example");
        f.directory.user("sub-has", "has@acme.example", true);
        let links = f.user_links();
        let unmatched = links.unmatched(&ws.org).await.unwrap();
        assert_eq!(unmatched, [id("u-0"), id("u-1"), id("u-2")], "the suggested member is not among them");
        f.directory.script.fail("create", Fail::Unavailable);
        let tally = links.create_and_link_many(&admin(), &ws.org, &unmatched).await.value;
        assert_eq!(tally, CreatedTally { created: 2, linked_existing: 0, refused: 0, failed: 1 });
        assert_eq!(links.unmatched(&ws.org).await.unwrap(), [id("u-0")], "the failed one is left to retry");
    }
}
