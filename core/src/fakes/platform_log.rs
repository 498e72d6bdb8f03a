use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, Script};
use crate::error::{Service, Unavailable};
use crate::ports::{LogEvent, LogRead, PlatformLog};

/// The processor's log group: lines written by the test, read back by time (every line matches:
/// the pattern is the adapter's business, as moto's). `page` events per call.
pub struct FakePlatformLog {
    pub script: Script,
    events: Mutex<Vec<LogEvent>>,
    page: Mutex<usize>,
    /// Each read's (from, to), in order.
    pub reads: Mutex<Vec<(i64, i64)>>,
}

impl FakePlatformLog {
    pub(super) fn new(script: Script) -> FakePlatformLog {
        FakePlatformLog { script, events: Mutex::default(), page: Mutex::new(1000), reads: Mutex::default() }
    }

    /// Writes a line at `at` (Unix ms).
    pub fn write(&self, at: i64, message: &str) {
        let mut events = lock(&self.events);
        let id = format!("ev-{}", events.len());
        events.push(LogEvent { id, at, message: message.to_owned() });
        events.sort_by_key(|e| e.at);
    }

    /// At most `n` events per call.
    pub fn page_size(&self, n: usize) {
        *lock(&self.page) = n;
    }
}

#[async_trait]
impl PlatformLog for FakePlatformLog {
    fn source(&self) -> &str {
        "/aws/lambda/platform-WebhookProcessorFn"
    }

    async fn read(&self, _pattern: &str, from: i64, to: i64, max_calls: usize) -> Result<LogRead, Unavailable> {
        lock(&self.reads).push((from, to));
        let page = *lock(&self.page);
        let matching: Vec<LogEvent> = lock(&self.events).iter().filter(|e| e.at >= from && e.at <= to).cloned().collect();
        let mut events = Vec::new();
        for chunk in matching.chunks(page.max(1)).take(max_calls.max(1)) {
            self.script.enter("read").map_err(|f| f.unavailable(Service::CloudWatchLogs))?;
            events.extend_from_slice(chunk);
        }
        if matching.is_empty() {
            self.script.enter("read").map_err(|f| f.unavailable(Service::CloudWatchLogs))?;
        }
        Ok(LogRead { complete: events.len() == matching.len(), events })
    }
}
