//! Who is signed in, as the browser may see it, what they may do, and what the session holds.
//! None of these types carries a Cognito token: only identity, role and times.
use serde::{Deserialize, Serialize};

pub use console_core::access::Role;

/// The signed-in person as shown in the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Cognito `sub`: the stable id the platform records.
    pub sub: String,
    pub email: String,
    #[serde(default)]
    pub role: Role,
}

impl Identity {
    pub fn may(&self, needed: Role) -> bool {
        self.role.allows(needed)
    }
}

/// What the server session stores under [`SESSION_MEMBER_KEY`] after a sign-in. Every time is
/// in Unix seconds; the session counts only while both limits are ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSession {
    pub sub: String,
    pub email: String,
    pub role: Role,
    /// The absolute end: sign-in plus the session lifetime, whatever the activity.
    pub expires_at: i64,
    /// The idle end: the last recorded activity plus the idle timeout.
    pub idle_until: i64,
    /// When activity was last recorded (written at most once a minute, not on every request).
    pub touched_at: i64,
    /// Signed in with a second factor (an authenticator code).
    #[serde(default)]
    pub mfa: bool,
    /// Must enrol a second factor before anything else (the role requires one and the account
    /// has none): only the profile page and sign-out are open to this session.
    #[serde(default)]
    pub must_enrol: bool,
    /// When it signed in (for the member's list of sessions).
    #[serde(default)]
    pub started_at: i64,
    /// The address it signed in from.
    #[serde(default)]
    pub address: String,
    /// The browser and system it signed in with, in words (`Firefox on Linux`).
    #[serde(default)]
    pub browser: String,
}

/// Activity is written back to the session at most this often.
pub const TOUCH_EVERY_SECONDS: i64 = 60;

impl MemberSession {
    pub fn new(identity: Identity, now: i64, lifetime: i64, idle: i64) -> MemberSession {
        let expires_at = now + lifetime;
        MemberSession {
            sub: identity.sub,
            email: identity.email,
            role: identity.role,
            expires_at,
            idle_until: (now + idle).min(expires_at),
            touched_at: now,
            mfa: false,
            must_enrol: false,
            started_at: now,
            address: String::new(),
            browser: String::new(),
        }
    }

    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at && now < self.idle_until
    }

    /// Records activity at `now` if the last record is old enough: `true` when the session changed
    /// (and so must be saved). The idle end never passes the absolute one.
    pub fn touch(&mut self, now: i64, idle: i64) -> bool {
        if now - self.touched_at < TOUCH_EVERY_SECONDS {
            return false;
        }
        self.touched_at = now;
        self.idle_until = (now + idle).min(self.expires_at);
        true
    }

    pub fn identity(&self) -> Identity {
        Identity { sub: self.sub.clone(), email: self.email.clone(), role: self.role }
    }
}

pub const SESSION_MEMBER_KEY: &str = "member";

#[cfg(test)]
mod tests {
    use super::*;

    fn session(now: i64) -> MemberSession {
        let who = Identity { sub: "s".into(), email: "e".into(), role: Role::Operator };
        MemberSession::new(who, now, 8 * 3600, 30 * 60)
    }

    #[test]
    fn a_session_ends_at_its_absolute_end_whatever_the_activity() {
        let mut s = session(0);
        let mut now = 0;
        while now < 8 * 3600 {
            assert!(s.is_live(now), "{now}");
            s.touch(now, 30 * 60);
            now += 600;
        }
        assert!(!s.is_live(8 * 3600));
        assert_eq!(s.idle_until, 8 * 3600, "the idle end never passes the absolute one");
    }

    #[test]
    fn a_session_left_idle_ends_and_activity_moves_the_idle_end() {
        let mut s = session(0);
        assert!(s.is_live(30 * 60 - 1));
        assert!(!s.is_live(30 * 60));
        assert!(s.touch(20 * 60, 30 * 60));
        assert!(s.is_live(49 * 60));
        assert!(!s.is_live(50 * 60));
    }

    #[test]
    fn activity_is_written_at_most_once_a_minute() {
        let mut s = session(0);
        assert!(!s.touch(59, 1800), "too soon: nothing to save");
        assert_eq!(s.idle_until, 1800);
        assert!(s.touch(60, 1800));
        assert!(!s.touch(61, 1800));
    }
}
