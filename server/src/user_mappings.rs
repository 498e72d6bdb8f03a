//! The user-mapping table (DynamoDB): a workspace's link and invite rows, conditional link
//! writes (never overwrite another admin's or the CLI's link), guarded deletes, and a
//! platform user's links through the `PlatformUserIndex` GSI.
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use crate::platform::registry_row::{s, Item};

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// The condition did not hold: someone else wrote or removed the row meanwhile.
    #[error("the row changed meanwhile")]
    Conflict,
    #[error("DynamoDB: {0}")]
    Unavailable(String),
}

fn cause<E: std::error::Error + 'static, R: std::fmt::Debug>(e: aws_sdk_dynamodb::error::SdkError<E, R>) -> MappingError {
    MappingError::Unavailable(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
}

/// `Conflict` for a failed condition, `Unavailable` for anything else.
fn conditional<E, R>(e: aws_sdk_dynamodb::error::SdkError<E, R>) -> MappingError
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    if e.as_service_error().and_then(|s| s.code()) == Some("ConditionalCheckFailedException") {
        MappingError::Conflict
    } else {
        cause(e)
    }
}

#[derive(Clone, Debug)]
pub struct UserMappings {
    client: Client,
    table: String,
}

impl UserMappings {
    pub fn new(client: Client, table: impl Into<String>) -> UserMappings {
        UserMappings { client, table: table.into() }
    }

    fn key(identity: &str) -> (String, AttributeValue) {
        ("linear_identity".to_owned(), AttributeValue::S(identity.to_owned()))
    }

    /// Every row of a workspace: links (also legacy ones without `linear_workspace_id`) and invites.
    pub async fn workspace_rows(&self, org_id: &str) -> Result<Vec<Item>, MappingError> {
        let mut rows = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("linear_workspace_id = :org OR begins_with(linear_identity, :prefix)")
                .expression_attribute_values(":org", AttributeValue::S(org_id.to_owned()))
                .expression_attribute_values(":prefix", AttributeValue::S(format!("{org_id}#")))
                .set_exclusive_start_key(start)
                .consistent_read(true)
                .send()
                .await
                .map_err(cause)?;
            rows.extend(page.items().iter().cloned());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(rows);
            }
        }
    }

    pub async fn get(&self, identity: &str) -> Result<Option<Item>, MappingError> {
        let (k, v) = Self::key(identity);
        let out = self.client.get_item().table_name(&self.table).key(k, v).consistent_read(true).send().await.map_err(cause)?;
        Ok(out.item)
    }

    /// Writes a new row; `Conflict` if the key exists (a link someone made meanwhile).
    pub async fn put_new(&self, item: Item) -> Result<(), MappingError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(linear_identity)")
            .send()
            .await
            .map_err(conditional)?;
        Ok(())
    }

    /// Replaces a link only while it still names `expected` as its platform user.
    pub async fn replace_link(&self, item: Item, expected: &str) -> Result<(), MappingError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("platform_user_id = :expected")
            .expression_attribute_values(":expected", AttributeValue::S(expected.to_owned()))
            .send()
            .await
            .map_err(conditional)?;
        Ok(())
    }

    /// Deletes a link only while it still names `expected` as its platform user.
    pub async fn delete_link(&self, identity: &str, expected: &str) -> Result<(), MappingError> {
        let (k, v) = Self::key(identity);
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(k, v)
            .condition_expression("platform_user_id = :expected")
            .expression_attribute_values(":expected", AttributeValue::S(expected.to_owned()))
            .send()
            .await
            .map_err(conditional)?;
        Ok(())
    }

    /// Deletes a pending invite of this workspace; `Conflict` if it is gone or belongs elsewhere.
    pub async fn delete_invite(&self, identity: &str, org_id: &str) -> Result<(), MappingError> {
        let (k, v) = Self::key(identity);
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(k, v)
            .condition_expression("#s = :pending AND linear_workspace_id = :org")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .expression_attribute_values(":org", AttributeValue::S(org_id.to_owned()))
            .send()
            .await
            .map_err(conditional)?;
        Ok(())
    }

    /// Deletes rows by key, unconditionally (a workspace's removal).
    pub async fn delete_all(&self, identities: &[String]) -> Result<usize, MappingError> {
        for identity in identities {
            let (k, v) = Self::key(identity);
            self.client.delete_item().table_name(&self.table).key(k, v).send().await.map_err(cause)?;
        }
        Ok(identities.len())
    }

    /// A platform user's rows, through the `PlatformUserIndex` GSI (oldest link first).
    pub async fn of_platform_user(&self, sub: &str) -> Result<Vec<Item>, MappingError> {
        let mut rows = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("PlatformUserIndex")
                .key_condition_expression("platform_user_id = :sub")
                .expression_attribute_values(":sub", AttributeValue::S(sub.to_owned()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(cause)?;
            rows.extend(page.items().iter().cloned());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(rows);
            }
        }
    }
}

/// The keys of rows, for deletion.
pub fn identities(rows: &[Item]) -> Vec<String> {
    rows.iter().filter_map(|i| s(i, "linear_identity")).collect()
}
