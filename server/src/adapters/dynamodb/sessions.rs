//! A tower-sessions store in DynamoDB, so several console instances share sign-ins.
//! Expiry is enforced on load: DynamoDB's TTL deletion is lazy and can lag by days.
//! The table's key is a hash of the session id, never the id itself: whoever can read the
//! table (a backup, a support query) cannot replay a cookie from it.
//! A record read is reused for a few seconds (`with_cache`), so a page and its server functions do
//! not each read the table; what this instance writes or deletes replaces it at once, and a session
//! ended on another instance ends here within that time.
//! A signed-in session also carries its member's sub and what their list of sessions shows
//! (started, last seen, end, address, browser), indexed by member (`ByMember`, those attributes
//! only), so a member's sessions are one Query and ending one is one conditional delete.
//! The session's data is sealed (`session_seal`): the table holds no token, secret or email in clear.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use console_core::cache::{Freshness, ReadCache};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use app::identity::{MemberSession, SESSION_MEMBER_KEY};
use console_core::error::Unavailable;
use console_core::ports::{MemberSessions, SessionSummary};

use crate::adapters::session_seal::SessionSeal;
use crate::adapters::{dynamo_answer, dynamo_down, SystemClock};

/// Item layout: `id` (S, partition key: `s#` + SHA-256 of the session id, hex), `sealed` (B, the JSON of
/// the session map sealed for that key), `expires_at` (N, epoch seconds; the table's TTL attribute); a
/// signed-in session also `member` and the attributes of [`LISTED`].
#[derive(Clone, Debug)]
pub struct DynamoSessionStore {
    client: Client,
    table: String,
    seal: Arc<SessionSeal>,
    /// By table key (the hashed id), so a session ended by its handle is forgotten here too.
    cache: ReadCache<String, Record>,
}

/// The index of signed-in sessions by member.
pub const BY_MEMBER: &str = "ByMember";
/// What the index keeps of a session besides its keys.
pub const LISTED: [&str; 6] = ["started_at", "seen_at", "ends_at", "expires_at", "address", "browser"];

/// Why a session was not loaded: there is none (nothing to keep), or the table failed.
enum Load {
    Missing,
    Failed(session_store::Error),
}

impl DynamoSessionStore {
    pub fn new(client: Client, table: impl Into<String>, seal: Arc<SessionSeal>) -> Self {
        DynamoSessionStore { client, table: table.into(), seal, cache: ReadCache::new(Duration::ZERO, Arc::new(SystemClock)) }
    }

    /// Reuses a record read for up to `ttl` (zero: read the table every time).
    pub fn with_cache(mut self, ttl: Duration) -> Self {
        self.cache = ReadCache::new(ttl, Arc::new(SystemClock));
        self
    }

    async fn read(&self, id: &Id) -> Result<Record, Load> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| Load::Failed(backend(aws_sdk_dynamodb::error::DisplayErrorContext(e))))?;
        let item = out.item.ok_or(Load::Missing)?;
        let decode = |why: String| Load::Failed(session_store::Error::Decode(why));
        let expires = item
            .get("expires_at")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok())
            .ok_or_else(|| decode("expires_at missing".into()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(expires).map_err(|e| decode(e.to_string()))?;
        // Sealed for this key, or it is no session of this console (a clear one written before
        // sealing, another key, an altered blob): signed out, as for a missing one.
        let Some(sealed) = item.get("sealed").and_then(|v| v.as_b().ok()) else { return Err(Load::Missing) };
        let plain = match self.seal.open(&key(id), sealed.as_ref()).await {
            Ok(Some(plain)) => plain,
            Ok(None) => {
                tracing::warn!("a stored session did not open with the session key: treated as signed out");
                return Err(Load::Missing);
            }
            Err(e) => return Err(Load::Failed(backend(console_core::error::chain(&e)))),
        };
        let data = serde_json::from_slice(&plain).map_err(|e| decode(e.to_string()))?;
        Ok(Record { id: *id, data, expiry_date })
    }

    async fn item(&self, record: &Record) -> session_store::Result<HashMap<String, AttributeValue>> {
        let data = serde_json::to_vec(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let sealed = self.seal.seal(&key(&record.id), &data).await.map_err(|e| backend(console_core::error::chain(&e)))?;
        let mut item = HashMap::from([
            ("id".to_owned(), AttributeValue::S(key(&record.id))),
            ("sealed".to_owned(), AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(sealed))),
            ("expires_at".to_owned(), AttributeValue::N(record.expiry_date.unix_timestamp().to_string())),
        ]);
        let member = record.data.get(SESSION_MEMBER_KEY).and_then(|v| serde_json::from_value::<MemberSession>(v.clone()).ok());
        if let Some(m) = member {
            let n = |v: i64| AttributeValue::N(v.to_string());
            item.insert("member".to_owned(), AttributeValue::S(m.sub.clone()));
            item.insert("started_at".to_owned(), n(m.started_at));
            item.insert("seen_at".to_owned(), n(m.touched_at));
            item.insert("ends_at".to_owned(), n(m.idle_until.min(m.expires_at)));
            item.insert("address".to_owned(), AttributeValue::S(m.address.clone()));
            item.insert("browser".to_owned(), AttributeValue::S(m.browser.clone()));
        }
        Ok(item)
    }
}

/// The table key of a session: its id hashed. The id is 128 random bits, so a plain SHA-256
/// is enough (no salt or slow hash: there is nothing to guess).
pub fn key(id: &Id) -> String {
    format!("s#{}", handle(id))
}

/// What a list of sessions names a session by: the hash of its id (its table key without `s#`).
pub fn handle(id: &Id) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(id.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DynamoSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh random id never collides in practice; if it does, draw again rather than overwrite.
        for _ in 0..4 {
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(self.item(record).await?))
                .condition_expression("attribute_not_exists(id)")
                .send()
                .await;
            match put {
                Ok(_) => {
                    self.cache.put(key(&record.id), record.clone());
                    return Ok(());
                }
                Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                    record.id = Id::default();
                }
                Err(e) => return Err(backend(aws_sdk_dynamodb::error::DisplayErrorContext(e))),
            }
        }
        Err(backend("could not draw an unused session id"))
    }

    /// Only a session still stored is saved: one ended meanwhile (signed out elsewhere, ended from
    /// a list of sessions) stays ended, and its next request finds none.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.item(record).await?))
            .condition_expression("attribute_exists(id)")
            .send()
            .await;
        match put {
            Ok(_) => self.cache.put(key(&record.id), record.clone()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                self.cache.forget(&key(&record.id))
            }
            Err(e) => return Err(backend(aws_sdk_dynamodb::error::DisplayErrorContext(e))),
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self.cache.get_or_read(key(id), Freshness::SinceChange, || self.read(id)).await {
            // Expiry is enforced here: DynamoDB's TTL deletion is lazy.
            Ok(record) if record.expiry_date > time::OffsetDateTime::now_utc() => Ok(Some(record)),
            Ok(_) => {
                self.cache.forget(&key(id));
                Ok(None)
            }
            Err(Load::Missing) => Ok(None),
            Err(Load::Failed(e)) => Err(e),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.cache.forget(&key(id));
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(key(id)))
            .send()
            .await
            .map_err(|e| backend(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        Ok(())
    }
}

#[async_trait]
impl MemberSessions for DynamoSessionStore {
    async fn of_member(&self, sub: &str) -> Result<Vec<SessionSummary>, Unavailable> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_MEMBER)
                .key_condition_expression("#m = :sub")
                .expression_attribute_names("#m", "member")
                .expression_attribute_values(":sub", AttributeValue::S(sub.to_owned()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(dynamo_down)?;
            found.extend(out.items().iter().filter_map(summary));
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    async fn end(&self, sub: &str, handle: &str) -> Result<bool, Unavailable> {
        let id = format!("s#{handle}");
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.clone()))
            .condition_expression("#m = :sub")
            .expression_attribute_names("#m", "member")
            .expression_attribute_values(":sub", AttributeValue::S(sub.to_owned()))
            .send()
            .await;
        self.cache.forget(&id);
        dynamo_answer(deleted)
    }
}

/// A listed session from the index's attributes (an item missing one is skipped: not a member's).
fn summary(item: &HashMap<String, AttributeValue>) -> Option<SessionSummary> {
    let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    let n = |k: &str| item.get(k).and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<i64>().ok());
    Some(SessionSummary {
        handle: s("id")?.strip_prefix("s#")?.to_owned(),
        started_at: n("started_at")?,
        seen_at: n("seen_at")?,
        ends_at: n("ends_at")?.min(n("expires_at")?),
        address: s("address").unwrap_or_default(),
        browser: s("browser").unwrap_or_default(),
    })
}
