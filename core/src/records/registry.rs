//! One row of the workspace registry (contract §1) as a typed record: the platform's reading of
//! rows anyone wrote (not registered, revoked, usable), and what an install or reconnect writes.
//! The DynamoDB adapter turns items into [`RegistryRecord`]s and back; nothing else reads a row.
use crate::health::{CheckResult, Facts, RegistryState};
use crate::ids::{OrgId, UrlKey};
use crate::time::parse_iso;

/// The row's `status`, keeping a value the console does not know (the platform reads any
/// status but `active` as revoked, so an unknown one must survive to be shown as stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Active,
    Revoked,
    Other(String),
}

impl Status {
    pub fn parse(raw: &str) -> Status {
        match raw {
            "active" => Status::Active,
            "revoked" => Status::Revoked,
            other => Status::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Status::Active => "active",
            Status::Revoked => "revoked",
            Status::Other(s) => s,
        }
    }
}

/// Why and when a row was revoked (each attribute optional: the platform's code writes some,
/// not all; contract §9).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revocation {
    pub at: Option<String>,
    pub reason: Option<String>,
    pub by: Option<String>,
    pub announced_at: Option<String>,
}

/// A token bundle that could not be deleted, as the platform records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanedSecret {
    pub arn: String,
    pub error: Option<String>,
}

/// What the console keeps on the row for itself (the platform ignores attributes it does not know).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bookkeeping {
    /// The Linear organization's name (`workspace_name`).
    pub name: Option<String>,
    pub token_expires_at: Option<String>,
    pub last_check_at: Option<String>,
    pub last_check_result: Option<String>,
    pub last_refresh_at: Option<String>,
    pub last_refresh_error: Option<String>,
    /// Who reconnected it last through the console, and when (the installer stays the installer).
    pub reconnected_by: Option<String>,
    pub reconnected_at: Option<String>,
    /// A refresh in progress on some console instance (`console_lease_owner`, `console_lease_until`).
    pub lease: Option<(String, i64)>,
}

/// A registry row, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRecord {
    pub org_id: OrgId,
    pub slug: Option<String>,
    pub secret_arn: Option<String>,
    pub status: Option<Status>,
    pub installed_by: Option<String>,
    pub installed_at: Option<String>,
    pub updated_at: Option<String>,
    pub team_keys: Vec<String>,
    pub revocation: Revocation,
    pub orphan: Option<OrphanedSecret>,
    /// `provider_name`: the row was onboarded to the AgentCore token vault.
    pub vault_provider: Option<String>,
    pub console: Bookkeeping,
}

impl RegistryRecord {
    /// An empty record of this organization (what a test or an adapter fills in).
    pub fn new(org_id: OrgId) -> RegistryRecord {
        RegistryRecord {
            org_id,
            slug: None,
            secret_arn: None,
            status: None,
            installed_by: None,
            installed_at: None,
            updated_at: None,
            team_keys: Vec::new(),
            revocation: Revocation::default(),
            orphan: None,
            vault_provider: None,
            console: Bookkeeping::default(),
        }
    }

    /// The platform's reading: no slug or no secret ARN is "not registered"; any status but
    /// `active` is revoked (it fails closed).
    pub fn state(&self) -> RegistryState {
        if self.slug.is_none() || self.secret_arn.is_none() {
            RegistryState::NotRegistered
        } else if self.status == Some(Status::Active) {
            RegistryState::Active
        } else {
            RegistryState::Revoked
        }
    }

    /// The platform would resolve tokens for this workspace (and the console may act on them).
    pub fn is_active(&self) -> bool {
        self.state() == RegistryState::Active
    }

    pub fn vault_managed(&self) -> bool {
        self.vault_provider.is_some()
    }

    /// Revoked by an admin (through this console or the platform's remove-workspace handler).
    pub fn revoked_by_admin(&self) -> bool {
        self.status == Some(Status::Revoked) && self.revocation.reason.as_deref() == Some(REVOKED_BY_ADMIN)
    }

    /// The health inputs the row carries. The bundle is assumed to hold tokens (unless the row is a
    /// vault row); a caller that has read it corrects `bundle_has_tokens`/`expires_at`.
    pub fn facts(&self) -> Facts {
        let time = |v: &Option<String>| v.as_deref().and_then(parse_iso);
        let c = &self.console;
        Facts {
            state: Some(self.state()),
            vault_managed: self.vault_managed(),
            // A vault row's bundle usually holds no tokens: unknown until it is read.
            bundle_has_tokens: (!self.vault_managed()).then_some(true),
            expires_at: time(&c.token_expires_at),
            last_check: time(&c.last_check_at).zip(c.last_check_result.as_deref().and_then(CheckResult::from_code)),
            last_refresh: time(&c.last_refresh_at).map(|at| (at, c.last_refresh_error.clone())),
        }
    }
}

/// The `revoked_reason` an admin's revocation records.
pub const REVOKED_BY_ADMIN: &str = "admin_removed";

/// What an install or reconnect writes. The platform's fields are the CLI's; `workspace_name`
/// and `token_expires_at` are the console's own bookkeeping.
#[derive(Debug, Clone)]
pub struct InstallRecord {
    pub org_id: OrgId,
    pub slug: UrlKey,
    pub name: String,
    pub secret_arn: String,
    /// The admin who consented now. On a reconnect the row keeps its original installer (the
    /// platform's remove-workspace API lets only the installer remove a workspace).
    pub consented_by: String,
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

impl Expect {
    /// The expectation that matches a row as read.
    pub fn of(row: Option<&RegistryRecord>) -> Expect {
        match row {
            None => Expect::Absent,
            Some(r) => Expect::InstalledAt(r.installed_at.clone()),
        }
    }
}

impl InstallRecord {
    /// The whole row an install or reconnect leaves: what the CLI's `setup` writes (a whole-item
    /// Put, so no attribute of an earlier install survives: no vault provider, no gateway, no
    /// revocation, no stale check) plus the console's bookkeeping. From `previous` only what must
    /// outlive a reconnect is kept: the original installer, an orphaned secret that is not the
    /// bundle now written, and a refresh lease another instance holds.
    pub fn row(&self, previous: Option<&RegistryRecord>) -> RegistryRecord {
        let mut keys: Vec<String> = self.team_keys.iter().map(|k| k.to_uppercase()).collect();
        keys.sort();
        keys.dedup();
        let reconnect = previous.filter(|p| p.installed_at.is_some() || p.installed_by.is_some());
        let installed_by = reconnect.and_then(|p| p.installed_by.clone()).unwrap_or_else(|| self.consented_by.clone());
        RegistryRecord {
            org_id: self.org_id.clone(),
            slug: Some(self.slug.as_str().to_owned()),
            secret_arn: Some(self.secret_arn.clone()),
            status: Some(Status::Active),
            installed_by: Some(installed_by),
            installed_at: Some(self.installed_at.clone()),
            updated_at: Some(self.installed_at.clone()),
            team_keys: keys,
            revocation: Revocation::default(),
            orphan: previous.and_then(|p| p.orphan.clone()).filter(|o| o.arn != self.secret_arn),
            vault_provider: None,
            console: Bookkeeping {
                name: Some(self.name.clone()),
                token_expires_at: Some(self.token_expires_at.clone()),
                reconnected_by: reconnect.map(|_| self.consented_by.clone()),
                reconnected_at: reconnect.map(|_| self.installed_at.clone()),
                lease: previous.and_then(|p| p.console.lease.clone()),
                ..Bookkeeping::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn install() -> InstallRecord {
        InstallRecord {
            org_id: OrgId::parse("org").unwrap(),
            slug: UrlKey::parse("acme-eng").unwrap(),
            name: "Acme".into(),
            secret_arn: "arn:new".into(),
            consented_by: "sub-now".into(),
            installed_at: "2026-11-23T10:00:00.000Z".into(),
            team_keys: vec!["eng".into(), "Ops".into(), "ENG".into()],
            token_expires_at: "2026-11-24T10:00:00.000Z".into(),
        }
    }

    fn stored(f: impl FnOnce(&mut RegistryRecord)) -> RegistryRecord {
        let mut r = RegistryRecord::new(OrgId::parse("org").unwrap());
        r.slug = Some("acme-eng".into());
        r.secret_arn = Some("arn:old".into());
        r.status = Some(Status::Active);
        f(&mut r);
        r
    }

    #[test]
    fn the_platforms_reading_of_slug_secret_and_status() {
        assert_eq!(stored(|_| {}).state(), RegistryState::Active);
        assert_eq!(stored(|r| r.slug = None).state(), RegistryState::NotRegistered);
        assert_eq!(stored(|r| r.secret_arn = None).state(), RegistryState::NotRegistered);
        assert_eq!(stored(|r| r.status = Some(Status::Revoked)).state(), RegistryState::Revoked);
        assert_eq!(stored(|r| r.status = None).state(), RegistryState::Revoked, "no status fails closed");
        let odd = stored(|r| r.status = Some(Status::parse("paused")));
        assert_eq!(odd.state(), RegistryState::Revoked, "an unknown status fails closed");
        assert_eq!(odd.status.as_ref().map(Status::as_str), Some("paused"), "and is kept as stored");
    }

    #[test]
    fn an_install_writes_the_clis_row_and_nothing_stale() {
        let row = install().row(None);
        assert!(row.is_active());
        assert_eq!(row.installed_by.as_deref(), Some("sub-now"));
        assert_eq!(row.team_keys, ["ENG", "OPS"], "upper-cased, de-duplicated, sorted");
        assert_eq!(row.console.reconnected_by, None);
        let old = stored(|r| {
            r.installed_by = Some("sub-first".into());
            r.installed_at = Some("2026-01-01T00:00:00.000Z".into());
            r.vault_provider = Some("linear".into());
            r.status = Some(Status::Revoked);
            r.revocation = Revocation {
                at: Some("t".into()),
                reason: Some("admin_removed".into()),
                by: Some("x".into()),
                announced_at: Some("t".into()),
            };
            r.console.last_check_result = Some("unauthenticated".into());
            r.console.last_refresh_error = Some("invalid_grant".into());
        });
        let row = install().row(Some(&old));
        assert_eq!(row.installed_by.as_deref(), Some("sub-first"), "the installer stays the installer");
        assert_eq!(row.console.reconnected_by.as_deref(), Some("sub-now"));
        assert_eq!(row.vault_provider, None);
        assert_eq!(row.revocation, Revocation::default());
        assert_eq!((row.console.last_check_result, row.console.last_refresh_error), (None, None), "a new grant starts clean");
        assert_eq!(row.status, Some(Status::Active));
    }

    #[test]
    fn an_orphan_is_kept_unless_it_is_the_bundle_now_written() {
        let other = stored(|r| r.orphan = Some(OrphanedSecret { arn: "arn:older".into(), error: Some("denied".into()) }));
        assert_eq!(install().row(Some(&other)).orphan.map(|o| o.arn).as_deref(), Some("arn:older"));
        let same = stored(|r| r.orphan = Some(OrphanedSecret { arn: "arn:new".into(), error: None }));
        assert_eq!(install().row(Some(&same)).orphan, None);
    }

    #[test]
    fn a_reconnect_is_conditioned_on_the_installation_it_read() {
        assert_eq!(Expect::of(None), Expect::Absent);
        let row = stored(|r| r.installed_at = Some("then".into()));
        assert_eq!(Expect::of(Some(&row)), Expect::InstalledAt(Some("then".into())));
        assert_eq!(Expect::of(Some(&stored(|_| {}))), Expect::InstalledAt(None));
    }
}
