//! Install links in memory, with the adapter's conditions on every write.
use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, Script};
use crate::error::{Service, StoreError, Unavailable};
use crate::ports::InstallLinkStore;
use crate::records::install_links::{InstallLink, LinkUse};

pub struct FakeInstallLinks {
    pub script: Script,
    links: Mutex<BTreeMap<String, InstallLink>>,
}

impl FakeInstallLinks {
    pub(super) fn new(script: Script) -> FakeInstallLinks {
        FakeInstallLinks { script, links: Mutex::default() }
    }

    pub fn all_links(&self) -> Vec<InstallLink> {
        lock(&self.links).values().cloned().collect()
    }

    fn store(&self, op: &'static str) -> Result<(), StoreError> {
        self.script.enter(op).map_err(|f| f.store(Service::DynamoDb))
    }

    /// Changes a waiting link, only while it is waiting (and, with `now`, unexpired).
    fn change(&self, id: &str, now: Option<i64>, to: LinkUse) -> Result<(), StoreError> {
        let mut links = lock(&self.links);
        match links.get_mut(id) {
            Some(l) if l.state == LinkUse::Waiting && now.is_none_or(|n| n < l.expires_at) => {
                l.state = to;
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }
}

#[async_trait]
impl InstallLinkStore for FakeInstallLinks {
    async fn create(&self, link: &InstallLink) -> Result<(), StoreError> {
        self.store("create")?;
        let mut links = lock(&self.links);
        if links.contains_key(&link.id) {
            return Err(StoreError::Conflict);
        }
        links.insert(link.id.clone(), link.clone());
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<InstallLink>, Unavailable> {
        self.script.enter("get").map_err(|f| f.unavailable(Service::DynamoDb))?;
        Ok(lock(&self.links).get(id).cloned())
    }

    async fn all(&self) -> Result<Vec<InstallLink>, Unavailable> {
        self.script.enter("all").map_err(|f| f.unavailable(Service::DynamoDb))?;
        Ok(self.all_links())
    }

    async fn claim(&self, id: &str, now: i64, used: &LinkUse) -> Result<(), StoreError> {
        self.store("claim")?;
        self.change(id, Some(now), used.clone())
    }

    async fn revoke(&self, id: &str, by: &str, at: i64) -> Result<(), StoreError> {
        self.store("revoke")?;
        self.change(id, None, LinkUse::Revoked { at, by: by.to_owned() })
    }
}
