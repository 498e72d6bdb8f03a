//! The console's audit log: one DynamoDB item per event, partitioned by UTC day.
//! Item: `day` (S, partition, `YYYY-MM-DD`), `sk` (S, sort, `<time>#<uuid>`), `feed` (S, `all`),
//! then the fields. Read through two indexes, so a page of the log is one Query: `ByTime`
//! (`feed`, `sk`: every event, newest first) and `ByWorkspace` (`target`, `sk`: one workspace's).
use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use console_core::audit::AuditEvent;
use console_core::error::Unavailable;
use console_core::ports::{AuditEntry, AuditFilter, AuditPage, AuditStore};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::put_texts;
use crate::adapters::dynamo_down;

#[derive(Clone, Debug)]
pub struct DynamoAudit {
    client: Client,
    table: String,
}

/// Events read per query when a filter drops some of them after reading.
const FILTERED_PAGE: usize = 500;
/// How far back a view without days looks for events, and how far back any view may.
const LOOKBACK_DAYS: i64 = 30;
const MAX_DAYS: i64 = 366;

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

fn day_key(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
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
        key: s("sk").unwrap_or_default(),
        resent: s("resent"),
    }
}

/// The table key of the event an entry's `key` (its sort key, `<RFC 3339 time>#<id>`) names: the
/// partition is the time's UTC day. `None` for anything else.
fn table_key(key: &str) -> Option<(String, String)> {
    let (when, id) = key.split_once('#')?;
    let at = OffsetDateTime::parse(when, &Rfc3339).ok()?;
    let ok = id.len() <= 64 && !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    (ok && at.offset().is_utc()).then(|| (day_key(at.date()), key.to_owned()))
}

impl DynamoAudit {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoAudit { client, table: table.into() }
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
        (limit, page): (usize, usize),
        keep: impl Fn(&AuditEntry) -> bool,
    ) -> Result<(Vec<(AuditEntry, String)>, bool), Unavailable> {
        let upper = before.filter(|b| *b < to).unwrap_or(to);
        let (name, key, value) = match index {
            Index::ByTime => ("ByTime", "feed", FEED),
            Index::ByWorkspace(org) => ("ByWorkspace", "target", org),
        };
        let mut pages = self
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
            .limit(i32::try_from(page).unwrap_or(i32::MAX))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            for item in page.map_err(dynamo_down)?.items() {
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
        }
        Ok((out, false))
    }

    /// Applies `update` to the event under `key` when `condition` holds (`:n` is `note` in both):
    /// whether it did (`false` for a key that names no event, too).
    async fn update_if(&self, key: &str, update: &str, condition: &str, note: &str) -> Result<bool, Unavailable> {
        let Some((day, sk)) = table_key(key) else { return Ok(false) };
        let done = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("day", AttributeValue::S(day))
            .key("sk", AttributeValue::S(sk))
            .update_expression(update)
            .condition_expression(condition)
            .expression_attribute_values(":n", AttributeValue::S(note.to_owned()))
            .send()
            .await;
        match done {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(dynamo_down(e)),
        }
    }

    /// Gives every event written before the indexes existed its place in `ByTime` (once per
    /// table: a marker item records that it was done). Run at start; cheap when already done.
    pub async fn migrate(&self) -> Result<usize, Unavailable> {
        let marker = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("day", AttributeValue::S(MIGRATIONS.to_owned()))
            .key("sk", AttributeValue::S("feed-index".to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(dynamo_down)?;
        if marker.item.is_some() {
            return Ok(0);
        }
        let items = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("attribute_not_exists(feed) AND #d <> :m")
            .expression_attribute_names("#d", "day")
            .expression_attribute_values(":m", AttributeValue::S(MIGRATIONS.to_owned()))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(dynamo_down)?;
        let mut moved = 0;
        for item in &items {
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
                .map_err(dynamo_down)?;
            moved += 1;
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .item("day", AttributeValue::S(MIGRATIONS.to_owned()))
            .item("sk", AttributeValue::S("feed-index".to_owned()))
            .item("events", AttributeValue::N(moved.to_string()))
            .send()
            .await
            .map_err(dynamo_down)?;
        Ok(moved)
    }
}

#[async_trait]
impl AuditStore for DynamoAudit {
    async fn append(&self, ev: &AuditEvent, at: OffsetDateTime, id: &str) -> Result<(), Unavailable> {
        let when = at.format(&Rfc3339).unwrap_or_default();
        let mut item = HashMap::from([
            ("day".to_owned(), AttributeValue::S(day_key(at.date()))),
            ("sk".to_owned(), AttributeValue::S(format!("{when}#{id}"))),
            ("at".to_owned(), AttributeValue::S(when)),
            ("action".to_owned(), AttributeValue::S(ev.action.code().to_owned())),
            ("outcome".to_owned(), AttributeValue::S(ev.outcome.code().to_owned())),
            // Every event in the `ByTime` index (with `target`, also in `ByWorkspace`).
            ("feed".to_owned(), AttributeValue::S(FEED.to_owned())),
        ]);
        put_texts(&mut item, &ev.texts());
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(dynamo_down)?;
        Ok(())
    }

    /// Events matching `q`, newest first, a page at a time: one Query of an index (one workspace's
    /// events, or every event) between the view's days (default: the last 30, at most a year).
    async fn search(&self, q: &AuditFilter, limit: usize, today: time::Date) -> Result<AuditPage, Unavailable> {
        let to = q.to.unwrap_or(today).min(today);
        let from = q.from.unwrap_or(to - time::Duration::days(LOOKBACK_DAYS - 1)).max(to - time::Duration::days(MAX_DAYS));
        // Sort keys start with the RFC 3339 time, so a day's bounds are prefixes.
        let (lo, hi) = (day_key(from), format!("{}T~", day_key(to)));
        let actor = q.actor.trim().to_lowercase();
        let workspace = q.workspace.as_ref().map(|w| w.as_str());
        let keep = |e: &AuditEntry| {
            workspace.is_none_or(|w| e.target.as_deref() == Some(w))
                && (q.action.is_empty() || e.action.starts_with(&q.action))
                && (actor.is_empty()
                    || [&e.actor_email, &e.actor_sub].iter().any(|a| a.as_deref().is_some_and(|a| a.to_lowercase().contains(&actor))))
        };
        let index = match workspace {
            Some(w) => Index::ByWorkspace(w),
            None => Index::ByTime,
        };
        // Pages of what the page shows and one more (and the cursor's own event) when the index's key
        // is the whole filter; larger ones when events are filtered after reading. Without a limit
        // each query returned up to 1 MB of events, a page of 100 taking all of them.
        let page = if q.action.is_empty() && actor.is_empty() { limit + 2 } else { FILTERED_PAGE };
        let (found, more) = self.walk(index, (&lo, &hi), q.before.as_deref(), (limit, page), keep).await?;
        // Cursor: `<day>|<sk>`: events strictly older than that sort key.
        let next = more.then(|| found.last().map(|(e, sk)| format!("{}|{sk}", e.at.get(..10).unwrap_or("0000-00-00")))).flatten();
        Ok(AuditPage { entries: found.into_iter().map(|(e, _)| e).collect(), next })
    }

    async fn get(&self, key: &str) -> Result<Option<AuditEntry>, Unavailable> {
        let Some((day, sk)) = table_key(key) else { return Ok(None) };
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("day", AttributeValue::S(day))
            .key("sk", AttributeValue::S(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(dynamo_down)?;
        Ok(out.item.as_ref().map(entry))
    }

    async fn mark_resent(&self, key: &str, note: &str) -> Result<bool, Unavailable> {
        self.update_if(key, "SET resent = :n", "attribute_exists(sk) AND attribute_not_exists(resent)", note).await
    }

    async fn unmark_resent(&self, key: &str, note: &str) -> Result<(), Unavailable> {
        self.update_if(key, "REMOVE resent", "resent = :n", note).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_keys_sort_as_dates() {
        assert_eq!(day_key(time::macros::date!(2026 - 01 - 05)), "2026-01-05");
    }

    #[test]
    fn an_entrys_key_names_its_day_and_nothing_else_is_a_key() {
        let key = "2026-12-03T23:59:59.5Z#6f1d0c9e-3b52-4c1a-9a7e-2d8f41b0c3aa";
        assert_eq!(table_key(key), Some(("2026-12-03".to_owned(), key.to_owned())));
        assert_eq!(table_key("_migrations#feed-index"), None);
        assert_eq!(table_key("2026-12-03T10:00:00+02:00#abc"), None, "keys are written in UTC");
        assert_eq!(table_key("2026-12-03T10:00:00Z#a b"), None);
        assert_eq!(table_key("2026-12-03T10:00:00Z"), None);
    }
}
