//! The user-mapping table's records (contract §2): link rows keyed `<org id>#<linear user id>`,
//! pending invites keyed `pending#link-xxxxxxxx`, and the email rule used to suggest links. Pure:
//! the DynamoDB adapter reads rows into these types and writes them back.
use crate::ids::PlatformUserId;
pub use crate::ids::{InviteCode, LinkKey, CODE_ALPHABET};

/// Invites live 24 hours (the row's `ttl`).
pub const INVITE_SECONDS: i64 = 24 * 3600;
/// The `link_method` of links this console writes (the platform does not branch on it).
pub const LINK_METHOD: &str = "admin_dashboard";

/// Emails compared for suggestions: surrounding space trimmed, case folded. Nothing else
/// (no dot or plus rules): a suggestion is only offered when the addresses are the same.
pub fn normalize_email(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    (!local.is_empty() && !domain.is_empty() && !domain.contains('@') && !e.contains(char::is_whitespace)).then_some(e)
}

/// A link row as written by anyone (CLI, platform OAuth, a legacy `put-item`, this console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub key: LinkKey,
    pub platform_user_id: PlatformUserId,
    pub linked_at: Option<String>,
    pub link_method: Option<String>,
    /// The row's `status`; the platform accepts any but `pending`.
    pub status: Option<String>,
    /// The admin who linked it through the console (`linked_by_platform_user_id`).
    pub linked_by: Option<String>,
}

impl Link {
    /// The link row the contract describes, with this console's `link_method` and who linked.
    pub fn by_console(key: LinkKey, platform_user_id: &PlatformUserId, linked_at: &str, linked_by: &str) -> Link {
        Link {
            key,
            platform_user_id: platform_user_id.clone(),
            linked_at: Some(linked_at.to_owned()),
            link_method: Some(LINK_METHOD.to_owned()),
            status: Some("active".to_owned()),
            linked_by: Some(linked_by.to_owned()),
        }
    }
}

/// A pending invite row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub code: InviteCode,
    pub org_id: Option<String>,
    pub org_slug: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    pub invited_at: Option<String>,
    pub invited_by: Option<String>,
    /// Epoch seconds; DynamoDB deletes lazily, so a past `ttl` may still be read.
    pub ttl: Option<i64>,
}

impl Invite {
    /// The pending invite (contract §2), `ttl` 24 h after `now`.
    pub fn new(code: InviteCode, who: &InviteFor<'_>, invited_at: &str, invited_by: &str, now: i64) -> Invite {
        Invite {
            code,
            org_id: Some(who.org_id.to_owned()),
            org_slug: Some(who.org_slug.to_owned()),
            user_id: Some(who.user_id.to_owned()),
            user_name: Some(who.user_name.to_owned()),
            user_email: Some(who.user_email.to_owned()),
            invited_at: Some(invited_at.to_owned()),
            invited_by: Some(invited_by.to_owned()),
            ttl: Some(now + INVITE_SECONDS),
        }
    }

    /// Past its `ttl`: the platform would still redeem it (it does not check the `ttl`) while
    /// DynamoDB has not deleted it yet, so the console deletes it.
    pub fn expired(&self, now: i64) -> bool {
        self.ttl.is_some_and(|t| t <= now)
    }
}

/// A user-mapping row, read with the platform's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingRow {
    Link(Link),
    Invite(Invite),
    /// A row the platform would not honour or that this console cannot place (kept, shown nowhere).
    Other(String),
}

impl MappingRow {
    /// The row's key (`linear_identity`).
    pub fn key(&self) -> String {
        match self {
            MappingRow::Link(l) => l.key.as_key(),
            MappingRow::Invite(i) => i.code.key(),
            MappingRow::Other(key) => key.clone(),
        }
    }
}

/// Who the invite is for, as the platform's invite rows name them.
pub struct InviteFor<'a> {
    pub org_id: &'a str,
    pub org_slug: &'a str,
    pub user_id: &'a str,
    pub user_name: &'a str,
    pub user_email: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn normalising_folds_case_and_space_and_is_idempotent(local in "[A-Za-z0-9._+-]{1,20}", domain in "[A-Za-z0-9-]{1,20}\\.[A-Za-z]{2,6}", pad in "[ \t]{0,3}") {
            let raw = format!("{pad}{local}@{domain}{pad}");
            let n = normalize_email(&raw).unwrap();
            prop_assert_eq!(normalize_email(&n), Some(n.clone()));
            prop_assert_eq!(normalize_email(&raw.to_uppercase()), Some(n.clone()));
            prop_assert_eq!(n, format!("{local}@{domain}").to_lowercase());
        }

        #[test]
        fn strings_without_one_at_sign_and_both_parts_are_not_emails(s in "[^@]{0,30}") {
            prop_assert_eq!(normalize_email(&s), None);
        }
    }
}
