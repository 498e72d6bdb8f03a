//! A tower-sessions store in DynamoDB, so several console instances share sign-ins.
//! Expiry is enforced on load: DynamoDB's TTL deletion is lazy and can lag by days.
//! The table's key is a hash of the session id, never the id itself: whoever can read the
//! table (a backup, a support query) cannot replay a cookie from it.
//! A record read is reused for a few seconds (`with_cache`), so a page and its server functions do
//! not each read the table; what this instance writes or deletes replaces it at once, and a session
//! ended on another instance ends here within that time.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use console_core::cache::{Freshness, ReadCache};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::adapters::SystemClock;

/// Item layout: `id` (S, partition key: `s#` + SHA-256 of the session id, hex), `data` (S, JSON of the session map),
/// `expires_at` (N, epoch seconds; the table's TTL attribute).
#[derive(Clone, Debug)]
pub struct DynamoSessionStore {
    client: Client,
    table: String,
    cache: ReadCache<Id, Record>,
}

/// Why a session was not loaded: there is none (nothing to keep), or the table failed.
enum Load {
    Missing,
    Failed(session_store::Error),
}

impl DynamoSessionStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoSessionStore { client, table: table.into(), cache: ReadCache::new(Duration::ZERO, Arc::new(SystemClock)) }
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
        let data = item.get("data").and_then(|v| v.as_s().ok()).ok_or_else(|| decode("data missing".into()))?;
        let data = serde_json::from_str(data).map_err(|e| decode(e.to_string()))?;
        Ok(Record { id: *id, data, expiry_date })
    }

    fn item(record: &Record) -> session_store::Result<HashMap<String, AttributeValue>> {
        let data = serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        Ok(HashMap::from([
            ("id".to_owned(), AttributeValue::S(key(&record.id))),
            ("data".to_owned(), AttributeValue::S(data)),
            ("expires_at".to_owned(), AttributeValue::N(record.expiry_date.unix_timestamp().to_string())),
        ]))
    }
}

/// The table key of a session: its id hashed. The id is 128 random bits, so a plain SHA-256
/// is enough (no salt or slow hash: there is nothing to guess).
pub fn key(id: &Id) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(id.to_string().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("s#{hex}")
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
                .set_item(Some(Self::item(record)?))
                .condition_expression("attribute_not_exists(id)")
                .send()
                .await;
            match put {
                Ok(_) => {
                    self.cache.put(record.id, record.clone());
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

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(record)?))
            .send()
            .await
            .map_err(|e| backend(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        self.cache.put(record.id, record.clone());
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self.cache.get_or_read(*id, Freshness::SinceChange, || self.read(id)).await {
            // Expiry is enforced here: DynamoDB's TTL deletion is lazy.
            Ok(record) if record.expiry_date > time::OffsetDateTime::now_utc() => Ok(Some(record)),
            Ok(_) => {
                self.cache.forget(id);
                Ok(None)
            }
            Err(Load::Missing) => Ok(None),
            Err(Load::Failed(e)) => Err(e),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.cache.forget(id);
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
