use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, Script};
use crate::error::{Service, Unavailable};
use crate::ports::EventBus;

/// An EventBridge bus in memory: every event put, as (detail-type, detail JSON).
pub struct FakeEventBus {
    pub script: Script,
    put: Mutex<Vec<(String, serde_json::Value)>>,
}

impl FakeEventBus {
    pub(super) fn new(script: Script) -> FakeEventBus {
        FakeEventBus { script, put: Mutex::default() }
    }

    pub fn events(&self) -> Vec<(String, serde_json::Value)> {
        lock(&self.put).clone()
    }
}

#[async_trait]
impl EventBus for FakeEventBus {
    fn name(&self) -> &str {
        "default"
    }

    async fn put(&self, source: &str, detail_type: &str, detail: &str) -> Result<(), Unavailable> {
        self.script.enter("put").map_err(|f| f.unavailable(Service::EventBridge))?;
        let mut detail: serde_json::Value =
            serde_json::from_str(detail).map_err(|e| Unavailable::new(Service::EventBridge, e.to_string()))?;
        if let Some(o) = detail.as_object_mut() {
            o.insert("_source".into(), source.into());
        }
        lock(&self.put).push((detail_type.to_owned(), detail));
        Ok(())
    }
}
