//! The console's audit log: one DynamoDB item per event, partitioned by UTC day.
//! Item: `day` (S, partition, `YYYY-MM-DD`), `sk` (S, sort, `<time>#<uuid>`), `feed` (S, `all`),
//! then the fields. Read through two indexes, so a page of the log is one Query: `ByTime`
//! (`feed`, `sk`: every event, newest first) and `ByWorkspace` (`target`, `sk`: one workspace's).
use std::collections::HashMap;

use app::ports::{AuditPort, PortError, PortResult};
use app::wire::{AuditEntry, AuditPage, AuditQuery};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::adapters::read_cache::ReadCache;
use crate::domain::audit::AuditEvent;

#[derive(Clone, Debug)]
pub struct AuditLog {
    client: Client,
    table: String,
    /// Pages of the log (`/audit`, a workspace's history) shared by every request for a short
    /// while; every event this instance writes drops them.
    pages: ReadCache<String, AuditPage>,
}

/// How far back `recent` looks for events.
const LOOKBACK_DAYS: i64 = 30;

impl AuditLog {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        AuditLog { client, table: table.into(), pages: ReadCache::new(std::time::Duration::ZERO) }
    }

    /// Reuses a page of the log for `ttl` (zero: each read is a Query). Events another instance
    /// writes show within `ttl`; this instance's own at once.
    pub fn with_cache(mut self, ttl: std::time::Duration) -> Self {
        self.pages = ReadCache::new(ttl);
        self
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
            // Every event in the `ByTime` index (with `target`, also in `ByWorkspace`).
            ("feed".to_owned(), AttributeValue::S(FEED.to_owned())),
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
        self.pages.invalidate();
        let res = self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await;
        // Again once written: a page read while the write was under way is not kept.
        self.pages.invalidate();
        res.map(|_| ()).map_err(|e| {
            let msg = aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string();
            tracing::error!(action = ev.action, error = %msg, "audit event not written");
            msg
        })
    }

    /// Events newest first from an index partition (`ByTime`: every event; `ByWorkspace`: one
    /// workspace's), between `from` and `to` (sort keys), older than `before`, that `keep` accepts:
    /// at most `limit`, and whether more remain. One Query page holds hundreds of events, so a
    /// page of the log is one round trip unless a filter is very selective.
    async fn walk(
        &self,
        index: Index<'_>,
        (from, to): (&str, &str),
        before: Option<&str>,
        limit: usize,
        keep: impl Fn(&AuditEntry) -> bool,
    ) -> Result<(Vec<(AuditEntry, String)>, bool), String> {
        let upper = before.filter(|b| *b < to).unwrap_or(to);
        let (name, key, value) = match index {
            Index::ByTime => ("ByTime", "feed", FEED),
            Index::ByWorkspace(org) => ("ByWorkspace", "target", org),
        };
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(name)
                .key_condition_expression("#k = :k AND sk BETWEEN :from AND :to")
                .expression_attribute_names("#k", key)
                .expression_attribute_values(":k", AttributeValue::S(value.to_owned()))
                .expression_attribute_values(":from", AttributeValue::S(from.to_owned()))
                .expression_attribute_values(":to", AttributeValue::S(upper.to_owned()))
                .scan_index_forward(false)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?;
            for item in page.items() {
                let sk = item.get("sk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
                if before.is_some_and(|b| sk.as_str() >= b) {
                    continue;
                }
                let e = entry(item);
                if keep(&e) {
                    if out.len() == limit {
                        return Ok((out, true));
                    }
                    out.push((e, sk));
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok((out, false));
            }
        }
    }

    /// Gives every event written before the indexes existed its place in `ByTime` (once per
    /// table: a marker item records that it was done). Run at start; cheap when already done.
    pub async fn migrate(&self) -> Result<usize, String> {
        let marker = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("day", AttributeValue::S(MIGRATIONS.to_owned()))
            .key("sk", AttributeValue::S("feed-index".to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| crate::adapters::chain(&e))?;
        if marker.item.is_some() {
            return Ok(0);
        }
        let mut moved = 0;
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("attribute_not_exists(feed) AND #d <> :m")
                .expression_attribute_names("#d", "day")
                .expression_attribute_values(":m", AttributeValue::S(MIGRATIONS.to_owned()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| crate::adapters::chain(&e))?;
            for item in page.items() {
                let (Some(day), Some(sk)) = (item.get("day"), item.get("sk")) else { continue };
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .key("day", day.clone())
                    .key("sk", sk.clone())
                    .update_expression("SET feed = :f")
                    .expression_attribute_values(":f", AttributeValue::S(FEED.to_owned()))
                    .send()
                    .await
                    .map_err(|e| crate::adapters::chain(&e))?;
                moved += 1;
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .item("day", AttributeValue::S(MIGRATIONS.to_owned()))
            .item("sk", AttributeValue::S("feed-index".to_owned()))
            .item("events", AttributeValue::N(moved.to_string()))
            .send()
            .await
            .map_err(|e| crate::adapters::chain(&e))?;
        Ok(moved)
    }
}

/// Which index a walk reads.
#[derive(Clone, Copy)]
enum Index<'a> {
    ByTime,
    ByWorkspace(&'a str),
}

/// The `ByTime` index's one partition value.
const FEED: &str = "all";
/// The partition of the table's own bookkeeping (migrations done), read by no page.
const MIGRATIONS: &str = "_migrations";

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
        let key = format!("search|{limit}|{}", serde_json::to_string(query).unwrap_or_default());
        self.pages.get_or_read(key, || AuditLog::search(self, query, limit)).await.map_err(|cause| PortError { service: "DynamoDB", cause })
    }

    async fn recent(&self, limit: usize) -> PortResult<Vec<AuditEntry>> {
        let read = || async {
            let (found, _) = self.walk(Index::ByTime, ("0", "~"), None, limit, |_| true).await?;
            Ok(AuditPage { entries: found.into_iter().map(|(e, _)| e).collect(), next: None })
        };
        let page =
            self.pages.get_or_read(format!("recent|{limit}"), read).await.map_err(|cause| PortError { service: "DynamoDB", cause })?;
        Ok(page.entries)
    }
}

impl AuditLog {
    /// Events matching `q`, newest first, a page at a time: one Query of an index (one workspace's
    /// events, or every event) between the view's days (default: the last 30, at most a year).
    pub async fn search(&self, q: &AuditQuery, limit: usize) -> Result<AuditPage, String> {
        let today = OffsetDateTime::now_utc().date();
        let parse = |s: &str| time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok();
        let to = parse(&q.to).unwrap_or(today).min(today);
        let from = parse(&q.from).unwrap_or(to - time::Duration::days(LOOKBACK_DAYS - 1)).max(to - time::Duration::days(366));
        // Sort keys start with the RFC 3339 time, so a day's bounds are prefixes.
        let (lo, hi) = (day_key_of(from), format!("{}T~", day_key_of(to)));
        // Cursor: `<day>|<sk>`: events strictly older than that sort key.
        let before = q.before.split_once('|').map(|(_, sk)| sk.to_owned());
        let actor = q.actor.trim().to_lowercase();
        let keep = |e: &AuditEntry| {
            (q.workspace.is_empty() || e.target.as_deref() == Some(q.workspace.as_str()))
                && (q.action.is_empty() || e.action.starts_with(&q.action))
                && (actor.is_empty()
                    || [&e.actor_email, &e.actor_sub].iter().any(|a| a.as_deref().is_some_and(|a| a.to_lowercase().contains(&actor))))
        };
        let index = if q.workspace.is_empty() { Index::ByTime } else { Index::ByWorkspace(&q.workspace) };
        let (found, more) = self.walk(index, (&lo, &hi), before.as_deref(), limit, keep).await?;
        let next = more.then(|| found.last().map(|(e, sk)| format!("{}|{sk}", e.at.get(..10).unwrap_or("0000-00-00")))).flatten();
        Ok(AuditPage { entries: found.into_iter().map(|(e, _)| e).collect(), next })
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
