//! The user-mapping table in memory, with the adapter's conditions on every write.
use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, Script};
use crate::error::{Service, StoreError};
use crate::ids::{InviteCode, LinkKey, MappingKey, OrgId, PlatformUserId};
use crate::ports::Mappings;
use crate::records::user_mapping::{Invite, Link, MappingRow};

pub struct FakeMappings {
    pub script: Script,
    rows: Mutex<BTreeMap<String, MappingRow>>,
}

impl FakeMappings {
    pub(super) fn new(script: Script) -> FakeMappings {
        FakeMappings { script, rows: Mutex::default() }
    }

    pub fn put(&self, row: MappingRow) {
        lock(&self.rows).insert(row.key(), row);
    }

    /// Every row of a workspace (links and invites).
    pub fn rows_of(&self, org: &OrgId) -> Vec<MappingRow> {
        lock(&self.rows).values().filter(|r| belongs(r, org)).cloned().collect()
    }

    fn enter(&self, op: &'static str) -> Result<(), StoreError> {
        self.script.enter(op).map_err(|f| f.store(Service::DynamoDb))
    }

    fn put_new(&self, row: MappingRow) -> Result<(), StoreError> {
        let mut rows = lock(&self.rows);
        if rows.contains_key(&row.key()) {
            return Err(StoreError::Conflict);
        }
        rows.insert(row.key(), row);
        Ok(())
    }

    /// Whether the link under `key` names `expected`.
    fn names(&self, key: &str, expected: &PlatformUserId) -> bool {
        matches!(lock(&self.rows).get(key), Some(MappingRow::Link(l)) if l.platform_user_id == *expected)
    }
}

fn belongs(row: &MappingRow, org: &OrgId) -> bool {
    match row {
        MappingRow::Link(l) => l.key.org_id == *org,
        MappingRow::Invite(i) => i.org_id.as_deref() == Some(org.as_str()),
        MappingRow::Other(_) => false,
    }
}

#[async_trait]
impl Mappings for FakeMappings {
    async fn workspace_rows(&self, org: &OrgId) -> Result<Vec<MappingRow>, StoreError> {
        self.enter("workspace_rows")?;
        Ok(self.rows_of(org))
    }

    async fn get(&self, key: &MappingKey) -> Result<Option<MappingRow>, StoreError> {
        self.enter("get")?;
        Ok(lock(&self.rows).get(&key.as_key()).cloned())
    }

    async fn put_new_link(&self, link: &Link) -> Result<(), StoreError> {
        self.enter("put_new_link")?;
        self.put_new(MappingRow::Link(link.clone()))
    }

    async fn put_new_invite(&self, invite: &Invite) -> Result<(), StoreError> {
        self.enter("put_new_invite")?;
        self.put_new(MappingRow::Invite(invite.clone()))
    }

    async fn replace_link(&self, link: &Link, expected: &PlatformUserId) -> Result<(), StoreError> {
        self.enter("replace_link")?;
        let key = link.key.as_key();
        if !self.names(&key, expected) {
            return Err(StoreError::Conflict);
        }
        lock(&self.rows).insert(key, MappingRow::Link(link.clone()));
        Ok(())
    }

    async fn delete_link(&self, key: &LinkKey, expected: &PlatformUserId) -> Result<(), StoreError> {
        self.enter("delete_link")?;
        let key = key.as_key();
        if !self.names(&key, expected) {
            return Err(StoreError::Conflict);
        }
        lock(&self.rows).remove(&key);
        Ok(())
    }

    async fn delete_invite(&self, code: &InviteCode, org: &OrgId) -> Result<(), StoreError> {
        self.enter("delete_invite")?;
        let mut rows = lock(&self.rows);
        match rows.get(&code.key()) {
            Some(MappingRow::Invite(i)) if i.org_id.as_deref() == Some(org.as_str()) => {
                rows.remove(&code.key());
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn delete_expired_invite(&self, code: &InviteCode, now: i64) -> Result<bool, StoreError> {
        self.enter("delete_expired_invite")?;
        let mut rows = lock(&self.rows);
        match rows.get(&code.key()) {
            Some(MappingRow::Invite(i)) if i.expired(now) => {
                rows.remove(&code.key());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn expired_invites(&self, now: i64) -> Result<Vec<Invite>, StoreError> {
        self.enter("expired_invites")?;
        Ok(lock(&self.rows)
            .values()
            .filter_map(|r| match r {
                MappingRow::Invite(i) if i.expired(now) => Some(i.clone()),
                _ => None,
            })
            .collect())
    }

    async fn delete_all(&self, keys: &[String]) -> Result<usize, StoreError> {
        self.enter("delete_all")?;
        let mut rows = lock(&self.rows);
        for k in keys {
            rows.remove(k);
        }
        Ok(keys.len())
    }

    async fn of_platform_user(&self, sub: &PlatformUserId) -> Result<Vec<MappingRow>, StoreError> {
        self.enter("of_platform_user")?;
        Ok(lock(&self.rows).values().filter(|r| matches!(r, MappingRow::Link(l) if l.platform_user_id == *sub)).cloned().collect())
    }
}
