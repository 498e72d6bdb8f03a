//! The health sweep over 300 workspaces: all checked with bounded concurrency, Linear's rate-limit
//! headers honoured (an exhausted token is left alone until its reset), one sweeper at a time.
use aws_sdk_dynamodb::types::AttributeValue;
use end2end::linear::seed::ACME_ID;

use crate::helpers::*;

/// `n` registered workspaces whose bundles hold live tokens the stand-in issued.
async fn workspaces(app: &TestApp, n: usize) -> Vec<String> {
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let tokens = app.linear.world.lock().await.live_tokens(ACME_ID, n);
    let now = console_core::time::iso_millis(time::OffsetDateTime::now_utc());
    let later = console_core::time::iso_millis(time::OffsetDateTime::now_utc() + time::Duration::hours(20));
    let to = end2end::fixtures::LiveWorkspaces {
        dynamodb: &app.aws.dynamodb,
        secrets: &app.aws.secrets,
        registry_table: &app.local.registry_table,
        slug_prefix: &format!("sweep-{suffix}"),
        now: &now,
        expires_at: &later,
    };
    end2end::fixtures::seed_live_workspaces(&to, tokens).await.expect("seed the workspaces")
}

#[tokio::test]
async fn the_sweep_checks_300_workspaces_and_leaves_exhausted_tokens_alone() {
    let app = spawn_app().await;
    let orgs = workspaces(&app, 300).await;
    // This console's sweeper, and another instance's over the same tables.
    let sweeper = app.services.sweeper.clone();
    let other = spawn_app_sharing(&app).await;
    let other = other.services.sweeper.clone();
    assert!(sweeper.take_lease(60).await, "the first instance sweeps");
    assert!(!other.take_lease(60).await, "a second one waits");
    assert!(sweeper.take_lease(60).await, "the holder may renew");

    let first = sweeper.sweep_once().await;
    assert_eq!((first.checked, first.ok, first.failed), (300, 300, 0), "{first:?}");
    assert_eq!(first.refreshed, 0, "no refresh unless a window is configured");
    let row = app
        .aws
        .dynamodb
        .get_item()
        .table_name(&app.local.registry_table)
        .key("linear_workspace_id", AttributeValue::S(orgs[17].clone()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(row["last_check_result"].as_s().unwrap(), "ok");

    // Linear's limit is now one request per token: every token is exhausted.
    app.linear.world.lock().await.settings.rate_limit = 1;
    let second = sweeper.sweep_once().await;
    assert_eq!((second.checked, second.failed), (300, 300), "{second:?}");
    let used_before: u32 = app.linear.world.lock().await.access.values().map(|a| a.used).sum();
    let third = sweeper.sweep_once().await;
    assert_eq!((third.checked, third.rate_limited_skipped), (0, 300), "exhausted tokens are left alone until their reset: {third:?}");
    let used_after: u32 = app.linear.world.lock().await.access.values().map(|a| a.used).sum();
    assert_eq!(used_before, used_after, "not one request was spent on them");
}
