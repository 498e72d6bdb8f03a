//! Typed ids, parsed once: at the edge (a form, a URL) or when a record is read. A value of one of
//! these types has the shape its name promises, so nothing downstream checks it again, and one kind
//! of id cannot be passed where another is expected.
use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not an id of its kind. The words follow the field's name ("org_id is required.").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("is required.")]
    Empty,
    #[error("is too long (at most {0} characters).")]
    TooLong(usize),
    #[error("must be {0}.")]
    Shape(&'static str),
}

impl IdError {
    /// The refusal as a person reads it, naming the field.
    pub fn about(&self, field: &str) -> String {
        format!("{field} {self}")
    }
}

fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Checks `raw` against a length (in characters) and a character set.
fn shaped(raw: &str, max: usize, ok: impl Fn(char) -> bool, what: &'static str) -> Result<(), IdError> {
    if raw.is_empty() {
        return Err(IdError::Empty);
    }
    if raw.chars().count() > max {
        return Err(IdError::TooLong(max));
    }
    if !raw.chars().all(ok) {
        return Err(IdError::Shape(what));
    }
    Ok(())
}

/// Declares a string id: its rule, `parse`, `as_str`, `Display`, and serde as a plain string that
/// is parsed again when read.
macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident, |$raw:ident| $check:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse($raw: &str) -> Result<$name, IdError> {
                $check?;
                Ok($name($raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(raw: String) -> Result<$name, IdError> {
                $name::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(raw: &str) -> Result<$name, IdError> {
                $name::parse(raw)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

const AN_ID: &str = "an id of letters, digits and dashes";

string_id! {
    /// A Linear organization's id (a UUID at Linear; any id of letters, digits, `-` and `_` reads):
    /// the registry's key and the first half of a link's.
    OrgId, |raw| shaped(raw, 64, id_char, AN_ID)
}

string_id! {
    /// A Linear user's id: the second half of a link's key.
    LinearUserId, |raw| shaped(raw, 128, id_char, AN_ID)
}

string_id! {
    /// A platform user: the Cognito `sub` of the platform's user pool.
    PlatformUserId, |raw| shaped(raw, 128, id_char, AN_ID)
}

string_id! {
    /// A Linear project's id (a UUID at Linear): the project-mapping table's key, which the
    /// platform's webhook processor reads a project's repository by.
    ProjectId, |raw| shaped(raw, 64, id_char, AN_ID)
}

string_id! {
    /// A workspace's url key (Linear's `urlKey`) as the platform accepts it for a workspace slug:
    /// `^[a-zA-Z0-9_-]{4,50}$`. It names the token bundle's secret, so nothing else may reach a
    /// secret name.
    UrlKey, |raw| {
        let ok = (4..=50).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok { Ok(()) } else { Err(IdError::Shape("4 to 50 letters, digits, '-' or '_'")) }
    }
}

/// The prefix the platform's IAM policies allow for token bundles: `bgagent-linear-oauth-*`.
pub const SECRET_PREFIX: &str = "bgagent-linear-oauth-";

impl UrlKey {
    /// `bgagent-linear-oauth-<slug>`: the name of this workspace's token bundle.
    pub fn secret_name(&self) -> String {
        format!("{SECRET_PREFIX}{}", self.0)
    }
}

/// The invite code alphabet of the platform (no 0/1/i/l/o).
pub const CODE_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

string_id! {
    /// An invite code: `link-` and 8 characters of the platform's alphabet.
    InviteCode, |raw| {
        let ok = raw.strip_prefix("link-").is_some_and(|t| t.len() == 8 && t.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        if raw.is_empty() { Err(IdError::Empty) } else if ok { Ok(()) } else { Err(IdError::Shape("an invite code")) }
    }
}

impl InviteCode {
    /// The code made of 8 characters picked by `pick` (each an index into the alphabet, taken
    /// modulo its length), for an id generator.
    pub fn from_picks(mut pick: impl FnMut() -> usize) -> InviteCode {
        let tail: String = (0..8).map(|_| CODE_ALPHABET[pick() % CODE_ALPHABET.len()] as char).collect();
        InviteCode(format!("link-{tail}"))
    }

    /// The row's key: `pending#<code>`.
    pub fn key(&self) -> String {
        format!("pending#{}", self.0)
    }
}

string_id! {
    /// The id of one request, as the edge gives it (a UUID in its hyphenated form): quoted by a
    /// user, kept in audit events. A client's own id is kept only in this shape.
    RequestId, |raw| {
        let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        let parts: Vec<&str> = raw.split('-').collect();
        let ok = parts.len() == 5 && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| hex(p, *n));
        if raw.is_empty() { Err(IdError::Empty) } else if ok { Ok(()) } else { Err(IdError::Shape("a request id")) }
    }
}

/// `<org id>#<linear user id>`: the key the platform's webhook processor reads a link by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkKey {
    pub org_id: OrgId,
    pub user_id: LinearUserId,
}

impl LinkKey {
    pub fn new(org_id: OrgId, user_id: LinearUserId) -> LinkKey {
        LinkKey { org_id, user_id }
    }

    /// `<org id>#<user id>` (not `pending#…`, which is an invite's).
    pub fn parse(key: &str) -> Result<LinkKey, IdError> {
        let (org, user) = key.split_once('#').ok_or(IdError::Shape(A_KEY))?;
        if org == "pending" {
            return Err(IdError::Shape(A_KEY));
        }
        let bad = |_| IdError::Shape(A_KEY);
        Ok(LinkKey { org_id: OrgId::parse(org).map_err(bad)?, user_id: LinearUserId::parse(user).map_err(bad)? })
    }

    pub fn as_key(&self) -> String {
        format!("{}#{}", self.org_id, self.user_id)
    }
}

const A_KEY: &str = "a link's key";

/// A user-mapping row's key, as `/users` names a row to unlink: a link's or an invite's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MappingKey {
    Link(LinkKey),
    Invite(InviteCode),
}

impl MappingKey {
    pub fn parse(raw: &str) -> Result<MappingKey, IdError> {
        if raw.is_empty() {
            return Err(IdError::Empty);
        }
        if raw.chars().count() > 200 {
            return Err(IdError::TooLong(200));
        }
        if let Some(code) = raw.strip_prefix("pending#") {
            return InviteCode::parse(code).map(MappingKey::Invite).map_err(|_| IdError::Shape(A_KEY));
        }
        LinkKey::parse(raw).map(MappingKey::Link)
    }

    pub fn as_key(&self) -> String {
        match self {
            MappingKey::Link(k) => k.as_key(),
            MappingKey::Invite(c) => c.key(),
        }
    }
}

impl std::str::FromStr for MappingKey {
    type Err = IdError;
    fn from_str(raw: &str) -> Result<MappingKey, IdError> {
        MappingKey::parse(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_are_bounded_and_plain() {
        assert!(OrgId::parse("9cfb4d1e-5b7a-4d25-9a3b-2f0c8e6d1a01").is_ok());
        assert_eq!(OrgId::parse("").unwrap_err().about("workspace"), "workspace is required.");
        assert!(OrgId::parse(&"a".repeat(65)).unwrap_err().about("org_id").contains("too long"));
        for bad in ["../etc", "a b", "x\0", "a#b", "é", "<script>"] {
            assert!(OrgId::parse(bad).unwrap_err().about("workspace").starts_with("workspace must be"), "{bad:?}");
        }
        assert!(LinearUserId::parse(&"u".repeat(128)).is_ok() && LinearUserId::parse(&"u".repeat(129)).is_err());
    }

    #[test]
    fn url_keys_follow_the_platform_regex_and_name_their_bundle() {
        for ok in ["acme", "acme-eng", "ACME_eng-2", &"a".repeat(50)] {
            assert!(UrlKey::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "abc", "acme.eng", "acme eng", "acmé-eng", "../../x", &"a".repeat(51), "acme/eng"] {
            assert!(UrlKey::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(UrlKey::parse("acme-eng").unwrap().secret_name(), "bgagent-linear-oauth-acme-eng");
    }

    #[test]
    fn codes_outside_the_alphabet_are_refused() {
        assert!(InviteCode::parse("link-k7mp2x9q").is_ok());
        for bad in
            ["link-k7mp2x9", "link-k7mp2x9qq", "link-K7MP2X9Q", "link-k7mp2x0q", "link-k7mp2xlq", "k7mp2x9q", "pending#link-k7mp2x9q"]
        {
            assert!(InviteCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_ids_are_uuids() {
        assert!(RequestId::parse("5f0c7a52-8a3b-4c1e-9d55-0a9e3f1b2c4d").is_ok());
        for bad in ["", "<script>alert(1)</script>", "5f0c7a52-8a3b-4c1e-9d55-0a9e3f1b2c4", "5f0c7a528a3b4c1e9d550a9e3f1b2c4d"] {
            assert!(RequestId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mapping_keys_are_links_or_invites() {
        assert!(matches!(MappingKey::parse("4f6b3c1e-2a7d#c1d2e3f4"), Ok(MappingKey::Link(_))));
        assert!(matches!(MappingKey::parse("pending#link-k7mp2x9q"), Ok(MappingKey::Invite(_))));
        for bad in ["a b", "pending#nope", "nohash", "", "a#b#c"] {
            assert!(MappingKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_travel_as_plain_strings_and_are_parsed_again_when_read() {
        let id = OrgId::parse("org-1").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"org-1\"");
        assert_eq!(serde_json::from_str::<OrgId>("\"org-1\"").unwrap(), id);
        assert!(serde_json::from_str::<OrgId>("\"a b\"").is_err());
    }

    proptest! {
        #[test]
        fn a_key_built_from_valid_ids_parses_back(org in "[a-zA-Z0-9-]{1,64}", user in "[a-zA-Z0-9-]{1,64}") {
            prop_assume!(org != "pending");
            let key = LinkKey::new(OrgId::parse(&org).unwrap(), LinearUserId::parse(&user).unwrap());
            prop_assert_eq!(LinkKey::parse(&key.as_key()), Ok(key));
        }

        #[test]
        fn a_key_never_parses_with_a_separator_or_space_inside_an_id(org in "[a-z0-9-]{1,10}", user in "[a-z0-9-]{0,5}[# .@][a-z0-9#-]{0,5}") {
            let key = format!("{org}#{user}");
            prop_assert!(LinkKey::parse(&key).is_err());
        }

        #[test]
        fn anything_without_a_separator_is_not_a_key(s in "[^#]{0,80}") {
            prop_assert!(LinkKey::parse(&s).is_err());
        }

        #[test]
        fn codes_made_from_any_picks_follow_the_platforms_rules(picks in proptest::collection::vec(any::<usize>(), 8)) {
            let mut it = picks.into_iter();
            let code = InviteCode::from_picks(|| it.next().unwrap_or(0));
            prop_assert_eq!(InviteCode::parse(code.as_str()), Ok(code.clone()));
            prop_assert!(code.key().starts_with("pending#link-"));
        }
    }
}
