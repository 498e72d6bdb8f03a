//! Secrets Manager in memory: secrets by ARN, found by ARN or by name, as the adapter finds them.
use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use super::{lock, Script};
use crate::error::{Service, Unavailable};
use crate::ids::UrlKey;
use crate::ports::{StoredSecret, TokenVault};
use crate::records::token_bundle::TokenBundle;

#[derive(Default)]
struct Secrets {
    /// ARN → value.
    values: HashMap<String, String>,
    /// Name → ARN.
    names: HashMap<String, String>,
    /// Reads per ARN, and a value that replaces the secret's after that many reads.
    reads: HashMap<String, usize>,
    replace: HashMap<String, (usize, String)>,
}

impl Secrets {
    fn arn_of(&self, id: &str) -> Option<String> {
        if self.values.contains_key(id) {
            return Some(id.to_owned());
        }
        self.names.get(id).filter(|arn| self.values.contains_key(*arn)).cloned()
    }
}

pub struct FakeVault {
    pub script: Script,
    secrets: Mutex<Secrets>,
}

impl FakeVault {
    pub(super) fn new(script: Script) -> FakeVault {
        FakeVault { script, secrets: Mutex::default() }
    }

    /// Creates (or replaces) the secret `name`; its ARN.
    pub fn create(&self, name: &str, value: &str) -> String {
        let mut s = lock(&self.secrets);
        let arn =
            s.names.get(name).cloned().unwrap_or_else(|| format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-AbCdEf"));
        s.names.insert(name.to_owned(), arn.clone());
        s.values.insert(arn.clone(), value.to_owned());
        arn
    }

    /// Sets a secret's raw value.
    pub fn set(&self, arn: &str, value: &str) {
        lock(&self.secrets).values.insert(arn.to_owned(), value.to_owned());
    }

    pub fn value(&self, arn: &str) -> Option<String> {
        let s = lock(&self.secrets);
        s.arn_of(arn).and_then(|a| s.values.get(&a).cloned())
    }

    /// The bundle under `arn`, read by the platform's rule.
    pub fn bundle(&self, arn: &str) -> Option<TokenBundle> {
        TokenBundle::parse(&self.value(arn)?).ok()
    }

    /// Edits the bundle's JSON in place.
    pub fn edit_bundle(&self, arn: &str, f: impl FnOnce(&mut serde_json::Value)) {
        let Some(mut json) = self.value(arn).and_then(|v| serde_json::from_str::<serde_json::Value>(&v).ok()) else { return };
        f(&mut json);
        self.set(arn, &json.to_string());
    }

    /// A bundle under `url_key`'s name that belongs to `owner` (another organization).
    pub fn seed_bundle_of(&self, owner: &str, url_key: &str) {
        let key = UrlKey::parse(url_key).expect("a url key");
        let org = crate::ids::OrgId::parse(owner).expect("an org id");
        self.create(&key.secret_name(), &super::bundle_json(&org, &key, "lin_oauth_theirs", "lin_refresh_theirs"));
    }

    /// After `reads` more reads of `arn`, the secret holds `value` (another actor wrote it).
    pub fn replace_after_reads(&self, arn: &str, reads: usize, value: &str) {
        let mut s = lock(&self.secrets);
        let done = s.reads.get(arn).copied().unwrap_or(0);
        s.replace.insert(arn.to_owned(), (done + reads, value.to_owned()));
    }

    fn enter(&self, op: &'static str) -> Result<(), Unavailable> {
        self.script.enter(op).map_err(|f| f.unavailable(Service::SecretsManager))
    }
}

#[async_trait]
impl TokenVault for FakeVault {
    async fn read(&self, id: &str) -> Result<Option<StoredSecret>, Unavailable> {
        self.enter("read")?;
        let mut s = lock(&self.secrets);
        let Some(arn) = s.arn_of(id) else { return Ok(None) };
        let n = s.reads.entry(arn.clone()).or_default();
        *n += 1;
        let n = *n;
        if let Some((after, value)) = s.replace.get(&arn).cloned() {
            if n > after {
                s.values.insert(arn.clone(), value);
                s.replace.remove(&arn);
            }
        }
        let value = s.values.get(&arn).cloned().unwrap_or_default();
        Ok(Some(StoredSecret { arn, value: SecretString::from(value) }))
    }

    async fn write_bundle(&self, key: &UrlKey, value: &SecretString) -> Result<String, Unavailable> {
        self.enter("write_bundle")?;
        Ok(self.create(&key.secret_name(), value.expose_secret()))
    }

    async fn put_value(&self, id: &str, value: &SecretString) -> Result<(), Unavailable> {
        self.enter("put_value")?;
        let mut s = lock(&self.secrets);
        let arn = s.arn_of(id).ok_or_else(|| Unavailable::new(Service::SecretsManager, "ResourceNotFoundException"))?;
        s.values.insert(arn, value.expose_secret().to_owned());
        Ok(())
    }

    async fn delete_now(&self, id: &str) -> Result<(), Unavailable> {
        self.enter("delete_now")?;
        let mut s = lock(&self.secrets);
        if let Some(arn) = s.arn_of(id) {
            s.values.remove(&arn);
        }
        Ok(())
    }
}
