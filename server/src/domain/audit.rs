//! An audit event as the console records it: who did what to which workspace, and how it went.
//! `detail` is for people: it never carries a token, a password or an invite code whole.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Refused => "refused",
        }
    }
}

/// One event. `detail` is for people: it never carries a token or password.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: &'static str,
    pub actor_sub: Option<String>,
    pub actor_email: Option<String>,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub request_id: Option<String>,
}

/// Who asked for a change: the signed-in admin and the request it came in, for its audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub sub: String,
    pub email: String,
    pub request_id: Option<String>,
}

impl Actor {
    /// The background health sweep, when it changes something (a refresh inside its window).
    pub fn sweep() -> Actor {
        Actor { sub: "console-health-sweep".to_owned(), email: "health sweep".to_owned(), request_id: None }
    }

    /// The event of a change this actor made (to a workspace, when `target` names one).
    pub fn event<'a>(&self, action: &'static str, target: impl Into<Option<&'a str>>, outcome: Outcome, detail: String) -> AuditEvent {
        AuditEvent {
            action,
            actor_sub: Some(self.sub.clone()),
            actor_email: Some(self.email.clone()),
            target: target.into().map(str::to_owned),
            outcome,
            detail: Some(detail),
            request_id: self.request_id.clone(),
        }
    }
}

impl From<&app::ports::Actor> for Actor {
    /// The signed-in admin a server function found, as the services audit it.
    fn from(a: &app::ports::Actor) -> Actor {
        Actor { sub: a.admin.sub.clone(), email: a.admin.email.clone(), request_id: Some(a.request_id.clone()) }
    }
}
