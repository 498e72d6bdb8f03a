//! One row of the workspace registry (contract §1): the platform's reading of rows anyone
//! wrote, and the row the console writes when a workspace is installed or reconnected.
use std::collections::HashMap;

use app::wire::{RegistryState, WorkspaceSummary};
use aws_sdk_dynamodb::types::AttributeValue;

use super::parse_iso;
use super::slug::WorkspaceSlug;
use crate::health::{CheckResult, Facts};

pub type Item = HashMap<String, AttributeValue>;

/// A string attribute, `None` when absent, not a string, or empty.
pub fn s(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).filter(|v| !v.is_empty()).cloned()
}

/// The platform's reading: no slug or no secret ARN is "not registered"; any status but
/// `active` is revoked (it fails closed).
pub fn summarize(item: &Item) -> Option<WorkspaceSummary> {
    let org_id = s(item, "linear_workspace_id")?;
    let slug = s(item, "workspace_slug");
    let raw_status = s(item, "status");
    let state = if slug.is_none() || s(item, "oauth_secret_arn").is_none() {
        RegistryState::NotRegistered
    } else if raw_status.as_deref() == Some("active") {
        RegistryState::Active
    } else {
        RegistryState::Revoked
    };
    let team_keys = item
        .get("team_keys")
        .and_then(|v| v.as_l().ok())
        .map(|l| l.iter().filter_map(|k| k.as_s().ok().cloned()).collect())
        .unwrap_or_default();
    let facts = facts(item, state);
    Some(WorkspaceSummary {
        org_id,
        slug,
        name: s(item, "workspace_name"),
        state,
        raw_status,
        installed_at: s(item, "installed_at"),
        team_keys,
        health: crate::health::health(time::OffsetDateTime::now_utc(), &facts),
        token_expires_at: s(item, "token_expires_at"),
        last_check_at: s(item, "last_check_at"),
        last_check_result: s(item, "last_check_result"),
        last_refresh_at: s(item, "last_refresh_at"),
        last_refresh_error: s(item, "last_refresh_error"),
        installed_by: s(item, "installed_by_platform_user_id"),
        installed_by_email: None,
    })
}

/// The health inputs a row carries (the console's bookkeeping attributes). The bundle is
/// assumed to hold tokens; a caller that has read it corrects `bundle_has_tokens`/`expires_at`.
pub fn facts(item: &Item, state: RegistryState) -> Facts {
    let time = |k: &str| s(item, k).and_then(|v| parse_iso(&v));
    let vault_managed = s(item, "provider_name").is_some();
    Facts {
        state: Some(state),
        vault_managed,
        bundle_has_tokens: Some(true),
        expires_at: time("token_expires_at"),
        last_check: time("last_check_at").zip(s(item, "last_check_result").and_then(|r| CheckResult::parse(&r))),
        last_refresh: time("last_refresh_at").map(|at| (at, s(item, "last_refresh_error"))),
    }
}

/// What an install or reconnect writes. The platform's fields are the CLI's; `workspace_name`
/// is the console's own bookkeeping (the platform ignores attributes it does not know).
#[derive(Debug, Clone)]
pub struct InstallRecord {
    pub org_id: String,
    pub slug: WorkspaceSlug,
    pub name: String,
    pub secret_arn: String,
    pub installed_by: String,
    /// Rewritten on every authorization: the platform's "installation identity".
    pub installed_at: String,
    pub team_keys: Vec<String>,
    /// The new access token's expiry (the console's `token_expires_at`).
    pub token_expires_at: String,
}

/// What the row looked like when the console read it, so a concurrent writer is noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Absent,
    InstalledAt(Option<String>),
}

/// An UpdateItem for DynamoDB: expression, names and values.
#[derive(Debug, Clone)]
pub struct Update {
    pub update: String,
    pub condition: String,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

/// Revocation attributes a (re)authorization clears: the three the platform REMOVEs when it
/// clears a revocation, plus who revoked it (an active row with a revoker would mislead).
pub const REVOCATION_ATTRIBUTES: [&str; 4] =
    ["revoked_at", "revoked_reason", "revocation_announced_at", "revoked_by_platform_user_id"];
/// Left by a failed secret deletion; cleared only when the new bundle is that same secret.
pub const ORPHAN_ATTRIBUTES: [&str; 3] = ["secret_deletion_failed", "secret_deletion_error", "orphaned_oauth_secret_arn"];

impl InstallRecord {
    /// SET the install fields and `status = active`, REMOVE the revocation attributes,
    /// on condition that the row is still what was read.
    pub fn update(&self, expect: &Expect, previous: Option<&Item>) -> Update {
        let mut values = HashMap::from([
            (":slug".to_owned(), AttributeValue::S(self.slug.as_str().to_owned())),
            (":arn".to_owned(), AttributeValue::S(self.secret_arn.clone())),
            (":by".to_owned(), AttributeValue::S(self.installed_by.clone())),
            (":at".to_owned(), AttributeValue::S(self.installed_at.clone())),
            (":active".to_owned(), AttributeValue::S("active".to_owned())),
            (":name".to_owned(), AttributeValue::S(self.name.clone())),
            (":exp".to_owned(), AttributeValue::S(self.token_expires_at.clone())),
            (
                ":keys".to_owned(),
                AttributeValue::L(self.team_keys.iter().map(|k| AttributeValue::S(k.to_uppercase())).collect()),
            ),
        ]);
        let mut names = HashMap::from([("#status".to_owned(), "status".to_owned())]);
        let mut remove: Vec<&str> = REVOCATION_ATTRIBUTES.to_vec();
        // A new grant: what earlier checks and refreshes found no longer applies.
        remove.extend(["last_check_at", "last_check_result", "last_refresh_error"]);
        let orphan_is_this_secret =
            previous.and_then(|p| s(p, "orphaned_oauth_secret_arn")).is_some_and(|a| a == self.secret_arn);
        if orphan_is_this_secret {
            remove.extend(ORPHAN_ATTRIBUTES);
        }
        let condition = match expect {
            Expect::Absent => "attribute_not_exists(linear_workspace_id)".to_owned(),
            Expect::InstalledAt(None) => "attribute_exists(linear_workspace_id) AND attribute_not_exists(installed_at)".to_owned(),
            Expect::InstalledAt(Some(at)) => {
                values.insert(":prev".to_owned(), AttributeValue::S(at.clone()));
                "installed_at = :prev".to_owned()
            }
        };
        names.extend(remove.iter().map(|a| (format!("#{a}"), (*a).to_owned())));
        let update = format!(
            "SET workspace_slug = :slug, oauth_secret_arn = :arn, installed_by_platform_user_id = :by, \
             installed_at = :at, updated_at = :at, #status = :active, team_keys = :keys, workspace_name = :name, token_expires_at = :exp \
             REMOVE {}",
            remove.iter().map(|a| format!("#{a}")).collect::<Vec<_>>().join(", ")
        );
        Update { update, condition, names, values }
    }
}

/// The expectation that matches a row as read.
pub fn expect_for(row: Option<&Item>) -> Expect {
    match row {
        None => Expect::Absent,
        Some(item) => Expect::InstalledAt(s(item, "installed_at")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> InstallRecord {
        InstallRecord {
            org_id: "org".into(),
            slug: WorkspaceSlug::parse("acme-eng").unwrap(),
            name: "Acme".into(),
            secret_arn: "arn:new".into(),
            installed_by: "sub".into(),
            installed_at: "2026-11-23T10:00:00.000Z".into(),
            team_keys: vec!["eng".into(), "Ops".into()],
            token_expires_at: "2026-11-24T10:00:00.000Z".into(),
        }
    }

    #[test]
    fn an_install_sets_the_platform_fields_and_clears_revocation() {
        let u = record().update(&Expect::Absent, None);
        assert_eq!(u.condition, "attribute_not_exists(linear_workspace_id)");
        for attr in ["workspace_slug", "oauth_secret_arn", "installed_by_platform_user_id", "installed_at", "updated_at", "#status"] {
            assert!(u.update.contains(attr), "{attr} not set: {}", u.update);
        }
        for attr in REVOCATION_ATTRIBUTES {
            assert_eq!(u.names[&format!("#{attr}")], attr);
        }
        assert!(!u.update.contains("secret_deletion_failed"));
        let keys: Vec<_> = u.values[":keys"].as_l().unwrap().iter().map(|k| k.as_s().unwrap().clone()).collect();
        assert_eq!(keys, ["ENG", "OPS"], "team keys are upper-cased");
    }

    #[test]
    fn a_reconnect_is_conditioned_on_the_installation_it_read() {
        let row: Item = HashMap::from([("installed_at".to_owned(), AttributeValue::S("then".into()))]);
        let u = record().update(&expect_for(Some(&row)), Some(&row));
        assert_eq!(u.condition, "installed_at = :prev");
        assert_eq!(u.values[":prev"].as_s().unwrap(), "then");
        let bare: Item = HashMap::new();
        assert!(record().update(&expect_for(Some(&bare)), Some(&bare)).condition.contains("attribute_not_exists(installed_at)"));
    }

    #[test]
    fn orphan_markers_are_cleared_only_when_the_orphan_is_the_secret_now_written() {
        let mut row: Item = HashMap::from([("orphaned_oauth_secret_arn".to_owned(), AttributeValue::S("arn:old".into()))]);
        assert!(!record().update(&expect_for(Some(&row)), Some(&row)).update.contains("#secret_deletion_failed"));
        row.insert("orphaned_oauth_secret_arn".into(), AttributeValue::S("arn:new".into()));
        let u = record().update(&expect_for(Some(&row)), Some(&row));
        for attr in ORPHAN_ATTRIBUTES {
            assert!(u.update.contains(&format!("#{attr}")), "{attr}");
        }
    }
}
