//! The members' console authenticators, in the console's incidents table (its general-purpose
//! partitions):
//!
//! | `pk` | `sk` | what |
//! |---|---|---|
//! | `mfa` | `<member's sub>` | `sealed` (B: the base32 secret, sealed with the session key, `mfa#<sub>` as additional data), `stage` (`pending`/`active`), `last_step` (N), `recovery` (SS of SHA-256 hashes, absent when all are used), `enrolled_at` (N) |
//!
//! Every change is conditional on the stage and step it expects, so two requests racing with the
//! same code (or recovery code) cannot both succeed.
use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use console_core::error::{Service, Unavailable};
use console_core::ports::{Factor, FactorStage, Factors};
use secrecy::{ExposeSecret, SecretString};

use super::text;
use crate::adapters::session_seal::SessionSeal;
use crate::adapters::{dynamo_answer, dynamo_down};

const PK: &str = "mfa";

pub struct DynamoFactors {
    client: Client,
    table: String,
    seal: Arc<SessionSeal>,
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn aad(sub: &str) -> String {
    format!("mfa#{sub}")
}

impl DynamoFactors {
    pub fn new(client: Client, table: impl Into<String>, seal: Arc<SessionSeal>) -> DynamoFactors {
        DynamoFactors { client, table: table.into(), seal }
    }

    fn key(&self, sub: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([("pk".to_owned(), text(PK)), ("sk".to_owned(), text(sub))])
    }

    async fn factor(&self, sub: &str, item: &HashMap<String, AttributeValue>) -> Result<Option<Factor>, Unavailable> {
        let Some(sealed) = item.get("sealed").and_then(|v| v.as_b().ok()) else { return Ok(None) };
        let Some(plain) = self.seal.open(&aad(sub), sealed.as_ref()).await? else {
            tracing::warn!("a member's authenticator did not open with the session key: treated as none");
            return Ok(None);
        };
        let num = |k: &str| item.get(k).and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        let stage = match item.get("stage").and_then(|v| v.as_s().ok()).map(String::as_str) {
            Some("active") => FactorStage::Active,
            _ => FactorStage::Pending,
        };
        Ok(Some(Factor {
            stage,
            secret: SecretString::from(String::from_utf8_lossy(&plain).into_owned()),
            last_step: num("last_step"),
            recovery: item.get("recovery").and_then(|v| v.as_ss().ok()).cloned().unwrap_or_default(),
            enrolled_at: num("enrolled_at"),
        }))
    }
}

#[async_trait]
impl Factors for DynamoFactors {
    async fn get(&self, sub: &str) -> Result<Option<Factor>, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(self.key(sub)))
            .consistent_read(true)
            .send()
            .await
            .map_err(dynamo_down)?;
        match out.item {
            Some(item) => self.factor(sub, &item).await,
            None => Ok(None),
        }
    }

    async fn put_pending(&self, sub: &str, secret: &SecretString, now: i64) -> Result<bool, Unavailable> {
        let sealed = self.seal.seal(&aad(sub), secret.expose_secret().as_bytes()).await?;
        let mut item = self.key(sub);
        item.insert("sealed".to_owned(), AttributeValue::B(Blob::new(sealed)));
        item.insert("stage".to_owned(), text("pending"));
        item.insert("enrolled_at".to_owned(), n(now));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR #st = :pending")
            .expression_attribute_names("#st", "stage")
            .expression_attribute_values(":pending", text("pending"))
            .send()
            .await;
        dynamo_answer(put)
    }

    async fn activate(&self, sub: &str, step: i64, recovery: &[String], now: i64) -> Result<bool, Unavailable> {
        if recovery.is_empty() {
            return Err(Unavailable::new(Service::DynamoDb, "no recovery codes to keep"));
        }
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.key(sub)))
            .update_expression("SET #st = :active, last_step = :step, recovery = :codes, enrolled_at = :now")
            .condition_expression("#st = :pending")
            .expression_attribute_names("#st", "stage")
            .expression_attribute_values(":active", text("active"))
            .expression_attribute_values(":pending", text("pending"))
            .expression_attribute_values(":step", n(step))
            .expression_attribute_values(":codes", AttributeValue::Ss(recovery.to_vec()))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        dynamo_answer(updated)
    }

    async fn use_step(&self, sub: &str, step: i64) -> Result<bool, Unavailable> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.key(sub)))
            .update_expression("SET last_step = :step")
            .condition_expression("#st = :active AND last_step < :step")
            .expression_attribute_names("#st", "stage")
            .expression_attribute_values(":active", text("active"))
            .expression_attribute_values(":step", n(step))
            .send()
            .await;
        dynamo_answer(updated)
    }

    async fn use_recovery(&self, sub: &str, hash: &str) -> Result<bool, Unavailable> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.key(sub)))
            .update_expression("DELETE recovery :one")
            .condition_expression("contains(recovery, :h)")
            .expression_attribute_values(":one", AttributeValue::Ss(vec![hash.to_owned()]))
            .expression_attribute_values(":h", text(hash))
            .send()
            .await;
        dynamo_answer(updated)
    }

    async fn delete(&self, sub: &str) -> Result<bool, Unavailable> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(self.key(sub)))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        dynamo_answer(deleted)
    }
}
