//! The platform's user pool in memory: users and the console's groups.
use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, Script};
use crate::error::{Service, Unavailable};
use crate::ports::{Directory, SearchError};
use crate::records::members::PlatformUser;

#[derive(Default)]
struct Pool {
    users: Vec<PlatformUser>,
    groups: HashMap<String, Vec<String>>,
}

pub struct FakeDirectory {
    pub script: Script,
    pool: Mutex<Pool>,
}

impl FakeDirectory {
    pub(super) fn new(script: Script) -> FakeDirectory {
        FakeDirectory { script, pool: Mutex::default() }
    }

    /// A user of the pool (replacing one with that sub).
    pub fn user(&self, sub: &str, email: &str, enabled: bool) {
        let mut p = lock(&self.pool);
        p.users.retain(|u| u.sub != sub);
        p.users.push(PlatformUser { sub: sub.into(), email: Some(email.into()), enabled, status: "CONFIRMED".into() });
    }

    /// A user in `group` (made a user of the pool if it is not one).
    pub fn member_of(&self, group: &str, sub: &str, enabled: bool) {
        if !lock(&self.pool).users.iter().any(|u| u.sub == sub) {
            self.user(sub, &format!("{sub}@example.com"), enabled);
        }
        lock(&self.pool).groups.entry(group.to_owned()).or_default().push(sub.to_owned());
    }

    pub fn leave(&self, group: &str, sub: &str) {
        if let Some(g) = lock(&self.pool).groups.get_mut(group) {
            g.retain(|s| s != sub);
        }
    }

    fn enter(&self, op: &'static str) -> Result<(), Unavailable> {
        self.script.enter(op).map_err(|f| f.unavailable(Service::Cognito))
    }
}

#[async_trait]
impl Directory for FakeDirectory {
    async fn by_sub(&self, sub: &str) -> Result<Option<PlatformUser>, Unavailable> {
        self.enter("by_sub")?;
        Ok(lock(&self.pool).users.iter().find(|u| u.sub == sub).cloned())
    }

    async fn search(&self, prefix: &str, token: Option<String>, limit: usize) -> Result<(Vec<PlatformUser>, Option<String>), SearchError> {
        self.enter("search")?;
        let skip: usize = match token {
            None => 0,
            Some(t) => t.parse().map_err(|_| SearchError::BadPageToken)?,
        };
        let all: Vec<PlatformUser> =
            lock(&self.pool).users.iter().filter(|u| u.email.as_deref().unwrap_or("").starts_with(prefix)).cloned().collect();
        let page: Vec<PlatformUser> = all.iter().skip(skip).take(limit).cloned().collect();
        let next = (skip + page.len() < all.len()).then(|| (skip + page.len()).to_string());
        Ok((page, next))
    }

    async fn group_members(&self, group: &str) -> Result<Vec<PlatformUser>, Unavailable> {
        self.enter("group_members")?;
        let p = lock(&self.pool);
        let subs = p.groups.get(group).cloned().unwrap_or_default();
        Ok(p.users.iter().filter(|u| subs.contains(&u.sub)).cloned().collect())
    }

    async fn all(&self) -> Result<Vec<PlatformUser>, Unavailable> {
        self.enter("all")?;
        Ok(lock(&self.pool).users.clone())
    }

    /// Usernames compare without case, as in a pool with email as the username.
    async fn create(&self, email: &str) -> Result<Option<PlatformUser>, Unavailable> {
        self.enter("create")?;
        let mut p = lock(&self.pool);
        if p.users.iter().any(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email))) {
            return Ok(None);
        }
        let user = PlatformUser {
            sub: format!("sub-created-{}", p.users.len() + 1),
            email: Some(email.into()),
            enabled: true,
            status: "FORCE_CHANGE_PASSWORD".into(),
        };
        p.users.push(user.clone());
        Ok(Some(user))
    }
}
