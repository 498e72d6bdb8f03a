//! A clock that stands still until told to move: a `sleep` moves it on at once, so a service that
//! waits (the refresh's re-reads, a retry's backoff) runs without waiting in a test.
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::time::Clock;

#[derive(Debug)]
pub struct FakeClock {
    now: Mutex<OffsetDateTime>,
    slept: Mutex<Vec<Duration>>,
}

impl Default for FakeClock {
    /// 2026-11-23 12:00 UTC.
    fn default() -> FakeClock {
        FakeClock::at(time::macros::datetime!(2026-11-23 12:00 UTC))
    }
}

impl FakeClock {
    pub fn at(now: OffsetDateTime) -> FakeClock {
        FakeClock { now: Mutex::new(now), slept: Mutex::new(Vec::new()) }
    }

    pub fn advance(&self, d: Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += d;
        }
    }

    /// Every pause asked for so far.
    pub fn slept(&self) -> Vec<Duration> {
        self.slept.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Clock for FakeClock {
    fn now(&self) -> OffsetDateTime {
        self.now.lock().map(|n| *n).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    async fn sleep(&self, d: Duration) {
        if let Ok(mut s) = self.slept.lock() {
            s.push(d);
        }
        self.advance(d);
        // Let others run, as a real pause would.
        YieldOnce(false).await;
    }
}

/// Pending once (waking itself), then ready: gives other tasks a turn.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}
