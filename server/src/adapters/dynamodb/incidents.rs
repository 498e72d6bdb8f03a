//! The console's incidents table: open incidents, resolved ones, alert deliveries and the health
//! history, each in partitions a page reads with one Query.
//!
//! | `pk` | `sk` | what |
//! |---|---|---|
//! | `open` | `<org>#<kind>` | an open incident; the key makes one per (workspace, kind), created conditionally |
//! | `resolved#<YYYY-MM>` | `<resolved at>#<id>` | a resolved incident (TTL 90 days) |
//! | `watch` | `<org>` | since when the workspace has been degraded without a break |
//! | `alert` | `<incident id>#<event>#<channel>` | one delivery, claimed conditionally before it is sent |
//! | `days` | `<YYYY-MM-DD>#<org>` | the worst health of the day (the timeline and the sparkline) |
//! | `health#<org>` | `<time>#<event>` | each check, refresh and health change (TTL 90 days) |

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use console_core::error::{Service, Unavailable};
use console_core::health::Health;
use console_core::incidents::{Incident, IncidentKind};
use console_core::ports::{DayHealth, Delivery, IncidentStore, CLAIM_SECONDS};
use console_core::time::day;

use super::{put_texts, text, Item};
use crate::adapters::{dynamo_answer, dynamo_down, unavailable};

/// Resolved incidents, history and deliveries are kept this long.
pub const KEEP_SECONDS: i64 = 90 * 24 * 3600;
#[derive(Clone, Debug)]
pub struct DynamoIncidents {
    client: Client,
    table: String,
}

/// A request that could not be built (a missing field: the console's own fault).
fn unbuilt(e: aws_sdk_dynamodb::error::BuildError) -> Unavailable {
    unavailable(Service::DynamoDb, e)
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn get_s(item: &Item, k: &str) -> Option<String> {
    item.get(k).and_then(|v| v.as_s().ok()).cloned()
}

fn get_n(item: &Item, k: &str) -> Option<i64> {
    item.get(k).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

fn month(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}", t.year(), u8::from(t.month()))
}

fn incident_item(i: &Incident) -> Item {
    let mut item = Item::from([
        ("id".to_owned(), text(&i.id)),
        ("org_id".to_owned(), text(&i.org_id)),
        ("kind".to_owned(), text(i.kind.code())),
        ("first_seen".to_owned(), n(i.first_seen)),
        ("last_seen".to_owned(), n(i.last_seen)),
        ("evidence".to_owned(), text(&i.evidence)),
        ("snooze_resolved".to_owned(), AttributeValue::Bool(i.snoozed_until_resolved)),
    ]);
    put_texts(&mut item, &[("slug", &i.slug), ("name", &i.name), ("ack_by", &i.acknowledged_by), ("note", &i.note)]);
    if let Some(until) = i.snoozed_until {
        item.insert("snoozed_until".to_owned(), n(until));
    }
    if let Some(at) = i.resolved_at {
        item.insert("resolved_at".to_owned(), n(at));
    }
    item
}

fn incident(item: &Item) -> Option<Incident> {
    Some(Incident {
        id: get_s(item, "id")?,
        org_id: get_s(item, "org_id")?,
        slug: get_s(item, "slug"),
        name: get_s(item, "name"),
        kind: IncidentKind::from_code(&get_s(item, "kind")?)?,
        first_seen: get_n(item, "first_seen")?,
        last_seen: get_n(item, "last_seen")?,
        resolved_at: get_n(item, "resolved_at"),
        evidence: get_s(item, "evidence").unwrap_or_default(),
        acknowledged_by: get_s(item, "ack_by"),
        note: get_s(item, "note"),
        snoozed_until: get_n(item, "snoozed_until"),
        snoozed_until_resolved: item.get("snooze_resolved").and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
    })
}

fn open_key(org_id: &str, kind: IncidentKind) -> (AttributeValue, AttributeValue) {
    (text("open"), text(format!("{org_id}#{}", kind.code())))
}

fn delivery(item: &Item) -> Option<Delivery> {
    let sk = get_s(item, "sk")?;
    let mut parts = sk.rsplitn(3, '#');
    let channel = parts.next()?.parse().ok()?;
    let event = parts.next()?.to_owned();
    let incident_id = parts.next()?.to_owned();
    Some(Delivery {
        incident_id,
        event,
        channel,
        channel_label: get_s(item, "channel").unwrap_or_default(),
        delivered: item.get("delivered").and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
        attempts: get_n(item, "attempts").unwrap_or(0) as u32,
        error: get_s(item, "error"),
        at: get_n(item, "at").unwrap_or(0),
        next_at: get_n(item, "next_at"),
        message: get_s(item, "message").unwrap_or_default(),
    })
}

impl DynamoIncidents {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoIncidents {
        DynamoIncidents { client, table: table.into() }
    }

    /// Every item of partition `pk` (every page), its sort keys starting with `sk_prefix` or from `sk_from`.
    async fn query(&self, pk: &str, sk_prefix: Option<&str>, sk_from: Option<&str>) -> Result<Vec<Item>, Unavailable> {
        let q =
            self.client.query().table_name(&self.table).expression_attribute_names("#p", "pk").expression_attribute_values(":p", text(pk));
        let q = match (sk_prefix, sk_from) {
            (Some(prefix), _) => q
                .key_condition_expression("#p = :p AND begins_with(#s, :s)")
                .expression_attribute_names("#s", "sk")
                .expression_attribute_values(":s", text(prefix)),
            (None, Some(from)) => q
                .key_condition_expression("#p = :p AND #s >= :s")
                .expression_attribute_names("#s", "sk")
                .expression_attribute_values(":s", text(from)),
            (None, None) => q.key_condition_expression("#p = :p"),
        };
        q.into_paginator().items().send().try_collect().await.map_err(dynamo_down)
    }

    async fn query_owned(&self, pk: String, from: String) -> Result<Vec<Item>, Unavailable> {
        self.query(&pk, None, Some(&from)).await
    }

    async fn update_open(
        &self,
        org_id: &str,
        kind: IncidentKind,
        update: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<bool, Unavailable> {
        let (pk, sk) = open_key(org_id, kind);
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression(update)
            .condition_expression("attribute_exists(sk)");
        for (k, v) in values {
            req = req.expression_attribute_values(*k, v.clone());
        }
        dynamo_answer(req.send().await)
    }
}

#[async_trait]
impl IncidentStore for DynamoIncidents {
    /// Every open incident (one Query), or one workspace's.
    async fn open(&self, org_id: Option<&str>) -> Result<Vec<Incident>, Unavailable> {
        let prefix = org_id.map(|o| format!("{o}#"));
        Ok(self.query("open", prefix.as_deref(), None).await?.iter().filter_map(incident).collect())
    }

    /// Opens an incident unless one of its (workspace, kind) is open: `false` then (another
    /// instance, or the sweep and a *Check now*, opened it first).
    async fn create(&self, i: &Incident) -> Result<bool, Unavailable> {
        let (pk, sk) = open_key(&i.org_id, i.kind);
        let mut item = incident_item(i);
        item.insert("pk".into(), pk);
        item.insert("sk".into(), sk);
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(sk)")
            .send()
            .await;
        dynamo_answer(put)
    }

    /// The same kind seen again while open: only "last seen" and the evidence move.
    async fn seen(&self, org_id: &str, kind: IncidentKind, now: i64, evidence: &str) -> Result<(), Unavailable> {
        let (pk, sk) = open_key(org_id, kind);
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression("SET last_seen = :now, evidence = :e")
            .condition_expression("attribute_exists(sk)")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":e", text(evidence))
            .send()
            .await;
        dynamo_answer(res).map(|_| ())
    }

    /// Moves an open incident to the resolved ones, in one transaction conditioned on it still
    /// being that incident: `false` when another instance resolved it first.
    async fn resolve(&self, i: &Incident, now: i64) -> Result<bool, Unavailable> {
        let (pk, sk) = open_key(&i.org_id, i.kind);
        let mut resolved = Incident { resolved_at: Some(now), ..i.clone() };
        resolved.last_seen = resolved.last_seen.max(now);
        let mut item = incident_item(&resolved);
        item.insert("pk".into(), text(format!("resolved#{}", month(now))));
        item.insert("sk".into(), text(format!("{now:012}#{}", i.id)));
        item.insert("ttl".into(), n(now + KEEP_SECONDS));
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .condition_expression("id = :id")
            .expression_attribute_values(":id", text(&i.id))
            .build()
            .map_err(unbuilt)?;
        let put = Put::builder().table_name(&self.table).set_item(Some(item)).build().map_err(unbuilt)?;
        let res = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await;
        dynamo_answer(res)
    }

    /// Resolved incidents since `since` (this month's and last month's partitions).
    async fn resolved_since(&self, since: i64, now: i64) -> Result<Vec<Incident>, Unavailable> {
        let mut months = vec![month(now)];
        let mut at = now;
        while month(at) != month(since) && months.len() < 4 {
            at -= 28 * 24 * 3600;
            let m = month(at.max(since));
            if !months.contains(&m) {
                months.push(m);
            }
        }
        let from = format!("{since:012}");
        let reads = months.iter().map(|m| self.query_owned(format!("resolved#{m}"), from.clone()));
        let mut out = Vec::new();
        for items in futures::future::join_all(reads).await {
            out.extend(items?.iter().filter_map(incident));
        }
        Ok(out)
    }

    /// *Acknowledge* (with a note) an open incident; `false` when it is no longer open.
    async fn acknowledge(&self, org_id: &str, kind: IncidentKind, by: &str, note: &str) -> Result<bool, Unavailable> {
        self.update_open(org_id, kind, "SET ack_by = :by, note = :note", &[(":by", text(by)), (":note", text(note))]).await
    }

    /// *Snooze*: quiet until `until`, or until resolved.
    async fn snooze(&self, org_id: &str, kind: IncidentKind, until: Option<i64>) -> Result<bool, Unavailable> {
        match until {
            Some(t) => {
                self.update_open(
                    org_id,
                    kind,
                    "SET snoozed_until = :t, snooze_resolved = :f",
                    &[(":t", n(t)), (":f", AttributeValue::Bool(false))],
                )
                .await
            }
            None => self.update_open(org_id, kind, "SET snooze_resolved = :t", &[(":t", AttributeValue::Bool(true))]).await,
        }
    }

    /// Since when the workspace has been degraded without a break (`None`: it is not).
    async fn degraded_since(&self, org_id: &str) -> Result<Option<i64>, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", text("watch"))
            .key("sk", text(org_id))
            .send()
            .await
            .map_err(dynamo_down)?;
        Ok(out.item.as_ref().and_then(|i| get_n(i, "degraded_since")))
    }

    async fn set_degraded_since(&self, org_id: &str, since: Option<i64>) -> Result<(), Unavailable> {
        let req = self.client.update_item().table_name(&self.table).key("pk", text("watch")).key("sk", text(org_id));
        let req = match since {
            Some(t) => {
                req.update_expression("SET degraded_since = if_not_exists(degraded_since, :t)").expression_attribute_values(":t", n(t))
            }
            None => req.update_expression("REMOVE degraded_since"),
        };
        req.send().await.map_err(dynamo_down)?;
        Ok(())
    }

    /// Keeps a check, refresh or health change, and folds it into the day's worst health.
    async fn record_health(&self, org_id: &str, now: i64, event: &str, health: Health, detail: &str) -> Result<(), Unavailable> {
        let history = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", text(format!("health#{org_id}")))
            .item("sk", text(format!("{now:012}#{event}")))
            .item("health", text(health.code()))
            .item("detail", text(detail))
            .item("ttl", n(now + KEEP_SECONDS))
            .send();
        let rank = i64::from(health.severity());
        let rollup = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", text("days"))
            .key("sk", text(format!("{}#{org_id}", day(now))))
            .update_expression("SET worst = :r, health = :h, org_id = :o, #t = :ttl")
            .condition_expression("attribute_not_exists(worst) OR worst < :r")
            .expression_attribute_names("#t", "ttl")
            .expression_attribute_values(":r", n(rank))
            .expression_attribute_values(":h", text(health.code()))
            .expression_attribute_values(":o", text(org_id))
            .expression_attribute_values(":ttl", n(now + KEEP_SECONDS))
            .send();
        let (h, r) = futures::join!(history, rollup);
        h.map_err(dynamo_down)?;
        dynamo_answer(r).map(|_| ())
    }

    /// The worst health of each (day, workspace) from `from_day` on (one Query for every workspace).
    async fn days_since(&self, from_day: &str) -> Result<Vec<DayHealth>, Unavailable> {
        let items = self.query("days", None, Some(from_day)).await?;
        Ok(items
            .iter()
            .filter_map(|i| {
                let sk = get_s(i, "sk")?;
                let (d, org) = sk.split_once('#')?;
                Some(DayHealth { day: d.to_owned(), org_id: org.to_owned(), health: Health::from_code(&get_s(i, "health")?)? })
            })
            .collect())
    }

    /// Claims a delivery before it is made: `false` when another instance claimed it.
    async fn claim(&self, d: &Delivery) -> Result<bool, Unavailable> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", text("alert"))
            .item("sk", text(format!("{}#{}#{}", d.incident_id, d.event, d.channel)))
            .item("channel", text(&d.channel_label))
            .item("delivered", AttributeValue::Bool(false))
            .item("attempts", n(0))
            .item("at", n(d.at))
            .item("message", text(&d.message))
            .item("ttl", n(d.at + KEEP_SECONDS))
            // Due for a retry in two minutes unless an outcome is recorded first: a sender that
            // dies between the claim and the send (a frozen Lambda, a crash) leaves no alert lost.
            .item("next_at", n(d.at + CLAIM_SECONDS))
            .condition_expression("attribute_not_exists(sk)")
            .send()
            .await;
        dynamo_answer(put)
    }

    /// Records how a delivery went.
    async fn delivered(&self, d: &Delivery) -> Result<(), Unavailable> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", text("alert"))
            .key("sk", text(format!("{}#{}#{}", d.incident_id, d.event, d.channel)))
            .expression_attribute_values(":d", AttributeValue::Bool(d.delivered))
            .expression_attribute_values(":a", n(i64::from(d.attempts)))
            .expression_attribute_values(":at", n(d.at));
        req = match (&d.error, d.next_at) {
            (Some(e), Some(next)) => req
                .update_expression("SET delivered = :d, attempts = :a, #at = :at, #e = :e, next_at = :n")
                .expression_attribute_names("#e", "error")
                .expression_attribute_values(":e", text(e))
                .expression_attribute_values(":n", n(next)),
            (Some(e), None) => req
                .update_expression("SET delivered = :d, attempts = :a, #at = :at, #e = :e REMOVE next_at")
                .expression_attribute_names("#e", "error")
                .expression_attribute_values(":e", text(e)),
            _ => req
                .update_expression("SET delivered = :d, attempts = :a, #at = :at REMOVE #e, next_at")
                .expression_attribute_names("#e", "error"),
        };
        req.expression_attribute_names("#at", "at").send().await.map_err(dynamo_down)?;
        Ok(())
    }

    /// Every delivery kept (one Query), for the pages and the retries.
    async fn deliveries(&self) -> Result<Vec<Delivery>, Unavailable> {
        Ok(self.query("alert", None, None).await?.iter().filter_map(delivery).collect())
    }
}
