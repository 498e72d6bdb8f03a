//! The platform's workspace registry table in DynamoDB: every read and write of it. Rows become
//! [`RegistryRecord`]s here (and records rows again), so nothing else handles a raw item.
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use crate::domain::registry::{Bookkeeping, Expect, InstallRecord, OrphanedSecret, RegistryRecord, Revocation, Status, REVOKED_BY_ADMIN};

pub type Item = HashMap<String, AttributeValue>;

#[derive(Clone, Debug)]
pub struct Registry {
    client: Client,
    table: String,
}

/// A registry call failed; the SDK error is kept as the cause (for the log, never a page).
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The row changed since it was read (another console or a platform Lambda wrote it).
    #[error("the registry row changed meanwhile")]
    Conflict,
    #[error("DynamoDB: {}", crate::adapters::chain(.0.as_ref()))]
    Unavailable(#[source] crate::adapters::Cause),
}

fn cause<E, R>(e: aws_sdk_dynamodb::error::SdkError<E, R>) -> RegistryError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    RegistryError::Unavailable(Box::new(e))
}

/// `Conflict` for a failed condition, the cause otherwise.
fn conditional<E, R>(e: aws_sdk_dynamodb::error::SdkError<E, R>) -> RegistryError
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if e.as_service_error().and_then(|s| s.code()) == Some("ConditionalCheckFailedException") {
        RegistryError::Conflict
    } else {
        cause(e)
    }
}

/// A string attribute, `None` when absent, not a string, or empty.
pub fn s(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).filter(|v| !v.is_empty()).cloned()
}

/// Reads a row as the platform would; `None` for an item without an organization id.
pub fn read(item: &Item) -> Option<RegistryRecord> {
    let org_id = s(item, "linear_workspace_id")?;
    let team_keys = item
        .get("team_keys")
        .and_then(|v| v.as_l().ok())
        .map(|l| l.iter().filter_map(|k| k.as_s().ok().cloned()).collect())
        .unwrap_or_default();
    let lease_until = item.get("console_lease_until").and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok());
    Some(RegistryRecord {
        org_id,
        slug: s(item, "workspace_slug"),
        secret_arn: s(item, "oauth_secret_arn"),
        status: s(item, "status").map(|v| Status::parse(&v)),
        installed_by: s(item, "installed_by_platform_user_id"),
        installed_at: s(item, "installed_at"),
        updated_at: s(item, "updated_at"),
        team_keys,
        revocation: Revocation {
            at: s(item, "revoked_at"),
            reason: s(item, "revoked_reason"),
            by: s(item, "revoked_by_platform_user_id"),
            announced_at: s(item, "revocation_announced_at"),
        },
        orphan: s(item, "orphaned_oauth_secret_arn").map(|arn| OrphanedSecret { arn, error: s(item, "secret_deletion_error") }),
        vault_provider: s(item, "provider_name"),
        console: Bookkeeping {
            name: s(item, "workspace_name"),
            token_expires_at: s(item, "token_expires_at"),
            last_check_at: s(item, "last_check_at"),
            last_check_result: s(item, "last_check_result"),
            last_refresh_at: s(item, "last_refresh_at"),
            last_refresh_error: s(item, "last_refresh_error"),
            reconnected_by: s(item, "reconnected_by_platform_user_id"),
            reconnected_at: s(item, "reconnected_at"),
            lease: s(item, "console_lease_owner").zip(lease_until),
        },
    })
}

/// The whole item for a record: the CLI's attributes with the CLI's types (`team_keys` left out
/// when empty), then the platform's optional ones and the console's bookkeeping, each only when set.
pub fn item(r: &RegistryRecord) -> Item {
    let mut item = Item::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            item.insert(k.to_owned(), AttributeValue::S(v.clone()));
        }
    };
    put("linear_workspace_id", &Some(r.org_id.clone()));
    put("workspace_slug", &r.slug);
    put("oauth_secret_arn", &r.secret_arn);
    put("status", &r.status.as_ref().map(|s| s.as_str().to_owned()));
    put("installed_by_platform_user_id", &r.installed_by);
    put("installed_at", &r.installed_at);
    put("updated_at", &r.updated_at);
    put("revoked_at", &r.revocation.at);
    put("revoked_reason", &r.revocation.reason);
    put("revoked_by_platform_user_id", &r.revocation.by);
    put("revocation_announced_at", &r.revocation.announced_at);
    put("provider_name", &r.vault_provider);
    let c = &r.console;
    put("workspace_name", &c.name);
    put("token_expires_at", &c.token_expires_at);
    put("last_check_at", &c.last_check_at);
    put("last_check_result", &c.last_check_result);
    put("last_refresh_at", &c.last_refresh_at);
    put("last_refresh_error", &c.last_refresh_error);
    put("reconnected_by_platform_user_id", &c.reconnected_by);
    put("reconnected_at", &c.reconnected_at);
    if let Some(o) = &r.orphan {
        put("orphaned_oauth_secret_arn", &Some(o.arn.clone()));
        put("secret_deletion_error", &o.error);
        item.insert("secret_deletion_failed".to_owned(), AttributeValue::Bool(true));
    }
    if let Some((owner, until)) = &c.lease {
        item.insert("console_lease_owner".to_owned(), AttributeValue::S(owner.clone()));
        item.insert("console_lease_until".to_owned(), AttributeValue::N(until.to_string()));
    }
    if !r.team_keys.is_empty() {
        item.insert("team_keys".to_owned(), AttributeValue::L(r.team_keys.iter().map(|k| AttributeValue::S(k.clone())).collect()));
    }
    item
}

impl Registry {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Registry { client, table: table.into() }
    }

    fn key(org_id: &str) -> (String, AttributeValue) {
        ("linear_workspace_id".to_owned(), AttributeValue::S(org_id.to_owned()))
    }

    /// Every row, all Scan pages.
    pub async fn records(&self) -> Result<Vec<RegistryRecord>, RegistryError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self.client.scan().table_name(&self.table).set_exclusive_start_key(start).send().await.map_err(cause)?;
            out.extend(page.items().iter().filter_map(read));
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(out);
            }
        }
    }

    /// One row, read consistently (a write is about to be conditioned on it).
    pub async fn get(&self, org_id: &str) -> Result<Option<RegistryRecord>, RegistryError> {
        let (k, v) = Self::key(org_id);
        let out = self.client.get_item().table_name(&self.table).key(k, v).consistent_read(true).send().await.map_err(cause)?;
        Ok(out.item.as_ref().and_then(read))
    }

    /// Writes an install or reconnect as a whole row (the CLI's Put), on condition that the row
    /// is still what was read. Returns the row written.
    pub async fn record_install(
        &self,
        install: &InstallRecord,
        expect: &Expect,
        previous: Option<&RegistryRecord>,
    ) -> Result<RegistryRecord, RegistryError> {
        let row = install.row(previous);
        let mut req = self.client.put_item().table_name(&self.table).set_item(Some(item(&row)));
        req = match expect {
            Expect::Absent => req.condition_expression("attribute_not_exists(linear_workspace_id)"),
            Expect::InstalledAt(None) => {
                req.condition_expression("attribute_exists(linear_workspace_id) AND attribute_not_exists(installed_at)")
            }
            Expect::InstalledAt(Some(at)) => {
                req.condition_expression("installed_at = :prev").expression_attribute_values(":prev", AttributeValue::S(at.clone()))
            }
        };
        req.send().await.map_err(conditional)?;
        Ok(row)
    }

    /// Marks the row revoked by an admin (`status`, `revoked_reason`, who and when), so the
    /// platform stops using it. Kept as it is when it already says so (a rerun keeps the first time).
    pub async fn mark_revoked(&self, org_id: &str, by: &str, now: &str) -> Result<(), RegistryError> {
        let (k, v) = Self::key(org_id);
        self.client
            .update_item()
            .table_name(&self.table)
            .key(k, v)
            .update_expression(
                "SET #s = :revoked, revoked_reason = :why, revoked_by_platform_user_id = :by, revoked_at = :now, updated_at = :now",
            )
            .condition_expression("attribute_exists(linear_workspace_id)")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":revoked", AttributeValue::S(Status::Revoked.as_str().to_owned()))
            .expression_attribute_values(":why", AttributeValue::S(REVOKED_BY_ADMIN.into()))
            .expression_attribute_values(":by", AttributeValue::S(by.to_owned()))
            .expression_attribute_values(":now", AttributeValue::S(now.to_owned()))
            .send()
            .await
            .map_err(cause)?;
        Ok(())
    }

    /// Deletes the row, only while it is revoked (a reconnect meanwhile keeps it).
    pub async fn delete_revoked(&self, org_id: &str) -> Result<(), RegistryError> {
        let (k, v) = Self::key(org_id);
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(k, v)
            .condition_expression("#s = :revoked")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":revoked", AttributeValue::S(Status::Revoked.as_str().to_owned()))
            .send()
            .await
            .map_err(conditional)?;
        Ok(())
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
    pub async fn release_lease(
        &self,
        org_id: &str,
        owner: &str,
        refresh: Option<(&str, Option<&str>, Option<&str>)>,
    ) -> Result<(), RegistryError> {
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
