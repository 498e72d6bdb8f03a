//! The console's own second factor, for a user pool where Cognito's software-token MFA is off (the
//! platform's pool sets no MFA configuration): an authenticator app enrolled here (RFC 6238, see
//! `totp`), its secret kept sealed by the store, each code accepted once, and ten one-time recovery
//! codes kept as hashes. Enrol, verify at sign-in, and an admin's reset, audited.
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::audit::{Action, Actor, Outcome};
use crate::error::{chain, Unavailable};
use crate::ports::{Factor, FactorStage, Factors, Ids};
use crate::services::audit::{AuditLog, Audited};
use crate::services::sessions::Whose;
use crate::time::Clock;
use crate::totp;

/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
const SECRET_BYTES: usize = 20;

/// A member's console factor as their profile shows it.
#[derive(Debug, Clone)]
pub enum FactorState {
    None,
    /// An enrolment under way: the secret to add to the app (shown only to its member).
    Pending(SecretString),
    Active {
        recovery_left: usize,
        enrolled_at: i64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FactorError {
    #[error("there is no enrolment under way")]
    NoEnrolment,
    #[error("an authenticator is already this account's second factor")]
    AlreadyActive,
    #[error("the account has no second factor")]
    NoFactor,
    #[error("that code does not match")]
    WrongCode,
    #[error("that code was already used")]
    Replayed,
    #[error("{0}")]
    Unavailable(#[source] Unavailable),
}

impl From<Unavailable> for FactorError {
    fn from(e: Unavailable) -> FactorError {
        FactorError::Unavailable(e)
    }
}

/// How a sign-in's second factor was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    Code,
    /// A recovery code, and how many are left.
    Recovery {
        left: usize,
    },
}

/// The hash a recovery code is kept as (the code normalised: lower case, no dash or space).
pub fn recovery_hash(code: &str) -> String {
    use sha2::{Digest, Sha256};
    let normal: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    Sha256::digest(normal.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A recovery code as people read it: ten letters and digits in two groups (`k3m9x-q2w7p`).
fn recovery_code(bytes: &[u8]) -> String {
    let letters = totp::base32(bytes).to_lowercase();
    format!("{}-{}", &letters[..5], &letters[5..10])
}

pub struct SecondFactors {
    store: Arc<dyn Factors>,
    audit: Arc<AuditLog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn Ids>,
}

impl SecondFactors {
    pub fn new(store: Arc<dyn Factors>, audit: Arc<AuditLog>, clock: Arc<dyn Clock>, ids: Arc<dyn Ids>) -> SecondFactors {
        SecondFactors { store, audit, clock, ids }
    }

    pub async fn state(&self, sub: &str) -> Result<FactorState, Unavailable> {
        Ok(match self.store.get(sub).await? {
            None => FactorState::None,
            Some(Factor { stage: FactorStage::Pending, secret, .. }) => FactorState::Pending(secret),
            Some(Factor { stage: FactorStage::Active, recovery, enrolled_at, .. }) => {
                FactorState::Active { recovery_left: recovery.len(), enrolled_at }
            }
        })
    }

    /// Whether `sub` has an active factor (sign-in then asks for its code).
    pub async fn active(&self, sub: &str) -> Result<bool, Unavailable> {
        Ok(matches!(self.store.get(sub).await?, Some(Factor { stage: FactorStage::Active, .. })))
    }

    /// Starts an enrolment (or shows the one under way): the secret for the app, base32.
    pub async fn start(&self, sub: &str) -> Result<SecretString, FactorError> {
        match self.store.get(sub).await? {
            Some(Factor { stage: FactorStage::Active, .. }) => return Err(FactorError::AlreadyActive),
            Some(Factor { stage: FactorStage::Pending, secret, .. }) => return Ok(secret),
            None => {}
        }
        let secret = SecretString::from(totp::base32(&self.ids.random_bytes(SECRET_BYTES)));
        if !self.store.put_pending(sub, &secret, self.clock.unix()).await? {
            return Err(FactorError::AlreadyActive);
        }
        Ok(secret)
    }

    /// Finishes an enrolment with the app's first code: the factor is active, and the ten recovery
    /// codes are returned (shown once; only their hashes are kept).
    pub async fn confirm(&self, actor: &Actor, code: &str) -> Audited<Result<Vec<String>, FactorError>> {
        let result = self.confirmed(&actor.sub, code).await;
        // A refused code changes nothing and is not an event; an enrolment done or failed is.
        let event = match &result {
            Ok(codes) => Some((
                Outcome::Success,
                format!("an authenticator app is now this account's second factor (the console's), with {} recovery codes", codes.len()),
            )),
            Err(FactorError::Unavailable(e)) => Some((Outcome::Failure, format!("enrolment failed: {}", chain(e)))),
            Err(_) => None,
        };
        let recorded = match event {
            Some((outcome, detail)) => self.audit.record(actor.event(Action::MfaEnrolled, None, outcome, detail)).await,
            None => crate::services::audit::Recorded::Yes,
        };
        Audited::new(result, recorded)
    }

    async fn confirmed(&self, sub: &str, code: &str) -> Result<Vec<String>, FactorError> {
        let Some(Factor { stage: FactorStage::Pending, secret, .. }) = self.store.get(sub).await? else {
            return Err(FactorError::NoEnrolment);
        };
        let bytes = totp::from_base32(secret.expose_secret()).ok_or(FactorError::NoEnrolment)?;
        let now = self.clock.unix();
        let step = totp::matching_step(&bytes, code, now).ok_or(FactorError::WrongCode)?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code(&self.ids.random_bytes(7))).collect();
        let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
        if !self.store.activate(sub, step, &hashes, now).await? {
            return Err(FactorError::NoEnrolment);
        }
        Ok(codes)
    }

    /// A sign-in's second factor: an authenticator code not used before, or an unused recovery
    /// code (then used up).
    pub async fn verify(&self, sub: &str, typed: &str) -> Result<Proof, FactorError> {
        let Some(Factor { stage: FactorStage::Active, secret, recovery, .. }) = self.store.get(sub).await? else {
            return Err(FactorError::NoFactor);
        };
        let typed = typed.trim();
        if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
            let bytes = totp::from_base32(secret.expose_secret()).ok_or(FactorError::NoFactor)?;
            let step = totp::matching_step(&bytes, typed, self.clock.unix()).ok_or(FactorError::WrongCode)?;
            return match self.store.use_step(sub, step).await? {
                true => Ok(Proof::Code),
                false => Err(FactorError::Replayed),
            };
        }
        let hash = recovery_hash(typed);
        if !recovery.contains(&hash) || !self.store.use_recovery(sub, &hash).await? {
            return Err(FactorError::WrongCode);
        }
        Ok(Proof::Recovery { left: recovery.len() - 1 })
    }

    /// An admin removes a member's console factor (they enrol again at their next sign-in if their
    /// role requires one); whether there was one.
    pub async fn reset(&self, actor: &Actor, whose: &Whose) -> Audited<Result<bool, Unavailable>> {
        let result = self.store.delete(&whose.sub).await;
        let (outcome, detail) = match &result {
            Ok(true) => (Outcome::Success, format!("second factor of {} reset: they enrol again", whose.email)),
            Ok(false) => (Outcome::Refused, format!("{} had no second factor of the console's to reset", whose.email)),
            Err(e) => (Outcome::Failure, format!("second factor of {} not reset: {}", whose.email, chain(e))),
        };
        let recorded = self.audit.record(actor.event(Action::MfaReset, None, outcome, detail)).await;
        Audited::new(result, recorded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fail, Fakes};

    fn ada() -> Actor {
        Actor { sub: "sub-ada".into(), email: "ada@example.com".into(), request_id: None }
    }

    fn code_now(f: &Fakes, secret: &SecretString, offset_steps: i64) -> String {
        let bytes = totp::from_base32(secret.expose_secret()).unwrap();
        totp::code(&bytes, totp::step_of(f.clock.unix()) + offset_steps)
    }

    #[tokio::test]
    async fn an_enrolment_takes_the_apps_code_then_each_code_works_once() {
        let f = Fakes::new();
        let factors = f.second_factors();
        assert!(matches!(factors.state("sub-ada").await.unwrap(), FactorState::None));
        let secret = factors.start("sub-ada").await.unwrap();
        assert_eq!(totp::from_base32(secret.expose_secret()).unwrap().len(), 20);
        assert_eq!(factors.start("sub-ada").await.unwrap().expose_secret(), secret.expose_secret(), "the same enrolment is shown again");
        assert!(!factors.active("sub-ada").await.unwrap(), "pending is not a factor yet");
        assert!(matches!(factors.confirm(&ada(), "000000").await.value, Err(FactorError::WrongCode)));
        let codes = factors.confirm(&ada(), &code_now(&f, &secret, 0)).await.value.unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'), "{codes:?}");
        assert!(f.factors.stored("sub-ada").unwrap().recovery.iter().all(|h| !codes.contains(h)), "only hashes are kept");
        assert_eq!(f.audit.entries()[0].action.as_str(), "mfa.enrolled");
        assert!(matches!(factors.start("sub-ada").await, Err(FactorError::AlreadyActive)));

        // The enrolment's own code cannot sign in again; the next step's can, once.
        assert!(matches!(factors.verify("sub-ada", &code_now(&f, &secret, 0)).await, Err(FactorError::Replayed)));
        f.clock.advance(std::time::Duration::from_secs(30));
        let next = code_now(&f, &secret, 0);
        assert_eq!(factors.verify("sub-ada", &next).await.unwrap(), Proof::Code);
        assert!(matches!(factors.verify("sub-ada", &next).await, Err(FactorError::Replayed)));
        // One step of drift either side; two is too far.
        f.clock.advance(std::time::Duration::from_secs(60));
        assert_eq!(factors.verify("sub-ada", &code_now(&f, &secret, 1)).await.unwrap(), Proof::Code);
        assert!(matches!(factors.verify("sub-ada", &code_now(&f, &secret, 3)).await, Err(FactorError::WrongCode)));
    }

    #[tokio::test]
    async fn a_recovery_code_works_once_and_an_admin_reset_removes_the_factor() {
        let f = Fakes::new();
        let factors = f.second_factors();
        let secret = factors.start("sub-ada").await.unwrap();
        let codes = factors.confirm(&ada(), &code_now(&f, &secret, 0)).await.value.unwrap();
        assert_eq!(factors.verify("sub-ada", &codes[3].to_uppercase()).await.unwrap(), Proof::Recovery { left: 9 });
        assert!(matches!(factors.verify("sub-ada", &codes[3]).await, Err(FactorError::WrongCode)), "used up");
        assert!(matches!(factors.verify("sub-ada", "not-a-code").await, Err(FactorError::WrongCode)));
        let root = Actor { sub: "sub-root".into(), email: "root@example.com".into(), request_id: None };
        let whose = Whose { sub: "sub-ada".into(), email: "ada@example.com".into() };
        assert!(factors.reset(&root, &whose).await.value.unwrap());
        assert!(matches!(factors.state("sub-ada").await.unwrap(), FactorState::None));
        assert!(matches!(factors.verify("sub-ada", &codes[4]).await, Err(FactorError::NoFactor)));
        let last = f.audit.entries().pop().unwrap();
        assert_eq!(
            (last.action.as_str(), last.detail.as_deref()),
            ("mfa.reset", Some("second factor of ada@example.com reset: they enrol again"))
        );
        assert!(!factors.reset(&root, &whose).await.value.unwrap(), "nothing left to reset");
    }

    #[tokio::test]
    async fn a_store_that_fails_changes_nothing_and_says_so() {
        let f = Fakes::new();
        let factors = f.second_factors();
        let secret = factors.start("sub-ada").await.unwrap();
        f.factors.script.fail("activate", Fail::Unavailable);
        assert!(matches!(factors.confirm(&ada(), &code_now(&f, &secret, 0)).await.value, Err(FactorError::Unavailable(_))));
        assert!(!factors.active("sub-ada").await.unwrap());
        assert_eq!(f.audit.entries()[0].outcome.as_str(), "failure");
    }
}
