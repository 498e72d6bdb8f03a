//! Password guessing, slowed and then stopped: each sign-in asks first whether its account and its
//! client address may try now, and each failure is counted under both (in DynamoDB, so every
//! console instance sees the same counts). Reaching a threshold is written to the audit log once.
//! An outage of the counters lets sign-in go on (Cognito still checks the password), logged.
use sha2::{Digest, Sha256};

use crate::adapters::dynamodb::audit::AuditLog;
use crate::adapters::dynamodb::sign_in_attempts::SignInAttempts;
use crate::domain::audit::{AuditEvent, Outcome};
use crate::domain::sign_in_throttle::{stricter, Limits, Transition, Verdict, ACCOUNT, ADDRESS};

#[derive(Clone)]
pub struct SignInThrottle {
    attempts: SignInAttempts,
    audit: AuditLog,
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
    pub fn new(attempts: SignInAttempts, audit: AuditLog) -> SignInThrottle {
        SignInThrottle { attempts, audit }
    }

    /// Whether this account may try from this address now (both counters read side by side).
    pub async fn verdict(&self, email: &str, address: &str, now: i64) -> Verdict {
        let k = keys(email, address);
        let (account, address) = tokio::join!(self.attempts.read(&k.account), self.attempts.read(&k.address));
        let read = |r: Result<_, _>| match r {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "sign-in counters unreadable; this try is not throttled");
                None
            }
        };
        stricter(ACCOUNT.verdict(read(account).as_ref(), now), ADDRESS.verdict(read(address).as_ref(), now))
    }

    /// Counts a failed try under both keys; a threshold reached is audited.
    pub async fn failed(&self, email: &str, address: &str, now: i64) {
        let k = keys(email, address);
        let (account, by_address) =
            tokio::join!(self.attempts.fail(&k.account, &ACCOUNT, now), self.attempts.fail(&k.address, &ADDRESS, now));
        self.announce(&ACCOUNT, account, Some(email), "account", now).await;
        self.announce(&ADDRESS, by_address, None, &format!("address {address}"), now).await;
    }

    /// A successful sign-in forgets the account's failures (not the address's: one good password
    /// from an address does not excuse its other guesses).
    pub async fn succeeded(&self, email: &str) {
        if let Err(e) = self.attempts.clear(&keys(email, "").account).await {
            tracing::warn!(error = %e, "could not clear the account's failed sign-ins");
        }
    }

    async fn announce(
        &self,
        limits: &Limits,
        counted: Result<crate::domain::sign_in_throttle::Failures, impl std::fmt::Display>,
        email: Option<&str>,
        what: &str,
        now: i64,
    ) {
        let f = match counted {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "could not count a failed sign-in");
                return;
            }
        };
        let detail = match limits.transition(f.count) {
            Some(Transition::Slowed) => {
                format!("{what}: {} failed sign-ins in {} minutes; further tries must wait", f.count, limits.window / 60)
            }
            Some(Transition::Locked) => format!(
                "{what}: {} failed sign-ins; refused until {}",
                f.count,
                crate::domain::iso_millis(
                    time::OffsetDateTime::from_unix_timestamp(now + limits.lock_for).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
                )
            ),
            None => return,
        };
        let event = AuditEvent {
            action: "sign_in.throttled",
            actor_sub: None,
            actor_email: email.map(str::to_owned),
            target: None,
            outcome: Outcome::Refused,
            detail: Some(detail),
            request_id: None,
        };
        let _ = self.audit.record(event).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hold_no_email_and_no_stray_characters() {
        let k = keys(" Ada@Example.com ", "203.0.113.9");
        assert_eq!(k.account, keys("ada@example.com", "").account, "one account whatever the case and spaces");
        assert!(!k.account.contains("ada"));
        assert_eq!(k.address, "throttle#address#203.0.113.9");
        assert_eq!(keys("a", "2001:db8::1").address, "throttle#address#2001:db8::1");
        assert_eq!(keys("a", "<x>#y").address, "throttle#address#");
    }
}
