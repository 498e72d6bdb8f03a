//! The audit log where security teams read it: every event the table takes is also written to a
//! CloudWatch Logs stream of the console's own (`CONSOLE_AUDIT_LOG_GROUP`), one JSON line with the
//! table's fields, for a SIEM to subscribe to the usual way. The table stays the console's record:
//! the line is written after the table took the event, and a line that cannot be written is logged
//! and counted (`unstreamed_since_start`), never the change's failure.
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use console_core::audit::AuditEvent;
use console_core::error::{chain, Service, Unavailable};
use console_core::ports::{AuditEntry, AuditFilter, AuditPage, AuditStore};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::adapters::unavailable;
use crate::config::AuditLog;

static UNSTREAMED: AtomicU64 = AtomicU64::new(0);

/// Audit events not written to the log stream since the process started.
pub fn unstreamed_since_start() -> u64 {
    UNSTREAMED.load(Ordering::Relaxed)
}

/// The line an event is in the stream: the table's fields (`at`, `id`, `action`, `outcome`, and
/// those of `actor_sub`, `actor_email`, `target`, `detail`, `request_id` the event has).
pub fn line(ev: &AuditEvent, at: OffsetDateTime, id: &str) -> String {
    let mut o = serde_json::Map::new();
    o.insert("at".into(), at.format(&Rfc3339).unwrap_or_default().into());
    o.insert("id".into(), id.into());
    o.insert("action".into(), ev.action.code().into());
    o.insert("outcome".into(), ev.outcome.code().into());
    for (k, v) in ev.texts() {
        if let Some(v) = v {
            o.insert(k.into(), v.clone().into());
        }
    }
    serde_json::Value::Object(o).to_string()
}

/// The table, and the stream each event is copied to.
pub struct StreamedAudit<T> {
    table: T,
    stream: Option<(aws_sdk_cloudwatchlogs::Client, AuditLog)>,
}

impl<T> StreamedAudit<T> {
    pub fn new(table: T, stream: Option<(aws_sdk_cloudwatchlogs::Client, AuditLog)>) -> Self {
        StreamedAudit { table, stream }
    }
}

async fn put(client: &aws_sdk_cloudwatchlogs::Client, to: &AuditLog, message: String, at: OffsetDateTime) -> Result<(), Unavailable> {
    let event = InputLogEvent::builder()
        .timestamp(console_core::cache::millis(at))
        .message(message)
        .build()
        .map_err(|e| unavailable(Service::CloudWatchLogs, e))?;
    client
        .put_log_events()
        .log_group_name(&to.group)
        .log_stream_name(&to.stream)
        .log_events(event)
        .send()
        .await
        .map_err(|e| unavailable(Service::CloudWatchLogs, e))?;
    Ok(())
}

#[async_trait]
impl<T: AuditStore> AuditStore for StreamedAudit<T> {
    async fn append(&self, event: &AuditEvent, at: OffsetDateTime, id: &str) -> Result<(), Unavailable> {
        self.table.append(event, at, id).await?;
        if let Some((client, to)) = &self.stream {
            if let Err(e) = put(client, to, line(event, at, id), at).await {
                let unstreamed = UNSTREAMED.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(
                    action = event.action.code(),
                    log_group = %to.group,
                    unstreamed_since_start = unstreamed,
                    error = %chain(&e),
                    "audit event stored but not written to its log stream"
                );
            }
        }
        Ok(())
    }

    async fn search(&self, filter: &AuditFilter, limit: usize, today: time::Date) -> Result<AuditPage, Unavailable> {
        self.table.search(filter, limit, today).await
    }

    async fn get(&self, key: &str) -> Result<Option<AuditEntry>, Unavailable> {
        self.table.get(key).await
    }

    async fn mark_resent(&self, key: &str, note: &str) -> Result<bool, Unavailable> {
        self.table.mark_resent(key, note).await
    }

    async fn unmark_resent(&self, key: &str, note: &str) -> Result<(), Unavailable> {
        self.table.unmark_resent(key, note).await
    }
}
