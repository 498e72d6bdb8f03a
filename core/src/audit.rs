//! An audit event as the console records it: who did what to which workspace, and how it went.
//! `detail` is for people: it never carries a token, a password or an invite code whole.
use crate::codes;
use crate::ids::RequestId;

codes! {
    /// How a change went; the code is what the log keeps.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Outcome {
        Success = "success",
        Failure = "failure",
        Refused = "refused",
    }
}

codes! {
    /// What was done; the code is what the log keeps and filters by (`workspace.` for a family).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Action {
        WorkspaceInstall = "workspace.install",
        WorkspaceReconnect = "workspace.reconnect",
        WorkspaceCheck = "workspace.check",
        WorkspaceRefresh = "workspace.refresh",
        WorkspaceRevoke = "workspace.revoke",
        WorkspaceRemove = "workspace.remove",
        WorkspaceOrphanRetry = "workspace.orphan_retry",
        WorkspaceWebhookSecret = "workspace.webhook_secret",
        UserLink = "user.link",
        UserLinkChange = "user.link_change",
        UserUnlink = "user.unlink",
        UserInvite = "user.invite",
        UserInviteRevoke = "user.invite_revoke",
        UserCreate = "user.create",
        InstallLinkCreate = "install_link.create",
        InstallLinkRevoke = "install_link.revoke",
        ProjectMap = "project.map",
        ProjectChange = "project.change",
        ProjectDeactivate = "project.deactivate",
        ProjectReactivate = "project.reactivate",
        IncidentAcknowledge = "incident.acknowledge",
        IncidentSnooze = "incident.snooze",
        AlertTest = "alert.test",
        SignIn = "sign_in",
        SignOut = "sign_out",
        SignInThrottled = "sign_in.throttled",
        SessionEnded = "session.ended",
        MfaEnrolled = "mfa.enrolled",
        MfaReset = "mfa.reset",
        /// A lifecycle event that its bus or webhook would not take after retries: the event itself
        /// is in the detail.
        EventUndelivered = "event.undelivered",
        /// An undelivered lifecycle event sent again by hand (*Send again* on `/audit`).
        EventResent = "event.resent",
    }
}

/// One event. `detail` is for people: it never carries a token or password.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: Action,
    pub actor_sub: Option<String>,
    pub actor_email: Option<String>,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub request_id: Option<String>,
}

impl AuditEvent {
    /// Its optional text fields by their stored names, as the table and the log stream keep them.
    pub fn texts(&self) -> [(&'static str, &Option<String>); 5] {
        [
            ("actor_sub", &self.actor_sub),
            ("actor_email", &self.actor_email),
            ("target", &self.target),
            ("detail", &self.detail),
            ("request_id", &self.request_id),
        ]
    }
}

/// The most an event's fields may hold, in characters: an unauthenticated request (a failed
/// sign-in) can make the console write an event, so nothing it sends may be stored unbounded.
pub const EMAIL_MAX: usize = 254;
pub const ID_MAX: usize = 128;
pub const TARGET_MAX: usize = 256;
pub const DETAIL_MAX: usize = 2000;

impl AuditEvent {
    /// The event as it may be stored: every field cut to its bound (control characters dropped),
    /// and a request id kept only when it is a UUID (the console's own, or a proxy's in that shape).
    pub fn bounded(self) -> AuditEvent {
        AuditEvent {
            actor_sub: self.actor_sub.map(|s| cut(&s, ID_MAX)),
            actor_email: self.actor_email.map(|s| cut(&s, EMAIL_MAX)),
            target: self.target.map(|s| cut(&s, TARGET_MAX)),
            detail: self.detail.map(|s| cut(&s, DETAIL_MAX)),
            request_id: self.request_id.filter(|r| is_request_id(r)),
            ..self
        }
    }
}

/// A request id the console accepts: a UUID in its hyphenated form, as the edge generates them.
pub fn is_request_id(s: &str) -> bool {
    crate::ids::RequestId::parse(s).is_ok()
}

/// At most `max` characters of `s` without control characters; an ellipsis says it was cut.
pub(crate) fn cut(s: &str, max: usize) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= max {
        return clean;
    }
    let mut out: String = clean.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Who asked for a change: the signed-in admin and the request it came in, for its audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub sub: String,
    pub email: String,
    pub request_id: Option<RequestId>,
}

impl Actor {
    /// The background health sweep, when it changes something (a refresh inside its window).
    pub fn sweep() -> Actor {
        Actor { sub: "console-health-sweep".to_owned(), email: "health sweep".to_owned(), request_id: None }
    }

    /// The event of a change this actor made (to a workspace, when `target` names one).
    pub fn event<'a>(&self, action: Action, target: impl Into<Option<&'a str>>, outcome: Outcome, detail: String) -> AuditEvent {
        AuditEvent {
            action,
            actor_sub: Some(self.sub.clone()),
            actor_email: Some(self.email.clone()),
            target: target.into().map(str::to_owned),
            outcome,
            detail: Some(detail),
            request_id: self.request_id.as_ref().map(RequestId::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(email: &str, detail: &str, rid: &str) -> AuditEvent {
        AuditEvent {
            action: Action::SignIn,
            actor_sub: None,
            actor_email: Some(email.to_owned()),
            target: None,
            outcome: Outcome::Failure,
            detail: Some(detail.to_owned()),
            request_id: Some(rid.to_owned()),
        }
    }

    #[test]
    fn what_a_stranger_sends_is_stored_bounded() {
        let ev = event(&"a".repeat(100_000), &"d".repeat(50_000), "<script>alert(1)</script>").bounded();
        assert_eq!(ev.actor_email.as_ref().map(|e| e.chars().count()), Some(EMAIL_MAX));
        assert!(ev.actor_email.unwrap().ends_with('…'));
        assert_eq!(ev.detail.map(|d| d.chars().count()), Some(DETAIL_MAX));
        assert_eq!(ev.request_id, None, "a request id that is not a UUID is not stored");
    }

    #[test]
    fn ordinary_events_are_kept_as_they_are() {
        let rid = "5f0c7a52-8a3b-4c1e-9d55-0a9e3f1b2c4d";
        let ev = event("ann@example.com", "Incorrect username or password.", rid).bounded();
        assert_eq!(ev.actor_email.as_deref(), Some("ann@example.com"));
        assert_eq!(ev.detail.as_deref(), Some("Incorrect username or password."));
        assert_eq!(ev.request_id.as_deref(), Some(rid));
        assert_eq!(event("a\nb@example.com", "x", rid).bounded().actor_email.as_deref(), Some("ab@example.com"));
    }
}
