//! The platform's workspace registry table in DynamoDB: paged reads, a consistent read of one
//! row, and the conditional install/reconnect write. Parsing rules live in `platform::registry_row`.
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use crate::platform::registry_row::{Expect, InstallRecord, Item};

#[derive(Clone, Debug)]
pub struct Registry {
    client: Client,
    table: String,
}

/// A registry call failed; the cause is for the log.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RegistryError {
    /// The row changed since it was read (another console or a platform Lambda wrote it).
    #[error("the registry row changed meanwhile")]
    Conflict,
    #[error("DynamoDB: {0}")]
    Unavailable(String),
}

fn cause<E: std::error::Error + 'static, R: std::fmt::Debug>(e: aws_sdk_dynamodb::error::SdkError<E, R>) -> RegistryError {
    RegistryError::Unavailable(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
}

impl Registry {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Registry { client, table: table.into() }
    }

    /// Every row, all Scan pages.
    pub async fn items(&self) -> Result<Vec<Item>, RegistryError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self.client.scan().table_name(&self.table).set_exclusive_start_key(start).send().await.map_err(cause)?;
            out.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(out);
            }
        }
    }

    /// One row, read consistently (a write is about to be conditioned on it).
    pub async fn get(&self, org_id: &str) -> Result<Option<Item>, RegistryError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("linear_workspace_id", AttributeValue::S(org_id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(cause)?;
        Ok(out.item)
    }

    /// Writes an install or reconnect, on condition that the row is still as read.
    pub async fn record_install(&self, record: &InstallRecord, expect: &Expect, previous: Option<&Item>) -> Result<(), RegistryError> {
        let u = record.update(expect, previous);
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("linear_workspace_id", AttributeValue::S(record.org_id.clone()))
            .update_expression(u.update)
            .condition_expression(u.condition)
            .set_expression_attribute_names(Some(u.names))
            .set_expression_attribute_values(Some(u.values))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Err(RegistryError::Conflict),
            Err(e) => Err(cause(e)),
        }
    }

    /// Records a secret that could not be deleted, as the platform does (contract §1).
    pub async fn mark_orphaned(&self, org_id: &str, arn: &str, error: &str) -> Result<(), RegistryError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("linear_workspace_id", AttributeValue::S(org_id.to_owned()))
            .update_expression("SET secret_deletion_failed = :t, secret_deletion_error = :e, orphaned_oauth_secret_arn = :a")
            .condition_expression("attribute_exists(linear_workspace_id)")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":e", AttributeValue::S(error.chars().take(500).collect()))
            .expression_attribute_values(":a", AttributeValue::S(arn.to_owned()))
            .send()
            .await
            .map_err(cause)?;
        Ok(())
    }
}
