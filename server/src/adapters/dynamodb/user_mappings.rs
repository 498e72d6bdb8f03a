//! The user-mapping table (DynamoDB): a workspace's link and invite rows, conditional link
//! writes (never overwrite another admin's or the CLI's link), guarded deletes, and a
//! platform user's links through the `PlatformUserIndex` GSI. Rows are read into
//! [`MappingRow`]s here and written from [`Link`]s and [`Invite`]s.
use crate::adapters::read_cache::ReadCache;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use super::registry::{s, Item};
use crate::domain::user_mapping::{Invite, InviteCode, Link, LinkKey, MappingRow};

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// The condition did not hold: someone else wrote or removed the row meanwhile.
    #[error("the row changed meanwhile")]
    Conflict,
    #[error("DynamoDB: {}", crate::adapters::chain(.0.as_ref()))]
    Unavailable(#[source] crate::adapters::Cause),
}

fn cause<E, R>(e: aws_sdk_dynamodb::error::SdkError<E, R>) -> MappingError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    MappingError::Unavailable(Box::new(e))
}

/// `Conflict` for a failed condition, `Unavailable` for anything else.
fn conditional<E, R>(e: aws_sdk_dynamodb::error::SdkError<E, R>) -> MappingError
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if e.as_service_error().and_then(|s| s.code()) == Some("ConditionalCheckFailedException") {
        MappingError::Conflict
    } else {
        cause(e)
    }
}

/// A mapping row, read with the platform's rules.
pub fn read(item: &Item) -> MappingRow {
    let key = s(item, "linear_identity").unwrap_or_default();
    if let Some(code) = key.strip_prefix("pending#") {
        return match InviteCode::parse(code) {
            Some(code) => MappingRow::Invite(Invite {
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
            None => MappingRow::Other(key),
        };
    }
    let status = s(item, "status");
    match (LinkKey::parse(&key), s(item, "platform_user_id")) {
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

fn str_attr(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

/// A link row as the contract describes it (plus who linked it, when the console did).
pub fn link_item(l: &Link) -> Item {
    let mut item = HashMap::from([
        ("linear_identity".to_owned(), str_attr(&l.key.as_key())),
        ("platform_user_id".to_owned(), str_attr(&l.platform_user_id)),
        ("linear_workspace_id".to_owned(), str_attr(&l.key.org_id)),
        ("linear_user_id".to_owned(), str_attr(&l.key.user_id)),
    ]);
    for (k, v) in
        [("linked_at", &l.linked_at), ("status", &l.status), ("link_method", &l.link_method), ("linked_by_platform_user_id", &l.linked_by)]
    {
        if let Some(v) = v {
            item.insert(k.to_owned(), str_attr(v));
        }
    }
    item
}

/// The pending invite row (contract §2).
pub fn invite_item(i: &Invite) -> Item {
    let mut item = HashMap::from([("linear_identity".to_owned(), str_attr(&i.code.key())), ("status".to_owned(), str_attr("pending"))]);
    for (k, v) in [
        ("linear_workspace_id", &i.org_id),
        ("linear_workspace_slug", &i.org_slug),
        ("linear_user_id", &i.user_id),
        ("linear_user_name", &i.user_name),
        ("linear_user_email", &i.user_email),
        ("invited_at", &i.invited_at),
        ("invited_by_platform_user_id", &i.invited_by),
    ] {
        if let Some(v) = v {
            item.insert(k.to_owned(), str_attr(v));
        }
    }
    if let Some(ttl) = i.ttl {
        item.insert("ttl".to_owned(), AttributeValue::N(ttl.to_string()));
    }
    item
}

/// Drops the caches when made and again when dropped (see [`UserMappings::changed`]).
struct Written {
    by_user: Arc<Mutex<HashMap<String, UserRows>>>,
    by_org: ReadCache<String, Vec<MappingRow>>,
}

impl Written {
    fn forget(&self) {
        if let Ok(mut m) = self.by_user.lock() {
            m.clear();
        }
        self.by_org.invalidate();
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        self.forget();
    }
}

#[derive(Clone, Debug)]
pub struct UserMappings {
    client: Client,
    table: String,
    /// A platform user's rows as `/users` last read them, reused for `ttl` and dropped by any
    /// write this instance makes (a link the platform's CLI makes shows within `ttl`).
    by_user: Arc<Mutex<HashMap<String, UserRows>>>,
    ttl: Duration,
    /// A workspace's rows as its users page last read them (a Scan), shared by every request for
    /// `ttl` and dropped by any write this instance makes.
    by_org: ReadCache<String, Vec<MappingRow>>,
}

/// A platform user's rows and when they were read.
type UserRows = (Instant, Vec<MappingRow>);

impl UserMappings {
    pub fn new(client: Client, table: impl Into<String>) -> UserMappings {
        UserMappings { client, table: table.into(), by_user: Arc::default(), ttl: Duration::ZERO, by_org: ReadCache::new(Duration::ZERO) }
    }

    /// Reuses a platform user's rows for `ttl` (zero: read each time).
    pub fn with_cache(mut self, ttl: Duration) -> UserMappings {
        self.ttl = ttl;
        self.by_org = ReadCache::new(ttl);
        self
    }

    /// Around any write: nothing read before it is reused, now and again when the returned guard
    /// drops after the write (a read that overlapped the write is not kept either).
    fn changed(&self) -> Written {
        let written = Written { by_user: self.by_user.clone(), by_org: self.by_org.clone() };
        written.forget();
        written
    }

    fn key(identity: &str) -> (String, AttributeValue) {
        ("linear_identity".to_owned(), AttributeValue::S(identity.to_owned()))
    }

    /// Every row of a workspace: links (also legacy ones without `linear_workspace_id`) and invites.
    pub async fn workspace_rows(&self, org_id: &str) -> Result<Vec<MappingRow>, MappingError> {
        self.by_org.get_or_read(org_id.to_owned(), || self.scan_workspace_rows(org_id)).await
    }

    async fn scan_workspace_rows(&self, org_id: &str) -> Result<Vec<MappingRow>, MappingError> {
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
            rows.extend(page.items().iter().map(read));
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(rows);
            }
        }
    }

    pub async fn get(&self, identity: &str) -> Result<Option<MappingRow>, MappingError> {
        let (k, v) = Self::key(identity);
        let out = self.client.get_item().table_name(&self.table).key(k, v).consistent_read(true).send().await.map_err(cause)?;
        Ok(out.item.as_ref().map(read))
    }

    /// Writes a new link; `Conflict` if the key exists (a link someone made meanwhile).
    pub async fn put_new_link(&self, link: &Link) -> Result<(), MappingError> {
        self.put_new(link_item(link)).await
    }

    /// Writes a new invite; `Conflict` if its code is taken.
    pub async fn put_new_invite(&self, invite: &Invite) -> Result<(), MappingError> {
        self.put_new(invite_item(invite)).await
    }

    async fn put_new(&self, item: Item) -> Result<(), MappingError> {
        let _written = self.changed();
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
    pub async fn replace_link(&self, link: &Link, expected: &str) -> Result<(), MappingError> {
        let _written = self.changed();
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(link_item(link)))
            .condition_expression("platform_user_id = :expected")
            .expression_attribute_values(":expected", AttributeValue::S(expected.to_owned()))
            .send()
            .await
            .map_err(conditional)?;
        Ok(())
    }

    /// Deletes a link only while it still names `expected` as its platform user.
    pub async fn delete_link(&self, identity: &str, expected: &str) -> Result<(), MappingError> {
        let _written = self.changed();
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
        let _written = self.changed();
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

    /// Deletes an invite whose `ttl` has passed, only while it is still that pending invite
    /// (the platform would redeem it until DynamoDB's lazy TTL deletion gets to it).
    /// `false` when it was redeemed or deleted meanwhile.
    pub async fn delete_expired_invite(&self, code: &InviteCode, now: i64) -> Result<bool, MappingError> {
        let _written = self.changed();
        let (k, v) = Self::key(&code.key());
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(k, v)
            .condition_expression("#s = :pending AND #ttl <= :now")
            .expression_attribute_names("#s", "status")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await
            .map_err(conditional);
        match res {
            Ok(_) => Ok(true),
            Err(MappingError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Every pending invite whose `ttl` has passed, across workspaces (for the sweep).
    pub async fn expired_invites(&self, now: i64) -> Result<Vec<Invite>, MappingError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(linear_identity, :pending) AND #ttl <= :now")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":pending", AttributeValue::S("pending#".into()))
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(cause)?;
            out.extend(page.items().iter().filter_map(|i| match read(i) {
                MappingRow::Invite(inv) => Some(inv),
                _ => None,
            }));
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(out);
            }
        }
    }

    /// Deletes rows by key, unconditionally (a workspace's removal).
    pub async fn delete_all(&self, identities: &[String]) -> Result<usize, MappingError> {
        let _written = self.changed();
        for identity in identities {
            let (k, v) = Self::key(identity);
            self.client.delete_item().table_name(&self.table).key(k, v).send().await.map_err(cause)?;
        }
        Ok(identities.len())
    }

    /// A platform user's rows, through the `PlatformUserIndex` GSI (oldest link first).
    pub async fn of_platform_user(&self, sub: &str) -> Result<Vec<MappingRow>, MappingError> {
        let known = self.by_user.lock().ok().and_then(|m| m.get(sub).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, r)| r.clone()));
        if let Some(rows) = known {
            return Ok(rows);
        }
        let rows = self.query_platform_user(sub).await?;
        if !self.ttl.is_zero() {
            if let Ok(mut m) = self.by_user.lock() {
                // Bounded: a page shows 60 users; a cache this size is many pages' worth.
                if m.len() > 5_000 {
                    m.clear();
                }
                m.insert(sub.to_owned(), (Instant::now(), rows.clone()));
            }
        }
        Ok(rows)
    }

    async fn query_platform_user(&self, sub: &str) -> Result<Vec<MappingRow>, MappingError> {
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
            rows.extend(page.items().iter().map(read));
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(rows);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user_mapping::{InviteFor, LINK_METHOD};

    const ORG: &str = "4f6b3c1e-2a7d-4c8e-9b1f-0d2e3a4b5c6d";

    #[test]
    fn the_fixtures_rows_read_as_the_platform_reads_them() {
        let item = |pairs: &[(&str, &str)]| -> Item { pairs.iter().map(|(k, v)| (k.to_string(), str_attr(v))).collect() };
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
        let key = LinkKey::new(ORG, "u-1").unwrap();
        let row = link_item(&Link::by_console(key.clone(), "sub-1", "2026-11-23T12:00:00.000Z", "sub-admin"));
        assert_eq!(
            read(&row),
            MappingRow::Link(Link {
                key,
                platform_user_id: "sub-1".into(),
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
