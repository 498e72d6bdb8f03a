//! The members' console authenticators, in memory.
use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use secrecy::SecretString;

use super::{lock, Script};
use crate::error::{Service, Unavailable};
use crate::ports::{Factor, FactorStage, Factors};

pub struct FakeFactors {
    pub script: Script,
    stored: Mutex<HashMap<String, Factor>>,
}

impl FakeFactors {
    pub(super) fn new(script: Script) -> FakeFactors {
        FakeFactors { script, stored: Mutex::default() }
    }

    /// What is stored for `sub`.
    pub fn stored(&self, sub: &str) -> Option<Factor> {
        lock(&self.stored).get(sub).cloned()
    }

    fn enter(&self, op: &'static str) -> Result<(), Unavailable> {
        self.script.enter(op).map_err(|f| f.unavailable(Service::DynamoDb))
    }
}

#[async_trait]
impl Factors for FakeFactors {
    async fn get(&self, sub: &str) -> Result<Option<Factor>, Unavailable> {
        self.enter("get")?;
        Ok(self.stored(sub))
    }

    async fn put_pending(&self, sub: &str, secret: &SecretString, now: i64) -> Result<bool, Unavailable> {
        self.enter("put_pending")?;
        let mut stored = lock(&self.stored);
        if stored.get(sub).is_some_and(|f| f.stage == FactorStage::Active) {
            return Ok(false);
        }
        let pending = Factor { stage: FactorStage::Pending, secret: secret.clone(), last_step: 0, recovery: Vec::new(), enrolled_at: now };
        stored.insert(sub.to_owned(), pending);
        Ok(true)
    }

    async fn activate(&self, sub: &str, step: i64, recovery: &[String], now: i64) -> Result<bool, Unavailable> {
        self.enter("activate")?;
        let mut stored = lock(&self.stored);
        let Some(f) = stored.get_mut(sub).filter(|f| f.stage == FactorStage::Pending) else { return Ok(false) };
        (f.stage, f.last_step, f.recovery, f.enrolled_at) = (FactorStage::Active, step, recovery.to_vec(), now);
        Ok(true)
    }

    async fn use_step(&self, sub: &str, step: i64) -> Result<bool, Unavailable> {
        self.enter("use_step")?;
        let mut stored = lock(&self.stored);
        let Some(f) = stored.get_mut(sub).filter(|f| f.stage == FactorStage::Active && f.last_step < step) else { return Ok(false) };
        f.last_step = step;
        Ok(true)
    }

    async fn use_recovery(&self, sub: &str, hash: &str) -> Result<bool, Unavailable> {
        self.enter("use_recovery")?;
        let mut stored = lock(&self.stored);
        let Some(f) = stored.get_mut(sub).filter(|f| f.recovery.iter().any(|h| h == hash)) else { return Ok(false) };
        f.recovery.retain(|h| h != hash);
        Ok(true)
    }

    async fn delete(&self, sub: &str) -> Result<bool, Unavailable> {
        self.enter("delete")?;
        Ok(lock(&self.stored).remove(sub).is_some())
    }
}
