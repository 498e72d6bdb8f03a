//! The member guard and the per-page security headers (server side only).
//! A server function that takes a [`Member`] of a role cannot run for anyone else.
use axum::http::{header, HeaderValue};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;

use crate::errors::AppError;
use crate::identity::{Identity, MemberSession, Role, SESSION_MEMBER_KEY};
use crate::ports::{Actor, PortFailure};

/// Proof that the current request comes from a signed-in member of one of the console's groups,
/// with their role: the one type that says so, for server functions ([`Member::require`]) and axum
/// routes alike (as an extractor, which sends anyone else to sign in; [`Member::at_least`] then
/// checks the role).
#[derive(Debug, Clone)]
pub struct Member {
    identity: Identity,
}

impl Member {
    /// The member a session holds, if it holds a live one (both its ends checked here, whatever
    /// the store says). The edge's gate has already re-checked the role with Cognito when due.
    pub async fn of_session(session: &Session) -> Result<Option<Member>, tower_sessions::session::Error> {
        let stored: Option<MemberSession> = session.get(SESSION_MEMBER_KEY).await?;
        Ok(stored.filter(|s| s.is_live(now_unix())).map(|s| Member { identity: s.identity() }))
    }

    /// For a server function: the member of the current request if their role allows `needed`;
    /// 401 for no session, 403 for a role below it.
    pub async fn require(needed: Role) -> Result<Member, AppError> {
        let session: Session = leptos_axum::extract().await.map_err(|_| deny())?;
        let member = Member::of_session(&session).await.ok().flatten().ok_or_else(deny)?;
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
        Actor { admin: self.identity.clone(), request_id: request_id() }
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

/// The one place a port's failure becomes what the browser sees: the status of the response is
/// set from the error, and a backend's cause goes to the log (with the request id), never out.
pub fn failed(e: impl Into<PortFailure>) -> AppError {
    let error = match e.into() {
        PortFailure::NotFound(what) => AppError::NotFound(what),
        PortFailure::Invalid(why) => AppError::Invalid(why),
        PortFailure::Backend(e) => {
            let request_id = request_id();
            tracing::error!(%request_id, service = e.service, error = %e.cause, "backend call failed");
            AppError::Unavailable { service: e.service.to_owned(), request_id }
        }
    };
    set_status(error.status_code());
    error
}

/// Answers a change with where the browser goes next. A plain HTML form post (before the wasm
/// loads) gets a 303 to it; a server-function call gets leptos' redirect header, which the
/// router follows client-side. Returns the location for the caller's own use.
pub fn land(location: String) -> String {
    leptos_axum::redirect(&location);
    let plain_form = use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("text/html")))
        .unwrap_or(false);
    if plain_form {
        set_status(303);
    }
    location
}

fn deny() -> AppError {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.set_status(http::StatusCode::UNAUTHORIZED);
    }
    AppError::Unauthorized
}

pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The id the server gave this request (`x-request-id`), for messages a user can quote.
pub fn request_id() -> String {
    use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A failure of the console itself (context missing): logged with the request id, shown as such.
pub fn unavailable(service: &str, cause: impl std::fmt::Display) -> AppError {
    let request_id = request_id();
    tracing::error!(%request_id, service, error = %cause, "backend call failed");
    if let Some(res) = use_context::<ResponseOptions>() {
        res.set_status(http::StatusCode::SERVICE_UNAVAILABLE);
    }
    AppError::Unavailable { service: service.to_owned(), request_id }
}

/// Sets the status of the page being rendered (404 page, 403 page).
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

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Member {
    type Rejection = axum::response::Response;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let session = Session::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match Member::of_session(&session).await {
            Ok(Some(member)) => Ok(member),
            Ok(None) => Err(axum::response::Redirect::to("/login").into_response()),
            Err(e) => {
                tracing::error!(error = %e, "session store unavailable");
                Err((http::StatusCode::SERVICE_UNAVAILABLE, "Sessions are unavailable right now; try again shortly.").into_response())
            }
        }
    }
}
