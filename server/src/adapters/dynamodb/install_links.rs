//! Install links, in the console's incidents table (its general-purpose partitions; a page lists
//! every link with one Query):
//!
//! | `pk` | `sk` | what |
//! |---|---|---|
//! | `install-link` | `<SHA-256 of the token>` | one link: who made it, for what, until when, what became of it (TTL 30 days past its expiry) |
//!
//! A link changes only while it is waiting (and, to be used, unexpired): conditional writes, so a
//! link is used once, and never after it was revoked.
use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use console_core::error::{StoreError, Unavailable};
use console_core::ids::{OrgId, UrlKey};
use console_core::ports::InstallLinkStore;
use console_core::records::install_links::{Bound, InstallLink, LinkUse, Purpose};

use super::registry::s;
use super::{put_texts, text, Item};
use crate::adapters::{dynamo, dynamo_down};

const PK: &str = "install-link";
/// Kept this long past its expiry, for its state to be seen.
const KEEP_SECONDS: i64 = 30 * 24 * 3600;

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn get_n(item: &Item, k: &str) -> Option<i64> {
    item.get(k).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

fn item(l: &InstallLink) -> Item {
    let mut item = HashMap::from([
        ("pk".to_owned(), text(PK)),
        ("sk".to_owned(), text(&l.id)),
        ("tail".to_owned(), text(&l.tail)),
        ("created_by_sub".to_owned(), text(&l.created_by_sub)),
        ("created_by_email".to_owned(), text(&l.created_by_email)),
        ("created_at".to_owned(), n(l.created_at)),
        ("expires_at".to_owned(), n(l.expires_at)),
        ("ttl".to_owned(), n(l.expires_at + KEEP_SECONDS)),
        ("state".to_owned(), text("waiting")),
    ]);
    let (purpose, org) = match &l.purpose {
        Purpose::Install => ("install", None),
        Purpose::Reconnect(org) => ("reconnect", Some(org.to_string())),
    };
    item.insert("purpose".to_owned(), text(purpose));
    let (bound_org, bound_key) = match &l.bound {
        Some(Bound::Org(o)) => (Some(o.to_string()), None),
        Some(Bound::UrlKey(k)) => (None, Some(k.to_string())),
        None => (None, None),
    };
    put_texts(
        &mut item,
        &[("org_id", &org), ("slug", &l.slug), ("bound_org", &bound_org), ("bound_url_key", &bound_key), ("note", &l.note)],
    );
    item
}

fn read(item: &Item) -> Option<InstallLink> {
    let purpose = match (s(item, "purpose").as_deref(), s(item, "org_id")) {
        (Some("reconnect"), Some(org)) => Purpose::Reconnect(OrgId::parse(&org).ok()?),
        _ => Purpose::Install,
    };
    let bound = match (s(item, "bound_org"), s(item, "bound_url_key")) {
        (Some(o), _) => Some(Bound::Org(OrgId::parse(&o).ok()?)),
        (None, Some(k)) => Some(Bound::UrlKey(UrlKey::parse(&k).ok()?)),
        (None, None) => None,
    };
    let state = match s(item, "state").as_deref() {
        Some("used") => LinkUse::Used {
            at: get_n(item, "used_at").unwrap_or_default(),
            org_id: s(item, "used_org").unwrap_or_default(),
            slug: s(item, "used_slug"),
            stated_by: s(item, "used_stated_by"),
        },
        Some("revoked") => {
            LinkUse::Revoked { at: get_n(item, "revoked_at").unwrap_or_default(), by: s(item, "revoked_by").unwrap_or_default() }
        }
        _ => LinkUse::Waiting,
    };
    Some(InstallLink {
        id: s(item, "sk")?,
        tail: s(item, "tail").unwrap_or_default(),
        created_by_sub: s(item, "created_by_sub").unwrap_or_default(),
        created_by_email: s(item, "created_by_email").unwrap_or_default(),
        created_at: get_n(item, "created_at").unwrap_or_default(),
        expires_at: get_n(item, "expires_at").unwrap_or_default(),
        purpose,
        slug: s(item, "slug"),
        bound,
        note: s(item, "note"),
        state,
    })
}

#[derive(Clone, Debug)]
pub struct DynamoInstallLinks {
    client: Client,
    table: String,
}

impl DynamoInstallLinks {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoInstallLinks {
        DynamoInstallLinks { client, table: table.into() }
    }

    fn key(id: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([("pk".to_owned(), text(PK)), ("sk".to_owned(), text(id))])
    }
}

#[async_trait]
impl InstallLinkStore for DynamoInstallLinks {
    async fn create(&self, link: &InstallLink) -> Result<(), StoreError> {
        let req = self.client.put_item().table_name(&self.table).set_item(Some(item(link)));
        req.condition_expression("attribute_not_exists(sk)").send().await.map_err(dynamo)?;
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<InstallLink>, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(dynamo_down)?;
        Ok(out.item.as_ref().and_then(read))
    }

    async fn all(&self) -> Result<Vec<InstallLink>, Unavailable> {
        let items = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", text(PK))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(dynamo_down)?;
        Ok(items.iter().filter_map(read).collect())
    }

    async fn claim(&self, id: &str, now: i64, used: &LinkUse) -> Result<(), StoreError> {
        let LinkUse::Used { at, org_id, slug, stated_by } = used else { return Err(StoreError::Conflict) };
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(id)))
            .condition_expression("#s = :waiting AND expires_at > :now")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":waiting", text("waiting"))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":used", text("used"))
            .expression_attribute_values(":at", n(*at))
            .expression_attribute_values(":org", text(org_id));
        let mut set = "SET #s = :used, used_at = :at, used_org = :org".to_owned();
        if let Some(slug) = slug {
            set.push_str(", used_slug = :slug");
            req = req.expression_attribute_values(":slug", text(slug));
        }
        if let Some(by) = stated_by {
            set.push_str(", used_stated_by = :by");
            req = req.expression_attribute_values(":by", text(by));
        }
        req.update_expression(set).send().await.map_err(dynamo)?;
        Ok(())
    }

    async fn revoke(&self, id: &str, by: &str, at: i64) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(id)))
            .condition_expression("#s = :waiting")
            .update_expression("SET #s = :revoked, revoked_at = :at, revoked_by = :by")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":waiting", text("waiting"))
            .expression_attribute_values(":revoked", text("revoked"))
            .expression_attribute_values(":at", n(at))
            .expression_attribute_values(":by", text(by))
            .send()
            .await
            .map_err(dynamo)?;
        Ok(())
    }
}
