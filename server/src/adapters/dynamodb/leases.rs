//! Leases in the console's sessions table: an item `id = lease#<name>` that one console instance
//! holds until it runs out, so work meant to run once (the health sweep) runs on one instance.
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use console_core::error::Unavailable;
use console_core::ports::Leases;

use crate::adapters::dynamo_answer;

#[derive(Clone, Debug)]
pub struct DynamoLeases {
    client: Client,
    table: String,
}

impl DynamoLeases {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoLeases {
        DynamoLeases { client, table: table.into() }
    }
}

#[async_trait]
impl Leases for DynamoLeases {
    /// Takes (or extends) the lease `id` for `owner` until `now + seconds`; `false` when another
    /// owner's lease has not run out.
    async fn take(&self, id: &str, owner: &str, now: i64, seconds: i64) -> Result<bool, Unavailable> {
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("id", AttributeValue::S(id.to_owned()))
            .item("owner", AttributeValue::S(owner.to_owned()))
            .item("expires_at", AttributeValue::N((now + seconds).to_string()))
            .condition_expression("attribute_not_exists(id) OR expires_at < :now OR #o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":me", AttributeValue::S(owner.to_owned()))
            .send()
            .await;
        dynamo_answer(res)
    }
}
