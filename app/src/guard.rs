//! The admin guard and the per-page security headers (server side only).
//! A server function that takes an [`Admin`] cannot run for anyone else.
use axum::http::{header, HeaderValue};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;

use crate::errors::AppError;
use crate::identity::{AdminIdentity, AdminSession, SESSION_ADMIN_KEY};
use crate::ports::{Actor, PortFailure};

/// Proof that the current request comes from a signed-in member of the admin group: the one type
/// that says so, for server functions ([`Admin::require`]) and axum routes alike (as an extractor,
/// which sends anyone else to sign in).
#[derive(Debug, Clone)]
pub struct Admin {
    identity: AdminIdentity,
}

impl Admin {
    /// The admin a session holds, if it holds a live one (its expiry checked here, whatever the store says).
    pub async fn of_session(session: &Session) -> Result<Option<Admin>, tower_sessions::session::Error> {
        let stored: Option<AdminSession> = session.get(SESSION_ADMIN_KEY).await?;
        Ok(stored.filter(|s| s.is_live(now_unix())).map(|s| Admin { identity: s.identity() }))
    }

    /// For a server function: the admin of the current request; refuses (401) anyone else.
    pub async fn require() -> Result<Admin, AppError> {
        let session: Session = leptos_axum::extract().await.map_err(|_| deny())?;
        Admin::of_session(&session).await.ok().flatten().ok_or_else(deny)
    }

    pub fn identity(&self) -> &AdminIdentity {
        &self.identity
    }

    /// This admin as the author of a change made in this request (for its audit event).
    pub fn actor(&self) -> Actor {
        Actor { admin: self.identity.clone(), request_id: request_id() }
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

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Admin {
    type Rejection = axum::response::Response;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let session = Session::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match Admin::of_session(&session).await {
            Ok(Some(admin)) => Ok(admin),
            Ok(None) => Err(axum::response::Redirect::to("/login").into_response()),
            Err(e) => {
                tracing::error!(error = %e, "session store unavailable");
                Err((http::StatusCode::SERVICE_UNAVAILABLE, "Sessions are unavailable right now; try again shortly.").into_response())
            }
        }
    }
}
