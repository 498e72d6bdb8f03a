//! The user-mapping table's records (contract §2): link rows keyed `<org id>#<linear user id>`,
//! pending invites keyed `pending#link-xxxxxxxx`, and the email rule used to suggest links. Pure:
//! the DynamoDB adapter reads rows into these types and writes them back.

/// The invite code alphabet of the platform (no 0/1/i/l/o).
pub const CODE_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Invites live 24 hours (the row's `ttl`).
pub const INVITE_SECONDS: i64 = 24 * 3600;
/// The `link_method` of links this console writes (the platform does not branch on it).
pub const LINK_METHOD: &str = "admin_dashboard";

/// `<org id>#<linear user id>`: the key the platform's webhook processor reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkKey {
    pub org_id: String,
    pub user_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("an identity is `<workspace id>#<user id>`")]
    Malformed,
    #[error("an id may hold letters, digits and dashes only")]
    BadCharacters,
}

/// Linear ids are UUIDs; the platform's keys hold nothing else. Accept what Linear could issue
/// (letters, digits, dashes; 1..=64) so a key can never carry a `#` or a space.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl LinkKey {
    pub fn new(org_id: &str, user_id: &str) -> Result<LinkKey, KeyError> {
        if !valid_id(org_id) || !valid_id(user_id) {
            return Err(KeyError::BadCharacters);
        }
        Ok(LinkKey { org_id: org_id.to_owned(), user_id: user_id.to_owned() })
    }

    pub fn parse(key: &str) -> Result<LinkKey, KeyError> {
        let (org, user) = key.split_once('#').ok_or(KeyError::Malformed)?;
        if org == "pending" {
            return Err(KeyError::Malformed);
        }
        LinkKey::new(org, user)
    }

    pub fn as_key(&self) -> String {
        format!("{}#{}", self.org_id, self.user_id)
    }
}

/// `link-` + 8 characters of the platform's alphabet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InviteCode(String);

impl InviteCode {
    pub fn parse(code: &str) -> Option<InviteCode> {
        let tail = code.strip_prefix("link-")?;
        (tail.len() == 8 && tail.bytes().all(|b| CODE_ALPHABET.contains(&b))).then(|| InviteCode(code.to_owned()))
    }

    pub fn generate(rng: &mut impl rand::Rng) -> InviteCode {
        let tail: String = (0..8).map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char).collect();
        InviteCode(format!("link-{tail}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        format!("pending#{}", self.0)
    }
}

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
    pub platform_user_id: String,
    pub linked_at: Option<String>,
    pub link_method: Option<String>,
    /// The row's `status`; the platform accepts any but `pending`.
    pub status: Option<String>,
    /// The admin who linked it through the console (`linked_by_platform_user_id`).
    pub linked_by: Option<String>,
}

impl Link {
    /// The link row the contract describes, with this console's `link_method` and who linked.
    pub fn by_console(key: LinkKey, platform_user_id: &str, linked_at: &str, linked_by: &str) -> Link {
        Link {
            key,
            platform_user_id: platform_user_id.to_owned(),
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
        fn a_key_built_from_valid_ids_parses_back(org in "[a-zA-Z0-9-]{1,64}", user in "[a-zA-Z0-9-]{1,64}") {
            prop_assume!(org != "pending");
            let key = LinkKey::new(&org, &user).unwrap();
            prop_assert_eq!(LinkKey::parse(&key.as_key()), Ok(key));
        }

        #[test]
        fn a_key_never_parses_with_a_separator_or_space_inside_an_id(org in "[a-z0-9-]{1,10}", user in "[a-z0-9-]{0,5}[# .@][a-z0-9#-]{0,5}") {
            let key = format!("{org}#{user}");
            prop_assert!(LinkKey::parse(&key).is_err());
        }

        #[test]
        fn anything_without_a_separator_is_malformed(s in "[^#]{0,80}") {
            prop_assert_eq!(LinkKey::parse(&s), Err(KeyError::Malformed));
        }

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

        #[test]
        fn generated_codes_follow_the_platforms_rules(seed in any::<u64>()) {
            use rand::SeedableRng;
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let code = InviteCode::generate(&mut rng);
            prop_assert_eq!(InviteCode::parse(code.as_str()), Some(code.clone()));
            prop_assert!(code.key().starts_with("pending#link-"));
        }
    }

    #[test]
    fn codes_outside_the_alphabet_are_refused() {
        assert!(InviteCode::parse("link-k7mp2x9q").is_some());
        for bad in
            ["link-k7mp2x9", "link-k7mp2x9qq", "link-K7MP2X9Q", "link-k7mp2x0q", "link-k7mp2xlq", "k7mp2x9q", "pending#link-k7mp2x9q"]
        {
            assert!(InviteCode::parse(bad).is_none(), "{bad}");
        }
    }
}
