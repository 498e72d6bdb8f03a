//! The audit log table in memory.
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{lock, Fail, Script};
use crate::audit::AuditEvent;
use crate::error::{Service, Unavailable};
use crate::ports::{AuditEntry, AuditFilter, AuditPage, AuditStore};
use crate::time::iso_millis;

pub struct FakeAuditStore {
    pub script: Script,
    entries: Mutex<Vec<AuditEntry>>,
}

impl FakeAuditStore {
    pub(super) fn new(script: Script) -> FakeAuditStore {
        FakeAuditStore { script, entries: Mutex::default() }
    }

    /// The next write fails.
    pub fn fail_next(&self, how: Fail) {
        self.script.fail("append", how);
    }

    /// Every stored event, oldest first.
    pub fn entries(&self) -> Vec<AuditEntry> {
        lock(&self.entries).clone()
    }
}

#[async_trait]
impl AuditStore for FakeAuditStore {
    async fn append(&self, e: &AuditEvent, at: OffsetDateTime, id: &str) -> Result<(), Unavailable> {
        self.script.enter("append").map_err(|f| f.unavailable(Service::DynamoDb))?;
        lock(&self.entries).push(AuditEntry {
            key: format!("{}#{id}", iso_millis(at)),
            resent: None,
            at: iso_millis(at),
            actor_email: e.actor_email.clone(),
            actor_sub: e.actor_sub.clone(),
            action: e.action.code().to_owned(),
            target: e.target.clone(),
            outcome: e.outcome.code().to_owned(),
            detail: e.detail.clone(),
            request_id: e.request_id.clone(),
        });
        Ok(())
    }

    async fn search(&self, f: &AuditFilter, limit: usize, _today: time::Date) -> Result<AuditPage, Unavailable> {
        self.script.enter("search").map_err(|f| f.unavailable(Service::DynamoDb))?;
        let actor = f.actor.to_lowercase();
        let entries: Vec<AuditEntry> = lock(&self.entries)
            .iter()
            .rev()
            .filter(|e| f.workspace.as_ref().is_none_or(|w| e.target.as_deref() == Some(w.as_str())))
            .filter(|e| e.action.starts_with(&f.action))
            .filter(|e| {
                actor.is_empty()
                    || [&e.actor_email, &e.actor_sub].iter().any(|a| a.as_deref().is_some_and(|a| a.to_lowercase().contains(&actor)))
            })
            .take(limit)
            .cloned()
            .collect();
        Ok(AuditPage { entries, next: None })
    }

    async fn get(&self, key: &str) -> Result<Option<AuditEntry>, Unavailable> {
        self.script.enter("get").map_err(|f| f.unavailable(Service::DynamoDb))?;
        Ok(lock(&self.entries).iter().find(|e| e.key == key).cloned())
    }

    async fn mark_resent(&self, key: &str, note: &str) -> Result<bool, Unavailable> {
        self.script.enter("mark_resent").map_err(|f| f.unavailable(Service::DynamoDb))?;
        let mut entries = lock(&self.entries);
        match entries.iter_mut().find(|e| e.key == key) {
            Some(e) if e.resent.is_none() => {
                e.resent = Some(note.to_owned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn unmark_resent(&self, key: &str, note: &str) -> Result<(), Unavailable> {
        self.script.enter("unmark_resent").map_err(|f| f.unavailable(Service::DynamoDb))?;
        if let Some(e) = lock(&self.entries).iter_mut().find(|e| e.key == key && e.resent.as_deref() == Some(note)) {
            e.resent = None;
        }
        Ok(())
    }
}
