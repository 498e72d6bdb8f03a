//! The console's audit log: one DynamoDB item per event, partitioned by UTC day.
//! Item: `day` (S, partition, `YYYY-MM-DD`), `sk` (S, sort, `<time>#<uuid>`), then the fields.
use std::collections::HashMap;

use app::ports::{AuditPort, PortError, PortResult};
use app::wire::AuditEntry;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Refused,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Refused => "refused",
        }
    }
}

/// One event. `detail` is for people: it never carries a token or password.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: &'static str,
    pub actor_sub: Option<String>,
    pub actor_email: Option<String>,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Clone, Debug)]
pub struct AuditLog {
    client: Client,
    table: String,
}

/// How far back `recent` looks for events.
const LOOKBACK_DAYS: i64 = 30;

impl AuditLog {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        AuditLog { client, table: table.into() }
    }

    /// Writes the event. A failure is logged and returned; callers decide whether to go on.
    pub async fn record(&self, ev: AuditEvent) -> Result<(), String> {
        let now = OffsetDateTime::now_utc();
        let at = now.format(&Rfc3339).unwrap_or_default();
        let mut item = HashMap::from([
            ("day".to_owned(), AttributeValue::S(day_key(now))),
            ("sk".to_owned(), AttributeValue::S(format!("{at}#{}", uuid::Uuid::new_v4()))),
            ("at".to_owned(), AttributeValue::S(at)),
            ("action".to_owned(), AttributeValue::S(ev.action.to_owned())),
            ("outcome".to_owned(), AttributeValue::S(ev.outcome.as_str().to_owned())),
        ]);
        for (k, v) in [
            ("actor_sub", ev.actor_sub),
            ("actor_email", ev.actor_email),
            ("target", ev.target),
            ("detail", ev.detail),
            ("request_id", ev.request_id),
        ] {
            if let Some(v) = v {
                item.insert(k.to_owned(), AttributeValue::S(v));
            }
        }
        let res = self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await;
        res.map(|_| ()).map_err(|e| {
            let msg = aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string();
            tracing::error!(action = ev.action, error = %msg, "audit event not written");
            msg
        })
    }

    async fn day(&self, day: &str, limit: usize) -> Result<Vec<AuditEntry>, String> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#d = :d")
                .expression_attribute_names("#d", "day")
                .expression_attribute_values(":d", AttributeValue::S(day.to_owned()))
                .scan_index_forward(false)
                .limit((limit - out.len()) as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?;
            out.extend(page.items().iter().map(entry));
            start = page.last_evaluated_key;
            if start.is_none() || out.len() >= limit {
                return Ok(out);
            }
        }
    }
}

fn day_key(t: OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

fn entry(item: &HashMap<String, AttributeValue>) -> AuditEntry {
    let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    AuditEntry {
        at: s("at").unwrap_or_default(),
        actor_email: s("actor_email"),
        actor_sub: s("actor_sub"),
        action: s("action").unwrap_or_default(),
        target: s("target"),
        outcome: s("outcome").unwrap_or_default(),
        detail: s("detail"),
        request_id: s("request_id"),
    }
}

#[async_trait]
impl AuditPort for AuditLog {
    async fn recent(&self, limit: usize) -> PortResult<Vec<AuditEntry>> {
        let today = OffsetDateTime::now_utc();
        let mut out = Vec::new();
        for back in 0..LOOKBACK_DAYS {
            if out.len() >= limit {
                break;
            }
            let day = day_key(today - time::Duration::days(back));
            let found = self
                .day(&day, limit - out.len())
                .await
                .map_err(|cause| PortError { service: "DynamoDB", cause })?;
            out.extend(found);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_keys_sort_as_dates() {
        let t = time::macros::datetime!(2026-01-05 23:59:59 UTC);
        assert_eq!(day_key(t), "2026-01-05");
    }
}
