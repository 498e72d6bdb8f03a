//! Request-wide protections: the admin gate (pages and server functions), the
//! cross-site check on state-changing requests, and security headers on every response.
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use app::edge::{now_unix, Member};
use app::identity::{MemberSession, SESSION_MEMBER_KEY};
use console_core::audit::{Action, AuditEvent, Outcome};
use console_core::ids::RequestId;
use console_core::services::access::Standing;

use crate::web::state::AppState;

/// Paths anyone may load: sign-in, its pages, static assets, probes, and an install link's pages
/// (for a Linear admin with no console account; rate-limited by address, see `install_links`).
pub fn is_public(path: &str) -> bool {
    matches!(path, "/login" | "/login/new-password" | "/login/mfa" | "/forbidden" | "/logout" | "/healthz" | "/readyz" | "/favicon.ico")
        || path.starts_with("/pkg/")
        || path.starts_with("/install/")
}

/// Every non-public path needs a live member session: pages redirect to `/login`
/// (and back afterwards), server functions answer 401. New routes are covered by default.
/// Here a session also ends when its member left the console's groups or was disabled (asked of
/// the cached roster), takes a changed role, and records activity for its idle timeout (at most
/// once a minute, so browsing does not write to DynamoDB on every request). The member found is
/// put in the request: the one place a request's member and role are established.
pub async fn member_gate(State(state): State<AppState>, session: Session, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let path = path.as_str();
    if is_public(path) {
        return next.run(req).await;
    }
    let member = live_member(&state, &session).await;
    if let Ok(Some(m)) = &member {
        let rid = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).and_then(|v| RequestId::parse(v).ok());
        req.extensions_mut().insert(Member::new(m.identity(), rid));
        if let Some(id) = session.id() {
            req.extensions_mut().insert(app::edge::CurrentSession(crate::adapters::dynamodb::sessions::handle(&id)));
        }
    }
    match member {
        // A member who must enrol a second factor first reaches only their profile page.
        Ok(Some(m)) if m.must_enrol && !open_before_enrolment(path) => {
            if path.starts_with("/api/") {
                (StatusCode::FORBIDDEN, "Set up your authenticator app on your profile page first.").into_response()
            } else {
                Redirect::to("/profile?enrol=required").into_response()
            }
        }
        Ok(Some(_)) => next.run(req).await,
        // Back from Linear without a member: only a consent an install link started is taken there.
        Ok(None) if path == "/linear/callback" => next.run(req).await,
        // A plain form post (no wasm yet) whose session ended goes to sign in, not to a JSON 401.
        Ok(None) if path.starts_with("/api/") && accepts_html(req.headers()) => Redirect::to("/login").into_response(),
        Ok(None) if path.starts_with("/api/") => unauthorized_json(),
        Ok(None) => {
            let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            Redirect::to(&format!("/login?next={}", app::url::enc_path(target))).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "session store unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "Sessions are unavailable right now; try again shortly.").into_response()
        }
    }
}

/// What a member who must enrol a second factor may reach: the profile page and what it uses.
fn open_before_enrolment(path: &str) -> bool {
    matches!(path, "/profile" | "/profile/mfa/start" | "/profile/mfa/verify" | "/profile/mfa/saved" | "/api/whoami" | "/api/profile")
}

/// The session's member after the re-check, saving what changed; `None` when there is none (or
/// it just ended).
async fn live_member(state: &AppState, session: &Session) -> Result<Option<MemberSession>, tower_sessions::session::Error> {
    let now = now_unix();
    let stored: Option<MemberSession> = session.get(SESSION_MEMBER_KEY).await?;
    let Some(mut member) = stored.filter(|m| m.is_live(now)) else { return Ok(None) };
    let mut changed = member.touch(now, state.config.access.idle.as_secs() as i64);
    match state.services.access.standing(&member.sub).await {
        Standing::Member(role) if role != member.role => {
            member.role = role;
            changed = true;
        }
        Standing::Member(_) | Standing::Unknown => {}
        Standing::Gone => {
            session.flush().await?;
            let event = AuditEvent {
                action: Action::SessionEnded,
                actor_sub: Some(member.sub.clone()),
                actor_email: Some(member.email.clone()),
                target: None,
                outcome: Outcome::Success,
                detail: Some("no longer in the console's groups, or disabled in Cognito".to_owned()),
                request_id: None,
            };
            // A lost event is logged and counted by the audit log; the session ends either way.
            let _recorded = state.services.audit.record(event).await;
            return Ok(None);
        }
    }
    if changed {
        session.insert(SESSION_MEMBER_KEY, &member).await?;
    }
    Ok(Some(member))
}

/// A browser's own navigation or plain form post (as opposed to a script's fetch).
fn accepts_html(headers: &axum::http::HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

/// A plain form post to a server function that fails is sent back to its `Referer` by leptos.
/// Only this console's own pages may be that target: any other Referer is dropped first, so a
/// failed post can never bounce the admin to another site.
pub async fn foreign_referer_dropped(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/api/") {
        let origin = state.config.public_origin();
        let ours = |r: &str| r.strip_prefix(origin.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        let foreign = req.headers().get(header::REFERER).is_some_and(|v| !v.to_str().is_ok_and(ours));
        if foreign {
            tracing::warn!(path = req.uri().path(), "foreign Referer dropped");
            req.headers_mut().remove(header::REFERER);
        }
    }
    next.run(req).await
}

/// A client's own `x-request-id` is kept only if it is a UUID (as a proxy in front may send);
/// anything else is dropped here, before the edge gives the request an id of its own, so no
/// text of a stranger's choosing reaches the log, the audit table or an error page as an id.
pub async fn foreign_request_id_dropped(mut req: Request, next: Next) -> Response {
    let foreign = req.headers().get("x-request-id").is_some_and(|v| !v.to_str().is_ok_and(console_core::audit::is_request_id));
    if foreign {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

/// The body a server function returns for "no session": the `AppError::Unauthorized` encoding.
pub fn unauthorized_json() -> Response {
    let body = serde_json::to_string(&app::errors::AppError::Unauthorized).unwrap_or_default();
    Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::UNAUTHORIZED.into_response())
}

/// Refuses a state-changing request that a browser says came from another site.
/// `Sec-Fetch-Site` decides when present; otherwise `Origin` must be the console's own.
/// A request with neither is refused too: every browser we support sends one of them.
pub async fn cross_site_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if is_same_site(req.headers(), &state.config.public_origin()) {
        return next.run(req).await;
    }
    tracing::warn!(path = req.uri().path(), "cross-site request refused");
    (StatusCode::FORBIDDEN, "Cross-site request refused: this action must be started from the console itself.").into_response()
}

pub fn is_same_site(headers: &axum::http::HeaderMap, public_origin: &str) -> bool {
    let get = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
    match (get("sec-fetch-site"), get("origin")) {
        (Some(site), _) => site == "same-origin",
        (None, Some(origin)) => origin == public_origin,
        (None, None) => false,
    }
}

/// Headers for every response. Pages set their own nonce-bearing CSP; everything
/// else gets a strict default. Nothing but static assets may be cached. Over https the browser is
/// told to stay on https (HSTS). `Server-Timing` names the backends a request called and how long
/// each took: useful when debugging, a map for an attacker otherwise, so only with the debug flag.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let asset = req.uri().path().strip_prefix("/pkg/").is_some().then(|| req.uri().path().to_owned());
    let mut res = next.run(req).await;
    let status = res.status();
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=()"),
    );
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ));
    // The connect and reconnect buttons post to the console, which redirects to Linear's consent
    // page; browsers apply `form-action` to that redirect too, so Linear's origin is allowed.
    let page_csp = h.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).filter(|v| v.contains("form-action 'self';"));
    if let Some(csp) = page_csp {
        let amended = csp.replace("form-action 'self';", &format!("form-action 'self' {};", state.config.linear_origin()));
        if let Ok(v) = HeaderValue::from_str(&amended) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    if state.config.secure_cookies() {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    if !state.config.access.debug_timing {
        h.remove("server-timing");
    }
    match asset {
        Some(path) if status.is_success() || status == StatusCode::NOT_MODIFIED => super::assets::set_headers(&path, h),
        _ => {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    res
}

/// The last line of defence: a handler that panics answers with a friendly 500 page that
/// carries the request id (the cause goes to the log under the same id), not a dropped connection.
pub async fn catch_panics(req: Request, next: Next) -> Response {
    use futures::FutureExt;
    let rid = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("unknown").to_owned();
    match std::panic::AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(res) => res,
        Err(panic) => {
            let cause = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            tracing::error!(request_id = %rid, %cause, "handler panicked");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, &rid)
        }
    }
}

/// A self-contained error page (no script, no stylesheet needed) with the id to quote.
pub fn error_page(status: StatusCode, request_id: &str) -> Response {
    let rid: String = request_id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Something went wrong · Linear console</title>\
         <link rel=\"stylesheet\" href=\"/pkg/app.css\"></head><body class=\"min-h-screen bg-slate-50 text-slate-900\">\
         <main class=\"mx-auto max-w-lg px-4 py-24 text-center\"><h1 class=\"text-2xl font-semibold\">Something went wrong on our side</h1>\
         <p class=\"mt-4 text-sm\">Nothing you did caused this. If it happens again, give an administrator this request id: \
         <code data-testid=\"request-id\" class=\"font-mono\">{rid}</code></p>\
         <p class=\"mt-6\"><a class=\"underline\" href=\"/workspaces\">Back to the console</a></p></main></body></html>"
    );
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Body::from(body))
        .unwrap_or_else(|_| status.into_response())
}

/// The path without a trailing slash or repeated slashes (`/workspaces/` → `/workspaces`), when
/// it has either: such a path names no page of the console and must not reach one with an empty
/// id.
pub fn canonical(path: &str) -> Option<String> {
    if path.len() <= 1 || (!path.ends_with('/') && !path.contains("//")) {
        return None;
    }
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    Some(format!("/{}", parts.join("/")))
}

/// Sends a non-canonical path to its canonical form (a permanent redirect, the query kept).
pub async fn canonical_path(req: Request, next: Next) -> Response {
    match canonical(req.uri().path()) {
        Some(path) => {
            let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
            Redirect::permanent(&format!("{path}{query}")).into_response()
        }
        None => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_site_rules() {
        let me = "http://127.0.0.1:3000";
        assert!(is_same_site(&headers(&[("sec-fetch-site", "same-origin")]), me));
        assert!(!is_same_site(&headers(&[("sec-fetch-site", "cross-site")]), me));
        assert!(!is_same_site(&headers(&[("sec-fetch-site", "same-site")]), me));
        assert!(!is_same_site(&headers(&[("sec-fetch-site", "cross-site"), ("origin", "http://127.0.0.1:3000")]), me));
        assert!(is_same_site(&headers(&[("origin", "http://127.0.0.1:3000")]), me));
        assert!(!is_same_site(&headers(&[("origin", "http://evil.example")]), me));
        assert!(!is_same_site(&headers(&[("origin", "null")]), me));
        assert!(!is_same_site(&HeaderMap::new(), me));
    }

    #[test]
    fn public_paths_are_only_sign_in_assets_and_probes() {
        for p in ["/login", "/login/new-password", "/forbidden", "/healthz", "/readyz", "/pkg/app.wasm"] {
            assert!(is_public(p), "{p}");
        }
        for p in ["/", "/workspaces", "/audit", "/users", "/api/whoami", "/loginx", "/pkgx", "/workspaces/x/users"] {
            assert!(!is_public(p), "{p}");
        }
    }

    #[tokio::test]
    async fn a_panicking_handler_gets_the_error_page_with_its_request_id() {
        use tower::ServiceExt;
        async fn boom() -> &'static str {
            panic!("boom")
        }
        let app = axum::Router::new()
            .route("/boom", axum::routing::get(boom))
            .route("/fine", axum::routing::get(|| async { "fine" }))
            .layer(axum::middleware::from_fn(catch_panics));
        let req = |path: &str| axum::http::Request::builder().uri(path).header("x-request-id", "req-123").body(Body::empty()).unwrap();
        let res = app.clone().oneshot(req("/boom")).await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("req-123"), "{body}");
        assert!(!body.contains("boom"), "the cause stays in the log");
        assert_eq!(app.oneshot(req("/fine")).await.unwrap().status(), StatusCode::OK);
    }
}

#[cfg(test)]
mod canonical_tests {
    #[test]
    fn a_trailing_or_doubled_slash_is_dropped() {
        assert_eq!(super::canonical("/workspaces/"), Some("/workspaces".into()));
        assert_eq!(super::canonical("/workspaces//users"), Some("/workspaces/users".into()));
        assert_eq!(super::canonical("//"), Some("/".into()));
        assert_eq!(super::canonical("/"), None);
        assert_eq!(super::canonical("/workspaces/abc"), None);
    }
}
