//! The console's server: builds the state from configuration and the axum router
//! around the Leptos app. `main.rs` only loads configuration and serves.
pub mod audit;
pub mod auth;
pub mod config;
pub mod directory;
pub mod health;
pub mod install;
pub mod linear;
pub mod platform;
pub mod probes;
pub mod registry;
pub mod removal;
pub mod security;
pub mod sessions;
pub mod state;
pub mod sweep;
pub mod telemetry;
pub mod token_store;
pub mod token_upkeep;
pub mod user_links;
pub mod user_mappings;
pub mod workspace_actions;
pub mod workspaces;

use std::sync::Arc;
use std::time::Duration;

use app::ports::Ports;
use app::{shell, App};
use axum::http::{HeaderName, Request};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::audit::AuditLog;
use crate::auth::cognito::CognitoAuth;
use crate::auth::id_token::IdTokenVerifier;
use crate::config::Config;
use crate::sessions::DynamoSessionStore;
use crate::state::{AppState, AwsClients};

pub const SESSION_COOKIE: &str = "lc_session";

/// Where the compiled site (wasm, JS, CSS) is served from; cargo-leptos sets the same variables.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let env = |k: &str, d: &str| std::env::var(k).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| d.to_owned());
    LeptosOptions::builder()
        .output_name(env("LEPTOS_OUTPUT_NAME", "app"))
        .site_root(env("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(env("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(config.addr)
        .build()
}

pub async fn build_state(config: Config, leptos_options: LeptosOptions) -> AppState {
    let aws = AwsClients::load(&config).await;
    build_state_with(config, leptos_options, aws)
}

/// The state over given AWS clients (tests pass clients with local credentials).
pub fn build_state_with(config: Config, leptos_options: LeptosOptions, aws: AwsClients) -> AppState {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let verifier = IdTokenVerifier::new(
        config.cognito.issuer.clone(),
        config.cognito.app_client_id.clone(),
        config.cognito.jwks_url.clone(),
        http,
    );
    let audit = AuditLog::new(aws.dynamodb.clone(), config.tables.audit.clone());
    let registry = registry::Registry::new(aws.dynamodb.clone(), config.tables.registry.clone());
    let tokens = token_store::TokenStore::new(aws.secrets.clone());
    let mappings = user_mappings::UserMappings::new(aws.dynamodb.clone(), config.tables.user_mapping.clone());
    let config = Arc::new(config);
    // One HTTP client and one OAuth adapter for Linear, shared by every service.
    let linear_http = linear::http_client(config.linear.timeout);
    let linear_oauth =
        linear::oauth::LinearOAuth::new(linear_http.clone(), &config.linear.base_url, &config.linear.api_url, &config.linear.redirect_uri);
    let installer = Arc::new(install::Installer::new(config.clone(), registry.clone(), tokens.clone(), linear_http.clone(), audit.clone()));
    let linear_api = linear::graphql::LinearApi::new(linear_http, &config.linear.api_url);
    let upkeep = Arc::new(token_upkeep::TokenUpkeep::new(registry.clone(), tokens.clone(), linear_oauth.clone(), linear_api.clone()));
    let directory = directory::Directory::new(aws.cognito.clone(), config.cognito.user_pool_id.clone());
    let overview = workspaces::OverviewCache::new(config.overview_cache);
    let user_links = Arc::new(user_links::UserLinks::new(
        registry.clone(),
        upkeep.clone(),
        linear_api,
        directory.clone(),
        mappings.clone(),
        config.linking.clone(),
    ));
    let removal = Arc::new(removal::Removal::new(
        registry.clone(),
        aws.dynamodb.clone(),
        config.tables.registry.clone(),
        mappings.clone(),
        tokens.clone(),
        linear_oauth,
    ));
    let sweeper = sweep::Sweeper::new(registry.clone(), upkeep.clone(), aws.dynamodb.clone(), config.tables.sessions.clone(), config.sweep.clone());
    let ports = Ports {
        registry: Arc::new(workspaces::Workspaces::new(registry.clone(), tokens, directory.clone(), overview.clone())),
        user_links: Arc::new(user_links::port::UserLinksAdapter { links: user_links.clone(), audit: audit.clone() }),
        audit: Arc::new(audit.clone()),
        directory: Arc::new(directory),
        install: installer.clone(),
    };
    AppState {
        leptos_options,
        cognito_auth: CognitoAuth::new(aws.cognito.clone(), config.cognito.app_client_id.clone()),
        installer,
        upkeep,
        removal,
        user_links,
        overview,
        registry,
        sweeper,
        config,
        aws,
        verifier: Arc::new(verifier),
        audit,
        ports,
    }
}

/// Any form POST or install callback (every change the console makes goes through one) drops the cached overview,
/// so an admin sees their change at once. Server functions (`/api/`) only read the registry.
async fn changes_drop_the_overview(axum::extract::State(state): axum::extract::State<AppState>, req: Request<axum::body::Body>, next: axum::middleware::Next) -> axum::response::Response {
    // The install callback is a GET that writes the registry.
    let path = req.uri().path();
    let change = (req.method() == axum::http::Method::POST && !path.starts_with("/api/")) || path == "/linear/callback";
    let res = next.run(req).await;
    if change {
        state.overview.invalidate();
    }
    res
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let sessions = SessionManagerLayer::new(DynamoSessionStore::new(state.aws.dynamodb.clone(), state.config.tables.sessions.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::seconds(
            state.config.session_ttl.as_secs() as i64,
        )));
    let ports = state.ports.clone();
    let request_id = HeaderName::from_static("x-request-id");

    Router::new()
        .route("/login", post(auth::routes::login))
        .route("/login/new-password", post(auth::routes::new_password))
        .route("/logout", post(auth::routes::logout))
        .route("/healthz", get(probes::healthz))
        .route("/readyz", get(probes::readyz))
        .route("/linear/connect", get(install::routes::connect))
        .route("/linear/callback", get(install::routes::callback))
        .route("/linear/finish", post(install::routes::finish))
        .route("/workspaces/{org_id}/webhook-secret", post(install::routes::webhook_secret))
        .route("/workspaces/{org_id}/check", post(workspace_actions::check))
        .route("/workspaces/{org_id}/refresh", post(workspace_actions::refresh))
        .route("/workspaces/{org_id}/remove", post(workspace_actions::remove))
        .route("/workspaces/{org_id}/orphan/retry", post(workspace_actions::retry_orphan))
        .route("/workspaces/{org_id}/users/link", post(user_links::routes::link))
        .route("/workspaces/{org_id}/users/unlink", post(user_links::routes::unlink))
        .route("/workspaces/{org_id}/users/link-suggested", post(user_links::routes::link_suggested))
        .route("/workspaces/{org_id}/users/invite", post(user_links::routes::invite))
        .route("/workspaces/{org_id}/users/invites/revoke", post(user_links::routes::revoke_invite))
        .route("/workspaces/{org_id}/users/reload", post(user_links::routes::reload))
        .route("/users/unlink", post(user_links::routes::unlink_identity))
        .route("/audit.csv", get(audit::csv_export))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(ports.clone()),
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), changes_drop_the_overview))
        .layer(axum::middleware::from_fn(security::admin_gate))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::cross_site_guard))
        .layer(axum::middleware::from_fn(security::catch_panics))
        .layer(axum::middleware::from_fn(security::security_headers))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let rid = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %rid, method = %req.method(), path = %req.uri().path())
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
