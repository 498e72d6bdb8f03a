//! Each Linear user's link state, from the Linear members, the mapping rows and the pool's
//! users. Pure, so every rule is tested here; one pass with hash lookups (5,000 × 5,000 in
//! a few milliseconds: `cargo bench -p server --bench user_links`).
use std::collections::HashMap;

use crate::codes;
use crate::records::members::{LinearUser, PlatformUser};
use crate::records::user_mapping::{normalize_email, Invite, Link};

codes! {
    /// Where a Linear user stands with the platform; the code is the URL's (`?state=`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum LinkState {
        /// A link row names a platform user who can use it.
        Linked = "linked",
        /// No link, but a platform user has the same email.
        Suggested = "suggested",
        Unlinked = "unlinked",
        /// A link whose Linear user is disabled or gone, or whose platform user is deleted or disabled.
        Stale = "stale",
        /// A pending invite that has not expired.
        Invited = "invited",
        /// A pending invite past its `ttl` (DynamoDB deletes them lazily).
        InviteExpired = "invite_expired",
        /// Guests and app bots: the platform does not take requests from them.
        NotLinkable = "not_linkable",
    }
}

impl LinkState {
    pub fn label(self) -> &'static str {
        match self {
            LinkState::Linked => "Linked",
            LinkState::Suggested => "Suggested",
            LinkState::Unlinked => "Unlinked",
            LinkState::Stale => "Stale",
            LinkState::Invited => "Invite pending",
            LinkState::InviteExpired => "Invite expired",
            LinkState::NotLinkable => "Not linkable",
        }
    }
}

/// One Linear user of the workspace (or a link to one who left it) and its link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub user: LinearUser,
    /// False for a link whose Linear user is no longer a member at all.
    pub in_workspace: bool,
    pub state: LinkState,
    /// Linked or stale: the linked platform user (unknown if the sub left the pool);
    /// suggested: the platform user with the same email.
    pub platform_user: Option<PlatformUser>,
    pub platform_sub: Option<String>,
    pub linked_at: Option<String>,
    pub link_method: Option<String>,
    /// Why the row is stale or not linkable.
    pub note: Option<String>,
    /// The member's invite (a live one over an expired one, then the newest).
    pub invite: Option<Invite>,
}

/// The pool's users, indexed once per fetch (and cached with it).
#[derive(Debug, Default, Clone)]
pub struct PlatformIndex {
    by_sub: HashMap<String, PlatformUser>,
    /// `None` when two users share an address: no suggestion is safe then.
    by_email: HashMap<String, Option<String>>,
}

impl PlatformIndex {
    pub fn new(users: Vec<PlatformUser>) -> PlatformIndex {
        let mut by_email: HashMap<String, Option<String>> = HashMap::new();
        for u in &users {
            if let Some(e) = u.email.as_deref().and_then(normalize_email) {
                by_email.entry(e).and_modify(|v| *v = None).or_insert_with(|| Some(u.sub.clone()));
            }
        }
        PlatformIndex { by_sub: users.into_iter().map(|u| (u.sub.clone(), u)).collect(), by_email }
    }

    /// Adds a user found after the index was built (a sub the cached pool did not have yet).
    pub fn insert(&mut self, user: PlatformUser) {
        if let Some(e) = user.email.as_deref().and_then(normalize_email) {
            self.by_email.entry(e).and_modify(|v| *v = None).or_insert_with(|| Some(user.sub.clone()));
        }
        self.by_sub.insert(user.sub.clone(), user);
    }

    pub fn get(&self, sub: &str) -> Option<&PlatformUser> {
        self.by_sub.get(sub)
    }

    /// The one enabled pool user with this email, if exactly one has it.
    pub fn by_email(&self, email: &str) -> Option<&PlatformUser> {
        let sub = self.by_email.get(&normalize_email(email)?)?.as_deref()?;
        self.by_sub.get(sub).filter(|u| u.enabled)
    }

    /// Every pool user with this email (disabled ones too), by the same comparison as suggestions.
    pub fn with_email(&self, email: &str) -> Vec<&PlatformUser> {
        let Some(e) = normalize_email(email) else { return Vec::new() };
        self.by_sub.values().filter(|u| u.email.as_deref().and_then(normalize_email).as_deref() == Some(e.as_str())).collect()
    }

    pub fn len(&self) -> usize {
        self.by_sub.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_sub.is_empty()
    }
}

/// Every Linear user of the workspace (in Linear's order), then links to users no longer in it.
pub fn rows(linear: &[LinearUser], links: &[Link], invites: &[Invite], platform: &PlatformIndex, now: i64) -> Vec<MemberRow> {
    let links_by_user: HashMap<&str, &Link> = links.iter().map(|l| (l.key.user_id.as_str(), l)).collect();
    // Per Linear user, a live invite over an expired one, then the newest.
    let mut invites_by_user: HashMap<&str, &Invite> = HashMap::new();
    let rank = |i: &Invite| (!i.expired(now), i.invited_at.clone());
    for i in invites {
        if let Some(user) = i.user_id.as_deref() {
            let newer = invites_by_user.get(user).is_none_or(|old| rank(old) < rank(i));
            if newer {
                invites_by_user.insert(user, i);
            }
        }
    }
    let mut out: Vec<MemberRow> = linear
        .iter()
        .map(|u| {
            let link = links_by_user.get(u.id.as_str()).copied();
            let invite = invites_by_user.get(u.id.as_str()).map(|i| (*i).clone());
            row(u.clone(), true, link, invite, platform, now)
        })
        .collect();
    let members: std::collections::HashSet<&str> = linear.iter().map(|u| u.id.as_str()).collect();
    for link in links.iter().filter(|l| !members.contains(l.key.user_id.as_str())) {
        let gone = LinearUser {
            id: link.key.user_id.to_string(),
            name: "(not a member of the Linear workspace)".into(),
            email: None,
            display_name: None,
            active: false,
            admin: false,
            guest: false,
            app: false,
        };
        out.push(row(gone, false, Some(link), None, platform, now));
    }
    out
}

fn row(user: LinearUser, in_workspace: bool, link: Option<&Link>, invite: Option<Invite>, platform: &PlatformIndex, now: i64) -> MemberRow {
    let mut r = MemberRow {
        in_workspace,
        state: LinkState::Unlinked,
        platform_user: None,
        platform_sub: None,
        linked_at: None,
        link_method: None,
        note: None,
        invite: None,
        user,
    };
    if let Some(link) = link {
        let who = platform.get(link.platform_user_id.as_str()).cloned();
        r.note = match (&who, r.in_workspace, r.user.active) {
            (_, false, _) => Some("the Linear user is no longer in the workspace".into()),
            (_, true, false) => Some("the Linear user is disabled".into()),
            (None, ..) => Some("the platform user no longer exists".into()),
            (Some(p), ..) if !p.enabled => Some("the platform user is disabled".into()),
            _ => None,
        };
        r.state = if r.note.is_some() { LinkState::Stale } else { LinkState::Linked };
        r.platform_user = who;
        r.platform_sub = Some(link.platform_user_id.to_string());
        r.linked_at = link.linked_at.clone();
        r.link_method = link.link_method.clone();
        return r;
    }
    if r.user.guest || r.user.app {
        r.state = LinkState::NotLinkable;
        r.note = Some(if r.user.app { "an app's bot user" } else { "a guest" }.into());
        return r;
    }
    if let Some(invite) = invite {
        r.state = if invite.expired(now) { LinkState::InviteExpired } else { LinkState::Invited };
        r.invite = Some(invite);
        if r.state == LinkState::Invited {
            return r;
        }
    }
    if !r.user.active {
        r.note = Some("disabled in Linear".into());
        return r;
    }
    if let Some(p) = r.user.email.as_deref().and_then(|e| platform.by_email(e)) {
        if r.state == LinkState::Unlinked {
            r.state = LinkState::Suggested;
        }
        r.platform_user = Some(p.clone());
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{InviteCode, LinearUserId, LinkKey, OrgId};

    const ORG: &str = "org-1";
    const NOW: i64 = 1_800_000_000;

    fn lu(id: &str, email: &str) -> LinearUser {
        LinearUser {
            id: id.into(),
            name: id.to_uppercase(),
            email: Some(email.into()),
            display_name: None,
            active: true,
            admin: false,
            guest: false,
            app: false,
        }
    }

    fn pu(sub: &str, email: &str, enabled: bool) -> PlatformUser {
        PlatformUser { sub: sub.into(), email: Some(email.into()), enabled, status: "CONFIRMED".into() }
    }

    fn link(user: &str, sub: &str) -> Link {
        Link {
            key: LinkKey::new(OrgId::parse(ORG).unwrap(), LinearUserId::parse(user).unwrap()),
            platform_user_id: crate::ids::PlatformUserId::parse(sub).unwrap(),
            linked_at: None,
            link_method: None,
            status: None,
            linked_by: None,
        }
    }

    fn invite(user: &str, ttl: i64) -> Invite {
        Invite {
            code: InviteCode::parse("link-abcdefgh").unwrap(),
            org_id: Some(ORG.into()),
            org_slug: None,
            user_id: Some(user.into()),
            user_name: None,
            user_email: None,
            invited_at: Some("2026-11-23T00:00:00Z".into()),
            invited_by: None,
            ttl: Some(ttl),
        }
    }

    fn state_of(rows: &[MemberRow], id: &str) -> LinkState {
        rows.iter().find(|r| r.user.id == id).unwrap().state
    }

    #[test]
    fn every_state_from_its_inputs() {
        let mut disabled = lu("disabled", "d@x.example");
        disabled.active = false;
        let mut guest = lu("guest", "g@x.example");
        guest.guest = true;
        let mut bot = lu("bot", "bot@oauthapp.linear.app");
        bot.app = true;
        let mut disabled_linked = lu("disabled-linked", "dl@x.example");
        disabled_linked.active = false;
        let linear = vec![
            lu("linked", "a@x.example"),
            lu("suggested", "  Bea@X.Example "),
            lu("unlinked", "nobody@x.example"),
            lu("sub-gone", "c@x.example"),
            lu("sub-disabled", "e@x.example"),
            disabled_linked,
            lu("invited", "f@x.example"),
            lu("invite-expired", "h@x.example"),
            lu("expired-but-suggested", "bea2@x.example"),
            disabled,
            guest,
            bot,
            lu("twin", "twin@x.example"),
            lu("match-disabled", "off@x.example"),
        ];
        let platform = PlatformIndex::new(vec![
            pu("s-a", "a@x.example", true),
            pu("s-b", "bea@x.example", true),
            pu("s-b2", "bea2@x.example", true),
            pu("s-e", "e@x.example", false),
            pu("s-dl", "dl@x.example", true),
            pu("s-t1", "twin@x.example", true),
            pu("s-t2", "TWIN@x.example", true),
            pu("s-off", "off@x.example", false),
            pu("s-g", "g@x.example", true),
            pu("s-d", "d@x.example", true),
        ]);
        let links = vec![
            link("linked", "s-a"),
            link("sub-gone", "s-deleted"),
            link("sub-disabled", "s-e"),
            link("disabled-linked", "s-dl"),
            link("left", "s-a"),
        ];
        let invites = vec![invite("invited", NOW + 10), invite("invite-expired", NOW - 1), invite("expired-but-suggested", NOW)];
        let rows = rows(&linear, &links, &invites, &platform, NOW);
        let expect = [
            ("linked", LinkState::Linked),
            ("suggested", LinkState::Suggested),
            ("unlinked", LinkState::Unlinked),
            ("sub-gone", LinkState::Stale),
            ("sub-disabled", LinkState::Stale),
            ("disabled-linked", LinkState::Stale),
            ("invited", LinkState::Invited),
            ("invite-expired", LinkState::InviteExpired),
            ("expired-but-suggested", LinkState::InviteExpired),
            ("disabled", LinkState::Unlinked),
            ("guest", LinkState::NotLinkable),
            ("bot", LinkState::NotLinkable),
            ("twin", LinkState::Unlinked),
            ("match-disabled", LinkState::Unlinked),
            ("left", LinkState::Stale),
        ];
        for (id, state) in expect {
            assert_eq!(state_of(&rows, id), state, "{id}");
        }
        assert_eq!(rows.len(), linear.len() + 1, "the link to a departed member is listed too");
        let by = |id: &str| rows.iter().find(|r| r.user.id == id).unwrap();
        assert_eq!(by("suggested").platform_user.as_ref().unwrap().sub, "s-b", "emails match case- and space-insensitively");
        assert_eq!(by("expired-but-suggested").platform_user.as_ref().unwrap().sub, "s-b2", "an expired invite still offers the match");
        assert_eq!(by("sub-gone").note.as_deref(), Some("the platform user no longer exists"));
        assert_eq!(by("sub-gone").platform_sub.as_deref(), Some("s-deleted"));
        assert!(!by("left").in_workspace);
        assert!(by("disabled").platform_user.is_none(), "a disabled Linear user is not suggested");
    }

    #[test]
    fn a_live_invite_wins_over_a_newer_expired_one() {
        let mut old = invite("u", NOW + 100);
        old.invited_at = Some("2026-11-01T00:00:00Z".into());
        let new = invite("u", NOW - 5);
        let rows = rows(&[lu("u", "u@x.example")], &[], &[new.clone(), old], &PlatformIndex::default(), NOW);
        assert_eq!(rows[0].state, LinkState::Invited);
        let rows = super::rows(&[lu("u", "u@x.example")], &[], &[new], &PlatformIndex::default(), NOW);
        assert_eq!(rows[0].state, LinkState::InviteExpired);
    }
}
