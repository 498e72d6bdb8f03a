//! The web edge: the router and its middleware (the member gate among them), the sign-in and
//! install redirects and the CSV download; everything else is the app's server functions and
//! pages, given the services through context.
pub mod assets;
pub mod audit_csv;
pub mod client_address;
pub mod csv;
pub mod exports;
pub mod install;
pub mod install_links;
pub mod lambda;
pub mod origin_guard;
pub mod personal_data;
pub mod probes;
pub mod profile;
pub mod security;
pub mod sign_in;
pub mod state;
pub mod user_agent;

use app::{shell, App};
use axum::http::{HeaderName, Request};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use state::AppState;

pub const SESSION_COOKIE: &str = "lc_session";
/// The largest request body accepted: every form and server-function argument of the console
/// fits in a few KB (a bulk link of hundreds of rows in tens of KB).
pub const BODY_LIMIT: usize = 256 * 1024;
/// The longest a request may take (a reload of thousands of Linear members takes seconds).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// Over https the cookie takes the `__Host-` prefix: browsers then insist on `Secure`, `Path=/`
/// and no `Domain`, so no other host (a sibling subdomain) can plant or overwrite it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-lc_session";

/// The session cookie's name for this configuration.
pub fn session_cookie(config: &crate::config::Config) -> &'static str {
    if config.secure_cookies() {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

pub fn router(state: AppState) -> Router {
    // Once per process: generating the list runs the app with a process-wide flag (leptos_server's
    // `SuppressResourceLoad`) that leaves any resource first polled meanwhile pending for ever, so
    // a second console in the same process (the tests run many) must not generate it while the
    // first one serves pages.
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let sessions = SessionManagerLayer::new(state.session_store.clone())
        .with_name(session_cookie(&state.config))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_path("/")
        // Saved sessions (and their cookies) live for the idle timeout from their last save; a
        // signed-in session is saved again at most once a minute while used (`MemberSession::touch`),
        // and ends at its absolute end whatever the activity.
        .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::seconds(state.config.access.idle.as_secs() as i64)));
    let console = state.console.clone();
    let request_id = HeaderName::from_static("x-request-id");

    Router::new()
        .route("/login", post(sign_in::login))
        .route("/login/new-password", post(sign_in::new_password))
        .route("/login/mfa", post(sign_in::mfa_code))
        .route("/profile/mfa/start", post(profile::start))
        .route("/profile/mfa/verify", post(profile::verify))
        .route("/profile/mfa/saved", post(profile::codes_saved))
        .route("/logout", post(sign_in::logout))
        .route("/healthz", get(probes::healthz))
        .route("/readyz", get(probes::readyz))
        .route("/linear/connect", post(install::connect).get(install::connect_page_instead))
        .route("/linear/callback", get(install::callback))
        .route("/install/{link}", post(install_links::start))
        .route("/audit.csv", get(audit_csv::csv_export))
        .route("/workspaces.csv", get(exports::registry_csv))
        .route("/workspaces.json", get(exports::registry_json))
        .route("/workspaces/{org_id}/users.csv", get(exports::users_csv))
        .route("/workspaces/{org_id}/users.json", get(exports::users_json))
        .route("/workspaces/{org_id}/projects.csv", get(exports::projects_csv))
        .route("/workspaces/{org_id}/projects.json", get(exports::projects_json))
        .nest_service("/pkg", assets::service(&state.leptos_options))
        .leptos_routes_with_context(&state, routes, move || provide_context(console.clone()), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), install_links::lookup))
        // Inside the gate (it names the member): a viewer's answers masked, pages of people counted.
        .layer(axum::middleware::from_fn_with_state(state.clone(), personal_data::personal_data))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::member_gate))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::foreign_referer_dropped))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::cross_site_guard))
        .layer(axum::middleware::from_fn_with_state(state.clone(), client_address::note_proxy_without_hops))
        .layer(axum::middleware::from_fn(security::canonical_path))
        .layer(axum::middleware::from_fn(security::catch_panics))
        // Behind CloudFront, nothing else gets further (before the session is read).
        .layer(axum::middleware::from_fn_with_state(state.clone(), origin_guard::origin_guard))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::security_headers))
        .layer(CompressionLayer::new())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT))
        // No request holds a connection (and what it waits on) for ever: a stuck call answers 503.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, REQUEST_TIMEOUT))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let rid = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            let path = install_links::loggable_path(req.uri().path());
            tracing::info_span!("request", request_id = %rid, method = %req.method(), path = %path)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::from_fn(security::foreign_request_id_dropped))
        .with_state(state)
}
