//! The user-mapping table (DynamoDB): a workspace's link and invite rows, conditional link
//! writes (never overwrite another admin's or the CLI's link), guarded deletes, and a platform
//! user's links through the `PlatformUserIndex` GSI. Rows are read into [`MappingRow`]s here and
//! written from [`Link`]s and [`Invite`]s. (The pages' reads are shared by `console_core`'s
//! `CachedMappings`, which every write goes through.)
use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use console_core::error::StoreError;
use console_core::ids::{InviteCode, LinkKey, MappingKey, OrgId, PlatformUserId};
use console_core::ports::Mappings;
use console_core::records::user_mapping::{Invite, Link, MappingRow};

use super::registry::s;
use super::{put_texts, text, Item};
use crate::adapters::{dynamo, dynamo_answer, dynamo_down};

/// A mapping row, read with the platform's rules.
pub fn read(item: &Item) -> MappingRow {
    let key = s(item, "linear_identity").unwrap_or_default();
    if let Some(code) = key.strip_prefix("pending#") {
        return match InviteCode::parse(code) {
            Ok(code) => MappingRow::Invite(Invite {
                code,
                org_id: s(item, "linear_workspace_id"),
                org_slug: s(item, "linear_workspace_slug"),
                user_id: s(item, "linear_user_id"),
                user_name: s(item, "linear_user_name"),
                user_email: s(item, "linear_user_email"),
                invited_at: s(item, "invited_at"),
                invited_by: s(item, "invited_by_platform_user_id"),
                ttl: item.get("ttl").and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()),
            }),
            Err(_) => MappingRow::Other(key),
        };
    }
    let status = s(item, "status");
    let sub = s(item, "platform_user_id").and_then(|sub| PlatformUserId::parse(&sub).ok());
    match (LinkKey::parse(&key), sub) {
        // The platform rejects only `pending` rows; any other row with a user is a link.
        (Ok(k), Some(sub)) if status.as_deref() != Some("pending") => MappingRow::Link(Link {
            key: k,
            platform_user_id: sub,
            linked_at: s(item, "linked_at"),
            link_method: s(item, "link_method"),
            status,
            linked_by: s(item, "linked_by_platform_user_id"),
        }),
        _ => MappingRow::Other(key),
    }
}

/// A link row as the contract describes it (plus who linked it, when the console did).
pub fn link_item(l: &Link) -> Item {
    let mut item = HashMap::from([
        ("linear_identity".to_owned(), text(l.key.as_key())),
        ("platform_user_id".to_owned(), text(l.platform_user_id.as_str())),
        ("linear_workspace_id".to_owned(), text(l.key.org_id.as_str())),
        ("linear_user_id".to_owned(), text(l.key.user_id.as_str())),
    ]);
    put_texts(
        &mut item,
        &[
            ("linked_at", &l.linked_at),
            ("status", &l.status),
            ("link_method", &l.link_method),
            ("linked_by_platform_user_id", &l.linked_by),
        ],
    );
    item
}

/// The pending invite row (contract §2).
pub fn invite_item(i: &Invite) -> Item {
    let mut item = HashMap::from([("linear_identity".to_owned(), text(i.code.key())), ("status".to_owned(), text("pending"))]);
    put_texts(
        &mut item,
        &[
            ("linear_workspace_id", &i.org_id),
            ("linear_workspace_slug", &i.org_slug),
            ("linear_user_id", &i.user_id),
            ("linear_user_name", &i.user_name),
            ("linear_user_email", &i.user_email),
            ("invited_at", &i.invited_at),
            ("invited_by_platform_user_id", &i.invited_by),
        ],
    );
    if let Some(ttl) = i.ttl {
        item.insert("ttl".to_owned(), AttributeValue::N(ttl.to_string()));
    }
    item
}

#[derive(Clone, Debug)]
pub struct DynamoMappings {
    client: Client,
    table: String,
}

fn key(identity: &str) -> AttributeValue {
    AttributeValue::S(identity.to_owned())
}

impl DynamoMappings {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoMappings {
        DynamoMappings { client, table: table.into() }
    }

    async fn put_new(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(linear_identity)")
            .send()
            .await
            .map_err(dynamo)?;
        Ok(())
    }
}

#[async_trait]
impl Mappings for DynamoMappings {
    async fn workspace_rows(&self, org: &OrgId) -> Result<Vec<MappingRow>, StoreError> {
        let items = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("linear_workspace_id = :org OR begins_with(linear_identity, :prefix)")
            .expression_attribute_values(":org", AttributeValue::S(org.to_string()))
            .expression_attribute_values(":prefix", AttributeValue::S(format!("{org}#")))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(dynamo_down)?;
        Ok(items.iter().map(read).collect())
    }

    async fn get(&self, k: &MappingKey) -> Result<Option<MappingRow>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("linear_identity", key(&k.as_key()))
            .consistent_read(true)
            .send()
            .await
            .map_err(dynamo_down)?;
        Ok(out.item.as_ref().map(read))
    }

    async fn put_new_link(&self, link: &Link) -> Result<(), StoreError> {
        self.put_new(link_item(link)).await
    }

    async fn put_new_invite(&self, invite: &Invite) -> Result<(), StoreError> {
        self.put_new(invite_item(invite)).await
    }

    async fn replace_link(&self, link: &Link, expected: &PlatformUserId) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(link_item(link)))
            .condition_expression("platform_user_id = :expected")
            .expression_attribute_values(":expected", AttributeValue::S(expected.to_string()))
            .send()
            .await
            .map_err(dynamo)?;
        Ok(())
    }

    async fn delete_link(&self, k: &LinkKey, expected: &PlatformUserId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("linear_identity", key(&k.as_key()))
            .condition_expression("platform_user_id = :expected")
            .expression_attribute_values(":expected", AttributeValue::S(expected.to_string()))
            .send()
            .await
            .map_err(dynamo)?;
        Ok(())
    }

    async fn delete_invite(&self, code: &InviteCode, org: &OrgId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("linear_identity", key(&code.key()))
            .condition_expression("#s = :pending AND linear_workspace_id = :org")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .expression_attribute_values(":org", AttributeValue::S(org.to_string()))
            .send()
            .await
            .map_err(dynamo)?;
        Ok(())
    }

    /// Only while it is still that pending invite (the platform would redeem it until DynamoDB's
    /// lazy TTL deletion gets to it).
    async fn delete_expired_invite(&self, code: &InviteCode, now: i64) -> Result<bool, StoreError> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("linear_identity", key(&code.key()))
            .condition_expression("#s = :pending AND #ttl <= :now")
            .expression_attribute_names("#s", "status")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await;
        Ok(dynamo_answer(res)?)
    }

    async fn expired_invites(&self, now: i64) -> Result<Vec<Invite>, StoreError> {
        let items = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("begins_with(linear_identity, :pending) AND #ttl <= :now")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":pending", AttributeValue::S("pending#".into()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(dynamo_down)?;
        Ok(items
            .iter()
            .filter_map(|i| match read(i) {
                MappingRow::Invite(inv) => Some(inv),
                _ => None,
            })
            .collect())
    }

    async fn delete_all(&self, keys: &[String]) -> Result<usize, StoreError> {
        for k in keys {
            self.client.delete_item().table_name(&self.table).key("linear_identity", key(k)).send().await.map_err(dynamo_down)?;
        }
        Ok(keys.len())
    }

    /// Through the `PlatformUserIndex` GSI (oldest link first).
    async fn of_platform_user(&self, sub: &PlatformUserId) -> Result<Vec<MappingRow>, StoreError> {
        let items = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("PlatformUserIndex")
            .key_condition_expression("platform_user_id = :sub")
            .expression_attribute_values(":sub", AttributeValue::S(sub.to_string()))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(dynamo_down)?;
        Ok(items.iter().map(read).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use console_core::ids::{LinearUserId, OrgId};
    use console_core::records::user_mapping::{InviteFor, LINK_METHOD};

    const ORG: &str = "4f6b3c1e-2a7d-4c8e-9b1f-0d2e3a4b5c6d";

    #[test]
    fn the_fixtures_rows_read_as_the_platform_reads_them() {
        let item = |pairs: &[(&str, &str)]| -> Item { pairs.iter().map(|(k, v)| (k.to_string(), text(*v))).collect() };
        let cli = item(&[
            ("linear_identity", &format!("{ORG}#c1d2")),
            ("platform_user_id", "sub-1"),
            ("status", "active"),
            ("link_method", "cli"),
        ]);
        assert!(matches!(read(&cli), MappingRow::Link(l) if l.key.user_id == "c1d2" && l.platform_user_id == "sub-1"));
        // A legacy row with no status is still honoured by the platform.
        let legacy = item(&[("linear_identity", &format!("{ORG}#d2e3")), ("platform_user_id", "sub-2")]);
        assert!(matches!(read(&legacy), MappingRow::Link(_)));
        let pending_link = item(&[("linear_identity", &format!("{ORG}#d2e3")), ("platform_user_id", "sub-2"), ("status", "pending")]);
        assert!(matches!(read(&pending_link), MappingRow::Other(_)));
        let mut invite = item(&[("linear_identity", "pending#link-k7mp2x9q"), ("status", "pending"), ("linear_user_id", "e3f4")]);
        invite.insert("ttl".into(), AttributeValue::N("1785492000".into()));
        match read(&invite) {
            MappingRow::Invite(i) => {
                assert_eq!(i.ttl, Some(1_785_492_000));
                assert!(i.expired(1_785_492_000) && !i.expired(1_785_491_999));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn written_rows_carry_the_contracts_attributes() {
        let key = LinkKey::new(OrgId::parse(ORG).unwrap(), LinearUserId::parse("u-1").unwrap());
        let sub = PlatformUserId::parse("sub-1").unwrap();
        let row = link_item(&Link::by_console(key.clone(), &sub, "2026-11-23T12:00:00.000Z", "sub-admin"));
        assert_eq!(
            read(&row),
            MappingRow::Link(Link {
                key,
                platform_user_id: sub,
                linked_at: Some("2026-11-23T12:00:00.000Z".into()),
                link_method: Some(LINK_METHOD.into()),
                status: Some("active".into()),
                linked_by: Some("sub-admin".into()),
            })
        );
        let code = InviteCode::parse("link-abcdefgh").unwrap();
        let who = InviteFor { org_id: ORG, org_slug: "acme-eng", user_id: "u-2", user_name: "Dana", user_email: "dana@acme.example" };
        let row = invite_item(&Invite::new(code, &who, "2026-11-23T12:00:00.000Z", "sub-admin", 1_000));
        assert_eq!(row["ttl"].as_n().unwrap(), "87400");
        assert!(matches!(read(&row), MappingRow::Invite(i) if i.user_id.as_deref() == Some("u-2") && !i.expired(87_399)));
    }
}
