//! The lifecycle events' bus: Amazon EventBridge `PutEvents`, one entry per event, onto the bus
//! named in `CONSOLE_EVENT_BUS` (the account's `default` bus unless named). An entry the bus
//! refuses (PutEvents answers 200 with the entry's error code) is a failure like a failed call.
use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use console_core::error::{Service, Unavailable};
use console_core::ports::EventBus;

use crate::adapters::unavailable;

pub struct EventBridgeBus {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridgeBus {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: String) -> EventBridgeBus {
        EventBridgeBus { client, bus }
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    fn name(&self) -> &str {
        &self.bus
    }

    async fn put(&self, source: &str, detail_type: &str, detail: &str) -> Result<(), Unavailable> {
        let entry =
            PutEventsRequestEntry::builder().event_bus_name(&self.bus).source(source).detail_type(detail_type).detail(detail).build();
        let out = self.client.put_events().entries(entry).send().await.map_err(|e| unavailable(Service::EventBridge, e))?;
        if out.failed_entry_count() > 0 {
            let e = out.entries().first();
            let why = format!(
                "the bus refused the event: {} {}",
                e.and_then(|e| e.error_code()).unwrap_or("?"),
                e.and_then(|e| e.error_message()).unwrap_or_default()
            );
            return Err(Unavailable::new(Service::EventBridge, why));
        }
        Ok(())
    }
}
