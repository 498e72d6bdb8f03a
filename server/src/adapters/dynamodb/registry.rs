//! The platform's workspace registry table in DynamoDB: every read and write of it. Rows become
//! [`RegistryRecord`]s here (and records rows again), so nothing else handles a raw item.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use console_core::error::StoreError;
use console_core::health::CheckResult;
use console_core::ids::OrgId;
use console_core::ports::{RefreshRecord, RegistryStore};
use console_core::records::registry::{Bookkeeping, Expect, OrphanedSecret, RegistryRecord, Revocation, Status, REVOKED_BY_ADMIN};

use super::put_texts;
use crate::adapters::{dynamo, dynamo_down};

pub use super::Item;

#[derive(Clone, Debug)]
pub struct DynamoRegistry {
    client: Client,
    table: String,
}

/// A string attribute, `None` when absent, not a string, or empty.
pub fn s(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).filter(|v| !v.is_empty()).cloned()
}

/// Reads a row as the platform would; `None` for an item without an organization id the console
/// can address (the platform's ids are UUIDs).
pub fn read(item: &Item) -> Option<RegistryRecord> {
    let raw = s(item, "linear_workspace_id")?;
    let org_id = match OrgId::parse(&raw) {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!(error = %e.about("linear_workspace_id"), "a registry row the console cannot address is left out");
            return None;
        }
    };
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
    let c = &r.console;
    put_texts(
        &mut item,
        &[
            ("linear_workspace_id", &Some(r.org_id.to_string())),
            ("workspace_slug", &r.slug),
            ("oauth_secret_arn", &r.secret_arn),
            ("status", &r.status.as_ref().map(|s| s.as_str().to_owned())),
            ("installed_by_platform_user_id", &r.installed_by),
            ("installed_at", &r.installed_at),
            ("updated_at", &r.updated_at),
            ("revoked_at", &r.revocation.at),
            ("revoked_reason", &r.revocation.reason),
            ("revoked_by_platform_user_id", &r.revocation.by),
            ("revocation_announced_at", &r.revocation.announced_at),
            ("provider_name", &r.vault_provider),
            ("workspace_name", &c.name),
            ("token_expires_at", &c.token_expires_at),
            ("last_check_at", &c.last_check_at),
            ("last_check_result", &c.last_check_result),
            ("last_refresh_at", &c.last_refresh_at),
            ("last_refresh_error", &c.last_refresh_error),
            ("reconnected_by_platform_user_id", &c.reconnected_by),
            ("reconnected_at", &c.reconnected_at),
        ],
    );
    if let Some(o) = &r.orphan {
        put_texts(&mut item, &[("orphaned_oauth_secret_arn", &Some(o.arn.clone())), ("secret_deletion_error", &o.error)]);
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

fn key(org: &OrgId) -> AttributeValue {
    AttributeValue::S(org.to_string())
}

impl DynamoRegistry {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoRegistry { client, table: table.into() }
    }

    fn update(&self, org: &OrgId) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client.update_item().table_name(&self.table).key("linear_workspace_id", key(org))
    }
}

#[async_trait]
impl RegistryStore for DynamoRegistry {
    /// Every row (a Scan, every page).
    async fn all(&self) -> Result<Vec<RegistryRecord>, StoreError> {
        let items = self.client.scan().table_name(&self.table).into_paginator().items().send().try_collect().await.map_err(dynamo_down)?;
        Ok(items.iter().filter_map(read).collect())
    }

    async fn get(&self, org: &OrgId) -> Result<Option<RegistryRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("linear_workspace_id", key(org))
            .consistent_read(true)
            .send()
            .await
            .map_err(dynamo_down)?;
        Ok(out.item.as_ref().and_then(read))
    }

    /// The whole row (the CLI's Put), on condition that it is still what was read.
    async fn put_install(&self, row: &RegistryRecord, expect: &Expect) -> Result<(), StoreError> {
        let mut req = self.client.put_item().table_name(&self.table).set_item(Some(item(row)));
        req = match expect {
            Expect::Absent => req.condition_expression("attribute_not_exists(linear_workspace_id)"),
            Expect::InstalledAt(None) => {
                req.condition_expression("attribute_exists(linear_workspace_id) AND attribute_not_exists(installed_at)")
            }
            Expect::InstalledAt(Some(at)) => {
                req.condition_expression("installed_at = :prev").expression_attribute_values(":prev", AttributeValue::S(at.clone()))
            }
        };
        req.send().await.map_err(dynamo)?;
        Ok(())
    }

    /// Kept as it is when it already says so (a rerun keeps the first time).
    async fn mark_revoked(&self, org: &OrgId, by: &str, at: &str) -> Result<(), StoreError> {
        self.update(org)
            .update_expression(
                "SET #s = :revoked, revoked_reason = :why, revoked_by_platform_user_id = :by, revoked_at = :now, updated_at = :now",
            )
            .condition_expression("attribute_exists(linear_workspace_id)")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":revoked", AttributeValue::S(Status::Revoked.as_str().to_owned()))
            .expression_attribute_values(":why", AttributeValue::S(REVOKED_BY_ADMIN.into()))
            .expression_attribute_values(":by", AttributeValue::S(by.to_owned()))
            .expression_attribute_values(":now", AttributeValue::S(at.to_owned()))
            .send()
            .await
            .map_err(dynamo)?;
        Ok(())
    }

    async fn delete_revoked(&self, org: &OrgId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("linear_workspace_id", key(org))
            .condition_expression("#s = :revoked")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":revoked", AttributeValue::S(Status::Revoked.as_str().to_owned()))
            .send()
            .await
            .map_err(dynamo)?;
        Ok(())
    }

    /// As the platform records a secret it could not delete (contract §1).
    async fn mark_orphaned(&self, org: &OrgId, arn: &str, error: &str) -> Result<(), StoreError> {
        self.update(org)
            .update_expression("SET secret_deletion_failed = :t, secret_deletion_error = :e, orphaned_oauth_secret_arn = :a")
            .condition_expression("attribute_exists(linear_workspace_id)")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":e", AttributeValue::S(error.chars().take(500).collect()))
            .expression_attribute_values(":a", AttributeValue::S(arn.to_owned()))
            .send()
            .await
            .map_err(dynamo)?;
        Ok(())
    }

    async fn clear_orphan(&self, org: &OrgId, arn: &str) -> Result<bool, StoreError> {
        let res = self
            .update(org)
            .update_expression("REMOVE secret_deletion_failed, secret_deletion_error, orphaned_oauth_secret_arn")
            .condition_expression("orphaned_oauth_secret_arn = :a")
            .expression_attribute_values(":a", AttributeValue::S(arn.to_owned()))
            .send()
            .await;
        Ok(crate::adapters::dynamo_answer(res)?)
    }

    async fn take_lease(&self, org: &OrgId, owner: &str, now: i64, seconds: i64) -> Result<(), StoreError> {
        self.update(org)
            .update_expression("SET console_lease_owner = :me, console_lease_until = :until")
            .condition_expression(
                "attribute_exists(linear_workspace_id) AND (attribute_not_exists(console_lease_until) OR console_lease_until < :now)",
            )
            .expression_attribute_values(":me", AttributeValue::S(owner.to_owned()))
            .expression_attribute_values(":until", AttributeValue::N((now + seconds).to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await
            .map_err(dynamo)?;
        Ok(())
    }

    async fn release_lease(&self, org: &OrgId, owner: &str, refresh: Option<&RefreshRecord>) -> Result<(), StoreError> {
        let mut update = "REMOVE console_lease_owner, console_lease_until".to_owned();
        let mut req = self
            .update(org)
            .condition_expression("console_lease_owner = :me")
            .expression_attribute_values(":me", AttributeValue::S(owner.to_owned()));
        if let Some(r) = refresh {
            let mut set = vec!["last_refresh_at = :at"];
            req = req.expression_attribute_values(":at", AttributeValue::S(r.at.clone()));
            if let Some(exp) = &r.expires_at {
                set.push("token_expires_at = :exp");
                req = req.expression_attribute_values(":exp", AttributeValue::S(exp.clone()));
            }
            match &r.error {
                Some(e) => {
                    set.push("last_refresh_error = :err");
                    req = req.expression_attribute_values(":err", AttributeValue::S(e.clone()));
                }
                None => update.push_str(", last_refresh_error"),
            }
            update = format!("SET {} {update}", set.join(", "));
        }
        req.update_expression(update).send().await.map_err(dynamo)?;
        Ok(())
    }

    async fn record_check(&self, org: &OrgId, at: &str, result: CheckResult, expires_at: Option<&str>) -> Result<(), StoreError> {
        let mut req = self
            .update(org)
            .condition_expression("attribute_exists(linear_workspace_id)")
            .expression_attribute_values(":at", AttributeValue::S(at.to_owned()))
            .expression_attribute_values(":r", AttributeValue::S(result.code().to_owned()));
        let update = match expires_at {
            Some(exp) => {
                req = req.expression_attribute_values(":exp", AttributeValue::S(exp.to_owned()));
                "SET last_check_at = :at, last_check_result = :r, token_expires_at = :exp"
            }
            None => "SET last_check_at = :at, last_check_result = :r",
        };
        req.update_expression(update).send().await.map_err(dynamo)?;
        Ok(())
    }
}
