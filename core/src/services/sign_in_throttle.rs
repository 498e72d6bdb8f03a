//! Password guessing, slowed and then stopped: each sign-in asks first whether its account and its
//! client address may try now, and each failure is counted under both (in a store every console
//! instance shares). Reaching a threshold is written to the audit log once. An outage of the
//! counters lets sign-in go on (Cognito still checks the password), logged.
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::audit::{Action, AuditEvent, Outcome};
use crate::error::{chain, Unavailable};
use crate::ports::SignInCounters;
use crate::services::audit::AuditLog;
use crate::sign_in_throttle::{stricter, Failures, Limits, Transition, Verdict, ACCOUNT, ADDRESS, PUBLIC_LINKS};
use crate::time::{iso_of_unix, Clock};

pub struct SignInThrottle {
    counters: Arc<dyn SignInCounters>,
    audit: Arc<AuditLog>,
    clock: Arc<dyn Clock>,
}

/// The counter keys of one try: the account (its email, hashed: the table need not hold it) and
/// the client address.
struct Keys {
    account: String,
    address: String,
}

fn keys(email: &str, address: &str) -> Keys {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let address: String = address.chars().filter(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':')).take(45).collect();
    Keys { account: format!("throttle#account#{hex}"), address: format!("throttle#address#{address}") }
}

impl SignInThrottle {
    pub fn new(counters: Arc<dyn SignInCounters>, audit: Arc<AuditLog>, clock: Arc<dyn Clock>) -> SignInThrottle {
        SignInThrottle { counters, audit, clock }
    }

    /// Whether this account may try from this address now (both counters read side by side).
    pub async fn verdict(&self, email: &str, address: &str) -> Verdict {
        let k = keys(email, address);
        let (account, by_address) = futures::join!(self.counters.read(&k.account), self.counters.read(&k.address));
        let read = |r: Result<Option<Failures>, Unavailable>| match r {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %chain(&e), "sign-in counters unreadable; this try is not throttled");
                None
            }
        };
        let now = self.clock.unix();
        stricter(ACCOUNT.verdict(read(account).as_ref(), now), ADDRESS.verdict(read(by_address).as_ref(), now))
    }

    /// Counts a failed try under both keys; a threshold reached is audited.
    pub async fn failed(&self, email: &str, address: &str) {
        let k = keys(email, address);
        let now = self.clock.unix();
        let (account, by_address) =
            futures::join!(self.counters.fail(&k.account, &ACCOUNT, now), self.counters.fail(&k.address, &ADDRESS, now));
        self.announce(&ACCOUNT, account, Some(email), "account", now).await;
        self.announce(&ADDRESS, by_address, None, &format!("address {address}"), now).await;
    }

    /// Counts one request to the public install-link pages from `address`; whether it may be
    /// answered (an outage of the counters lets it through, logged).
    pub async fn public_link_try(&self, address: &str) -> bool {
        let key = format!("throttle#link#{}", keys("", address).address.trim_start_matches("throttle#address#"));
        let now = self.clock.unix();
        match self.counters.fail(&key, &PUBLIC_LINKS, now).await {
            Ok(f) => f.count <= PUBLIC_LINKS.lock_after,
            Err(e) => {
                tracing::warn!(error = %chain(&e), "install-link counters unavailable; this request is not throttled");
                true
            }
        }
    }

    /// A successful sign-in forgets the account's failures (not the address's: one good password
    /// from an address does not excuse its other guesses).
    pub async fn succeeded(&self, email: &str) {
        if let Err(e) = self.counters.clear(&keys(email, "").account).await {
            tracing::warn!(error = %chain(&e), "could not clear the account's failed sign-ins");
        }
    }

    async fn announce(&self, limits: &Limits, counted: Result<Failures, Unavailable>, email: Option<&str>, what: &str, now: i64) {
        let f = match counted {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %chain(&e), "could not count a failed sign-in");
                return;
            }
        };
        let detail = match limits.transition(f.count) {
            Some(Transition::Slowed) => {
                format!("{what}: {} failed sign-ins in {} minutes; further tries must wait", f.count, limits.window / 60)
            }
            Some(Transition::Locked) => {
                format!("{what}: {} failed sign-ins; refused until {}", f.count, iso_of_unix(now + limits.lock_for))
            }
            None => return,
        };
        let event = AuditEvent {
            action: Action::SignInThrottled,
            actor_sub: None,
            actor_email: email.map(str::to_owned),
            target: None,
            outcome: Outcome::Refused,
            detail: Some(detail),
            request_id: None,
        };
        // A lost event is logged and counted by the audit log; the sign-in answer stays the same.
        let _recorded = self.audit.record(event).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fail, Fakes};
    use std::time::Duration;

    #[test]
    fn keys_hold_no_email_and_no_stray_characters() {
        let k = keys(" Ada@Example.com ", "203.0.113.9");
        assert_eq!(k.account, keys("ada@example.com", "").account, "one account whatever the case and spaces");
        assert!(!k.account.contains("ada"));
        assert_eq!(k.address, "throttle#address#203.0.113.9");
        assert_eq!(keys("a", "2001:db8::1").address, "throttle#address#2001:db8::1");
        assert_eq!(keys("a", "<x>#y").address, "throttle#address#");
    }

    #[tokio::test]
    async fn failures_slow_then_lock_an_account_and_say_so_once_in_the_log() {
        let f = Fakes::new();
        let throttle = f.throttle();
        for _ in 0..5 {
            assert!(throttle.verdict("ada@example.com", "203.0.113.9").await.allows());
            throttle.failed("ada@example.com", "203.0.113.9").await;
        }
        assert!(matches!(throttle.verdict("ada@example.com", "198.51.100.7").await, Verdict::Wait(_)), "the account, from anywhere");
        for _ in 5..20 {
            throttle.failed("ada@example.com", "203.0.113.9").await;
        }
        assert!(matches!(throttle.verdict("ada@example.com", "198.51.100.7").await, Verdict::Locked(_)));
        let throttled: Vec<_> = f.audit.entries().into_iter().filter(|e| e.action == "sign_in.throttled").collect();
        assert_eq!(throttled.len(), 3, "slowed and locked for the account, slowed for the address: {throttled:?}");
        f.clock.advance(Duration::from_secs(16 * 60));
        assert!(throttle.verdict("ada@example.com", "198.51.100.7").await.allows(), "the lock ends");
    }

    #[tokio::test]
    async fn the_public_link_pages_allow_sixty_requests_an_address_in_a_quarter_hour() {
        let f = Fakes::new();
        let throttle = f.throttle();
        for _ in 0..60 {
            assert!(throttle.public_link_try("203.0.113.9").await);
        }
        assert!(!throttle.public_link_try("203.0.113.9").await, "the 61st");
        assert!(throttle.public_link_try("198.51.100.7").await, "another address");
        f.clock.advance(Duration::from_secs(16 * 60));
        assert!(throttle.public_link_try("203.0.113.9").await, "a quarter hour later");
    }

    #[tokio::test]
    async fn an_outage_of_the_counters_lets_sign_in_go_on() {
        let f = Fakes::new();
        let throttle = f.throttle();
        f.counters.script.fail_times("read", 2, Fail::Unavailable);
        assert_eq!(throttle.verdict("ada@example.com", "203.0.113.9").await, Verdict::Allow);
    }
}
