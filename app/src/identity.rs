//! Who is signed in, as the browser may see it, and what the session holds.
//! Neither type carries a Cognito token: only identity and expiry.
use serde::{Deserialize, Serialize};

/// The signed-in administrator as shown in the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminIdentity {
    /// Cognito `sub`: the stable id the platform records.
    pub sub: String,
    pub email: String,
}

/// What the server session stores under [`SESSION_ADMIN_KEY`] after a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSession {
    pub sub: String,
    pub email: String,
    /// Unix seconds after which the session no longer counts, whatever the store says.
    pub expires_at: i64,
}

impl AdminSession {
    pub fn is_live(&self, now_unix: i64) -> bool {
        now_unix < self.expires_at
    }

    pub fn identity(&self) -> AdminIdentity {
        AdminIdentity { sub: self.sub.clone(), email: self.email.clone() }
    }
}

pub const SESSION_ADMIN_KEY: &str = "admin";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_is_live_only_before_its_expiry() {
        let s = AdminSession { sub: "s".into(), email: "e".into(), expires_at: 100 };
        assert!(s.is_live(99));
        assert!(!s.is_live(100));
        assert!(!s.is_live(101));
    }
}
