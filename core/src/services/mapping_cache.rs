//! The user-mapping table behind a cache: a workspace's rows (what its users page reads, a Scan)
//! and a platform user's rows (what `/users` reads, a Query) are shared by every request for a few
//! seconds, and every write made through here drops them (before and after the write, so a read
//! that overlapped it is not kept). Reads made for a change go to the table.
use std::sync::Arc;

use async_trait::async_trait;

use crate::cache::{Freshness, ReadCache};
use crate::error::StoreError;
use crate::ids::{InviteCode, LinkKey, MappingKey, OrgId, PlatformUserId};
use crate::ports::Mappings;
use crate::records::user_mapping::{Invite, Link, MappingRow};
use crate::time::Clock;

pub struct CachedMappings {
    table: Arc<dyn Mappings>,
    by_org: ReadCache<OrgId, Vec<MappingRow>>,
    by_user: ReadCache<PlatformUserId, Vec<MappingRow>>,
}

impl CachedMappings {
    pub fn new(table: Arc<dyn Mappings>, ttl: std::time::Duration, clock: Arc<dyn Clock>) -> CachedMappings {
        let by_org = ReadCache::new(ttl, clock.clone());
        let by_user = ReadCache::sharing(ttl, clock, by_org.epoch());
        CachedMappings { table, by_org, by_user }
    }

    /// A workspace's rows for a page.
    pub async fn workspace_rows_shared(&self, org: &OrgId, freshness: Freshness) -> Result<Vec<MappingRow>, StoreError> {
        self.by_org.get_or_read(org.clone(), freshness, || self.table.workspace_rows(org)).await
    }

    /// A platform user's rows for a page.
    pub async fn of_platform_user_shared(&self, sub: &PlatformUserId, freshness: Freshness) -> Result<Vec<MappingRow>, StoreError> {
        self.by_user.get_or_read(sub.clone(), freshness, || self.table.of_platform_user(sub)).await
    }

    /// Drops what is cached around a write (both caches share one epoch).
    async fn writing<T>(&self, write: impl std::future::Future<Output = T>) -> T {
        self.by_org.invalidate();
        let out = write.await;
        self.by_org.invalidate();
        out
    }
}

#[async_trait]
impl Mappings for CachedMappings {
    async fn workspace_rows(&self, org: &OrgId) -> Result<Vec<MappingRow>, StoreError> {
        self.workspace_rows_shared(org, Freshness::SinceChange).await
    }

    async fn get(&self, key: &MappingKey) -> Result<Option<MappingRow>, StoreError> {
        self.table.get(key).await
    }

    async fn put_new_link(&self, link: &Link) -> Result<(), StoreError> {
        self.writing(self.table.put_new_link(link)).await
    }

    async fn put_new_invite(&self, invite: &Invite) -> Result<(), StoreError> {
        self.writing(self.table.put_new_invite(invite)).await
    }

    async fn replace_link(&self, link: &Link, expected: &PlatformUserId) -> Result<(), StoreError> {
        self.writing(self.table.replace_link(link, expected)).await
    }

    async fn delete_link(&self, key: &LinkKey, expected: &PlatformUserId) -> Result<(), StoreError> {
        self.writing(self.table.delete_link(key, expected)).await
    }

    async fn delete_invite(&self, code: &InviteCode, org: &OrgId) -> Result<(), StoreError> {
        self.writing(self.table.delete_invite(code, org)).await
    }

    async fn delete_expired_invite(&self, code: &InviteCode, now: i64) -> Result<bool, StoreError> {
        self.writing(self.table.delete_expired_invite(code, now)).await
    }

    async fn expired_invites(&self, now: i64) -> Result<Vec<Invite>, StoreError> {
        self.table.expired_invites(now).await
    }

    async fn delete_all(&self, keys: &[String]) -> Result<usize, StoreError> {
        self.writing(self.table.delete_all(keys)).await
    }

    async fn of_platform_user(&self, sub: &PlatformUserId) -> Result<Vec<MappingRow>, StoreError> {
        self.of_platform_user_shared(sub, Freshness::SinceChange).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::Fakes;
    use std::time::Duration;

    #[tokio::test]
    async fn pages_share_a_read_and_any_write_drops_it() {
        let f = Fakes::new();
        let org = OrgId::parse("org-1").unwrap();
        let cached = CachedMappings::new(f.mappings.clone(), Duration::from_secs(10), f.clock.clone());
        let read = || cached.workspace_rows_shared(&org, Freshness::Shared);
        assert!(read().await.unwrap().is_empty());
        assert!(read().await.unwrap().is_empty());
        assert_eq!(f.mappings.script.count("workspace_rows"), 1, "the second page was answered from the first read");
        let link = Link::by_console(
            LinkKey::new(org.clone(), crate::ids::LinearUserId::parse("u-1").unwrap()),
            &PlatformUserId::parse("s-1").unwrap(),
            "2026-11-23T12:00:00.000Z",
            "admin",
        );
        cached.put_new_link(&link).await.unwrap();
        assert_eq!(cached.workspace_rows_shared(&org, Freshness::SinceChange).await.unwrap().len(), 1, "the write dropped the cached rows");
        assert_eq!(read().await.unwrap().len(), 1, "and the pages share that read");
        assert_eq!(f.mappings.script.count("workspace_rows"), 2);
    }
}
