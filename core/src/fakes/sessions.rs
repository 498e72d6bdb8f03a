//! The members' sessions, in memory.
use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, Script};
use crate::error::{Service, Unavailable};
use crate::ports::{MemberSessions, SessionSummary};

pub struct FakeSessions {
    pub script: Script,
    stored: Mutex<Vec<(String, SessionSummary)>>,
}

impl FakeSessions {
    pub(super) fn new(script: Script) -> FakeSessions {
        FakeSessions { script, stored: Mutex::default() }
    }

    /// A session of `sub`, signed in from 203.0.113.7 with Firefox on Linux.
    pub fn add(&self, sub: &str, handle: &str, started_at: i64, seen_at: i64, ends_at: i64) {
        let summary = SessionSummary {
            handle: handle.to_owned(),
            started_at,
            seen_at,
            ends_at,
            address: "203.0.113.7".to_owned(),
            browser: "Firefox on Linux".to_owned(),
        };
        lock(&self.stored).push((sub.to_owned(), summary));
    }
}

#[async_trait]
impl MemberSessions for FakeSessions {
    async fn of_member(&self, sub: &str) -> Result<Vec<SessionSummary>, Unavailable> {
        self.script.enter("of_member").map_err(|f| f.unavailable(Service::DynamoDb))?;
        Ok(lock(&self.stored).iter().filter(|(s, _)| s == sub).map(|(_, x)| x.clone()).collect())
    }

    async fn end(&self, sub: &str, handle: &str) -> Result<bool, Unavailable> {
        self.script.enter("end").map_err(|f| f.unavailable(Service::DynamoDb))?;
        let mut stored = lock(&self.stored);
        let before = stored.len();
        stored.retain(|(s, x)| !(s == sub && x.handle == handle));
        Ok(stored.len() < before)
    }
}
