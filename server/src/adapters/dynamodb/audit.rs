//! The console's audit log: one DynamoDB item per event, partitioned by UTC day.
//! Item: `day` (S, partition, `YYYY-MM-DD`), `sk` (S, sort, `<time>#<uuid>`), then the fields.
use std::collections::HashMap;

use app::ports::{AuditPort, PortError, PortResult};
use app::wire::{AuditEntry, AuditPage, AuditQuery};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::domain::audit::AuditEvent;

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
        let ev = ev.bounded();
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
    async fn search(&self, query: &AuditQuery, limit: usize) -> PortResult<AuditPage> {
        AuditLog::search(self, query, limit).await.map_err(|cause| PortError { service: "DynamoDB", cause })
    }

    async fn recent(&self, limit: usize) -> PortResult<Vec<AuditEntry>> {
        let today = OffsetDateTime::now_utc();
        let mut out = Vec::new();
        for back in 0..LOOKBACK_DAYS {
            if out.len() >= limit {
                break;
            }
            let day = day_key(today - time::Duration::days(back));
            let found = self.day(&day, limit - out.len()).await.map_err(|cause| PortError { service: "DynamoDB", cause })?;
            out.extend(found);
        }
        Ok(out)
    }
}

/// The newest event of a day partition first, optionally only those older than `before` (an `sk`).
impl AuditLog {
    async fn day_page(
        &self,
        day: &str,
        before: Option<&str>,
        start: Option<HashMap<String, AttributeValue>>,
    ) -> Result<(Vec<HashMap<String, AttributeValue>>, Option<HashMap<String, AttributeValue>>), String> {
        let mut req = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_names("#d", "day")
            .expression_attribute_values(":d", AttributeValue::S(day.to_owned()))
            .scan_index_forward(false)
            .set_exclusive_start_key(start);
        req = match before {
            Some(sk) => req
                .key_condition_expression("#d = :d AND sk < :before")
                .expression_attribute_values(":before", AttributeValue::S(sk.to_owned())),
            None => req.key_condition_expression("#d = :d"),
        };
        let page = req.send().await.map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?;
        Ok((page.items.unwrap_or_default(), page.last_evaluated_key))
    }

    /// Events matching `q`, newest first. Walks the day partitions from `to` back to `from`
    /// (default: the last 30 days, at most a year), filtering as it goes.
    pub async fn search(&self, q: &AuditQuery, limit: usize) -> Result<AuditPage, String> {
        let today = OffsetDateTime::now_utc().date();
        let parse = |s: &str| time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok();
        let to = parse(&q.to).unwrap_or(today).min(today);
        let from = parse(&q.from).unwrap_or(to - time::Duration::days(LOOKBACK_DAYS - 1)).max(to - time::Duration::days(366));
        // Cursor: `<day>|<sk>`; the walk resumes in that day, below that sort key.
        let cursor = q.before.split_once('|').and_then(|(d, sk)| Some((parse(d)?, sk.to_owned())));
        let mut day = match &cursor {
            Some((d, _)) => (*d).min(to),
            None => to,
        };
        let actor = q.actor.trim().to_lowercase();
        let mut out = Vec::new();
        while day >= from {
            let key = day_key_of(day);
            let before = cursor.as_ref().filter(|(d, _)| *d == day).map(|(_, sk)| sk.as_str());
            let mut start = None;
            loop {
                let (items, next) = self.day_page(&key, before, start).await?;
                for item in &items {
                    let e = entry(item);
                    let matches = (q.workspace.is_empty() || e.target.as_deref() == Some(q.workspace.as_str()))
                        && (q.action.is_empty() || e.action.starts_with(&q.action))
                        && (actor.is_empty()
                            || [&e.actor_email, &e.actor_sub]
                                .iter()
                                .any(|a| a.as_deref().is_some_and(|a| a.to_lowercase().contains(&actor))));
                    if matches {
                        if out.len() == limit {
                            let next = out.last().map(|(_, cursor): &(AuditEntry, String)| cursor.clone());
                            return Ok(AuditPage { entries: out.into_iter().map(|(e, _)| e).collect(), next });
                        }
                        let sk = item.get("sk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
                        out.push((e, format!("{key}|{sk}")));
                    }
                }
                start = next;
                if start.is_none() {
                    break;
                }
            }
            day = match day.previous_day() {
                Some(d) => d,
                None => break,
            };
        }
        Ok(AuditPage { entries: out.into_iter().map(|(e, _)| e).collect(), next: None })
    }
}

fn day_key_of(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
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
