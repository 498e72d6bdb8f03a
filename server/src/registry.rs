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

    /// Removes the orphaned-secret markers, only while they name `arn` (another orphan stays
    /// recorded). `false` when they named something else or were already gone.
    pub async fn clear_orphan(&self, org_id: &str, arn: &str) -> Result<bool, RegistryError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("linear_workspace_id", AttributeValue::S(org_id.to_owned()))
            .update_expression("REMOVE secret_deletion_failed, secret_deletion_error, orphaned_oauth_secret_arn")
            .condition_expression("orphaned_oauth_secret_arn = :a")
            .expression_attribute_values(":a", AttributeValue::S(arn.to_owned()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(cause(e)),
        }
    }

    /// Takes the console's short lease on a row (one refresh at a time across instances).
    /// `Conflict` when another holder's lease has not run out.
    pub async fn take_lease(&self, org_id: &str, owner: &str, now: i64, seconds: i64) -> Result<(), RegistryError> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("linear_workspace_id", AttributeValue::S(org_id.to_owned()))
            .update_expression("SET console_lease_owner = :me, console_lease_until = :until")
            .condition_expression(
                "attribute_exists(linear_workspace_id) AND (attribute_not_exists(console_lease_until) OR console_lease_until < :now)",
            )
            .expression_attribute_values(":me", AttributeValue::S(owner.to_owned()))
            .expression_attribute_values(":until", AttributeValue::N((now + seconds).to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Err(RegistryError::Conflict),
            Err(e) => Err(cause(e)),
        }
    }

    /// Gives the lease back and records the refresh attempt, only if the lease is still ours.
    pub async fn release_lease(&self, org_id: &str, owner: &str, refresh: Option<(&str, Option<&str>, Option<&str>)>) -> Result<(), RegistryError> {
        let mut update = "REMOVE console_lease_owner, console_lease_until".to_owned();
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("linear_workspace_id", AttributeValue::S(org_id.to_owned()))
            .condition_expression("console_lease_owner = :me")
            .expression_attribute_values(":me", AttributeValue::S(owner.to_owned()));
        if let Some((at, error, expires)) = refresh {
            let mut set = vec!["last_refresh_at = :at"];
            req = req.expression_attribute_values(":at", AttributeValue::S(at.to_owned()));
            if let Some(exp) = expires {
                set.push("token_expires_at = :exp");
                req = req.expression_attribute_values(":exp", AttributeValue::S(exp.to_owned()));
            }
            match error {
                Some(e) => {
                    set.push("last_refresh_error = :err");
                    req = req.expression_attribute_values(":err", AttributeValue::S(e.to_owned()));
                }
                None => update.push_str(", last_refresh_error"),
            }
            update = format!("SET {} {update}", set.join(", "));
        }
        match req.update_expression(update).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Err(RegistryError::Conflict),
            Err(e) => Err(cause(e)),
        }
    }

    /// Records a *Check now* (and the token expiry it saw).
    pub async fn record_check(&self, org_id: &str, at: &str, result: &str, expires_at: Option<&str>) -> Result<(), RegistryError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("linear_workspace_id", AttributeValue::S(org_id.to_owned()))
            .condition_expression("attribute_exists(linear_workspace_id)")
            .expression_attribute_values(":at", AttributeValue::S(at.to_owned()))
            .expression_attribute_values(":r", AttributeValue::S(result.to_owned()));
        let update = match expires_at {
            Some(exp) => {
                req = req.expression_attribute_values(":exp", AttributeValue::S(exp.to_owned()));
                "SET last_check_at = :at, last_check_result = :r, token_expires_at = :exp"
            }
            None => "SET last_check_at = :at, last_check_result = :r",
        };
        req.update_expression(update).send().await.map_err(cause)?;
        Ok(())
    }
}
