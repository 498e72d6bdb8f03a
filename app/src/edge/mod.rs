//! The server side of the app's boundary (ssr only): what a server function needs around its one
//! call to a service. The member of the request (the server's gate established it, once, and put it
//! in the request), the services (provided once per request), the arguments parsed into typed
//! values, the one place a failure becomes what the browser sees, and the one place a change's
//! typed outcome becomes the page the browser goes to next ([`landing`]).
pub mod charts;
pub mod convert;
pub mod landing;

use std::sync::Arc;

use axum::http::{header, HeaderValue};
use console_core::audit::Actor;
use console_core::error::chain;
use console_core::ids::{IdError, RequestId};
use console_core::services::Services;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::errors::AppError;
use crate::identity::{Identity, Role};
use crate::wire::Profile;

/// Where the session keeps an install whose bundle is saved but whose registry row is not (for
/// *Finish install*).
pub const UNFINISHED_KEY: &str = "linear_unfinished";

/// What the server functions reach: the services, and the facts of the configuration the pages
/// show. Provided to every request by the server.
#[derive(Clone)]
pub struct Console {
    pub services: Arc<Services>,
    /// The redirect URI to register with the Linear app.
    pub redirect_uri: String,
    /// The console's public URL (install links are made on it).
    pub public_url: String,
    /// How often the health sweep runs, if it does.
    pub sweep_interval: Option<std::time::Duration>,
    /// Alert webhooks are signed (a secret is configured).
    pub webhook_signed: bool,
    /// Set once a request arrives with `X-Forwarded-For` while `CONSOLE_TRUSTED_PROXY_HOPS` is 0.
    pub proxy_without_hops: Arc<std::sync::atomic::AtomicBool>,
    /// The member's own page (their second factor, in Cognito and the session).
    pub profile: Arc<dyn ProfilePort>,
    /// The sessions that changed something lately, so their pages read since the change.
    pub recent_changes: RecentChanges,
    /// How long the pages' reads are shared (`CONSOLE_OVERVIEW_CACHE_SECONDS`).
    pub page_cache_seconds: i64,
    /// Where audit events are also written (`group <name>, stream <name>`), if anywhere.
    pub audit_log: Option<String>,
    /// Why the platform's processor log is not known (the stack was asked and could not tell).
    pub drops_unknown: Option<String>,
}

/// The sessions of this instance that made a change lately (by their handle), and when: for the
/// pages' time after a change, that session's pages read since it (the audit log it opens next shows
/// its event); every other session's pages keep the shared read. By session, not by member: many
/// sessions of one account (a shared admin, a load test) do not make each other's pages read anew.
#[derive(Clone, Debug, Default)]
pub struct RecentChanges(Arc<std::sync::Mutex<std::collections::HashMap<String, i64>>>);

/// More sessions than this and the list starts afresh (at worst a page reads anew).
const MAX_RECENT_CHANGES: usize = 10_000;

impl RecentChanges {
    /// `session` changed something at `at_ms` (unix milliseconds).
    pub fn note(&self, session: &str, at_ms: i64) {
        if let Ok(mut m) = self.0.lock() {
            if m.len() >= MAX_RECENT_CHANGES {
                m.clear();
            }
            m.insert(session.to_owned(), at_ms);
        }
    }

    /// When `session` last changed something, if within the `within` seconds before `now_ms`.
    pub fn since(&self, session: &str, now_ms: i64, within: i64) -> Option<i64> {
        self.0.lock().ok().and_then(|m| m.get(session).copied()).filter(|at| now_ms - at < within * 1000)
    }
}

/// The signed-in member's own page: their second factor.
#[async_trait::async_trait]
pub trait ProfilePort: Send + Sync {
    async fn profile(&self, member: &Identity, session: &tower_sessions::Session) -> Profile;
}

impl Console {
    pub fn get() -> Result<Console, AppError> {
        use_context::<Console>().ok_or_else(|| internal("the console's services are missing from the request"))
    }
}

/// Proof that the request comes from a signed-in member of one of the console's groups, with their
/// role: the server's gate reads the session once (and re-checks the role with the roster), then
/// puts this in the request for every server function and route of that request.
#[derive(Debug, Clone)]
pub struct Member {
    identity: Identity,
    request_id: Option<RequestId>,
}

impl Member {
    pub fn new(identity: Identity, request_id: Option<RequestId>) -> Member {
        Member { identity, request_id }
    }

    /// For a server function: the request's member if their role allows `needed`; 401 for no
    /// member, 403 for a role below it.
    pub fn require(needed: Role) -> Result<Member, AppError> {
        let member = use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<Member>().cloned());
        let Some(member) = member else {
            set_status(401);
            return Err(AppError::Unauthorized);
        };
        if !member.identity.may(needed) {
            set_status(403);
            return Err(AppError::Forbidden(member.identity.role.label().to_owned()));
        }
        Ok(member)
    }

    /// For an axum route: this member if their role allows `needed`, else the refusal (a 403).
    pub fn at_least(self, needed: Role) -> Result<Member, RoleRefused> {
        if self.identity.may(needed) {
            return Ok(self);
        }
        Err(RoleRefused(self.identity.role))
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// This member as the author of a change made in this request (for its audit event).
    pub fn actor(&self) -> Actor {
        Actor { sub: self.identity.sub.clone(), email: self.identity.email.clone(), request_id: self.request_id.clone() }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Member {
    type Rejection = axum::response::Response;

    /// The member the gate put in the request; a route behind the gate always has one.
    async fn from_request_parts(parts: &mut http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        parts.extensions.get::<Member>().cloned().ok_or_else(|| axum::response::Redirect::to("/login").into_response())
    }
}

/// The member, where a route may be reached without one (the Linear callback of an install link).
impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Member {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut http::request::Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Member>().cloned())
    }
}

/// The request's own session, as the sessions table names it (its id hashed): put in the request
/// by the server's gate, so a list of sessions can say which one is in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentSession(pub String);

impl CurrentSession {
    /// This request's, if the gate found one.
    pub fn get() -> Option<CurrentSession> {
        use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<CurrentSession>().cloned())
    }
}

/// A plain route refused for the member's role: answers 403 with the reason.
#[derive(Debug, Clone, Copy)]
pub struct RoleRefused(pub Role);

impl axum::response::IntoResponse for RoleRefused {
    fn into_response(self) -> axum::response::Response {
        (http::StatusCode::FORBIDDEN, AppError::Forbidden(self.0.label().to_owned()).to_string()).into_response()
    }
}

/// An argument parsed into its type once, at the edge: a refusal is the client's mistake (400),
/// naming the field.
pub fn arg<T: std::str::FromStr<Err = IdError>>(field: &str, raw: &str) -> Result<T, AppError> {
    raw.trim().parse::<T>().map_err(|e| invalid(e.about(field)))
}

/// As [`arg`], for a field that may be left empty.
pub fn optional_arg<T: std::str::FromStr<Err = IdError>>(field: &str, raw: Option<&str>) -> Result<Option<T>, AppError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => arg(field, raw).map(Some),
    }
}

/// A field refused at the edge: 400, with the message naming it.
pub fn checked<T>(r: crate::validate::Checked<T>) -> Result<T, AppError> {
    r.map_err(invalid)
}

pub fn invalid(why: impl Into<String>) -> AppError {
    set_status(400);
    AppError::Invalid(why.into())
}

pub fn not_found(what: impl Into<String>) -> AppError {
    set_status(404);
    AppError::NotFound(what.into())
}

/// A service the console depends on failed: its cause goes to the log once, with its chain and
/// the request id; the browser gets the service's name and the id to quote.
pub fn unavailable(service: &str, cause: &(dyn std::error::Error + 'static)) -> AppError {
    let request_id = request_id();
    tracing::error!(%request_id, service, error = %chain(cause), "backend call failed");
    set_status(503);
    AppError::Unavailable { service: service.to_owned(), request_id }
}

/// As [`unavailable`], naming the service the error's chain says failed (`AWS` when none does).
pub fn failed(e: &(dyn std::error::Error + 'static)) -> AppError {
    let mut next = Some(e);
    let mut service = "AWS";
    while let Some(err) = next {
        let found = err
            .downcast_ref::<console_core::error::Unavailable>()
            .or_else(|| err.downcast_ref::<console_core::error::StoreError>().and_then(|s| s.unavailable()));
        if let Some(u) = found {
            service = u.service.code();
            break;
        }
        next = err.source();
    }
    unavailable(service, e)
}

/// A fault of the console itself (something missing that is always provided).
pub fn internal(what: &str) -> AppError {
    let request_id = request_id();
    tracing::error!(%request_id, "{what}");
    set_status(500);
    AppError::Internal { request_id }
}

/// Answers a change with where the browser goes next. A plain HTML form post (before the wasm
/// loads) gets a 303 to it; a server-function call gets leptos' redirect header.
pub fn land(location: String) -> String {
    if let (Some(console), Some(session)) = (use_context::<Console>(), CurrentSession::get()) {
        console.recent_changes.note(&session.0, now_unix_ms());
    }
    leptos_axum::redirect(&location);
    let plain_form = use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("text/html")))
        .unwrap_or(false);
    if plain_form {
        set_status(303);
    }
    location
}

pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Now, in unix milliseconds (the clock of the services' caches: [`RecentChanges`]).
pub fn now_unix_ms() -> i64 {
    console_core::cache::millis(time::OffsetDateTime::now_utc())
}

/// The id the server gave this request (`x-request-id`), for messages a user can quote.
pub fn request_id() -> String {
    use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Sets the status of the response being made (a 404 page, a 403 page, a refusal).
pub fn set_status(code: u16) {
    if let (Some(res), Ok(code)) = (use_context::<ResponseOptions>(), http::StatusCode::from_u16(code)) {
        res.set_status(code);
    }
}

/// Provides the CSP nonce for this response and sends the matching policy.
/// (Cache-Control and the other headers are the server's `security_headers` middleware's.)
pub fn set_page_security_headers() {
    leptos::nonce::provide_nonce();
    let Some(nonce) = leptos::nonce::use_nonce() else { return };
    let Some(res) = use_context::<ResponseOptions>() else { return };
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
         base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}

#[cfg(test)]
mod tests {
    use super::RecentChanges;

    #[test]
    fn a_session_that_changed_something_reads_anew_for_the_pages_time_and_no_other_does() {
        let recent = RecentChanges::default();
        assert_eq!(recent.since("a", 100_000, 10), None);
        recent.note("a", 100_000);
        assert_eq!(recent.since("a", 109_999, 10), Some(100_000), "its next pages, within the pages' time");
        assert_eq!(recent.since("a", 110_000, 10), None, "then the shared read again");
        assert_eq!(recent.since("b", 105_000, 10), None, "another session of the same member: the shared read");
    }
}
