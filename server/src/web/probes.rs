//! `/healthz` (the process answers) and `/readyz` (DynamoDB, Secrets Manager and Cognito answer).
//! Readiness is asked of AWS at most once per [`READY_FOR`] per process: a flood of probes (or of
//! anyone calling the public path) cannot become AWS throttling that takes every instance out of
//! the load balancer.
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::web::state::AppState;
use console_core::cache::Freshness;
use std::convert::Infallible;

const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one readiness answer is reused.
pub const READY_FOR: Duration = Duration::from_secs(5);

pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, Json(json!({ "status": "ok" })))
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let answer = state.readiness.0.get_or_read((), Freshness::Shared, || async { Ok::<_, Infallible>(ask_aws(&state).await) }).await;
    let (ready, body) = match answer {
        Ok(answer) => answer,
        Err(never) => match never {},
    };
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body))
}

async fn ask_aws(state: &AppState) -> (bool, serde_json::Value) {
    let aws = &state.aws;
    let cfg = &state.config;
    let dynamo =
        async { aws.dynamodb.describe_table().table_name(&cfg.tables.registry).send().await.map(|_| ()).map_err(|e| e.to_string()) };
    let secrets =
        async { aws.secrets.describe_secret().secret_id(&cfg.webhook_secret_arn).send().await.map(|_| ()).map_err(|e| e.to_string()) };
    let cognito = async {
        aws.cognito.describe_user_pool().user_pool_id(&cfg.cognito.user_pool_id).send().await.map(|_| ()).map_err(|e| e.to_string())
    };
    let (d, s, c) = tokio::join!(
        tokio::time::timeout(PROBE_TIMEOUT, dynamo),
        tokio::time::timeout(PROBE_TIMEOUT, secrets),
        tokio::time::timeout(PROBE_TIMEOUT, cognito),
    );
    let verdict = |name: &str, r: Result<Result<(), String>, tokio::time::error::Elapsed>| match r {
        Ok(Ok(())) => ("ok", true),
        Ok(Err(e)) => {
            tracing::warn!(dependency = name, error = %e, "readiness check failed");
            ("unreachable", false)
        }
        Err(_) => {
            tracing::warn!(dependency = name, "readiness check timed out");
            ("timeout", false)
        }
    };
    let (dv, dok) = verdict("dynamodb", d);
    let (sv, sok) = verdict("secretsmanager", s);
    let (cv, cok) = verdict("cognito", c);
    let ready = dok && sok && cok;
    let body = json!({
        "status": if ready { "ready" } else { "not ready" },
        "dynamodb": dv, "secretsmanager": sv, "cognito": cv,
    });
    (ready, body)
}
