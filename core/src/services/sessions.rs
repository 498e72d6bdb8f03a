//! Members' sessions: the live ones listed for their member (on `/profile`) or for an admin (from
//! `/users`), and ended one at a time or all but the one in use. Ending deletes the stored
//! session, so every console instance refuses it once its short session cache lapses. Audited.
use std::sync::Arc;

use crate::audit::{Action, Actor, Outcome};
use crate::error::{chain, Unavailable};
use crate::ports::{Directory, MemberSessions, SessionSummary};
use crate::services::audit::{AuditLog, Audited};
use crate::time::{iso_of_unix, Clock};

/// Whose sessions: the member's sub, and their email for the audit log's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whose {
    pub sub: String,
    pub email: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EndError {
    #[error("that session has already ended")]
    Gone,
    #[error("{0}")]
    Unavailable(#[source] Unavailable),
}

/// A handle as the store makes them: 64 lowercase hex digits.
pub fn is_handle(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub struct Sessions {
    store: Arc<dyn MemberSessions>,
    directory: Arc<dyn Directory>,
    audit: Arc<AuditLog>,
    clock: Arc<dyn Clock>,
}

impl Sessions {
    pub fn new(store: Arc<dyn MemberSessions>, directory: Arc<dyn Directory>, audit: Arc<AuditLog>, clock: Arc<dyn Clock>) -> Sessions {
        Sessions { store, directory, audit, clock }
    }

    /// The pool's user `sub`, for an admin's view of their sessions; `None` if there is none.
    pub async fn whose(&self, sub: &str) -> Result<Option<Whose>, Unavailable> {
        let user = self.directory.by_sub(sub).await?;
        Ok(user.map(|u| Whose { email: u.email.unwrap_or_else(|| u.sub.clone()), sub: u.sub }))
    }

    /// The member's live sessions, the most recently active first.
    pub async fn live(&self, sub: &str) -> Result<Vec<SessionSummary>, Unavailable> {
        let now = self.clock.unix();
        let mut live: Vec<SessionSummary> = self.store.of_member(sub).await?.into_iter().filter(|s| s.ends_at > now).collect();
        live.sort_by(|a, b| b.seen_at.cmp(&a.seen_at).then_with(|| a.handle.cmp(&b.handle)));
        Ok(live)
    }

    /// Ends one session of `whose` (their own, or an admin's choice).
    pub async fn end(&self, actor: &Actor, whose: &Whose, handle: &str) -> Audited<Result<(), EndError>> {
        let summary = match self.live(&whose.sub).await {
            Ok(live) => live.into_iter().find(|s| s.handle == handle),
            Err(e) => return self.audited(actor, whose, Err(EndError::Unavailable(e)), "one session").await,
        };
        let Some(summary) = summary else {
            return self.audited(actor, whose, Err(EndError::Gone), "one session").await;
        };
        let result = match self.store.end(&whose.sub, handle).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(EndError::Gone),
            Err(e) => Err(EndError::Unavailable(e)),
        };
        let what = format!("the session signed in {} from {} ({})", iso_of_unix(summary.started_at), summary.address, summary.browser);
        self.audited(actor, whose, result, &what).await
    }

    /// Ends every live session of `whose` but `keep` (the one in use, when it is their own); how many.
    /// One failure stops nothing: the others are still ended, and the failure is what is answered.
    pub async fn end_all(&self, actor: &Actor, whose: &Whose, keep: Option<&str>) -> Audited<Result<usize, Unavailable>> {
        let live = match self.live(&whose.sub).await {
            Ok(live) => live,
            Err(e) => {
                let recorded = self.record(actor, whose, Outcome::Failure, format!("could not list the sessions: {}", chain(&e))).await;
                return Audited::new(Err(e), recorded);
            }
        };
        let (mut ended, mut failed) = (0, None);
        for s in live.iter().filter(|s| Some(s.handle.as_str()) != keep) {
            match self.store.end(&whose.sub, &s.handle).await {
                Ok(true) => ended += 1,
                Ok(false) => {}
                Err(e) => failed = Some(e),
            }
        }
        let others = if keep.is_some() { " other" } else { "" };
        let (outcome, detail) = match &failed {
            None => (Outcome::Success, format!("{ended}{others} session(s) ended")),
            Some(e) => (Outcome::Failure, format!("{ended}{others} session(s) ended; the rest could not be: {}", chain(e))),
        };
        let recorded = self.record(actor, whose, outcome, detail).await;
        Audited::new(failed.map_or(Ok(ended), Err), recorded)
    }

    async fn audited(&self, actor: &Actor, whose: &Whose, result: Result<(), EndError>, what: &str) -> Audited<Result<(), EndError>> {
        let (outcome, detail) = match &result {
            Ok(()) => (Outcome::Success, format!("ended {what}")),
            Err(e @ EndError::Gone) => (Outcome::Refused, format!("could not end {what}: {e}")),
            Err(e) => (Outcome::Failure, format!("could not end {what}: {}", chain(e))),
        };
        let recorded = self.record(actor, whose, outcome, detail).await;
        Audited::new(result, recorded)
    }

    async fn record(&self, actor: &Actor, whose: &Whose, outcome: Outcome, detail: String) -> crate::services::audit::Recorded {
        let detail =
            if whose.sub == actor.sub { format!("own sessions: {detail}") } else { format!("sessions of {}: {detail}", whose.email) };
        self.audit.record(actor.event(Action::SessionEnded, None, outcome, detail)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fail, Fakes};

    fn member(sub: &str) -> Actor {
        Actor { sub: sub.into(), email: format!("{sub}@example.com"), request_id: None }
    }

    fn whose(sub: &str) -> Whose {
        Whose { sub: sub.into(), email: format!("{sub}@example.com") }
    }

    fn handle(n: u8) -> String {
        format!("{n:02x}").repeat(32)
    }

    #[tokio::test]
    async fn live_sessions_are_listed_most_recent_first_and_ended_ones_are_not() {
        let f = Fakes::new();
        let now = f.clock.unix();
        f.sessions.add("ada", &handle(1), now - 600, now - 300, now + 1200);
        f.sessions.add("ada", &handle(2), now - 60, now - 10, now + 1700);
        f.sessions.add("ada", &handle(3), now - 9000, now - 4000, now - 1);
        f.sessions.add("bob", &handle(4), now - 60, now - 10, now + 1700);
        let live = f.sessions_service().live("ada").await.unwrap();
        assert_eq!(live.iter().map(|s| s.handle.clone()).collect::<Vec<_>>(), [handle(2), handle(1)]);
    }

    #[tokio::test]
    async fn a_member_ends_one_of_their_sessions_and_it_is_audited_in_words() {
        let f = Fakes::new();
        let now = f.clock.unix();
        f.sessions.add("ada", &handle(1), now - 600, now - 300, now + 1200);
        f.sessions.add("ada", &handle(2), now - 60, now - 10, now + 1700);
        let sessions = f.sessions_service();
        assert!(sessions.end(&member("ada"), &whose("ada"), &handle(1)).await.value.is_ok());
        assert_eq!(sessions.live("ada").await.unwrap().len(), 1);
        let e = &f.audit.entries()[0];
        assert_eq!((e.action.as_str(), e.outcome.as_str()), ("session.ended", "success"));
        let detail = e.detail.clone().unwrap();
        assert!(detail.starts_with("own sessions: ended the session signed in "), "{detail}");
        assert!(detail.contains("203.0.113.7") && detail.contains("Firefox on Linux"), "{detail}");
        assert!(!detail.contains(&handle(1)), "the handle is not worth keeping in the log");
        // Twice: nothing left to end, refused and said.
        assert!(matches!(sessions.end(&member("ada"), &whose("ada"), &handle(1)).await.value, Err(EndError::Gone)));
    }

    #[tokio::test]
    async fn nobody_ends_a_session_of_another_member_by_naming_its_handle() {
        let f = Fakes::new();
        let now = f.clock.unix();
        f.sessions.add("bob", &handle(4), now - 60, now - 10, now + 1700);
        let sessions = f.sessions_service();
        assert!(matches!(sessions.end(&member("ada"), &whose("ada"), &handle(4)).await.value, Err(EndError::Gone)));
        assert_eq!(sessions.live("bob").await.unwrap().len(), 1, "bob's session is untouched");
    }

    #[tokio::test]
    async fn everywhere_else_keeps_the_session_in_use_and_an_admin_ends_them_all() {
        let f = Fakes::new();
        let now = f.clock.unix();
        for n in 1..=3 {
            f.sessions.add("ada", &handle(n), now - 600, now - 10 * i64::from(n), now + 1200);
        }
        let sessions = f.sessions_service();
        assert_eq!(sessions.end_all(&member("ada"), &whose("ada"), Some(&handle(2))).await.value.unwrap(), 2);
        assert_eq!(sessions.live("ada").await.unwrap().iter().map(|s| s.handle.clone()).collect::<Vec<_>>(), [handle(2)]);
        assert_eq!(sessions.end_all(&member("root"), &whose("ada"), None).await.value.unwrap(), 1);
        assert!(sessions.live("ada").await.unwrap().is_empty());
        let last = f.audit.entries().pop().unwrap();
        assert_eq!(last.actor_email.as_deref(), Some("root@example.com"));
        assert_eq!(last.detail.as_deref(), Some("sessions of ada@example.com: 1 session(s) ended"));
    }

    #[tokio::test]
    async fn a_store_that_fails_midway_still_ends_the_rest_and_says_so() {
        let f = Fakes::new();
        let now = f.clock.unix();
        for n in 1..=3 {
            f.sessions.add("ada", &handle(n), now - 600, now - 10 * i64::from(n), now + 1200);
        }
        f.sessions.script.fail("end", Fail::Unavailable);
        let done = f.sessions_service().end_all(&member("root"), &whose("ada"), None).await;
        assert!(done.value.is_err());
        assert_eq!(f.sessions_service().live("ada").await.unwrap().len(), 1, "the two others were ended");
        let last = f.audit.entries().pop().unwrap();
        assert_eq!(last.outcome.as_str(), "failure");
        assert!(last.detail.unwrap().contains("2 session(s) ended; the rest could not be"));
    }

    #[test]
    fn a_handle_is_64_lowercase_hex_digits() {
        assert!(is_handle(&handle(171)));
        assert!(!is_handle(&handle(171).to_uppercase()));
        assert!(!is_handle(&handle(1)[..63]));
        assert!(!is_handle(&format!("s#{}", &handle(1)[..62])));
    }
}
