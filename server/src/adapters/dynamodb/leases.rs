//! Leases in the console's sessions table: an item `id = lease#<name>` that one console instance
//! holds until it runs out, so work meant to run once (the health sweep) runs on one instance.
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

#[derive(Clone, Debug)]
pub struct Leases {
    client: Client,
    table: String,
}

#[derive(Debug, thiserror::Error)]
#[error("DynamoDB: {}", crate::adapters::chain(.0.as_ref()))]
pub struct LeaseError(#[source] crate::adapters::Cause);

impl Leases {
    pub fn new(client: Client, table: impl Into<String>) -> Leases {
        Leases { client, table: table.into() }
    }

    /// Takes (or extends) the lease `id` for `owner` until `now + seconds`; `false` when another
    /// owner's lease has not run out.
    pub async fn take(&self, id: &str, owner: &str, now: i64, seconds: i64) -> Result<bool, LeaseError> {
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
        match res {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(LeaseError(Box::new(e))),
        }
    }
}
