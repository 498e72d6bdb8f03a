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

#[tokio::test]
async fn a_flood_of_readiness_probes_asks_aws_once_per_few_seconds() {
    let (app, faults) = spawn_app_with_faults().await;
    assert_eq!(app.client.get(app.url("/readyz")).send().await.unwrap().status(), 200);
    // Any DescribeTable from now on would fail: the answers below must come from the cached one.
    faults.fail("DescribeTable", "", 1_000);
    let probes = (0..50).map(|_| {
        let (client, url) = (app.client.clone(), app.url("/readyz"));
        tokio::spawn(async move { client.get(url).send().await.unwrap().status().as_u16() })
    });
    for status in futures::future::join_all(probes).await {
        assert_eq!(status.unwrap(), 200);
    }
    assert_eq!(faults.remaining("DescribeTable"), 1_000, "no probe reached DynamoDB");
}
