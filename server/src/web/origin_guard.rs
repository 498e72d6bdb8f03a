//! Only CloudFront reaches the console when it is deployed behind it: CloudFront adds a secret
//! header (`x-origin-verify`) to every request it forwards, and the console refuses any request
//! without it (403, saying nothing) when `CONSOLE_ORIGIN_SECRET_ARN` names the secret. So a client
//! calling the Lambda function URL directly can neither reach a page nor choose the
//! `X-Forwarded-For` entry the sign-in throttle trusts: a request that passed here came through
//! CloudFront, which appends the viewer's address itself.
//!
//! Rotation without downtime: the secret's current and previous values (Secrets Manager's
//! `AWSCURRENT` and `AWSPREVIOUS`) are both accepted, read again every
//! `CONSOLE_ORIGIN_SECRET_REFRESH_SECONDS` (300). Put a new value, wait that long, then deploy, so
//! CloudFront sends it; the old one is accepted until the next rotation.
//! Values are compared as SHA-256 digests in constant time (no timing tells how much matched).
use std::sync::Arc;

use crate::adapters::origin_secret::{matches, OriginSecret};
use crate::web::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The header CloudFront adds.
pub const HEADER: &str = "x-origin-verify";

/// Refuses a request without the origin header's secret, when one is configured.
pub async fn origin_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(secret) = state.origin_secret.clone() else { return next.run(req).await };
    guard(&secret, req, next).await
}

async fn guard(secret: &Arc<OriginSecret>, req: Request, next: Next) -> Response {
    let accepted = match secret.accepted().await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "the origin secret could not be read: requests are refused until it can");
            return (StatusCode::SERVICE_UNAVAILABLE, "Unavailable").into_response();
        }
    };
    let presented = req.headers().get(HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if presented.is_empty() || !matches(&accepted, presented) {
        return (StatusCode::FORBIDDEN, "Forbidden").into_response();
    }
    next.run(req).await
}
