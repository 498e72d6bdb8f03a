//! `/healthz` and `/readyz` against moto.
use crate::helpers::*;

#[tokio::test]
async fn ready_when_every_dependency_answers() {
    let app = spawn_app().await;
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["dynamodb"], "ok");
    assert_eq!(body["secretsmanager"], "ok");
    assert_eq!(body["cognito"], "ok");
}

#[tokio::test]
async fn not_ready_names_the_dependency_that_fails() {
    let base = spawn_app().await;
    let app = spawn_app_for(base.local.clone(), &[("LINEAR_REGISTRY_TABLE", "no-such-table")]).await;
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["dynamodb"], "unreachable");
    assert_eq!(body["cognito"], "ok");
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200, "the process is still up");
}
