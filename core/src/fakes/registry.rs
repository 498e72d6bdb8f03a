//! The registry in memory, with the same conditions as the DynamoDB adapter's writes.
use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, Script};
use crate::error::{Service, StoreError};
use crate::health::CheckResult;
use crate::ids::OrgId;
use crate::ports::{RefreshRecord, RegistryStore};
use crate::records::registry::{Expect, OrphanedSecret, RegistryRecord, Status, REVOKED_BY_ADMIN};

pub struct FakeRegistry {
    pub script: Script,
    rows: Mutex<BTreeMap<OrgId, RegistryRecord>>,
}

impl FakeRegistry {
    pub(super) fn new(script: Script) -> FakeRegistry {
        FakeRegistry { script, rows: Mutex::default() }
    }

    pub fn put(&self, row: RegistryRecord) {
        lock(&self.rows).insert(row.org_id.clone(), row);
    }

    pub fn row(&self, org: &OrgId) -> Option<RegistryRecord> {
        lock(&self.rows).get(org).cloned()
    }

    pub fn rows(&self) -> Vec<RegistryRecord> {
        lock(&self.rows).values().cloned().collect()
    }

    pub fn edit(&self, org: &OrgId, f: impl FnOnce(&mut RegistryRecord)) {
        if let Some(r) = lock(&self.rows).get_mut(org) {
            f(r);
        }
    }

    /// Another console instance holds the row's refresh lease until `until`.
    pub fn hold_lease(&self, org: &OrgId, owner: &str, until: i64) {
        self.edit(org, |r| r.console.lease = Some((owner.to_owned(), until)));
    }

    fn enter(&self, op: &'static str) -> Result<(), StoreError> {
        self.script.enter(op).map_err(|f| f.store(Service::DynamoDb))
    }

    /// Runs `f` on the row if it exists (`Conflict` otherwise, as a failed condition would).
    fn existing<T>(&self, org: &OrgId, f: impl FnOnce(&mut RegistryRecord) -> T) -> Result<T, StoreError> {
        lock(&self.rows).get_mut(org).map(f).ok_or(StoreError::Conflict)
    }
}

#[async_trait]
impl RegistryStore for FakeRegistry {
    async fn all(&self) -> Result<Vec<RegistryRecord>, StoreError> {
        self.enter("all")?;
        Ok(lock(&self.rows).values().cloned().collect())
    }

    async fn get(&self, org: &OrgId) -> Result<Option<RegistryRecord>, StoreError> {
        self.enter("get")?;
        Ok(self.row(org))
    }

    async fn put_install(&self, row: &RegistryRecord, expect: &Expect) -> Result<(), StoreError> {
        self.enter("put_install")?;
        let mut rows = lock(&self.rows);
        let holds = match (expect, rows.get(&row.org_id)) {
            (Expect::Absent, None) => true,
            (Expect::InstalledAt(at), Some(r)) => r.installed_at == *at,
            _ => false,
        };
        if !holds {
            return Err(StoreError::Conflict);
        }
        rows.insert(row.org_id.clone(), row.clone());
        Ok(())
    }

    async fn mark_revoked(&self, org: &OrgId, by: &str, at: &str) -> Result<(), StoreError> {
        self.enter("mark_revoked")?;
        self.existing(org, |r| {
            r.status = Some(Status::Revoked);
            r.revocation.reason = Some(REVOKED_BY_ADMIN.to_owned());
            r.revocation.by = Some(by.to_owned());
            r.revocation.at = Some(at.to_owned());
            r.updated_at = Some(at.to_owned());
        })
    }

    async fn delete_revoked(&self, org: &OrgId) -> Result<(), StoreError> {
        self.enter("delete_revoked")?;
        let mut rows = lock(&self.rows);
        match rows.get(org) {
            Some(r) if r.status == Some(Status::Revoked) => {
                rows.remove(org);
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn mark_orphaned(&self, org: &OrgId, arn: &str, error: &str) -> Result<(), StoreError> {
        self.enter("mark_orphaned")?;
        self.existing(org, |r| r.orphan = Some(OrphanedSecret { arn: arn.to_owned(), error: Some(error.to_owned()) }))
    }

    async fn clear_orphan(&self, org: &OrgId, arn: &str) -> Result<bool, StoreError> {
        self.enter("clear_orphan")?;
        Ok(self
            .existing(org, |r| {
                let names = r.orphan.as_ref().is_some_and(|o| o.arn == arn);
                if names {
                    r.orphan = None;
                }
                names
            })
            .unwrap_or(false))
    }

    async fn take_lease(&self, org: &OrgId, owner: &str, now: i64, seconds: i64) -> Result<(), StoreError> {
        self.enter("take_lease")?;
        let mut rows = lock(&self.rows);
        let row = rows.get_mut(org).ok_or(StoreError::Conflict)?;
        if row.console.lease.as_ref().is_some_and(|(_, until)| *until >= now) {
            return Err(StoreError::Conflict);
        }
        row.console.lease = Some((owner.to_owned(), now + seconds));
        Ok(())
    }

    async fn release_lease(&self, org: &OrgId, owner: &str, refresh: Option<&RefreshRecord>) -> Result<(), StoreError> {
        self.enter("release_lease")?;
        let mut rows = lock(&self.rows);
        let row = rows.get_mut(org).ok_or(StoreError::Conflict)?;
        if row.console.lease.as_ref().map(|(o, _)| o.as_str()) != Some(owner) {
            return Err(StoreError::Conflict);
        }
        row.console.lease = None;
        if let Some(r) = refresh {
            row.console.last_refresh_at = Some(r.at.clone());
            row.console.last_refresh_error = r.error.clone();
            if let Some(exp) = &r.expires_at {
                row.console.token_expires_at = Some(exp.clone());
            }
        }
        Ok(())
    }

    async fn record_check(&self, org: &OrgId, at: &str, result: CheckResult, expires_at: Option<&str>) -> Result<(), StoreError> {
        self.enter("record_check")?;
        self.existing(org, |r| {
            r.console.last_check_at = Some(at.to_owned());
            r.console.last_check_result = Some(result.code().to_owned());
            if let Some(exp) = expires_at {
                r.console.token_expires_at = Some(exp.to_owned());
            }
        })
    }
}
