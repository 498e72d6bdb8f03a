//! The public side of an install link: `GET /install/<link>` (looked up here, shown by the app's
//! page) and `POST /install/<link>` (to Linear's consent). Anyone may reach them: each request is
//! counted per client address (60 in 15 minutes), every lookup is one read of the link's hash
//! whatever was sent, and every link that cannot be used gets the same answer. The token is never
//! logged: the request's span names the path without it.
use axum::extract::{Form, Path, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::SecretString;
use serde::Deserialize;
use tower_sessions::Session;

use app::install_links_view::LinkLookup;
use console_core::records::install_links::{InstallLink, LinkToken};

use crate::web::client_address::{client_address, ClientAddress};
use crate::web::state::AppState;

/// The path of a link's page (`/install/<token>`), not `/install/done`.
pub fn link_token_of(path: &str) -> Option<&str> {
    path.strip_prefix("/install/").filter(|t| !t.is_empty() && *t != "done" && !t.contains('/'))
}

/// A request path as logs may show it: an install link's token is cut out.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match link_token_of(path) {
        Some(_) => std::borrow::Cow::Borrowed("/install/…"),
        None => std::borrow::Cow::Borrowed(path),
    }
}

/// The token a path segment names, hashed whatever its shape (one read for any link).
fn token(raw: &str) -> LinkToken {
    let bounded: String = raw.chars().take(128).collect();
    LinkToken::new(SecretString::from(bounded))
}

/// The waiting link `raw` opens, after counting the request; `Err` when the address is throttled.
async fn open(state: &AppState, address: &str, raw: &str) -> Result<Option<InstallLink>, ()> {
    if !state.services.throttle.public_link_try(address).await {
        return Err(());
    }
    match state.services.install_links.open(&token(raw)).await {
        Ok(link) => Ok(link),
        Err(e) => {
            tracing::error!(error = %console_core::error::chain(&e), "install links unavailable");
            Ok(None)
        }
    }
}

/// Before the app's `/install/<link>` page: looks the link up and puts what was found in the
/// request for the page.
pub async fn lookup(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let Some(raw) = link_token_of(&path).filter(|_| req.method() == axum::http::Method::GET) else {
        return next.run(req).await;
    };
    let (mut parts, body) = req.into_parts();
    let address = client_address(&parts, state.config.access.trusted_proxy_hops);
    let found = match open(&state, &address, raw).await {
        Err(()) => LinkLookup::Throttled,
        Ok(None) => LinkLookup::NotUsable,
        Ok(Some(link)) => LinkLookup::Waiting(app::edge::convert::link_landing(&link)),
    };
    parts.extensions.insert(found);
    next.run(Request::from_parts(parts, body)).await
}

#[derive(Deserialize)]
pub struct Continue {
    #[serde(default)]
    stated_by: String,
}

/// Who the person said they were: trimmed, at most 120 characters, no control characters.
fn stated(raw: &str) -> Option<String> {
    let s: String = raw.trim().chars().filter(|c| !c.is_control()).take(120).collect();
    (!s.is_empty()).then_some(s)
}

/// *Continue to Linear*: a consent bound to the link, kept in this browser's session.
pub async fn start(
    State(state): State<AppState>,
    session: Session,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<Continue>,
) -> Response {
    let here = format!("/install/{}", app::url::enc_path(&raw));
    let link = match open(&state, &address, &raw).await {
        Err(()) | Ok(None) => return Redirect::to(&here).into_response(),
        Ok(Some(link)) => link,
    };
    let rid = headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("unknown").to_owned();
    let (url, pending) = match state.services.installer.begin_link(&link, stated(&form.stated_by)).await {
        Ok(started) => started,
        Err(e) => {
            tracing::warn!(error = %console_core::error::chain(&e), "could not start an install link's consent");
            let f = app::edge::landing::install_failure(&e);
            return Redirect::to(&format!("/install/done?error={}&rid={}", console_core::codes::Code::code(f), app::url::enc(&rid)))
                .into_response();
        }
    };
    if crate::web::install::keep_consent(&session, pending).await.is_err() {
        return Redirect::to(&format!("/install/done?error=session_unavailable&rid={}", app::url::enc(&rid))).into_response();
    }
    Redirect::to(&url).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_links_path_is_logged_without_its_token() {
        let t = "ab".repeat(32);
        assert_eq!(loggable_path(&format!("/install/{t}")), "/install/…");
        assert_eq!(loggable_path("/install/done"), "/install/done");
        assert_eq!(loggable_path("/workspaces"), "/workspaces");
        assert_eq!(link_token_of("/install/"), None);
        assert_eq!(stated("  Ada \u{1b}Lovelace "), Some("Ada Lovelace".into()));
        assert_eq!(stated("   "), None);
    }
}
