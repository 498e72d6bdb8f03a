//! Failed sign-ins in the console's sessions table, shared by every console instance: an item
//! `id = throttle#<kind>#<key>` with `count`, `first`, `last` and `expires_at` (the table's TTL).
//! Session items are keyed `s#<hash>` and leases `lease#<name>`, so none can be read as another.
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use console_core::error::{Service, StoreError, Unavailable};
use console_core::ports::SignInCounters;
use console_core::sign_in_throttle::{Failures, Limits};

use crate::adapters::{dynamo, dynamo_down};

#[derive(Clone, Debug)]
pub struct DynamoCounters {
    client: Client,
    table: String,
}

fn number(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

fn failures(item: &std::collections::HashMap<String, AttributeValue>) -> Option<Failures> {
    Some(Failures { count: u32::try_from(number(item, "count")?).ok()?, first: number(item, "first")?, last: number(item, "last")? })
}

impl DynamoCounters {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoCounters {
        DynamoCounters { client, table: table.into() }
    }
}

#[async_trait]
impl SignInCounters for DynamoCounters {
    /// The failures recorded under `id`, if any.
    async fn read(&self, id: &str) -> Result<Option<Failures>, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(dynamo_down)?;
        Ok(out.item.as_ref().and_then(failures))
    }

    /// Counts a failure under `id` at `now`, atomically (two instances failing at once both count):
    /// added to the current window, or, when that is over, the first of a new one. The new count.
    async fn fail(&self, id: &str, limits: &Limits, now: i64) -> Result<Failures, Unavailable> {
        let expires = AttributeValue::N((now + limits.keep_for()).to_string());
        let nums = |v: i64| AttributeValue::N(v.to_string());
        // The count goes on while its window is open (`first` recent, not locked) or its lock runs
        // (the last failure recent); otherwise this failure is the first of a new window.
        let open = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_owned()))
            .update_expression("ADD #c :one SET #l = :now, #f = if_not_exists(#f, :now), expires_at = :exp")
            .condition_expression(
                "attribute_not_exists(id) OR (#f > :window_start AND #c < :lock_after) OR (#c >= :lock_after AND #l > :lock_start)",
            )
            .expression_attribute_names("#c", "count")
            .expression_attribute_names("#l", "last")
            .expression_attribute_names("#f", "first")
            .expression_attribute_values(":one", nums(1))
            .expression_attribute_values(":now", nums(now))
            .expression_attribute_values(":exp", expires.clone())
            .expression_attribute_values(":window_start", nums(now - limits.window))
            .expression_attribute_values(":lock_after", nums(i64::from(limits.lock_after)))
            .expression_attribute_values(":lock_start", nums(now - limits.lock_for))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match open.map_err(dynamo) {
            Ok(out) => {
                return out
                    .attributes
                    .as_ref()
                    .and_then(failures)
                    .ok_or_else(|| Unavailable::new(Service::DynamoDb, "the counter came back unreadable"))
            }
            Err(StoreError::Conflict) => {}
            Err(StoreError::Unavailable(u)) => return Err(u),
        }
        let fresh = Failures { count: 1, first: now, last: now };
        self.client
            .put_item()
            .table_name(&self.table)
            .item("id", AttributeValue::S(id.to_owned()))
            .item("count", nums(1))
            .item("first", nums(now))
            .item("last", nums(now))
            .item("expires_at", expires)
            .send()
            .await
            .map_err(dynamo_down)?;
        Ok(fresh)
    }

    /// Forgets the failures under `id` (an account after a successful sign-in).
    async fn clear(&self, id: &str) -> Result<(), Unavailable> {
        self.client.delete_item().table_name(&self.table).key("id", AttributeValue::S(id.to_owned())).send().await.map_err(dynamo_down)?;
        Ok(())
    }
}
