//! Install and reconnect links for a Linear admin: an admin of the console makes one, a workspace
//! admin on Linear's side (who needs no console account) opens it and consents. The link's token
//! is shown once; only its SHA-256 is stored, as the link's id, with who made it, for what, until
//! when, and what became of it.
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::codes;
use crate::ids::{OrgId, UrlKey};

/// The longest a link lives, and the shortest, in hours; the default.
pub const MAX_HOURS: u32 = 7 * 24;
pub const MIN_HOURS: u32 = 1;
pub const DEFAULT_HOURS: u32 = 24;
/// The most a note for the person may hold, in characters.
pub const NOTE_MAX: usize = 500;

/// The token in a link's URL: a credential, never logged, never stored.
#[derive(Clone)]
pub struct LinkToken(SecretString);

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkToken(…)")
    }
}

impl LinkToken {
    pub fn new(value: SecretString) -> LinkToken {
        LinkToken(value)
    }

    /// The token as a URL holds it, if it has the shape the console makes (64 hex characters);
    /// anything else is no link's.
    pub fn parse(raw: &str) -> Option<LinkToken> {
        (raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
            .then(|| LinkToken(SecretString::from(raw.to_owned())))
    }

    /// The stored id: the token's SHA-256, in hex.
    pub fn id(&self) -> String {
        Sha256::digest(self.0.expose_secret().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Its last 4 characters, for people to tell links apart.
    pub fn tail(&self) -> String {
        let t = self.0.expose_secret();
        t[t.len().saturating_sub(4)..].to_owned()
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// What a link is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// A workspace not yet in the registry (or any workspace: one already there is reconnected).
    Install,
    /// This workspace, whose grant needs a Linear admin's consent again.
    Reconnect(OrgId),
}

/// The Linear workspace the consent must be for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    Org(OrgId),
    UrlKey(UrlKey),
}

impl Bound {
    /// Whether the organization Linear authorized is this one.
    pub fn matches(&self, org: &OrgId, url_key: &str) -> bool {
        match self {
            Bound::Org(o) => o == org,
            Bound::UrlKey(k) => k.as_str().eq_ignore_ascii_case(url_key),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Bound::Org(o) => format!("organization {o}"),
            Bound::UrlKey(k) => format!("linear.app/{k}"),
        }
    }

    /// As the public page names it: a url key, never an internal id.
    pub fn public_words(&self) -> String {
        match self {
            Bound::Org(_) => "the one Linear workspace the console admin chose".to_owned(),
            Bound::UrlKey(k) => format!("linear.app/{k}"),
        }
    }
}

/// What became of a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkUse {
    Waiting,
    /// Consumed by a consent: when, for which organization, and who said they were.
    Used {
        at: i64,
        org_id: String,
        slug: Option<String>,
        stated_by: Option<String>,
    },
    Revoked {
        at: i64,
        by: String,
    },
}

codes! {
    /// A link's state as a page shows it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum LinkStatus {
        Waiting = "waiting",
        Used = "used",
        Expired = "expired",
        Revoked = "revoked",
    }
}

/// One link as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallLink {
    /// The token's SHA-256 (hex).
    pub id: String,
    pub tail: String,
    pub created_by_sub: String,
    pub created_by_email: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub purpose: Purpose,
    /// A reconnect's workspace url key, as the registry had it when the link was made.
    pub slug: Option<String>,
    pub bound: Option<Bound>,
    pub note: Option<String>,
    pub state: LinkUse,
}

impl InstallLink {
    pub fn status(&self, now: i64) -> LinkStatus {
        match self.state {
            LinkUse::Used { .. } => LinkStatus::Used,
            LinkUse::Revoked { .. } => LinkStatus::Revoked,
            LinkUse::Waiting if now >= self.expires_at => LinkStatus::Expired,
            LinkUse::Waiting => LinkStatus::Waiting,
        }
    }

    /// The workspace the consent must be for, if the link says: a reconnect's, else the bound one.
    pub fn must_be(&self) -> Option<Bound> {
        match &self.purpose {
            Purpose::Reconnect(org) => Some(Bound::Org(org.clone())),
            Purpose::Install => self.bound.clone(),
        }
    }
}

/// A note for the person as an admin typed it: trimmed, bounded, no control characters but line
/// breaks. Empty: none.
pub fn note(raw: &str) -> Result<Option<String>, String> {
    let n = raw.trim();
    if n.chars().count() > NOTE_MAX {
        return Err(format!("note is too long (at most {NOTE_MAX} characters)."));
    }
    if n.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err("note must not contain control characters.".into());
    }
    Ok((!n.is_empty()).then(|| n.replace("\r\n", "\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_stored_only_as_its_hash_and_shows_only_its_tail() {
        let t = LinkToken::parse(&"ab".repeat(32)).unwrap();
        assert_eq!(t.id().len(), 64);
        assert_ne!(t.id(), t.expose(), "the id is not the token");
        assert_eq!(t.tail(), "abab");
        assert_eq!(format!("{t:?}"), "LinkToken(…)");
        for bad in ["", "short", &"AB".repeat(32), &"zz".repeat(32), &"ab".repeat(33)] {
            assert!(LinkToken::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_links_status_follows_its_use_and_its_expiry() {
        let link = InstallLink {
            id: "id".into(),
            tail: "abcd".into(),
            created_by_sub: "sub".into(),
            created_by_email: "a@example.com".into(),
            created_at: 0,
            expires_at: 100,
            purpose: Purpose::Install,
            slug: None,
            bound: Some(Bound::UrlKey(UrlKey::parse("acme-eng").unwrap())),
            note: None,
            state: LinkUse::Waiting,
        };
        assert_eq!((link.status(99), link.status(100)), (LinkStatus::Waiting, LinkStatus::Expired));
        let used = InstallLink { state: LinkUse::Used { at: 5, org_id: "o".into(), slug: None, stated_by: None }, ..link.clone() };
        assert_eq!(used.status(1_000), LinkStatus::Used);
        let bound = link.must_be().unwrap();
        assert!(bound.matches(&OrgId::parse("x").unwrap(), "ACME-eng") && !bound.matches(&OrgId::parse("x").unwrap(), "acme"));
        let reconnect = InstallLink { purpose: Purpose::Reconnect(OrgId::parse("org-1").unwrap()), ..link };
        assert_eq!(reconnect.must_be(), Some(Bound::Org(OrgId::parse("org-1").unwrap())), "a reconnect is bound to its workspace");
    }

    #[test]
    fn a_note_is_trimmed_bounded_and_plain() {
        assert_eq!(note("  hi  "), Ok(Some("hi".into())));
        assert_eq!(note(" "), Ok(None));
        assert!(note(&"x".repeat(501)).is_err());
        assert!(note("a\u{1b}[31m").is_err());
        assert_eq!(note("a\r\nb"), Ok(Some("a\nb".into())));
    }
}
