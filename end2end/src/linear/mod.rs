//! The Linear stand-in: a test double of the parts of Linear the console uses (OAuth
//! authorize/token/revoke, GraphQL, rate-limit headers) plus a control API for tests.
//! It runs from seed data in memory and is never part of the console binary.
pub mod graphql;
pub mod oauth;
pub mod seed;
#[cfg(test)]
mod tests;
pub mod world;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

pub use world::{Settings, World};

pub type Shared = Arc<tokio::sync::Mutex<World>>;

pub fn router(world: Shared) -> Router {
    Router::new()
        .route("/oauth/authorize", get(oauth::authorize_page).post(oauth::authorize_decision))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/graphql", post(graphql::graphql))
        .route("/_control/reset", post(world::control_reset))
        .route("/_control/fail", post(world::control_fail))
        .route("/_control/revoke-grant", post(world::control_revoke_grant))
        .route("/_control/token-lifetime", post(world::control_token_lifetime))
        .route("/_control/scope-format", post(world::control_scope_format))
        .route("/_control/issued", get(world::control_issued))
        .route("/_control/org", post(world::control_org))
        .with_state(world)
}

/// A member's consent on the stand-in, as a browser gives it: `authorize` is where the console's
/// `/linear/connect` sent the browser; the answer is where the stand-in sends it back (the console's
/// callback, with the code). `plain` follows no redirects and holds no cookies.
pub async fn consent(plain: &reqwest::Client, linear: &str, authorize: &str, org_id: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(authorize).map_err(|e| format!("connect sent the browser to {authorize:?}: {e}"))?;
    let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    form.push(("org_id".into(), org_id.into()));
    form.push(("decision".into(), "authorize".into()));
    let res = plain.post(format!("{linear}/oauth/authorize")).form(&form).send().await.map_err(|e| format!("consent: {e}"))?;
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| format!("consent answered {}", res.status()))
}
