//! A workspace slug (Linear's `urlKey`) as the platform accepts it: `^[a-zA-Z0-9_-]{4,50}$`.
//! It names the token bundle secret, so nothing else may reach a secret name.
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkspaceSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("workspace slug must be 4 to 50 letters, digits, '-' or '_'")]
pub struct InvalidSlug;

/// The prefix the platform's IAM policies allow: `bgagent-linear-oauth-*`.
pub const SECRET_PREFIX: &str = "bgagent-linear-oauth-";

impl WorkspaceSlug {
    pub fn parse(raw: &str) -> Result<WorkspaceSlug, InvalidSlug> {
        let ok = (4..=50).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(WorkspaceSlug(raw.to_owned()))
        } else {
            Err(InvalidSlug)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `bgagent-linear-oauth-<slug>`: the name of this workspace's token bundle.
    pub fn secret_name(&self) -> String {
        format!("{SECRET_PREFIX}{}", self.0)
    }
}

impl fmt::Display for WorkspaceSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_platform_regex() {
        for ok in ["acme", "acme-eng", "ACME_eng-2", &"a".repeat(50)] {
            assert!(WorkspaceSlug::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "abc", "acme.eng", "acme eng", "acmé-eng", "../../x", &"a".repeat(51), "acme/eng"] {
            assert_eq!(WorkspaceSlug::parse(bad), Err(InvalidSlug), "{bad}");
        }
    }

    #[test]
    fn the_secret_name_is_under_the_platforms_prefix() {
        assert_eq!(WorkspaceSlug::parse("acme-eng").unwrap().secret_name(), "bgagent-linear-oauth-acme-eng");
    }
}
