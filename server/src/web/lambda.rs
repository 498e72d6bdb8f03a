//! Lambda mode: the same router, fed by the Lambda Runtime API instead of a socket. An HTTP event
//! (a Function URL, an HTTP API or an ALB) becomes the request the router answers; an EventBridge
//! schedule event runs the health sweep instead (the schedule, not a timer, drives it on Lambda).
use axum::Router;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, LambdaEvent, Service};
use serde_json::{json, Value};

use crate::web::state::AppState;
use console_core::services::sweep::Sweeper;

/// The variables the Lambda runtime client requires; Lambda sets them all.
const RUNTIME_VARIABLES: [&str; 4] =
    ["AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"];

/// On Lambda (`AWS_LAMBDA_RUNTIME_API` is set): `Ok(true)`; a variable the runtime client needs
/// missing or malformed is an error naming it (the client itself would panic).
pub fn lambda_mode(env: impl Fn(&str) -> Option<String>) -> Result<bool, String> {
    if env("AWS_LAMBDA_RUNTIME_API").is_none() {
        return Ok(false);
    }
    let missing: Vec<&str> = RUNTIME_VARIABLES.into_iter().filter(|v| env(v).is_none()).collect();
    if !missing.is_empty() {
        return Err(format!("Lambda mode (AWS_LAMBDA_RUNTIME_API is set) needs {}", missing.join(", ")));
    }
    if env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").is_some_and(|m| m.parse::<i32>().is_err()) {
        return Err("AWS_LAMBDA_FUNCTION_MEMORY_SIZE must be a number of megabytes".to_owned());
    }
    Ok(true)
}

/// Serves events from the Lambda Runtime API until the runtime stops.
pub async fn serve(state: AppState) -> Result<(), lambda_http::Error> {
    let router = crate::web::router(state.clone());
    let sweeper = state.services.sweeper.clone();
    lambda_http::lambda_runtime::run(lambda_http::service_fn(move |event: LambdaEvent<Value>| {
        let (router, sweeper) = (router.clone(), sweeper.clone());
        async move { handle(router, sweeper, event).await }
    }))
    .await
}

/// An EventBridge schedule's event (`source: aws.events`, `detail-type: Scheduled Event`).
fn is_schedule(payload: &Value) -> bool {
    payload.get("source").and_then(Value::as_str) == Some("aws.events")
        && payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event")
}

async fn handle(router: Router, sweeper: std::sync::Arc<Sweeper>, event: LambdaEvent<Value>) -> Result<Value, lambda_http::Error> {
    let LambdaEvent { payload, context } = event;
    if is_schedule(&payload) {
        // Another invocation may be sweeping (a retried event): one at a time, as on a server.
        if !sweeper.take_lease(15 * 60).await {
            return Ok(json!({ "sweep": "skipped: another invocation holds the lease" }));
        }
        let report = sweeper.sweep_once().await;
        tracing::info!(?report, "health sweep done");
        return Ok(json!({
            "sweep": "done",
            "checked": report.checked,
            "ok": report.ok,
            "failed": report.failed,
            "rate_limited_skipped": report.rate_limited_skipped,
            "refreshed": report.refreshed,
            "expired_invites_deleted": report.expired_invites_deleted,
        }));
    }
    let request: LambdaRequest = serde_json::from_value(payload)?;
    let mut adapter: Adapter<'_, _, Router> = Adapter::from(router);
    let response = match adapter.call(LambdaEvent::new(request, context)).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    Ok(serde_json::to_value(response)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_mode_needs_every_runtime_variable() {
        let with =
            |vars: &'static [(&'static str, &'static str)]| move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        assert_eq!(lambda_mode(with(&[])), Ok(false), "a server, not a Lambda");
        let all = [
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("AWS_LAMBDA_FUNCTION_NAME", "console"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"),
        ];
        assert_eq!(lambda_mode(with(Box::leak(Box::new(all)))), Ok(true));
        let err = lambda_mode(with(&[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")])).unwrap_err();
        assert!(err.contains("AWS_LAMBDA_FUNCTION_NAME") && err.contains("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "{err}");
    }

    #[test]
    fn only_an_eventbridge_schedule_runs_the_sweep() {
        assert!(is_schedule(&json!({ "source": "aws.events", "detail-type": "Scheduled Event", "detail": {} })));
        assert!(!is_schedule(&json!({ "version": "2.0", "rawPath": "/", "requestContext": {} })));
        assert!(!is_schedule(&json!({ "source": "aws.events", "detail-type": "EC2 Instance State-change Notification" })));
    }
}
