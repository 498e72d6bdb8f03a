//! The signed-in admin as an axum extractor, for the plain routes that are not server functions
//! (the Linear consent and callback, the CSV download): such a handler cannot forget the check.
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use app::identity::AdminSession;

use crate::domain::audit::Actor;
use crate::web::security::current_admin;

/// The signed-in admin, for axum handlers that change something. The admin gate has already
/// turned away everyone else; this makes the admin a parameter the handler cannot forget.
pub struct SignedInAdmin(pub AdminSession);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SignedInAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match current_admin(&session).await {
            Ok(Some(admin)) => Ok(SignedInAdmin(admin)),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => {
                tracing::error!(error = %e, "session store unavailable");
                Err((StatusCode::SERVICE_UNAVAILABLE, "Sessions are unavailable right now; try again shortly.").into_response())
            }
        }
    }
}

/// The request id the edge gave this request (`x-request-id`), for audit events and messages.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Who makes the changes of this request, for the services to audit.
pub fn actor(admin: &AdminSession, headers: &HeaderMap) -> Actor {
    Actor { sub: admin.sub.clone(), email: admin.email.clone(), request_id: request_id(headers) }
}
